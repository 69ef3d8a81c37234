//! The simulated WAN of a running mock (`wan`): its link, its counters, and the way around it.

use crate::handle::MockServer;
use crate::wan_link::{WanLink, WanStats};

impl MockServer {
    /// The link clients go through ([`crate::MockConfig::wan`]), if any.
    #[must_use]
    pub fn wan_link(&self) -> Option<WanLink> {
        self.wan
    }

    /// What the simulated WAN carried so far (`None` without one).
    #[must_use]
    pub fn wan_stats(&self) -> Option<WanStats> {
        self.shared.wan.as_ref().map(|counters| counters.snapshot())
    }

    /// Starts a new [`WanStats::peak_open`]: the most connections open at once from now on.
    pub fn reset_wan_peak(&self) {
        if let Some(counters) = &self.shared.wan {
            counters.reset_peak();
        }
    }

    /// The mock without the simulated WAN (its [`MockServer::url`] when there is none): for
    /// reading its state without paying, or counting, the link.
    #[must_use]
    pub fn direct_url(&self) -> String {
        self.listener.url(self.direct_addr)
    }
}
