//! Pure retry and polling decisions: exponential backoff with jitter, `Retry-After`, and
//! which replies and failures may be retried. The clock and the jitter are passed in.

use std::time::Duration;

/// Retries of idempotent requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// First backoff.
    pub first_delay: Duration,
    /// Largest backoff, and largest `Retry-After` honoured.
    pub max_delay: Duration,
    /// No retry whose wait would end later than this after the first attempt.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` attempts (1-based) and
    /// `elapsed` since the first; `None` = give up. `retry_after` (from the reply) is a
    /// floor, capped at `max_delay`; `jitter` in `[0, 1)` spreads the wait over its upper half.
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = exponential(
            self.first_delay,
            self.max_delay,
            attempt.saturating_sub(1),
            jitter,
        );
        let wait = match retry_after {
            Some(ra) => backoff.max(ra.min(self.max_delay)),
            None => backoff,
        };
        (elapsed + wait <= self.max_total).then_some(wait)
    }
}

/// `first · 2^step`, capped at `max`, scaled into `[½, 1]` of itself by `jitter`.
pub fn exponential(first: Duration, max: Duration, step: u32, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(step.min(30));
    let base = first.saturating_mul(factor).min(max);
    base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Whether an HTTP status is worth retrying for an idempotent request.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || status == 420 || (500..=599).contains(&status)
}

/// Whether a non-idempotent request (create-job, add-batch) answered with `status` was
/// certainly not acted on, so that sending it again cannot duplicate anything: 429 (rate
/// limited) and 503 (unavailable) are refused before processing.
pub fn refused_before_processing(status: u16) -> bool {
    status == 429 || status == 503
}

/// Reads `Retry-After` given in seconds (the HTTP-date form is ignored).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Polling of batch states: exponential backoff with jitter between two intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    /// First wait.
    pub first: Duration,
    /// Largest wait.
    pub max: Duration,
    /// Overall deadline from the start of the wait; `None` = none.
    pub timeout: Option<Duration>,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first: Duration::from_millis(500),
            max: Duration::from_secs(10),
            timeout: None,
        }
    }
}

impl PollPolicy {
    /// The wait before poll `poll + 1` (0-based `poll` done), or `None` when the deadline
    /// leaves no time; the last wait is shortened to end at the deadline.
    pub fn next_wait(&self, poll: u32, elapsed: Duration, jitter: f64) -> Option<Duration> {
        let wait = exponential(self.first, self.max, poll, jitter);
        match self.timeout {
            None => Some(wait),
            Some(t) if elapsed >= t => None,
            Some(t) => Some(wait.min(t - elapsed)),
        }
    }
}

/// A jitter value in `[0, 1)` from the clock's sub-second part (no random import needed).
pub fn clock_jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Scramble the low bits so that calls close together differ.
    let mixed = (nanos as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    (mixed as f64) / ((1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_in_the_upper_half() {
        let first = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        assert_eq!(exponential(first, max, 0, 1.0), Duration::from_millis(100));
        assert_eq!(exponential(first, max, 1, 1.0), Duration::from_millis(200));
        assert_eq!(exponential(first, max, 3, 1.0), Duration::from_millis(800));
        assert_eq!(exponential(first, max, 4, 1.0), Duration::from_millis(1000));
        assert_eq!(
            exponential(first, max, 40, 1.0),
            Duration::from_millis(1000)
        );
        assert_eq!(exponential(first, max, 1, 0.0), Duration::from_millis(100));
    }

    #[test]
    fn retry_stops_at_max_attempts_and_total_time() {
        let p = RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_total: Duration::from_millis(500),
        };
        assert_eq!(
            p.next_delay(1, Duration::ZERO, None, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.next_delay(2, Duration::from_millis(100), None, 1.0),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            p.next_delay(3, Duration::from_millis(300), None, 1.0),
            None,
            "attempts used up"
        );
        assert_eq!(
            p.next_delay(2, Duration::from_millis(400), None, 1.0),
            None,
            "past max_total"
        );
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_max_delay() {
        let p = RetryPolicy::default();
        let ra = Some(Duration::from_secs(3));
        assert_eq!(
            p.next_delay(1, Duration::ZERO, ra, 1.0),
            Some(Duration::from_secs(3))
        );
        let huge = Some(Duration::from_secs(3600));
        assert_eq!(
            p.next_delay(1, Duration::ZERO, huge, 1.0),
            Some(p.max_delay)
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [200, 201, 400, 401, 404] {
            assert!(!retryable_status(s), "{s}");
        }
        assert!(refused_before_processing(503) && refused_before_processing(429));
        assert!(!refused_before_processing(500) && !refused_before_processing(502));
    }

    #[test]
    fn polling_respects_the_deadline() {
        let p = PollPolicy {
            first: Duration::from_millis(100),
            max: Duration::from_millis(400),
            timeout: Some(Duration::from_millis(1000)),
        };
        assert_eq!(
            p.next_wait(0, Duration::ZERO, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.next_wait(5, Duration::ZERO, 1.0),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            p.next_wait(5, Duration::from_millis(900), 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(p.next_wait(5, Duration::from_millis(1000), 1.0), None);
        let open = PollPolicy { timeout: None, ..p };
        assert!(
            open.next_wait(100, Duration::from_secs(1_000_000), 0.5)
                .is_some()
        );
    }

    #[test]
    fn clock_jitter_is_in_range() {
        for _ in 0..100 {
            let j = clock_jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
