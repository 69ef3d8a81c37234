//! Faults armed for the next requests, whatever their path, and what they do to one request.

use std::time::Duration;

/// The faults still to inject.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    status: Option<StatusFault>,
    delay: Option<(usize, Duration)>,
    /// The first request whose body holds these bytes is answered only after the delay.
    delay_holding: Option<(Vec<u8>, Duration)>,
    hang: usize,
    reset: usize,
    reset_after: usize,
    truncate: usize,
}

#[derive(Debug, Clone, Copy)]
struct StatusFault {
    /// Requests still to let through before the first failure.
    skip: usize,
    remaining: usize,
    status: u16,
    retry_after_secs: Option<u32>,
}

/// What happens to one request because of injected faults.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fault {
    pub delay: Option<Duration>,
    pub hang: bool,
    pub reset: bool,
    pub reset_after: bool,
    pub truncate: bool,
    pub status: Option<(u16, Option<u32>)>,
}

impl FaultPlan {
    /// The next `n` requests get `status` (replaces an earlier `fail` plan).
    pub(crate) fn fail(&mut self, n: usize, status: u16, retry_after_secs: Option<u32>) {
        self.fail_after(0, n, status, retry_after_secs);
    }

    /// The `skip` requests after this one pass, the `n` after them get `status` (replaces an
    /// earlier `fail` plan).
    pub(crate) fn fail_after(
        &mut self,
        skip: usize,
        n: usize,
        status: u16,
        retry_after_secs: Option<u32>,
    ) {
        self.status = (n > 0).then_some(StatusFault {
            skip,
            remaining: n,
            status,
            retry_after_secs,
        });
    }

    pub(crate) fn delay(&mut self, n: usize, delay: Duration) {
        self.delay = (n > 0).then_some((n, delay));
    }

    /// The first request whose body holds `needle` is answered after `delay`.
    pub(crate) fn delay_holding(&mut self, needle: Vec<u8>, delay: Duration) {
        self.delay_holding = Some((needle, delay));
    }

    pub(crate) fn hang(&mut self, n: usize) {
        self.hang = n;
    }

    pub(crate) fn reset(&mut self, n: usize) {
        self.reset = n;
    }

    pub(crate) fn reset_after(&mut self, n: usize) {
        self.reset_after = n;
    }

    pub(crate) fn truncate(&mut self, n: usize) {
        self.truncate = n;
    }

    /// The faults of the next request. A delay combines with any other fault; of the others,
    /// the first armed in the order hang, reset, reset after processing, truncate, status
    /// applies. A status fault still skipping requests counts this one down. A delay armed
    /// for a body holding some bytes applies when `body` holds them.
    pub(crate) fn take(&mut self, body: &[u8]) -> Fault {
        let mut fault = Fault::default();
        let status_due = match self.status.as_mut() {
            Some(fail) if fail.skip > 0 => {
                fail.skip -= 1;
                false
            }
            Some(_) => true,
            None => false,
        };
        if let Some((remaining, delay)) = self.delay.as_mut() {
            fault.delay = Some(*delay);
            *remaining -= 1;
            if *remaining == 0 {
                self.delay = None;
            }
        }
        if let Some((needle, delay)) = &self.delay_holding
            && body
                .windows(needle.len().max(1))
                .any(|w| w == needle.as_slice())
        {
            fault.delay = Some(*delay);
            self.delay_holding = None;
        }
        if take_one(&mut self.hang) {
            fault.hang = true;
        } else if take_one(&mut self.reset) {
            fault.reset = true;
        } else if take_one(&mut self.reset_after) {
            fault.reset_after = true;
        } else if take_one(&mut self.truncate) {
            fault.truncate = true;
        } else if let Some(fail) = self.status.as_mut().filter(|_| status_due) {
            fault.status = Some((fail.status, fail.retry_after_secs));
            fail.remaining -= 1;
            if fail.remaining == 0 {
                self.status = None;
            }
        }
        fault
    }
}

/// Counts one down; whether there was one.
fn take_one(count: &mut usize) -> bool {
    let armed = *count > 0;
    if armed {
        *count -= 1;
    }
    armed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_combines_and_the_others_take_turns() {
        let mut plan = FaultPlan::default();
        plan.delay(2, Duration::from_millis(5));
        plan.reset(1);
        plan.fail(1, 503, Some(2));
        let first = plan.take(b"");
        assert_eq!(first.delay, Some(Duration::from_millis(5)));
        assert!(first.reset && first.status.is_none());
        let second = plan.take(b"");
        assert_eq!(second.delay, Some(Duration::from_millis(5)));
        assert_eq!(second.status, Some((503, Some(2))));
        assert_eq!(plan.take(b""), Fault::default());
    }

    #[test]
    fn the_nth_request_fails() {
        let mut plan = FaultPlan::default();
        plan.fail_after(2, 1, 429, None);
        assert_eq!(plan.take(b""), Fault::default());
        assert_eq!(plan.take(b""), Fault::default());
        assert_eq!(plan.take(b"").status, Some((429, None)));
        assert_eq!(plan.take(b""), Fault::default());
    }
}
