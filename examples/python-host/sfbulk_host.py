"""Hosts the sfbulk component in Python through wasmtime's Python embedding (PyPI `wasmtime`,
50.x: component model, WASIp2 and wasi:http through the C API).

    PYTHONPATH=<where wasmtime is installed> python3 sfbulk_host.py <sfbulk.wasm> <mock url> <token>

Runs the same smoke scenario as js/drive.mjs against a mock Salesforce: an ingest job with a CSV
batch (wait, per-record results), a query job (result file), and the error kinds. Asserts
every step; prints one JSON report line on success (tests/integration/hosts_python.rs checks it against the
mock). The `Bulk` class is a small generic bridge: plain Python values in (dicts for records,
"tag" or ("tag", payload) for variants, bytes for list<u8>), plain values out, and a raised
`SfbulkError` carrying the WIT `error` record as a dict (`kind`, `message`, `code`, …).
"""

import json
import sys
import time

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import (
    Component,
    EnumType,
    Linker,
    ListType,
    OptionType,
    Record,
    RecordType,
    ResultType,
    Variant,
    VariantType,
)


class SfbulkError(Exception):
    """An operation's `error` record, as a dict: {"kind": ..., "message": ..., "code": ...}."""

    def __init__(self, variant):
        super().__init__(json.dumps(variant))
        self.variant = variant


def lower(ty, value):
    """Plain Python → what wasmtime-py expects for `ty`."""
    if isinstance(ty, OptionType):
        return None if value is None else lower(ty.payload, value)
    if isinstance(ty, RecordType):
        record = Record()
        for name, field_ty in ty.fields:
            # Absent fields must be options: they become none.
            setattr(record, name, lower(field_ty, value.get(name)))
        return record
    if isinstance(ty, VariantType):
        tag, payload = (value, None) if isinstance(value, str) else value
        case_ty = dict(ty.cases)[tag]
        lowered = None if case_ty is None else lower(case_ty, payload)
        # wasmtime-py passes a variant as a bare payload when the payload types tell the
        # cases apart, and as a Variant otherwise.
        return Variant(tag, lowered) if ty._tagged() else lowered
    if isinstance(ty, ListType) and not isinstance(value, bytes):
        return [lower(ty.element, v) for v in value]
    return value  # strings, numbers, bools, bytes, enum names


def lift(value):
    """wasmtime-py values → plain Python (records → dicts, variants → {"tag", "val"})."""
    if isinstance(value, Record):
        return {k: lift(v) for k, v in vars(value).items()}
    if isinstance(value, Variant):
        return {"tag": value.tag, "val": lift(value.payload)}
    if isinstance(value, list):
        return [lift(v) for v in value]
    return value


class Bulk:
    """The `sfbulk:connector/bulk` interface of one component instance."""

    INTERFACE = "sfbulk:connector/bulk@0.1.0"

    def __init__(self, wasm_path):
        config = Config()
        config.cache = True
        self.engine = Engine(config)
        self.component = Component.from_file(self.engine, wasm_path)
        linker = Linker(self.engine)
        linker.add_wasip2()
        linker.add_wasi_http()
        self.store = Store(self.engine)
        wasi = WasiConfig()
        wasi.inherit_stderr()
        self.store.set_wasi(wasi)
        self.store.set_wasi_http()
        self.instance = linker.instantiate(self.store, self.component)
        self.interface = self.instance.get_export_index(self.store, self.INTERFACE)
        assert self.interface is not None, f"no export {self.INTERFACE}"

    def call(self, name, *args):
        index = self.instance.get_export_index(self.store, name, self.interface)
        assert index is not None, f"no function {name}"
        func = self.instance.get_func(self.store, index)
        ty = func.type(self.store)
        params = [lower(p_ty, a) for (_, p_ty), a in zip(ty.params, args)]
        ret = func(self.store, *params)
        func.post_return(self.store)
        rt = ty.result
        if not isinstance(rt, ResultType):
            return lift(ret)
        if rt._tagged():
            ok, payload = ret.tag == "ok", ret.payload
        else:
            # Untagged: the ok and error payloads are told apart by their Python classes
            # (the error record is a Record; no untagged ok payload is one).
            err_classes = set()
            rt.err.add_classes(err_classes)
            ok, payload = not isinstance(ret, tuple(err_classes)), ret
        if not ok:
            raise SfbulkError(lift(payload))
        return lift(payload)


def thrown(f):
    try:
        value = f()
    except SfbulkError as e:
        return e.variant
    raise AssertionError(f"expected SfbulkError, got {value!r}")


def main():
    wasm, url, token = sys.argv[1:4]
    t0 = time.monotonic()
    bulk = Bulk(wasm)
    load_ms = round((time.monotonic() - t0) * 1000)
    cfg = {"api-version": "59.0", "access-token": token, "api-url": url}
    report = {}
    t1 = time.monotonic()

    def wait(job_id, batch_id):
        deadline = time.monotonic() + 10
        while True:
            info = bulk.call("get-batch-status", cfg, job_id, batch_id)
            if info["state"]["tag"] in ("completed", "failed", "not-processed"):
                return info
            assert time.monotonic() < deadline, f"batch {batch_id} still {info['state']}"
            time.sleep(0.01)

    report["init"] = bulk.call("init", cfg)
    assert report["init"] == f"{url}/services/async/59.0", report["init"]

    job = bulk.call(
        "create-job", cfg, {"operation": "insert", "object": "Contact", "content-type": "csv"}
    )
    assert len(job["id"]) == 18
    assert job["state"] == {"tag": "open", "val": None}
    assert job["content-type"] == {"tag": "csv", "val": None}

    csv = "FirstName,LastName\nAda,Lovelace\nNo,\nÉmile,Zola\n".encode()
    batch = bulk.call(
        "add-batch", cfg, job["id"], ("raw", {"media-type": "text/csv", "data": csv})
    )
    assert batch["job-id"] == job["id"]
    assert bulk.call("get-batch-request", cfg, job["id"], batch["id"]) == csv

    closed = bulk.call("update-job", cfg, job["id"], "closed")
    assert closed["state"]["tag"] == "closed"

    done = wait(job["id"], batch["id"])
    assert done["state"]["tag"] == "completed"
    assert done["number-records-processed"] == 3
    assert done["number-records-failed"] == 1

    results = bulk.call("get-batch-results", cfg, job["id"], batch["id"])
    assert results["tag"] == "ingest"
    rows = results["val"]
    assert len(rows) == 3
    assert rows[0]["success"] and rows[0]["created"] and rows[0]["id"].startswith("003")
    assert not rows[1]["success"] and rows[1]["id"] is None
    assert rows[1]["errors"][0]["status-code"] == "REQUIRED_FIELD_MISSING"
    assert rows[1]["errors"][0]["fields"] == ["LastName"]
    assert rows[2]["success"]

    listed = bulk.call("list-batches", cfg, job["id"])
    assert [b["id"] for b in listed] == [batch["id"]]
    info = bulk.call("get-job", cfg, job["id"])
    assert info["number-batches-completed"] == 1
    report["ingest"] = {
        "jobId": job["id"],
        "batchId": batch["id"],
        "ids": [r["id"] for r in rows],
        "errors": [[e["status-code"] for e in r["errors"]] for r in rows],
    }

    qjob = bulk.call(
        "create-job", cfg, {"operation": "query", "object": "Contact", "content-type": "csv"}
    )
    qbatch = bulk.call(
        "add-batch", cfg, qjob["id"], ("query", "SELECT Id, LastName FROM Contact ORDER BY LastName")
    )
    assert wait(qjob["id"], qbatch["id"])["state"]["tag"] == "completed"
    qresults = bulk.call("get-batch-results", cfg, qjob["id"], qbatch["id"])
    assert qresults["tag"] == "query" and len(qresults["val"]) == 1
    data = bulk.call("get-bulk-query-results", cfg, qjob["id"], qbatch["id"], qresults["val"][0])
    assert isinstance(data, bytes)
    lines = data.decode().strip().splitlines()
    assert lines[0] == '"Id","LastName"', lines
    assert [line.split(",")[1] for line in lines[1:]] == ['"Lovelace"', '"Zola"'], lines
    report["query"] = {"resultId": qresults["val"][0], "file": data.decode()}

    unknown = thrown(lambda: bulk.call("get-job", cfg, "750000000000000AAA"))
    assert unknown["kind"] == "api" and unknown["code"] == "InvalidJob", unknown
    assert unknown["message"].startswith("InvalidJob: "), unknown
    bad_id = thrown(lambda: bulk.call("get-job", cfg, "not an id"))
    assert bad_id["kind"] == "invalid-input", bad_id
    expired = thrown(lambda: bulk.call("get-job", {**cfg, "access-token": "wrong-token"}, job["id"]))
    assert expired["kind"] == "session-expired", expired
    refused = thrown(lambda: bulk.call("get-job", {**cfg, "api-url": "http://127.0.0.1:9"}, job["id"]))
    assert refused["kind"] == "transport", refused
    report["errors"] = {
        "unknownJob": unknown,
        "badId": bad_id,
        "expired": expired,
        "refused": refused,
    }
    report["timing"] = {
        "loadMs": load_ms,
        "callsMs": round((time.monotonic() - t1) * 1000),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
