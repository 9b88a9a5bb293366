//! What the token endpoint returns.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::claims::UserClaims;
use crate::error::{Error, ResponseProblem};
use crate::http::RawResponse;
use crate::secret::Secret;

/// Tokens issued by a token exchange. `Debug` shows which tokens are present, never their values.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// `DPoP` for a sender-constrained token, `Bearer` otherwise (as sent by the server).
    pub token_type: String,
    /// Lifetime in seconds, as sent by the server.
    pub expires_in: Option<u64>,
    /// When the access token expires, computed from `expires_in` when the response arrived.
    pub expires_at: Option<SystemTime>,
    /// The OpenID Connect ID token, when `openid` was granted.
    pub id_token: Option<Secret>,
    /// The refresh token, when `offline_access` was granted.
    pub refresh_token: Option<Secret>,
    /// The granted scopes, when the server says (it must when they differ from the request).
    pub scope: Option<String>,
    /// RFC 8693 `issued_token_type`.
    pub issued_token_type: Option<String>,
    /// An MFA recovery code the user must be shown once, when Auth0 issues one.
    pub recovery_code: Option<Secret>,
    /// Thumbprint (`jkt`) of the DPoP key the tokens are bound to; `None` for bearer tokens.
    pub dpop_jkt: Option<String>,
    /// The claims of the ID token, set only when the client validated it (on by default).
    pub id_token_claims: Option<UserClaims>,
}

impl TokenSet {
    /// A token set rebuilt from stored values (for example tokens the app saved in the Keychain
    /// and reads back at launch), every optional member empty. Set the public fields that apply
    /// (`dpop_jkt` for a DPoP-bound token). Language bindings need this because the struct is
    /// `#[non_exhaustive]`.
    pub fn new(access_token: impl Into<Secret>, token_type: impl Into<String>) -> Self {
        TokenSet {
            access_token: access_token.into(),
            token_type: token_type.into(),
            expires_in: None,
            expires_at: None,
            id_token: None,
            refresh_token: None,
            scope: None,
            issued_token_type: None,
            recovery_code: None,
            dpop_jkt: None,
            id_token_claims: None,
        }
    }

    /// Reads a successful token response. `dpop_jkt` is the thumbprint of the key whose proof
    /// accompanied the request, if any; it is recorded only when the token is actually bound.
    pub(crate) fn from_response(response: &RawResponse, dpop_jkt: Option<&str>) -> Result<Self, Error> {
        let map = response.json_object()?;
        let text = |k: &'static str| -> Result<Option<String>, Error> {
            match map.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(response.unexpected(ResponseProblem::InvalidField(k))),
            }
        };
        let access_token = text("access_token")?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| response.unexpected(ResponseProblem::MissingField("access_token")))?;
        let token_type =
            text("token_type")?.ok_or_else(|| response.unexpected(ResponseProblem::MissingField("token_type")))?;
        let expires_in = match map.get("expires_in") {
            None | Some(serde_json::Value::Null) => None,
            // Some servers send the number as a string.
            Some(v) => Some(
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| response.unexpected(ResponseProblem::InvalidField("expires_in")))?,
            ),
        };
        let bound = token_type.eq_ignore_ascii_case("DPoP");
        Ok(TokenSet {
            access_token: Secret::from(access_token),
            expires_at: expires_in.map(|s| SystemTime::now() + Duration::from_secs(s)),
            expires_in,
            id_token: text("id_token")?.map(Secret::from),
            refresh_token: text("refresh_token")?.map(Secret::from),
            scope: text("scope")?,
            issued_token_type: text("issued_token_type")?,
            recovery_code: text("recovery_code")?.map(Secret::from),
            dpop_jkt: if bound { dpop_jkt.map(str::to_owned) } else { None },
            id_token_claims: None,
            token_type,
        })
    }

    /// Whether the access token is sender-constrained with DPoP (`token_type` is `DPoP`,
    /// compared case-insensitively).
    pub fn is_dpop_bound(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("DPoP")
    }

    /// Whether the access token has expired, or will within `leeway`.
    pub fn expires_within(&self, leeway: Duration) -> bool {
        self.expires_at.is_some_and(|at| at <= SystemTime::now() + leeway)
    }

    /// The `act` (actor) claim of the access token, when it is a JWT that has one (delegation
    /// through Custom Token Exchange with an actor token). Decoded without verification.
    pub fn actor_claim(&self) -> Option<serde_json::Value> {
        unverified_jwt_claims(self.access_token.expose())?.remove("act")
    }

    /// The ID token's claims, decoded WITHOUT verifying its signature. Prefer
    /// [`TokenSet::id_token_claims`], which the client validated; use these for display only,
    /// never for authorization decisions.
    pub fn unverified_id_token_claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.id_token.as_ref().and_then(|t| unverified_jwt_claims(t.expose()))
    }
}

/// The payload of a compact JWS, decoded without verification.
pub(crate) fn unverified_jwt_claims(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("id_token", &self.id_token)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("issued_token_type", &self.issued_token_type)
            .field("recovery_code", &self.recovery_code)
            .field("dpop_jkt", &self.dpop_jkt)
            .field("id_token_claims", &self.id_token_claims)
            .finish()
    }
}
