"""sfbulk: the Salesforce Bulk API 1.0 and 2.0 for Python, through the sfbulk WebAssembly
component in wasmtime.

    from sfbulk import Bulk

    bulk = Bulk({"api_version": "62.0", "api_url": "https://acme.my.salesforce.com", "access_token": token})
    summary = bulk.load("contacts.csv", object="Contact", results="contacts.results.csv")
    bulk.query("SELECT Id, Name FROM Account", "accounts.csv")
    for row in bulk.query_rows("SELECT Id, Name FROM Account"):
        print(row["Id"], row["Name"])

`Bulk` has one method per operation of the WIT interfaces `bulk` (1.0) and `bulk2` (2.0), with
the config bound, typed by `sfbulk.bulk` and `sfbulk.bulk2` (TypedDicts, generated from the WIT);
every error is raised as the `SfbulkError` subclass of its case (`sfbulk.errors`).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from . import bulk, bulk2
from ._ops import Ops
from ._runtime import Bridge, SfbulkError, SfbulkTrapError
from .errors import *  # noqa: F403 (the exception classes, one per case)
from .errors import CLASSES, StillRunningError

__all__ = [
    "Bulk",
    "Config",
    "LoadSummary",
    "Progress",
    "QuerySummary",
    "SfbulkError",
    "SfbulkTrapError",
    "bulk",
    "bulk2",
    *(cls.__name__ for cls in CLASSES.values()),
]

Config = bulk.Config
CHUNK = 1 << 18
"""Bytes per read of the input, per write to the component and per read of a query stream: 256
KiB, as wasmtime-py's C values take 32 bytes per byte on the way (see `_fastbytes`)."""


@dataclass(frozen=True)
class Progress:
    """Where a load or a query is: `stage` is upload, wait, join, read or done."""

    stage: Literal["upload", "wait", "join", "read", "done"]
    bytes: int = 0
    jobs: int = 0
    done: int = 0
    job_id: str = ""


@dataclass(frozen=True)
class LoadSummary:
    bulk_api: int
    job_ids: list[str]
    records: int
    succeeded: int
    failed: int
    unprocessed: int
    results: str | None = None
    """The joined results file, when `results` was given."""


@dataclass(frozen=True)
class QuerySummary:
    job_id: str
    records: int
    """Data rows (the header not counted)."""
    bytes: int
    output: str | None = None


OnProgress = Callable[[Progress], None]
_DEFAULT_WAIT: bulk.WaitOptions = {"first_interval_ms": 100, "max_interval_ms": 5000}


def _chunks(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[bytes]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    else:
        while chunk := source.read(CHUNK):
            yield chunk


class _Atomic:
    """A file written beside its target and renamed over it only when complete."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.tmp = self.target.with_name(f".{self.target.name}.{os.getpid()}.part")
        self.f = open(self.tmp, "wb")

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def commit(self) -> None:
        self.f.close()
        os.replace(self.tmp, self.target)

    def discard(self) -> None:
        self.f.close()
        self.tmp.unlink(missing_ok=True)


class Bulk(Ops):
    """A connection to one org: one component instance, and so one set of sessions (a renewed
    token is kept for the next call). Not safe to share between threads: make one per thread."""

    def __init__(self, config: bulk.Config, *, wasm: str | os.PathLike[str] | None = None) -> None:
        self.config: bulk.Config = dict(config)  # type: ignore[assignment]
        self._bridge = Bridge(Path(wasm) if wasm is not None else None)

    def _call(self, iface: str, name: str, *args: Any) -> Any:
        return self._bridge.call(iface, name, (self.config, *args))

    def _wait(
        self,
        of: int,
        wait: bulk.WaitOptions,
        round_: Callable[[bulk.WaitOptions], Any],
        done: Callable[[], int],
        on_progress: OnProgress | None,
    ) -> Any:
        """Waits in rounds of a second (progress between them). `done` counts what is finished
        (a `still-running` error names it only in its message); read only for progress."""
        start = time.monotonic()
        timeout = wait.get("timeout_ms")
        while True:
            left = None if timeout is None else max(0, timeout - int((time.monotonic() - start) * 1000))
            try:
                return round_({**wait, "timeout_ms": 1000 if left is None else min(left, 1000)})
            except StillRunningError as e:
                if left is not None and left <= 1000:
                    raise
                if on_progress:
                    on_progress(Progress("wait", done=done(), jobs=of))

    def load(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        *,
        object: str,
        operation: bulk.Operation = "insert",
        results: str | os.PathLike[str] | None = None,
        bulk_api: Literal[1, 2] = 2,
        external_id_field_name: str | None = None,
        line_ending: bulk.LineEnding | None = None,
        column_delimiter: bulk2.ColumnDelimiter | None = None,
        max_job_bytes: int | None = None,
        split: bulk.SplitOptions | None = None,
        wait: bulk.WaitOptions | None = None,
        on_progress: OnProgress | None = None,
    ) -> LoadSummary:
        """Loads a CSV file (a path, or a binary file object) of any size: Bulk API 2.0 by
        default (as many ingest jobs as it needs), or 1.0 (batches of one job). Waits for the
        jobs; with `results`, writes every input row with its result (`sf__Id`, `sf__Success`,
        `sf__Created`, `sf__Error`) in input order."""
        w: bulk.WaitOptions = {**_DEFAULT_WAIT, **(wait or {})}
        out = _Atomic(results) if results is not None else None
        spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        if out is not None and not isinstance(source, (str, os.PathLike)):
            spool = tempfile.SpooledTemporaryFile(max_size=CHUNK * 8)
        sent = 0
        try:
            if bulk_api == 2:
                request: bulk2.IngestRequest = {
                    "object": object,
                    "operation": operation,
                    "external_id_field_name": external_id_field_name,
                    "line_ending": line_ending,
                    "column_delimiter": column_delimiter,
                }
                refs: list[bulk2.IngestJobRef] = []
                with self.start_ingest_load(request, max_job_bytes) as loader:
                    for chunk in _chunks(source):
                        sent += len(chunk)
                        if spool is not None:
                            spool.write(chunk)
                        refs += loader.write(chunk)
                        if on_progress:
                            on_progress(Progress("upload", bytes=sent, jobs=len(refs)))
                    refs += loader.finish()
                ids = [r["job_id"] for r in refs]
                def jobs_done() -> int:
                    final = ("job-complete", "failed", "aborted")
                    return sum(1 for i in ids if self.get_job_info("ingest", i).get("state") in final)

                jobs: list[bulk2.JobInfo] = self._wait(
                    len(ids), w, lambda o: self.wait_for_jobs("ingest", ids, o), jobs_done, on_progress
                )
                if out is not None:
                    with self.open_ingest_join(refs, column_delimiter) as join:
                        c = self._join(join, source, spool, out, on_progress)
                    counts = (c["records"], c["succeeded"], c["failed"], c["unprocessed"])
                else:
                    records = sum(r["records"] for r in refs)
                    processed = sum(j["number_records_processed"] for j in jobs)
                    failed = sum(j["number_records_failed"] for j in jobs)
                    counts = (records, processed - failed, failed, records - processed)
            else:
                job_request: bulk.JobRequest = {
                    "operation": operation,
                    "object": object,
                    "content_type": "csv",
                    "external_id_field_name": external_id_field_name,
                    "line_ending": line_ending,
                }
                batches: list[bulk.BatchRef] = []
                with self.start_csv_load(job_request, split) as csv_load:
                    job_id = csv_load.job_id()
                    for chunk in _chunks(source):
                        sent += len(chunk)
                        if spool is not None:
                            spool.write(chunk)
                        batches += csv_load.write(chunk)
                        if on_progress:
                            on_progress(Progress("upload", bytes=sent, jobs=len(batches)))
                    batches += csv_load.finish()
                ids = [job_id]
                batch_ids = [b["batch_id"] for b in batches]
                def batches_done() -> int:
                    final = ("completed", "failed", "not-processed")
                    return sum(1 for b in self.list_batches(job_id) if b["id"] in batch_ids and b["state"] in final)

                infos: list[bulk.BatchInfo] = self._wait(
                    len(batch_ids), w, lambda o: self.wait_for_batches(job_id, batch_ids, o), batches_done, on_progress
                )
                if out is not None:
                    with self.open_result_join(job_id, batches) as rjoin:
                        c1 = self._join(rjoin, source, spool, out, on_progress)
                    counts = (c1["records"], c1["succeeded"], c1["failed"], c1["records"] - c1["succeeded"] - c1["failed"])
                else:
                    records = sum(b["records"] for b in batches)
                    processed = sum(i["number_records_processed"] for i in infos)
                    failed = sum(i["number_records_failed"] for i in infos)
                    counts = (records, processed - failed, failed, records - processed)
            if out is not None:
                out.commit()
            if on_progress:
                on_progress(Progress("done"))
            return LoadSummary(bulk_api, ids, *counts, results=str(out.target) if out else None)
        except BaseException:
            if out is not None:
                out.discard()
            raise
        finally:
            if spool is not None:
                spool.close()

    def _join(self, join: Any, source: Any, spool: Any, out: _Atomic, on_progress: OnProgress | None) -> Any:
        if spool is not None:
            spool.seek(0)
            again: Any = spool
        else:
            again = source
        joined = 0
        for chunk in _chunks(again):
            piece: bytes = join.push(chunk)
            joined += len(piece)
            out.write(piece)
            if on_progress:
                on_progress(Progress("join", bytes=joined))
        out.write(join.finish())
        return join.counts()

    def query_chunks(
        self,
        soql: str,
        *,
        bulk_api: Literal[1, 2] = 2,
        all: bool = False,
        object: str | None = None,
        pk_chunking: bulk.PkChunking | None = None,
        max_records: int | None = None,
        wait: bulk.WaitOptions | None = None,
        on_progress: OnProgress | None = None,
    ) -> Iterator[bytes]:
        """Runs a query and yields its CSV in chunks of about 256 KiB (one header first)."""
        yield from self._query(soql, bulk_api, all, object, pk_chunking, max_records, wait, on_progress, {})

    def _query(
        self,
        soql: str,
        bulk_api: int,
        all: bool,
        object: str | None,
        pk_chunking: bulk.PkChunking | None,
        max_records: int | None,
        wait: bulk.WaitOptions | None,
        on_progress: OnProgress | None,
        summary: dict[str, Any],
    ) -> Iterator[bytes]:
        w: bulk.WaitOptions = {**_DEFAULT_WAIT, **(wait or {})}
        stream: bulk.QueryStream | bulk2.QueryStream
        if bulk_api == 2:
            job_id = self.create_query_job({"query": soql, "operation": "query-all" if all else "query"})["id"]
            stream = self.open_query_job_stream(job_id, None, w, max_records)
        else:
            obj = object
            if obj is None:
                words = soql.replace(",", " ").split()
                lower = [x.lower() for x in words]
                obj = words[lower.index("from") + 1] if "from" in lower[:-1] else None
            if obj is None:
                raise TypeError("query: expected FROM <object> in the SOQL or object=, came neither")
            job_id = self.create_job(
                {"operation": "query-all" if all else "query", "object": obj, "content_type": "csv", "pk_chunking": pk_chunking}
            )["id"]
            try:
                self.add_batch(job_id, {"tag": "query", "val": soql})
            except SfbulkError:
                self.update_job(job_id, "closed")
                raise
            stream = self.open_query_stream(job_id, [], w)
        read = 0
        with stream:
            while chunk := stream.read(CHUNK):
                read += len(chunk)
                if on_progress:
                    on_progress(Progress("read", bytes=read, job_id=job_id))
                yield chunk
            rows = stream.position()["rows"]
        if bulk_api == 1 and self.get_job(job_id)["state"] == "open":
            self.update_job(job_id, "closed")
        if on_progress:
            on_progress(Progress("done", job_id=job_id))
        summary.update(job_id=job_id, records=rows, bytes=read)

    def query(
        self,
        soql: str,
        output: str | os.PathLike[str],
        *,
        bulk_api: Literal[1, 2] = 2,
        all: bool = False,
        object: str | None = None,
        pk_chunking: bulk.PkChunking | None = None,
        max_records: int | None = None,
        wait: bulk.WaitOptions | None = None,
        on_progress: OnProgress | None = None,
    ) -> QuerySummary:
        """Runs a query and writes every row into `output` as one CSV (renamed into place when complete)."""
        out = _Atomic(output)
        summary: dict[str, Any] = {}
        try:
            for chunk in self._query(soql, bulk_api, all, object, pk_chunking, max_records, wait, on_progress, summary):
                out.write(chunk)
            out.commit()
        except BaseException:
            out.discard()
            raise
        return QuerySummary(summary["job_id"], summary["records"], summary["bytes"], str(output))

    def query_rows(self, soql: str, *, bulk_api: Literal[1, 2] = 2, all: bool = False, object: str | None = None) -> Iterator[dict[str, str]]:
        """Runs a query and yields each row as a dict of column → value (memory stays flat)."""
        chunks = self.query_chunks(soql, bulk_api=bulk_api, all=all, object=object)

        class Raw(io.RawIOBase):
            rest = b""

            def readable(self) -> bool:
                return True

            def readinto(self, b: Any) -> int:
                if not self.rest:
                    self.rest = next(chunks, b"")
                n = min(len(b), len(self.rest))
                b[:n] = self.rest[:n]
                self.rest = self.rest[n:]
                return n

        text = io.TextIOWrapper(io.BufferedReader(Raw(), CHUNK), encoding="utf-8", newline="")
        yield from csv.DictReader(text)

