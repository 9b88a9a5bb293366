//! The token set as foreign code holds it.

use std::fmt;
use std::time::Duration;

use crate::claims::UserClaims;

/// Tokens issued by an exchange. The token values are plain strings (the app stores and
/// sends them); the description never shows them. Build one yourself from stored values to
/// call APIs after a restart: `access_token`, `token_type` and, for DPoP, `dpop_jkt`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// `DPoP` for a sender-constrained token, `Bearer` otherwise.
    pub token_type: String,
    /// Lifetime in seconds, as the server sent it.
    #[uniffi(default = None)]
    pub expires_in: Option<i64>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[uniffi(default = None)]
    pub expires_at: Option<i64>,
    /// The OpenID Connect ID token.
    #[uniffi(default = None)]
    pub id_token: Option<String>,
    /// The refresh token (when `offline_access` was granted).
    #[uniffi(default = None)]
    pub refresh_token: Option<String>,
    /// The granted scopes, when the server says.
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// RFC 8693 `issued_token_type`.
    #[uniffi(default = None)]
    pub issued_token_type: Option<String>,
    /// An MFA recovery code to show the user once, when Auth0 issues one.
    #[uniffi(default = None)]
    pub recovery_code: Option<String>,
    /// Thumbprint of the DPoP key the tokens are bound to (`None` for bearer tokens).
    #[uniffi(default = None)]
    pub dpop_jkt: Option<String>,
    /// The claims of the ID token, set only when the client validated it (the default).
    #[uniffi(default = None)]
    pub id_token_claims: Option<UserClaims>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl From<token_exchange::TokenSet> for TokenSet {
    fn from(t: token_exchange::TokenSet) -> Self {
        TokenSet {
            access_token: t.access_token.expose().to_owned(),
            token_type: t.token_type.clone(),
            expires_in: t.expires_in.map(to_i64),
            expires_at: t.expires_at.map(token_exchange::to_unix_seconds),
            id_token: t.id_token.as_ref().map(|s| s.expose().to_owned()),
            refresh_token: t.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            scope: t.scope.clone(),
            issued_token_type: t.issued_token_type.clone(),
            recovery_code: t.recovery_code.as_ref().map(|s| s.expose().to_owned()),
            dpop_jkt: t.dpop_jkt.clone(),
            id_token_claims: t.id_token_claims.map(UserClaims::from),
        }
    }
}

impl TokenSet {
    /// A token set with just the access token and its type.
    pub fn new(access_token: impl Into<String>, token_type: impl Into<String>) -> Self {
        token_exchange::TokenSet::new(access_token.into(), token_type.into()).into()
    }

    /// The library's token set.
    pub(crate) fn to_core(&self) -> token_exchange::TokenSet {
        let mut t = token_exchange::TokenSet::new(self.access_token.as_str(), self.token_type.clone());
        t.expires_in = self.expires_in.and_then(|s| u64::try_from(s).ok());
        t.expires_at = self.expires_at.and_then(token_exchange::from_unix_seconds);
        t.id_token = self.id_token.as_deref().map(Into::into);
        t.refresh_token = self.refresh_token.as_deref().map(Into::into);
        t.scope = self.scope.clone();
        t.issued_token_type = self.issued_token_type.clone();
        t.recovery_code = self.recovery_code.as_deref().map(Into::into);
        t.dpop_jkt = self.dpop_jkt.clone();
        t.id_token_claims = self.id_token_claims.as_ref().map(UserClaims::to_core);
        t
    }
}

#[uniffi::export]
impl TokenSet {
    /// Whether the access token is DPoP-bound (`token_type` is `DPoP`, any case).
    pub fn is_dpop_bound(&self) -> bool {
        self.to_core().is_dpop_bound()
    }

    /// Whether the access token has expired, or will within `leeway` (any leeway).
    pub fn expires_within(&self, leeway: Duration) -> bool {
        self.to_core().expires_within(leeway)
    }

    /// The access token's `act` (actor) claim as JSON, when it is a JWT that has one
    /// (delegation through Custom Token Exchange with an actor token). Decoded WITHOUT
    /// verifying the signature.
    pub fn actor_claim(&self) -> Option<String> {
        self.to_core().actor_claim().map(|act| act.to_string())
    }

    /// The ID token's claims as a JSON object, decoded WITHOUT verifying the signature. Prefer
    /// `id_token_claims`, which the client validated; use these for display only, never for
    /// authorization decisions.
    pub fn unverified_id_token_claims(&self) -> Option<String> {
        self.to_core()
            .unverified_id_token_claims()
            .map(|claims| serde_json::Value::Object(claims).to_string())
    }
}

impl fmt::Display for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |v: &Option<String>| if v.is_some() { "<redacted>" } else { "none" };
        write!(
            f,
            "TokenSet(token_type={}, access_token=<redacted>, expires_at={}, id_token={}, refresh_token={}, scope={}, recovery_code={}, dpop_jkt={})",
            self.token_type,
            self.expires_at.map_or("none".to_owned(), |t| t.to_string()),
            present(&self.id_token),
            present(&self.refresh_token),
            self.scope.as_deref().unwrap_or("none"),
            present(&self.recovery_code),
            self.dpop_jkt.as_deref().unwrap_or("none"),
        )
    }
}

debug_is_display!(TokenSet);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_redacts() {
        let mut t = TokenSet::new("at-secret-value", "DPoP");
        t.refresh_token = Some("rt-secret-value".into());
        t.id_token = Some("id-secret-value".into());
        t.expires_at = Some(1_900_000_000);
        t.dpop_jkt = Some("jkt".into());
        assert!(t.is_dpop_bound());
        assert_eq!(TokenSet::from(t.to_core()), t);
        for text in [format!("{t}"), format!("{t:?}")] {
            assert!(!text.contains("secret-value"), "{text}");
            assert!(text.contains("DPoP") && text.contains("jkt"));
        }
        assert!(!t.expires_within(Duration::from_secs(60)));
        assert!(t.expires_within(Duration::MAX));
        t.expires_at = Some(1);
        assert!(t.expires_within(Duration::ZERO));
    }

    #[test]
    fn any_stored_expiry_and_leeway_is_usable() {
        for (expires_at, expired) in [(i64::MIN, true), (-1, true), (i64::MAX, false)] {
            let mut t = TokenSet::new("at", "Bearer");
            t.expires_at = Some(expires_at);
            assert_eq!(t.expires_within(Duration::from_secs(60)), expired, "{expires_at}");
            let _ = t.expires_within(Duration::MAX);
        }
    }
}
