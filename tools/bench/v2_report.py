#!/usr/bin/env python3
"""The summary of a tools/bench/v2.sh run, in Markdown: `v2_report.py OUT_DIR`.

Reads OUT_DIR/results.tsv (one line per client run) and OUT_DIR/machine.txt. Run 0 of each
client is the warm-up and is not counted. A client with any failed counted run (non-zero
exit, or not exactly the expected rows) is reported as failed, without figures. Figures are
medians of the counted runs (min–max beside CPU and wall); ratios compare those medians,
within this one run: "best peer" is whichever of simple-salesforce and jsforce has the
lowest median of that figure among those that completed.
"""
import csv
import statistics
import sys
from pathlib import Path

PEERS = ("simple-salesforce", "jsforce")
ORDER = ("sfbulk", "sfbulk-npm", "sfbulk-py", "simple-salesforce", "jsforce", "curl")
WORKLOADS = {
    "query": "query of {rows:,} rows to disk",
    "ingest": "ingest of {rows:,} rows with every result",
    "big": "query of {rows:,} rows to disk (memory flat?)",
}
RSS_GOAL_MB = 32.0
CPU_GOAL = 0.2
FLAT_GOAL = 1.10  # "flat": peak RSS at the big query at most 10 % above the 1M query's


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def load(out):
    runs = {}
    with open(out / "results.tsv", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            runs.setdefault((r["workload"], r["client"]), []).append(r)
    return runs


class Client:
    """One client's counted runs of one workload."""

    def __init__(self, rows):
        counted = [r for r in rows if r["run"] != "0"]
        self.warmup = [r for r in rows if r["run"] == "0"]
        self.runs = counted
        self.expected = int(rows[0]["expected"])
        self.missing = next(
            (r["note"] for r in rows if r["note"].startswith(("missing", "skipped"))), None)
        self.failures = [r for r in counted if r["note"]]
        self.ok = bool(counted) and not self.failures and not self.missing
        self.cpu = [num(r["user_s"]) + num(r["sys_s"]) for r in counted if self.ok]
        self.wall = [num(r["wall_s"]) for r in counted if self.ok]
        self.rss = [num(r["max_rss_kb"]) / 1024 for r in counted if self.ok]
        self.load1 = [num(r["load1"]) for r in counted if num(r["load1"]) is not None]
        self.mock = [num(r["mock_cpu_s"]) for r in counted if num(r["mock_cpu_s"]) is not None]

    def median(self, what):
        values = getattr(self, what)
        return statistics.median(values) if values else None


def span(values, fmt="{:.2f}"):
    if not values:
        return ""
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else (fmt + "–" + fmt).format(lo, hi)


def ratio(a, b):
    return "" if a is None or not b else "{:.2f}×".format(a / b)


def best_peer(clients, what):
    done = [(c.median(what), name) for name, c in clients.items() if name in PEERS and c.ok]
    return min(done) if done else (None, None)


def table(workload, clients):
    out = []
    rows = next(iter(clients.values())).expected
    out.append("### 2.0 " + WORKLOADS[workload].format(rows=rows))
    out.append("")
    cpu_best, cpu_name = best_peer(clients, "cpu")
    wall_best, wall_name = best_peer(clients, "wall")
    curl = clients.get("curl")
    curl_cpu = curl.median("cpu") if curl and curl.ok else None
    curl_wall = curl.median("wall") if curl and curl.ok else None
    out.append(
        "| client | CPU s (median, min–max) | wall s | peak RSS MB | CPU ÷ best peer | "
        "wall ÷ best peer | CPU ÷ curl | wall ÷ curl | rows | load1 | mock CPU s |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for name in sorted(clients, key=lambda n: ORDER.index(n) if n in ORDER else 9):
        c = clients[name]
        load1 = span(c.load1)
        if c.missing:
            out.append("| %s | %s | | | | | | | | | |" % (name, c.missing))
            continue
        if not c.ok:
            why = "; ".join("run %s: %s" % (r["run"], r["note"]) for r in c.failures) or "no runs"
            out.append("| %s | **failed** (%s) | | | | | | | | %s | |" % (name, why, load1))
            continue
        cpu, wall, rss = c.median("cpu"), c.median("wall"), c.median("rss")
        out.append(
            "| %s | %.3f (%s) | %.2f (%s) | %.1f | %s | %s | %s | %s | %d/%d ×%d | %s | %s |"
            % (
                "**sfbulk**" if name == "sfbulk" else name,
                cpu, span(c.cpu, "{:.3f}"), wall, span(c.wall), rss,
                "" if name in PEERS or cpu_best is None else ratio(cpu, cpu_best),
                "" if name in PEERS or wall_best is None else ratio(wall, wall_best),
                "" if name == "curl" else ratio(cpu, curl_cpu),
                "" if name == "curl" else ratio(wall, curl_wall),
                c.expected, c.expected, len(c.runs), load1, "%.2f" % c.median("mock"),
            )
        )
    out.append("")
    if cpu_name:
        out.append(
            "Best peer: %s by CPU (%.3f s), %s by wall (%.2f s)."
            % (cpu_name, cpu_best, wall_name, wall_best)
        )
        out.append("")
    return out, cpu_best


def per_round(clients, peer_name):
    """sfbulk's CPU ÷ the peer's, round by round."""
    s, p = clients.get("sfbulk"), clients.get(peer_name)
    if not (s and p and s.ok and p.ok):
        return ""
    by_run = {r["run"]: num(r["user_s"]) + num(r["sys_s"]) for r in p.runs}
    ratios = [
        (num(r["user_s"]) + num(r["sys_s"])) / by_run[r["run"]]
        for r in s.runs if by_run.get(r["run"])
    ]
    return ", ".join("%.3f" % x for x in ratios)


def main():
    out = Path(sys.argv[1])
    runs = load(out)
    lines = ["## Bulk API 2.0, side by side (tools/bench/v2.sh)", ""]
    machine = out / "machine.txt"
    if machine.exists():
        lines += ["- " + l for l in machine.read_text().splitlines()] + [""]
    by_workload = {}
    for (workload, client), rows in runs.items():
        by_workload.setdefault(workload, {})[client] = Client(rows)
    best = {}
    for workload in ("ingest", "query", "big"):
        if workload in by_workload:
            text, best[workload] = table(workload, by_workload[workload])
            lines += text

    lines += ["### Goals (issue 11, item 6)", ""]
    lines.append("| goal | measured | verdict |")
    lines.append("|---|---|---|")
    for workload in ("ingest", "query"):
        clients = by_workload.get(workload, {})
        s = clients.get("sfbulk")
        cpu_best, cpu_name = best_peer(clients, "cpu")
        if not s or not s.ok or cpu_best is None:
            why = s.missing if s and s.missing else "sfbulk failed" if s else "not run"
            if cpu_best is None:
                why = "no peer completed"
            lines.append("| %s: sfbulk CPU ≤ %.1f× the best peer | %s | not measured |"
                         % (workload, CPU_GOAL, why))
            continue
        r = s.median("cpu") / cpu_best
        lines.append(
            "| %s: sfbulk CPU ≤ %.1f× the best peer | %.3f s ÷ %.3f s (%s) = **%.3f×** (per round: %s) | %s |"
            % (workload, CPU_GOAL, s.median("cpu"), cpu_best, cpu_name, r,
               per_round(clients, cpu_name), "met" if r <= CPU_GOAL else "**not met**")
        )
    for workload in ("ingest", "query", "big"):
        s = by_workload.get(workload, {}).get("sfbulk")
        if not s or not s.ok:
            continue
        peak = max(s.rss)
        lines.append(
            "| %s: sfbulk peak RSS ≤ %.0f MB | %.1f MB (highest of %d runs) | %s |"
            % (workload, RSS_GOAL_MB, peak, len(s.rss),
               "met" if peak <= RSS_GOAL_MB else "**not met**")
        )
    q = by_workload.get("query", {}).get("sfbulk")
    b = by_workload.get("big", {}).get("sfbulk")
    if q and b and q.ok and b.ok:
        growth = b.median("rss") / q.median("rss")
        lines.append(
            "| peak RSS flat from %s to %s rows (≤ +%d %%) | %.1f → %.1f MB (%+.1f %%) | %s |"
            % ("{:,}".format(q.expected), "{:,}".format(b.expected), round((FLAT_GOAL - 1) * 100),
               q.median("rss"), b.median("rss"), (growth - 1) * 100,
               "met" if growth <= FLAT_GOAL else "**not met**")
        )
    else:
        lines.append("| peak RSS flat from the query to the big query | sfbulk's figures missing at one size | not measured |")
    lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
