#!/usr/bin/env python3
"""Drive python `salesforce-bulk` (heroku/salesforce-bulk, PyPI 2.2.0) against a
loopback Bulk API 1.0 endpoint, no login.

    pip install salesforce-bulk          # pulls simple-salesforce, unicodecsv
    python3 peer_salesforce_bulk.py --base http://127.0.0.1:8765 --n 1000 \
        [--version 62.0] [--mode ingest|query|pk|all] [--poll 0.05] [--chunk-size 2000]

How the base URL is set: SalesforceBulk(sessionId=..., host=BASE) -- when
`host` starts with "http" it is used verbatim (http allowed), then
"/services/async/<API_version>" is appended.  Session id goes in X-SFDC-Session.
"""
import argparse
import io
import time

from salesforce_bulk import SalesforceBulk, CsvDictsAdapter


def ingest(bulk, n, poll):
    t0 = time.perf_counter()
    job = bulk.create_insert_job("Account", contentType="CSV", concurrency="Parallel")
    rows = ({"Name": "Acme %d" % i, "Description": "row, %d \"q\"" % i} for i in range(n))
    # CsvDictsAdapter is a generator -> requests sends Transfer-Encoding: chunked
    batch = bulk.post_batch(job, CsvDictsAdapter(iter(rows)))
    bulk.close_job(job)
    bulk.wait_for_batch(job, batch, timeout=60, sleep_interval=poll)
    results = bulk.get_batch_results(batch, job)
    ok = sum(1 for r in (results or []) if r.success == "true")
    print("ingest: job=%s batch=%s results=%s ok=%d %.3fs" % (
        job, batch, None if results is None else len(results), ok,
        time.perf_counter() - t0))
    return results


def query(bulk, poll):
    t0 = time.perf_counter()
    job = bulk.create_query_job("Account", contentType="CSV")
    batch = bulk.query(job, "SELECT Id, Name FROM Account")
    bulk.close_job(job)
    while not bulk.is_batch_done(batch, job):
        time.sleep(poll)
    nrows = 0
    for chunk in bulk.get_all_results_for_query_batch(batch, job):  # one per result id
        data = chunk.read()  # IteratorBytesIO over a streamed response
        nrows += max(0, len(data.splitlines()) - 1)
    print("query: job=%s batch=%s rows=%d %.3fs" % (job, batch, nrows, time.perf_counter() - t0))


def query_pk(bulk, poll, chunk_size):
    """PK chunking: the library only sets the header; the caller must list the
    job's batches, skip the NotProcessed original and read each chunk batch."""
    t0 = time.perf_counter()
    job = bulk.create_query_job("Account", contentType="CSV", pk_chunking=chunk_size)
    first = bulk.query(job, "SELECT Id, Name FROM Account")
    nrows = 0
    while True:
        batches = bulk.get_batch_list(job)
        states = {b["id"]: b["state"] for b in batches}
        if all(s in ("Completed", "NotProcessed", "Failed") for s in states.values()) \
                and states.get(first) == "NotProcessed":
            break
        time.sleep(poll)
    for bid, st in states.items():
        if bid == first or st != "Completed":
            continue
        for rid in bulk.get_query_batch_result_ids(bid, job):
            data = bulk.get_query_batch_results(bid, rid, job).read()
            nrows += max(0, len(data.splitlines()) - 1)
    bulk.close_job(job)
    print("pk-query: job=%s chunks=%d rows=%d %.3fs" % (
        job, len(states) - 1, nrows, time.perf_counter() - t0))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="http://127.0.0.1:8765")
    p.add_argument("--version", default="62.0")
    p.add_argument("--session", default="00DFAKE!SESSIONTOKEN")
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--poll", type=float, default=0.05)
    p.add_argument("--mode", default="all")
    p.add_argument("--chunk-size", type=int, default=2000)  # PK chunkSize (sfbulk copy: was fixed)
    a = p.parse_args()
    bulk = SalesforceBulk(sessionId=a.session, host=a.base, API_version=a.version)
    if a.mode in ("ingest", "all"):
        ingest(bulk, a.n, a.poll)
    if a.mode in ("query", "all"):
        query(bulk, a.poll)
    if a.mode in ("pk", "all"):
        query_pk(bulk, a.poll, a.chunk_size)


if __name__ == "__main__":
    main()
