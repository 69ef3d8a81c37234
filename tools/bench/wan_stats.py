#!/usr/bin/env python3
"""One run's network figures for tools/bench/wan.sh, from the mock's `/__mock/stats` read
before and after it: `wan_stats.py BEFORE.json AFTER.json`.

Prints five tab-separated fields: requests, connections, peak_open, bytes_up, bytes_down.
Over the simulated WAN the connections, the most open at once and the bytes (headers and all)
are the WAN's; on plain loopback only requests and connections are known (the connections the
mock accepted, less the one that read the stats afterwards), the others are empty.
"""
import json
import sys


def main():
    try:
        before, after = (json.load(open(p)) for p in sys.argv[1:3])
    except (OSError, ValueError) as err:
        print("\t".join(["", "", "", "", ""]), end="")
        print("wan_stats.py: cannot read the mock's stats: %s" % err, file=sys.stderr)
        return
    requests = after["requests"] - before["requests"]
    if after.get("wan"):
        w0, w1 = before["wan"], after["wan"]
        fields = [requests, w1["connections"] - w0["connections"], w1["peak_open"],
                  w1["bytes_up"] - w0["bytes_up"], w1["bytes_down"] - w0["bytes_down"]]
    else:
        fields = [requests, after["connections"] - before["connections"] - 1, "", "", ""]
    print("\t".join(str(f) for f in fields), end="")


if __name__ == "__main__":
    main()
