//! A test Google issuer: mints Google-style ID tokens (RS256, `iss` `https://accounts.google.com`)
//! signed by a key of its own (not the tenant's), and serves that key's JWKS at
//! `/emulator/google/jwks.json`. The sample Action `actions/google-id-token.js` verifies these
//! tokens, which lets native Google sign-in (through Custom Token Exchange) run offline.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::EmulatorError;
use crate::jwt::{KeyRing, Signer};
use crate::state::AppState;
use crate::util::{clamp_lifetime, now_secs, requested_secs};

/// `iss` of the ID tokens (Google also uses `accounts.google.com` without the scheme).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The Android OAuth client id (the ID tokens' `aud`) of the sample tenant.
pub const SAMPLE_GOOGLE_CLIENT_ID: &str = "123456789012-emulator.apps.googleusercontent.com";
/// Path of the test issuer's JWKS on the emulator.
pub const GOOGLE_JWKS_PATH: &str = "/emulator/google/jwks.json";
/// [`GOOGLE_JWKS_PATH`] inside the `/emulator` router (public: the control router adds it
/// without the credential check).
pub(crate) const JWKS_SUBPATH: &str = "/google/jwks.json";

/// The test issuer's first key: generated once per process, on first use (a few hundred ms),
/// and shared by every emulator until one rotates its own.
pub(crate) fn process_issuer_key() -> Arc<Signer> {
    static KEY: OnceLock<Arc<Signer>> = OnceLock::new();
    KEY.get_or_init(|| Arc::new(Signer::new(None, true).expect("RSA key generation succeeds")))
        .clone()
}

/// What a minted Google ID token says.
///
/// ```
/// use token_exchange_emulator::GoogleIdToken;
/// let token = GoogleIdToken::new("109876543210987654321").email("jane@gmail.com").name("Jane Doe");
/// assert_eq!(token.sub, "109876543210987654321");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleIdToken {
    /// Google's user id (`sub`). The sample Action signs in `google-oauth2|{sub}`.
    pub sub: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified` (default `true`).
    pub email_verified: bool,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `aud` and `azp`: the OAuth client id the app signed in with (default
    /// [`SAMPLE_GOOGLE_CLIENT_ID`]).
    pub audience: String,
    /// `azp` when it differs from `audience` (default `None`: `azp` = `audience`).
    pub authorized_party: Option<String>,
    /// Claims left out of the token (e.g. `iat`, `azp`), to test verifiers that require them.
    pub omitted_claims: Vec<String>,
    /// `iss` (default [`GOOGLE_ISSUER`]).
    pub issuer: String,
    /// `nonce`, if the app sent one.
    pub nonce: Option<String>,
    /// Lifetime (default one hour, as Google's).
    pub expires_in: Duration,
    /// How long ago the token was issued (default zero): with `expires_in`, mints tokens
    /// that expired in the past, beyond any verifier's leeway.
    pub issued_ago: Duration,
}

impl Default for GoogleIdToken {
    fn default() -> Self {
        Self {
            sub: "109876543210987654321".to_owned(),
            email: Some("google.user@example.com".to_owned()),
            email_verified: true,
            name: None,
            given_name: None,
            family_name: None,
            audience: SAMPLE_GOOGLE_CLIENT_ID.to_owned(),
            authorized_party: None,
            omitted_claims: Vec::new(),
            issuer: GOOGLE_ISSUER.to_owned(),
            nonce: None,
            expires_in: Duration::from_secs(3600),
            issued_ago: Duration::ZERO,
        }
    }
}

impl GoogleIdToken {
    /// A token for the Google user `sub`.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            ..Self::default()
        }
    }

    /// Sets `email`.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `aud` / `azp`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets `azp` to another client id than `aud`.
    pub fn authorized_party(mut self, azp: impl Into<String>) -> Self {
        self.authorized_party = Some(azp.into());
        self
    }

    /// Leaves `claim` out of the token.
    pub fn without_claim(mut self, claim: impl Into<String>) -> Self {
        self.omitted_claims.push(claim.into());
        self
    }

    /// Sets `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the lifetime.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// Dates the token back: issued `ago`, so it expired `ago - expires_in` ago.
    pub fn issued_ago(mut self, ago: Duration) -> Self {
        self.issued_ago = ago;
        self
    }

    /// Signs the token with the test issuer's current key.
    pub(crate) fn mint(&self, keys: &KeyRing) -> String {
        let iat = now_secs().saturating_sub(clamp_lifetime(self.issued_ago).as_secs());
        let mut claims = json!({
            "iss": self.issuer,
            "azp": self.authorized_party.as_deref().unwrap_or(&self.audience),
            "aud": self.audience,
            "sub": self.sub,
            "email_verified": self.email_verified,
            "iat": iat,
            "exp": iat + clamp_lifetime(self.expires_in).as_secs(),
        });
        for (name, value) in [
            ("email", &self.email),
            ("name", &self.name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("nonce", &self.nonce),
        ] {
            if let Some(v) = value {
                claims[name] = json!(v);
            }
        }
        if let Value::Object(map) = &mut claims {
            for omitted in &self.omitted_claims {
                map.remove(omitted);
            }
        }
        keys.sign("JWT", &claims)
    }
}

/// `/emulator/google/id-tokens` and `/emulator/google/rotate-signing-key` (merged into the
/// control router, which also serves the JWKS).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/google/id-tokens", post(mint_id_token))
        .route("/google/rotate-signing-key", post(rotate_signing_key))
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RotateRequest {
    keep_previous: Option<bool>,
}

async fn rotate_signing_key(State(shared): State<AppState>, body: Bytes) -> Response {
    let req: RotateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotateRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(format!("invalid JSON body: {e}")),
        }
    };
    let keep = req.keep_previous.unwrap_or(true);
    let rotated =
        tokio::task::spawn_blocking(move || Signer::new(None, true).map(|key| shared.google_keys().rotate(key, keep)))
            .await;
    match rotated {
        Ok(Ok(kid)) => Json(json!({ "kid": kid })).into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /emulator/google/jwks.json`: public keys, served without a credential like Google's.
pub(crate) async fn serve_jwks(State(shared): State<AppState>) -> Response {
    match tokio::task::spawn_blocking(move || shared.google_keys().jwks()).await {
        Ok(jwks) => Json(jwks).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MintRequest {
    sub: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    aud: Option<String>,
    azp: Option<String>,
    omit: Vec<String>,
    iss: Option<String>,
    nonce: Option<String>,
    expires_in: Option<u64>,
    issued_ago: Option<u64>,
}

fn bad_request(description: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_request", "error_description": description})),
    )
        .into_response()
}

async fn mint_id_token(State(shared): State<AppState>, body: Bytes) -> Response {
    let req: MintRequest = if body.iter().all(u8::is_ascii_whitespace) {
        MintRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(format!("invalid JSON body: {e}")),
        }
    };
    let mut token = GoogleIdToken::default();
    if let Some(sub) = req.sub {
        token.sub = sub;
    }
    if req.email.is_some() {
        token.email = req.email;
    }
    if let Some(v) = req.email_verified {
        token.email_verified = v;
    }
    token.name = req.name;
    token.given_name = req.given_name;
    token.family_name = req.family_name;
    token.nonce = req.nonce;
    if let Some(aud) = req.aud {
        token.audience = aud;
    }
    token.authorized_party = req.azp;
    token.omitted_claims = req.omit;
    if let Some(iss) = req.iss {
        token.issuer = iss;
    }
    for (field, value, target) in [
        ("expires_in", req.expires_in, &mut token.expires_in),
        ("issued_ago", req.issued_ago, &mut token.issued_ago),
    ] {
        if let Some(secs) = value {
            match requested_secs(field, secs) {
                Ok(d) => *target = d,
                Err(e) => return bad_request(e),
            }
        }
    }
    let lifetime = token.expires_in.as_secs();
    match tokio::task::spawn_blocking(move || token.mint(shared.google_keys())).await {
        Ok(id_token) => (
            StatusCode::CREATED,
            Json(json!({"id_token": id_token, "expires_in": lifetime})),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

impl crate::Emulator {
    /// Mints a Google ID token signed by the emulator's test Google issuer (for the sample
    /// Google Action and profile). The first call generates the issuer's key.
    pub fn google_id_token(&self, token: GoogleIdToken) -> String {
        token.mint(self.shared().google_keys())
    }

    /// The test Google issuer's JWK Set (also served at [`GOOGLE_JWKS_PATH`]).
    pub fn google_jwks(&self) -> Value {
        self.shared().google_keys().jwks()
    }

    /// Rotates the test Google issuer's signing key for this emulator: a new RSA key with a
    /// new `kid` signs from now on and is published in the JWKS, with the previous keys kept
    /// (`keep_previous`) or dropped. Returns the new `kid`. (For testing a verifier's JWKS
    /// refetch on an unknown `kid`, like the sample Action's.) Generating the key takes a
    /// few hundred ms.
    pub fn rotate_google_signing_key(&self, keep_previous: bool) -> Result<String, EmulatorError> {
        let key = Signer::new(None, true)?;
        Ok(self.shared().google_keys().rotate(key, keep_previous))
    }

    /// `{base_url}/emulator/google/jwks.json`.
    pub fn google_jwks_uri(&self) -> String {
        format!("{}{GOOGLE_JWKS_PATH}", self.base_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;

    const KEYS: &[&str] = &[
        "sub",
        "email",
        "email_verified",
        "name",
        "aud",
        "azp",
        "omit",
        "iss",
        "nonce",
        "expires_in",
        "issued_ago",
    ];

    proptest::proptest! {
        // Each accepted request signs an RSA token.
        #![proptest_config(support::costly_config())]

        #[test]
        fn prop_any_id_token_request_is_answered(body in support::json_body(KEYS)) {
            let shared = support::tenant();
            let status = support::block_on(mint_id_token(State(shared), Bytes::from(body))).status();
            proptest::prop_assert!(status == StatusCode::CREATED || status == StatusCode::BAD_REQUEST, "{status}");
        }
    }

    #[test]
    fn tokens_verify_with_the_issuer_key_only() {
        let keys = KeyRing::new(process_issuer_key());
        let t = GoogleIdToken::new("42").email("a@b.c").mint(&keys);
        let claims = keys.verify(&t).unwrap();
        assert_eq!(
            (claims["sub"].as_str(), claims["aud"].as_str()),
            (Some("42"), Some(SAMPLE_GOOGLE_CLIENT_ID))
        );
        assert_eq!(claims["iss"], GOOGLE_ISSUER);
        let tenant = Signer::new(None, false).unwrap();
        assert!(tenant.verify(&t).is_none(), "a different key from the tenant's");
    }
}
