"""The Python package (packages/python) in tools/bench/v2.sh's workloads, run by a python that
installed its wheel (the test's target/tmp/packages/py-user/venv, or PKG_PY):
    PY pkg_py.py --base URL --scenario bench-ingest --file IN.csv --out DIR
        Bulk.load(IN.csv, object="Account", results=DIR/results.csv) (Bulk API 2.0, joined)
    PY pkg_py.py --base URL --scenario bench-query --soql SOQL --out FILE
        Bulk.query(soql, FILE) (pages of 100,000)
"""
import argparse
import json
import os

from sfbulk import Bulk

p = argparse.ArgumentParser()
for a in ("base", "scenario", "file", "out", "soql"):
    p.add_argument("--" + a)
a = p.parse_args()
sf = Bulk({"api_version": "62.0", "api_url": a.base, "access_token": "00DFAKE!SESSIONTOKEN"})
if a.scenario == "bench-ingest":
    print(json.dumps(vars(sf.load(a.file, object="Account", results=os.path.join(a.out, "results.csv")))))
else:
    print(json.dumps(vars(sf.query(a.soql, a.out))))
