//! Golden tests of the protocol core: every request builder (method, full URI, every header,
//! the exact body bytes, and each refusal with its exact message) and every reply parser
//! (each reply shape Salesforce or the token endpoint sends → the typed value or error).
//!
//! Reply bodies come from `tests/fixtures/` (see its README) or are written inline when
//! the shape is the point of the test.

use std::io::Write;

use http::{Method, Request, Response};

use super::*;
use crate::error::Error;
use crate::model::{
    BatchInfo, BatchResults, BatchState, ConcurrencyMode, ContentType, FieldValue, JobInfo,
    JobRequest, JobState, JobStateChange, LineEnding, Operation, PkChunking, RecordError,
    RecordResult, RecordSet,
};
use crate::wire::DocFormat;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/", $name)).as_slice()
    };
}

// ---- shared values and helpers -----------------------------------------------------------

/// An access token shaped like Salesforce's (`!` and `.` included).
const TOKEN: &str = "00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxn";
const JOB: &str = "750D00000004SkLIAU";
const BATCH: &str = "751D00000004YGZIA2";
const RESULT: &str = "752x00000004CJE";
const BASE: &str = "https://na1.salesforce.com/services/async/59.0";
const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";
const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const XML_DOC: &str = "application/xml; charset=UTF-8";

fn call_options() -> String {
    format!("client=sfbulk/{}", env!("CARGO_PKG_VERSION"))
}

fn ep() -> Endpoint {
    Endpoint::new("https://na1.salesforce.com", "59.0", TOKEN).unwrap()
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.to_string())
}

/// `<jobInfo xmlns=NS>inner</jobInfo>` with the declaration, as the client writes it.
fn job_xml(inner: &str) -> String {
    format!(r#"{XML_DECL}<jobInfo xmlns="{NS}">{inner}</jobInfo>"#)
}

/// Every header of a request as sorted `(name, value)` pairs.
fn headers_of(req: &Request<Vec<u8>>) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    all.sort();
    all
}

/// The headers every Bulk API request carries, plus `content_type` and `extra`, sorted.
fn bulk_headers(content_type: Option<&str>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vec![
        ("x-sfdc-session".to_string(), TOKEN.to_string()),
        ("sforce-call-options".to_string(), call_options()),
        ("accept-encoding".to_string(), "gzip".to_string()),
    ];
    if let Some(ct) = content_type {
        all.push(("content-type".to_string(), ct.to_string()));
    }
    all.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    all.sort();
    all
}

/// Asserts a Bulk API request whole: method, URI, every header (the session one marked
/// sensitive) and the body bytes.
fn assert_bulk(
    req: &Request<Vec<u8>>,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
    body: &[u8],
) {
    assert_eq!(req.method(), method, "method of {uri}");
    assert_eq!(req.uri().to_string(), uri);
    assert_eq!(headers_of(req), bulk_headers(content_type, extra), "{uri}");
    assert!(
        req.headers()["x-sfdc-session"].is_sensitive(),
        "the session header of {uri} must be marked sensitive"
    );
    assert_eq!(
        String::from_utf8_lossy(req.body()),
        String::from_utf8_lossy(body),
        "body of {uri}"
    );
    assert_eq!(req.body().as_slice(), body, "body bytes of {uri}");
}

fn reply(status: u16, content_type: Option<&str>, body: &[u8]) -> Response<Vec<u8>> {
    let mut b = Response::builder().status(status);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.to_vec()).unwrap()
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body).unwrap();
    enc.finish().unwrap()
}

/// The reply with its body gzipped and `Content-Encoding: gzip`.
fn gzipped(status: u16, content_type: Option<&str>, body: &[u8]) -> Response<Vec<u8>> {
    let mut resp = reply(status, content_type, &gzip(body));
    resp.headers_mut()
        .insert("content-encoding", "gzip".parse().unwrap());
    resp
}

fn unexpected(status: u16, content_type: Option<&str>, detail: &str, excerpt: &str) -> Error {
    Error::UnexpectedResponse {
        status,
        content_type: content_type.map(str::to_string),
        detail: detail.to_string(),
        excerpt: excerpt.to_string(),
    }
}

fn api(status: u16, code: &str, message: &str) -> Error {
    Error::Api {
        status,
        code: code.to_string(),
        message: message.to_string(),
    }
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.to_string())
}

// ---- endpoint: base URL, API version, token --------------------------------------------

#[test]
fn endpoint_builds_the_bulk_base_from_scheme_host_port_prefix_and_normalised_version() {
    let cases = [
        (
            "https://na1.salesforce.com",
            "59",
            "https://na1.salesforce.com",
            "https://na1.salesforce.com/services/async/59.0",
        ),
        (
            "https://na1.salesforce.com/",
            "59.0",
            "https://na1.salesforce.com",
            "https://na1.salesforce.com/services/async/59.0",
        ),
        (
            " https://acme.my.salesforce.com:8443/proxy/sf/ ",
            " 61.5 ",
            "https://acme.my.salesforce.com:8443/proxy/sf",
            "https://acme.my.salesforce.com:8443/proxy/sf/services/async/61.5",
        ),
        (
            "http://127.0.0.1:8080",
            "7",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/services/async/7.0",
        ),
        (
            "http://localhost:3000/mock",
            "100",
            "http://localhost:3000/mock",
            "http://localhost:3000/mock/services/async/100.0",
        ),
        (
            "http://[::1]:9000",
            "59.0",
            "http://[::1]:9000",
            "http://[::1]:9000/services/async/59.0",
        ),
    ];
    for (url, version, instance, base) in cases {
        let ep = Endpoint::new(url, version, TOKEN).unwrap();
        assert_eq!(ep.instance_url(), instance, "{url}");
        assert_eq!(ep.base_url(), base, "{url}");
        assert_eq!(ep.token(), TOKEN);
        let req = get_job(&ep, JOB).unwrap();
        assert_eq!(req.uri().to_string(), format!("{base}/job/{JOB}"), "{url}");
    }
}

#[test]
fn endpoint_refuses_bad_urls_versions_and_tokens_with_exact_messages() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "not a url",
            "59.0",
            TOKEN,
            r#"api-url is not a url: expected https://host, got "not a url""#,
        ),
        (
            "ftp://na1.salesforce.com",
            "59.0",
            TOKEN,
            r#"api-url must start with https:// (got "ftp://na1.salesforce.com")"#,
        ),
        (
            "na1.salesforce.com",
            "59.0",
            TOKEN,
            r#"api-url must start with https:// (got "na1.salesforce.com")"#,
        ),
        (
            "/services/async",
            "59.0",
            TOKEN,
            r#"api-url must start with https:// (got "/services/async")"#,
        ),
        (
            "http://na1.salesforce.com",
            "59.0",
            TOKEN,
            r#"api-url uses http:// for non-loopback host "na1.salesforce.com"; only https:// is allowed there"#,
        ),
        (
            "http://128.0.0.1:8080",
            "59.0",
            TOKEN,
            r#"api-url uses http:// for non-loopback host "128.0.0.1"; only https:// is allowed there"#,
        ),
        (
            "http://127.0.0.1.example.com",
            "59.0",
            TOKEN,
            r#"api-url uses http:// for non-loopback host "127.0.0.1.example.com"; only https:// is allowed there"#,
        ),
        (
            "https://admin:hunter2@na1.salesforce.com",
            "59.0",
            TOKEN,
            "api-url must not carry user info",
        ),
        (
            "http://admin:hunter2@localhost:8080",
            "59.0",
            TOKEN,
            "api-url must not carry user info",
        ),
        (
            "https://na1.salesforce.com/?sid=1",
            "59.0",
            TOKEN,
            "api-url must not have a query string",
        ),
        (
            "https://na1.salesforce.com",
            "v59",
            TOKEN,
            r#"api-version must look like 59.0, got "v59""#,
        ),
        (
            "https://na1.salesforce.com",
            "59.00",
            TOKEN,
            r#"api-version must look like 59.0, got "59.00""#,
        ),
        (
            "https://na1.salesforce.com",
            "59.",
            TOKEN,
            r#"api-version must look like 59.0, got "59.""#,
        ),
        (
            "https://na1.salesforce.com",
            "1000",
            TOKEN,
            r#"api-version must look like 59.0, got "1000""#,
        ),
        (
            "https://na1.salesforce.com",
            "",
            TOKEN,
            r#"api-version must look like 59.0, got """#,
        ),
        (
            "https://na1.salesforce.com",
            "59.0/../../x",
            TOKEN,
            r#"api-version must look like 59.0, got "59.0/../../x""#,
        ),
        (
            "https://na1.salesforce.com",
            "59.0",
            "",
            "access token is empty",
        ),
        (
            "https://na1.salesforce.com",
            "59.0",
            "00D x",
            "access token contains spaces or non-printable characters",
        ),
        (
            "https://na1.salesforce.com",
            "59.0",
            "00D\tx",
            "access token contains spaces or non-printable characters",
        ),
        (
            "https://na1.salesforce.com",
            "59.0",
            "00D\r\nX-Evil: 1",
            "access token contains spaces or non-printable characters",
        ),
        (
            "https://na1.salesforce.com",
            "59.0",
            "00Dé",
            "access token contains spaces or non-printable characters",
        ),
    ];
    for &(url, version, token, message) in cases {
        assert_eq!(
            Endpoint::new(url, version, token),
            Err(invalid(message)),
            "{url} {version} {token:?}"
        );
    }
}

#[test]
fn endpoint_never_echoes_the_user_info_of_a_refused_url() {
    for url in [
        "ftp://admin:hunter2@na1.salesforce.com",
        "https://admin:hunter2@na1 .salesforce.com",
    ] {
        let err = Endpoint::new(url, "59.0", TOKEN).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
}

// ---- create-job ------------------------------------------------------------------------

#[test]
fn create_job_for_a_csv_insert_posts_only_the_given_fields_as_xml() {
    let mut req = JobRequest::new(Operation::Insert, "Account");
    req.content_type = Some(ContentType::Csv);
    let http = create_job(&ep(), &req).unwrap();
    assert_bulk(
        &http,
        Method::POST,
        &format!("{BASE}/job"),
        Some(XML_DOC),
        &[],
        job_xml(
            "<operation>insert</operation><object>Account</object><contentType>CSV</contentType>",
        )
        .as_bytes(),
    );
}

#[test]
fn create_job_without_a_content_type_sends_xml_without_a_content_type_element() {
    let req = JobRequest::new(Operation::Delete, "Contact");
    let http = create_job(&ep(), &req).unwrap();
    assert_bulk(
        &http,
        Method::POST,
        &format!("{BASE}/job"),
        Some(XML_DOC),
        &[],
        job_xml("<operation>delete</operation><object>Contact</object>").as_bytes(),
    );
}

#[test]
fn create_job_for_an_xml_upsert_with_every_option_sends_every_field_in_schema_order_and_every_header()
 {
    let req = JobRequest {
        operation: Operation::Upsert,
        object: "Lead".into(),
        content_type: Some(ContentType::Xml),
        external_id_field_name: Some("Ext_Id__c".into()),
        concurrency_mode: Some(ConcurrencyMode::Serial),
        assignment_rule_id: Some("01Q5000000ABCDE".into()),
        pk_chunking: None,
        disable_batch_retry: true,
        line_ending: Some(LineEnding::Crlf),
    };
    let http = create_job(&ep(), &req).unwrap();
    assert_bulk(
        &http,
        Method::POST,
        &format!("{BASE}/job"),
        Some(XML_DOC),
        &[
            ("sforce-disable-batch-retry", "TRUE"),
            ("sforce-line-ending", "CRLF"),
        ],
        job_xml(
            "<operation>upsert</operation><object>Lead</object>\
             <externalIdFieldName>Ext_Id__c</externalIdFieldName>\
             <concurrencyMode>Serial</concurrencyMode><contentType>XML</contentType>\
             <assignmentRuleId>01Q5000000ABCDE</assignmentRuleId>",
        )
        .as_bytes(),
    );
}

#[test]
fn create_job_for_a_json_upsert_sends_a_json_object_as_application_json() {
    let mut req = JobRequest::new(Operation::Upsert, "Contact");
    req.content_type = Some(ContentType::Json);
    req.external_id_field_name = Some("Email__c".into());
    req.concurrency_mode = Some(ConcurrencyMode::Parallel);
    req.assignment_rule_id = Some("01Q5000000ABCDEFGH".into());
    req.line_ending = Some(LineEnding::Lf);
    let http = create_job(&ep(), &req).unwrap();
    assert_bulk(
        &http,
        Method::POST,
        &format!("{BASE}/job"),
        Some("application/json"),
        &[("sforce-line-ending", "LF")],
        br#"{"operation":"upsert","object":"Contact","externalIdFieldName":"Email__c","concurrencyMode":"Parallel","contentType":"JSON","assignmentRuleId":"01Q5000000ABCDEFGH"}"#,
    );
}

#[test]
fn create_job_writes_json_for_json_and_zip_json_jobs_and_xml_for_the_others() {
    let cases = [
        (ContentType::Xml, false),
        (ContentType::Csv, false),
        (ContentType::Json, true),
        (ContentType::ZipXml, false),
        (ContentType::ZipCsv, false),
        (ContentType::ZipJson, true),
    ];
    for (ct, json) in cases {
        let mut req = JobRequest::new(Operation::Insert, "Attachment");
        req.content_type = Some(ct.clone());
        let http = create_job(&ep(), &req).unwrap();
        let (media, body) = if json {
            (
                "application/json",
                format!(r#"{{"operation":"insert","object":"Attachment","contentType":"{ct}"}}"#),
            )
        } else {
            (
                XML_DOC,
                job_xml(&format!(
                    "<operation>insert</operation><object>Attachment</object><contentType>{ct}</contentType>"
                )),
            )
        };
        assert_bulk(
            &http,
            Method::POST,
            &format!("{BASE}/job"),
            Some(media),
            &[],
            body.as_bytes(),
        );
    }
}

#[test]
fn create_job_writes_every_known_operation_as_salesforce_spells_it() {
    for (op, wire) in [
        (Operation::Insert, "insert"),
        (Operation::Update, "update"),
        (Operation::Delete, "delete"),
        (Operation::HardDelete, "hardDelete"),
        (Operation::Query, "query"),
        (Operation::QueryAll, "queryAll"),
    ] {
        let mut req = JobRequest::new(op, "Account");
        req.content_type = Some(ContentType::Json);
        let http = create_job(&ep(), &req).unwrap();
        assert_eq!(
            http.body().as_slice(),
            format!(r#"{{"operation":"{wire}","object":"Account","contentType":"JSON"}}"#)
                .as_bytes()
        );
    }
}

#[test]
fn create_job_for_a_query_sends_each_pk_chunking_header_form() {
    let id = "00130000000xEftMGH";
    let cases = [
        (PkChunking::default(), "TRUE".to_string()),
        (
            PkChunking {
                chunk_size: Some(50_000),
                ..PkChunking::default()
            },
            "chunkSize=50000".to_string(),
        ),
        (
            PkChunking {
                chunk_size: Some(1),
                ..PkChunking::default()
            },
            "chunkSize=1".to_string(),
        ),
        (
            PkChunking {
                chunk_size: Some(MAX_PK_CHUNK_SIZE),
                start_row: Some(id.into()),
                ..PkChunking::default()
            },
            format!("chunkSize=250000; startRow={id}"),
        ),
        (
            PkChunking {
                start_row: Some(id.into()),
                ..PkChunking::default()
            },
            format!("startRow={id}"),
        ),
        (
            PkChunking {
                parent: Some("Account".into()),
                ..PkChunking::default()
            },
            "parent=Account".to_string(),
        ),
        (
            PkChunking {
                chunk_size: Some(10_000),
                start_row: Some(id.into()),
                parent: Some("Account".into()),
            },
            format!("chunkSize=10000; startRow={id}; parent=Account"),
        ),
    ];
    for op in [Operation::Query, Operation::QueryAll] {
        for (pk, header) in &cases {
            let mut req = JobRequest::new(op.clone(), "AccountShare");
            req.content_type = Some(ContentType::Csv);
            req.pk_chunking = Some(pk.clone());
            req.disable_batch_retry = true;
            let http = create_job(&ep(), &req).unwrap();
            assert_bulk(
                &http,
                Method::POST,
                &format!("{BASE}/job"),
                Some(XML_DOC),
                &[
                    ("sforce-enable-pkchunking", header),
                    ("sforce-disable-batch-retry", "TRUE"),
                ],
                job_xml(&format!(
                    "<operation>{op}</operation><object>AccountShare</object><contentType>CSV</contentType>"
                ))
                .as_bytes(),
            );
        }
    }
}

#[test]
fn create_job_on_a_loopback_http_endpoint_keeps_scheme_port_and_prefix() {
    let ep = Endpoint::new("http://127.0.0.1:8080/mock/", "59", TOKEN).unwrap();
    let http = create_job(&ep, &JobRequest::new(Operation::Insert, "Account")).unwrap();
    assert_eq!(
        http.uri().to_string(),
        "http://127.0.0.1:8080/mock/services/async/59.0/job"
    );
}

#[test]
fn create_job_refuses_each_invalid_request_with_its_exact_message() {
    type Edit = fn(&mut JobRequest);
    let cases: &[(Edit, &str)] = &[
        (
            |r| r.operation = Operation::Unknown("merge".into()),
            r#"unknown operation "merge": expected insert, update, upsert, delete, hardDelete, query or queryAll"#,
        ),
        (
            // Operations are case-sensitive on the wire.
            |r| r.operation = Operation::from_wire("Insert"),
            r#"unknown operation "Insert": expected insert, update, upsert, delete, hardDelete, query or queryAll"#,
        ),
        (
            |r| r.object = String::new(),
            r#"object must be an API name like Contact or My_Object__c, got """#,
        ),
        (
            |r| r.object = "Account Name".into(),
            r#"object must be an API name like Contact or My_Object__c, got "Account Name""#,
        ),
        (
            |r| r.object = "1Account".into(),
            r#"object must be an API name like Contact or My_Object__c, got "1Account""#,
        ),
        (
            |r| r.object = "Account</object><x>".into(),
            r#"object must be an API name like Contact or My_Object__c, got "Account</object><x>""#,
        ),
        (
            |r| r.object = "A".repeat(256),
            r#"object must be an API name like Contact or My_Object__c, got "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA""#,
        ),
        (
            |r| r.content_type = Some(ContentType::Unknown("PARQUET".into())),
            r#"unknown content type "PARQUET": expected XML, CSV, JSON, ZIP_XML, ZIP_CSV or ZIP_JSON"#,
        ),
        (
            |r| r.concurrency_mode = Some(ConcurrencyMode::Unknown("Fast".into())),
            r#"unknown concurrency mode "Fast": expected Parallel or Serial"#,
        ),
        (
            |r| r.operation = Operation::Upsert,
            "upsert needs an external id field name",
        ),
        (
            |r| {
                r.operation = Operation::Upsert;
                r.external_id_field_name = Some(String::new());
            },
            "upsert needs an external id field name",
        ),
        (
            |r| {
                r.operation = Operation::Upsert;
                r.external_id_field_name = Some("Email c".into());
            },
            r#"external id field name must be an API name like Contact or My_Object__c, got "Email c""#,
        ),
        (
            |r| r.external_id_field_name = Some("Email__c".into()),
            "an external id field name is only for upsert, not insert",
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.external_id_field_name = Some("Email__c".into());
            },
            "an external id field name is only for upsert, not query",
        ),
        (
            |r| r.assignment_rule_id = Some("01Q500".into()),
            r#"assignment rule id must be 15 or 18 letters and digits, got "01Q500""#,
        ),
        (
            |r| r.assignment_rule_id = Some("01Q5000000ABCD!".into()),
            r#"assignment rule id must be 15 or 18 letters and digits, got "01Q5000000ABCD!""#,
        ),
        (
            |r| r.pk_chunking = Some(PkChunking::default()),
            "pk chunking is only for query and queryAll jobs, not insert",
        ),
        (
            |r| {
                r.operation = Operation::Delete;
                r.pk_chunking = Some(PkChunking::default());
            },
            "pk chunking is only for query and queryAll jobs, not delete",
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.pk_chunking = Some(PkChunking {
                    chunk_size: Some(0),
                    ..PkChunking::default()
                });
            },
            "pk chunk size must be 1 to 250000, got 0",
        ),
        (
            |r| {
                r.operation = Operation::QueryAll;
                r.pk_chunking = Some(PkChunking {
                    chunk_size: Some(250_001),
                    ..PkChunking::default()
                });
            },
            "pk chunk size must be 1 to 250000, got 250001",
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.pk_chunking = Some(PkChunking {
                    start_row: Some("001; chunkSize=1".into()),
                    ..PkChunking::default()
                });
            },
            r#"pk chunking start row must be 15 or 18 letters and digits, got "001; chunkSize=1""#,
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.pk_chunking = Some(PkChunking {
                    parent: Some("Account; chunkSize=1".into()),
                    ..PkChunking::default()
                });
            },
            r#"pk chunking parent must be an API name like Contact or My_Object__c, got "Account; chunkSize=1""#,
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.content_type = Some(ContentType::ZipCsv);
            },
            "query jobs cannot use a zip content type",
        ),
        (
            |r| {
                r.operation = Operation::QueryAll;
                r.content_type = Some(ContentType::ZipJson);
            },
            "query jobs cannot use a zip content type",
        ),
        (
            |r| {
                r.operation = Operation::Query;
                r.content_type = Some(ContentType::ZipXml);
            },
            "query jobs cannot use a zip content type",
        ),
    ];
    for (edit, message) in cases {
        let mut req = JobRequest::new(Operation::Insert, "Account");
        edit(&mut req);
        assert_eq!(
            create_job(&ep(), &req).map(|_| ()),
            Err(invalid(message)),
            "{req:?}"
        );
    }
}

// ---- update-job ------------------------------------------------------------------------

#[test]
fn update_job_posts_only_the_new_state_as_xml_or_json() {
    let uri = format!("{BASE}/job/{JOB}");
    let cases = [
        (
            JobStateChange::Closed,
            DocFormat::Xml,
            XML_DOC,
            job_xml("<state>Closed</state>"),
        ),
        (
            JobStateChange::Aborted,
            DocFormat::Xml,
            XML_DOC,
            job_xml("<state>Aborted</state>"),
        ),
        (
            JobStateChange::Closed,
            DocFormat::Json,
            "application/json",
            r#"{"state":"Closed"}"#.to_string(),
        ),
        (
            JobStateChange::Aborted,
            DocFormat::Json,
            "application/json",
            r#"{"state":"Aborted"}"#.to_string(),
        ),
    ];
    for (state, fmt, media, body) in cases {
        let http = update_job(&ep(), JOB, state, fmt).unwrap();
        assert_bulk(&http, Method::POST, &uri, Some(media), &[], body.as_bytes());
    }
}

#[test]
fn doc_format_is_json_only_for_json_and_zip_json_jobs() {
    let cases = [
        (None, DocFormat::Xml),
        (Some(ContentType::Xml), DocFormat::Xml),
        (Some(ContentType::Csv), DocFormat::Xml),
        (Some(ContentType::ZipXml), DocFormat::Xml),
        (Some(ContentType::ZipCsv), DocFormat::Xml),
        (Some(ContentType::Unknown("PARQUET".into())), DocFormat::Xml),
        (Some(ContentType::Json), DocFormat::Json),
        (Some(ContentType::ZipJson), DocFormat::Json),
    ];
    for (ct, fmt) in cases {
        assert_eq!(doc_format(ct.as_ref()), fmt, "{ct:?}");
    }
}

// ---- the GET requests ------------------------------------------------------------------

#[test]
fn each_get_request_has_its_path_no_content_type_and_no_body() {
    let ep = ep();
    let cases = [
        (get_job(&ep, JOB), format!("/job/{JOB}")),
        (list_batches(&ep, JOB), format!("/job/{JOB}/batch")),
        (
            get_batch(&ep, JOB, BATCH),
            format!("/job/{JOB}/batch/{BATCH}"),
        ),
        (
            get_batch_request(&ep, JOB, BATCH),
            format!("/job/{JOB}/batch/{BATCH}/request"),
        ),
        (
            get_batch_results(&ep, JOB, BATCH),
            format!("/job/{JOB}/batch/{BATCH}/result"),
        ),
        (
            get_query_result(&ep, JOB, BATCH, RESULT),
            format!("/job/{JOB}/batch/{BATCH}/result/{RESULT}"),
        ),
    ];
    for (req, path) in cases {
        assert_bulk(
            &req.unwrap(),
            Method::GET,
            &format!("{BASE}{path}"),
            None,
            &[],
            b"",
        );
    }
}

#[test]
fn every_builder_refuses_a_bad_job_batch_or_result_id_before_building() {
    let ep = ep();
    let bad_ids = [
        "",
        "750D00000004Sk",      // 14
        "750D00000004SkLI",    // 16
        "750D00000004SkLIAUX", // 19
        "750D00000004SkL!AU",
        "750D0000/../batch",
        "750D00000004SkLIA ",
        "750D00000004SkLIAé",
        "750D00000004SkLIAU?x=1",
    ];
    let message = |what: &str, id: &str| {
        invalid(&format!(
            "{what} must be 15 or 18 letters and digits, got {id:?}"
        ))
    };
    let body = || BatchBody {
        media_type: "text/csv".into(),
        data: bytes::Bytes::from_static(b"Name\nAcme\n"),
    };
    // The 15-character form is valid everywhere.
    let short = "750D00000004SkL";
    assert_eq!(
        get_query_result(&ep, short, short, short)
            .unwrap()
            .uri()
            .to_string(),
        format!("{BASE}/job/{short}/batch/{short}/result/{short}")
    );
    for id in bad_ids {
        let job_err = message("job id", id);
        assert_eq!(get_job(&ep, id).map(|_| ()), Err(job_err.clone()), "{id:?}");
        assert_eq!(list_batches(&ep, id).map(|_| ()), Err(job_err.clone()));
        assert_eq!(
            update_job(&ep, id, JobStateChange::Closed, DocFormat::Xml).map(|_| ()),
            Err(job_err.clone())
        );
        assert_eq!(
            add_batch(&ep, id, &body()).map(|_| ()),
            Err(job_err.clone())
        );
        assert_eq!(get_batch(&ep, id, BATCH).map(|_| ()), Err(job_err.clone()));
        assert_eq!(
            get_batch_request(&ep, id, BATCH).map(|_| ()),
            Err(job_err.clone())
        );
        assert_eq!(
            get_batch_results(&ep, id, BATCH).map(|_| ()),
            Err(job_err.clone())
        );
        assert_eq!(
            get_query_result(&ep, id, BATCH, RESULT).map(|_| ()),
            Err(job_err)
        );
        let batch_err = message("batch id", id);
        assert_eq!(get_batch(&ep, JOB, id).map(|_| ()), Err(batch_err.clone()));
        assert_eq!(
            get_batch_request(&ep, JOB, id).map(|_| ()),
            Err(batch_err.clone())
        );
        assert_eq!(
            get_batch_results(&ep, JOB, id).map(|_| ()),
            Err(batch_err.clone())
        );
        assert_eq!(
            get_query_result(&ep, JOB, id, RESULT).map(|_| ()),
            Err(batch_err)
        );
        assert_eq!(
            get_query_result(&ep, JOB, BATCH, id).map(|_| ()),
            Err(message("result id", id))
        );
    }
}

#[test]
fn a_refused_id_is_shown_cut_to_forty_characters() {
    let long = "7".repeat(100);
    assert_eq!(
        get_job(&ep(), &long).map(|_| ()),
        Err(invalid(&format!(
            "job id must be 15 or 18 letters and digits, got \"{}\"",
            "7".repeat(40)
        )))
    );
}

#[test]
fn ids_and_names_follow_the_salesforce_shapes() {
    for id in ["750D00000004SkL", "750D00000004SkLIAU", "aaaaaaaaaaaaaaa"] {
        assert_eq!(validate_id("job id", id), Ok(()), "{id}");
    }
    for name in ["Account", "My_Obj__c", "ns__Obj__c", "a", &"A".repeat(255)] {
        assert_eq!(validate_name("object", name), Ok(()), "{name}");
    }
    for name in [
        "", "_Account", "1Account", "Acc-ount", "Acc.ount", "Accoünt",
    ] {
        assert_eq!(
            validate_name("object", name),
            Err(invalid(&format!(
                "object must be an API name like Contact or My_Object__c, got {name:?}"
            ))),
            "{name}"
        );
    }
}

// ---- batch bodies and add-batch --------------------------------------------------------

/// `batch_body` then `add_batch`, asserting the request whole.
fn assert_add_batch(body: BatchBody, media: &str, data: &[u8]) {
    assert_eq!(body.media_type, media);
    let http = add_batch(&ep(), JOB, &body).unwrap().map(|b| b.to_vec());
    assert_bulk(
        &http,
        Method::POST,
        &format!("{BASE}/job/{JOB}/batch"),
        Some(media),
        &[],
        data,
    );
}

fn raw(media_type: &str, data: &[u8]) -> BatchContent {
    BatchContent::Raw {
        media_type: media_type.to_string(),
        data: data.to_vec(),
    }
}

#[test]
fn add_batch_sends_raw_csv_xml_and_json_bodies_as_given_with_their_media_type() {
    let insert = Some(&Operation::Insert);
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="{NS}"><sObject><Name>Acme</Name></sObject></sObjects>"#
    );
    let cases: [(&str, &[u8], ContentType); 5] = [
        (
            "text/csv; charset=UTF-8",
            b"Name,Phone\r\n\"Acme, Inc.\",555\r\nGlobex,\r\n",
            ContentType::Csv,
        ),
        ("text/csv", b"Name\nAcme", ContentType::Csv),
        ("application/xml", xml.as_bytes(), ContentType::Xml),
        (
            "Application/XML; charset=UTF-8",
            xml.as_bytes(),
            ContentType::Xml,
        ),
        (
            "application/json",
            br#"[{"Name":"Acme"}]"#,
            ContentType::Json,
        ),
    ];
    for (media, data, job) in cases {
        let body = batch_body(raw(media, data), &job, insert).unwrap();
        assert_add_batch(body, media, data);
    }
}

#[test]
fn add_batch_sends_an_attachment_zip_as_is() {
    let zip = fixture!("attachments.zip");
    for (media, job) in [
        ("zip/csv", ContentType::ZipCsv),
        ("zip/xml", ContentType::ZipXml),
        ("zip/json", ContentType::ZipJson),
    ] {
        let body = batch_body(raw(media, zip), &job, Some(&Operation::Insert)).unwrap();
        assert_add_batch(body, media, zip);
    }
}

#[test]
fn add_batch_writes_typed_records_in_the_job_format() {
    let set = RecordSet {
        fields: vec![
            "Name".into(),
            "Phone".into(),
            "Active__c".into(),
            "NumberOfEmployees".into(),
            "Description".into(),
        ],
        rows: vec![
            vec![
                text("Acme, Inc."),
                FieldValue::Null,
                FieldValue::Boolean(true),
                FieldValue::Number(250.0),
                text("say \"hi\" & <wave>"),
            ],
            vec![
                text("Globex"),
                text("555"),
                FieldValue::Boolean(false),
                FieldValue::Number(1.5),
                FieldValue::Null,
            ],
        ],
    };
    let csv = "Name,Phone,Active__c,NumberOfEmployees,Description\n\
               \"Acme, Inc.\",#N/A,true,250,\"say \"\"hi\"\" & <wave>\"\n\
               Globex,555,false,1.5,#N/A\n";
    let xml = format!(
        r#"{XML_DECL}<sObjects xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sObject><Name>Acme, Inc.</Name><Phone xsi:nil="true"/><Active__c>true</Active__c><NumberOfEmployees>250</NumberOfEmployees><Description>say "hi" &amp; &lt;wave&gt;</Description></sObject><sObject><Name>Globex</Name><Phone>555</Phone><Active__c>false</Active__c><NumberOfEmployees>1.5</NumberOfEmployees><Description xsi:nil="true"/></sObject></sObjects>"#
    );
    let json = r#"[{"Name":"Acme, Inc.","Phone":null,"Active__c":true,"NumberOfEmployees":250,"Description":"say \"hi\" & <wave>"},{"Name":"Globex","Phone":"555","Active__c":false,"NumberOfEmployees":1.5,"Description":null}]"#;
    let cases = [
        (ContentType::Csv, "text/csv", csv.to_string()),
        (ContentType::Xml, "application/xml", xml),
        (ContentType::Json, "application/json", json.to_string()),
    ];
    for (job, media, data) in cases {
        for op in [None, Some(Operation::Update)] {
            let body = batch_body(BatchContent::Records(set.clone()), &job, op.as_ref()).unwrap();
            assert_add_batch(body, media, data.as_bytes());
        }
    }
}

#[test]
fn add_batch_sends_a_trimmed_query_with_the_job_media_type() {
    for (job, media) in [
        (ContentType::Csv, "text/csv"),
        (ContentType::Xml, "application/xml"),
        (ContentType::Json, "application/json"),
    ] {
        for op in [Some(Operation::Query), Some(Operation::QueryAll), None] {
            let body = batch_body(
                BatchContent::Query(
                    "\n  SELECT Id, Name FROM Account WHERE Name = 'a b'  \n".into(),
                ),
                &job,
                op.as_ref(),
            )
            .unwrap();
            assert_add_batch(
                body,
                media,
                b"SELECT Id, Name FROM Account WHERE Name = 'a b'",
            );
        }
    }
}

#[test]
fn a_raw_csv_body_for_a_query_job_is_not_read_as_records() {
    // A query sent as raw text/csv: one line, no header semantics, no record count.
    let body = batch_body(
        raw("text/csv", b"SELECT Id, Name FROM Account"),
        &ContentType::Csv,
        Some(&Operation::Query),
    )
    .unwrap();
    assert_add_batch(body, "text/csv", b"SELECT Id, Name FROM Account");
}

#[test]
fn batch_body_refuses_each_mismatch_with_its_exact_message() {
    let insert = Some(&Operation::Insert);
    let query = Some(&Operation::Query);
    let one = || RecordSet {
        fields: vec!["Name".into()],
        rows: vec![vec![text("Acme")]],
    };
    let cases: Vec<(BatchContent, ContentType, Option<&Operation>, String)> = vec![
        (
            raw("text/csv", b"Name\nAcme\n"),
            ContentType::Unknown("PARQUET".into()),
            insert,
            r#"the job has an unknown content type "PARQUET""#.into(),
        ),
        (
            raw("text/csv", b"Name\nAcme\n"),
            ContentType::Xml,
            insert,
            r#"batch media type "text/csv" does not match the job's content type XML (expected "application/xml")"#.into(),
        ),
        (
            raw("application/xml", b"<sObjects/>"),
            ContentType::Json,
            insert,
            r#"batch media type "application/xml" does not match the job's content type JSON (expected "application/json")"#.into(),
        ),
        (
            raw("text/xml", b"<sObjects/>"),
            ContentType::Xml,
            insert,
            r#"batch media type "text/xml" does not match the job's content type XML (expected "application/xml")"#.into(),
        ),
        (
            raw("application/zip", fixture!("attachments.zip")),
            ContentType::ZipCsv,
            insert,
            r#"batch media type "application/zip" does not match the job's content type ZIP_CSV (expected "zip/csv")"#.into(),
        ),
        (
            raw("", b"Name\nAcme\n"),
            ContentType::Csv,
            insert,
            r#"batch media type "" does not match the job's content type CSV (expected "text/csv")"#.into(),
        ),
        (
            raw("text/csv", b""),
            ContentType::Csv,
            insert,
            "the batch body is empty".into(),
        ),
        (
            raw("application/json", b" \r\n\t "),
            ContentType::Json,
            insert,
            "the batch body is empty".into(),
        ),
        (
            raw("zip/csv", b""),
            ContentType::ZipCsv,
            insert,
            "the batch body is empty".into(),
        ),
        (
            raw("text/csv", b"Name\nAcme\xff\n"),
            ContentType::Csv,
            insert,
            "the csv batch is not valid: expected a utf-8 csv batch, found invalid utf-8 sequence of 1 bytes from index 9".into(),
        ),
        (
            raw("text/csv", b"Name,Phone\nAcme\n"),
            ContentType::Csv,
            insert,
            "the csv batch is not valid: record 1: expected a csv row, found 1 values where the header has 2".into(),
        ),
        (
            raw("zip/csv", fixture!("attachments-nested-manifest.zip")),
            ContentType::ZipCsv,
            insert,
            r#"not a usable attachment zip: expected request.txt at the root of the zip, found only "docs/request.txt""#.into(),
        ),
        (
            raw("zip/json", b"PK this is not a zip"),
            ContentType::ZipJson,
            insert,
            "not a usable attachment zip: expected a zip archive, found only 20 bytes".into(),
        ),
        (
            raw("zip/xml", fixture!("job-info-create.xml")),
            ContentType::ZipXml,
            insert,
            "not a usable attachment zip: expected a zip archive, found no end of central directory record".into(),
        ),
        (
            BatchContent::Query("SELECT Id FROM Account".into()),
            ContentType::ZipCsv,
            query,
            "a query cannot be sent to a zip job".into(),
        ),
        (
            BatchContent::Query("SELECT Id FROM Account".into()),
            ContentType::Csv,
            insert,
            "a query batch needs a query or queryAll job, this job is insert".into(),
        ),
        (
            BatchContent::Query("SELECT Id FROM Account".into()),
            ContentType::Json,
            Some(&Operation::HardDelete),
            "a query batch needs a query or queryAll job, this job is hardDelete".into(),
        ),
        (
            BatchContent::Query(" \n\t ".into()),
            ContentType::Csv,
            query,
            "the query is empty".into(),
        ),
        (
            BatchContent::Records(one()),
            ContentType::Csv,
            query,
            "records cannot be added to a query job; send a query".into(),
        ),
        (
            BatchContent::Records(one()),
            ContentType::Json,
            Some(&Operation::QueryAll),
            "records cannot be added to a query job; send a query".into(),
        ),
        (
            BatchContent::Records(one()),
            ContentType::ZipXml,
            insert,
            "records cannot be added to a zip job; upload a zip with upload-batch-file".into(),
        ),
        (
            BatchContent::Records(RecordSet {
                fields: vec!["Name".into()],
                rows: vec![],
            }),
            ContentType::Csv,
            insert,
            "the batch has no records".into(),
        ),
        (
            BatchContent::Records(RecordSet {
                fields: vec!["Name".into(), "Name".into()],
                rows: vec![vec![text("a"), text("b")]],
            }),
            ContentType::Csv,
            insert,
            r#"expected each field once, found "Name" twice"#.into(),
        ),
    ];
    for (content, job, op, message) in cases {
        let shown = format!("{content:?}");
        assert_eq!(
            batch_body(content, &job, op),
            Err(invalid(&message)),
            "{} {job:?} {op:?}",
            &shown[..shown.len().min(120)]
        );
    }
}

#[test]
fn batch_body_refuses_more_than_ten_thousand_records_raw_or_typed() {
    let mut csv = b"Name\n".to_vec();
    for i in 0..=MAX_BATCH_RECORDS {
        csv.extend_from_slice(format!("Acme {i}\n").as_bytes());
    }
    let message = "a batch holds at most 10000 records, got 10001";
    assert_eq!(
        batch_body(raw("text/csv", &csv), &ContentType::Csv, None),
        Err(invalid(message))
    );
    let set = RecordSet {
        fields: vec!["Name".into()],
        rows: vec![vec![text("Acme")]; MAX_BATCH_RECORDS + 1],
    };
    for job in [ContentType::Csv, ContentType::Xml, ContentType::Json] {
        assert_eq!(
            batch_body(BatchContent::Records(set.clone()), &job, None),
            Err(invalid(message)),
            "{job:?}"
        );
    }
    // Exactly the limit passes.
    let mut at_limit = set;
    at_limit.rows.pop();
    assert!(batch_body(BatchContent::Records(at_limit), &ContentType::Csv, None).is_ok());
    let cut = csv.len() - "Acme 10000\n".len();
    assert!(batch_body(raw("text/csv", &csv[..cut]), &ContentType::Csv, None).is_ok());
}

#[test]
fn batch_body_refuses_more_than_ten_million_bytes_raw_typed_or_query() {
    let message = |n: usize| format!("a batch holds at most 10000000 bytes, got {n}");
    // Raw XML: not parsed, only measured.
    let mut xml = vec![b' '; MAX_BATCH_BYTES + 1];
    xml[0] = b'<';
    assert_eq!(
        batch_body(raw("application/xml", &xml), &ContentType::Xml, None),
        Err(invalid(&message(MAX_BATCH_BYTES + 1)))
    );
    // Exactly the limit passes.
    xml.pop();
    assert!(batch_body(raw("application/xml", &xml), &ContentType::Xml, None).is_ok());
    // Typed: 10,000 rows of 1,000 characters = "Name\n" + 10,000 × 1,001 bytes as CSV.
    let set = RecordSet {
        fields: vec!["Name".into()],
        rows: vec![vec![text(&"x".repeat(1000))]; MAX_BATCH_RECORDS],
    };
    assert_eq!(
        batch_body(BatchContent::Records(set), &ContentType::Csv, None),
        Err(invalid(&message(5 + MAX_BATCH_RECORDS * 1001)))
    );
    // A query.
    let soql = format!(
        "SELECT Id FROM Account WHERE Name IN ('{}')",
        "x".repeat(MAX_BATCH_BYTES)
    );
    assert_eq!(
        batch_body(BatchContent::Query(soql.clone()), &ContentType::Csv, None),
        Err(invalid(&message(soql.len())))
    );
}

#[test]
fn essence_drops_parameters_and_case() {
    for (media, essence_of) in [
        ("text/csv", "text/csv"),
        ("Text/CSV; charset=UTF-8", "text/csv"),
        ("  application/xml ;charset=utf-8", "application/xml"),
        ("zip/json", "zip/json"),
        ("", ""),
    ] {
        assert_eq!(essence(media), essence_of, "{media}");
    }
}

// ---- replies: status, error documents, session expiry, gzip -----------------------------

const EXCERPT_BYTES_IN_TEST: usize = 200;
const HTML_500: &str = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>We are down for maintenance</h1><p>Salesforce is temporarily unavailable. Please try again later. Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p></body></html>";

#[test]
fn success_body_passes_each_2xx_and_returns_the_body() {
    for status in [200, 201, 204] {
        let resp = reply(status, Some("text/csv"), b"Id\n001\n");
        assert_eq!(success_body(&resp).unwrap().as_ref(), b"Id\n001\n");
    }
    // A 2xx is a success even when its body looks like an error document.
    let resp = reply(
        200,
        Some("application/xml"),
        fixture!("error-invalid-session.xml"),
    );
    assert_eq!(
        success_body(&resp).unwrap().as_ref(),
        fixture!("error-invalid-session.xml")
    );
}

#[test]
fn salesforce_error_documents_become_api_errors_with_status_code_and_message() {
    let xml = format!(
        r#"{XML_DECL}<error xmlns="{NS}"><exceptionCode>InvalidJob</exceptionCode><exceptionMessage>Unable to find object: Acount</exceptionMessage></error>"#
    );
    let no_message =
        format!(r#"<error xmlns="{NS}"><exceptionCode>InvalidBatch</exceptionCode></error>"#);
    let cases: [(u16, Option<&str>, &[u8], Error); 6] = [
        (
            400,
            Some("application/xml"),
            xml.as_bytes(),
            api(400, "InvalidJob", "Unable to find object: Acount"),
        ),
        (
            400,
            None, // sniffed
            xml.as_bytes(),
            api(400, "InvalidJob", "Unable to find object: Acount"),
        ),
        (
            400,
            Some("application/json"),
            fixture!("error-invalid-job.json"),
            api(400, "InvalidJob", "Invalid job id: 750D00000004SkXXXX"),
        ),
        (
            400,
            Some("text/plain"), // sniffed: `{`
            fixture!("error-invalid-job.json"),
            api(400, "InvalidJob", "Invalid job id: 750D00000004SkXXXX"),
        ),
        (
            500,
            Some("application/xml; charset=UTF-8"),
            no_message.as_bytes(),
            api(500, "InvalidBatch", ""),
        ),
        (
            404,
            Some("application/json"),
            br#"[{"exceptionCode":"InvalidUrl","exceptionMessage":"Failed to parse URL"}]"#,
            unexpected(
                404,
                Some("application/json"),
                "expected a success status or a salesforce error document, got http 404",
                r#"[{"exceptionCode":"InvalidUrl","exceptionMessage":"Failed to parse URL"}]"#,
            ),
        ),
    ];
    for (status, ct, body, err) in cases {
        let resp = reply(status, ct, body);
        assert_eq!(success_body(&resp).unwrap_err(), err, "{status} {ct:?}");
        assert!(!is_session_expired(&resp));
        // Every parser reports the same error.
        assert_eq!(parse_job_info(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_info(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_list(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_results(&resp).unwrap_err(), err);
        assert_eq!(parse_bytes(resp).unwrap_err(), err);
    }
}

#[test]
fn a_400_invalid_session_id_in_xml_or_json_is_the_session_expired_signal() {
    let json =
        br#"{"exceptionCode":"InvalidSessionId","exceptionMessage":"Session expired or invalid"}"#;
    let xml_message = "Invalid session id";
    let json_message = "Session expired or invalid";
    let cases = [
        (
            reply(
                400,
                Some("application/xml"),
                fixture!("error-invalid-session.xml"),
            ),
            xml_message,
        ),
        (
            reply(400, None, fixture!("error-invalid-session.xml")),
            xml_message,
        ),
        (
            gzipped(
                400,
                Some("application/xml"),
                fixture!("error-invalid-session.xml"),
            ),
            xml_message,
        ),
        (reply(400, Some("application/json"), json), json_message),
        (reply(400, None, json), json_message),
        (
            gzipped(400, Some("application/json; charset=UTF-8"), json),
            json_message,
        ),
    ];
    for (resp, message) in cases {
        assert!(is_session_expired(&resp), "{resp:?}");
        let err = Error::SessionExpired(message.to_string());
        assert_eq!(success_body(&resp).unwrap_err(), err, "{resp:?}");
        assert_eq!(parse_job_info(&resp).unwrap_err(), err);
        assert_eq!(err.exception_code(), Some("InvalidSessionId"));
    }
}

#[test]
fn only_a_400_with_invalid_session_id_is_the_session_expired_signal() {
    let other_code = format!(
        r#"<error xmlns="{NS}"><exceptionCode>InvalidJob</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>"#
    );
    let mut corrupt = gzipped(
        400,
        Some("application/xml"),
        fixture!("error-invalid-session.xml"),
    );
    corrupt.body_mut().truncate(12);
    let not_expired = [
        reply(400, Some("application/xml"), other_code.as_bytes()),
        reply(
            400,
            Some("application/json"),
            fixture!("error-invalid-job.json"),
        ),
        reply(
            200,
            Some("application/xml"),
            fixture!("error-invalid-session.xml"),
        ),
        reply(
            401,
            Some("application/xml"),
            fixture!("error-invalid-session.xml"),
        ),
        reply(
            500,
            Some("application/xml"),
            fixture!("error-invalid-session.xml"),
        ),
        reply(400, Some("text/html"), HTML_500.as_bytes()),
        reply(400, Some("text/plain"), b"InvalidSessionId"),
        reply(400, None, b""),
        corrupt,
    ];
    for resp in not_expired {
        assert!(!is_session_expired(&resp), "{resp:?}");
    }
}

#[test]
fn invalid_session_id_under_another_error_status_is_reported_but_is_not_the_renewal_signal() {
    // Bulk API 1.0 signals expiry with 400; the same document under 401 or 500 is still
    // reported as an expired session, but `is_session_expired` (which triggers a renewal)
    // says no.
    for status in [401, 500] {
        let resp = reply(
            status,
            Some("application/xml"),
            fixture!("error-invalid-session.xml"),
        );
        assert!(!is_session_expired(&resp));
        assert_eq!(
            success_body(&resp).unwrap_err(),
            Error::SessionExpired("Invalid session id".into())
        );
    }
}

#[test]
fn html_empty_and_garbage_bodies_on_an_error_status_are_unexpected_responses_with_an_excerpt() {
    // A character cut by the 200-byte excerpt is dropped, not shown as U+FFFD.
    let cut = format!("{}é and more", "a".repeat(EXCERPT_BYTES_IN_TEST - 1));
    let cases: [(u16, Option<&str>, &[u8], &str); 7] = [
        (
            500,
            Some("text/html"),
            HTML_500.as_bytes(),
            &HTML_500[..200],
        ),
        (
            500,
            Some("text/plain"),
            cut.as_bytes(),
            &cut[..EXCERPT_BYTES_IN_TEST - 1],
        ),
        (503, Some("text/html; charset=UTF-8"), b"", ""),
        (502, None, b"", ""),
        (
            500,
            None,
            b"\x00\x01gar\xffbage",
            "\u{0}\u{1}gar\u{FFFD}bage",
        ),
        (
            429,
            Some("application/json"),
            b"{\"message\":\"slow down\"}",
            "{\"message\":\"slow down\"}",
        ),
        (
            400,
            Some("application/xml"),
            b"<error><exceptionCode></exceptionCode></error>",
            "<error><exceptionCode></exceptionCode></error>",
        ),
    ];
    for (status, ct, body, excerpt) in cases {
        let err = unexpected(
            status,
            ct,
            &format!("expected a success status or a salesforce error document, got http {status}"),
            excerpt,
        );
        let resp = reply(status, ct, body);
        assert_eq!(success_body(&resp).unwrap_err(), err, "{status}");
        assert_eq!(parse_job_info(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_results(&resp).unwrap_err(), err);
        assert_eq!(parse_bytes(resp).unwrap_err(), err);
    }
}

#[test]
fn an_error_document_larger_than_the_control_limit_is_not_read_as_an_api_error() {
    let mut body = fixture!("error-invalid-session.xml").to_vec();
    body.resize(MAX_CONTROL_BYTES + 1, b' ');
    let resp = reply(400, Some("application/xml"), &body);
    assert!(!is_session_expired(&resp));
    assert_eq!(
        success_body(&resp).unwrap_err(),
        unexpected(
            400,
            Some("application/xml"),
            "expected a success status or a salesforce error document, got http 400",
            &String::from_utf8_lossy(&body[..200]),
        )
    );
}

#[test]
fn decoded_body_gunzips_only_when_the_reply_says_gzip() {
    let plain = fixture!("job-info-create.xml");
    let as_is = reply(200, Some("application/xml"), plain);
    assert_eq!(decoded_body(&as_is).unwrap().as_ref(), plain);
    // A gzip body without the header is left alone.
    let undeclared = reply(200, Some("application/xml"), &gzip(plain));
    assert_eq!(
        decoded_body(&undeclared).unwrap().as_ref(),
        gzip(plain).as_slice()
    );
    for encoding in ["gzip", "GZIP", " gzip "] {
        let mut resp = reply(200, Some("application/xml"), &gzip(plain));
        resp.headers_mut()
            .insert("content-encoding", encoding.parse().unwrap());
        assert!(is_gzip(resp.headers()), "{encoding:?}");
        assert_eq!(decoded_body(&resp).unwrap().as_ref(), plain, "{encoding:?}");
        assert_eq!(parse_job_info(&resp).unwrap().id, "750D00000004SkLIAU");
    }
    for encoding in ["deflate", "identity", "gzip, br", "x-gzip"] {
        let mut resp = reply(200, Some("application/xml"), plain);
        resp.headers_mut()
            .insert("content-encoding", encoding.parse().unwrap());
        assert!(!is_gzip(resp.headers()), "{encoding:?}");
        assert_eq!(decoded_body(&resp).unwrap().as_ref(), plain, "{encoding:?}");
    }
    assert!(!is_gzip(as_is.headers()));
}

#[test]
fn a_corrupt_gzip_body_is_an_unexpected_response_without_an_excerpt() {
    let good = gzip(fixture!("job-info-create.xml"));
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let bodies: [(&[u8], &str); 3] = [
        (b"this is not gzip at all", "gzip body cannot be decoded: "),
        (&truncated, "gzip body cannot be decoded: "),
        (&bad_crc, "gzip body cannot be decoded: "),
    ];
    for (body, prefix) in bodies {
        let mut resp = reply(200, Some("application/xml"), body);
        resp.headers_mut()
            .insert("content-encoding", "gzip".parse().unwrap());
        let err = decoded_body(&resp).unwrap_err();
        match &err {
            Error::UnexpectedResponse {
                status: 200,
                content_type: Some(ct),
                detail,
                excerpt,
            } => {
                assert_eq!(ct, "application/xml");
                assert!(
                    detail.starts_with(prefix) && detail.len() > prefix.len(),
                    "{detail}"
                );
                assert_eq!(excerpt, "");
            }
            other => panic!("expected an unexpected response, got {other:?}"),
        }
        assert_eq!(success_body(&resp).unwrap_err(), err);
        assert_eq!(parse_job_info(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_info(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_list(&resp).unwrap_err(), err);
        assert_eq!(parse_batch_results(&resp).unwrap_err(), err);
        assert_eq!(parse_token_response(&resp).unwrap_err(), err);
        assert_eq!(parse_bytes(resp).unwrap_err(), err);
    }
}

#[test]
fn a_truncated_gzip_body_names_the_cause() {
    let mut resp = gzipped(
        200,
        Some("application/xml"),
        fixture!("job-info-create.xml"),
    );
    resp.body_mut().truncate(5);
    assert_eq!(
        decoded_body(&resp).unwrap_err(),
        unexpected(
            200,
            Some("application/xml"),
            "gzip body cannot be decoded: truncated gzip header",
            ""
        )
    );
}

// ---- replies: job info ---------------------------------------------------------------

fn created_job() -> JobInfo {
    JobInfo {
        id: "750D00000004SkLIAU".into(),
        operation: Some(Operation::Insert),
        object: "Account".into(),
        created_by_id: Some("005D0000001b0fFIAQ".into()),
        created_date: Some("2015-12-15T21:41:45.000Z".into()),
        system_modstamp: Some("2015-12-15T21:41:45.000Z".into()),
        state: Some(JobState::Open),
        concurrency_mode: Some(ConcurrencyMode::Parallel),
        content_type: Some(ContentType::Csv),
        api_version: Some("36.0".into()),
        ..JobInfo::default()
    }
}

#[test]
fn parse_job_info_reads_an_xml_job_plain_or_gzipped_under_any_2xx() {
    let body = fixture!("job-info-create.xml");
    for resp in [
        reply(201, Some("application/xml"), body),
        reply(200, Some("application/xml; charset=UTF-8"), body),
        reply(200, None, body),
        gzipped(201, Some("application/xml"), body),
    ] {
        assert_eq!(parse_job_info(&resp).unwrap(), created_job(), "{resp:?}");
    }
}

#[test]
fn parse_job_info_reads_a_json_job() {
    let expected = JobInfo {
        id: "750D00000004SkGIAU".into(),
        created_date: Some("2015-12-15T20:45:25.000+0000".into()),
        system_modstamp: Some("2015-12-15T20:45:25.000+0000".into()),
        content_type: Some(ContentType::Json),
        ..created_job()
    };
    for resp in [
        reply(201, Some("application/json"), fixture!("job-info.json")),
        reply(200, None, fixture!("job-info.json")),
        gzipped(200, Some("application/json"), fixture!("job-info.json")),
    ] {
        assert_eq!(parse_job_info(&resp).unwrap(), expected);
    }
}

#[test]
fn parse_job_info_reads_a_closed_upsert_with_counters_and_optional_fields() {
    let body = job_xml(
        "<id>750D00000004SkLIAU</id><operation>upsert</operation><object>Contact</object>\
         <state>Closed</state><externalIdFieldName>Email__c</externalIdFieldName>\
         <concurrencyMode>Serial</concurrencyMode><contentType>JSON</contentType>\
         <numberBatchesQueued>1</numberBatchesQueued><numberBatchesInProgress>2</numberBatchesInProgress>\
         <numberBatchesCompleted>3</numberBatchesCompleted><numberBatchesFailed>4</numberBatchesFailed>\
         <numberBatchesTotal>10</numberBatchesTotal><numberRecordsProcessed>50000</numberRecordsProcessed>\
         <numberRetries>2</numberRetries><apiVersion>59.0</apiVersion>\
         <assignmentRuleId>01Q5000000ABCDE</assignmentRuleId><numberRecordsFailed>7</numberRecordsFailed>\
         <totalProcessingTime>1200</totalProcessingTime><apiActiveProcessingTime>900</apiActiveProcessingTime>\
         <apexProcessingTime>30</apexProcessingTime>",
    );
    assert_eq!(
        parse_job_info(&reply(200, Some("application/xml"), body.as_bytes())).unwrap(),
        JobInfo {
            id: "750D00000004SkLIAU".into(),
            operation: Some(Operation::Upsert),
            object: "Contact".into(),
            state: Some(JobState::Closed),
            external_id_field_name: Some("Email__c".into()),
            concurrency_mode: Some(ConcurrencyMode::Serial),
            content_type: Some(ContentType::Json),
            number_batches_queued: 1,
            number_batches_in_progress: 2,
            number_batches_completed: 3,
            number_batches_failed: 4,
            number_batches_total: 10,
            number_records_processed: 50_000,
            number_retries: 2,
            api_version: Some("59.0".into()),
            assignment_rule_id: Some("01Q5000000ABCDE".into()),
            number_records_failed: 7,
            total_processing_time: 1200,
            api_active_processing_time: 900,
            apex_processing_time: 30,
            ..JobInfo::default()
        }
    );
}

#[test]
fn parse_job_info_keeps_unknown_values_from_the_tolerant_fixtures() {
    let xml = parse_job_info(&reply(200, None, fixture!("job-info-tolerant.xml"))).unwrap();
    assert_eq!(xml.id, "750D00000004SkQIAU");
    assert_eq!(xml.operation, Some(Operation::Unknown("composite".into())));
    assert_eq!(xml.state, Some(JobState::Unknown("UploadComplete".into())));
    assert_eq!(
        xml.content_type,
        Some(ContentType::Unknown("PARQUET".into()))
    );
    assert_eq!(xml.api_version.as_deref(), Some("34.0"));
    assert_eq!(xml.external_id_field_name, None);
    assert_eq!(xml.number_records_failed, 17);
    let json = parse_job_info(&reply(
        200,
        Some("application/json"),
        fixture!("job-info-tolerant.json"),
    ))
    .unwrap();
    assert_eq!(json.id, "750D00000004SkRIAU");
    assert_eq!(json.concurrency_mode, Some(ConcurrencyMode::Serial));
    assert_eq!(json.state, Some(JobState::Unknown("JobComplete".into())));
    assert_eq!(json.content_type, Some(ContentType::ZipJson));
    assert_eq!(json.api_version.as_deref(), Some("59.0"));
    assert_eq!(json.number_batches_queued, 1);
    assert_eq!(json.number_records_processed, 250);
}

#[test]
fn a_job_or_batch_reply_without_an_id_is_an_unexpected_response() {
    let xml_job = job_xml("<operation>insert</operation><state>Open</state>");
    let xml_batch =
        format!(r#"<batchInfo xmlns="{NS}"><id>  </id><state>Queued</state></batchInfo>"#);
    let json_job = br#"{"operation":"insert","state":"Open"}"#;
    let json_batch = br#"{"id":null,"state":"Queued"}"#;
    let cases: [(Response<Vec<u8>>, bool, &str); 4] = [
        (
            reply(201, Some("application/xml"), xml_job.as_bytes()),
            true,
            "job info: expected a jobInfo with an `id`, found none",
        ),
        (
            reply(201, Some("application/json"), json_job),
            true,
            "job info: expected a jobInfo with an `id`, found none",
        ),
        (
            reply(201, Some("application/xml"), xml_batch.as_bytes()),
            false,
            "batch info: expected a batchInfo with an `id`, found none",
        ),
        (
            reply(200, Some("application/json"), json_batch),
            false,
            "batch info: expected a batchInfo with an `id`, found none",
        ),
    ];
    for (resp, job, detail) in cases {
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        let err = unexpected(
            resp.status().as_u16(),
            Some(&ct),
            detail,
            &String::from_utf8_lossy(resp.body()),
        );
        if job {
            assert_eq!(parse_job_info(&resp).unwrap_err(), err);
        } else {
            assert_eq!(parse_batch_info(&resp).unwrap_err(), err);
        }
    }
}

#[test]
fn a_reply_of_the_wrong_document_or_garbage_is_an_unexpected_response_naming_the_document() {
    let batch = fixture!("batch-info-failed.xml");
    let cases: [(&[u8], &str, &str); 5] = [
        (
            batch,
            "application/xml",
            "job info: expected <jobInfo>, found <batchInfo>",
        ),
        (
            b"",
            "application/xml",
            "job info: expected an xml element, found none",
        ),
        (
            b"<html><body>oops</body></html>",
            "text/html",
            "job info: expected <jobInfo>, found <html>",
        ),
        (
            b"{\"id\":",
            "application/json",
            "job info: malformed jobInfo json: expected a json value, found the end at byte 6",
        ),
        (
            b"\xff\xfe<jobInfo/>",
            "application/xml",
            "job info: expected a utf-8 jobInfo document, found invalid utf-8 sequence of 1 bytes from index 0",
        ),
    ];
    for (body, ct, detail) in cases {
        assert_eq!(
            parse_job_info(&reply(200, Some(ct), body)).unwrap_err(),
            unexpected(200, Some(ct), detail, &crate::error::excerpt(body)),
        );
    }
    // The batch parsers name their own document.
    let job = fixture!("job-info-create.xml");
    let resp = reply(200, Some("application/xml"), job);
    let err = |detail: &str| {
        unexpected(
            200,
            Some("application/xml"),
            detail,
            &String::from_utf8_lossy(&job[..200]),
        )
    };
    assert_eq!(
        parse_batch_info(&resp).unwrap_err(),
        err("batch info: expected <batchInfo>, found <jobInfo>")
    );
    assert_eq!(
        parse_batch_list(&resp).unwrap_err(),
        err("batch info list: expected <batchInfoList>, found <jobInfo>")
    );
    assert_eq!(
        parse_batch_results(&resp).unwrap_err(),
        err("batch results: expected <results> or <result-list>, found <jobInfo>")
    );
}

#[test]
fn control_documents_larger_than_the_limit_are_refused_after_decoding() {
    let pad = |doc: &[u8]| {
        let mut body = doc.to_vec();
        body.resize(MAX_CONTROL_BYTES + 1, b' ');
        body
    };
    let job = pad(fixture!("job-info-create.xml"));
    let batch = pad(fixture!("batch-info-failed.xml"));
    let list = pad(fixture!("batch-info-list-one.xml"));
    let detail =
        |what: &str| format!("{what} of 8388609 bytes is larger than the 8388608-byte limit");
    let expect = |what: &str, body: &[u8]| {
        unexpected(
            200,
            Some("application/xml"),
            &detail(what),
            &String::from_utf8_lossy(&body[..200]),
        )
    };
    assert_eq!(
        parse_job_info(&reply(200, Some("application/xml"), &job)).unwrap_err(),
        expect("job info", &job)
    );
    assert_eq!(
        parse_batch_info(&reply(200, Some("application/xml"), &batch)).unwrap_err(),
        expect("batch info", &batch)
    );
    assert_eq!(
        parse_batch_list(&reply(200, Some("application/xml"), &list)).unwrap_err(),
        expect("batch info list", &list)
    );
    // Measured after gunzip: a small gzip body that inflates past the limit.
    let small = gzipped(200, Some("application/xml"), &job);
    assert!(small.body().len() < MAX_CONTROL_BYTES / 100);
    assert_eq!(
        parse_job_info(&small).unwrap_err(),
        expect("job info", &job)
    );
    // Exactly the limit is read.
    let mut at_limit = job.clone();
    at_limit.pop();
    assert_eq!(
        parse_job_info(&reply(200, Some("application/xml"), &at_limit)).unwrap(),
        created_job()
    );
}

// ---- replies: batch info and lists ---------------------------------------------------

#[test]
fn parse_batch_info_reads_xml_and_json_batches() {
    let failed_xml = BatchInfo {
        id: "751D00000004YGZIA2".into(),
        job_id: "750D00000004SkLIAU".into(),
        state: Some(BatchState::Failed),
        state_message: Some("InvalidBatch : Field name not found : Languages__c".into()),
        created_date: Some("2015-12-15T22:52:49.000Z".into()),
        system_modstamp: Some("2015-12-15T22:52:51.000Z".into()),
        ..BatchInfo::default()
    };
    for resp in [
        reply(
            201,
            Some("application/xml"),
            fixture!("batch-info-failed.xml"),
        ),
        gzipped(
            200,
            Some("application/xml"),
            fixture!("batch-info-failed.xml"),
        ),
    ] {
        assert_eq!(parse_batch_info(&resp).unwrap(), failed_xml);
    }
    let json = parse_batch_info(&reply(
        200,
        Some("application/json"),
        fixture!("batch-info.json"),
    ))
    .unwrap();
    assert_eq!(
        json,
        BatchInfo {
            id: "751D00000004YGeIAM".into(),
            job_id: "750D00000004SkVIAU".into(),
            state: Some(BatchState::Failed),
            state_message: Some(
                "InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root entity of the requested query (Contact) does not match the entity of the requested Bulk API Job (Account).".into()
            ),
            created_date: Some("2015-12-15T21:56:43.000+0000".into()),
            system_modstamp: Some("2015-12-15T21:57:19.000+0000".into()),
            ..BatchInfo::default()
        }
    );
}

#[test]
fn parse_batch_list_reads_empty_one_and_many_in_xml_and_json() {
    let one = BatchInfo {
        id: "751D00000004YGZIA2".into(),
        job_id: "750D00000004SkLIAU".into(),
        state: Some(BatchState::Completed),
        created_date: Some("2015-12-15T21:41:45.000Z".into()),
        system_modstamp: Some("2015-12-15T21:41:51.000Z".into()),
        number_records_processed: 2,
        number_records_failed: 1,
        total_processing_time: 571,
        api_active_processing_time: 319,
        ..BatchInfo::default()
    };
    let xml = |body: &[u8]| parse_batch_list(&reply(200, Some("application/xml"), body)).unwrap();
    let json = |body: &[u8]| parse_batch_list(&reply(200, Some("application/json"), body)).unwrap();
    assert_eq!(xml(fixture!("batch-info-list-empty.xml")), vec![]);
    assert_eq!(xml(fixture!("batch-info-list-one.xml")), vec![one.clone()]);
    assert_eq!(
        parse_batch_list(&gzipped(200, None, fixture!("batch-info-list-one.xml"))).unwrap(),
        vec![one]
    );
    let many = xml(fixture!("batch-info-list-many.xml"));
    assert_eq!(many.len(), 3);
    let chunks = xml(fixture!("batch-info-list-pk-chunking.xml"));
    assert_eq!(chunks.len(), 5);
    assert_eq!(chunks[0].state, Some(BatchState::NotProcessed));

    let listed = json(fixture!("batch-info-list.json"));
    assert_eq!(
        listed
            .iter()
            .map(|b| (b.id.as_str(), b.state.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("751D00000004YGZIA2", Some(BatchState::Queued)),
            ("751D00000004YGeIAM", Some(BatchState::NotProcessed)),
        ]
    );
    assert_eq!(json(fixture!("batch-info-list-single.json")).len(), 1);
    assert_eq!(json(br#"{"batchInfo":[]}"#), vec![]);
    assert_eq!(json(b"{}"), vec![]);
    // One item without an id spoils the list.
    let body = format!(
        r#"<batchInfoList xmlns="{NS}"><batchInfo><id>751D00000004YGZIA2</id></batchInfo><batchInfo><state>Queued</state></batchInfo></batchInfoList>"#
    );
    assert_eq!(
        parse_batch_list(&reply(200, Some("application/xml"), body.as_bytes())).unwrap_err(),
        unexpected(
            200,
            Some("application/xml"),
            "batch info list: batchInfo 2: expected a batchInfo with an `id`, found none",
            &body
        ),
    );
}

// ---- replies: batch results, request and result files --------------------------------

fn ok(id: &str, created: bool) -> RecordResult {
    RecordResult {
        id: Some(id.into()),
        success: true,
        created,
        errors: vec![],
    }
}

fn failed(code: &str, message: &str, fields: &[&str]) -> RecordResult {
    RecordResult {
        id: None,
        success: false,
        created: false,
        errors: vec![RecordError {
            status_code: code.into(),
            message: message.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }],
    }
}

#[test]
fn parse_batch_results_reads_ingest_results_in_csv_xml_and_json() {
    let missing = "Required fields are missing: [LastName]";
    let csv = parse_batch_results(&reply(
        200,
        Some("text/csv; charset=UTF-8"),
        fixture!("ingest-results.csv"),
    ))
    .unwrap();
    let BatchResults::Ingest(rows) = csv else {
        panic!("expected ingest results, got {csv:?}");
    };
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], ok("003D000000Q89kQIAR", true));
    assert_eq!(
        rows[1],
        failed("REQUIRED_FIELD_MISSING", missing, &["LastName"])
    );
    assert_eq!(rows[2], ok("003D000000Q89kRIAR", false));

    let xml_expected = BatchResults::Ingest(vec![
        ok("001D000000ISUr3IAH", true),
        ok("001D000000ISUr4IAH", true),
        failed("REQUIRED_FIELD_MISSING", missing, &["LastName"]),
    ]);
    for resp in [
        reply(200, Some("application/xml"), fixture!("ingest-results.xml")),
        gzipped(200, Some("application/xml"), fixture!("ingest-results.xml")),
    ] {
        assert_eq!(parse_batch_results(&resp).unwrap(), xml_expected);
    }
    assert_eq!(
        parse_batch_results(&reply(
            200,
            Some("application/json"),
            fixture!("ingest-results.json")
        ))
        .unwrap(),
        BatchResults::Ingest(vec![
            ok("001xx000003DHP0AAO", true),
            ok("001xx000003DHP1AAO", false),
            failed("REQUIRED_FIELD_MISSING", missing, &["LastName"]),
        ])
    );
}

#[test]
fn parse_batch_results_reads_query_result_ids_in_xml_and_json() {
    let ids = |v: &[&str]| BatchResults::Query(v.iter().map(|s| s.to_string()).collect());
    let cases = [
        (
            reply(
                200,
                Some("application/xml"),
                fixture!("result-list-many.xml"),
            ),
            ids(&["752x00000004CJE", "752x00000004CCC", "752x00000004CDD"]),
        ),
        (
            // No declaration, no content type: sniffed as XML.
            reply(200, None, fixture!("result-list-one.xml")),
            ids(&["7520K000006xcOc"]),
        ),
        (
            reply(
                200,
                Some("application/xml"),
                fixture!("result-list-empty.xml"),
            ),
            ids(&[]),
        ),
        (
            reply(200, Some("application/json"), fixture!("result-list.json")),
            ids(&["752x00000004CJE", "752x00000004CCC"]),
        ),
        (
            gzipped(200, Some("application/json"), fixture!("result-list.json")),
            ids(&["752x00000004CJE", "752x00000004CCC"]),
        ),
    ];
    for (resp, expected) in cases {
        assert_eq!(parse_batch_results(&resp).unwrap(), expected, "{resp:?}");
    }
}

#[test]
fn parse_bytes_returns_the_body_as_is_or_gunzipped() {
    let csv = b"\"Id\",\"Name\"\n\"001xx000003DHP0AAO\",\"Acme\"\n";
    assert_eq!(parse_bytes(reply(200, Some("text/csv"), csv)).unwrap(), csv);
    assert_eq!(
        parse_bytes(gzipped(200, Some("text/csv"), csv)).unwrap(),
        csv
    );
    assert_eq!(parse_bytes(reply(200, None, b"")).unwrap(), b"");
    // Bytes are not judged: a zip or binary file comes back whole.
    let zip = fixture!("attachments.zip");
    assert_eq!(parse_bytes(reply(200, Some("zip/csv"), zip)).unwrap(), zip);
    assert_eq!(
        parse_bytes(reply(
            400,
            Some("application/xml"),
            fixture!("error-invalid-session.xml")
        ))
        .unwrap_err(),
        Error::SessionExpired("Invalid session id".into())
    );
}

// ---- the token endpoint --------------------------------------------------------------

const REFRESH: &str =
    "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Xr34yOQ7GCFUN5DnNPxzDIoGoWi4evqOl_QT1B/+=";
const SECRET: &str = "8F2A!secret&value=1 2";
const ACCESS: &str = "00Dxx0000001gPL!AR8AQBM8J_xr9kLqmZIRyQxZgLcM4HAiHlN4qo2KqS1VsJcYeL1nQ";

fn creds(host: &str) -> RefreshCredentials {
    RefreshCredentials {
        token_host: host.into(),
        refresh_token: REFRESH.into(),
        client_id: "3MVG9lKcPoNINVBIPJjdw1J9LLM82Hn".into(),
        client_secret: SECRET.into(),
    }
}

#[test]
fn token_request_posts_a_form_encoded_refresh_grant() {
    let cases = [
        (
            DEFAULT_TOKEN_HOST,
            "https://login.salesforce.com/services/oauth2/token",
        ),
        (
            "https://test.salesforce.com/",
            "https://test.salesforce.com/services/oauth2/token",
        ),
        (
            "https://acme.my.salesforce.com:8443/sso",
            "https://acme.my.salesforce.com:8443/sso/services/oauth2/token",
        ),
        (
            "http://localhost:8080",
            "http://localhost:8080/services/oauth2/token",
        ),
    ];
    let body = "grant_type=refresh_token\
                &refresh_token=5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Xr34yOQ7GCFUN5DnNPxzDIoGoWi4evqOl_QT1B%2F%2B%3D\
                &client_id=3MVG9lKcPoNINVBIPJjdw1J9LLM82Hn\
                &client_secret=8F2A%21secret%26value%3D1+2";
    for (host, uri) in cases {
        let req = token_request(&creds(host)).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().to_string(), uri);
        assert_eq!(
            headers_of(&req),
            vec![
                ("accept".to_string(), "application/json".to_string()),
                (
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string()
                ),
            ]
        );
        assert_eq!(String::from_utf8_lossy(req.body()), body);
    }
}

#[test]
fn token_request_refuses_bad_hosts_and_empty_credentials() {
    type Edit = fn(&mut RefreshCredentials);
    let cases: &[(Edit, &str)] = &[
        (
            |c| c.token_host = "http://login.salesforce.com".into(),
            r#"token endpoint uses http:// for non-loopback host "login.salesforce.com"; only https:// is allowed there"#,
        ),
        (
            |c| c.token_host = "login.salesforce.com".into(),
            r#"token endpoint must start with https:// (got "login.salesforce.com")"#,
        ),
        (
            |c| c.token_host = "https://login.salesforce.com?x=1".into(),
            "token endpoint must not have a query string",
        ),
        (
            |c| c.token_host = "https://me:pw@login.salesforce.com".into(),
            "token endpoint must not carry user info",
        ),
        (|c| c.refresh_token.clear(), "refresh token is empty"),
        (|c| c.client_id.clear(), "client id is empty"),
        (|c| c.client_secret.clear(), "client secret is empty"),
    ];
    for (edit, message) in cases {
        let mut c = creds(DEFAULT_TOKEN_HOST);
        edit(&mut c);
        assert_eq!(
            token_request(&c).map(|_| ()),
            Err(invalid(message)),
            "{c:?}"
        );
    }
}

fn token_reply(status: u16, body: &str) -> Response<Vec<u8>> {
    reply(
        status,
        Some("application/json;charset=UTF-8"),
        body.as_bytes(),
    )
}

#[test]
fn parse_token_response_reads_a_grant_with_or_without_issued_at() {
    let full = format!(
        r#"{{"access_token":"{ACCESS}","signature":"dGVzdA==","scope":"refresh_token api","instance_url":"https://acme.my.salesforce.com","id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS","token_type":"Bearer","issued_at":"1278448832702"}}"#
    );
    let grant = |issued_at_ms| TokenGrant {
        access_token: ACCESS.into(),
        instance_url: "https://acme.my.salesforce.com".into(),
        issued_at_ms,
    };
    assert_eq!(
        parse_token_response(&token_reply(200, &full)).unwrap(),
        grant(Some(1_278_448_832_702))
    );
    assert_eq!(
        parse_token_response(&gzipped(200, Some("application/json"), full.as_bytes())).unwrap(),
        grant(Some(1_278_448_832_702))
    );
    let bare =
        format!(r#"{{"access_token":"{ACCESS}","instance_url":"https://acme.my.salesforce.com"}}"#);
    assert_eq!(
        parse_token_response(&token_reply(200, &bare)).unwrap(),
        grant(None)
    );
    let odd = format!(
        r#"{{"access_token":"{ACCESS}","instance_url":"https://acme.my.salesforce.com","issued_at":"soon"}}"#
    );
    assert_eq!(
        parse_token_response(&token_reply(200, &odd)).unwrap(),
        grant(None)
    );
    // A loopback http instance (the mock) is accepted, like the api url.
    let local = format!(r#"{{"access_token":"{ACCESS}","instance_url":"http://127.0.0.1:8080"}}"#);
    assert_eq!(
        parse_token_response(&token_reply(200, &local))
            .unwrap()
            .instance_url,
        "http://127.0.0.1:8080"
    );
}

#[test]
fn parse_token_response_turns_an_oauth_error_into_an_auth_error() {
    let cases = [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#,
            "invalid_grant",
            "expired access/refresh token",
        ),
        (
            400,
            r#"{"error":"invalid_client_id","error_description":"client identifier invalid"}"#,
            "invalid_client_id",
            "client identifier invalid",
        ),
        (401, r#"{"error":"invalid_client"}"#, "invalid_client", ""),
        (
            200,
            r#"{"error":"unsupported_grant_type","error_description":"grant type not supported"}"#,
            "unsupported_grant_type",
            "grant type not supported",
        ),
    ];
    for (status, body, error, description) in cases {
        let err = parse_token_response(&token_reply(status, body)).unwrap_err();
        assert_eq!(
            err,
            Error::Auth {
                error: error.into(),
                description: description.into()
            },
            "{body}"
        );
    }
    // An error status with a token in the body is still an error.
    let both = format!(
        r#"{{"access_token":"{ACCESS}","instance_url":"https://x.my.salesforce.com","error":"invalid_grant","error_description":"inactive user"}}"#
    );
    assert_eq!(
        parse_token_response(&token_reply(400, &both)).unwrap_err(),
        Error::Auth {
            error: "invalid_grant".into(),
            description: "inactive user".into()
        }
    );
}

#[test]
fn a_token_reply_with_neither_grant_nor_error_is_refused_without_echoing_its_body() {
    let cases = [
        (200, format!(r#"{{"access_token":"{ACCESS}"}}"#)),
        (
            200,
            format!(r#"{{"instance_url":"https://x.my.salesforce.com","token":"{ACCESS}"}}"#),
        ),
        (
            200,
            format!(
                r#"{{"access_token":"","instance_url":"https://x.my.salesforce.com","note":"{ACCESS}"}}"#
            ),
        ),
        (500, format!("<html><body>session {ACCESS}</body></html>")),
        (502, String::new()),
        (
            401,
            format!(
                r#"{{"access_token":"{ACCESS}","instance_url":"https://x.my.salesforce.com"}}"#
            ),
        ),
        (
            200,
            format!(
                r#"{{"access_token":"{ACCESS}","instance_url":"https://x.my.salesforce.com","issued_at":1278448832702}}"#
            ),
        ),
    ];
    for (status, body) in cases {
        let err = parse_token_response(&token_reply(status, &body)).unwrap_err();
        assert_eq!(
            err,
            Error::Auth {
                error: format!("http_{status}"),
                description: "the token endpoint's reply has no access_token and no error".into()
            },
            "{body}"
        );
        assert!(!err.to_string().contains("AR8AQ"), "{err}");
        assert!(!format!("{err:?}").contains("AR8AQ"), "{err:?}");
    }
}

#[test]
fn a_grant_whose_instance_url_is_not_https_is_refused_without_the_token() {
    for url in [
        "http://acme.my.salesforce.com",
        "ftp://acme.my.salesforce.com",
        "acme.my.salesforce.com",
        "https://user:pw@acme.my.salesforce.com",
        "https://acme.my.salesforce.com?x=1",
        "not a url",
        "",
    ] {
        let body = format!(r#"{{"access_token":"{ACCESS}","instance_url":"{url}"}}"#);
        let err = parse_token_response(&token_reply(200, &body)).unwrap_err();
        assert_eq!(
            err,
            Error::Auth {
                error: "invalid_instance_url".into(),
                description: "the token endpoint returned an instance_url that is not https".into()
            },
            "{url}"
        );
        assert!(!err.to_string().contains(ACCESS));
        assert!(!format!("{err:?}").contains(ACCESS));
    }
}

// ---- no secret in Debug ---------------------------------------------------------------

#[test]
fn debug_of_endpoint_credentials_grant_and_requests_never_shows_a_secret() {
    let ep = ep();
    let shown = format!("{ep:?}");
    assert_eq!(
        shown,
        r#"Endpoint { base_url: "https://na1.salesforce.com/services/async/59.0", token: "<redacted>" }"#
    );
    assert!(!format!("{ep:#?}").contains(TOKEN));

    let c = creds(DEFAULT_TOKEN_HOST);
    let shown = format!("{c:?} {c:#?}");
    assert!(!shown.contains(REFRESH), "{shown}");
    assert!(!shown.contains("secret&value"), "{shown}");
    assert!(shown.contains("3MVG9lKcPoNINVBIPJjdw1J9LLM82Hn"), "{shown}");
    assert!(shown.contains("https://login.salesforce.com"), "{shown}");

    let grant = TokenGrant {
        access_token: ACCESS.into(),
        instance_url: "https://acme.my.salesforce.com".into(),
        issued_at_ms: Some(1),
    };
    let shown = format!("{grant:?} {grant:#?}");
    assert!(!shown.contains("AR8AQ"), "{shown}");
    assert!(shown.contains("https://acme.my.salesforce.com"), "{shown}");

    // The session header is sensitive, so a request's Debug does not show it.
    let req = create_job(&ep, &JobRequest::new(Operation::Insert, "Account")).unwrap();
    let shown = format!("{req:?}");
    assert!(shown.contains("x-sfdc-session"), "{shown}");
    assert!(!shown.contains("AR8AQ"), "{shown}");
}
