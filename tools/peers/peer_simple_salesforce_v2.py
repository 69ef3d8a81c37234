#!/usr/bin/env python3
"""Run simple-salesforce's own Bulk API 2.0 client (`sf.bulk2`, PyPI 1.12.10) against a
Salesforce at BASE (the sfbulk mock on loopback), one scenario per run:

    python3 peer_simple_salesforce_v2.py --base http://127.0.0.1:PORT --scenario NAME

Scenarios: ingest-failed-row, upsert, delete, query-multipage. Exit status 0 means the
scenario ended as it should; the last line printed says what was seen.

Bench modes (`tools/bench/v2.sh` times them; they check nothing themselves, the harness counts
the rows in what they write):

    ... --scenario bench-ingest --file IN.csv --out DIR [--object Account]
        `bulk2.<object>.insert(csv_file=IN.csv)`, then each job's successful, failed and
        unprocessed results written to DIR/<job>-<kind>.csv (the library's file mode)
    ... --scenario bench-query --soql SOQL --out DIR [--max-records N]
        `bulk2.<object>.download(SOQL, DIR, max_records=N)`: one CSV file per page in DIR

No login: a session id the mock accepts, and the bulk2 URL pointed at BASE (simple-salesforce
builds https:// URLs from instance_url; `sf.bulk2` is rebuilt from `bulk2_url` on every use).
"""
import argparse
import csv
import io
import os
import sys
import uuid

from simple_salesforce import Salesforce

WAIT = 0.05  # first poll after 50 ms (the library then backs off to at most 2 s)


def connect(base, version, session):
    sf = Salesforce(session_id=session, instance_url=base, version=version)
    sf.bulk2_url = "%s/services/data/v%s/jobs/" % (base, version)
    return sf


def rows(text):
    """The records of a CSV result (header excluded)."""
    return list(csv.DictReader(io.StringIO(text)))


def check(ok, summary):
    print(summary)
    if not ok:
        sys.exit(1)


def ingest_failed_row(sf):
    records = [
        {"Name": "ssf insert 1", "Description": "first"},
        {"Name": "", "Description": "no name: fails"},
        {"Name": "ssf insert 2", "Description": "second, with a comma"},
    ]
    [job] = sf.bulk2.Account.insert(records=records, wait=WAIT)
    ok = rows(sf.bulk2.Account.get_successful_records(job["job_id"]))
    failed = rows(sf.bulk2.Account.get_failed_records(job["job_id"]))
    errors = [r["sf__Error"] for r in failed]
    check(
        job["numberRecordsProcessed"] == 3 and job["numberRecordsFailed"] == 1
        and len(ok) == 2 and all(r["sf__Id"].startswith("001") for r in ok)
        and errors == ["REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"],
        "processed=%d failed=%d successful=%d errors=%s" % (
            job["numberRecordsProcessed"], job["numberRecordsFailed"], len(ok), errors),
    )


def upsert(sf):
    run = uuid.uuid4().hex[:8]  # keys of their own: the server may have seen earlier runs
    k1, k2, k3 = ("ssf-%s-%d" % (run, i) for i in (1, 2, 3))
    first = [{"Ext__c": k1, "Name": "ssf upsert 1"}, {"Ext__c": k2, "Name": "ssf upsert 2"}]
    second = [{"Ext__c": k2, "Name": "ssf upsert 2 renamed"}, {"Ext__c": k3, "Name": "ssf upsert 3"}]
    created = []
    for records in (first, second):
        [job] = sf.bulk2.Account.upsert(records=records, external_id_field="Ext__c", wait=WAIT)
        if job["numberRecordsFailed"]:
            check(False, "upsert job %s failed rows: %s" % (
                job["job_id"], sf.bulk2.Account.get_failed_records(job["job_id"])))
        ok = rows(sf.bulk2.Account.get_successful_records(job["job_id"]))
        created.append(sorted((r["Ext__c"], r["sf__Created"]) for r in ok))
    expected = [[(k1, "true"), (k2, "true")], [(k2, "false"), (k3, "true")]]
    check(created == expected, "created flags per upsert job: %s" % created)


def delete(sf):
    run = uuid.uuid4().hex[:8]
    [job] = sf.bulk2.Account.insert(
        records=[{"Name": "ssf delete %s %d" % (run, i)} for i in range(3)], wait=WAIT)
    ids = [r["sf__Id"] for r in rows(sf.bulk2.Account.get_successful_records(job["job_id"]))]
    [deleted] = sf.bulk2.Account.delete(records=[{"Id": i} for i in ids], wait=WAIT)
    left = 0
    for page in sf.bulk2.Account.query(
            "SELECT Id FROM Account WHERE Name LIKE 'ssf delete %s%%'" % run, wait=WAIT):
        left += len(rows(page))
    check(
        len(ids) == 3 and deleted["numberRecordsProcessed"] == 3
        and deleted["numberRecordsFailed"] == 0 and left == 0,
        "deleted=%d failed=%d left=%d" % (
            deleted["numberRecordsProcessed"], deleted["numberRecordsFailed"], left),
    )


def query_multipage(sf):
    sizes = []
    headers = set()
    for page in sf.bulk2.Account.query(
            "SELECT Id, Name FROM Account WHERE Name LIKE 'Seed Account%'",
            max_records=300, wait=WAIT):
        headers.add(page.splitlines()[0])
        sizes.append(len(rows(page)))
    check(
        sizes == [300, 300, 300, 100] and headers == {'"Id","Name"'},
        "pages=%s rows=%d headers=%s" % (sizes, sum(sizes), sorted(headers)),
    )


def bench_ingest(sf, a):
    bulk = getattr(sf.bulk2, a.object)
    jobs = bulk.insert(csv_file=a.file, wait=WAIT)
    for job in jobs:
        for kind, fetch in (("successful", bulk.get_successful_records),
                            ("failed", bulk.get_failed_records),
                            ("unprocessed", bulk.get_unprocessed_records)):
            fetch(job["job_id"], file=os.path.join(a.out, "%s-%s.csv" % (job["job_id"], kind)))
    print("jobs=%d processed=%d failed=%d" % (
        len(jobs), sum(j["numberRecordsProcessed"] for j in jobs),
        sum(j["numberRecordsFailed"] for j in jobs)))


def bench_query(sf, a):
    pages = getattr(sf.bulk2, a.object).download(
        a.soql, path=a.out, max_records=a.max_records, wait=WAIT)
    print("pages=%d records=%d" % (len(pages), sum(p["number_of_records"] for p in pages)))


BENCH = {"bench-ingest": bench_ingest, "bench-query": bench_query}

SCENARIOS = {
    "ingest-failed-row": ingest_failed_row,
    "upsert": upsert,
    "delete": delete,
    "query-multipage": query_multipage,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--version", default="62.0")
    p.add_argument("--session", default="00DFAKE!SESSIONTOKEN")
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS) + sorted(BENCH))
    p.add_argument("--object", default="Account")
    p.add_argument("--file")
    p.add_argument("--out")
    p.add_argument("--soql")
    p.add_argument("--max-records", type=int, default=100000)
    a = p.parse_args()
    if a.scenario in BENCH:
        BENCH[a.scenario](connect(a.base, a.version, a.session), a)
    else:
        SCENARIOS[a.scenario](connect(a.base, a.version, a.session))


if __name__ == "__main__":
    main()
