//! A mock of the Salesforce Bulk API 1.0 (`/services/async/{version}/…`), the Bulk API 2.0
//! (`/services/data/vXX.X/jobs/ingest|query/…`), the OAuth 2.0 token endpoint
//! (`/services/oauth2/token`: the refresh-token, JWT bearer and client-credentials grants)
//! and the REST `limits` resource, served over real HTTP on
//! 127.0.0.1.
//!
//! The wire protocol is the real service's. Bulk 1.0: XML control documents (schema order,
//! default namespace, XML declaration) for CSV/XML jobs, JSON for JSON jobs, `400` + `<error>`
//! bodies, `201` for created jobs and batches, batches that move `Queued → InProgress →
//! Completed/Failed` on their own after [`MockConfig::processing_delay`], an in-memory object
//! store for the ingest operations, a small SOQL engine for query batches, PK chunking and ZIP
//! uploads. Bulk 2.0 (the fidelity checklist of the project's Bulk 2.0 reference, Part A §8):
//!
//! * **Auth** `Authorization: Bearer` or `OAuth` with the same tokens as 1.0; an expired token
//!   ([`MockServer::expire_access_token`]) gets `401 [{"errorCode":"INVALID_SESSION_ID",…}]`
//!   and a refresh-token grant renews it; no header → `401 INVALID_AUTH_HEADER`. Every error is
//!   the REST JSON array `[{"errorCode","message"}]`; unknown or deleted jobs `404 NOT_FOUND`.
//! * **Ingest**: create → `200 Open` with a relative `contentUrl`; one `PUT …/batches`
//!   (`201`; a second one `400` "Found multiple contents for job…"; on a job that is not
//!   `Open`, `INVALIDJOBSTATE`); `PATCH UploadComplete`/`Aborted` and `DELETE` with the
//!   documented state rules and messages; processing over the mock's clock in internal batches
//!   of 10,000 records (chunks of 200), counters growing while `InProgress`; all six
//!   `columnDelimiter`s and both `lineEnding`s, a line-ending mismatch or a wrong delimiter
//!   failing the job with the service's `errorMessage`; the three result files
//!   (`successfulResults`, `failedResults`, `unprocessedrecords`, any case, trailing slash or
//!   not) with quoted `sf__` columns, the input columns as uploaded and rows in a seeded
//!   shuffled order ([`MockConfig::v2_shuffle_seed`]).
//! * **Query**: create → `200 UploadComplete` (bad SOQL is a `400` at create); results by
//!   `locator` and `maxRecords` (default [`MockConfig::v2_page_rows`]), each page with its
//!   header, `Sforce-NumberOfRecords` and `Sforce-Locator` (opaque, re-fetchable, the text
//!   `null` after the last page); `409` when the URL's API version is not the job's; gzip when
//!   asked; `resultPages` in the documented or the observed shape, or `404`
//!   ([`ResultPagesShape`]).
//! * **Listings** of 1,000 jobs a page with `nextRecordsUrl` (`…?queryLocator=…`), Bulk 1.0
//!   jobs included as `Classic`.
//!
//! Deterministic choices where the real service cannot be reproduced:
//!
//! * **Unknown fields and objects.** A field (CSV header, XML element, JSON key, SOQL field) is
//!   unknown when it is not a syntactically valid API name (`[A-Za-z][A-Za-z0-9_]*`, optionally
//!   `Rel.Field` or `Type:Rel.Field`), or when one of its parts contains `bogus` or starts with
//!   `unknown` (case-insensitive). The same rule applies to object names. An unknown CSV header
//!   fails the whole batch or 2.0 job (`InvalidBatch : Field name not found : X`); an unknown
//!   XML/JSON field fails that record (`INVALID_FIELD`). A UTF-8 BOM before the CSV header
//!   makes the first header unknown, as on the real service.
//! * **Required fields** on create: Account `Name`, Contact `LastName`, Lead `LastName` and
//!   `Company`, Opportunity `Name`, `StageName` and `CloseDate`, Attachment `Name` and `ParentId`.
//! * **Record ids** carry the object's key prefix (`001` Account, `003` Contact, `00Q` Lead,
//!   `006` Opportunity, `500` Case, `00P` Attachment, `a00` anything else) and grow with every
//!   insert, so ordering by `Id` is insertion order.
//! * **Batch timing.** A batch is `Queued` for the first third of the processing delay, then
//!   `InProgress`, then finishes; the store changes at the moment it finishes. Serial jobs run
//!   their batches one after another. A 2.0 job is `UploadComplete` for the first third of the
//!   delay after its close (ingest) or create (query), then `InProgress`; an ingest job's
//!   internal batches finish evenly over the rest of the delay, a query runs at its end.
//! * **Bulk 2.0 details the references leave open** (errors of the mock's own choosing):
//!   a second upload is `400 BULK_API_ERROR`; an upload over the limit (150 MB after base64,
//!   [`MockServer::set_v2_max_upload_bytes`]) `400 LIMIT_EXCEEDED`; results of a query that is
//!   not `JobComplete` `400 INVALIDJOBSTATE`; the version mismatch `409 INVALIDVERSION`; a bad
//!   locator `400 INVALID_QUERY_LOCATOR`; an empty query result is the header alone; a job
//!   closed without an upload fails (`InvalidBatch : Failed to parse CSV header: no columns`);
//!   failed results carry `sf__Id` from API 53.0 on (the row's `Id` for updates and deletes).
//!   Locators are base64 of the row offset (`MTAwMDA` = row 10000, as in the documented
//!   examples); the links `resultPages` hands out also carry the page's row count.
//!
//! Tests read what the mock did from [`MockServer::requests`] (every request, as received)
//! and [`MockServer::counters`] (faults injected and fired, token grants, batches and 2.0
//! uploads stored, 2.0 jobs created, aborted and deleted, requests per route). The 2.0 fault
//! knobs: [`MockServer::fail_nth_request`] (429/503 on the Nth request),
//! [`MockServer::limit_exceeded_next`], [`MockServer::short_page_next`],
//! [`MockServer::slow_v2_jobs`], [`MockServer::fail_next_v2_jobs`] (with or without an
//! `errorMessage`), [`MockServer::fail_next_v2_chunks`]; with those of 1.0 that act on any
//! request: [`MockServer::truncate_next`] (a page cut mid-body),
//! [`MockServer::reset_after_processing_next`] (a lost reply after the upload was stored),
//! [`MockServer::fail_next`], [`MockServer::delay_next`], [`MockServer::hang_next`],
//! [`MockServer::reset_next`]; and [`MockServer::delay_request_holding`] (the request whose
//! body holds some bytes, whichever order requests arrive in).
//!
//! **A simulated WAN** ([`MockConfig::wan`], [`WanLink`]): per-request round trips, a
//! bandwidth cap per connection and direction and the round trips of opening a connection,
//! by a shaping TCP front on the mock's port (plain or TLS); [`MockServer::wan_stats`] counts
//! the connections it carried, the most open at once and the bytes each way. A stand-alone
//! mock answers `GET /__mock/stats` (`?reset` starts a new peak) with those and its request
//! count, unlogged and uncounted, best read on [`MockServer::direct_url`];
//! `DELETE /__mock/jobs` forgets every job and the request log (long benchmarks).
//!
//! # Layout
//!
//! The modules form layers; each imports only from the layers below it:
//!
//! 1. `handle`, `handle_v2` and `handle_wan` (the public [`MockServer`]) → `server` (HTTP,
//!    faults; `admin`: the mock's own `/__mock/` endpoints; `reply_body`; `tls`: plain or TLS connections,
//!    counted) and `wan` (the simulated WAN in front of it) → `shared`;
//! 2. `router` (path → endpoint, Bulk 1.0 authentication and error format) and `router_v2`
//!    (Bulk 2.0 resources, versions, authentication);
//! 3. `endpoints`: one module per resource, each calling the three below;
//! 4. `decode` (read requests), `apply` (change the state; `v2_lifecycle`, `v2_processing`),
//!    `render` (write answers; `v2_docs`, `v2_results`);
//! 5. `model` (jobs, batches, 2.0 jobs, tokens, counters, clock) and `store` (records);
//! 6. the vocabulary: `formats`, `dialect`, `dates`, `limits`, `locators`, `schema`, `ids`,
//!    `api_error`, `rest_error`, `counters`, `faults`, `wan_link`, `config`.

mod admin;
mod api_error;
mod apply;
mod config;
mod counters;
mod dates;
mod decode;
mod dialect;
mod endpoints;
mod faults;
mod formats;
mod handle;
mod handle_v2;
mod handle_wan;
mod ids;
mod limits;
mod locators;
mod model;
mod render;
mod reply_body;
mod rest_error;
mod router;
mod router_v2;
mod schema;
mod server;
mod shared;
mod store;
mod tls;
mod wan;
mod wan_link;

pub use config::{MockConfig, PEER_SESSION_TOKEN, ResultPagesShape};
pub use counters::{Counters, FaultKind, JWT_BEARER, Route};
pub use handle::{MockServer, serve_forever, serve_forever_with};
pub use model::v2job::ChunkFault;
pub use shared::LoggedRequest;
pub use tls::TlsIdentity;
pub use wan_link::{WanLink, WanStats};
