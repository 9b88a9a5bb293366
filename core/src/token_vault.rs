//! Token Vault: a backend exchanges the Auth0 access token it received from an app for the
//! user's access token at an external provider (Google Calendar, say).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::client::Client;
use crate::error::Error;
use crate::http::RawResponse;
use crate::secret::Secret;
use crate::token_set::{expires_within, unverified_jwt_claims};
use crate::validate;

/// `grant_type` of the Token Vault access token exchange.
pub const FEDERATED_CONNECTION_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// `requested_token_type` of the Token Vault access token exchange.
pub const FEDERATED_CONNECTION_TOKEN_TYPE: &str = "http://auth0.com/oauth/token-type/federated-connection-access-token";

type Form = Vec<(&'static str, String)>;

/// What the subject token of a Token Vault exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FederatedSubjectTokenType {
    /// An Auth0 access token whose audience is your backend API (the usual case).
    AccessToken,
    /// An Auth0 refresh token.
    RefreshToken,
}

impl FederatedSubjectTokenType {
    /// The URI sent as `subject_token_type`.
    pub fn as_uri(self) -> &'static str {
        match self {
            FederatedSubjectTokenType::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            FederatedSubjectTokenType::RefreshToken => "urn:ietf:params:oauth:token-type:refresh_token",
        }
    }
}

/// A Token Vault exchange request. The client must be the Custom API Client of your backend
/// API, authenticated ([`crate::ClientAuthentication`]).
#[derive(Debug, Clone)]
pub struct FederatedTokenExchange {
    subject_token: Secret,
    subject_token_type: FederatedSubjectTokenType,
    connection: String,
    login_hint: Option<String>,
    extra: Vec<(String, String)>,
}

impl FederatedTokenExchange {
    /// Exchange the Auth0 access token an app sent your API for the user's token at
    /// `connection` (for example `google-oauth2`).
    pub fn access_token(access_token: impl Into<Secret>, connection: impl Into<String>) -> Self {
        Self::new(access_token, FederatedSubjectTokenType::AccessToken, connection)
    }

    /// Any subject token type.
    pub fn new(
        subject_token: impl Into<Secret>,
        subject_token_type: FederatedSubjectTokenType,
        connection: impl Into<String>,
    ) -> Self {
        FederatedTokenExchange {
            subject_token: subject_token.into(),
            subject_token_type,
            connection: connection.into(),
            login_hint: None,
            extra: Vec::new(),
        }
    }

    /// Which of the user's accounts at the provider to use, when they connected several.
    pub fn login_hint(mut self, login_hint: impl Into<String>) -> Self {
        self.login_hint = Some(login_hint.into());
        self
    }

    /// Another form parameter. `audience` and `resource` are refused: Token Vault issues a
    /// token for the provider the connection names, not for an Auth0 API.
    pub fn extra_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    fn to_form(&self) -> Result<(Form, Vec<(String, String)>), Error> {
        validate::token("subject_token", self.subject_token.expose())?;
        validate::identifier("connection", &self.connection)?;
        if self.connection.contains(char::is_whitespace) {
            return Err(Error::invalid(
                "connection",
                "must be a connection name such as `google-oauth2`",
            ));
        }
        let mut form = vec![
            ("grant_type", FEDERATED_CONNECTION_GRANT.to_owned()),
            ("subject_token", self.subject_token.expose().to_owned()),
            ("subject_token_type", self.subject_token_type.as_uri().to_owned()),
            ("requested_token_type", FEDERATED_CONNECTION_TOKEN_TYPE.to_owned()),
            ("connection", self.connection.clone()),
        ];
        if let Some(hint) = &self.login_hint {
            validate::identifier("login_hint", hint)?;
            form.push(("login_hint", hint.clone()));
        }
        for (name, _) in &self.extra {
            match name.to_ascii_lowercase().as_str() {
                "audience" | "resource" => {
                    return Err(Error::invalid(
                        "extra_parameters",
                        format!("`{name}` is not allowed: a Token Vault exchange targets the connection's provider"),
                    ));
                }
                n if form.iter().any(|(k, _)| *k == n)
                    || matches!(
                        n,
                        "client_id" | "client_secret" | "client_assertion" | "client_assertion_type"
                    ) =>
                {
                    return Err(Error::invalid(
                        "extra_parameters",
                        format!("`{name}` cannot be overridden"),
                    ));
                }
                "" => return Err(Error::invalid("extra_parameters", "a parameter name is empty")),
                _ => {}
            }
        }
        Ok((form, self.extra.clone()))
    }

    /// The cache key: who (the `sub` of a JWT subject token, or the token itself), which
    /// connection and which account.
    fn cache_key(&self, scopes: &[String]) -> CacheKey {
        let user = unverified_jwt_claims(self.subject_token.expose())
            .and_then(|c| c.get("sub").and_then(|s| s.as_str()).map(str::to_owned))
            .map(UserKey::Subject)
            .unwrap_or_else(|| UserKey::TokenHash(crate::dpop::access_token_hash(self.subject_token.expose())));
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        CacheKey {
            user,
            connection: self.connection.clone(),
            login_hint: self.login_hint.clone(),
            scopes,
        }
    }
}

/// The external provider's access token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FederatedToken {
    /// The provider's access token (send it to the provider's API).
    pub access_token: Secret,
    /// Usually `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds, as sent.
    pub expires_in: Option<u64>,
    /// Computed expiry.
    pub expires_at: Option<SystemTime>,
    /// Scopes granted at the provider.
    pub scope: Option<String>,
    /// `issued_token_type`, when sent.
    pub issued_token_type: Option<String>,
}

impl FederatedToken {
    /// Reads the response with the token endpoint's rules (the same required members and
    /// types as a [`crate::TokenSet`]), keeping what Token Vault returns.
    fn from_response(response: &RawResponse) -> Result<Self, Error> {
        let tokens = crate::TokenSet::from_response(response, None)?;
        Ok(FederatedToken {
            access_token: tokens.access_token.clone(),
            token_type: tokens.token_type.clone(),
            expires_in: tokens.expires_in,
            expires_at: tokens.expires_at,
            scope: tokens.scope.clone(),
            issued_token_type: tokens.issued_token_type.clone(),
        })
    }

    /// Whether the token has expired or will within `leeway` (any leeway, even
    /// `Duration::MAX`; `false` when the expiry is unknown).
    pub fn expires_within(&self, leeway: Duration) -> bool {
        expires_within(self.expires_at, SystemTime::now(), leeway)
    }

    fn has_scopes(&self, required: &[String]) -> bool {
        let granted: Vec<&str> = self.scope.as_deref().unwrap_or("").split(' ').collect();
        required.iter().all(|s| granted.contains(&s.as_str()))
    }
}

impl fmt::Debug for FederatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedToken")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Token Vault: exchanges an Auth0 access (or refresh) token for the user's access token
    /// at the external provider behind `connection`.
    ///
    /// Errors worth branching on ([`crate::OAuthError`]): [`crate::OAuthError::is_connection_required`]
    /// (the user never connected the account, or the stored token can no longer be refreshed:
    /// send them through connecting again), `unauthorized_client` (this client is not allowed
    /// the grant), `invalid_grant` (the subject token is invalid or expired), `invalid_request`
    /// (for example the connection is not enabled for the application).
    pub async fn exchange_for_federated_token(
        &self,
        request: &FederatedTokenExchange,
    ) -> Result<FederatedToken, Error> {
        let (form, extra) = request.to_form()?;
        let response = self.post_token_endpoint(form, &extra, None).await?;
        FederatedToken::from_response(&response)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum UserKey {
    Subject(String),
    /// SHA-256 of an opaque subject token (never the token itself).
    TokenHash(String),
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    user: UserKey,
    connection: String,
    login_hint: Option<String>,
    scopes: Vec<String>,
}

type Slot = Arc<tokio::sync::Mutex<Option<FederatedToken>>>;

/// An in-memory cache of external tokens keyed by user, connection (and account) and the
/// scopes the caller needs. It hands back a cached token until `leeway` before its expiry,
/// and runs at most one exchange per key at a time: concurrent requests for the same key
/// wait for that exchange and share its result.
pub struct FederatedTokenCache {
    client: Client,
    leeway: Duration,
    slots: Mutex<HashMap<CacheKey, Slot>>,
}

impl fmt::Debug for FederatedTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedTokenCache")
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl FederatedTokenCache {
    /// Default time before expiry after which a cached token is no longer handed out.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

    /// A cache that exchanges through `client`.
    pub fn new(client: Client) -> Self {
        Self::with_leeway(client, Self::DEFAULT_LEEWAY)
    }

    /// A cache with a custom leeway.
    pub fn with_leeway(client: Client, leeway: Duration) -> Self {
        FederatedTokenCache {
            client,
            leeway,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `request` whose scope includes `required_scopes`, from the cache or from
    /// a new exchange.
    pub async fn get(
        &self,
        request: &FederatedTokenExchange,
        required_scopes: &[String],
    ) -> Result<FederatedToken, Error> {
        let key = request.cache_key(required_scopes);
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            // Drop idle slots whose token is gone or stale, so the map does not grow forever.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1 || self.holds_fresh_token(slot));
            slots.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref()
            && !token.expires_within(self.leeway)
            && token.has_scopes(required_scopes)
        {
            return Ok(token.clone());
        }
        let token = self.client.exchange_for_federated_token(request).await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    fn holds_fresh_token(&self, slot: &Slot) -> bool {
        slot.try_lock()
            .is_ok_and(|t| t.as_ref().is_some_and(|t| !t.expires_within(self.leeway)))
    }

    /// Forgets every cached token of the key of `request` (for example after the provider
    /// rejected the token).
    pub fn invalidate(&self, request: &FederatedTokenExchange, required_scopes: &[String]) {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&request.cache_key(required_scopes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        let (form, extra) = FederatedTokenExchange::access_token("at", "google-oauth2")
            .login_hint("me@gmail.com")
            .to_form()
            .unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("grant_type"), Some(FEDERATED_CONNECTION_GRANT));
        assert_eq!(
            get("subject_token_type"),
            Some("urn:ietf:params:oauth:token-type:access_token")
        );
        assert_eq!(get("requested_token_type"), Some(FEDERATED_CONNECTION_TOKEN_TYPE));
        assert_eq!(get("connection"), Some("google-oauth2"));
        assert_eq!(get("login_hint"), Some("me@gmail.com"));
        assert!(get("audience").is_none() && extra.is_empty());
    }

    #[test]
    fn audience_and_resource_are_refused() {
        for name in ["audience", "resource", "Audience", "connection", "client_secret"] {
            let r = FederatedTokenExchange::access_token("at", "google-oauth2").extra_parameter(name, "x");
            assert!(
                matches!(
                    r.to_form(),
                    Err(Error::InvalidInput {
                        field: "extra_parameters",
                        ..
                    })
                ),
                "{name}"
            );
        }
        assert!(matches!(
            FederatedTokenExchange::access_token("at", "").to_form(),
            Err(Error::InvalidInput {
                field: "connection",
                ..
            })
        ));
        assert!(matches!(
            FederatedTokenExchange::access_token("Bearer at", "google-oauth2").to_form(),
            Err(Error::InvalidInput {
                field: "subject_token",
                ..
            })
        ));
    }
}
