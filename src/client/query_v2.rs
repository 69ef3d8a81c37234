//! A Bulk API 2.0 query as one CSV stream: the job waited for, then its result pages read
//! by locator (each page's own header dropped but the first), each page's row count checked
//! against `Sforce-NumberOfRecords` and the total against the job's
//! `numberRecordsProcessed`. A page cut short or short of rows is fetched again by the same
//! locator (locators are re-readable) and resumed where it was; memory stays flat.
//!
//! Pages transfer concurrently: a page's reply head names the next page's locator, so once
//! a page is open the next ones are opened too, up to `config.concurrency` in all, and the
//! transport moves their bytes while the first is read (`crate::wasi_pump`, at most 4 MiB
//! ahead for all of them together); they are written in order.

use std::cell::RefCell;
use std::time::Duration;

use crate::backoff::PollPolicy;
use crate::error::Error;
use crate::model::v2::{JobInfo, JobState};
use crate::protocol::v2::JobKind;
use crate::protocol::{self, DEFAULT_QUERY_PAGE_RECORDS};
use crate::stitch::Stitcher;

use super::call::Client;
use super::query_stream::MAX_REOPEN;
use super::transport::BodyReader;

/// Where a stream is, to resume it: the page to read next (its locator; `None` for the
/// first page) and what was written before that page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryPositionV2 {
    /// The job.
    pub job_id: String,
    /// The locator of the first page not completely written (`None`: the first page, or
    /// nothing left when `done`).
    pub locator: Option<String>,
    /// Data rows written before that page.
    pub rows: u64,
    /// Bytes written before that page.
    pub bytes: u64,
    /// Whether every page was written.
    pub done: bool,
}

/// A stream in progress.
pub struct QueryStreamV2 {
    client: Client,
    job_id: String,
    poll: PollPolicy,
    max_records: u32,
    state: RefCell<State>,
}

struct State {
    started: Duration,
    polls: u32,
    job: Option<JobInfo>,
    /// The page to open after the last one opened (`None`: the last page is open).
    cursor: Option<Option<String>>,
    /// The page being read.
    page: Option<Page>,
    /// Pages opened after it, in order (their transfers run while it is read).
    ahead: Vec<Page>,
    stitcher: Stitcher,
    /// Whether the stream started at the first page (so the total can be checked).
    from_start: bool,
    rows_before: u64,
    bytes_before: u64,
    bytes: u64,
    finished: bool,
}

struct Page {
    body: BodyReader,
    locator: Option<String>,
    next: Option<String>,
    expected: Option<u64>,
    consumed: u64,
    refetched: u32,
}

impl QueryStreamV2 {
    /// A stream of job `job_id`'s results, from the first page or from `resume` (a
    /// position's locator; the output then already has its header).
    pub fn open(
        client: Client,
        job_id: String,
        resume: Option<String>,
        poll: PollPolicy,
        max_records: Option<u32>,
    ) -> Result<Self, Error> {
        protocol::validate_id("job id", &job_id)?;
        let from_start = resume.is_none();
        let started = client.transport.monotonic();
        Ok(QueryStreamV2 {
            client,
            job_id,
            poll,
            max_records: max_records.unwrap_or(DEFAULT_QUERY_PAGE_RECORDS),
            state: RefCell::new(State {
                started,
                polls: 0,
                job: None,
                cursor: Some(resume),
                page: None,
                ahead: Vec::new(),
                stitcher: if from_start {
                    Stitcher::new()
                } else {
                    Stitcher::after_header()
                },
                from_start,
                rows_before: 0,
                bytes_before: 0,
                bytes: 0,
                finished: false,
            }),
        })
    }

    /// Waits for the job to complete.
    fn wait(&self, st: &mut State) -> Result<(), Error> {
        let t = &*self.client.transport;
        loop {
            let job = self.client.get_job_v2(JobKind::Query, &self.job_id)?;
            match &job.state {
                Some(JobState::JobComplete) => {
                    st.job = Some(job);
                    return Ok(());
                }
                Some(JobState::Failed | JobState::Aborted) => {
                    let state = job.state.as_ref().map(JobState::as_str).unwrap_or("?");
                    return Err(Error::Api {
                        status: 200,
                        code: job
                            .error_kind()
                            .unwrap_or(if state == "Aborted" {
                                "JobAborted"
                            } else {
                                "JobFailed"
                            })
                            .to_string(),
                        message: format!(
                            "query job {} ended {state}{}",
                            self.job_id,
                            job.error_message
                                .as_deref()
                                .map(|m| format!(": {m}"))
                                .unwrap_or_default()
                        ),
                    });
                }
                _ => {}
            }
            let elapsed = t.monotonic().saturating_sub(st.started);
            match self.poll.next_wait(st.polls, elapsed, t.jitter()) {
                Some(d) => t.sleep(d),
                None => {
                    return Err(Error::StillRunning {
                        job_id: self.job_id.clone(),
                        pending: vec![self.job_id.clone()],
                    });
                }
            }
            st.polls += 1;
        }
    }

    fn version(st: &State) -> String {
        st.job
            .as_ref()
            .and_then(|j| j.api_version.clone())
            .unwrap_or_default()
    }

    fn open_page(&self, st: &State, locator: Option<String>) -> Result<Page, Error> {
        let version = Self::version(st);
        let (body, next, expected) = self.client.open_query_page(
            &self.job_id,
            locator.as_deref(),
            Some(self.max_records),
            &version,
        )?;
        Ok(Page {
            body,
            locator,
            next,
            expected,
            consumed: 0,
            refetched: 0,
        })
    }

    /// Opens the page at the cursor, if any, and moves the cursor to the page after it.
    fn open_next(&self, st: &mut State) -> Result<Option<Page>, Error> {
        let Some(locator) = st.cursor.clone() else {
            return Ok(None);
        };
        let page = self.open_page(st, locator)?;
        st.cursor = page.next.clone().map(Some);
        Ok(Some(page))
    }

    /// Opens pages after the one being read until `config.concurrency` are open.
    fn open_ahead(&self, st: &mut State) -> Result<(), Error> {
        let window = self.client.settings.concurrency;
        while st.page.is_some() && 1 + st.ahead.len() < window {
            match self.open_next(st)? {
                Some(page) => st.ahead.push(page),
                None => break,
            }
        }
        Ok(())
    }

    /// Opens the current page again and skips what was already read.
    fn refetch(&self, st: &mut State, why: &str) -> Result<(), Error> {
        let (locator, consumed, refetched) = match &st.page {
            Some(p) => (p.locator.clone(), p.consumed, p.refetched),
            None => return Ok(()),
        };
        if refetched >= MAX_REOPEN {
            return Err(Error::unexpected(
                200,
                Some("text/csv"),
                format!(
                    "query job {}: the page at locator {} is still {why} after {refetched} fetches",
                    self.job_id,
                    locator.as_deref().unwrap_or("(first)")
                ),
                &[],
            ));
        }
        let mut page = self.open_page(st, locator)?;
        page.refetched = refetched + 1;
        let mut left = consumed;
        while left > 0 {
            let part = page.body.read_chunk(left.min(1 << 20) as usize)?;
            if part.is_empty() {
                return Err(Error::unexpected(
                    200,
                    Some("text/csv"),
                    format!(
                        "query job {}: a page is shorter when read again",
                        self.job_id
                    ),
                    &[],
                ));
            }
            left -= part.len() as u64;
        }
        page.consumed = consumed;
        st.page = Some(page);
        Ok(())
    }

    /// Up to about `max` more bytes of the CSV; empty at the end.
    pub fn read(&self, max: usize) -> Result<Vec<u8>, Error> {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        loop {
            if st.finished {
                return Ok(Vec::new());
            }
            if st.job.is_none() {
                self.wait(st)?;
                continue;
            }
            let Some(page) = st.page.as_mut() else {
                let page = if !st.ahead.is_empty() {
                    st.ahead.remove(0)
                } else if let Some(page) = self.open_next(st)? {
                    page
                } else {
                    self.finish(st)?;
                    return Ok(Vec::new());
                };
                st.rows_before = st.stitcher.rows();
                st.bytes_before = st.bytes;
                st.stitcher.begin_file();
                st.page = Some(page);
                self.open_ahead(st)?;
                continue;
            };
            let chunk = match page.body.read_chunk(max) {
                Ok(chunk) => chunk,
                Err(Error::Transport(_) | Error::Timeout(_)) => {
                    self.refetch(st, "cut short")?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !chunk.is_empty() {
                page.consumed += chunk.len() as u64;
                let out = st.stitcher.push(&chunk).map_err(|head| {
                    Error::unexpected(
                        200,
                        Some("text/csv"),
                        "a result page's header line is longer than 1 MiB",
                        &head,
                    )
                })?;
                st.bytes += out.len() as u64;
                if out.is_empty() {
                    continue;
                }
                return Ok(out);
            }
            // The end of the page: its rows against what the server said it holds.
            let out = st.stitcher.end_file();
            let rows = st.stitcher.rows() - st.rows_before;
            if let Some(expected) = page.expected
                && expected != rows
            {
                if out.is_empty() && rows < expected {
                    // Fetch it again and go on from where it ended.
                    st.stitcher.begin_file_continuing();
                    self.refetch(st, "short of rows")?;
                    continue;
                }
                return Err(Error::unexpected(
                    200,
                    Some("text/csv"),
                    format!(
                        "query job {}: a page holds {rows} rows, Sforce-NumberOfRecords says {expected}",
                        self.job_id
                    ),
                    &[],
                ));
            }
            st.page = None;
            st.bytes += out.len() as u64;
            // What this call returns completes the page: a position taken now starts at
            // the next page, after it.
            st.rows_before = st.stitcher.rows();
            st.bytes_before = st.bytes;
            if st.ahead.is_empty() && st.cursor.is_none() {
                self.finish(st)?;
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
    }

    /// Every page was read: the total against the job's count (when read from the start).
    fn finish(&self, st: &mut State) -> Result<(), Error> {
        if st.finished {
            return Ok(());
        }
        st.finished = true;
        st.rows_before = st.stitcher.rows();
        st.bytes_before = st.bytes;
        let expected = st.job.as_ref().map_or(0, |j| j.number_records_processed);
        if st.from_start && st.stitcher.rows() != expected {
            return Err(Error::unexpected(
                200,
                Some("text/csv"),
                format!(
                    "query job {}: {} rows read, the job says numberRecordsProcessed {expected}",
                    self.job_id,
                    st.stitcher.rows()
                ),
                &[],
            ));
        }
        Ok(())
    }

    /// Where the stream is.
    pub fn position(&self) -> QueryPositionV2 {
        let st = self.state.borrow();
        let locator = match (st.page.as_ref().or(st.ahead.first()), &st.cursor) {
            (Some(p), _) => p.locator.clone(),
            (None, Some(l)) => l.clone(),
            (None, None) => None,
        };
        QueryPositionV2 {
            job_id: self.job_id.clone(),
            locator,
            rows: st.rows_before,
            bytes: st.bytes_before,
            done: st.finished,
        }
    }
}
