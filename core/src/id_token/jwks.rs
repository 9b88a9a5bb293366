//! The tenant's signing keys (`/.well-known/jwks.json`), cached per client.
//!
//! The set is fetched before the first request that will return an ID token and again when it
//! is older than [`MAX_AGE`], so a failing fetch happens before a single-use subject token is
//! sent. A token signed with a key id the cached set lacks (the tenant rotated its key) causes
//! one refetch, at most once per [`UNKNOWN_KEY_REFETCH_INTERVAL`] so that forged key ids cannot
//! make the client hammer the tenant. Fetches are single-flight: concurrent callers wait for the
//! one in progress.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::RsaPublicKeyComponents;
use serde_json::Value;

use crate::error::{Error, ResponseProblem};

/// How long a fetched key set is used before it is fetched again.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(3600);
/// The shortest time between two refetches caused by an unknown key id.
pub(crate) const UNKNOWN_KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// An RSA public key of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RsaJwk {
    pub kid: Option<String>,
    /// The `alg` the key is meant for, when the set says.
    pub alg: Option<String>,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

impl RsaJwk {
    pub fn components(&self) -> RsaPublicKeyComponents<&[u8]> {
        RsaPublicKeyComponents { n: &self.n, e: &self.e }
    }
}

/// Which key the token names.
pub(crate) enum Lookup<'a> {
    Kid(&'a str),
    /// No `kid` in the header: usable only when the set has exactly one key.
    OnlyKey,
}

#[derive(Default)]
struct State {
    /// Each key shared with the validations using it: a lookup copies no modulus.
    keys: Vec<Arc<RsaJwk>>,
    fetched_at: Option<Instant>,
    unknown_key_refetch_at: Option<Instant>,
}

impl State {
    fn is_fresh(&self, now: Instant) -> bool {
        self.fetched_at
            .is_some_and(|at| now.saturating_duration_since(at) < MAX_AGE)
    }

    fn may_refetch_for_unknown_key(&self, now: Instant) -> bool {
        self.unknown_key_refetch_at
            .is_none_or(|at| now.saturating_duration_since(at) >= UNKNOWN_KEY_REFETCH_INTERVAL)
    }

    fn find(&self, lookup: &Lookup<'_>) -> Option<Arc<RsaJwk>> {
        match lookup {
            Lookup::Kid(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)).map(Arc::clone),
            Lookup::OnlyKey => match self.keys.as_slice() {
                [only] => Some(Arc::clone(only)),
                _ => None,
            },
        }
    }
}

/// The cached key set of one client.
#[derive(Default)]
pub(crate) struct JwksCache {
    state: Mutex<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl JwksCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl super::IdTokenValidator {
    /// Makes sure a fresh key set is cached (fetching it if needed).
    pub(super) async fn prepare_jwks(&self) -> Result<(), Error> {
        let cache = &self.jwks;
        if cache.state().is_fresh(Instant::now()) {
            return Ok(());
        }
        let _fetching = cache.fetching.lock().await;
        if cache.state().is_fresh(Instant::now()) {
            return Ok(());
        }
        let keys = self.fetch_jwks().await?;
        let mut state = cache.state();
        state.keys = keys.into_iter().map(Arc::new).collect();
        state.fetched_at = Some(Instant::now());
        Ok(())
    }

    /// The key the token names; refetches the set once (rate-limited) when it is not there.
    /// `None` when no key matches.
    pub(super) async fn jwk(&self, lookup: Lookup<'_>) -> Result<Option<Arc<RsaJwk>>, Error> {
        let cache = &self.jwks;
        self.prepare_jwks().await?;
        if let Some(key) = cache.state().find(&lookup) {
            return Ok(Some(key));
        }
        let _fetching = cache.fetching.lock().await;
        {
            let state = cache.state();
            // Another caller may have refetched while this one waited.
            if let Some(key) = state.find(&lookup) {
                return Ok(Some(key));
            }
            if !state.may_refetch_for_unknown_key(Instant::now()) {
                return Ok(None);
            }
        }
        cache.state().unknown_key_refetch_at = Some(Instant::now());
        let keys = self.fetch_jwks().await?;
        let mut state = cache.state();
        state.keys = keys.into_iter().map(Arc::new).collect();
        state.fetched_at = Some(Instant::now());
        Ok(state.find(&lookup))
    }

    /// `GET /.well-known/jwks.json` through the client's transport (no redirects, capped body).
    async fn fetch_jwks(&self) -> Result<Vec<RsaJwk>, Error> {
        let url = self
            .issuer
            .join(".well-known/jwks.json")
            .expect("a relative path joins onto an http(s) base");
        let request = self
            .http
            .with_telemetry(self.http.request("GET", &url).header("accept", "application/json"));
        let response = self.http.send(request, self.http.deadline()).await?;
        if !response.is_success() {
            return Err(response.into_error());
        }
        let body = response.json_object()?;
        let Some(Value::Array(keys)) = body.get("keys") else {
            return Err(response.unexpected(ResponseProblem::MissingField("keys")));
        };
        Ok(keys.iter().filter_map(rsa_jwk).collect())
    }
}

/// An RSA signing key of a JWK Set; other keys (EC, encryption keys, broken entries) are
/// skipped, as RFC 7517 §5 asks.
fn rsa_jwk(jwk: &Value) -> Option<RsaJwk> {
    let text = |k: &str| jwk.get(k).and_then(Value::as_str);
    if text("kty")? != "RSA" || text("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let bytes = |k: &str| URL_SAFE_NO_PAD.decode(text(k)?).ok().filter(|b| !b.is_empty());
    Some(RsaJwk {
        kid: text("kid").map(str::to_owned),
        alg: text("alg").map(str::to_owned),
        n: bytes("n")?,
        e: bytes("e")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_rsa_signing_keys_are_kept() {
        let keys: Vec<_> = [
            json!({"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB","use":"sig","alg":"RS256"}),
            json!({"kty":"RSA","kid":"enc","n":"AQAB","e":"AQAB","use":"enc"}),
            json!({"kty":"EC","kid":"ec","crv":"P-256","x":"AQAB","y":"AQAB"}),
            json!({"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"}),
            json!({"kty":"RSA","kid":"empty","n":"","e":"AQAB"}),
            json!({"kty":"RSA","n":"AQAB","e":"AQAB"}),
        ]
        .iter()
        .filter_map(rsa_jwk)
        .collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kid.as_deref(), Some("a"));
        assert_eq!(keys[0].alg.as_deref(), Some("RS256"));
        assert_eq!(keys[1].kid, None);
    }

    #[test]
    fn freshness_and_the_unknown_key_refetch_limit() {
        let t0 = Instant::now();
        let mut state = State::default();
        assert!(!state.is_fresh(t0), "an empty cache is never fresh");
        state.fetched_at = Some(t0);
        assert!(state.is_fresh(t0 + MAX_AGE - Duration::from_secs(1)));
        assert!(!state.is_fresh(t0 + MAX_AGE));

        assert!(state.may_refetch_for_unknown_key(t0));
        state.unknown_key_refetch_at = Some(t0);
        assert!(!state.may_refetch_for_unknown_key(t0));
        assert!(!state.may_refetch_for_unknown_key(t0 + Duration::from_secs(59)));
        assert!(state.may_refetch_for_unknown_key(t0 + UNKNOWN_KEY_REFETCH_INTERVAL));
    }

    #[test]
    fn a_token_without_kid_needs_a_single_key_set() {
        let key = |kid: &str| RsaJwk {
            kid: Some(kid.into()),
            alg: None,
            n: vec![1],
            e: vec![1],
        };
        let mut state = State {
            keys: vec![Arc::new(key("a"))],
            ..State::default()
        };
        assert_eq!(state.find(&Lookup::OnlyKey), Some(Arc::new(key("a"))));
        assert_eq!(state.find(&Lookup::Kid("a")), Some(Arc::new(key("a"))));
        assert_eq!(state.find(&Lookup::Kid("b")), None);
        state.keys = vec![Arc::new(key("a")), Arc::new(key("b"))];
        assert_eq!(state.find(&Lookup::OnlyKey), None);
        assert_eq!(state.find(&Lookup::Kid("b")), Some(Arc::new(key("b"))));
    }
}
