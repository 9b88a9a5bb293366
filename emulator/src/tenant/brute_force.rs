//! Brute-force protection: consecutive failed exchanges per end-user IP, in a map of bounded
//! size (an attacker cycling through addresses cannot make it grow without limit).

use std::collections::HashMap;

/// Most end-user IPs tracked at once.
pub(crate) const MAX_TRACKED_IPS: usize = 10_000;

/// Consecutive failures per end-user IP.
#[derive(Debug, Default)]
pub(crate) struct FailureCounters {
    counts: HashMap<String, u32>,
}

impl FailureCounters {
    /// Whether `ip` has reached `threshold` consecutive failures (`0` disables the protection).
    pub(crate) fn is_blocked(&self, ip: &str, threshold: u32) -> bool {
        threshold > 0 && self.counts.get(ip).is_some_and(|n| *n >= threshold)
    }

    /// Counts one failure of `ip`. When the map is full, IPs that are not blocked are
    /// forgotten first (they lose at most `threshold - 1` failures), then arbitrary ones.
    pub(crate) fn record_failure(&mut self, ip: &str, threshold: u32) {
        if let Some(n) = self.counts.get_mut(ip) {
            *n = n.saturating_add(1);
            return;
        }
        if self.counts.len() >= MAX_TRACKED_IPS {
            self.counts.retain(|_, n| threshold > 0 && *n >= threshold);
            if self.counts.len() >= MAX_TRACKED_IPS {
                let victim = self.counts.keys().next().cloned();
                if let Some(victim) = victim {
                    self.counts.remove(&victim);
                }
            }
        }
        self.counts.insert(ip.to_owned(), 1);
    }

    /// A success resets the count of `ip`.
    pub(crate) fn record_success(&mut self, ip: &str) {
        self.counts.remove(ip);
    }

    /// Forgets every count (lifts every block).
    pub(crate) fn clear(&mut self) {
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_threshold_and_a_success_resets() {
        let mut c = FailureCounters::default();
        c.record_failure("a", 2);
        assert!(!c.is_blocked("a", 2));
        c.record_failure("a", 2);
        assert!(c.is_blocked("a", 2) && !c.is_blocked("b", 2) && !c.is_blocked("a", 0));
        c.record_success("a");
        assert!(!c.is_blocked("a", 2));
    }

    #[test]
    fn the_map_stays_bounded_and_keeps_blocked_ips() {
        let mut c = FailureCounters::default();
        c.record_failure("blocked", 2);
        c.record_failure("blocked", 2);
        for i in 0..(2 * MAX_TRACKED_IPS) {
            c.record_failure(&format!("198.51.{}.{}", i / 256, i % 256), 2);
            assert!(c.counts.len() <= MAX_TRACKED_IPS);
        }
        assert!(c.is_blocked("blocked", 2), "blocked IPs are forgotten last");
    }
}
