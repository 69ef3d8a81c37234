//! The wire formats of the Bulk API 1.0: parsers for what Salesforce sends and writers for
//! what the client sends.
//!
//! - `control`: one format-neutral value tree that the XML and JSON readers build, and one
//!   conversion from it into the domain types (trim, empty = absent, counters parsed,
//!   `Unknown(..)` for new enum values) that serves XML and JSON alike; the fields of the
//!   job request.
//! - `xml`, `json` and `csv` hold the format-specific parsing and writing (quick-xml's event
//!   reader and a small JSON reader build the tree; csv-core reads CSV, and `csv_scan` reads
//!   whole plain records faster, as csv-core would).
//! - `records` validates a [`RecordSet`] and groups dotted relationship fields.
//! - `zip` checks the layout of a binary-attachment batch.
//!
//! Every function here is pure and panic-free on any input: errors are lowercase `String`
//! details (what was expected, what came) that the protocol layer wraps into
//! [`crate::Error`].

mod control;
mod csv;
mod csv_scan;

pub(crate) use csv::PooledReader;
pub use csv_scan::find_or_line_end;
pub(crate) use csv_scan::{Scan, Span, scan_record, spans_of, unquote};
#[cfg(test)]
mod fixture_tests;
mod json;
mod records;
pub mod v2;
mod xml;
mod zip;

use crate::model::{
    BatchInfo, BatchResults, IngestOutcomes, JobInfo, JobRequest, JobStateChange, RecordFormat,
    RecordSet,
};

/// The Bulk API 1.0 XML namespace (default namespace of every XML document).
pub const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";

/// The XML Schema instance namespace (`xsi:nil`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The largest control document (jobInfo, batchInfo, batchInfoList, error) parsed.
pub const MAX_DOC_BYTES: usize = 8 * 1024 * 1024;

/// The largest batch-result body parsed (10,000 ingest results with long error texts).
pub const MAX_RESULTS_BYTES: usize = 32 * 1024 * 1024;

/// Format of a control document (jobInfo, batchInfo, batchInfoList, error, result lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocFormat {
    /// XML in the [`NS`] namespace.
    Xml,
    /// JSON.
    Json,
}

/// What a `Content-Type` value says about a body, ignoring parameters and case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaKind {
    Xml,
    Json,
    Csv,
    Other,
}

fn media_kind(content_type: Option<&str>) -> MediaKind {
    let Some(value) = content_type else {
        return MediaKind::Other;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.ends_with("/json") || essence.ends_with("+json") {
        MediaKind::Json
    } else if essence.ends_with("/xml") || essence.ends_with("+xml") {
        MediaKind::Xml
    } else if essence.ends_with("/csv") {
        MediaKind::Csv
    } else {
        MediaKind::Other
    }
}

/// The first byte that is not a UTF-8 BOM or ASCII whitespace.
fn first_significant_byte(body: &[u8]) -> Option<u8> {
    strip_bom(body)
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace())
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Checks the size, drops a leading BOM and requires UTF-8.
fn body_text<'a>(body: &'a [u8], limit: usize, what: &str) -> Result<&'a str, String> {
    if body.len() > limit {
        return Err(format!(
            "expected a {what} of at most {limit} bytes, found {} bytes",
            body.len()
        ));
    }
    std::str::from_utf8(strip_bom(body)).map_err(|e| format!("expected a utf-8 {what}, found {e}"))
}

/// By media type (`application/json` → Json, `*/xml` → Xml, ignoring parameters and case);
/// when absent or other, sniff the first non-whitespace byte (`{`/`[` → Json, else Xml).
pub fn detect_format(content_type: Option<&str>, body: &[u8]) -> DocFormat {
    match media_kind(content_type) {
        MediaKind::Json => DocFormat::Json,
        MediaKind::Xml => DocFormat::Xml,
        MediaKind::Csv | MediaKind::Other => match first_significant_byte(body) {
            Some(b'{' | b'[') => DocFormat::Json,
            _ => DocFormat::Xml,
        },
    }
}

/// Reads a `jobInfo` (create, get, close and abort replies). The job must have an `id`.
pub fn parse_job_info(body: &[u8], fmt: DocFormat) -> Result<JobInfo, String> {
    parse_job_info_at_most(body, fmt, MAX_DOC_BYTES)
}

/// [`parse_job_info`] with a size limit of `limit` bytes instead of [`MAX_DOC_BYTES`]: the
/// fuzz target `limits` drives the size guard at small limits with it.
#[doc(hidden)]
pub fn parse_job_info_at_most(
    body: &[u8],
    fmt: DocFormat,
    limit: usize,
) -> Result<JobInfo, String> {
    let text = body_text(body, limit, "jobInfo document")?;
    match fmt {
        DocFormat::Xml => xml::parse_job_info(text),
        DocFormat::Json => json::parse_job_info(text),
    }
}

/// Reads a `batchInfo` (add-batch and get-batch replies). The batch must have an `id`.
pub fn parse_batch_info(body: &[u8], fmt: DocFormat) -> Result<BatchInfo, String> {
    parse_batch_info_at_most(body, fmt, MAX_DOC_BYTES)
}

/// [`parse_batch_info`] with a size limit of `limit` bytes (see [`parse_job_info_at_most`]).
#[doc(hidden)]
pub fn parse_batch_info_at_most(
    body: &[u8],
    fmt: DocFormat,
    limit: usize,
) -> Result<BatchInfo, String> {
    let text = body_text(body, limit, "batchInfo document")?;
    match fmt {
        DocFormat::Xml => xml::parse_batch_info(text),
        DocFormat::Json => json::parse_batch_info(text),
    }
}

/// `<batchInfoList>` with 0, 1 or many `<batchInfo>`; JSON `{"batchInfo":[…]}`, also a single
/// object instead of an array, also `{}`/missing key/`null` = empty, also a bare array.
pub fn parse_batch_list(body: &[u8], fmt: DocFormat) -> Result<Vec<BatchInfo>, String> {
    parse_batch_list_at_most(body, fmt, MAX_DOC_BYTES)
}

/// [`parse_batch_list`] with a size limit of `limit` bytes (see [`parse_job_info_at_most`]).
#[doc(hidden)]
pub fn parse_batch_list_at_most(
    body: &[u8],
    fmt: DocFormat,
    limit: usize,
) -> Result<Vec<BatchInfo>, String> {
    let text = body_text(body, limit, "batchInfoList document")?;
    match fmt {
        DocFormat::Xml => xml::parse_batch_list(text),
        DocFormat::Json => json::parse_batch_list(text),
    }
}

/// `<error>` / `{"exceptionCode","exceptionMessage"}` / Bulk 2.0's (REST's)
/// `[{"errorCode","message"}]` → `Some((code, message))`; anything
/// else (another document, no or empty `exceptionCode`, malformed, too large) → `None`.
/// A missing message reads as the empty string.
pub fn parse_error(body: &[u8], fmt: DocFormat) -> Option<(String, String)> {
    parse_error_at_most(body, fmt, MAX_DOC_BYTES)
}

/// [`parse_error`] with a size limit of `limit` bytes (see [`parse_job_info_at_most`]).
#[doc(hidden)]
pub fn parse_error_at_most(body: &[u8], fmt: DocFormat, limit: usize) -> Option<(String, String)> {
    let text = body_text(body, limit, "error document").ok()?;
    match fmt {
        DocFormat::Xml => xml::parse_error(text),
        DocFormat::Json => json::parse_error(text).or_else(|| v2::parse_error_array(text)),
    }
}

/// Results of `GET …/batch/{id}/result`.
///
/// - Ingest results: CSV (`"Id","Success","Created","Error"`, columns found by name; error
///   text `STATUS_CODE:message:field1,field2 --`, several errors in a row allowed), XML
///   `<results>` (a failed row may have no, an empty or an `xsi:nil` id), JSON array of objects.
/// - Query result ids: XML `<result-list>` (0, 1 or many `<result>`), JSON array of strings.
///
/// The media type decides first (`*/csv` → CSV, `*/json` → JSON, `*/xml` → XML); without one
/// the first byte does (`<` → XML, `{`/`[` → JSON, else CSV). Then the content decides between
/// ingest and query: the XML root element, or the first item of the JSON array.
///
/// An empty JSON array, an empty `<results/>` and an empty CSV body are `Ingest(vec![])`; an
/// empty `<result-list/>` is `Query(vec![])`. (A JSON `[]` carries no hint; both readings mean
/// "nothing", and the caller knows the job's operation if it needs to tell them apart.)
pub fn parse_batch_results(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<BatchResults, String> {
    parse_batch_results_at_most(body, content_type, MAX_RESULTS_BYTES)
}

/// An ingest batch's results as a join reads them ([`IngestOutcomes`]), read straight into
/// one string when the file has Salesforce's own CSV shape (`csv::plain_outcomes`), else by
/// [`parse_batch_results`]; `None` for a query batch's result list.
pub fn parse_batch_outcomes(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<Option<IngestOutcomes>, String> {
    let text = body_text(body, MAX_RESULTS_BYTES, "batch result body")?;
    if matches!(media_kind(content_type), MediaKind::Csv | MediaKind::Other)
        && let Some(outcomes) = csv::plain_outcomes(text)
    {
        return Ok(Some(outcomes));
    }
    Ok(match batch_results_of(text, body, content_type)? {
        BatchResults::Ingest(results) => Some(results.into()),
        BatchResults::Query(_) => None,
    })
}

/// [`parse_batch_results`] with a size limit of `limit` bytes instead of
/// [`MAX_RESULTS_BYTES`] (see [`parse_job_info_at_most`]).
#[doc(hidden)]
pub fn parse_batch_results_at_most(
    body: &[u8],
    content_type: Option<&str>,
    limit: usize,
) -> Result<BatchResults, String> {
    let text = body_text(body, limit, "batch result body")?;
    batch_results_of(text, body, content_type)
}

/// [`parse_batch_results`] of a body already checked as `text`.
fn batch_results_of(
    text: &str,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<BatchResults, String> {
    let kind = match media_kind(content_type) {
        MediaKind::Other => match first_significant_byte(body) {
            Some(b'<') => MediaKind::Xml,
            Some(b'{' | b'[') => MediaKind::Json,
            _ => MediaKind::Csv,
        },
        known => known,
    };
    match kind {
        MediaKind::Json => json::parse_batch_results(text),
        MediaKind::Xml => xml::parse_batch_results(text),
        MediaKind::Csv | MediaKind::Other => csv::parse_results(text).map(BatchResults::Ingest),
    }
}

/// Create-job body: only the writable fields, in schema order (operation, object,
/// externalIdFieldName, concurrencyMode, contentType, assignmentRuleId), absent ones omitted.
///
/// XML: declaration + `<jobInfo xmlns=NS>`; JSON: an object with the same keys. An empty
/// `external_id_field_name` or `assignment_rule_id` counts as absent. Writes what it is
/// given (the protocol layer checked the request); fails only on text XML cannot carry.
pub fn write_job_request(req: &JobRequest, fmt: DocFormat) -> Result<Vec<u8>, String> {
    let fields = control::job_request(req);
    match fmt {
        DocFormat::Xml => xml::write_job_info(&fields),
        DocFormat::Json => Ok(json::write_object(&fields)),
    }
}

/// `<jobInfo xmlns=NS><state>Closed</state></jobInfo>` (with declaration) / `{"state":"Closed"}`.
pub fn write_state_change(state: JobStateChange, fmt: DocFormat) -> Vec<u8> {
    let fields = [("state", state.as_str())];
    match fmt {
        // A fixed ASCII value: writing it cannot fail.
        DocFormat::Xml => xml::write_job_info(&fields).unwrap_or_default(),
        DocFormat::Json => json::write_object(&fields),
    }
}

/// Typed records into a batch body.
///
/// - CSV: header row, then one row per record, `\n` line endings, quoting only when needed
///   (comma, quote, CR/LF, leading or trailing whitespace, a lone empty value); Null → `#N/A`.
/// - XML: `<sObjects>` of `<sObject>`; Null → `xsi:nil="true"`; a CR is written as `&#13;` so it
///   survives XML line-end normalisation.
/// - JSON: array of objects; Null → `null`, numbers as JSON numbers (integral ones without a
///   fraction), booleans as JSON booleans.
///
/// Numbers use the shortest round-trip form, integral values without `.0`, exponent form
/// below 1e-6 or from 1e21 on. Dotted fields (`ReportsTo.Email`) are nested in XML and JSON,
/// several fields of one relationship grouped at the position of the first. Field names must
/// be `[A-Za-z][A-Za-z0-9_]*` per dotted part; CSV also allows a `Type:` prefix before a
/// dotted name (polymorphic relationships). Errors (rows counted from 1): no fields, a bad or
/// duplicate field name, a relationship that is also a plain field, a row of the wrong length,
/// a non-finite number, a character XML 1.0 cannot carry.
pub fn write_records(set: &RecordSet, fmt: RecordFormat) -> Result<Vec<u8>, String> {
    let paths = records::field_paths(&set.fields, fmt == RecordFormat::Csv)?;
    records::check_rows(set)?;
    match fmt {
        RecordFormat::Csv => Ok(csv::write_records(&set.fields, &set.rows)),
        RecordFormat::Xml => {
            xml::write_records(&set.fields, &records::tree(&set.fields, &paths)?, &set.rows)
        }
        RecordFormat::Json => Ok(json::write_records(
            &records::tree(&set.fields, &paths)?,
            &set.rows,
        )),
    }
}

/// Counts the records of a CSV batch body (quoted newlines are part of a value; blank lines
/// are skipped), excluding the header. An empty body counts 0. Errors: not UTF-8, or a row
/// whose number of values differs from the header's.
pub fn count_csv_records(body: &[u8]) -> Result<usize, String> {
    csv::count_records(body)
}

/// Checks an attachment batch: the bytes are a zip archive (End Of Central Directory record,
/// zip64 included, and a well-formed central directory) holding an entry named exactly
/// `request.txt` at the root. Returns the number of entries (directories included).
pub fn check_attachment_zip(zip: &[u8]) -> Result<usize, String> {
    zip::check_attachment_zip(zip)
}

/// A flat JSON object of string fields, in the given order (e.g. a JWT's claims).
pub fn json_object(fields: &[(&str, &str)]) -> Vec<u8> {
    json::write_object(fields)
}

/// The string fields `names` of a JSON object, e.g. an OAuth token reply, read through the
/// same JSON tree as the control documents (no per-struct serde code): a field that is absent
/// or `null` is `None`. Like a serde struct of `Option<String>` fields, the whole reply is
/// `None` when the body is not a JSON object (or larger than [`MAX_DOC_BYTES`]) or when one of
/// the named fields is given twice or is not a string; other fields are ignored.
pub fn json_string_fields<const N: usize>(
    body: &[u8],
    names: [&'static str; N],
) -> Option<[Option<String>; N]> {
    let text = body_text(body, MAX_DOC_BYTES, "json document").ok()?;
    json::string_fields(text, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_format_by_media_type_then_content() {
        assert_eq!(
            detect_format(Some("application/json"), b"<x/>"),
            DocFormat::Json
        );
        assert_eq!(
            detect_format(Some("Application/JSON; charset=UTF-8"), b""),
            DocFormat::Json
        );
        assert_eq!(
            detect_format(Some("application/xml; charset=UTF-8"), b"{}"),
            DocFormat::Xml
        );
        assert_eq!(detect_format(Some("text/xml"), b"{}"), DocFormat::Xml);
        assert_eq!(detect_format(None, b"  \n{\"a\":1}"), DocFormat::Json);
        assert_eq!(detect_format(None, b"\xEF\xBB\xBF[1]"), DocFormat::Json);
        assert_eq!(detect_format(Some("text/plain"), b"[1]"), DocFormat::Json);
        assert_eq!(
            detect_format(None, b"<?xml version=\"1.0\"?><a/>"),
            DocFormat::Xml
        );
        assert_eq!(detect_format(None, b""), DocFormat::Xml);
        assert_eq!(
            detect_format(
                Some("Content-Type: application/xml; charset=UTF-8"),
                b"<a/>"
            ),
            DocFormat::Xml
        );
    }

    #[test]
    fn oversized_documents_are_refused_before_parsing() {
        let mut body = b"<jobInfo><id>750</id>".to_vec();
        body.resize(MAX_DOC_BYTES + 1, b' ');
        let err = parse_job_info(&body, DocFormat::Xml).unwrap_err();
        assert_eq!(
            err,
            format!(
                "expected a jobInfo document of at most {MAX_DOC_BYTES} bytes, found {} bytes",
                MAX_DOC_BYTES + 1
            )
        );
        assert!(parse_error(&body, DocFormat::Xml).is_none());
    }

    #[test]
    fn the_size_guard_takes_its_limit_as_a_parameter() {
        // What the fuzz target `limits` drives at small limits: refused exactly past it.
        let body = br#"{"id":"750","state":"Open"}"#;
        let n = body.len();
        assert!(parse_job_info_at_most(body, DocFormat::Json, n).is_ok());
        let err = parse_job_info_at_most(body, DocFormat::Json, n - 1).unwrap_err();
        assert_eq!(
            err,
            format!(
                "expected a jobInfo document of at most {} bytes, found {n} bytes",
                n - 1
            )
        );
        assert!(
            parse_error_at_most(
                b"<error><exceptionCode>X</exceptionCode></error>",
                DocFormat::Xml,
                10
            )
            .is_none()
        );
        let csv = b"Id,Success,Created,Error\n";
        assert!(parse_batch_results_at_most(csv, None, csv.len()).is_ok());
        assert!(parse_batch_results_at_most(csv, None, csv.len() - 1).is_err());
    }

    #[test]
    fn non_utf8_documents_are_refused() {
        let err =
            parse_batch_info(b"<batchInfo><id>\xff</id></batchInfo>", DocFormat::Xml).unwrap_err();
        assert!(
            err.starts_with("expected a utf-8 batchInfo document, found invalid utf-8"),
            "{err}"
        );
    }

    #[test]
    fn json_string_fields_like_a_struct_of_optional_strings() {
        const NAMES: [&str; 3] = ["access_token", "instance_url", "issued_at"];
        assert_eq!(
            json_string_fields(
                br#"{"access_token":"00D!x","instance_url":"https://x.my.salesforce.com","id":7,"signature":{"a":[1]}}"#,
                NAMES
            ),
            Some([
                Some("00D!x".into()),
                Some("https://x.my.salesforce.com".into()),
                None
            ])
        );
        assert_eq!(
            json_string_fields(br#" {"issued_at":null} "#, NAMES),
            Some([None, None, None])
        );
        for refused in [
            &br#"{"issued_at":1700000000000}"#[..],
            br#"{"access_token":"a","access_token":"b"}"#,
            br#"{"access_token":"a""#,
            b"[]",
            br#""x""#,
            b"<error/>",
            b"",
        ] {
            assert_eq!(json_string_fields(refused, NAMES), None);
        }
    }
}
