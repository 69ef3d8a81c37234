//! Wire vocabulary: formats, media types, dates, the replies and the control documents
//! (serde structs in `AsyncApi.xsd` schema order, rendered as XML or JSON).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use http::header::HeaderName;
use quick_xml::events::{BytesDecl, Event};
use serde::Serialize;

/// Namespace of every Bulk API 1.0 XML document.
pub(crate) const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";
/// The XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Largest batch body (after decompression), in bytes.
pub(crate) const MAX_BATCH_BYTES: usize = 10_000_000;

pub(crate) const MEDIA_XML: &str = "application/xml";
pub(crate) const MEDIA_JSON: &str = "application/json";
pub(crate) const MEDIA_CSV: &str = "text/csv";

/// Format of control documents (jobInfo, batchInfo, errors, result lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

/// Format of record data (batch bodies, ingest results, query result files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    Csv,
    Xml,
    Json,
}

impl DataFormat {
    pub(crate) fn media_type(self) -> &'static str {
        match self {
            DataFormat::Csv => MEDIA_CSV,
            DataFormat::Xml => MEDIA_XML,
            DataFormat::Json => MEDIA_JSON,
        }
    }
}

/// A job's `contentType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentType {
    Xml,
    Csv,
    Json,
    ZipXml,
    ZipCsv,
    ZipJson,
}

impl ContentType {
    pub(crate) fn parse(s: &str) -> Option<ContentType> {
        Some(match s {
            "XML" => ContentType::Xml,
            "CSV" => ContentType::Csv,
            "JSON" => ContentType::Json,
            "ZIP_XML" => ContentType::ZipXml,
            "ZIP_CSV" => ContentType::ZipCsv,
            "ZIP_JSON" => ContentType::ZipJson,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ContentType::Xml => "XML",
            ContentType::Csv => "CSV",
            ContentType::Json => "JSON",
            ContentType::ZipXml => "ZIP_XML",
            ContentType::ZipCsv => "ZIP_CSV",
            ContentType::ZipJson => "ZIP_JSON",
        }
    }

    /// JSON and `ZIP_JSON` jobs talk JSON; every other job talks XML.
    pub(crate) fn control_format(self) -> Format {
        match self {
            ContentType::Json | ContentType::ZipJson => Format::Json,
            _ => Format::Xml,
        }
    }

    /// Format of the records (for ZIP jobs: of `request.txt` and of the results).
    pub(crate) fn data_format(self) -> DataFormat {
        match self {
            ContentType::Csv | ContentType::ZipCsv => DataFormat::Csv,
            ContentType::Xml | ContentType::ZipXml => DataFormat::Xml,
            ContentType::Json | ContentType::ZipJson => DataFormat::Json,
        }
    }

    pub(crate) fn is_zip(self) -> bool {
        matches!(
            self,
            ContentType::ZipXml | ContentType::ZipCsv | ContentType::ZipJson
        )
    }

    /// Media type of batch bodies of this job (used to echo `…/request`).
    pub(crate) fn batch_media_type(self) -> &'static str {
        match self {
            ContentType::ZipXml => "zip/xml",
            ContentType::ZipCsv => "zip/csv",
            ContentType::ZipJson => "zip/json",
            other => other.data_format().media_type(),
        }
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// A control document in `format` (`root` names the XML root element).
    pub(crate) fn doc<T: Serialize>(
        status: StatusCode,
        format: Format,
        root: &str,
        doc: &T,
        pretty: bool,
    ) -> Reply {
        match format {
            Format::Xml => match xml_document(root, doc) {
                Ok(body) => Reply::new(status, MEDIA_XML, body),
                Err(err) => Reply::internal(&err),
            },
            Format::Json => Reply::json(status, doc, pretty),
        }
    }

    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, doc: &T, pretty: bool) -> Reply {
        let body = if pretty {
            serde_json::to_vec_pretty(doc)
        } else {
            serde_json::to_vec(doc)
        };
        match body {
            Ok(body) => Reply::new(status, MEDIA_JSON, body),
            Err(err) => Reply::internal(&err.to_string()),
        }
    }

    /// The mock's own failure (should not happen): 500 with a plain-text reason.
    pub(crate) fn internal(reason: &str) -> Reply {
        Reply::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=UTF-8",
            format!("mock salesforce internal error: {reason}").into_bytes(),
        )
    }
}

/// `<?xml …?>` declaration followed by `doc` serialized under `root`.
pub(crate) fn xml_document<T: Serialize>(root: &str, doc: &T) -> Result<Vec<u8>, String> {
    let mut out = xml_declaration();
    let body = quick_xml::se::to_string_with_root(root, doc).map_err(|e| e.to_string())?;
    out.extend_from_slice(body.as_bytes());
    Ok(out)
}

/// `<?xml version="1.0" encoding="UTF-8"?>`.
pub(crate) fn xml_declaration() -> Vec<u8> {
    let mut writer = quick_xml::Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    writer.into_inner()
}

/// A request-level error: HTTP status (400 unless stated) + `exceptionCode`/`exceptionMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_job(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidJob", message)
    }

    pub(crate) fn invalid_batch(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidBatch", message)
    }

    pub(crate) fn invalid_job_state(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidJobState", message)
    }

    pub(crate) fn invalid_session() -> ApiError {
        ApiError::new("InvalidSessionId", "Invalid session id")
    }

    pub(crate) fn invalid_url(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidUrl", message)
    }

    pub(crate) fn reply(&self, format: Format, pretty: bool) -> Reply {
        let doc = ErrorDoc {
            xmlns: xmlns(format),
            exception_code: self.code,
            exception_message: &self.message,
        };
        Reply::doc(self.status, format, "error", &doc, pretty)
    }
}

/// `Some(NS)` for XML root elements, nothing for JSON.
pub(crate) fn xmlns(format: Format) -> Option<&'static str> {
    (format == Format::Xml).then_some(NS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDoc<'a> {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    xmlns: Option<&'static str>,
    exception_code: &'a str,
    exception_message: &'a str,
}

/// `apiVersion`: a string in XML (`62.0`), a number in JSON.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ApiVersion {
    Text(String),
    Number(f64),
}

/// `jobInfo`, elements in schema order; unset optional elements are omitted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobInfoDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    pub id: String,
    pub operation: &'static str,
    pub object: String,
    pub created_by_id: String,
    pub created_date: String,
    pub system_modstamp: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_field_name: Option<String>,
    pub concurrency_mode: &'static str,
    pub content_type: &'static str,
    pub number_batches_queued: u64,
    pub number_batches_in_progress: u64,
    pub number_batches_completed: u64,
    pub number_batches_failed: u64,
    pub number_batches_total: u64,
    pub number_records_processed: u64,
    pub number_retries: u64,
    pub api_version: ApiVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_rule_id: Option<String>,
    pub number_records_failed: u64,
    pub total_processing_time: u64,
    pub api_active_processing_time: u64,
    pub apex_processing_time: u64,
}

/// `batchInfo`, elements in schema order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchInfoDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    pub id: String,
    pub job_id: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    pub created_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_modstamp: Option<String>,
    pub number_records_processed: u64,
    pub number_records_failed: u64,
    pub total_processing_time: u64,
    pub api_active_processing_time: u64,
    pub apex_processing_time: u64,
}

/// `batchInfoList` (XML) / `{"batchInfo":[…]}` (JSON; always an array).
#[derive(Serialize)]
pub(crate) struct BatchInfoListDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    #[serde(rename = "batchInfo")]
    pub batch_info: Vec<BatchInfoDoc>,
}

/// `<result-list>`: ids of the query result files (XML form; JSON is a bare array).
#[derive(Serialize)]
pub(crate) struct ResultListDoc<'a> {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub result: Vec<&'a str>,
}

/// One per-record error of an ingest result.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultErrorDoc {
    pub fields: Vec<String>,
    pub message: String,
    pub status_code: String,
}

/// `<results>` of an ingest batch.
#[derive(Serialize)]
pub(crate) struct ResultsDoc<'a> {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub result: Vec<XmlResultDoc<'a>>,
}

/// `<result>`: `errors`*, `id`?, `success`, `created`.
#[derive(Serialize)]
pub(crate) struct XmlResultDoc<'a> {
    pub errors: &'a [ResultErrorDoc],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    pub success: bool,
    pub created: bool,
}

/// JSON ingest result: `{"success","created","id","errors"}`; `id` is `null` on failure.
#[derive(Serialize)]
pub(crate) struct JsonResultDoc<'a> {
    pub success: bool,
    pub created: bool,
    pub id: Option<&'a str>,
    pub errors: &'a [ResultErrorDoc],
}

/// Date as XML (`…SSSZ`) or JSON (`…SSS+0000`) spells it.
pub(crate) fn format_date(t: SystemTime, format: Format) -> String {
    let (date, time) = date_parts(t);
    let zone = match format {
        Format::Xml => "Z",
        Format::Json => "+0000",
    };
    format!("{date}T{time}{zone}")
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`, the form stored for system date fields.
pub(crate) fn iso_date(t: SystemTime) -> String {
    format_date(t, Format::Xml)
}

fn date_parts(t: SystemTime) -> (String, String) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60,
            since.subsec_millis()
        ),
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of an SOQL/XSD date or dateTime: `yyyy-MM-dd`,
/// `yyyy-MM-ddTHH:mm:ss[.SSS](Z|±HH:mm|±HHmm)`.
pub(crate) fn parse_datetime_millis(s: &str) -> Option<i64> {
    if !s.is_ascii() {
        return None;
    }
    // At most four digits per component: no overflow further down.
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, rest) = match s.split_once('T') {
        Some((date, rest)) => (date, Some(rest)),
        None => (s, None),
    };
    let mut dparts = date.split('-');
    let (y, m, d) = (
        num(dparts.next()?)?,
        num(dparts.next()?)?,
        num(dparts.next()?)?,
    );
    if dparts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = days_from_civil(y, m, d) * 86_400_000;
    let Some(rest) = rest else {
        return Some(day_ms);
    };
    let (clock, offset_ms) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (clock, zone) = rest.split_at(pos);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits = zone[1..].replace(':', "");
        if digits.len() != 4 {
            return None;
        }
        let hours = num(&digits[..2])?;
        let minutes = num(&digits[2..])?;
        (clock, sign * (hours * 60 + minutes) * 60_000)
    } else {
        (rest, 0)
    };
    let (hms, millis) = match clock.split_once('.') {
        Some((hms, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
            let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
            (hms, num(&frac3)?)
        }
        Some(_) => return None,
        None => (clock, 0),
    };
    let mut t = hms.split(':');
    let (h, mi, sec) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(day_ms + ((h * 60 + mi) * 60 + sec) * 1000 + millis - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_millis(1_450_215_705_123);
        assert_eq!(format_date(t, Format::Xml), "2015-12-15T21:41:45.123Z");
        assert_eq!(format_date(t, Format::Json), "2015-12-15T21:41:45.123+0000");
        assert_eq!(
            parse_datetime_millis("2015-12-15T21:41:45.123Z"),
            Some(1_450_215_705_123)
        );
        assert_eq!(
            parse_datetime_millis("2015-12-15T22:41:45.123+01:00"),
            Some(1_450_215_705_123)
        );
        assert_eq!(parse_datetime_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_datetime_millis("Acme"), None);
        assert_eq!(parse_datetime_millis("2020-01-01T00:00:00+1\u{e9}2"), None);
        assert_eq!(parse_datetime_millis("99999999999999999-01-01"), None);
        assert_eq!(parse_datetime_millis("2020-01-01T00:00:00."), None);
    }

    #[test]
    fn error_document_has_declaration_and_namespace() {
        let doc = ErrorDoc {
            xmlns: Some(NS),
            exception_code: "InvalidJob",
            exception_message: "a < b",
        };
        let xml = String::from_utf8(xml_document("error", &doc).unwrap()).unwrap();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error xmlns=\"http://www.force.com/2009/06/asyncapi/dataload\"><exceptionCode>InvalidJob</exceptionCode><exceptionMessage>a &lt; b</exceptionMessage></error>"
        );
    }
}
