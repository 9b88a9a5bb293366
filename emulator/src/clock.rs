//! The tenant's clock: what "now" is for every check that compares times in seconds (token
//! `iat`/`exp`, DPoP proof `iat` and `jti` expiry, client assertions). System time by default;
//! a test can freeze it and move it, so that no check depends on how long the test took.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// The emulator's clock ([`crate::EmulatorConfig::clock`]). Clones share one time: a test keeps
/// a clone and moves the emulator's time with it.
///
/// ```
/// use std::time::Duration;
/// use token_exchange_emulator::Clock;
/// let clock = Clock::frozen_at(1_700_000_000);
/// let seen_by_the_emulator = clock.clone();
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(seen_by_the_emulator.now_secs(), 1_700_000_301);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Clock(Arc<State>);

#[derive(Debug, Default)]
struct State {
    /// Seconds since the epoch it was frozen at; `0` while it follows system time.
    frozen_at: AtomicU64,
    /// Seconds added to the base (system or frozen) time; negative moves it back.
    offset: AtomicI64,
}

impl Clock {
    /// A clock that follows system time (the default).
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still at `unix_secs` (seconds since the Unix epoch, not `0`) until
    /// [`Clock::advance`]d.
    pub fn frozen_at(unix_secs: u64) -> Self {
        let clock = Self::default();
        clock.0.frozen_at.store(unix_secs.max(1), Ordering::Relaxed);
        clock
    }

    /// A clock frozen at the current system time.
    pub fn frozen() -> Self {
        Self::frozen_at(crate::util::now_secs())
    }

    /// Moves the clock forward by `by` (whole seconds; saturating).
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let _ = self
            .0
            .offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| Some(o.saturating_add(secs)));
    }

    /// Seconds since the Unix epoch, as the emulator sees them.
    pub fn now_secs(&self) -> u64 {
        let base = match self.0.frozen_at.load(Ordering::Relaxed) {
            0 => crate::util::now_secs(),
            frozen => frozen,
        };
        base.saturating_add_signed(self.0.offset.load(Ordering::Relaxed))
    }
}

impl PartialEq for Clock {
    /// Clocks are equal when they are the same clock (clones).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = Clock::frozen_at(1000);
        let other = clock.clone();
        assert_eq!(clock.now_secs(), 1000);
        other.advance(Duration::from_secs(5));
        assert_eq!(clock.now_secs(), 1005);
        clock.advance(Duration::MAX);
        assert!(clock.now_secs() > 1005, "saturates instead of overflowing");
        assert!(clock == other && clock != Clock::frozen_at(1000));
    }

    #[test]
    fn the_system_clock_follows_system_time() {
        let clock = Clock::system();
        let before = crate::util::now_secs();
        let seen = clock.now_secs();
        assert!(seen >= before && seen <= crate::util::now_secs());
    }
}
