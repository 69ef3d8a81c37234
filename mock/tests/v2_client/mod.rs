//! A small Bulk API 2.0 client of one mock, for the 2.0 tests (each test file includes it).

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use sfbulk_mock::{MockConfig, MockServer};

pub const TOKEN: &str = "00DMOCK!mock-access-token";
pub const VERSION: &str = "62.0";

/// An HTTP answer.
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The one element of a REST error array: `(status, errorCode, message)`.
    pub fn error(&self) -> (u16, String, String) {
        let json = self.json();
        let items = json.as_array().expect("an error array");
        assert_eq!(items.len(), 1, "{}", self.text());
        let text = |k: &str| items[0][k].as_str().unwrap_or_default().to_owned();
        (self.status, text("errorCode"), text("message"))
    }
}

/// A client of one mock, with a Bearer token and API version 62.0.
pub struct Client {
    pub mock: MockServer,
    pub token: String,
    pub version: String,
}

impl Client {
    pub fn new(cfg: MockConfig) -> Client {
        Client {
            mock: MockServer::start(cfg),
            token: TOKEN.into(),
            version: VERSION.into(),
        }
    }

    /// Jobs finish 15 ms after they are closed or created (result rows shuffled, as by
    /// default).
    pub fn fast() -> Client {
        Client::new(MockConfig {
            processing_delay: Duration::from_millis(15),
            ..MockConfig::default()
        })
    }

    /// Jobs that only move when the test advances the mock's clock.
    pub fn frozen() -> Client {
        Client::new(MockConfig {
            processing_delay: Duration::from_secs(3600),
            ..MockConfig::default()
        })
    }

    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let url = format!("{}{path}", self.mock.url());
        let mut request = ureq::request(method, &url).timeout(Duration::from_secs(20));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = if body.is_empty() && matches!(method, "GET" | "DELETE") {
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

    /// `/services/data/v{version}/jobs/{path}`.
    pub fn path(&self, path: &str) -> String {
        format!("/services/data/v{}/jobs/{path}", self.version)
    }

    /// A request below `/jobs/` with the Bearer token.
    pub fn v2(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Resp {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("Authorization", auth.as_str())];
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type));
        }
        self.send(method, &self.path(path), &headers, body)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.v2("GET", path, "", b"")
    }

    pub fn post_json(&self, path: &str, json: &serde_json::Value) -> Resp {
        self.v2(
            "POST",
            path,
            "application/json",
            json.to_string().as_bytes(),
        )
    }

    pub fn patch_state(&self, kind: &str, job: &str, state: &str) -> Resp {
        let body = format!(r#"{{"state":"{state}"}}"#);
        self.v2(
            "PATCH",
            &format!("{kind}/{job}"),
            "application/json",
            body.as_bytes(),
        )
    }

    /// Creates an ingest job from `spec` (object, operation, …) and returns its id.
    pub fn create_ingest(&self, spec: serde_json::Value) -> String {
        let resp = self.post_json("ingest", &spec);
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["id"].as_str().expect("an id").to_owned()
    }

    pub fn upload(&self, job: &str, csv: &[u8]) -> Resp {
        self.v2("PUT", &format!("ingest/{job}/batches"), "text/csv", csv)
    }

    /// Create, upload, close: the job id.
    pub fn ingest(&self, spec: serde_json::Value, csv: &[u8]) -> String {
        let job = self.create_ingest(spec);
        let put = self.upload(&job, csv);
        assert_eq!(put.status, 201, "{}", put.text());
        let close = self.patch_state("ingest", &job, "UploadComplete");
        assert_eq!(close.status, 200, "{}", close.text());
        job
    }

    /// Polls `kind/job` until it is JobComplete, Failed or Aborted; its info.
    pub fn wait(&self, kind: &str, job: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = self.get(&format!("{kind}/{job}"));
            assert_eq!(info.status, 200, "{}", info.text());
            let json = info.json();
            let state = json["state"].as_str().unwrap_or_default();
            if matches!(state, "JobComplete" | "Failed" | "Aborted") {
                return json;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} never finished: {json}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// An ingest result file (`successfulResults`, …) as text.
    pub fn results(&self, job: &str, file: &str) -> String {
        let resp = self.get(&format!("ingest/{job}/{file}"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.text()
    }

    /// Creates a query job and returns its id.
    pub fn create_query(&self, soql: &str) -> String {
        let resp = self.post_json(
            "query",
            &serde_json::json!({"operation": "query", "query": soql}),
        );
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["id"].as_str().expect("an id").to_owned()
    }

    /// Inserts `n` accounts `Acct 001`… with `NumberOfEmployees` = i.
    pub fn seed_accounts(&self, n: usize) -> Vec<String> {
        self.mock.insert_records(
            "Account",
            (1..=n)
                .map(|i| {
                    vec![
                        ("Name".to_owned(), format!("Acct {i:03}")),
                        ("NumberOfEmployees".to_owned(), i.to_string()),
                    ]
                })
                .collect(),
        )
    }
}

/// The lines of a CSV text without its terminators (no quoted line breaks in these tests).
pub fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Sends a bare request and reads until the server closes the connection.
pub fn raw_request(port: u16, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body).expect("send the body");
    let mut raw = Vec::new();
    // The end of a cut-short answer may come as a reset rather than a clean EOF.
    let _ = stream.read_to_end(&mut raw);
    raw
}
