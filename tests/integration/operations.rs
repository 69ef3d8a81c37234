//! Every seed operation through the real component, hosted by wasmtime, against the mock.

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn init_returns_the_bulk_base_url_and_refuses_bad_config() {
    let mock = mock();
    let mut inst = instance().await;
    let base = ok(inst.init(&cfg(&mock)).await);
    assert_eq!(base, format!("{}/services/async/59.0", mock.url()));

    let mut bad = cfg(&mock);
    bad.api_url = "http://example.com".into();
    let e = err(inst.init(&bad).await);
    assert!(
        e.kind == ErrorKind::InvalidInput && e.message.contains("non-loopback"),
        "{e:?}"
    );

    let mut bad = cfg(&mock);
    bad.api_version = "v59".into();
    assert!(err(inst.init(&bad).await).kind == ErrorKind::InvalidInput);
    assert_eq!(mock.request_count(), 0, "init sends nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_insert_job_full_cycle() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;

    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        )
        .await);
    assert_eq!(job.id.len(), 18);
    assert_eq!(job.state, JobState::Open);
    assert_eq!(job.object, "Contact");
    assert_eq!(job.content_type, Some(ContentType::Csv));
    assert_eq!(job.operation, Operation::Insert);
    assert_eq!(job.number_batches_total, 0);

    let body = "FirstName,LastName,Description\nAda,Lovelace,\"a, b\"\nNo,,missing last name\nÉmile,Zola,\"line1\nline2\"\n";
    let batch = ok(inst.add_batch(&cfg, &job.id, &csv(body)).await);
    assert_eq!(batch.job_id, job.id);
    assert_eq!(batch.state, BatchState::Queued);

    let stored = ok(inst.get_batch_request(&cfg, &job.id, &batch.id).await);
    assert_eq!(
        stored,
        body.as_bytes(),
        "get-batch-request returns the exact bytes"
    );

    let closed = ok(inst.update_job(&cfg, &job.id, JobStateChange::Closed).await);
    assert_eq!(closed.state, JobState::Closed);

    let done = wait_batch(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(done.state, BatchState::Completed);
    assert_eq!(done.number_records_processed, 3);
    assert_eq!(done.number_records_failed, 1);

    let rows = ingest_results(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(rows.len(), 3);
    assert!(rows[0].success && rows[0].created);
    assert!(
        rows[0]
            .id
            .as_deref()
            .is_some_and(|id| id.starts_with("003"))
    );
    assert!(!rows[1].success);
    assert_eq!(rows[1].id, None);
    assert_eq!(rows[1].errors[0].status_code, "REQUIRED_FIELD_MISSING");
    assert_eq!(rows[1].errors[0].fields, vec!["LastName".to_string()]);
    assert!(rows[2].success);
    assert_eq!(mock.record_count("Contact"), 2);

    let info = ok(inst.get_job(&cfg, &job.id).await);
    assert_eq!(info.number_batches_completed, 1);
    assert_eq!(info.number_records_processed, 3);
    assert_eq!(info.number_records_failed, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn xml_job_with_typed_records_and_nulls() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Xml)),
        )
        .await);
    assert_eq!(job.content_type, Some(ContentType::Xml));
    let set = RecordSet {
        fields: vec![
            "Name".into(),
            "Description".into(),
            "NumberOfEmployees".into(),
        ],
        rows: vec![
            vec![
                FieldValue::Text("Acme <&> \"Co\"".into()),
                FieldValue::Null,
                FieldValue::Number(12.0),
            ],
            vec![
                FieldValue::Null,
                FieldValue::Text("no name".into()),
                FieldValue::Number(1.0),
            ],
        ],
    };
    let batch = ok(inst
        .add_batch(&cfg, &job.id, &BatchContent::Records(set))
        .await);
    let stored =
        String::from_utf8(ok(inst.get_batch_request(&cfg, &job.id, &batch.id).await)).unwrap();
    assert!(stored.contains("<sObjects"), "{stored}");
    assert!(stored.contains("xsi:nil=\"true\""), "{stored}");
    assert!(stored.contains("Acme &lt;&amp;&gt;"), "{stored}");
    wait_batch(&mut inst, &cfg, &job.id, &batch.id).await;
    let rows = ingest_results(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(rows.len(), 2);
    assert!(rows[0].success);
    assert!(!rows[1].success);
    assert_eq!(rows[1].errors[0].status_code, "REQUIRED_FIELD_MISSING");
    let stored = mock.records("Account");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].get("Name").map(String::as_str),
        Some("Acme <&> \"Co\"")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_job_with_typed_records() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Contact", Some(ContentType::Json)),
        )
        .await);
    assert_eq!(job.content_type, Some(ContentType::Json));
    let set = RecordSet {
        fields: vec!["LastName".into(), "FirstName".into()],
        rows: vec![
            vec![
                FieldValue::Text("Hopper".into()),
                FieldValue::Text("Grace".into()),
            ],
            vec![FieldValue::Text("Turing".into()), FieldValue::Null],
        ],
    };
    let batch = ok(inst
        .add_batch(&cfg, &job.id, &BatchContent::Records(set))
        .await);
    let stored = ok(inst.get_batch_request(&cfg, &job.id, &batch.id).await);
    let value: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(value[1]["FirstName"], serde_json::Value::Null);
    let done = wait_batch(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(done.state, BatchState::Completed);
    let rows = ingest_results(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(rows.iter().filter(|r| r.success).count(), 2);
    let list = ok(inst.list_batches(&cfg, &job.id).await);
    assert_eq!(list.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_batches_with_zero_one_and_many() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    assert!(ok(inst.list_batches(&cfg, &job.id).await).is_empty());
    let first = ok(inst.add_batch(&cfg, &job.id, &csv("Name\nA\n")).await);
    let one = ok(inst.list_batches(&cfg, &job.id).await);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, first.id);
    for i in 0..3 {
        ok(inst
            .add_batch(&cfg, &job.id, &csv(&format!("Name\nB{i}\n")))
            .await);
    }
    let many = ok(inst.list_batches(&cfg, &job.id).await);
    assert_eq!(many.len(), 4);
    assert!(many.iter().all(|b| b.job_id == job.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn query_with_several_result_files() {
    let mock = mock();
    mock.set_result_file_rows(40);
    let rows: Vec<Vec<(String, String)>> = (0..100)
        .map(|i| vec![("Name".to_string(), format!("Acc {i:03}"))])
        .collect();
    mock.insert_records("Account", rows);
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Query, "Account", Some(ContentType::Csv)),
        )
        .await);
    let batch = ok(inst
        .add_batch(
            &cfg,
            &job.id,
            &BatchContent::Query("SELECT Id, Name FROM Account ORDER BY Name".into()),
        )
        .await);
    assert_eq!(
        ok(inst.get_batch_request(&cfg, &job.id, &batch.id).await),
        b"SELECT Id, Name FROM Account ORDER BY Name"
    );
    let done = wait_batch(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(done.state, BatchState::Completed);
    let BatchResults::Query(ids) = ok(inst.get_batch_results(&cfg, &job.id, &batch.id).await)
    else {
        panic!("expected result ids");
    };
    assert_eq!(ids.len(), 3, "100 rows at 40 per file");
    let mut names = Vec::new();
    for id in &ids {
        let file = ok(inst
            .get_bulk_query_results(&cfg, &job.id, &batch.id, id)
            .await);
        let mut rdr = csv::Reader::from_reader(file.as_slice());
        assert_eq!(rdr.headers().unwrap(), vec!["Id", "Name"]);
        for rec in rdr.records() {
            names.push(rec.unwrap()[1].to_string());
        }
    }
    let expected: Vec<String> = (0..100).map(|i| format!("Acc {i:03}")).collect();
    assert_eq!(names, expected);

    // The reader returns the same bytes in pieces.
    let whole = ok(inst
        .get_bulk_query_results(&cfg, &job.id, &batch.id, &ids[0])
        .await);
    let reader = ok(inst
        .open_query_result(&cfg, &job.id, &batch.id, &ids[0])
        .await);
    let mut pieces = Vec::new();
    loop {
        let chunk = ok(inst.read(&reader, 100).await);
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= 100);
        pieces.extend(chunk);
    }
    inst.close(reader).await.unwrap();
    assert_eq!(pieces, whole);
}

#[tokio::test(flavor = "multi_thread")]
async fn zip_upload_job() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let parent =
        mock.insert_records("Account", vec![vec![("Name".into(), "Parent".into())]])[0].clone();
    let mut req = job_request(Operation::Insert, "Attachment", Some(ContentType::ZipCsv));
    req.concurrency_mode = Some(ConcurrencyMode::Parallel);
    let job = ok(inst.create_job_to_upload_batch_file(&cfg, &req).await);
    assert_eq!(job.content_type, Some(ContentType::ZipCsv));
    let manifest = format!(
        "Name,ParentId,Body\nhello.txt,{parent},#hello.txt\nmissing.txt,{parent},#nope.txt\n"
    );
    let zip = make_zip(&[
        ("request.txt", manifest.as_bytes()),
        ("hello.txt", b"hello world"),
    ]);
    let batch = ok(inst.upload_batch_file(&cfg, &job.id, &zip, None).await);
    let done = wait_batch(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(
        done.state,
        BatchState::Completed,
        "{:?}",
        done.state_message
    );
    let rows = ingest_results(&mut inst, &cfg, &job.id, &batch.id).await;
    assert_eq!(rows.len(), 2);
    assert!(rows[0].success);
    assert!(!rows[1].success);
    assert_eq!(rows[1].errors[0].status_code, "INVALID_FIELD");

    // A non-zip job is refused for attachments; a zip without request.txt is refused.
    let e = err(inst
        .create_job_to_upload_batch_file(
            &cfg,
            &job_request(Operation::Insert, "Attachment", Some(ContentType::Csv)),
        )
        .await);
    assert!(e.kind == ErrorKind::InvalidInput);
    let before = mock.request_count();
    let e = err(inst
        .upload_batch_file(&cfg, &job.id, &make_zip(&[("hello.txt", b"x")]), None)
        .await);
    assert!(
        e.kind == ErrorKind::InvalidInput && e.message.contains("request.txt"),
        "{e:?}"
    );
    assert_eq!(mock.request_count(), before, "nothing sent for a bad zip");
}

#[tokio::test(flavor = "multi_thread")]
async fn salesforce_errors_carry_the_exception_code() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;

    let e = err(inst.get_job(&cfg, "750000000000000AAA").await);
    assert_eq!(api_code(&e), "InvalidJob");

    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    let e = err(inst
        .get_batch_status(&cfg, &job.id, "751000000000000AAA")
        .await);
    assert_eq!(api_code(&e), "InvalidBatch");

    ok(inst
        .update_job(&cfg, &job.id, JobStateChange::Aborted)
        .await);
    let e = err(inst.update_job(&cfg, &job.id, JobStateChange::Closed).await);
    assert_eq!(api_code(&e), "InvalidJobState");
    let e = err(inst.add_batch(&cfg, &job.id, &csv("Name\nX\n")).await);
    assert_eq!(api_code(&e), "InvalidJobState");

    let mut bad = cfg.clone();
    bad.access_token = "00Dbogus!token".into();
    let e = err(inst.get_job(&bad, &job.id).await);
    assert!(e.kind == ErrorKind::SessionExpired, "{e:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ids_and_bad_input_send_nothing() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    let before = mock.request_count();
    for id in [
        "../../x",
        "750x/../..",
        "",
        "750/",
        "7500000000000000000000",
        "750000000000000AA?",
    ] {
        assert!(
            err(inst.get_job(&cfg, id).await).kind == ErrorKind::InvalidInput,
            "{id}"
        );
        assert!(
            err(inst.list_batches(&cfg, id).await).kind == ErrorKind::InvalidInput,
            "{id}"
        );
        assert!(
            err(inst.get_batch_status(&cfg, &job.id, id).await).kind == ErrorKind::InvalidInput
        );
        assert!(
            err(inst
                .get_bulk_query_results(&cfg, &job.id, &job.id, id)
                .await)
            .kind
                == ErrorKind::InvalidInput
        );
    }
    // Media type not matching the job, an empty query, upsert without external id.
    let e = err(inst
        .add_batch(
            &cfg,
            &job.id,
            &BatchContent::Raw(RawBody {
                media_type: "application/json".into(),
                data: b"[]".to_vec(),
            }),
        )
        .await);
    assert!(
        e.kind == ErrorKind::InvalidInput && e.message.contains("does not match"),
        "{e:?}"
    );
    let e = err(inst
        .create_job(&cfg, &job_request(Operation::Upsert, "Account", None))
        .await);
    assert!(e.kind == ErrorKind::InvalidInput);
    let e = err(inst
        .create_job(
            &cfg,
            &job_request(Operation::Other("INSERT".into()), "Account", None),
        )
        .await);
    assert!(e.kind == ErrorKind::InvalidInput);
    let e = err(inst
        .create_job(&cfg, &job_request(Operation::Insert, "Acc/ount", None))
        .await);
    assert!(e.kind == ErrorKind::InvalidInput);
    assert_eq!(mock.request_count(), before, "no request for bad input");

    let qjob = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Query, "Account", Some(ContentType::Csv)),
        )
        .await);
    let before = mock.request_count();
    let e = err(inst
        .add_batch(&cfg, &qjob.id, &BatchContent::Query("   ".into()))
        .await);
    assert!(
        e.kind == ErrorKind::InvalidInput && e.message.contains("empty"),
        "{e:?}"
    );
    assert_eq!(mock.request_count(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_job_sends_options_as_headers_and_schema_ordered_xml() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let mut req = job_request(Operation::Query, "Account", Some(ContentType::Csv));
    req.pk_chunking = Some(PkChunking {
        chunk_size: Some(50000),
        start_row: None,
        parent: None,
    });
    req.disable_batch_retry = Some(true);
    req.concurrency_mode = Some(ConcurrencyMode::Serial);
    ok(inst.create_job(&cfg, &req).await);
    let logged = mock.requests();
    let create = logged.last().unwrap();
    let header = |n: &str| {
        create
            .headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("sforce-enable-pkchunking").as_deref(),
        Some("chunkSize=50000")
    );
    assert_eq!(
        header("sforce-disable-batch-retry").as_deref(),
        Some("TRUE")
    );
    assert_eq!(header("x-sfdc-session"), Some(token()));
    let body = String::from_utf8(create.body.clone()).unwrap();
    let op = body.find("<operation>").unwrap();
    let obj = body.find("<object>").unwrap();
    let cm = body.find("<concurrencyMode>").unwrap();
    let ct = body.find("<contentType>").unwrap();
    assert!(op < obj && obj < cm && cm < ct, "schema order: {body}");

    let mut upsert = job_request(Operation::Upsert, "Contact", Some(ContentType::Json));
    upsert.external_id_field_name = Some("Ext_Id__c".into());
    let job = ok(inst.create_job(&cfg, &upsert).await);
    assert_eq!(job.external_id_field_name.as_deref(), Some("Ext_Id__c"));
    let logged = mock.requests();
    let sent: serde_json::Value = serde_json::from_slice(&logged.last().unwrap().body).unwrap();
    assert_eq!(sent["externalIdFieldName"], "Ext_Id__c");
    assert_eq!(sent["contentType"], "JSON");
}

/// A zip of `entries` (deflated), as a user would build it.
fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
