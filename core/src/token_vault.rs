//! Token Vault: a backend exchanges the Auth0 access token it received from an app for the
//! user's access token at an external provider (Google Calendar, say).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::client::Client;
use crate::error::Error;
use crate::http::RawResponse;
use crate::parameters::{Form, extra_parameters};
use crate::secret::{Secret, names_only};
use crate::token_set::{expires_within, unverified_jwt_claims};
use crate::validate;

/// `grant_type` of the Token Vault access token exchange.
pub const FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// `requested_token_type` of the Token Vault access token exchange.
pub const FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// Extra parameters: names and values, appended after the form.
type Extra = [(String, String)];

/// What the subject token of a Token Vault exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenVaultSubjectTokenType {
    /// An Auth0 access token whose audience is your backend API (the usual case).
    AccessToken,
    /// An Auth0 refresh token.
    RefreshToken,
}

impl TokenVaultSubjectTokenType {
    /// The URI sent as `subject_token_type`.
    pub fn as_uri(self) -> &'static str {
        match self {
            TokenVaultSubjectTokenType::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            TokenVaultSubjectTokenType::RefreshToken => "urn:ietf:params:oauth:token-type:refresh_token",
        }
    }
}

/// A Token Vault exchange request. The client must be the Custom API Client of your backend
/// API, authenticated ([`crate::ClientAuthentication`]). `Debug` shows the connection and the
/// names of extra parameters, never the subject token, the `login_hint` (an email address) or
/// parameter values.
#[derive(Clone)]
pub struct TokenVaultExchange {
    subject_token: Secret,
    subject_token_type: TokenVaultSubjectTokenType,
    connection: String,
    login_hint: Option<String>,
    extra: Vec<(String, String)>,
}

impl TokenVaultExchange {
    /// Exchange the Auth0 access token an app sent your API for the user's token at
    /// `connection` (for example `google-oauth2`).
    pub fn access_token(access_token: impl Into<Secret>, connection: impl Into<String>) -> Self {
        Self::new(access_token, TokenVaultSubjectTokenType::AccessToken, connection)
    }

    /// Any subject token type.
    pub fn new(
        subject_token: impl Into<Secret>,
        subject_token_type: TokenVaultSubjectTokenType,
        connection: impl Into<String>,
    ) -> Self {
        TokenVaultExchange {
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

    /// Another form parameter. The same rule as every flow's extra parameters applies
    /// (security parameters such as `audience` and `resource`, and the parameters this
    /// request already sends, are refused): Token Vault issues a token for the provider the
    /// connection names, not for an Auth0 API.
    pub fn extra_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// The form and the extra parameters, checked.
    fn to_form(&self) -> Result<(Form<'_>, &Extra), Error> {
        validate::token("subject_token", self.subject_token.expose())?;
        validate::identifier("connection", &self.connection)?;
        if self.connection.contains(char::is_whitespace) {
            return Err(Error::invalid(
                "connection",
                "must be a connection name such as `google-oauth2`",
            ));
        }
        let mut form = vec![
            ("grant_type", Cow::Borrowed(FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT)),
            ("subject_token", Cow::Borrowed(self.subject_token.expose())),
            ("subject_token_type", Cow::Borrowed(self.subject_token_type.as_uri())),
            (
                "requested_token_type",
                Cow::Borrowed(FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE),
            ),
            ("connection", Cow::Borrowed(self.connection.as_str())),
        ];
        if let Some(hint) = &self.login_hint {
            validate::identifier("login_hint", hint)?;
            form.push(("login_hint", Cow::Borrowed(hint.as_str())));
        }
        extra_parameters(&self.extra, &form)?;
        Ok((form, &self.extra))
    }

    /// The cache key: a SHA-256 digest of everything that decides what the server issues. The
    /// whole subject token goes in, never a claim read from it: the cache does not verify the
    /// token's signature, so a forged token carrying someone else's `sub` must not find their
    /// entry. Each field is length-prefixed, so distinct requests cannot run together into the
    /// same bytes. Only the digest is kept, never the subject token.
    fn cache_key(&self, scopes: &[String]) -> CacheKey {
        let mut scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        scopes.sort_unstable();
        scopes.dedup();
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        let mut field = |bytes: &[u8]| {
            digest.update(&(bytes.len() as u64).to_be_bytes());
            digest.update(bytes);
        };
        field(self.subject_token.expose().as_bytes());
        field(self.subject_token_type.as_uri().as_bytes());
        field(FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE.as_bytes());
        field(self.connection.as_bytes());
        match &self.login_hint {
            Some(hint) => {
                field(b"login_hint");
                field(hint.as_bytes());
            }
            None => field(b""),
        }
        field(&(self.extra.len() as u64).to_be_bytes());
        for (name, value) in &self.extra {
            field(name.as_bytes());
            field(value.as_bytes());
        }
        field(&(scopes.len() as u64).to_be_bytes());
        for scope in scopes {
            field(scope.as_bytes());
        }
        CacheKey(
            digest
                .finish()
                .as_ref()
                .try_into()
                .expect("a SHA-256 digest is 32 bytes"),
        )
    }
}

impl fmt::Debug for TokenVaultExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVaultExchange")
            .field("subject_token", &self.subject_token)
            .field("subject_token_type", &self.subject_token_type)
            .field("connection", &self.connection)
            .field("login_hint", &self.login_hint.as_ref().map(|_| "<redacted>"))
            .field("extra_parameters", &names_only(&self.extra))
            .finish()
    }
}

/// The external provider's access token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenVaultToken {
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

impl TokenVaultToken {
    /// A token with just its value and type, as an app that stored one rebuilds it.
    pub fn new(access_token: impl Into<Secret>, token_type: impl Into<String>) -> Self {
        TokenVaultToken {
            access_token: access_token.into(),
            token_type: token_type.into(),
            expires_in: None,
            expires_at: None,
            scope: None,
            issued_token_type: None,
        }
    }

    /// Reads the response with the token endpoint's rules (the same required members and
    /// types as a [`crate::TokenSet`]), keeping what Token Vault returns.
    fn from_response(response: &RawResponse) -> Result<Self, Error> {
        let tokens = crate::TokenSet::from_response(response, None)?;
        Ok(TokenVaultToken {
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

impl fmt::Debug for TokenVaultToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVaultToken")
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
    pub async fn token_vault_exchange(&self, request: &TokenVaultExchange) -> Result<TokenVaultToken, Error> {
        let (form, extra) = request.to_form()?;
        let response = self.post_token_endpoint(&form, extra, None).await?;
        TokenVaultToken::from_response(&response)
    }
}

/// SHA-256 of a request's cache fields ([`TokenVaultExchange::cache_key`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct CacheKey([u8; 32]);

/// A cached token and how long the subject token it was exchanged for is valid.
struct Entry {
    token: TokenVaultToken,
    /// The subject token's own `exp` when it is a JWT that has one: once the app's token has
    /// expired, a hit would keep answering for it (the server would refuse it), so the entry
    /// is dead. `None` for an opaque subject token: the provider token's expiry bounds it.
    subject_expires_at: Option<SystemTime>,
}

impl Entry {
    fn new(token: TokenVaultToken, subject_token: &str) -> Self {
        Entry {
            token,
            subject_expires_at: jwt_expiry(subject_token),
        }
    }

    /// Whether the entry may answer at `now`: the subject token has not expired, the provider
    /// token does not expire within `leeway`, and it carries every required scope.
    fn usable(&self, now: SystemTime, leeway: Duration, required_scopes: &[String]) -> bool {
        self.subject_expires_at.is_none_or(|exp| now < exp)
            && !expires_within(self.token.expires_at, now, leeway)
            && self.token.has_scopes(required_scopes)
    }
}

/// The `exp` of a JWT, read without verification (it only ever shortens a cache entry). A
/// negative or fractional `exp` is rounded down; one too far in the future to represent is no
/// bound at all.
fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let exp = unverified_jwt_claims(token)?.get("exp")?.as_f64()?;
    if exp.is_nan() {
        return None;
    }
    if exp <= 0.0 {
        return Some(SystemTime::UNIX_EPOCH);
    }
    // `as` saturates: an absurd `exp` becomes u64::MAX, which the checked addition refuses.
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(exp as u64))
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// An in-memory cache of external tokens. It runs at most one exchange per key at a time:
/// concurrent requests for the same key wait for that exchange and share its result.
///
/// The key is a SHA-256 digest of the whole request: the subject token itself (not its `sub`:
/// the cache does not verify the token's signature), its type, the connection, the account
/// (`login_hint`), the extra parameters and the scopes the caller needs. So a cached token is
/// only handed back for the very subject token it was exchanged for, and a forged or
/// different token always goes to the server, which checks it. A cached token is handed back
/// until `leeway` before its expiry, and never once the subject token (when it is a JWT with
/// an `exp`) has expired.
pub struct TokenVaultCache {
    client: Client,
    leeway: Duration,
    slots: Mutex<HashMap<CacheKey, Slot>>,
}

impl fmt::Debug for TokenVaultCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVaultCache")
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenVaultCache {
    /// Default time before expiry after which a cached token is no longer handed out.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

    /// A cache that exchanges through `client`.
    pub fn new(client: Client) -> Self {
        Self::with_leeway(client, Self::DEFAULT_LEEWAY)
    }

    /// A cache with a custom leeway.
    pub fn with_leeway(client: Client, leeway: Duration) -> Self {
        TokenVaultCache {
            client,
            leeway,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `request` whose scope includes `required_scopes`, from the cache or from
    /// a new exchange.
    pub async fn get(
        &self,
        request: &TokenVaultExchange,
        required_scopes: &[String],
    ) -> Result<TokenVaultToken, Error> {
        let key = request.cache_key(required_scopes);
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            // Drop idle slots whose token is gone or stale, so the map does not grow forever.
            let now = SystemTime::now();
            slots.retain(|_, slot| Arc::strong_count(slot) > 1 || self.holds_usable_entry(slot, now));
            slots.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(entry) = cached.as_ref()
            && entry.usable(SystemTime::now(), self.leeway, required_scopes)
        {
            return Ok(entry.token.clone());
        }
        *cached = None;
        let token = self.client.token_vault_exchange(request).await?;
        *cached = Some(Entry::new(token.clone(), request.subject_token.expose()));
        Ok(token)
    }

    fn holds_usable_entry(&self, slot: &Slot, now: SystemTime) -> bool {
        slot.try_lock()
            .is_ok_and(|e| e.as_ref().is_some_and(|e| e.usable(now, self.leeway, &[])))
    }

    /// Forgets the cached token of `request` and `required_scopes` (for example after the
    /// provider rejected the token).
    pub fn invalidate(&self, request: &TokenVaultExchange, required_scopes: &[String]) {
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
        let request = TokenVaultExchange::access_token("at", "google-oauth2").login_hint("me@gmail.com");
        let (form, extra) = request.to_form().unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| &**v);
        assert_eq!(get("grant_type"), Some(FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT));
        assert_eq!(
            get("subject_token_type"),
            Some("urn:ietf:params:oauth:token-type:access_token")
        );
        assert_eq!(
            get("requested_token_type"),
            Some(FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE)
        );
        assert_eq!(get("connection"), Some("google-oauth2"));
        assert_eq!(get("login_hint"), Some("me@gmail.com"));
        assert!(get("audience").is_none() && extra.is_empty());
    }

    #[test]
    fn audience_and_resource_are_refused() {
        for name in ["audience", "resource", "Audience", "connection", "client_secret"] {
            let r = TokenVaultExchange::access_token("at", "google-oauth2").extra_parameter(name, "x");
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
            TokenVaultExchange::access_token("at", "").to_form(),
            Err(Error::InvalidInput {
                field: "connection",
                ..
            })
        ));
        assert!(matches!(
            TokenVaultExchange::access_token("Bearer at", "google-oauth2").to_form(),
            Err(Error::InvalidInput {
                field: "subject_token",
                ..
            })
        ));
    }

    fn jwt(claims: serde_json::Value) -> String {
        use base64::Engine as _;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            b64(br#"{"alg":"RS256"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    fn provider_token(expires_at: Option<SystemTime>, scope: &str) -> TokenVaultToken {
        TokenVaultToken {
            access_token: Secret::new("provider-token"),
            token_type: "Bearer".into(),
            expires_in: None,
            expires_at,
            scope: Some(scope.into()),
            issued_token_type: None,
        }
    }

    #[test]
    fn the_key_is_the_whole_subject_token_not_its_sub() {
        let victim = jwt(serde_json::json!({"sub": "auth0|victim", "exp": 4_000_000_000u64}));
        let forged = jwt(serde_json::json!({"sub": "auth0|victim", "exp": 4_000_000_001u64}));
        let key = |token: &str| TokenVaultExchange::access_token(token, "google-oauth2").cache_key(&[]);
        assert!(key(&victim) == key(&victim));
        assert!(
            key(&victim) != key(&forged),
            "another token with the same sub shares the entry"
        );
        let base = TokenVaultExchange::access_token(victim.as_str(), "google-oauth2");
        let scopes = ["a".to_owned(), "b".to_owned()];
        let variants = [
            TokenVaultExchange::new(
                victim.as_str(),
                TokenVaultSubjectTokenType::RefreshToken,
                "google-oauth2",
            ),
            TokenVaultExchange::access_token(victim.as_str(), "google-work"),
            base.clone().login_hint("me@gmail.com"),
            base.clone().login_hint(""),
            base.clone().extra_parameter("access_type", "offline"),
        ];
        for other in &variants {
            assert!(other.cache_key(&[]) != base.cache_key(&[]), "{other:?}");
        }
        assert!(base.cache_key(&scopes) != base.cache_key(&[]));
        // The order and repetition of required scopes do not matter.
        let reordered = ["b".to_owned(), "a".to_owned(), "a".to_owned()];
        assert!(base.cache_key(&scopes) == base.cache_key(&reordered));
    }

    #[test]
    fn an_entry_never_outlives_its_jwt_subject_token() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let hour = Duration::from_secs(3600);
        let fresh = provider_token(Some(now + hour), "calendar");
        let subject = |exp: u64| jwt(serde_json::json!({ "sub": "auth0|u", "exp": exp }));
        let alive = Entry::new(fresh.clone(), &subject(2_000_000_100));
        assert!(alive.usable(now, Duration::from_secs(60), &["calendar".into()]));
        assert!(!alive.usable(now, Duration::from_secs(60), &["gmail".into()]));
        assert!(!alive.usable(now + Duration::from_secs(100), Duration::ZERO, &[]));
        assert!(!alive.usable(now + Duration::from_secs(101), Duration::ZERO, &[]));
        let expired = Entry::new(fresh.clone(), &subject(1_999_999_999));
        assert!(!expired.usable(now, Duration::ZERO, &[]));
        // A non-numeric `exp` or an opaque token: bounded by the provider token only.
        let opaque = Entry::new(fresh.clone(), "opaque-subject-token");
        assert!(opaque.usable(now + Duration::from_secs(3000), Duration::from_secs(60), &[]));
        assert!(!opaque.usable(now + Duration::from_secs(3550), Duration::from_secs(60), &[]));
        let odd = Entry::new(fresh.clone(), &jwt(serde_json::json!({"sub": "u", "exp": "soon"})));
        assert!(odd.usable(now, Duration::ZERO, &[]));
        let negative = Entry::new(fresh.clone(), &jwt(serde_json::json!({"exp": -1})));
        assert!(!negative.usable(now, Duration::ZERO, &[]));
        let absurd = Entry::new(fresh, &jwt(serde_json::json!({"exp": 1e300})));
        assert!(absurd.usable(now, Duration::ZERO, &[]));
        // A leeway too large to add to the clock covers every expiry, without panicking.
        assert!(!alive.usable(now, Duration::MAX, &[]));
    }

    #[test]
    fn debug_hides_the_subject_token_login_hint_and_parameter_values() {
        let r = TokenVaultExchange::access_token("subject-secret", "google-oauth2")
            .login_hint("someone@gmail.com")
            .extra_parameter("device", "device-secret");
        let debug = format!("{r:?}");
        for secret in ["subject-secret", "someone@gmail.com", "device-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("google-oauth2") && debug.contains("device"), "{debug}");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::server_input::{config, json_value, response};

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn prop_token_vault_token_responses_never_panic(response in response()) {
                match TokenVaultToken::from_response(&response) {
                    Ok(t) => {
                        prop_assert!(!t.access_token.expose().is_empty());
                        let _ = (t.expires_within(Duration::MAX), t.has_scopes(&["x".into()]), format!("{t:?}"));
                    }
                    Err(e) => prop_assert!(matches!(e, Error::UnexpectedResponse { .. }), "{e:?}"),
                }
            }

            #[test]
            fn prop_subject_token_expiry_never_panics(claims in json_value(), header in json_value()) {
                use base64::Engine as _;
                let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
                let token = format!("{}.{}.sig", b64(&header), b64(&claims));
                let exp = jwt_expiry(&token);
                let entry = Entry::new(provider_token(None, ""), &token);
                prop_assert_eq!(entry.subject_expires_at, exp);
                let _ = entry.usable(SystemTime::now(), Duration::MAX, &[]);
            }
        }
    }
}
