#!/usr/bin/env python3
"""The summary of a tools/bench/wan.sh run, in Markdown: `wan_report.py OUT_DIR`.

Reads OUT_DIR/results.tsv (one line per client run), OUT_DIR/machine.txt (the link) and the
curl runs' transfer sizes (OUT_DIR/runs/*-curl-*/sizes). A client with any failed run (non-zero
exit, or not exactly the expected rows) is reported as failed, without figures. Figures are
medians of the runs (min–max beside wall).

**Link floors** (simulated WAN only): the fewest requests a whole job needs, each one round
trip, plus its bytes over the bandwidth, after 2 round trips to open the first connection:

* 1-connection floor: every request in sequence on one kept-alive connection;
* 4-connection floor: the control requests in sequence, the transfers (result files, batches,
  result pages) spread round-robin over 4 connections opened at the start (their set-up
  hidden behind the control requests).

The plans (control requests; transfers):

| workload | control | transfers |
|---|---|---|
| q8, q20 (1.0 query) | create job, add batch, close job, batch status, result id list | each result file: 1 RTT + bytes |
| pk20 (1.0 PK chunking) | create job, add batch, close job, list batches | each chunk batch: its result id list and its file, 2 RTT + bytes |
| insert (1.0) | create job; then close job, list batches | each batch POST (1 RTT + bytes up); then each batch's results (1 RTT + bytes down) |
| v2-ingest | create job; then close, get job | the upload (1 RTT + bytes up); then the 3 result files |
| v2-query | create job, get job (4 connections: and `resultPages`) | each page of 100,000 rows (1 connection: in locator order) |

Byte counts are the bodies curl moved in the same run (gzip: as compressed); control bodies
count 1,000 bytes each. The model has no slow start and no loss, so real links are slower.
"""
import csv
import re
import statistics
import sys
from pathlib import Path

ORDER = ("sfbulk", "salesforce-bulk", "simple-salesforce", "jsforce", "tap-salesforce", "curl", "curl-4")
PEERS = ("salesforce-bulk", "simple-salesforce", "jsforce", "tap-salesforce")
TITLES = {
    "insert": "1.0 insert of {rows:,} rows with every result (batches of 10,000)",
    "q8": "1.0 query of {rows:,} rows in 8 result files, plain",
    "q8-gzip": "1.0 query of {rows:,} rows in 8 result files, gzip",
    "q20": "1.0 query of {rows:,} rows in 20 result files, plain",
    "q20-gzip": "1.0 query of {rows:,} rows in 20 result files, gzip",
    "pk20": "1.0 query of {rows:,} rows with PK chunking, 20 chunk batches",
    "q10m": "1.0 query of {rows:,} rows in 8 result files, plain",
    "q10m-gzip": "1.0 query of {rows:,} rows in 8 result files, gzip",
    "v2-query": "2.0 query of {rows:,} rows, pages of 100,000",
    "v2-ingest": "2.0 ingest of {rows:,} rows with every result",
}
CONTROL_BYTES = 1000


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def link(out):
    text = (out / "machine.txt").read_text()
    m = re.search(r"link: rtt ([\d.]+) ms, (\d+) B/s per connection and direction, ([\d.]+) RTT", text)
    return float(m.group(1)) / 1000, float(m.group(2)), float(m.group(3))


def sizes(out, net, workload):
    """(up, down) byte lists of the first curl run of the workload that left its sizes."""
    for d in sorted((out / "runs").glob("%s-%s-curl-*" % (net, workload))):
        f = d / "sizes"
        if d.name.endswith(("-curl-4",)) or not f.exists():
            continue
        up, down = [], []
        for line in f.read_text().split("\n"):
            parts = line.split()
            if len(parts) == 2:
                (up if parts[0] == "up" else down).append(int(parts[1]))
        return up, down
    return None


def spread(items, conns, rtt, bw, rtts=1):
    """The longest of `conns` connections taking `items` (bytes) round-robin."""
    per = [0.0] * conns
    for i, b in enumerate(items):
        per[i % conns] += rtts * rtt + b / bw
    return max(per)


def floors(workload, up, down, rtt, bw, setup):
    """(1-connection floor, 4-connection floor) in seconds."""
    ctrl = lambda n: n * (rtt + CONTROL_BYTES / bw)  # noqa: E731
    out = []
    for conns in (1, 4):
        t = setup * rtt
        if workload.startswith("q"):
            t += ctrl(5) + spread(down, conns, rtt, bw)
        elif workload == "pk20":
            t += ctrl(4) + spread(down, conns, rtt, bw, rtts=2)
        elif workload == "insert":
            t += ctrl(1) + spread(up, conns, rtt, bw) + ctrl(2) + spread(down, conns, rtt, bw)
        elif workload == "v2-ingest":
            t += ctrl(1) + spread(up, 1, rtt, bw) + ctrl(2) + spread(down, conns, rtt, bw)
        elif workload == "v2-query":
            t += ctrl(2 if conns == 1 else 3) + spread(down, conns, rtt, bw)
        else:
            return None
        out.append(t)
    return tuple(out)


class Client:
    """One client's runs of one workload on one net."""

    def __init__(self, rows):
        self.runs = rows
        self.expected = int(rows[0]["expected"])
        self.skipped = next((r["note"] for r in rows if r["note"].startswith("skipped")), None)
        self.failures = [r for r in rows if r["note"]]
        self.ok = bool(rows) and not self.failures

    def values(self, key):
        return [v for v in (num(r[key]) for r in self.runs) if v is not None] if self.ok else []

    def median(self, key):
        v = self.values(key)
        return statistics.median(v) if v else None

    @property
    def cpu(self):
        v = [num(r["user_s"]) + num(r["sys_s"]) for r in self.runs] if self.ok else []
        return statistics.median(v) if v else None


def fmt(v, f="{:.2f}"):
    return "" if v is None else f.format(v)


def ratio(a, b):
    return "" if a is None or not b else "{:.2f}×".format(a / b)


def main():
    out = Path(sys.argv[1])
    rtt, bw, setup = link(out)
    runs = {}
    with open(out / "results.tsv", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            runs.setdefault((r["net"], r["workload"]), {}).setdefault(r["client"], []).append(r)
    print((out / "machine.txt").read_text().strip().replace("\n", "  \n"))
    print()
    for (net, workload), by_client in runs.items():
        clients = {name: Client(rows) for name, rows in by_client.items()}
        expected = next(iter(clients.values())).expected
        title = TITLES.get(workload, workload).format(rows=expected)
        print("### %s: %s" % ("Simulated WAN" if net == "wan" else "Loopback", title))
        print()
        fl = None
        if net == "wan":
            sz = sizes(out, net, workload)
            fl = floors(workload, sz[0], sz[1], rtt, bw, setup) if sz else None
            if fl:
                print("Floors: **%.2f s** on 1 connection, **%.2f s** on 4 (%d transfers, %s bytes up, %s down)."
                      % (fl[0], fl[1], len(sz[1]) or len(sz[0]), format(sum(sz[0]), ","), format(sum(sz[1]), ",")))
            else:
                print("Floors: unknown (no curl run left its transfer sizes).")
            print()
        curl = clients.get("curl")
        curl4 = clients.get("curl-4")
        head = ["client", "wall s", "CPU s", "peak RSS MB", "connections", "requests"]
        if net == "wan":
            head += ["most open", "MB up / down", "÷ 1-conn floor", "÷ 4-conn floor"]
        head += ["wall ÷ curl", "CPU ÷ curl", "wall ÷ curl-4", "wall ÷ best peer"]
        done = [(c.median("wall_s"), n) for n, c in clients.items() if n in PEERS and c.ok]
        best = min(done) if done else (None, None)
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        names = [n for n in ORDER if n in clients] + [n for n in clients if n not in ORDER]
        for name in names:
            c = clients[name]
            label = "**%s**" % name if name == "sfbulk" else name
            if not c.ok:
                why = c.skipped or "; ".join(sorted({"run %s: %s" % (r["run"], r["note"]) for r in c.failures}))
                print("| %s | %s |" % (label, ("skipped: " if c.skipped else "failed: ") + why.replace("|", "/")[:300])
                      + " |" * (len(head) - 2))
                continue
            wall = c.median("wall_s")
            walls = c.values("wall_s")
            span = "" if min(walls) == max(walls) else " (%.2f–%.2f)" % (min(walls), max(walls))
            row = [label, "%.2f%s" % (wall, span), fmt(c.cpu, "{:.3f}"), fmt(c.median("max_rss_kb") / 1024, "{:.1f}"),
                   fmt(c.median("connections"), "{:.0f}"), fmt(c.median("requests"), "{:.0f}")]
            if net == "wan":
                up, down = c.median("bytes_up"), c.median("bytes_down")
                row += [fmt(c.median("peak_open"), "{:.0f}"),
                        "" if up is None else "%.2f / %.2f" % (up / 1e6, down / 1e6),
                        ratio(wall, fl[0]) if fl else "", ratio(wall, fl[1]) if fl else ""]
            row += [ratio(wall, curl.median("wall_s")) if curl and curl.ok and name != "curl" else "",
                    ratio(c.cpu, curl.cpu) if curl and curl.ok and name != "curl" else "",
                    ratio(wall, curl4.median("wall_s")) if curl4 and curl4.ok and name != "curl-4" else "",
                    "%s (%s)" % (ratio(wall, best[0]), best[1]) if best[0] and name == "sfbulk" else ""]
            print("| " + " | ".join(row) + " |")
        loads = [num(r["load1"]) for rs in by_client.values() for r in rs if num(r["load1"]) is not None]
        mock = [num(r["mock_cpu_s"]) for rs in by_client.values() for r in rs if num(r["mock_cpu_s"]) is not None]
        print()
        if loads:
            print("load1 %.2f–%.2f; the mock (and its WAN) used %.2f–%.2f s of CPU per run." % (
                min(loads), max(loads), min(mock or [0]), max(mock or [0])))
            print()


if __name__ == "__main__":
    main()
