#!/usr/bin/env bash
# Which limits a target's corpus reaches: replays fuzz/corpus/<target> under coverage with
# branch counts (`cargo fuzz coverage`, nightly, llvm-tools) and prints, for every guard the
# replay executed, how many times each side of its condition was taken (llvm-cov's branch
# counts, one per condition of a `&&`/`||`; True on the guard's own condition = the guard
# fired: refused, or a batch closed). Guards the replay never executed are left out.
#
#   fuzz/guards.sh [target…]                  (default: every target)
#
# Needs `rustup component add llvm-tools-preview --toolchain nightly`. Replays only (no
# fuzzing); run it when no campaign is running. Profiles land in fuzz/coverage/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse_job_info parse_batch_info parse_batch_list parse_error parse_batch_results
             count_csv_records check_attachment_zip split join
             gunzip join_v2 parse_v2 limits limits_real)
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
sysroot="$(rustc +nightly --print sysroot)"
llvm_cov="$sysroot/lib/rustlib/$triple/bin/llvm-cov"

# file | a fixed string on the guard's line | what it guards
guards=(
    "src/wire/mod.rs|if body.len() > limit {|body size (8 MiB control documents, 32 MiB batch results)"
    "src/wire/json.rs|if nested && depth == 0 {|JSON nesting (128 arrays and objects)"
    "src/wire/xml.rs|if open.len() >= MAX_DEPTH {|XML nesting (64 elements)"
    "src/gzip.rs|if out.len() + n > limit {|gunzip_at_most: decoded bytes over the limit (bomb guard)"
    "src/gzip.rs|None if window.len() > max_field|gzip name or comment over the limit (65,535 bytes)"
    "src/csv_input.rs|if bytes <= self.max_bytes && chars <= self.max_chars {|a record too large for a batch (False = refused)"
    "src/split.rs|&& (self.batch.len() + size > self.max_bytes|batch closed: the next record's bytes"
    "src/split.rs||| self.batch_chars + chars > self.max_chars)|batch closed: the next record's characters"
    "src/split.rs|if self.batch_records >= self.max_records {|batch closed: records"
    "src/split.rs|&& (self.batch.len() + bytes + 1 > self.max_bytes|batch closed early (record being read): bytes"
    "src/split.rs||| self.batch_chars + chars + 1 > self.max_chars)|batch closed early (record being read): characters"
)

for t in "${targets[@]}"; do
    RUSTFLAGS="-Zcoverage-options=branch" nice -n 19 cargo +nightly fuzz coverage -s none "$t" \
        "fuzz/corpus/$t" >"fuzz/logs/coverage-$t.log" 2>&1 ||
        { echo "$t: coverage failed, see fuzz/logs/coverage-$t.log"; continue; }
    bin="target/$triple/coverage/$triple/release/$t"
    profile="fuzz/coverage/$t/coverage.profdata"
    inputs=$(find "fuzz/corpus/$t" -type f | wc -l)
    echo "$t ($inputs corpus inputs)"
    for g in "${guards[@]}"; do
        file="${g%%|*}"
        rest="${g#*|}"
        what="${rest##*|}"
        pattern="${rest%|*}"
        line=$(grep -nF -- "$pattern" "$file" | head -1 | cut -d: -f1)
        [ -n "$line" ] || { echo "  guard not found in $file: $pattern"; continue; }
        counts=$("$llvm_cov" show "$bin" -instr-profile="$profile" -show-branches=count "$file" 2>/dev/null |
            grep -o "Branch ($line:[0-9]*): \[True: [^]]*\]" | sort -u |
            sed 's/Branch (\([0-9:]*\)): \[\(.*\)\]/\1 \2/' | paste -sd';' -)
        [ -n "$counts" ] && [ "$(echo "$counts" | grep -c 'True: [1-9]\|False: [1-9]')" -gt 0 ] && printf '  %-60s %s: %s\n' "$what" "$file" "$counts"
    done
    if [ "$t" = limits ] || [ "$t" = limits_real ]; then
        # The corpus by guard (first byte % 6; bit 7 of guard 5: one record of the batch's
        # size; bit 6, `limits` only: the character limit binding) and by side of the limit
        # (second byte, -128..127).
        python3 - "fuzz/corpus/$t" "$t" <<'PY'
import os, sys
scaled = sys.argv[2] == "limits"
names = [("control document", "8 MiB"), ("batch results", "32 MiB"),
         ("gzip name/comment", "65,535 bytes"), ("gzip bomb", "16 MiB"),
         ("records per batch", "10,000"), ("bytes per batch", "10,000,000")]
names = [n if scaled else f"{n} limit ({real})" for n, real in names]
counts = {}
for f in os.listdir(sys.argv[1]):
    d = open(os.path.join(sys.argv[1], f), "rb").read()
    if len(d) < (4 if scaled else 3):
        continue
    g = d[0] % 6
    name = names[g]
    if g == 5 and scaled and d[0] & 0x40:
        name = "characters per batch"
    name += " (one record)" if g == 5 and d[0] & 0x80 else ""
    off = d[1] - 256 if d[1] > 127 else d[1]
    side = "over" if off > 0 else "at or under"
    counts.setdefault(name, {"over": 0, "at or under": 0})[side] += 1
for name, c in sorted(counts.items()):
    print(f"  corpus inputs at the {name}: {c['at or under']} at or under, {c['over']} over")
PY
    fi
done
