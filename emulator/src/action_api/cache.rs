//! `api.cache`: string values scoped to one trigger, with a lifetime.
//!
//! Default lifetime 15 minutes ([`DEFAULT_CACHE_TTL`]); `ttl` (milliseconds) or `expires_at`
//! (milliseconds since the epoch) choose another; no record lives longer than
//! [`MAX_CACHE_TTL`] (24 hours): longer lifetimes are clamped. `ttl` wins when both are given.
//! Times come from the Actions clock, which tests can move forward
//! ([`crate::Emulator::advance_actions_clock`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ActionTrigger;

/// Lifetime of a cache record set without `ttl` / `expires_at`: 15 minutes.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(15 * 60);
/// The longest a cache record lives (24 hours); longer lifetimes are clamped to it.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest accepted cache key, in bytes.
pub const MAX_CACHE_KEY_BYTES: usize = 256;
/// Largest accepted cache value, in bytes.
pub const MAX_CACHE_VALUE_BYTES: usize = 4096;

/// A cached value and when it expires, as `api.cache.get` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    /// The stored string.
    pub value: String,
    /// Expiry, in milliseconds since the Unix epoch (Actions clock).
    pub expires_at: u64,
}

/// Options of `api.cache.set`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheSetOptions {
    /// Lifetime in milliseconds from now.
    pub ttl_ms: Option<u64>,
    /// Absolute expiry in milliseconds since the Unix epoch.
    pub expires_at_ms: Option<u64>,
}

/// A change an Action made to the cache, applied to the shared cache when the Action
/// completes successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheOp {
    /// Store `record` at `key`.
    Set { key: String, record: CacheRecord },
    /// Remove `key`.
    Delete { key: String },
}

/// When a record set at `now_ms` with `options` expires, or why it cannot be stored.
pub(crate) fn expiry(now_ms: u64, options: CacheSetOptions) -> Result<u64, String> {
    let max = now_ms + MAX_CACHE_TTL.as_millis() as u64;
    let requested = match (options.ttl_ms, options.expires_at_ms) {
        (Some(0), _) => return Err("ttl must be positive".into()),
        (Some(ttl), _) => now_ms.saturating_add(ttl),
        (None, Some(at)) if at <= now_ms => return Err("expires_at is in the past".into()),
        (None, Some(at)) => at,
        (None, None) => now_ms + DEFAULT_CACHE_TTL.as_millis() as u64,
    };
    Ok(requested.min(max))
}

/// Checks a key and a value against the cache limits.
pub(crate) fn check_entry(key: &str, value: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_CACHE_KEY_BYTES {
        return Err(format!("cache keys must be 1 to {MAX_CACHE_KEY_BYTES} bytes"));
    }
    if value.len() > MAX_CACHE_VALUE_BYTES {
        return Err(format!("cache values must be at most {MAX_CACHE_VALUE_BYTES} bytes"));
    }
    Ok(())
}

/// The cache of every trigger.
#[derive(Debug, Default)]
pub(crate) struct ActionCache {
    entries: Mutex<HashMap<ActionTrigger, HashMap<String, CacheRecord>>>,
}

impl ActionCache {
    /// The live records of `trigger` at `now_ms` (expired ones are dropped).
    pub(crate) fn snapshot(&self, trigger: ActionTrigger, now_ms: u64) -> HashMap<String, CacheRecord> {
        let mut all = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let map = all.entry(trigger).or_default();
        map.retain(|_, r| r.expires_at > now_ms);
        map.clone()
    }

    /// Applies an Action's changes.
    pub(crate) fn apply(&self, trigger: ActionTrigger, ops: &[CacheOp]) {
        let mut all = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let map = all.entry(trigger).or_default();
        for op in ops {
            match op {
                CacheOp::Set { key, record } => {
                    map.insert(key.clone(), record.clone());
                }
                CacheOp::Delete { key } => {
                    map.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_default_ttl_expires_at_and_clamp() {
        let now = 1_000_000;
        let opts = |ttl_ms, expires_at_ms| CacheSetOptions { ttl_ms, expires_at_ms };
        assert_eq!(expiry(now, opts(None, None)).unwrap(), now + 900_000);
        assert_eq!(expiry(now, opts(Some(5), None)).unwrap(), now + 5);
        assert_eq!(expiry(now, opts(Some(5), Some(now + 99))).unwrap(), now + 5);
        assert_eq!(expiry(now, opts(None, Some(now + 99))).unwrap(), now + 99);
        let day = 86_400_000;
        assert_eq!(expiry(now, opts(Some(2 * day), None)).unwrap(), now + day);
        assert_eq!(expiry(now, opts(None, Some(now + 2 * day))).unwrap(), now + day);
        assert!(expiry(now, opts(None, Some(now))).is_err());
        assert!(expiry(now, opts(Some(0), None)).is_err());
    }

    #[test]
    fn snapshot_drops_expired_and_triggers_are_separate() {
        let cache = ActionCache::default();
        let set = |key: &str, expires_at| CacheOp::Set {
            key: key.into(),
            record: CacheRecord {
                value: "v".into(),
                expires_at,
            },
        };
        cache.apply(ActionTrigger::CredentialsExchange, &[set("a", 10), set("b", 20)]);
        assert_eq!(cache.snapshot(ActionTrigger::CredentialsExchange, 15).len(), 1);
        assert!(cache.snapshot(ActionTrigger::CustomTokenExchange, 0).is_empty());
        cache.apply(
            ActionTrigger::CredentialsExchange,
            &[CacheOp::Delete { key: "b".into() }],
        );
        assert!(cache.snapshot(ActionTrigger::CredentialsExchange, 0).is_empty());
        assert!(check_entry("", "v").is_err());
        assert!(check_entry("k", &"x".repeat(4097)).is_err());
    }
}
