//! Bad input is refused before anything is sent: each case gets an invalid-input error that
//! names the problem, and the mock receives no request.

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_is_refused_locally() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let csv_job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    let query_job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Query, "Account", Some(ContentType::Csv)),
        )
        .await);
    let zip_job = ok(inst
        .create_job_to_upload_batch_file(
            &cfg,
            &job_request(Operation::Insert, "Attachment", Some(ContentType::ZipCsv)),
        )
        .await);
    let before = mock.request_count();

    let expect = |what: &str, needle: &str, e: Error| {
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{what}: {e:?}");
        let m = &e.message;
        assert!(
            m.to_lowercase().contains(needle),
            "{what}: {m:?} lacks {needle:?}"
        );
    };

    for id in [
        "../../x",
        "750x/../..",
        "",
        "750",
        "7500000000000000000000",
        "750000000000000AA?",
    ] {
        expect(id, "job id", err(inst.get_job(&cfg, id).await));
    }
    expect(
        "unknown operation",
        "unknown operation",
        err(inst
            .create_job(
                &cfg,
                &job_request(Operation::Other("INSERT".into()), "Account", None),
            )
            .await),
    );
    expect(
        "unknown content type",
        "unknown content type",
        err(inst
            .create_job(
                &cfg,
                &job_request(
                    Operation::Insert,
                    "Account",
                    Some(ContentType::Other("PARQUET".into())),
                ),
            )
            .await),
    );
    expect(
        "media type",
        "does not match",
        err(inst
            .add_batch(
                &cfg,
                &csv_job.id,
                &BatchContent::Raw(RawBody {
                    media_type: "application/xml".into(),
                    data: b"<sObjects/>".to_vec(),
                }),
            )
            .await),
    );
    let many = (0..10_001).fold(String::from("Name\n"), |mut s, i| {
        s.push_str(&format!("N{i}\n"));
        s
    });
    expect(
        "10,001 csv records",
        "at most 10000 records",
        err(inst.add_batch(&cfg, &csv_job.id, &csv(&many)).await),
    );
    let set = RecordSet {
        fields: vec!["Name".into()],
        rows: vec![vec![FieldValue::Text("x".into())]; 10_001],
    };
    expect(
        "10,001 typed records",
        "at most 10000 records",
        err(inst
            .add_batch(&cfg, &csv_job.id, &BatchContent::Records(set))
            .await),
    );
    let big = format!("Name\n{}\n", "x".repeat(10_000_001));
    expect(
        "over 10 MB",
        "bytes",
        err(inst.add_batch(&cfg, &csv_job.id, &csv(&big)).await),
    );
    expect(
        "empty query",
        "empty",
        err(inst
            .add_batch(&cfg, &query_job.id, &BatchContent::Query(" \n ".into()))
            .await),
    );
    let mut remote = cfg.clone();
    remote.api_url = "http://example.com".into();
    expect(
        "http to a remote host",
        "http://",
        err(inst.get_job(&remote, &csv_job.id).await),
    );
    expect(
        "zip without request.txt",
        "request.txt",
        err(inst
            .upload_batch_file(
                &cfg,
                &zip_job.id,
                b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                None,
            )
            .await),
    );
    expect(
        "not a zip",
        "zip",
        err(inst
            .upload_batch_file(&cfg, &zip_job.id, b"hello", None)
            .await),
    );
    let latin1 = b"Name\nCaf\xe9\n".to_vec();
    expect(
        "non-UTF-8 CSV",
        "utf-8",
        err(inst
            .add_batch(
                &cfg,
                &csv_job.id,
                &BatchContent::Raw(RawBody {
                    media_type: "text/csv".into(),
                    data: latin1,
                }),
            )
            .await),
    );
    let ragged = RecordSet {
        fields: vec!["Name".into(), "Phone".into()],
        rows: vec![vec![FieldValue::Text("x".into())]],
    };
    expect(
        "ragged typed row",
        "row",
        err(inst
            .add_batch(&cfg, &csv_job.id, &BatchContent::Records(ragged))
            .await),
    );

    assert_eq!(
        mock.request_count(),
        before,
        "no request was sent for bad input"
    );
}
