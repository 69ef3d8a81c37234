//! The public wire API against the payloads in `tests/fixtures/` (see its README for where
//! each comes from), plus writer round trips and a no-panic sweep over damaged input.

use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::model::{
    BatchState, ConcurrencyMode, ContentType, FieldValue, JobState, LineEnding, Operation,
    PkChunking, RecordError, RecordResult,
};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/", $name)).as_slice()
    };
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn with_bom(body: &[u8]) -> Vec<u8> {
    [BOM, body].concat()
}

fn batch(id: &str, job_id: &str, state: BatchState) -> BatchInfo {
    BatchInfo {
        id: id.into(),
        job_id: job_id.into(),
        state: Some(state),
        ..BatchInfo::default()
    }
}

fn ok_result(id: &str, created: bool) -> RecordResult {
    RecordResult {
        id: Some(id.into()),
        success: true,
        created,
        errors: vec![],
    }
}

fn failed(errors: Vec<RecordError>) -> RecordResult {
    RecordResult {
        id: None,
        success: false,
        created: false,
        errors,
    }
}

fn error(code: &str, message: &str, fields: &[&str]) -> RecordError {
    RecordError {
        status_code: code.into(),
        message: message.into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

// ---- jobInfo ----------------------------------------------------------------------------

#[test]
fn deserde_job_info_create_xml() {
    let job = parse_job_info(fixture!("job-info-create.xml"), DocFormat::Xml).unwrap();
    assert_eq!(
        job,
        JobInfo {
            id: "750D00000004SkLIAU".into(),
            operation: Some(Operation::Insert),
            object: "Account".into(),
            created_by_id: Some("005D0000001b0fFIAQ".into()),
            created_date: Some("2015-12-15T21:41:45.000Z".into()),
            system_modstamp: Some("2015-12-15T21:41:45.000Z".into()),
            state: Some(JobState::Open),
            external_id_field_name: None,
            concurrency_mode: Some(ConcurrencyMode::Parallel),
            content_type: Some(ContentType::Csv),
            api_version: Some("36.0".into()),
            assignment_rule_id: None,
            ..JobInfo::default()
        }
    );
    assert_eq!(
        parse_job_info(&with_bom(fixture!("job-info-create.xml")), DocFormat::Xml),
        Ok(job)
    );
}

#[test]
fn deserde_job_info_json() {
    let job = parse_job_info(fixture!("job-info.json"), DocFormat::Json).unwrap();
    assert_eq!(
        job,
        JobInfo {
            id: "750D00000004SkGIAU".into(),
            operation: Some(Operation::Insert),
            object: "Account".into(),
            created_by_id: Some("005D0000001b0fFIAQ".into()),
            created_date: Some("2015-12-15T20:45:25.000+0000".into()),
            system_modstamp: Some("2015-12-15T20:45:25.000+0000".into()),
            state: Some(JobState::Open),
            concurrency_mode: Some(ConcurrencyMode::Parallel),
            content_type: Some(ContentType::Json),
            api_version: Some("36.0".into()),
            ..JobInfo::default()
        }
    );
    assert_eq!(
        parse_job_info(&with_bom(fixture!("job-info.json")), DocFormat::Json),
        Ok(job)
    );
}

#[test]
fn deserde_job_info_tolerant_xml() {
    let job = parse_job_info(fixture!("job-info-tolerant.xml"), DocFormat::Xml).unwrap();
    assert_eq!(
        job,
        JobInfo {
            id: "750D00000004SkQIAU".into(),
            operation: Some(Operation::Unknown("composite".into())),
            object: "Contact".into(),
            created_by_id: Some("005D0000001b0fFIAQ".into()),
            state: Some(JobState::Unknown("UploadComplete".into())),
            external_id_field_name: None,
            concurrency_mode: Some(ConcurrencyMode::Serial),
            content_type: Some(ContentType::Unknown("PARQUET".into())),
            number_batches_in_progress: 1,
            number_batches_completed: 2,
            number_batches_total: 3,
            number_records_processed: 10_000,
            number_retries: 2,
            api_version: Some("34.0".into()),
            assignment_rule_id: None,
            number_records_failed: 17,
            total_processing_time: 4567,
            api_active_processing_time: 3210,
            apex_processing_time: 123,
            ..JobInfo::default()
        }
    );
}

#[test]
fn deserde_job_info_tolerant_json() {
    let job = parse_job_info(fixture!("job-info-tolerant.json"), DocFormat::Json).unwrap();
    assert_eq!(
        job,
        JobInfo {
            id: "750D00000004SkRIAU".into(),
            operation: Some(Operation::Upsert),
            object: "Contact".into(),
            state: Some(JobState::Unknown("JobComplete".into())),
            external_id_field_name: Some("Ext_Id__c".into()),
            concurrency_mode: Some(ConcurrencyMode::Serial),
            content_type: Some(ContentType::ZipJson),
            number_batches_queued: 1,
            number_records_processed: 250,
            api_version: Some("59.0".into()),
            ..JobInfo::default()
        }
    );
}

#[test]
fn job_info_refuses_other_documents() {
    assert_eq!(
        parse_job_info(fixture!("error-invalid-session.xml"), DocFormat::Xml),
        Err("expected <jobInfo>, found <error>".into())
    );
    assert_eq!(
        parse_job_info(fixture!("error-invalid-job.json"), DocFormat::Json),
        Err("expected a jobInfo with an `id`, found none".into())
    );
    assert_eq!(
        parse_job_info(b"[1,2]", DocFormat::Json),
        Err("expected a jobInfo json object, found an array".into())
    );
    assert_eq!(
        parse_job_info(fixture!("job-info.json"), DocFormat::Xml),
        Err("expected an xml element, found text outside of it".into())
    );
    assert_eq!(
        parse_job_info(
            b"<jobInfo><id>750</id><numberRetries>many</numberRetries></jobInfo>",
            DocFormat::Xml
        ),
        Err("expected a whole number in `numberRetries`, found \"many\"".into())
    );
    assert_eq!(
        parse_job_info(b"{\"id\":\"750\",\"object\":{\"a\":1}}", DocFormat::Json),
        Err("malformed jobInfo json: expected a string, number or boolean in `object`, found an object".into())
    );
}

// ---- batchInfo --------------------------------------------------------------------------

#[test]
fn deserde_batch_info_failed_xml() {
    let info = parse_batch_info(fixture!("batch-info-failed.xml"), DocFormat::Xml).unwrap();
    assert_eq!(
        info,
        BatchInfo {
            state_message: Some("InvalidBatch : Field name not found : Languages__c".into()),
            created_date: Some("2015-12-15T22:52:49.000Z".into()),
            system_modstamp: Some("2015-12-15T22:52:51.000Z".into()),
            ..batch(
                "751D00000004YGZIA2",
                "750D00000004SkLIAU",
                BatchState::Failed
            )
        }
    );
}

#[test]
fn deserde_batch_info_json() {
    let info = parse_batch_info(&with_bom(fixture!("batch-info.json")), DocFormat::Json).unwrap();
    assert_eq!(info.id, "751D00000004YGeIAM");
    assert_eq!(info.job_id, "750D00000004SkVIAU");
    assert_eq!(info.state, Some(BatchState::Failed));
    assert_eq!(
        info.state_message.as_deref(),
        Some(
            "InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root entity of the requested \
             query (Contact) does not match the entity of the requested Bulk API Job (Account)."
        )
    );
    assert_eq!(
        info.created_date.as_deref(),
        Some("2015-12-15T21:56:43.000+0000")
    );
    assert_eq!(
        info.system_modstamp.as_deref(),
        Some("2015-12-15T21:57:19.000+0000")
    );
}

#[test]
fn batch_info_refuses_a_job_info() {
    assert_eq!(
        parse_batch_info(fixture!("job-info-create.xml"), DocFormat::Xml),
        Err("expected <batchInfo>, found <jobInfo>".into())
    );
}

// ---- batchInfoList ----------------------------------------------------------------------

#[test]
fn deserde_batch_list_empty_xml() {
    assert_eq!(
        parse_batch_list(fixture!("batch-info-list-empty.xml"), DocFormat::Xml),
        Ok(vec![])
    );
}

#[test]
fn deserde_batch_list_one_xml() {
    let list = parse_batch_list(fixture!("batch-info-list-one.xml"), DocFormat::Xml).unwrap();
    assert_eq!(
        list,
        vec![BatchInfo {
            created_date: Some("2015-12-15T21:41:45.000Z".into()),
            system_modstamp: Some("2015-12-15T21:41:51.000Z".into()),
            number_records_processed: 2,
            number_records_failed: 1,
            total_processing_time: 571,
            api_active_processing_time: 319,
            ..batch(
                "751D00000004YGZIA2",
                "750D00000004SkLIAU",
                BatchState::Completed
            )
        }]
    );
}

#[test]
fn deserde_batch_list_many_xml() {
    let list = parse_batch_list(fixture!("batch-info-list-many.xml"), DocFormat::Xml).unwrap();
    let summary: Vec<_> = list
        .iter()
        .map(|b| {
            (
                b.id.as_str(),
                b.state.clone(),
                b.number_records_processed,
                b.state_message.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("751D00000004YGZIA2", Some(BatchState::Completed), 2, None),
            ("751D00000004YGeIAM", Some(BatchState::InProgress), 0, None),
            (
                "751D00000004YGjIAM",
                Some(BatchState::Failed),
                200,
                Some("TooManyLockFailure : Too many lock failure 200 Trying again later.")
            ),
        ]
    );
    assert_eq!(list[2].total_processing_time, 90211);
}

#[test]
fn deserde_batch_list_pk_chunking_xml() {
    let list =
        parse_batch_list(fixture!("batch-info-list-pk-chunking.xml"), DocFormat::Xml).unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[0].state, Some(BatchState::NotProcessed));
    assert!(list[0].state.as_ref().is_some_and(BatchState::is_final));
    assert!(
        list[1..]
            .iter()
            .all(|b| b.state == Some(BatchState::Completed))
    );
    assert_eq!(
        list.iter().map(|b| b.number_records_processed).sum::<u64>(),
        339_080
    );
    assert!(list.iter().all(|b| b.job_id == "750D00000004T5OIAU"));
}

#[test]
fn deserde_batch_list_json_array() {
    let list = parse_batch_list(fixture!("batch-info-list.json"), DocFormat::Json).unwrap();
    let states: Vec<_> = list
        .iter()
        .map(|b| (b.id.as_str(), b.state.clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("751D00000004YGZIA2", Some(BatchState::Queued)),
            ("751D00000004YGeIAM", Some(BatchState::NotProcessed)),
        ]
    );
}

#[test]
fn deserde_batch_list_json_single_object() {
    let list = parse_batch_list(fixture!("batch-info-list-single.json"), DocFormat::Json).unwrap();
    assert_eq!(
        list,
        vec![BatchInfo {
            created_date: Some("2015-12-15T22:52:49.000+0000".into()),
            system_modstamp: Some("2015-12-15T22:52:51.000+0000".into()),
            number_records_processed: 3,
            total_processing_time: 388,
            ..batch(
                "751D00000004YGZIA2",
                "750D00000004SkGIAU",
                BatchState::Completed
            )
        }]
    );
}

#[test]
fn batch_list_json_empty_forms() {
    for body in [
        "{}",
        "{\"batchInfo\":[]}",
        "{\"batchInfo\":null}",
        "[]",
        " { \"other\": 1 } ",
    ] {
        assert_eq!(
            parse_batch_list(body.as_bytes(), DocFormat::Json),
            Ok(vec![]),
            "{body}"
        );
    }
    assert_eq!(
        parse_batch_list(b"[{\"id\":\"751\"},{\"jobId\":\"750\"}]", DocFormat::Json),
        Err("batchInfo 2: expected a batchInfo with an `id`, found none".into())
    );
    assert_eq!(
        parse_batch_list(b"\"x\"", DocFormat::Json),
        Err("expected a batchInfo list json object, found a string".into())
    );
}

// ---- error ------------------------------------------------------------------------------

#[test]
fn deserde_error_xml() {
    assert_eq!(
        parse_error(fixture!("error-invalid-session.xml"), DocFormat::Xml),
        Some(("InvalidSessionId".into(), "Invalid session id".into()))
    );
    assert_eq!(
        parse_error(
            &with_bom(fixture!("error-invalid-session.xml")),
            DocFormat::Xml
        ),
        Some(("InvalidSessionId".into(), "Invalid session id".into()))
    );
}

#[test]
fn deserde_error_json() {
    assert_eq!(
        parse_error(fixture!("error-invalid-job.json"), DocFormat::Json),
        Some((
            "InvalidJob".into(),
            "Invalid job id: 750D00000004SkXXXX".into()
        ))
    );
}

#[test]
fn error_is_none_for_anything_else() {
    assert_eq!(
        parse_error(fixture!("job-info-create.xml"), DocFormat::Xml),
        None
    );
    assert_eq!(
        parse_error(fixture!("job-info.json"), DocFormat::Json),
        None
    );
    assert_eq!(
        parse_error(
            b"<error><exceptionCode> </exceptionCode></error>",
            DocFormat::Xml
        ),
        None
    );
    assert_eq!(
        parse_error(
            b"<html><body>Service Unavailable</body></html>",
            DocFormat::Xml
        ),
        None
    );
    // Bulk 2.0's (REST's) error array is an error document too.
    assert_eq!(
        parse_error(b"[{\"errorCode\":\"INVALID_SESSION_ID\"}]", DocFormat::Json),
        Some(("INVALID_SESSION_ID".into(), String::new()))
    );
    assert_eq!(parse_error(b"", DocFormat::Xml), None);
    assert_eq!(
        parse_error(
            b"<error><exceptionCode>InvalidXML</exceptionCode></error>",
            DocFormat::Xml
        ),
        Some(("InvalidXML".into(), String::new()))
    );
}

// ---- batch results ----------------------------------------------------------------------

#[test]
fn deserde_ingest_results_csv() {
    let results = parse_batch_results(
        fixture!("ingest-results.csv"),
        Some("text/csv; charset=UTF-8"),
    )
    .unwrap();
    assert_eq!(
        results,
        BatchResults::Ingest(vec![
            ok_result("003D000000Q89kQIAR", true),
            failed(vec![error(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"]
            )]),
            ok_result("003D000000Q89kRIAR", false),
            failed(vec![error(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "Phone must look like \"(555) 123-4567\", not 12,34\nor blank",
                &["Phone", "MobilePhone"]
            )]),
            failed(vec![error(
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record",
                &[]
            )]),
        ])
    );
    // Sniffed without a media type, and with a BOM.
    assert_eq!(
        parse_batch_results(&with_bom(fixture!("ingest-results.csv")), None),
        Ok(results)
    );
}

#[test]
fn ingest_results_csv_columns_by_name() {
    let body = b"success,ID,Error\r\ntrue,001x,\r\nFALSE,,\"A_B:m:--\"\r\n";
    assert_eq!(
        parse_batch_results(body, Some("text/csv")),
        Ok(BatchResults::Ingest(vec![
            RecordResult {
                created: false,
                ..ok_result("001x", false)
            },
            failed(vec![error("A_B", "m", &[])]),
        ]))
    );
    assert_eq!(
        parse_batch_results(b"\"Name\",\"Phone\"\n\"a\",\"b\"\n", Some("text/csv")),
        Err(
            "expected csv result columns \"Id\" and \"Success\", found header \"Name,Phone\""
                .into()
        )
    );
    assert_eq!(
        parse_batch_results(b"Id,Success\n001,maybe\n", Some("text/csv")),
        Err("result 1: expected true or false in `success`, found \"maybe\"".into())
    );
    assert_eq!(
        parse_batch_results(b"", Some("text/csv")),
        Ok(BatchResults::Ingest(vec![]))
    );
}

#[test]
fn deserde_ingest_results_xml() {
    let results =
        parse_batch_results(fixture!("ingest-results.xml"), Some("application/xml")).unwrap();
    assert_eq!(
        results,
        BatchResults::Ingest(vec![
            ok_result("001D000000ISUr3IAH", true),
            ok_result("001D000000ISUr4IAH", true),
            failed(vec![error(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"]
            )]),
        ])
    );
}

#[test]
fn deserde_ingest_results_xml_failed_ids() {
    let results = parse_batch_results(fixture!("ingest-results-failed-ids.xml"), None).unwrap();
    assert_eq!(
        results,
        BatchResults::Ingest(vec![
            failed(vec![
                error(
                    "DUPLICATE_VALUE",
                    "duplicate value found: <Name> & Phone",
                    &["Name", "Phone"]
                ),
                error("FIELD_INTEGRITY_EXCEPTION", "Second problem", &[]),
            ]),
            failed(vec![error(
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record",
                &[]
            )]),
            ok_result("001D000000ISUr5IAH", false),
        ])
    );
}

#[test]
fn deserde_ingest_results_json() {
    let results =
        parse_batch_results(fixture!("ingest-results.json"), Some("application/json")).unwrap();
    assert_eq!(
        results,
        BatchResults::Ingest(vec![
            ok_result("001xx000003DHP0AAO", true),
            ok_result("001xx000003DHP1AAO", false),
            failed(vec![error(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"]
            )]),
        ])
    );
    let loose = br#"[{"success":"false","created":0,"id":"","errors":{"fields":"Name","message":"m","statusCode":"C"}}]"#;
    assert_eq!(
        parse_batch_results(loose, Some("application/json")),
        Ok(BatchResults::Ingest(vec![failed(vec![error(
            "C",
            "m",
            &["Name"]
        )])]))
    );
}

#[test]
fn deserde_result_lists_xml() {
    let parse = |body: &[u8]| parse_batch_results(body, Some("application/xml; charset=UTF-8"));
    assert_eq!(
        parse(fixture!("result-list-empty.xml")),
        Ok(BatchResults::Query(vec![]))
    );
    assert_eq!(
        parse(fixture!("result-list-one.xml")),
        Ok(BatchResults::Query(vec!["7520K000006xcOc".into()]))
    );
    assert_eq!(
        parse(fixture!("result-list-many.xml")),
        Ok(BatchResults::Query(vec![
            "752x00000004CJE".into(),
            "752x00000004CCC".into(),
            "752x00000004CDD".into()
        ]))
    );
    // A CSV job's result list is XML even though its results are CSV: sniffed without a type.
    assert_eq!(
        parse_batch_results(fixture!("result-list-one.xml"), None),
        Ok(BatchResults::Query(vec!["7520K000006xcOc".into()]))
    );
}

#[test]
fn deserde_result_list_json() {
    assert_eq!(
        parse_batch_results(fixture!("result-list.json"), Some("application/json")),
        Ok(BatchResults::Query(vec![
            "752x00000004CJE".into(),
            "752x00000004CCC".into()
        ]))
    );
    assert_eq!(
        parse_batch_results(b"[]", Some("application/json")),
        Ok(BatchResults::Ingest(vec![]))
    );
    assert_eq!(
        parse_batch_results(b" [ ] ", None),
        Ok(BatchResults::Ingest(vec![]))
    );
}

#[test]
fn batch_results_refuse_other_shapes() {
    assert_eq!(
        parse_batch_results(
            fixture!("error-invalid-session.xml"),
            Some("application/xml")
        ),
        Err("expected <results> or <result-list>, found <error>".into())
    );
    assert_eq!(
        parse_batch_results(fixture!("error-invalid-job.json"), Some("application/json")),
        Err("expected a json array of results or result ids, found an object".into())
    );
    assert_eq!(
        parse_batch_results(b"[\"752\", {\"success\":true}]", Some("application/json")),
        Err("result 2: expected a result id string like the first item, found an object".into())
    );
    assert_eq!(
        parse_batch_results(b"[{\"success\":true}, \"752\"]", Some("application/json")),
        Err("result 2: expected a result object like the first item, found a string".into())
    );
    assert_eq!(
        parse_batch_results(b"[1]", Some("application/json")),
        Err("result 1: expected a result object or a result id string, found a number".into())
    );
}

// ---- create job / state change ----------------------------------------------------------

/// The create-job body read back, for semantic comparisons.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobRequestBack {
    operation: Option<String>,
    object: Option<String>,
    external_id_field_name: Option<String>,
    concurrency_mode: Option<String>,
    content_type: Option<String>,
    assignment_rule_id: Option<String>,
}

fn full_request() -> JobRequest {
    JobRequest {
        external_id_field_name: Some("Ext_Id__c".into()),
        concurrency_mode: Some(ConcurrencyMode::Serial),
        content_type: Some(ContentType::Csv),
        assignment_rule_id: Some("01Qxx0000000001".into()),
        pk_chunking: Some(PkChunking::default()),
        disable_batch_retry: true,
        line_ending: Some(LineEnding::Crlf),
        ..JobRequest::new(Operation::Upsert, "Contact")
    }
}

#[test]
fn job_request_xml_is_in_schema_order() {
    let body = write_job_request(&full_request(), DocFormat::Xml).unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload">"#,
            "<operation>upsert</operation>",
            "<object>Contact</object>",
            "<externalIdFieldName>Ext_Id__c</externalIdFieldName>",
            "<concurrencyMode>Serial</concurrencyMode>",
            "<contentType>CSV</contentType>",
            "<assignmentRuleId>01Qxx0000000001</assignmentRuleId>",
            "</jobInfo>"
        )
    );
    let minimal = write_job_request(
        &JobRequest::new(Operation::HardDelete, "Account"),
        DocFormat::Xml,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(minimal).unwrap(),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload">"#,
            "<operation>hardDelete</operation><object>Account</object></jobInfo>"
        )
    );
}

#[test]
fn job_request_round_trips_in_xml_and_json() {
    let expected = JobRequestBack {
        operation: Some("upsert".into()),
        object: Some("Contact".into()),
        external_id_field_name: Some("Ext_Id__c".into()),
        concurrency_mode: Some("Serial".into()),
        content_type: Some("CSV".into()),
        assignment_rule_id: Some("01Qxx0000000001".into()),
    };
    let xml = write_job_request(&full_request(), DocFormat::Xml).unwrap();
    let (root, value) = xml::parse(std::str::from_utf8(&xml).unwrap()).unwrap();
    assert_eq!(root, "jobInfo");
    let control::Value::Map(fields) = value else {
        panic!("expected child elements, found {value:?}");
    };
    let field = |name: &str| {
        fields.iter().find_map(|(k, v)| match v {
            control::Value::Str(s) if k == name => Some(s.clone()),
            _ => None,
        })
    };
    let back = JobRequestBack {
        operation: field("operation"),
        object: field("object"),
        external_id_field_name: field("externalIdFieldName"),
        concurrency_mode: field("concurrencyMode"),
        content_type: field("contentType"),
        assignment_rule_id: field("assignmentRuleId"),
    };
    assert_eq!(back, expected);
    assert_eq!(fields.len(), 6);

    let body = write_job_request(&full_request(), DocFormat::Json).unwrap();
    let back: JobRequestBack = serde_json::from_slice(&body).unwrap();
    assert_eq!(back, expected);
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        value,
        json!({"operation":"upsert","object":"Contact","externalIdFieldName":"Ext_Id__c",
               "concurrencyMode":"Serial","contentType":"CSV","assignmentRuleId":"01Qxx0000000001"})
    );
    // Field order follows the schema in JSON too.
    assert!(
        String::from_utf8(body)
            .unwrap()
            .starts_with(r#"{"operation":"upsert","object":"Contact","externalIdFieldName""#)
    );

    let query = JobRequest {
        content_type: Some(ContentType::Json),
        external_id_field_name: Some("  ".into()),
        assignment_rule_id: Some(String::new()),
        ..JobRequest::new(Operation::QueryAll, "Account")
    };
    let value: serde_json::Value =
        serde_json::from_slice(&write_job_request(&query, DocFormat::Json).unwrap()).unwrap();
    assert_eq!(
        value,
        json!({"operation":"queryAll","object":"Account","contentType":"JSON"})
    );
}

#[test]
fn job_request_escapes_what_it_writes() {
    // The wire layer writes what it is given; the protocol layer refuses bad requests
    // (`protocol::golden_tests`).
    let odd = JobRequest::new(Operation::Unknown("a<b&c".into()), "Account");
    let xml = String::from_utf8(write_job_request(&odd, DocFormat::Xml).unwrap()).unwrap();
    assert!(xml.contains("<operation>a&lt;b&amp;c</operation>"), "{xml}");
}

#[test]
fn state_change_bodies() {
    assert_eq!(
        String::from_utf8(write_state_change(JobStateChange::Closed, DocFormat::Xml)).unwrap(),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><state>Closed</state></jobInfo>"#
        )
    );
    assert_eq!(
        write_state_change(JobStateChange::Aborted, DocFormat::Json),
        br#"{"state":"Aborted"}"#
    );
    assert_eq!(
        write_state_change(JobStateChange::Closed, DocFormat::Json),
        br#"{"state":"Closed"}"#
    );
}

// ---- records ----------------------------------------------------------------------------

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

/// Values that break naive writers.
fn nasty_set() -> RecordSet {
    RecordSet {
        fields: [
            "Name",
            "Description",
            "ReportsTo.Email",
            "Amount",
            "IsActive",
            "ReportsTo.Name",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![
            vec![
                text("Acme, \"Inc.\""),
                text("line 1\nline 2\r\nline 3"),
                text("boss@example.com"),
                FieldValue::Number(1234.5),
                FieldValue::Boolean(true),
                text("Zoë <Boss> & Co"),
            ],
            vec![
                text(" padded "),
                FieldValue::Null,
                FieldValue::Null,
                FieldValue::Number(-3.0),
                FieldValue::Boolean(false),
                text(""),
            ],
            vec![
                text("日本語 😀"),
                text("'single' #N/A"),
                text("x@y.z"),
                FieldValue::Number(1e21),
                FieldValue::Null,
                text("tab\tinside"),
            ],
        ],
    }
}

#[test]
fn records_csv_exact_and_round_trip() {
    let set = nasty_set();
    let body = write_records(&set, RecordFormat::Csv).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(
        text,
        concat!(
            "Name,Description,ReportsTo.Email,Amount,IsActive,ReportsTo.Name\n",
            "\"Acme, \"\"Inc.\"\"\",\"line 1\nline 2\r\nline 3\",boss@example.com,1234.5,true,Zoë <Boss> & Co\n",
            "\" padded \",#N/A,#N/A,-3,false,\n",
            "日本語 😀,'single' #N/A,x@y.z,1e21,#N/A,tab\tinside\n",
        )
    );
    let mut reader = ::csv::ReaderBuilder::new().from_reader(body.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, set.fields);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let expected: Vec<Vec<String>> = set
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    FieldValue::Null => "#N/A".to_string(),
                    FieldValue::Text(t) => t.clone(),
                    FieldValue::Number(n) => records::format_number(*n),
                    FieldValue::Boolean(b) => b.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(count_csv_records(&body), Ok(3));
}

#[test]
fn records_csv_polymorphic_header_and_lone_empty_value() {
    let set = RecordSet {
        fields: vec!["Lead:Who.Email".into()],
        rows: vec![vec![text("")], vec![text("a@b.c")]],
    };
    let body = write_records(&set, RecordFormat::Csv).unwrap();
    assert_eq!(body, b"Lead:Who.Email\n\"\"\na@b.c\n");
    assert_eq!(count_csv_records(&body), Ok(2));
    assert_eq!(
        write_records(&set, RecordFormat::Xml),
        Err(
            "expected a field name without a `Type:` prefix (csv only), found \"Lead:Who.Email\""
                .into()
        )
    );
}

#[test]
fn records_xml_exact() {
    let body = write_records(&nasty_set(), RecordFormat::Xml).unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<sObject>",
            "<Name>Acme, \"Inc.\"</Name>",
            "<Description>line 1\nline 2&#13;\nline 3</Description>",
            "<ReportsTo><sObject><Email>boss@example.com</Email><Name>Zoë &lt;Boss&gt; &amp; Co</Name></sObject></ReportsTo>",
            "<Amount>1234.5</Amount>",
            "<IsActive>true</IsActive>",
            "</sObject>",
            "<sObject>",
            "<Name> padded </Name>",
            r#"<Description xsi:nil="true"/>"#,
            r#"<ReportsTo><sObject><Email xsi:nil="true"/><Name></Name></sObject></ReportsTo>"#,
            "<Amount>-3</Amount>",
            "<IsActive>false</IsActive>",
            "</sObject>",
            "<sObject>",
            "<Name>日本語 😀</Name>",
            "<Description>'single' #N/A</Description>",
            "<ReportsTo><sObject><Email>x@y.z</Email><Name>tab\tinside</Name></sObject></ReportsTo>",
            "<Amount>1e21</Amount>",
            r#"<IsActive xsi:nil="true"/>"#,
            "</sObject>",
            "</sObjects>"
        )
    );
}

/// Reads an `<sObjects>` body back into (path, text or nil) per record.
fn read_sobjects(body: &[u8]) -> Vec<Vec<(String, Option<String>)>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let (mut records, mut path, mut current) = (Vec::new(), Vec::<String>::new(), Vec::new());
    let mut buf = Vec::new();
    let mut pending: Option<String> = None;
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            Event::Start(e) => {
                path.push(String::from_utf8(e.local_name().as_ref().to_vec()).unwrap());
                pending = Some(String::new());
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                let nil = e
                    .attributes()
                    .any(|a| a.unwrap().key.as_ref() == b"xsi:nil");
                assert!(nil);
                current.push(([path.join("/"), name].join("/"), None));
            }
            Event::Text(t) => {
                if let Some(p) = &mut pending {
                    p.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = &mut pending {
                    let c = r.resolve_char_ref().unwrap();
                    match c {
                        Some(c) => p.push(c),
                        None => p.push_str(
                            quick_xml::escape::resolve_xml_entity(&r.decode().unwrap()).unwrap(),
                        ),
                    }
                }
            }
            Event::End(_) => {
                let name = path.join("/");
                path.pop();
                if name == "sObjects/sObject" {
                    records.push(std::mem::take(&mut current));
                } else if let Some(text) = pending.take() {
                    current.push((name, Some(text)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    records
}

#[test]
fn records_xml_round_trip() {
    let body = write_records(&nasty_set(), RecordFormat::Xml).unwrap();
    let records = read_sobjects(&body);
    let s = |p: &str, v: &str| (p.to_string(), Some(v.to_string()));
    let nil = |p: &str| (p.to_string(), None);
    assert_eq!(
        records,
        vec![
            vec![
                s("sObjects/sObject/Name", "Acme, \"Inc.\""),
                s("sObjects/sObject/Description", "line 1\nline 2\r\nline 3"),
                s(
                    "sObjects/sObject/ReportsTo/sObject/Email",
                    "boss@example.com"
                ),
                s("sObjects/sObject/ReportsTo/sObject/Name", "Zoë <Boss> & Co"),
                s("sObjects/sObject/Amount", "1234.5"),
                s("sObjects/sObject/IsActive", "true"),
            ],
            vec![
                s("sObjects/sObject/Name", " padded "),
                nil("sObjects/sObject/Description"),
                nil("sObjects/sObject/ReportsTo/sObject/Email"),
                s("sObjects/sObject/ReportsTo/sObject/Name", ""),
                s("sObjects/sObject/Amount", "-3"),
                s("sObjects/sObject/IsActive", "false"),
            ],
            vec![
                s("sObjects/sObject/Name", "日本語 😀"),
                s("sObjects/sObject/Description", "'single' #N/A"),
                s("sObjects/sObject/ReportsTo/sObject/Email", "x@y.z"),
                s("sObjects/sObject/ReportsTo/sObject/Name", "tab\tinside"),
                s("sObjects/sObject/Amount", "1e21"),
                nil("sObjects/sObject/IsActive"),
            ],
        ]
    );
}

#[test]
fn records_xml_refuses_control_characters() {
    let set = RecordSet {
        fields: vec!["Name".into(), "Notes".into()],
        rows: vec![
            vec![text("ok"), text("ok")],
            vec![text("ok"), text("form\u{c}feed")],
        ],
    };
    assert_eq!(
        write_records(&set, RecordFormat::Xml),
        Err("row 2, field `Notes`: expected text xml can carry, found character U+000C".into())
    );
    // CSV and JSON can carry it.
    assert!(write_records(&set, RecordFormat::Csv).is_ok());
    let json: serde_json::Value =
        serde_json::from_slice(&write_records(&set, RecordFormat::Json).unwrap()).unwrap();
    assert_eq!(json[1]["Notes"], "form\u{c}feed");
}

#[test]
fn records_json_round_trip() {
    let body = write_records(&nasty_set(), RecordFormat::Json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        value,
        json!([
            {"Name":"Acme, \"Inc.\"","Description":"line 1\nline 2\r\nline 3",
             "ReportsTo":{"Email":"boss@example.com","Name":"Zoë <Boss> & Co"},"Amount":1234.5,"IsActive":true},
            {"Name":" padded ","Description":null,"ReportsTo":{"Email":null,"Name":""},"Amount":-3,"IsActive":false},
            {"Name":"日本語 😀","Description":"'single' #N/A","ReportsTo":{"Email":"x@y.z","Name":"tab\tinside"},
             "Amount":1e21,"IsActive":null}
        ])
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with(r#"[{"Name":"Acme, \"Inc.\"","Description":"line 1\nline 2\r\nline 3","ReportsTo":{"Email""#),
        "{text}"
    );
    assert!(
        text.contains(r#""Amount":-3,"#),
        "integral numbers have no fraction: {text}"
    );
}

#[test]
fn records_refuse_bad_rows_in_every_format() {
    let short = RecordSet {
        fields: vec!["Name".into(), "Phone".into()],
        rows: vec![vec![text("a"), text("b")], vec![text("c")]],
    };
    let infinite = RecordSet {
        fields: vec!["Amount".into()],
        rows: vec![vec![FieldValue::Number(f64::INFINITY)]],
    };
    let bad_name = RecordSet {
        fields: vec!["Name".into(), "Bad-Name".into()],
        rows: vec![],
    };
    for fmt in [RecordFormat::Csv, RecordFormat::Xml, RecordFormat::Json] {
        assert_eq!(
            write_records(&short, fmt),
            Err("row 2: expected 2 values (one per field), found 1".into()),
            "{fmt:?}"
        );
        assert_eq!(
            write_records(&infinite, fmt),
            Err("row 1, field `Amount`: expected a finite number, found inf".into()),
            "{fmt:?}"
        );
        assert!(
            write_records(&bad_name, fmt)
                .unwrap_err()
                .ends_with("found \"Bad-Name\""),
            "{fmt:?}"
        );
        assert_eq!(
            write_records(&RecordSet::default(), fmt),
            Err("expected at least one field, found none".into()),
            "{fmt:?}"
        );
    }
}

#[test]
fn records_without_rows() {
    let set = RecordSet {
        fields: vec!["Name".into()],
        rows: vec![],
    };
    assert_eq!(write_records(&set, RecordFormat::Csv).unwrap(), b"Name\n");
    assert_eq!(write_records(&set, RecordFormat::Json).unwrap(), b"[]");
    assert!(
        String::from_utf8(write_records(&set, RecordFormat::Xml).unwrap())
            .unwrap()
            .ends_with("\"></sObjects>")
    );
}

// ---- count / zip ------------------------------------------------------------------------

#[test]
fn count_csv_records_is_csv_aware() {
    assert_eq!(count_csv_records(b""), Ok(0));
    assert_eq!(count_csv_records(b"Name,Description\n"), Ok(0));
    assert_eq!(count_csv_records(b"Name,Description\na,b"), Ok(1));
    assert_eq!(
        count_csv_records(b"Name,Description\r\n\"a\",\"multi\r\nline, with \"\"quotes\"\"\"\r\n\r\nb,\"\n\n\"\r\n"),
        Ok(2)
    );
    assert_eq!(count_csv_records(&with_bom(b"Name\nx\ny\n")), Ok(2));
    assert_eq!(count_csv_records(fixture!("ingest-results.csv")), Ok(5));
    assert!(count_csv_records(b"Name\n\xC3\x28\n").is_err());
}

#[test]
fn attachment_zip_fixture() {
    assert_eq!(check_attachment_zip(fixture!("attachments.zip")), Ok(4));
    assert_eq!(
        check_attachment_zip(fixture!("job-info-create.xml")),
        Err("expected a zip archive, found no end of central directory record".into())
    );
}

// ---- damaged input ----------------------------------------------------------------------

/// Runs every parser on `body`; none may panic.
fn run_all_parsers(body: &[u8]) {
    for fmt in [DocFormat::Xml, DocFormat::Json] {
        let _ = parse_job_info(body, fmt);
        let _ = parse_batch_info(body, fmt);
        let _ = parse_batch_list(body, fmt);
        let _ = parse_error(body, fmt);
    }
    for ct in [
        None,
        Some("text/csv"),
        Some("application/xml"),
        Some("application/json"),
    ] {
        let _ = parse_batch_results(body, ct);
    }
    let _ = count_csv_records(body);
    let _ = check_attachment_zip(body);
    let _ = detect_format(None, body);
}

type Parser = fn(&[u8]) -> bool;

/// Control-document fixtures with the parser that must accept the whole and refuse any
/// strict prefix of it (trailing whitespace aside).
fn strict_fixtures() -> Vec<(&'static str, &'static [u8], Parser)> {
    let xml_job: Parser = |b| parse_job_info(b, DocFormat::Xml).is_ok();
    let json_job: Parser = |b| parse_job_info(b, DocFormat::Json).is_ok();
    let xml_batch: Parser = |b| parse_batch_info(b, DocFormat::Xml).is_ok();
    let json_batch: Parser = |b| parse_batch_info(b, DocFormat::Json).is_ok();
    let xml_list: Parser = |b| parse_batch_list(b, DocFormat::Xml).is_ok();
    let json_list: Parser = |b| parse_batch_list(b, DocFormat::Json).is_ok();
    let xml_error: Parser = |b| parse_error(b, DocFormat::Xml).is_some();
    let json_error: Parser = |b| parse_error(b, DocFormat::Json).is_some();
    let xml_results: Parser = |b| parse_batch_results(b, Some("application/xml")).is_ok();
    let json_results: Parser = |b| parse_batch_results(b, Some("application/json")).is_ok();
    vec![
        (
            "job-info-create.xml",
            fixture!("job-info-create.xml"),
            xml_job,
        ),
        ("job-info.json", fixture!("job-info.json"), json_job),
        (
            "job-info-tolerant.xml",
            fixture!("job-info-tolerant.xml"),
            xml_job,
        ),
        (
            "job-info-tolerant.json",
            fixture!("job-info-tolerant.json"),
            json_job,
        ),
        (
            "batch-info-failed.xml",
            fixture!("batch-info-failed.xml"),
            xml_batch,
        ),
        ("batch-info.json", fixture!("batch-info.json"), json_batch),
        (
            "batch-info-list-empty.xml",
            fixture!("batch-info-list-empty.xml"),
            xml_list,
        ),
        (
            "batch-info-list-one.xml",
            fixture!("batch-info-list-one.xml"),
            xml_list,
        ),
        (
            "batch-info-list-many.xml",
            fixture!("batch-info-list-many.xml"),
            xml_list,
        ),
        (
            "batch-info-list-pk-chunking.xml",
            fixture!("batch-info-list-pk-chunking.xml"),
            xml_list,
        ),
        (
            "batch-info-list.json",
            fixture!("batch-info-list.json"),
            json_list,
        ),
        (
            "batch-info-list-single.json",
            fixture!("batch-info-list-single.json"),
            json_list,
        ),
        (
            "error-invalid-session.xml",
            fixture!("error-invalid-session.xml"),
            xml_error,
        ),
        (
            "error-invalid-job.json",
            fixture!("error-invalid-job.json"),
            json_error,
        ),
        (
            "ingest-results.xml",
            fixture!("ingest-results.xml"),
            xml_results,
        ),
        (
            "ingest-results-failed-ids.xml",
            fixture!("ingest-results-failed-ids.xml"),
            xml_results,
        ),
        (
            "ingest-results.json",
            fixture!("ingest-results.json"),
            json_results,
        ),
        (
            "result-list-empty.xml",
            fixture!("result-list-empty.xml"),
            xml_results,
        ),
        (
            "result-list-one.xml",
            fixture!("result-list-one.xml"),
            xml_results,
        ),
        (
            "result-list-many.xml",
            fixture!("result-list-many.xml"),
            xml_results,
        ),
        (
            "result-list.json",
            fixture!("result-list.json"),
            json_results,
        ),
    ]
}

#[test]
fn truncated_documents_are_refused() {
    for (name, body, accepts) in strict_fixtures() {
        assert!(accepts(body), "{name} must parse whole");
        let end = body.len()
            - body
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        for len in 0..end {
            assert!(
                !accepts(&body[..len]),
                "{name} cut to {len} bytes must be refused"
            );
        }
    }
}

#[test]
fn damaged_input_never_panics() {
    let mut all: Vec<&[u8]> = strict_fixtures()
        .into_iter()
        .map(|(_, body, _)| body)
        .collect();
    all.push(fixture!("ingest-results.csv"));
    all.push(fixture!("attachments.zip"));
    // Every parser on every third prefix and every third byte replaced (the matching parser
    // sees every prefix in `truncated_documents_are_refused`); all parsers is slow in debug.
    for body in all {
        for len in (0..=body.len()).step_by(3) {
            run_all_parsers(&body[..len]);
        }
        for at in (1..body.len()).step_by(3) {
            let mut bad = body.to_vec();
            bad[at] = [b'<', b'"', 0xFF, b'0'][at % 4];
            run_all_parsers(&bad);
        }
    }
    // Pseudo-random garbage (fixed seed).
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for len in [0usize, 1, 2, 3, 21, 22, 64, 500, 4096] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        run_all_parsers(&garbage);
    }
    for odd in [
        &b"<a"[..],
        b"<?xml",
        b"<![CDATA[",
        b"<!DOCTYPE x [<!ENTITY e \"&e;&e;\">]><jobInfo>&e;</jobInfo>",
        b"{\"batchInfo\":{\"batchInfo\":",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"\"",
        b"PK\x05\x06",
        b"\xEF\xBB\xBF",
    ] {
        run_all_parsers(odd);
    }
}

#[test]
fn xml_quirks_pinned() {
    // A namespace prefix instead of the default namespace still reads.
    let prefixed = br#"<ns:jobInfo xmlns:ns="http://www.force.com/2009/06/asyncapi/dataload"><ns:id>750</ns:id><ns:state>Closed</ns:state></ns:jobInfo>"#;
    let job = parse_job_info(prefixed, DocFormat::Xml).unwrap();
    assert_eq!(
        (job.id.as_str(), job.state),
        ("750", Some(JobState::Closed))
    );
    // Entities, character references and CDATA are resolved.
    let escaped = b"<jobInfo><id>1</id><object><![CDATA[A<]]>&amp;&#66;</object></jobInfo>";
    assert_eq!(
        parse_job_info(escaped, DocFormat::Xml).unwrap().object,
        "A<&B"
    );
    // A repeated single-valued element is refused rather than guessed.
    assert_eq!(
        parse_job_info(b"<jobInfo><id>1</id><id>2</id></jobInfo>", DocFormat::Xml),
        Err("malformed <jobInfo>: duplicate field `id`".into())
    );
    // List items need not be adjacent: an unknown element between them is skipped.
    let ids: Vec<String> = parse_batch_list(
        b"<batchInfoList><batchInfo><id>1</id></batchInfo><x/><batchInfo><id>2</id></batchInfo></batchInfoList>",
        DocFormat::Xml,
    )
    .unwrap()
    .into_iter()
    .map(|b| b.id)
    .collect();
    assert_eq!(ids, ["1", "2"]);
}
