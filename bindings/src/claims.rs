//! The user's claims, typed: from a validated ID token (`TokenSet.id_token_claims`) and from
//! `/userinfo` (`TokenExchangeClient::userinfo_claims`).

use std::fmt;
use std::sync::Arc;

use crate::client::TokenExchangeClient;
use crate::error::TokenExchangeError;
use crate::runtime::{CancellationToken, run};
use crate::token_set::TokenSet;

/// The OpenID Connect standard claims an app shows, and every other claim as a JSON object.
/// Profile data: the description says which claims are present, never their values.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct UserClaims {
    /// The user id (`sub`), such as `apple|001234.abcd`.
    pub sub: String,
    /// Full name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Given name.
    #[uniffi(default = None)]
    pub given_name: Option<String>,
    /// Family name.
    #[uniffi(default = None)]
    pub family_name: Option<String>,
    /// Email address.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// Whether the provider verified the email address.
    #[uniffi(default = None)]
    pub email_verified: Option<bool>,
    /// URL of the profile picture.
    #[uniffi(default = None)]
    pub picture: Option<String>,
    /// When the profile was last updated, in seconds since the Unix epoch.
    #[uniffi(default = None)]
    pub updated_at: Option<i64>,
    /// Every other claim (`iss`, `aud`, `exp`, `org_id`, custom claims...), and any of the
    /// above whose value has an unexpected type, as received: a JSON object.
    #[uniffi(default = "{}")]
    pub other: String,
}

impl From<token_exchange::UserClaims> for UserClaims {
    fn from(c: token_exchange::UserClaims) -> Self {
        UserClaims {
            sub: c.sub,
            name: c.name,
            given_name: c.given_name,
            family_name: c.family_name,
            email: c.email,
            email_verified: c.email_verified,
            picture: c.picture,
            updated_at: c.updated_at.map(token_exchange::to_unix_seconds),
            other: serde_json::Value::Object(c.other).to_string(),
        }
    }
}

impl UserClaims {
    /// The library's claims. `other` that is not a JSON object (edited by hand) is left out.
    pub(crate) fn to_core(&self) -> token_exchange::UserClaims {
        let mut c = token_exchange::UserClaims::new(self.sub.clone());
        c.name = self.name.clone();
        c.given_name = self.given_name.clone();
        c.family_name = self.family_name.clone();
        c.email = self.email.clone();
        c.email_verified = self.email_verified;
        c.picture = self.picture.clone();
        c.updated_at = self.updated_at.and_then(token_exchange::from_unix_seconds);
        c.other = serde_json::from_str(&self.other).unwrap_or_default();
        c
    }
}

/// The library's redacted description.
impl fmt::Display for UserClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_core(), f)
    }
}

debug_is_display!(UserClaims);

#[uniffi::export]
impl TokenExchangeClient {
    /// Calls the tenant's `/userinfo` and returns the user's claims, typed. When `tokens`
    /// carries validated ID token claims, the response must be about the same user (`sub`),
    /// or it is refused as `UnexpectedResponse`.
    #[uniffi::method(default(cancellation = None))]
    pub async fn userinfo_claims(
        &self,
        tokens: TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<UserClaims, TokenExchangeError> {
        let (client, tokens) = (self.inner().clone(), tokens.to_core());
        run(
            async move { client.userinfo_claims(&tokens).await.map(UserClaims::from) },
            cancellation,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_redacts() {
        let claims = UserClaims {
            sub: "apple|secret-sub".into(),
            name: Some("Privatename".into()),
            given_name: None,
            family_name: Some("Family".into()),
            email: Some("p@example.com".into()),
            email_verified: Some(true),
            picture: None,
            updated_at: Some(1_714_566_896),
            other: r#"{"iss":"https://t.example/","nickname":"nick-secret"}"#.into(),
        };
        assert_eq!(UserClaims::from(claims.to_core()), claims);
        for text in [format!("{claims}"), format!("{claims:?}")] {
            for value in ["secret-sub", "Privatename", "p@example.com", "nick-secret"] {
                assert!(!text.contains(value), "{text}");
            }
            assert!(text.contains("nickname"), "{text}");
        }
        let mut edited = claims;
        edited.other = "not json".into();
        assert!(edited.to_core().other.is_empty());
    }
}
