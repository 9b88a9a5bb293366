//! What the tenant remembers for DPoP (RFC 9449): the rotating nonces of each realm (the
//! token endpoint's and `/userinfo`'s) and the proof `jti`s seen. Checking proofs is the
//! `dpop` module's job.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::config::DpopConfig;
use crate::util::random_token;

/// Which server a proof is sent to; each has its own nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Realm {
    /// The authorization server (`/oauth/token`).
    Token,
    /// The resource server `/userinfo`.
    Userinfo,
}

/// A current and a previous nonce; rotation is lazy (on access, by the tenant's clock, in
/// seconds) or forced.
#[derive(Debug)]
pub(crate) struct NonceStore {
    current: String,
    previous: Option<String>,
    rotated_at: u64,
    rotation: u64,
}

impl NonceStore {
    pub(crate) fn new(rotation: u64, now: u64) -> Self {
        Self {
            current: random_token(18),
            previous: None,
            rotated_at: now,
            rotation,
        }
    }

    pub(crate) fn rotate(&mut self, now: u64) {
        let fresh = random_token(18);
        self.previous = Some(std::mem::replace(&mut self.current, fresh));
        self.rotated_at = now;
    }

    fn tick(&mut self, now: u64) {
        let elapsed = now.saturating_sub(self.rotated_at);
        if elapsed >= self.rotation.saturating_mul(2) {
            self.rotate(now);
            self.previous = None;
        } else if elapsed >= self.rotation {
            self.rotate(now);
        }
    }

    pub(crate) fn current(&mut self, now: u64) -> String {
        self.tick(now);
        self.current.clone()
    }

    pub(crate) fn accepts(&mut self, nonce: &str, now: u64) -> bool {
        self.tick(now);
        nonce == self.current || self.previous.as_deref() == Some(nonce)
    }
}

/// Remembers proof `jti`s until they could no longer pass the `iat` check.
#[derive(Debug, Default)]
struct JtiCache {
    /// jti -> expiry (seconds since the epoch).
    seen: HashMap<String, u64>,
}

impl JtiCache {
    /// Records `jti`; false when it was already used.
    fn insert(&mut self, jti: &str, expires: u64, now: u64) -> bool {
        if self.seen.len() > 1024 {
            self.seen.retain(|_, exp| *exp >= now);
        }
        match self.seen.get(jti) {
            Some(exp) if *exp >= now => false,
            _ => {
                self.seen.insert(jti.to_owned(), expires);
                true
            }
        }
    }
}

/// The DPoP memory of one tenant.
#[derive(Debug)]
pub(crate) struct DpopMemory {
    token_nonces: Mutex<NonceStore>,
    userinfo_nonces: Mutex<NonceStore>,
    jtis: Mutex<JtiCache>,
}

impl DpopMemory {
    /// Fresh nonces (rotating every `config.nonce_rotation_secs`, from `now`), no `jti` seen.
    pub(crate) fn new(config: &DpopConfig, now: u64) -> Self {
        let rotation = config.nonce_rotation_secs.max(1);
        Self {
            token_nonces: Mutex::new(NonceStore::new(rotation, now)),
            userinfo_nonces: Mutex::new(NonceStore::new(rotation, now)),
            jtis: Mutex::new(JtiCache::default()),
        }
    }

    /// The nonces of `realm` (never hold the guard across an `.await`).
    pub(crate) fn nonces(&self, realm: Realm) -> MutexGuard<'_, NonceStore> {
        let m = match realm {
            Realm::Token => &self.token_nonces,
            Realm::Userinfo => &self.userinfo_nonces,
        };
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a proof's `jti` until `expires`; false when it was already used.
    pub(crate) fn record_jti(&self, jti: &str, expires: u64, now: u64) -> bool {
        self.jtis
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(jti, expires, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_store_accepts_current_and_previous_only() {
        let mut s = NonceStore::new(300, 1000);
        let first = s.current(1000);
        s.rotate(1000);
        let second = s.current(1000);
        assert_ne!(first, second);
        assert!(s.accepts(&first, 1000) && s.accepts(&second, 1000));
        s.rotate(1000);
        assert!(!s.accepts(&first, 1000));
        assert!(s.accepts(&second, 1000));
    }

    #[test]
    fn nonce_store_rotates_with_time() {
        let mut s = NonceStore::new(10, 1000);
        let first = s.current(1009);
        assert_eq!(s.current(1009), first, "not yet");
        // One rotation period has passed: the old nonce becomes the previous one.
        let second = s.current(1015);
        assert_ne!(first, second);
        assert!(s.accepts(&first, 1015));
        // Two periods without any request: both are replaced.
        assert!(!s.accepts(&first, 1040) && !s.accepts(&second, 1040));
    }

    #[test]
    fn jti_cache_rejects_reuse_until_expiry() {
        let mut c = JtiCache::default();
        assert!(c.insert("a", 100, 10));
        assert!(!c.insert("a", 100, 50));
        assert!(c.insert("a", 200, 101));
    }
}
