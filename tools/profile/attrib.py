# attrib.py CALLGRIND_OUT PERF_MAP [N]: instructions per function (self cost), the JIT
# addresses of the component named by wasmtime's perf map (SFBULK_PERFMAP=1); see callgrind.sh.
import sys, re, subprocess, bisect, collections
out = subprocess.run(['callgrind_annotate', '--threshold=100', sys.argv[1]], capture_output=True, text=True).stdout
rng = []
for line in open(sys.argv[2]):
    a, s, name = line.rstrip('\n').split(' ', 2)
    rng.append((int(a, 16), int(s, 16), name))
rng.sort()
starts = [r[0] for r in rng]
def jit(addr):
    k = bisect.bisect_right(starts, addr) - 1
    if k >= 0 and addr < rng[k][0] + rng[k][1]:
        return rng[k][2]
    return None
tot = collections.Counter(); total = 0
for line in out.splitlines():
    m = re.match(r'\s*([\d,]+) \([ \d.]+%\)\s+(.*)$', line)
    if not m: continue
    cost = int(m.group(1).replace(',', '')); what = m.group(2)
    if 'PROGRAM TOTALS' in what: total = cost; continue
    m2 = re.match(r'\?\?\?:0x([0-9a-f]+)\S* \[(.*)\]', what)
    if m2:
        name = jit(int(m2.group(1), 16)) if m2.group(2) == '???' else None
        if name is None:
            name = 'native:' + m2.group(2).split('/')[-1]
        else:
            name = 'wasm:' + name
    else:
        fn = what.split(':', 1)[1] if ':' in what else what
        name = 'native:' + fn.split(' [')[0]
    tot[name] += cost
wasm = sum(v for k, v in tot.items() if k.startswith('wasm:'))
print(f'total {total:,}  wasm {wasm:,} ({100*wasm/total:.1f}%)  other {total-wasm:,}')
for name, v in tot.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 45):
    print(f'{v:>14,} {100*v/total:5.1f}%  {name[:150]}')
