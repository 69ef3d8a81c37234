//! A mock of the Salesforce Bulk API 1.0 (`/services/async/{version}/…`), the OAuth 2.0
//! token endpoint (`/services/oauth2/token`: the refresh-token, JWT bearer and
//! client-credentials grants) and the REST `limits` resource, served over real HTTP on
//! 127.0.0.1.
//!
//! The wire protocol is the real service's: XML control documents (schema order, default
//! namespace, XML declaration) for CSV/XML jobs, JSON for JSON jobs, `400` + `<error>` bodies,
//! `201` for created jobs and batches, batches that move `Queued → InProgress → Completed/Failed`
//! on their own after [`MockConfig::processing_delay`], an in-memory object store for the ingest
//! operations, a small SOQL engine for query batches, PK chunking and ZIP uploads.
//!
//! Deterministic choices where the real service cannot be reproduced:
//!
//! * **Unknown fields and objects.** A field (CSV header, XML element, JSON key, SOQL field) is
//!   unknown when it is not a syntactically valid API name (`[A-Za-z][A-Za-z0-9_]*`, optionally
//!   `Rel.Field` or `Type:Rel.Field`), or when one of its parts contains `bogus` or starts with
//!   `unknown` (case-insensitive). The same rule applies to object names. An unknown CSV header
//!   fails the whole batch (`InvalidBatch : Field name not found : X`); an unknown XML/JSON field
//!   fails that record (`INVALID_FIELD`). A UTF-8 BOM before the CSV header makes the first
//!   header unknown, as on the real service.
//! * **Required fields** on create: Account `Name`, Contact `LastName`, Lead `LastName` and
//!   `Company`, Opportunity `Name`, `StageName` and `CloseDate`, Attachment `Name` and `ParentId`.
//! * **Record ids** carry the object's key prefix (`001` Account, `003` Contact, `00Q` Lead,
//!   `006` Opportunity, `500` Case, `00P` Attachment, `a00` anything else) and grow with every
//!   insert, so ordering by `Id` is insertion order.
//! * **Batch timing.** A batch is `Queued` for the first third of the processing delay, then
//!   `InProgress`, then finishes; the store changes at the moment it finishes. Serial jobs run
//!   their batches one after another.
//!
//! Tests read what the mock did from [`MockServer::requests`] (every request, as received)
//! and [`MockServer::counters`] (faults injected and fired, token grants, batches stored,
//! requests per route).
//!
//! # Layout
//!
//! The modules form layers; each imports only from the layers below it:
//!
//! 1. `handle` (the public [`MockServer`]) → `server` (HTTP, faults; `reply_body`) → `shared`;
//! 2. `router`: path → endpoint, authentication, error format;
//! 3. `endpoints`: one module per resource, each calling the three below;
//! 4. `decode` (read requests), `apply` (change the state), `render` (write answers);
//! 5. `model` (jobs, batches, tokens, counters, clock) and `store` (records);
//! 6. the vocabulary: `formats`, `dates`, `limits`, `schema`, `ids`, `api_error`,
//!    `counters`, `faults`, `config`.

mod api_error;
mod apply;
mod config;
mod counters;
mod dates;
mod decode;
mod endpoints;
mod faults;
mod formats;
mod handle;
mod ids;
mod limits;
mod model;
mod render;
mod reply_body;
mod router;
mod schema;
mod server;
mod shared;
mod store;

pub use config::{MockConfig, PEER_SESSION_TOKEN};
pub use counters::{Counters, FaultKind, JWT_BEARER, Route};
pub use handle::{MockServer, serve_forever, serve_forever_with};
pub use shared::LoggedRequest;
