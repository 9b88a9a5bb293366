//! Token Vault: a backend (the Custom API Client of its API, authenticated through
//! `ClientConfig.client_authentication`) trades the Auth0 access token an app sent it for the
//! user's access token at an external provider.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::client::TokenExchangeClient;
use crate::error::TokenExchangeError;
use crate::runtime::{CancellationToken, run};

/// What the subject token of a Token Vault exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TokenVaultSubjectTokenType {
    /// An Auth0 access token whose audience is your backend API (the usual case).
    AccessToken,
    /// An Auth0 refresh token.
    RefreshToken,
}

/// A Token Vault exchange. The subject token is a secret: the description is redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct TokenVaultExchange {
    /// The Auth0 token the app sent your API.
    pub subject_token: String,
    /// What `subject_token` is.
    pub subject_token_type: TokenVaultSubjectTokenType,
    /// The connection of the provider (`google-oauth2`...).
    pub connection: String,
    /// Which of the user's accounts at the provider, when they connected several.
    #[uniffi(default = None)]
    pub login_hint: Option<String>,
    /// Other form parameters. `audience` and `resource` are refused (`InvalidInput`): the token
    /// is for the connection's provider, not an Auth0 API.
    #[uniffi(default)]
    pub extra_parameters: HashMap<String, String>,
}

impl TokenVaultExchange {
    /// An exchange of `subject_token` for the user's token at `connection`.
    pub fn new(
        subject_token: impl Into<String>,
        subject_token_type: TokenVaultSubjectTokenType,
        connection: impl Into<String>,
    ) -> Self {
        TokenVaultExchange {
            subject_token: subject_token.into(),
            subject_token_type,
            connection: connection.into(),
            login_hint: None,
            extra_parameters: HashMap::new(),
        }
    }

    /// The library's request (validated when sent).
    pub(crate) fn to_core(&self) -> token_exchange::TokenVaultExchange {
        let kind = match self.subject_token_type {
            TokenVaultSubjectTokenType::AccessToken => token_exchange::TokenVaultSubjectTokenType::AccessToken,
            TokenVaultSubjectTokenType::RefreshToken => token_exchange::TokenVaultSubjectTokenType::RefreshToken,
        };
        let mut r = token_exchange::TokenVaultExchange::new(self.subject_token.as_str(), kind, self.connection.clone());
        if let Some(hint) = &self.login_hint {
            r = r.login_hint(hint.clone());
        }
        let mut extra: Vec<_> = self.extra_parameters.iter().collect();
        extra.sort();
        for (name, value) in extra {
            r = r.extra_parameter(name.clone(), value.clone());
        }
        r
    }
}

/// The user's access token at the external provider. The token is a secret: the description is
/// redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct TokenVaultToken {
    /// The provider's access token: send it to the provider's API.
    pub access_token: String,
    /// Usually `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds, as the server sent it.
    #[uniffi(default = None)]
    pub expires_in: Option<i64>,
    /// When the token expires, in seconds since the Unix epoch.
    #[uniffi(default = None)]
    pub expires_at: Option<i64>,
    /// The scopes granted at the provider.
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// RFC 8693 `issued_token_type`.
    #[uniffi(default = None)]
    pub issued_token_type: Option<String>,
}

impl TokenVaultToken {
    /// The library's token, for the library's checks.
    fn to_core(&self) -> token_exchange::TokenVaultToken {
        let mut t = token_exchange::TokenVaultToken::new(self.access_token.as_str(), self.token_type.clone());
        t.expires_in = self.expires_in.and_then(|s| u64::try_from(s).ok());
        t.expires_at = self.expires_at.and_then(token_exchange::from_unix_seconds);
        t.scope = self.scope.clone();
        t.issued_token_type = self.issued_token_type.clone();
        t
    }
}

impl From<token_exchange::TokenVaultToken> for TokenVaultToken {
    fn from(t: token_exchange::TokenVaultToken) -> Self {
        TokenVaultToken {
            access_token: t.access_token.expose().to_owned(),
            token_type: t.token_type.clone(),
            expires_in: t.expires_in.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            expires_at: t.expires_at.map(token_exchange::to_unix_seconds),
            scope: t.scope.clone(),
            issued_token_type: t.issued_token_type.clone(),
        }
    }
}

#[uniffi::export]
impl TokenVaultToken {
    /// Whether the token has expired, or will within `leeway` (false when the expiry is unknown).
    pub fn expires_within(&self, leeway: Duration) -> bool {
        self.to_core().expires_within(leeway)
    }
}

impl fmt::Display for TokenVaultToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TokenVaultToken(token_type={}, access_token=<redacted>, expires_at={}, scope={})",
            self.token_type,
            self.expires_at.map_or("none".to_owned(), |t| t.to_string()),
            self.scope.as_deref().unwrap_or("none"),
        )
    }
}

impl fmt::Display for TokenVaultExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TokenVaultExchange(subject_token_type={:?}, subject_token=<redacted>, connection={}",
            self.subject_token_type, self.connection
        )?;
        if self.login_hint.is_some() {
            f.write_str(", login_hint=<redacted>")?;
        }
        if !self.extra_parameters.is_empty() {
            let mut names: Vec<&str> = self.extra_parameters.keys().map(String::as_str).collect();
            names.sort_unstable();
            write!(f, ", extra_parameters=[{}]", names.join(", "))?;
        }
        f.write_str(")")
    }
}

/// An in-memory cache of provider tokens, keyed by a SHA-256 digest of the whole request: the
/// subject token itself (never a claim read from it, so a forged token with someone else's
/// `sub` always goes to the server, which refuses it), connection, account, extra parameters
/// and required scopes. It hands back a cached token until `leeway` before its expiry, never
/// after the subject token's own `exp` (a JWT's), and runs at most one exchange per key at a
/// time. Thread-safe: share one.
#[derive(uniffi::Object)]
pub struct TokenVaultCache {
    cache: Arc<token_exchange::TokenVaultCache>,
}

impl fmt::Debug for TokenVaultCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cache.fmt(f)
    }
}

impl TokenVaultCache {
    pub(crate) fn build(client: &TokenExchangeClient, leeway: Option<Duration>) -> Self {
        let client = client.inner().clone();
        TokenVaultCache {
            cache: Arc::new(match leeway {
                Some(l) => token_exchange::TokenVaultCache::with_leeway(client, l),
                None => token_exchange::TokenVaultCache::new(client),
            }),
        }
    }
}

#[uniffi::export]
impl TokenVaultCache {
    /// A cache that exchanges through `client` (which must authenticate as the Custom API
    /// Client). `leeway` defaults to 60 seconds.
    #[uniffi::constructor(default(leeway = None))]
    pub fn new(client: Arc<TokenExchangeClient>, leeway: Option<Duration>) -> Arc<Self> {
        Arc::new(Self::build(&client, leeway))
    }

    /// A provider token for `request` whose scope includes every scope of `required_scopes`,
    /// from the cache or from a new exchange.
    #[uniffi::method(default(required_scopes = [], cancellation = None))]
    pub async fn get(
        &self,
        request: TokenVaultExchange,
        required_scopes: Vec<String>,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenVaultToken, TokenExchangeError> {
        let (cache, request) = (self.cache.clone(), request.to_core());
        run(
            async move { cache.get(&request, &required_scopes).await.map(TokenVaultToken::from) },
            cancellation,
        )
        .await
    }

    /// Forgets the cached token of `request` (for example after the provider rejected it).
    #[uniffi::method(default(required_scopes = []))]
    pub fn invalidate(&self, request: TokenVaultExchange, required_scopes: Vec<String>) {
        self.cache.invalidate(&request.to_core(), &required_scopes);
    }
}

debug_is_display!(TokenVaultToken, TokenVaultExchange);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_redacted() {
        let mut r = TokenVaultExchange::new("at-secret", TokenVaultSubjectTokenType::AccessToken, "google-oauth2");
        r.login_hint = Some("someone@gmail.com".into());
        for text in [format!("{r}"), format!("{r:?}")] {
            assert!(!text.contains("secret") && !text.contains("someone"), "{text}");
            assert!(text.contains("google-oauth2"));
        }
        let t = TokenVaultToken {
            access_token: "ya29.secret".into(),
            token_type: "Bearer".into(),
            expires_in: Some(3600),
            expires_at: Some(1),
            scope: Some("openid".into()),
            issued_token_type: None,
        };
        assert!(!format!("{t:?}").contains("secret"));
        assert!(t.expires_within(Duration::ZERO));
    }
}
