//! The mock Salesforce over real HTTP: every behaviour the connector and other Bulk API clients
//! rely on, each injected fault as it goes on the wire, and the counters of what the mock did.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use sfbulk_mock::{FaultKind, MockConfig, MockServer, Route};

const TOKEN: &str = "00DMOCK!mock-access-token";
const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";

/// An HTTP answer.
struct Resp {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Text of the first `<tag>` element.
    fn xml(&self, tag: &str) -> String {
        xml_values(&self.text(), tag)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no <{tag}> in {}", self.text()))
    }
}

/// Texts of every `<tag>…</tag>` in a document (test helper; the documents are compact).
fn xml_values(doc: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    doc.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

/// A client of one mock.
struct Client {
    mock: MockServer,
    token: String,
    version: &'static str,
}

impl Client {
    fn new(cfg: MockConfig) -> Client {
        Client {
            mock: MockServer::start(cfg),
            token: TOKEN.into(),
            version: "62.0",
        }
    }

    fn fast() -> Client {
        Client::new(MockConfig {
            processing_delay: Duration::from_millis(15),
            ..MockConfig::default()
        })
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let url = format!("{}{path}", self.mock.url());
        let mut request = ureq::request(method, &url).timeout(Duration::from_secs(10));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = if body.is_empty() && method == "GET" {
            request.call()
        } else {
            request.send_bytes(body)
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(err) => panic!("{method} {path}: {err}"),
        };
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_owned())))
            .collect();
        let status = response.status();
        let content_type = response
            .header("content-type")
            .unwrap_or_default()
            .to_owned();
        let mut body = Vec::new();
        response
            .into_reader()
            .read_to_end(&mut body)
            .expect("read the body");
        Resp {
            status,
            content_type,
            headers,
            body,
        }
    }

    fn bulk(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Resp {
        let path = format!("/services/async/{}/{path}", self.version);
        let mut headers = vec![("X-SFDC-Session", self.token.as_str())];
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type));
        }
        self.send(method, &path, &headers, body)
    }

    fn get(&self, path: &str) -> Resp {
        self.bulk("GET", path, "", b"")
    }

    /// Creates a job from an XML jobInfo body and returns its id.
    fn create_job(&self, operation: &str, object: &str, content_type: &str) -> String {
        self.create_job_with(operation, object, content_type, &[])
    }

    fn create_job_with(
        &self,
        operation: &str,
        object: &str,
        content_type: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS}"><operation>{operation}</operation><object>{object}</object><contentType>{content_type}</contentType></jobInfo>"#
        );
        let path = format!("/services/async/{}/job", self.version);
        let mut headers = vec![
            ("X-SFDC-Session", self.token.as_str()),
            ("Content-Type", "application/xml; charset=UTF-8"),
        ];
        headers.extend_from_slice(extra);
        let resp = self.send("POST", &path, &headers, body.as_bytes());
        assert_eq!(resp.status, 201, "{}", resp.text());
        resp.xml("id")
    }

    fn close(&self, job: &str) -> Resp {
        let body = format!(r#"<jobInfo xmlns="{NS}"><state>Closed</state></jobInfo>"#);
        self.bulk(
            "POST",
            &format!("job/{job}"),
            "application/xml",
            body.as_bytes(),
        )
    }

    fn add_batch(&self, job: &str, content_type: &str, body: &[u8]) -> String {
        let resp = self.bulk("POST", &format!("job/{job}/batch"), content_type, body);
        assert_eq!(resp.status, 201, "{}", resp.text());
        if resp.content_type == "application/json" {
            resp.json()["id"].as_str().unwrap_or_default().to_owned()
        } else {
            assert_eq!(resp.xml("state"), "Queued");
            resp.xml("id")
        }
    }

    /// Polls an XML job's batch until it leaves Queued/InProgress; returns its batchInfo.
    fn wait(&self, job: &str, batch: &str) -> Resp {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let resp = self.get(&format!("job/{job}/batch/{batch}"));
            let state = if resp.content_type == "application/json" {
                resp.json()["state"].as_str().unwrap_or_default().to_owned()
            } else {
                resp.xml("state")
            };
            if state != "Queued" && state != "InProgress" {
                return resp;
            }
            assert!(Instant::now() < deadline, "batch {batch} never finished");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn query_rows(&self, job: &str, batch: &str) -> Vec<Resp> {
        let list = self.get(&format!("job/{job}/batch/{batch}/result"));
        assert_eq!(list.status, 200, "{}", list.text());
        xml_values(&list.text(), "result")
            .iter()
            .map(|id| self.get(&format!("job/{job}/batch/{batch}/result/{id}")))
            .collect()
    }
}

fn seed_accounts(client: &Client, n: usize) -> Vec<String> {
    client.mock.insert_records(
        "Account",
        (1..=n)
            .map(|i| {
                vec![
                    ("Name".to_owned(), format!("Acct {i:02}")),
                    ("NumberOfEmployees".to_owned(), i.to_string()),
                ]
            })
            .collect(),
    )
}

#[test]
fn authentication_and_url_errors() {
    let client = Client::fast();
    let resp = client.send("GET", "/services/async/62.0/job/750x", &[], b"");
    assert_eq!(resp.status, 400);
    assert_eq!(resp.content_type, "application/xml");
    assert!(
        resp.text()
            .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><error xmlns="#)
    );
    assert_eq!(resp.xml("exceptionCode"), "InvalidSessionId");
    assert_eq!(resp.xml("exceptionMessage"), "Invalid session id");

    let headers = [
        ("x-sfdc-session", "nope"),
        ("Content-Type", "application/json"),
    ];
    let resp = client.send("POST", "/services/async/62.0/job", &headers, b"{}");
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["exceptionCode"], "InvalidSessionId");

    let resp = client.bulk("GET", "../jobs/750", "", b"");
    assert_eq!(resp.status, 400);
    assert_eq!(resp.xml("exceptionCode"), "InvalidUrl");

    let resp = client.send(
        "GET",
        "/services/data/v61.0/limits",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(resp.status, 401);
    let resp = client.send(
        "GET",
        "/services/data/v61.0/limits",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        b"",
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["DailyBulkApiBatches"]["Max"], 15000);
}

#[test]
fn job_create_xml_json_and_tolerant_parsing() {
    let client = Client::fast();
    // XML, schema order, default namespace, declaration.
    let resp = client.bulk(
        "POST",
        "job",
        "application/xml; charset=UTF-8",
        format!(r#"<jobInfo xmlns="{NS}"><operation>insert</operation><object>Account</object><contentType>CSV</contentType></jobInfo>"#).as_bytes(),
    );
    assert_eq!(resp.status, 201);
    let text = resp.text();
    let order = [
        "<id>",
        "<operation>",
        "<object>",
        "<createdById>",
        "<createdDate>",
        "<systemModstamp>",
        "<state>",
        "<concurrencyMode>",
        "<contentType>",
        "<numberBatchesQueued>",
        "<numberBatchesInProgress>",
        "<numberBatchesCompleted>",
        "<numberBatchesFailed>",
        "<numberBatchesTotal>",
        "<numberRecordsProcessed>",
        "<numberRetries>",
        "<apiVersion>",
        "<numberRecordsFailed>",
        "<totalProcessingTime>",
        "<apiActiveProcessingTime>",
        "<apexProcessingTime>",
    ];
    let positions: Vec<usize> = order.iter().map(|t| text.find(t).expect(t)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(!text.contains("externalIdFieldName"));
    let id = resp.xml("id");
    assert!(id.starts_with("750") && id.len() == 18);
    assert!(resp.xml("createdDate").ends_with('Z'));
    assert_eq!(resp.xml("state"), "Open");

    // JSON (simple-salesforce shape): JSON answer, numeric apiVersion, +0000 dates.
    let resp = client.bulk(
        "POST",
        "job",
        "application/json",
        br#"{"operation": "insert", "object": "Account", "concurrencyMode": 1, "contentType": "JSON"}"#,
    );
    assert_eq!(resp.status, 201, "{}", resp.text());
    let job = resp.json();
    assert_eq!(job["concurrencyMode"], "Serial");
    assert_eq!(job["apiVersion"], 62.0);
    assert!(job["createdDate"].as_str().unwrap().ends_with("+0000"));

    // Labelled text/csv, unordered, empty externalIdFieldName, version without ".0",
    // no contentType (defaults to XML).
    let mut client34 = Client::fast();
    client34.version = "34";
    let resp = client34.bulk(
        "POST",
        "job/",
        "text/csv; charset=UTF-8",
        format!(r#"<jobInfo xmlns="{NS}"><object>Contact</object><externalIdFieldName/><operation>delete</operation></jobInfo>"#).as_bytes(),
    );
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.xml("contentType"), "XML");
    assert_eq!(resp.xml("apiVersion"), "34.0");

    // Refusals.
    for (body, code) in [
        (
            "<jobInfo><operation>INSERT</operation><object>Account</object></jobInfo>",
            "InvalidJob",
        ),
        (
            "<jobInfo><operation>upsert</operation><object>Account</object></jobInfo>",
            "InvalidJob",
        ),
        (
            "<jobInfo><operation>insert</operation><object>Account</object><id>750</id></jobInfo>",
            "InvalidJob",
        ),
        (
            "<jobInfo><operation>insert</operation><object>Account</object><contentType>PDF</contentType></jobInfo>",
            "InvalidJob",
        ),
        ("<jobInfo><operation>insert</operation>", "InvalidJob"),
        ("not xml at all", "InvalidJob"),
    ] {
        let resp = client.bulk("POST", "job", "application/xml", body.as_bytes());
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(resp.xml("exceptionCode"), code, "{body}");
    }
    let resp = client.bulk("POST", "job", "application/json", b"[1,2");
    assert_eq!(resp.json()["exceptionCode"], "InvalidJob");
    let resp = client.get("job/7500M0000000999QAA");
    assert_eq!(resp.xml("exceptionCode"), "InvalidJob");
}

#[test]
fn job_state_transitions() {
    let client = Client::fast();
    let job = client.create_job("insert", "Account", "CSV");
    let resp = client.close(&job);
    assert_eq!((resp.status, resp.xml("state")), (200, "Closed".to_owned()));
    let resp = client.close(&job);
    assert_eq!(resp.status, 200, "closing twice is idempotent");
    let resp = client.bulk(
        "POST",
        &format!("job/{job}/batch"),
        "text/csv",
        b"Name\nA\n",
    );
    assert_eq!(
        (resp.status, resp.xml("exceptionCode")),
        (400, "InvalidJobState".to_owned())
    );

    let abort = format!(r#"<jobInfo xmlns="{NS}"><state>Aborted</state></jobInfo>"#);
    let resp = client.bulk(
        "POST",
        &format!("job/{job}"),
        "application/xml",
        abort.as_bytes(),
    );
    assert_eq!(resp.xml("state"), "Aborted");
    let resp = client.close(&job);
    assert_eq!(resp.xml("exceptionCode"), "InvalidJobState");

    let job = client.create_job("insert", "Account", "CSV");
    for state in ["Open", "Failed", "Bogus", ""] {
        let body = format!(r#"<jobInfo xmlns="{NS}"><state>{state}</state></jobInfo>"#);
        let resp = client.bulk(
            "POST",
            &format!("job/{job}"),
            "application/xml",
            body.as_bytes(),
        );
        assert_eq!(resp.xml("exceptionCode"), "InvalidJobState", "{state}");
    }
    // Only the state may be sent; JSON update bodies get JSON answers.
    let resp = client.bulk(
        "POST",
        &format!("job/{job}"),
        "application/json",
        br#"{"state":"Closed","object":"Contact"}"#,
    );
    assert_eq!(resp.json()["exceptionCode"], "InvalidJob");

    // Aborting turns queued batches into NotProcessed.
    client.mock.set_processing_delay(Duration::from_secs(30));
    let batch = client.add_batch(&job, "text/csv", b"Name\nA\n");
    let resp = client.bulk(
        "POST",
        &format!("job/{job}"),
        "application/json",
        br#"{"state":"Aborted"}"#,
    );
    assert_eq!(resp.json()["state"], "Aborted");
    let resp = client.get(&format!("job/{job}/batch/{batch}"));
    assert_eq!(resp.xml("state"), "NotProcessed");
    assert_eq!(client.mock.record_count("Account"), 0);
}

#[test]
fn csv_ingest_with_required_field_failure_in_order() {
    // An hour of processing: only the mock's clock, moved by the test, makes the batch advance.
    let client = Client::new(MockConfig {
        processing_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    });
    let job = client.create_job("insert", "Contact", "CSV");
    let body =
        b"FirstName,LastName,Email\nAda,Lovelace,ada@x\nNo,,nolast@x\r\n\"Grace, Q\",Hopper,#N/A\n";
    let batch = client.add_batch(&job, "text/csv; charset=UTF-8", body);
    // Queued for a third of the delay, then InProgress, then Completed, by itself.
    let state = || client.get(&format!("job/{job}/batch")).xml("state");
    assert_eq!(state(), "Queued");
    client.mock.advance_clock(Duration::from_secs(1_800));
    assert_eq!(state(), "InProgress");
    assert_eq!(
        client
            .get(&format!("job/{job}"))
            .xml("numberBatchesInProgress"),
        "1"
    );
    assert_eq!(client.mock.record_count("Contact"), 0, "nothing stored yet");
    client.mock.advance_clock(Duration::from_secs(1_800));
    let info = client.get(&format!("job/{job}/batch/{batch}"));
    assert_eq!(info.xml("state"), "Completed");
    assert_eq!(info.xml("numberRecordsFailed"), "1");
    let job_info = client.get(&format!("job/{job}"));
    assert_eq!(job_info.xml("numberBatchesCompleted"), "1");
    assert_eq!(job_info.xml("numberBatchesTotal"), "1");
    assert_eq!(job_info.xml("numberRecordsProcessed"), "3");
    assert_eq!(job_info.xml("numberRecordsFailed"), "1");

    let results = client.get(&format!("job/{job}/batch/{batch}/result"));
    assert_eq!(results.content_type, "text/csv");
    let lines: Vec<&str> = std::str::from_utf8(&results.body)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(lines[0], r#""Id","Success","Created","Error""#);
    assert!(lines[1].starts_with("\"003") && lines[1].ends_with(r#","true","true","""#));
    assert_eq!(
        lines[2],
        r#""","false","false","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --""#
    );
    assert!(lines[3].starts_with("\"003"));
    let rows = client.mock.records("Contact");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["FirstName"], "Grace, Q");
    assert!(!rows[1].contains_key("Email"), "#N/A is null");

    let echo = client.get(&format!("job/{job}/batch/{batch}/request"));
    assert_eq!(
        (echo.content_type.as_str(), echo.body.as_slice()),
        ("text/csv", &body[..])
    );
}

#[test]
fn xml_and_json_ingest_update_upsert_delete() {
    let client = Client::fast();
    let ids = seed_accounts(&client, 2);

    // XML update: nil clears a field, unknown id fails, results in <results> order.
    let job = client.create_job("update", "Account", "XML");
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sObject><Id>{}</Id><Name>Renamed</Name><NumberOfEmployees xsi:nil="true"/></sObject><sObject><Id>0010M0000000999QAA</Id><Name>X</Name></sObject></sObjects>"#,
        ids[0]
    );
    let batch = client.add_batch(&job, "application/xml", body.as_bytes());
    client.wait(&job, &batch);
    let results = client.get(&format!("job/{job}/batch/{batch}/result"));
    assert_eq!(results.content_type, "application/xml");
    let text = results.text();
    assert!(text.contains(&format!(
        "<result><id>{}</id><success>true</success><created>false</created></result>",
        ids[0]
    )));
    assert!(text.contains("<result><errors><message>invalid cross reference id</message><statusCode>INVALID_CROSS_REFERENCE_KEY</statusCode></errors><success>false</success><created>false</created></result>"), "{text}");
    let rows = client.mock.records("Account");
    assert_eq!(rows[0]["Name"], "Renamed");
    assert!(!rows[0].contains_key("NumberOfEmployees"));

    // JSON upsert on an external id: one update, one insert, one missing required field.
    let resp = client.bulk(
        "POST",
        "job",
        "application/json",
        br#"{"operation":"upsert","object":"Account","externalIdFieldName":"Ext__c","contentType":"JSON"}"#,
    );
    let job = resp.json()["id"].as_str().unwrap().to_owned();
    client.mock.insert_records(
        "Account",
        vec![vec![
            ("Name".into(), "Ext".into()),
            ("Ext__c".into(), "E1".into()),
        ]],
    );
    let batch = client.add_batch(
        &job,
        "application/json",
        br#"[{"Ext__c":"E1","Name":"Ext updated"},{"Ext__c":"E2","Name":"New"},{"Ext__c":"E3","Name":null}]"#,
    );
    client.wait(&job, &batch);
    let results = client.get(&format!("job/{job}/batch/{batch}/result"));
    assert_eq!(results.content_type, "application/json");
    let results = results.json();
    assert_eq!(results[0]["created"], false);
    assert_eq!(results[1]["created"], true);
    assert_eq!(results[2]["success"], false);
    assert_eq!(results[2]["id"], serde_json::Value::Null);
    assert_eq!(
        results[2]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(results[2]["errors"][0]["fields"][0], "Name");
    assert_eq!(client.mock.record_count("Account"), 4);

    // delete, then queryAll still sees the deleted row; hardDelete removes it.
    let job = client.create_job("delete", "Account", "CSV");
    let body = format!("Id\n{}\n{}\n", ids[1], ids[1]);
    let batch = client.add_batch(&job, "text/csv", body.as_bytes());
    client.wait(&job, &batch);
    let results = client
        .get(&format!("job/{job}/batch/{batch}/result"))
        .text();
    assert!(
        results.contains("ENTITY_IS_DELETED:entity is deleted:--"),
        "{results}"
    );
    assert_eq!(client.mock.record_count("Account"), 3);
    let job = client.create_job("queryAll", "Account", "CSV");
    let batch = client.add_batch(
        &job,
        "text/csv",
        b"SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true",
    );
    client.wait(&job, &batch);
    let files = client.query_rows(&job, &batch);
    assert_eq!(
        files[0].text(),
        format!("\"Id\",\"IsDeleted\"\n\"{}\",\"true\"\n", ids[1])
    );
}

#[test]
fn bad_csv_batches_fail() {
    let client = Client::fast();
    let job = client.create_job("insert", "Account", "CSV");
    let cases: [(&[u8], &str); 4] = [
        (
            b"Name,Bogus__c\nA,b\n",
            "InvalidBatch : Field name not found : Bogus__c",
        ),
        (
            b"\xEF\xBB\xBFName\nA\n",
            "InvalidBatch : Field name not found : \u{feff}Name",
        ),
        (
            b"Name\n\"unterminated\n",
            "InvalidBatch : Failed to parse CSV",
        ),
        (
            b"Name,Description\nA\n",
            "InvalidBatch : Failed to parse CSV",
        ),
    ];
    for (body, message) in cases {
        let batch = client.add_batch(&job, "text/csv", body);
        let info = client.wait(&job, &batch);
        assert_eq!(info.xml("state"), "Failed");
        assert!(
            info.xml("stateMessage").starts_with(message),
            "{}",
            info.text()
        );
        let results = client.get(&format!("job/{job}/batch/{batch}/result"));
        assert_eq!(results.xml("exceptionCode"), "InvalidBatch");
    }
    let mut big = String::from("Name\n");
    for i in 0..10_001 {
        big.push_str(&format!("A{i}\n"));
    }
    let batch = client.add_batch(&job, "text/csv", big.as_bytes());
    let info = client.wait(&job, &batch);
    assert_eq!(
        info.xml("stateMessage"),
        "InvalidBatch : Records exceeds limit: 10000"
    );
    // Without a BOM the same header works.
    let batch = client.add_batch(&job, "text/csv", b"Name\nA\n");
    assert_eq!(client.wait(&job, &batch).xml("state"), "Completed");
    assert_eq!(client.mock.record_count("Account"), 1);
}

#[test]
fn query_where_order_limit_and_several_result_files() {
    let client = Client::fast();
    seed_accounts(&client, 12);
    client.mock.set_result_file_rows(3);
    let job = client.create_job("query", "Account", "CSV");
    let soql = "select Name, NumberOfEmployees from Account \
                where NumberOfEmployees > 2 and Name != 'Acct 05' order by NumberOfEmployees desc limit 8";
    let batch = client.add_batch(&job, "text/csv", soql.as_bytes());
    client.close(&job);
    let info = client.wait(&job, &batch);
    assert_eq!(info.xml("numberRecordsProcessed"), "8");
    let list = client.get(&format!("job/{job}/batch/{batch}/result"));
    assert_eq!(list.content_type, "application/xml");
    assert!(list.text().contains("<result-list xmlns="));
    let files = client.query_rows(&job, &batch);
    assert_eq!(files.len(), 3);
    assert!(
        xml_values(&list.text(), "result")
            .iter()
            .all(|id| id.starts_with("752") && id.len() == 15)
    );
    let mut names = Vec::new();
    for file in &files {
        assert_eq!(file.content_type, "text/csv");
        let text = file.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(r#""Name","NumberOfEmployees""#));
        names.extend(lines.map(|l| l.split(',').next().unwrap_or_default().to_owned()));
    }
    assert_eq!(
        names,
        ["12", "11", "10", "09", "08", "07", "06", "04"].map(|n| format!("\"Acct {n}\""))
    );
    let echo = client.get(&format!("job/{job}/batch/{batch}/request"));
    assert_eq!(echo.text(), soql);

    // JSON query job (simple-salesforce: SOQL posted as application/json).
    let resp = client.bulk(
        "POST",
        "job",
        "application/json",
        br#"{"operation":"query","object":"Account","contentType":"JSON"}"#,
    );
    let job = resp.json()["id"].as_str().unwrap().to_owned();
    let batch = client.add_batch(
        &job,
        "application/json",
        b"SELECT Id, Name FROM Account WHERE Name LIKE 'Acct 1%'",
    );
    client.wait(&job, &batch);
    let ids = client
        .get(&format!("job/{job}/batch/{batch}/result"))
        .json();
    let file = client.get(&format!(
        "job/{job}/batch/{batch}/result/{}",
        ids[0].as_str().unwrap()
    ));
    let rows = file.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
    assert_eq!(rows[0]["attributes"]["type"], "Account");
    assert_eq!(rows[0]["Name"], "Acct 10");

    // XML query job: <queryResult> with records, nil for nulls.
    let job = client.create_job("query", "Account", "XML");
    let batch = client.add_batch(
        &job,
        "application/xml",
        b"SELECT Name, Description FROM Account WHERE Name = 'acct 01'",
    );
    client.wait(&job, &batch);
    let files = client.query_rows(&job, &batch);
    let text = files[0].text();
    assert!(text.contains(r#"<records xsi:type="sObject"><type>Account</type><Id xsi:nil="true"/><Name>Acct 01</Name><Description xsi:nil="true"/></records>"#), "{text}");

    // Failures: unknown field, wrong root object, parse error.
    let job = client.create_job("query", "Account", "CSV");
    for (soql, needle) in [
        ("SELECT Id, BogusField FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Contact", "INVALID_TYPE_FOR_OPERATION"),
        ("SELECT COUNT() FROM Account", "MALFORMED_QUERY"),
    ] {
        let batch = client.add_batch(&job, "text/csv", soql.as_bytes());
        let info = client.wait(&job, &batch);
        assert_eq!(info.xml("state"), "Failed");
        let message = info.xml("stateMessage");
        assert!(
            message.starts_with("InvalidBatch : Failed to process query: "),
            "{message}"
        );
        assert!(message.contains(needle), "{message}");
    }
}

#[test]
fn empty_csv_query_result() {
    let client = Client::fast();
    let job = client.create_job("query", "Account", "CSV");
    let batch = client.add_batch(&job, "text/csv", b"SELECT Id FROM Account");
    client.wait(&job, &batch);
    let files = client.query_rows(&job, &batch);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].text(), "Records not found for this query");
}

#[test]
fn pk_chunking_splits_the_query() {
    let client = Client::fast();
    let ids = seed_accounts(&client, 10);
    let job = client.create_job_with(
        "query",
        "Account",
        "CSV",
        &[("Sforce-Enable-PKChunking", "chunkSize=3;")],
    );
    let parent = client.add_batch(
        &job,
        "text/csv",
        b"SELECT Id, Name FROM Account WHERE NumberOfEmployees > 6",
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let list = loop {
        let list = client.get(&format!("job/{job}/batch"));
        let states = xml_values(&list.text(), "state");
        if states.len() == 5
            && states
                .iter()
                .all(|s| s == "Completed" || s == "NotProcessed")
        {
            break list;
        }
        assert!(Instant::now() < deadline, "{}", list.text());
        std::thread::sleep(Duration::from_millis(5));
    };
    let batch_ids = xml_values(&list.text(), "id");
    assert_eq!(batch_ids[0], parent);
    assert_eq!(xml_values(&list.text(), "state")[0], "NotProcessed");
    let job_info = client.get(&format!("job/{job}"));
    assert_eq!(job_info.xml("numberBatchesTotal"), "4");
    assert_eq!(job_info.xml("numberBatchesCompleted"), "4");
    let resp = client.get(&format!("job/{job}/batch/{parent}/result"));
    assert_eq!(resp.xml("exceptionCode"), "InvalidBatch");
    assert_eq!(
        client.mock.counters().batches_stored(),
        1,
        "the chunks are the mock's, not stored batches"
    );

    let chunk_texts: Vec<String> = batch_ids[1..]
        .iter()
        .map(|b| {
            let files = client.query_rows(&job, b);
            assert_eq!(files.len(), 1);
            files[0].text()
        })
        .collect();
    // Rows 1-3 and 4-6 have NumberOfEmployees <= 6: empty chunks.
    assert_eq!(chunk_texts[0], "Records not found for this query");
    assert_eq!(chunk_texts[1], "Records not found for this query");
    assert_eq!(chunk_texts[2].lines().count(), 4);
    assert_eq!(
        chunk_texts[3],
        format!("\"Id\",\"Name\"\n\"{}\",\"Acct 10\"\n", ids[9])
    );
}

#[test]
fn pk_chunking_start_row_and_header_forms() {
    let client = Client::fast();
    let ids = seed_accounts(&client, 5);
    let start = format!("chunkSize=2;startRow={}", ids[2]);
    let job = client.create_job_with(
        "query",
        "Account",
        "CSV",
        &[("Sforce-Enable-PKChunking", &start)],
    );
    let parent = client.add_batch(&job, "text/csv", b"SELECT Id FROM Account");
    assert_eq!(client.wait(&job, &parent).xml("state"), "NotProcessed");
    let list = client.get(&format!("job/{job}/batch"));
    let chunks = &xml_values(&list.text(), "id")[1..];
    assert_eq!(chunks.len(), 2);
    let rows: usize = chunks
        .iter()
        .map(|b| {
            client.wait(&job, b);
            client.query_rows(&job, b)[0].text().lines().count() - 1
        })
        .sum();
    assert_eq!(rows, 3);

    let headers = [
        ("X-SFDC-Session", TOKEN),
        ("Content-Type", "application/xml"),
        ("Sforce-Enable-PKChunking", "chunkSize=999999"),
    ];
    let body = format!(
        r#"<jobInfo xmlns="{NS}"><operation>query</operation><object>Account</object></jobInfo>"#
    );
    let resp = client.send(
        "POST",
        "/services/async/62.0/job",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(resp.xml("exceptionCode"), "InvalidJob");
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        writer.write_all(data).expect("zip data");
    }
    writer.finish().expect("zip").into_inner()
}

#[test]
fn zip_upload_with_attachments() {
    let client = Client::fast();
    let parent = seed_accounts(&client, 1).remove(0);
    let job = client.create_job("insert", "Attachment", "ZIP_CSV");
    let manifest = format!(
        "Name,ParentId,Body\na.txt,{parent},#a.txt\nb.txt,{parent},#dir/b.txt\nc.txt,{parent},#missing.txt\nd.txt,{parent},nohash\n"
    );
    let zip = zip_of(&[
        ("request.txt", manifest.as_bytes()),
        ("a.txt", b"hello"),
        ("dir/b.txt", b"hello world"),
    ]);
    let batch = client.add_batch(&job, "zip/csv", &zip);
    client.wait(&job, &batch);
    let results = client.get(&format!("job/{job}/batch/{batch}/result"));
    assert_eq!(results.content_type, "text/csv");
    let text = results.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("\"00P"), "{text}");
    assert!(lines[2].starts_with("\"00P"), "{text}");
    assert!(lines[3].contains("INVALID_FIELD:"), "{text}");
    assert!(lines[4].contains("INVALID_FIELD:"), "{text}");
    let rows = client.mock.records("Attachment");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["BodyLength"], "11");
    let echo = client.get(&format!("job/{job}/batch/{batch}/request"));
    assert_eq!((echo.content_type.as_str(), echo.body), ("zip/csv", zip));

    let batch = client.add_batch(&job, "zip/csv", &zip_of(&[("a.txt", b"x")]));
    let info = client.wait(&job, &batch);
    assert_eq!(info.xml("state"), "Failed");
    assert!(info.xml("stateMessage").contains("request.txt"));
    let batch = client.add_batch(&job, "zip/csv", b"not a zip");
    assert_eq!(client.wait(&job, &batch).xml("state"), "Failed");

    // ZIP_JSON: JSON control documents and results.
    let resp = client.bulk(
        "POST",
        "job",
        "application/json",
        br#"{"operation":"insert","object":"Attachment","contentType":"ZIP_JSON"}"#,
    );
    let job = resp.json()["id"].as_str().unwrap().to_owned();
    let manifest = format!(r##"[{{"Name":"a.txt","ParentId":"{parent}","Body":"#a.txt"}}]"##);
    let zip = zip_of(&[("request.txt", manifest.as_bytes()), ("a.txt", b"abc")]);
    let batch = client.add_batch(&job, "zip/json", &zip);
    client.wait(&job, &batch);
    let results = client
        .get(&format!("job/{job}/batch/{batch}/result"))
        .json();
    assert_eq!(results[0]["success"], true);
}

#[test]
fn fail_next_answers_503_without_touching_state() {
    let client = Client::fast();
    client.mock.fail_next(2, 503, Some(7));
    let body = format!(
        r#"<jobInfo xmlns="{NS}"><operation>insert</operation><object>Account</object></jobInfo>"#
    );
    for _ in 0..2 {
        let resp = client.bulk("POST", "job", "application/xml", body.as_bytes());
        assert_eq!(resp.status, 503);
        assert_eq!(resp.header("retry-after"), Some("7"));
    }
    let resp = client.bulk("POST", "job", "application/xml", body.as_bytes());
    assert_eq!(resp.status, 201);
    assert_eq!(
        resp.xml("id"),
        "7500M0000000001QAA",
        "the failed calls created nothing"
    );
    assert_eq!(client.mock.request_count(), 3);
    let counters = client.mock.counters();
    assert_eq!(counters.injected(FaultKind::Status), 2);
    assert_eq!(counters.fired(FaultKind::Status), 2);
    assert_eq!(
        counters.served("POST", Route::Jobs),
        1,
        "the failed calls never reached the job resource"
    );
    let logged = client.mock.requests();
    assert_eq!(logged[0].method, "POST");
    assert_eq!(logged[0].path, "/services/async/62.0/job");
    assert_eq!(logged[0].header("x-sfdc-session"), Some(TOKEN));
    assert_eq!(logged[0].body, body.as_bytes());
    client.mock.clear_requests();
    assert_eq!(client.mock.request_count(), 0);
    assert_eq!(
        client.mock.counters(),
        counters,
        "the counters keep counting"
    );
}

#[test]
fn expired_token_and_refresh() {
    let mut client = Client::fast();
    client.mock.expire_access_token(TOKEN);
    let resp = client.get("job/7500M0000000001QAA");
    assert_eq!(
        (resp.status, resp.xml("exceptionCode")),
        (400, "InvalidSessionId".to_owned())
    );

    let form = "grant_type=refresh_token&client_id=mock-client-id&client_secret=mock-client-secret&refresh_token=mock-refresh-token";
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let resp = client.send("POST", "/services/oauth2/token", &headers, form.as_bytes());
    assert_eq!(resp.status, 200, "{}", resp.text());
    let token = resp.json();
    assert_eq!(token["access_token"], "00DMOCK!1");
    assert_eq!(token["instance_url"], client.mock.url());
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["issued_at"].as_str().unwrap().parse::<u64>().is_ok());
    assert!(!token["signature"].as_str().unwrap().is_empty());
    assert!(
        token["id"]
            .as_str()
            .unwrap()
            .starts_with(&client.mock.url())
    );

    // Query-string form with an empty body works too, and mints another token.
    let resp = client.send("POST", &format!("/services/oauth2/token?{form}"), &[], b"");
    assert_eq!(resp.json()["access_token"], "00DMOCK!2");
    assert_eq!(
        client.mock.issued_access_tokens(),
        ["00DMOCK!1", "00DMOCK!2"]
    );
    assert_eq!(client.mock.token_requests(), 2);
    let counters = client.mock.counters();
    assert_eq!(counters.token_grants(), 2);
    assert_eq!(counters.token_refusals(), 0);
    assert_eq!(counters.injected(FaultKind::ExpiredSession), 1);
    assert_eq!(counters.fired(FaultKind::ExpiredSession), 1);

    client.token = "00DMOCK!1".into();
    let job = client.create_job("insert", "Account", "CSV");
    assert!(job.starts_with("750"));
}

#[test]
fn token_endpoint_failures() {
    let client = Client::fast();
    let post = |form: &str| {
        let headers = [("Content-Type", "application/x-www-form-urlencoded")];
        client.send("POST", "/services/oauth2/token", &headers, form.as_bytes())
    };
    let good = "client_id=mock-client-id&client_secret=mock-client-secret&refresh_token=mock-refresh-token";
    for (form, error) in [
        (format!("grant_type=password&{good}"), "unsupported_grant_type"),
        (
            "grant_type=refresh_token&client_id=x&client_secret=mock-client-secret&refresh_token=mock-refresh-token".to_owned(),
            "invalid_client_id",
        ),
        (
            "grant_type=refresh_token&client_id=mock-client-id&client_secret=x&refresh_token=mock-refresh-token".to_owned(),
            "invalid_client",
        ),
        (
            "grant_type=refresh_token&client_id=mock-client-id&client_secret=mock-client-secret&refresh_token=x".to_owned(),
            "invalid_grant",
        ),
    ] {
        let resp = post(&form);
        assert_eq!(resp.status, 400, "{form}");
        assert_eq!(resp.json()["error"], error, "{form}");
        assert!(resp.json()["error_description"].is_string());
    }
    client.mock.revoke_refresh_token("mock-refresh-token");
    assert_eq!(
        post(&format!("grant_type=refresh_token&{good}")).json()["error"],
        "invalid_grant"
    );
    assert_eq!(client.mock.token_requests(), 5);
    assert!(client.mock.issued_access_tokens().is_empty());
    let counters = client.mock.counters();
    assert_eq!((counters.token_grants(), counters.token_refusals()), (0, 5));
    assert_eq!(counters.served("POST", Route::Token), 5);
}

#[test]
fn gzip_bodies_both_ways() {
    let client = Client::fast();
    let job = client.create_job("insert", "Account", "CSV");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(b"Name\nZipped\n").unwrap();
    let gz = encoder.finish().unwrap();
    let path = format!("/services/async/62.0/job/{job}/batch");
    let headers = [
        ("X-SFDC-Session", TOKEN),
        ("Content-Type", "text/csv"),
        ("Content-Encoding", "gzip"),
        ("Accept-Encoding", "gzip"),
    ];
    let resp = client.send("POST", &path, &headers, &gz);
    assert_eq!(resp.status, 201);
    assert_eq!(resp.header("content-encoding"), Some("gzip"));
    let mut xml = String::new();
    flate2::read::GzDecoder::new(resp.body.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    let batch = xml_values(&xml, "id").remove(0);
    client.wait(&job, &batch);
    assert_eq!(client.mock.records("Account")[0]["Name"], "Zipped");
}

#[test]
fn malformed_requests_get_400_not_a_crash() {
    let client = Client::fast();
    let job = client.create_job("insert", "Account", "XML");
    for (content_type, body) in [
        (
            "application/xml",
            &b"<sObjects><sObject><Name>A</Name></sObject>"[..],
        ),
        ("application/xml", b"\xff\xfe garbage"),
        ("application/xml", b""),
    ] {
        let batch = client.add_batch(&job, content_type, body);
        assert_eq!(client.wait(&job, &batch).xml("state"), "Failed");
    }
    let json_job = {
        let resp = client.bulk(
            "POST",
            "job",
            "application/json",
            br#"{"operation":"insert","object":"Account","contentType":"JSON"}"#,
        );
        resp.json()["id"].as_str().unwrap().to_owned()
    };
    let batch = client.add_batch(&json_job, "application/json", br#"{"not":"an array"}"#);
    assert_eq!(client.wait(&json_job, &batch).json()["state"], "Failed");
    for path in ["job/x/batch/y/result/z", "job//batch", "job/x/y/z/w/v/u/t"] {
        let resp = client.get(path);
        assert_eq!(resp.status, 400, "{path}");
    }
    let resp = client.bulk("DELETE", &format!("job/{job}"), "", b"");
    assert_eq!(resp.xml("exceptionCode"), "InvalidUrl");
    let resp = client.send("GET", "/nothing/here", &[], b"");
    assert_eq!(resp.status, 404);
    let resp = client.send(
        "POST",
        "/services/async/62.0/job",
        &[("X-SFDC-Session", TOKEN), ("Content-Encoding", "gzip")],
        b"not gzip",
    );
    assert_eq!(resp.status, 400);
    // The server is still healthy.
    assert!(
        client
            .create_job("insert", "Account", "CSV")
            .starts_with("750")
    );
}

#[test]
fn relationship_columns_resolve_and_query() {
    let client = Client::fast();
    seed_accounts(&client, 2);
    let job = client.create_job("insert", "Contact", "CSV");
    let batch = client.add_batch(
        &job,
        "text/csv",
        b"LastName,Account.Name\nOne,Acct 02\nTwo,Acct 99\n",
    );
    client.wait(&job, &batch);
    let results = client
        .get(&format!("job/{job}/batch/{batch}/result"))
        .text();
    assert!(
        results
            .lines()
            .nth(2)
            .is_some_and(|l| l.contains("INVALID_FIELD:")),
        "{results}"
    );
    let job = client.create_job("query", "Contact", "CSV");
    let batch = client.add_batch(
        &job,
        "text/csv",
        b"SELECT LastName, Account.Name FROM Contact",
    );
    client.wait(&job, &batch);
    let files = client.query_rows(&job, &batch);
    assert_eq!(
        files[0].text(),
        "\"LastName\",\"Account.Name\"\n\"One\",\"Acct 02\"\n"
    );
}

#[tokio::test]
async fn works_inside_a_tokio_runtime() {
    let mock = MockServer::start(MockConfig::default());
    let url = format!("{}/services/async/62.0/job/x", mock.url());
    let status = tokio::task::spawn_blocking(move || match ureq::get(&url).call() {
        Ok(resp) => resp.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(err) => panic!("{err}"),
    })
    .await
    .expect("join");
    assert_eq!(status, 400);
    drop(mock);
}

#[test]
fn reset_and_delay_knobs() {
    let client = Client::fast();
    client.mock.reset_next(1);
    let url = format!("{}/services/async/62.0/job/x", client.mock.url());
    let err = ureq::get(&url)
        .call()
        .expect_err("the connection is dropped");
    assert!(matches!(err, ureq::Error::Transport(_)), "{err}");
    assert_eq!(client.mock.counters().fired(FaultKind::Reset), 1);
    client.mock.delay_next(1, Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(client.get("job/x").status, 400);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // The next request is not held back: counted, not timed.
    assert_eq!(client.get("job/x").status, 400);
    let counters = client.mock.counters();
    assert_eq!(counters.injected(FaultKind::Delay), 1);
    assert_eq!(counters.fired(FaultKind::Delay), 1);
    assert_eq!(counters.served("GET", Route::Job), 2);
}

#[test]
fn a_hung_request_is_never_answered() {
    let client = Client::fast();
    client.mock.hang_next(1);
    let url = format!("{}/services/async/62.0/job/x", client.mock.url());
    let err = ureq::get(&url)
        .timeout(Duration::from_millis(300))
        .call()
        .expect_err("no answer before the client's timeout");
    assert!(matches!(err, ureq::Error::Transport(_)), "{err}");
    assert_eq!(client.mock.counters().fired(FaultKind::Hang), 1);
    assert_eq!(
        client.get("job/x").status,
        400,
        "only the next request hangs"
    );
    assert_eq!(client.mock.counters().fired(FaultKind::Hang), 1);
}

/// Sends a bare `GET path` and reads until the server closes the connection.
fn raw_get(port: u16, path: &str) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-SFDC-Session: {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    // The end of a cut-short answer may come as a reset rather than a clean EOF.
    let _ = stream.read_to_end(&mut raw);
    raw
}

#[test]
fn counters_count_batches_routes_truncations_and_query_timeouts() {
    let client = Client::fast();
    let job = client.create_job("query", "Account", "CSV");
    client.mock.query_timeout_next(1);
    let timed_out = client.add_batch(&job, "text/csv", b"SELECT Id FROM Account");
    let ok = client.add_batch(&job, "text/csv", b"SELECT Id FROM Account");
    assert_eq!(client.wait(&job, &timed_out).xml("state"), "Failed");
    assert_eq!(client.wait(&job, &ok).xml("state"), "Completed");
    // Byte for byte: the head announces the whole body, half of it arrives, then EOF.
    client.mock.truncate_next(1);
    let raw = raw_get(
        client.mock.port(),
        &format!("/services/async/62.0/job/{job}/batch"),
    );
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let announced: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .expect("a content-length")
        .parse()
        .unwrap();
    assert_eq!(body.len(), announced / 2, "{text}");
    let counters = client.mock.counters();
    assert_eq!(counters.fired(FaultKind::QueryTimeout), 1);
    assert_eq!(counters.fired(FaultKind::Truncate), 1);
    assert_eq!(counters.batches_stored(), 2);
    assert_eq!(counters.served("POST", Route::Jobs), 1);
    assert_eq!(counters.served("POST", Route::Batches), 2);
    assert_eq!(counters.served("GET", Route::Batches), 1);
    assert_eq!(counters.served("GET", Route::Limits), 0);
    assert_eq!(counters.fired(FaultKind::Status), 0);
}
