"""The package as a user sees it: loads and queries against the org (or the mock) named by
SF_API_URL and SF_ACCESS_TOKEN, in the folder given as the first argument; prints one JSON
report line. tests/integration/packages_python.rs runs it in a fresh venv that installed the
wheel (and checks it with `mypy --strict`), against the mock, and checks the report against
the mock's own state.
"""

import io
import json
import os
import re
import sys
from pathlib import Path

from sfbulk import ApiError, Bulk, InvalidInputError, Progress, SfbulkError, bulk2

work = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
sf = Bulk({"api_version": "62.0", "api_url": os.environ["SF_API_URL"], "access_token": os.environ["SF_ACCESS_TOKEN"]})

# 1. Bulk API 2.0: 2,500 contacts from a file, one without the required LastName, values with a
#    comma, a quote, a line break and non-ASCII; every row's result joined to the input.
rows = ["FirstName,LastName,Description"]
for i in range(1, 2501):
    rows.append("No,,missing last name" if i == 1000 else f'Émile {i},"Zola, ""{i}""","line one\nline two"')
(work / "contacts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
stages: set[str] = set()


def progress(p: Progress) -> None:
    stages.add(p.stage)


loaded = sf.load(work / "contacts.csv", object="Contact", results=work / "contacts.results.csv", on_progress=progress)
results = (work / "contacts.results.csv").read_text(encoding="utf-8")

# 2. Bulk API 1.0: three contacts from a binary file object.
streamed = sf.load(
    io.BytesIO(b"FirstName,LastName\nAda,Lovelace\nGrace,Hopper\nAlan,Turing\n"),
    object="Contact",
    bulk_api=1,
    results=work / "streamed.results.csv",
)

# 3. A query into a file (2.0), and as rows (1.0).
queried = sf.query("SELECT Id, LastName FROM Contact", work / "contacts.out.csv")
last_names = [row["LastName"] for row in sf.query_rows("SELECT Id, LastName FROM Contact", bulk_api=1)]

# 4. One operation, typed, and errors by case.
info: bulk2.JobInfo = sf.get_job_info("ingest", loaded.job_ids[0])
api_error = None
try:
    sf.get_job("750000000000000AAA")
except ApiError as e:
    api_error = {"case": e.case, "code": e.detail["code"]}
invalid = None
try:
    sf.create_ingest_job({"object": "Contact", "operation": "upsert"})
except InvalidInputError as e:
    assert isinstance(e, SfbulkError)
    invalid = e.case

print(
    json.dumps(
        {
            "loaded": vars(loaded),
            "stages": sorted(stages),
            "resultLines": len(results.rstrip("\n").split("\n")),
            "resultIds": re.findall(r"\b003[0-9A-Za-z]{15}\b", results),
            "streamed": vars(streamed),
            "queried": vars(queried),
            "rows": len(last_names),
            "zola7": 'Zola, "7"' in last_names,
            "state": info["state"],
            "processed": info["number_records_processed"],
            "apiError": api_error,
            "invalid": invalid,
        }
    )
)
