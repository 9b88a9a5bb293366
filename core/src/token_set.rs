//! What the token endpoint returns.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::claims::UserClaims;
use crate::error::{Error, ResponseProblem};
use crate::http::RawResponse;
use crate::json::{self, Member, NotAnObject};
use crate::secret::Secret;

/// Tokens issued by a token exchange. `Debug` shows which tokens are present, never their values.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// `DPoP` for a sender-constrained token, `Bearer` otherwise (as sent by the server).
    pub token_type: String,
    /// Lifetime in seconds, as sent by the server. A response whose `expires_in` is above 100
    /// years is refused (`UnexpectedResponse`, `InvalidField("expires_in")`).
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
        const NAMES: [&str; 8] = [
            "access_token",
            "token_type",
            "expires_in",
            "id_token",
            "refresh_token",
            "scope",
            "issued_token_type",
            "recovery_code",
        ];
        let members = json::members(&response.body, NAMES).map_err(|problem| match problem {
            NotAnObject::OtherJson => response.unexpected(ResponseProblem::NotJson),
            NotAnObject::NotJson => response.unexpected(response.not_json_problem()),
        })?;
        let [
            access_token,
            token_type,
            expires_in,
            id_token,
            refresh_token,
            scope,
            issued_token_type,
            recovery_code,
        ] = members;
        let text = |member: Member<'_>, name: &'static str| -> Result<Option<String>, Error> {
            match member {
                Member::Absent => Ok(None),
                Member::Text(text) => Ok(Some(text.into_owned())),
                Member::Unsigned(_) | Member::Other => Err(response.unexpected(ResponseProblem::InvalidField(name))),
            }
        };
        let access_token = text(access_token, "access_token")?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| response.unexpected(ResponseProblem::MissingField("access_token")))?;
        let token_type = text(token_type, "token_type")?
            .ok_or_else(|| response.unexpected(ResponseProblem::MissingField("token_type")))?;
        let invalid_expiry = || response.unexpected(ResponseProblem::InvalidField("expires_in"));
        let expires_in = match expires_in {
            Member::Absent => None,
            Member::Unsigned(seconds) => Some(seconds),
            // Some servers send the number as a string.
            Member::Text(seconds) => Some(seconds.parse().map_err(|_| invalid_expiry())?),
            Member::Other => return Err(invalid_expiry()),
        };
        let expires_at = match expires_in {
            Some(seconds) => Some(expiry(SystemTime::now(), seconds).ok_or_else(invalid_expiry)?),
            None => None,
        };
        let bound = token_type.eq_ignore_ascii_case("DPoP");
        Ok(TokenSet {
            access_token: Secret::from(access_token),
            expires_at,
            expires_in,
            id_token: text(id_token, "id_token")?.map(Secret::from),
            refresh_token: text(refresh_token, "refresh_token")?.map(Secret::from),
            scope: text(scope, "scope")?,
            issued_token_type: text(issued_token_type, "issued_token_type")?,
            recovery_code: text(recovery_code, "recovery_code")?.map(Secret::from),
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

    /// Whether the access token has expired, or will within `leeway` (any leeway, even
    /// `Duration::MAX`; `false` when the expiry is unknown).
    pub fn expires_within(&self, leeway: Duration) -> bool {
        expires_within(self.expires_at, SystemTime::now(), leeway)
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

/// The longest `expires_in` accepted: 100 years. A token endpoint that sends more (RFC 6749
/// §5.1 has it as a lifetime in seconds, and Auth0 issues at most 30 days) is broken or
/// hostile; its response is refused as [`ResponseProblem::InvalidField`]`("expires_in")`
/// rather than clamped, because an app that stores such a token would never refresh it, and a
/// silently shortened lifetime would hide the server's fault. The bound also keeps every
/// expiry computation (here and in the language bindings, as 64-bit seconds) far from
/// overflow.
pub(crate) const MAX_EXPIRES_IN: u64 = 100 * 365 * 24 * 60 * 60;

/// `now + expires_in`, or `None` when `expires_in` is above [`MAX_EXPIRES_IN`] (or the time
/// cannot be represented on this platform).
pub(crate) fn expiry(now: SystemTime, expires_in: u64) -> Option<SystemTime> {
    if expires_in > MAX_EXPIRES_IN {
        return None;
    }
    now.checked_add(Duration::from_secs(expires_in))
}

/// Whether `expires_at` is known and at or before `now` + `leeway`. A leeway too large to add
/// to the clock covers every expiry.
pub(crate) fn expires_within(expires_at: Option<SystemTime>, now: SystemTime, leeway: Duration) -> bool {
    let Some(at) = expires_at else { return false };
    now.checked_add(leeway).is_none_or(|limit| at <= limit)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::server_input::{config, json_value, response};

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn prop_token_responses_never_panic(response in response(), jkt in proptest::option::of("[A-Za-z0-9_-]{43}")) {
            match TokenSet::from_response(&response, jkt.as_deref()) {
                Ok(t) => {
                    prop_assert!(!t.access_token.expose().is_empty());
                    prop_assert_eq!(t.expires_in.is_some(), t.expires_at.is_some());
                    prop_assert!(t.expires_in.is_none_or(|s| s <= MAX_EXPIRES_IN));
                    prop_assert_eq!(t.dpop_jkt.is_some(), t.is_dpop_bound() && jkt.is_some());
                    prop_assert!(t.expires_in.is_none() || t.expires_within(Duration::MAX));
                    let _ = (t.actor_claim(), t.unverified_id_token_claims(), format!("{t:?}"));
                }
                Err(e) => prop_assert!(matches!(e, Error::UnexpectedResponse { .. }), "{e:?}"),
            }
        }

        /// The response is read as it was from a `serde_json::Value` tree (the reference
        /// below): the same tokens, or the same problem.
        #[test]
        fn prop_token_responses_read_as_a_value_tree_would(response in response()) {
            let read = TokenSet::from_response(&response, Some("jkt"));
            let reference = from_value_tree(&response);
            match (read, reference) {
                (Ok(t), Ok(r)) => {
                    prop_assert_eq!(t.access_token.expose(), r.access_token.expose());
                    prop_assert_eq!(&t.token_type, &r.token_type);
                    prop_assert_eq!(t.expires_in, r.expires_in);
                    prop_assert_eq!(t.id_token.as_ref().map(Secret::expose), r.id_token.as_ref().map(Secret::expose));
                    prop_assert_eq!(t.refresh_token.as_ref().map(Secret::expose), r.refresh_token.as_ref().map(Secret::expose));
                    prop_assert_eq!(&t.scope, &r.scope);
                    prop_assert_eq!(&t.issued_token_type, &r.issued_token_type);
                    prop_assert_eq!(t.recovery_code.as_ref().map(Secret::expose), r.recovery_code.as_ref().map(Secret::expose));
                    prop_assert_eq!(&t.dpop_jkt, &r.dpop_jkt);
                }
                (Err(Error::UnexpectedResponse { problem, .. }), Err(expected)) => prop_assert_eq!(problem, expected),
                (read, reference) => prop_assert!(false, "read {:?}, reference {:?}", read, reference.map(|_| ())),
            }
        }

        #[test]
        fn prop_any_expires_in_is_a_lifetime_or_invalid(expires_in in json_value()) {
            let body = serde_json::json!({"access_token": "at", "token_type": "Bearer", "expires_in": expires_in});
            let response = RawResponse { status: 200, headers: Default::default(), body: body.to_string().into_bytes() };
            match TokenSet::from_response(&response, None) {
                Ok(t) => prop_assert!(t.expires_in.is_none_or(|s| s <= MAX_EXPIRES_IN)),
                Err(e) => prop_assert!(
                    matches!(e, Error::UnexpectedResponse { problem: ResponseProblem::InvalidField("expires_in"), .. }),
                    "{e:?}"
                ),
            }
        }

        #[test]
        fn prop_jwt_claims_never_panic(
            segments in proptest::collection::vec(
                prop_oneof![
                    json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
                    "[A-Za-z0-9_=+/-]{0,40}",
                ],
                0..4,
            )
        ) {
            let token = segments.join(".");
            let _ = unverified_jwt_claims(&token);
            let mut t = TokenSet::new(token.as_str(), "Bearer");
            t.id_token = Some(Secret::new(token.as_str()));
            let _ = (t.actor_claim(), t.unverified_id_token_claims());
        }
    }

    /// How token responses were read before `json::members`: through a `serde_json::Value`
    /// tree. The reference of the property test above.
    fn from_value_tree(response: &RawResponse) -> Result<TokenSet, ResponseProblem> {
        use serde_json::Value;
        let map = match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(ResponseProblem::NotJson),
            Err(_) => return Err(response.not_json_problem()),
        };
        let text = |k: &'static str| match map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ResponseProblem::InvalidField(k)),
        };
        let access_token = text("access_token")?
            .filter(|t| !t.is_empty())
            .ok_or(ResponseProblem::MissingField("access_token"))?;
        let token_type = text("token_type")?.ok_or(ResponseProblem::MissingField("token_type"))?;
        let expires_in = match map.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .filter(|s| *s <= MAX_EXPIRES_IN)
                    .ok_or(ResponseProblem::InvalidField("expires_in"))?,
            ),
        };
        let mut tokens = TokenSet::new(access_token, token_type);
        tokens.expires_in = expires_in;
        tokens.id_token = text("id_token")?.map(Secret::from);
        tokens.refresh_token = text("refresh_token")?.map(Secret::from);
        tokens.scope = text("scope")?;
        tokens.issued_token_type = text("issued_token_type")?;
        tokens.recovery_code = text("recovery_code")?.map(Secret::from);
        tokens.dpop_jkt = tokens.is_dpop_bound().then(|| "jkt".to_owned());
        Ok(tokens)
    }
}
