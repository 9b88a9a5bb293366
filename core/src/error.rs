//! The one public error type of the authentication API (token endpoint, DPoP, resource calls).
//!
//! Variants say what the caller should do; the predicates on [`Error`] and [`OAuthError`] answer
//! the usual questions (retry? ask for MFA? back off?). Internal failures (transport, parsing) are
//! converted into this type in one place each: `http.rs` for transport errors and
//! [`OAuthError::from_body`] for server error bodies. No variant carries a token, code or
//! profile value, so `Display` and `Debug` are safe to log.

use std::fmt;
use std::time::Duration;

use crate::secret::Secret;

/// Everything that can go wrong talking to the authorization server or to your own API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument is unusable. Nothing was sent; fix the named field.
    #[error("invalid {field}: {problem}")]
    InvalidInput {
        /// The parameter at fault, named as in the request (`subject_token`, `domain`...).
        field: &'static str,
        /// Why it was refused. Never contains the value itself.
        problem: String,
    },

    /// The server refused the request with an OAuth error (`invalid_grant`, `mfa_required`...).
    #[error(transparent)]
    OAuth(Box<OAuthError>),

    /// The request failed on the network before a complete response arrived.
    #[error("network error: {kind}{}", reached_note(*request_may_have_reached_server))]
    Network {
        /// What failed.
        kind: NetworkErrorKind,
        /// `false` only when the request certainly never left (the connection could not be
        /// made). When `true`, do not resend a single-use credential such as an Apple
        /// authorization code: ask the user to sign in again instead.
        request_may_have_reached_server: bool,
    },

    /// The request took longer than the configured timeout.
    #[error("request timed out{}", reached_note(*request_may_have_reached_server))]
    Timeout {
        /// `false` when the timeout hit while connecting.
        request_may_have_reached_server: bool,
    },

    /// The caller cancelled the call through a [`crate::CancellationToken`] (which the Swift
    /// layer cancels with its `Task`, and C with `te_client_cancel`). A request already sent
    /// may have reached the server.
    #[error("request cancelled")]
    Cancelled,

    /// The client has no HTTP transport: none was given with
    /// [`crate::ClientBuilder::transport`], and the built-in one is not compiled in (cargo
    /// feature `reqwest-transport`) or could not start. A build or configuration problem;
    /// nothing was sent.
    #[error("no HTTP transport: {problem}")]
    TransportUnavailable {
        /// What is missing.
        problem: &'static str,
    },

    /// The server answered something that is not a valid response for this endpoint.
    #[error("unexpected response (HTTP {status}): {problem}{}", RetryAfterNote(*retry_after))]
    UnexpectedResponse {
        /// The HTTP status received.
        status: u16,
        /// What was wrong with it.
        problem: ResponseProblem,
        /// The parsed `Retry-After` header, if any (proxies send it with 429/503 pages).
        retry_after: Option<Duration>,
    },

    /// The DPoP signer (for example a Secure Enclave or Android Keystore key) failed.
    #[error("DPoP signer failed: {0}")]
    Signer(String),

    /// The token is bound to a different DPoP key than the one configured (the key was lost,
    /// reset or rotated). The token is unusable: sign the user in again with the current key.
    #[error("the DPoP key (jkt {key_jkt}) is not the key the token is bound to (jkt {token_jkt})")]
    DpopKeyMismatch {
        /// Thumbprint the token is bound to.
        token_jkt: String,
        /// Thumbprint of the configured key.
        key_jkt: String,
    },

    /// The token needs a DPoP key but the client has none configured.
    #[error("the token is DPoP-bound but this client has no DPoP key")]
    DpopKeyMissing,

    /// DPoP was used but the server issued an unbound token (`token_type` is not `DPoP`), and
    /// the client is configured to refuse that (the default). Check that DPoP is enabled for
    /// the application, or allow bearer tokens in the client configuration.
    #[error("DPoP was requested but the server issued a `{token_type}` token")]
    TokenNotBound {
        /// The `token_type` the server returned.
        token_type: String,
    },

    /// The server's response carried an ID token that failed validation; the whole response
    /// was discarded. Not retryable: it points at a misconfiguration (wrong domain or client
    /// id) or an attack. Validation can be turned off on the client builder.
    #[error("the ID token is invalid: {reason}")]
    IdTokenInvalid {
        /// The check that failed.
        reason: IdTokenProblem,
    },

    /// The credentials manager has no usable credentials: show the sign-in screen.
    #[error("sign-in required: {reason}")]
    SignInRequired {
        /// Why.
        reason: SignInReason,
    },

    /// The credential store failed, or holds a record this version cannot read. When saving
    /// renewed tokens failed, the renewal itself did happen at the server (with rotation, the
    /// old refresh token may be spent).
    #[error("credential store: {problem}")]
    CredentialStore {
        /// What is wrong.
        problem: CredentialStoreProblem,
    },
}

impl From<crate::transport::TransportUnavailable> for Error {
    fn from(e: crate::transport::TransportUnavailable) -> Self {
        Error::TransportUnavailable { problem: e.problem }
    }
}

/// ` (retry after N s)` when the server sent `Retry-After`, so that a logged error says when
/// to try again; nothing otherwise.
pub(crate) struct RetryAfterNote(pub Option<Duration>);

impl fmt::Display for RetryAfterNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, " (retry after {} s)", d.as_secs()),
            None => Ok(()),
        }
    }
}

fn reached_note(reached: bool) -> &'static str {
    if reached {
        " (the request may have reached the server)"
    } else {
        " (the request did not reach the server)"
    }
}

impl Error {
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            problem: problem.into(),
        }
    }

    /// The OAuth error, when the server sent one.
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the same request may succeed later: network failures, timeouts, rate limiting
    /// and server errors. Before resending a single-use credential also check
    /// [`Error::request_may_have_reached_server`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::OAuth(e) => e.is_retryable(),
            Error::Network { .. } | Error::Timeout { .. } => true,
            Error::UnexpectedResponse { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether the server may have received (and acted on) the request. When `true`, a
    /// single-use subject token such as an Apple authorization code must be considered spent.
    pub fn request_may_have_reached_server(&self) -> bool {
        match self {
            Error::InvalidInput { .. }
            | Error::TransportUnavailable { .. }
            | Error::Signer(_)
            | Error::DpopKeyMismatch { .. }
            | Error::DpopKeyMissing
            | Error::CredentialStore { .. } => false,
            Error::SignInRequired { reason } => {
                matches!(reason, SignInReason::RefreshTokenRejected(_))
            }
            Error::Network {
                request_may_have_reached_server,
                ..
            }
            | Error::Timeout {
                request_may_have_reached_server,
            } => *request_may_have_reached_server,
            _ => true,
        }
    }

    /// How long the server asked us to wait before trying again (`Retry-After`, in whole
    /// seconds, at most 24 hours: an absurd value is clamped). `Display` says it too.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::OAuth(e) => e.retry_after,
            Error::UnexpectedResponse { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the user must sign in again: the credentials manager has nothing usable
    /// ([`Error::SignInRequired`]), or the tokens are bound to a DPoP key the client no longer
    /// has ([`Error::DpopKeyMismatch`], [`Error::DpopKeyMissing`]).
    pub fn is_sign_in_required(&self) -> bool {
        matches!(
            self,
            Error::SignInRequired { .. } | Error::DpopKeyMismatch { .. } | Error::DpopKeyMissing
        )
    }

    /// Whether the error is a network failure or a timeout.
    pub fn is_network_error(&self) -> bool {
        matches!(self, Error::Network { .. } | Error::Timeout { .. })
    }
}

/// Which check an ID token failed ([`Error::IdTokenInvalid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTokenProblem {
    /// Not a compact JWS with a JSON header and a JSON object as payload, or a `crit` header.
    Malformed,
    /// The signing algorithm is not allowed (`none`, HS256 for a public client, or anything
    /// but RS256/PS256), or not the one the tenant's key is meant for.
    Algorithm(String),
    /// No key of the tenant's JWKS has the token's `kid`, even after fetching the set again.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// A required claim is missing or has the wrong type.
    MissingClaim(&'static str),
    /// `iss` is not the tenant's base URL.
    Issuer,
    /// `aud` does not contain the client id.
    Audience,
    /// `azp` is missing while there are several audiences, or is not the client id.
    AuthorizedParty,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `org_id` / `org_name` is missing or not the organization that was requested.
    Organization,
    /// A refreshed ID token is about another user (`sub` changed).
    Subject,
}

impl fmt::Display for IdTokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdTokenProblem::Malformed => f.write_str("it is not a well-formed JWS"),
            IdTokenProblem::Algorithm(alg) => write!(f, "the algorithm `{alg}` is not allowed"),
            IdTokenProblem::UnknownKey => f.write_str("it is signed with a key the tenant does not publish"),
            IdTokenProblem::Signature => f.write_str("the signature does not verify"),
            IdTokenProblem::MissingClaim(claim) => write!(f, "`{claim}` is missing or invalid"),
            IdTokenProblem::Issuer => f.write_str("`iss` is not the tenant"),
            IdTokenProblem::Audience => f.write_str("`aud` does not contain the client id"),
            IdTokenProblem::AuthorizedParty => f.write_str("`azp` is missing or not the client id"),
            IdTokenProblem::Expired => f.write_str("it has expired (`exp`)"),
            IdTokenProblem::IssuedInFuture => f.write_str("it is issued in the future (`iat`)"),
            IdTokenProblem::Organization => f.write_str("`org_id`/`org_name` is not the requested organization"),
            IdTokenProblem::Subject => f.write_str("`sub` is not the user of the refreshed tokens"),
        }
    }
}

/// Why the user must sign in again ([`Error::SignInRequired`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignInReason {
    /// No credentials are stored (never signed in, signed out, or cleared).
    NoCredentials,
    /// The stored tokens expire within the requested time and there is no refresh token to
    /// renew them (`offline_access` was not granted). They are left in the store.
    NoRefreshToken,
    /// The server refused the refresh token (`invalid_grant`: revoked, expired, or reused
    /// after rotation). The store was cleared.
    RefreshTokenRejected(Box<OAuthError>),
}

impl fmt::Display for SignInReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignInReason::NoCredentials => f.write_str("no credentials are stored"),
            SignInReason::NoRefreshToken => f.write_str("the tokens expire and there is no refresh token"),
            SignInReason::RefreshTokenRejected(e) => write!(f, "the refresh token was refused: {e}"),
        }
    }
}

/// What is wrong with the credential store ([`crate::Error::CredentialStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialStoreProblem {
    /// The store failed; its message.
    Failed(String),
    /// The record was written by a newer version of the library, in a format this one cannot
    /// read. It is left in place; [`crate::CredentialsManager::clear`] removes it.
    UnsupportedVersion(u64),
    /// The record cannot be read (not a record of this library, or damaged). It is left in
    /// place; [`crate::CredentialsManager::clear`] removes it.
    Corrupt,
}

impl fmt::Display for CredentialStoreProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialStoreProblem::Failed(message) => write!(f, "the store failed: {message}"),
            CredentialStoreProblem::UnsupportedVersion(v) => {
                write!(f, "the record has version {v}, which this version cannot read")
            }
            CredentialStoreProblem::Corrupt => f.write_str("the record cannot be read"),
        }
    }
}

/// What failed on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetworkErrorKind {
    /// The connection could not be made (DNS, refused, unreachable).
    Connect,
    /// The TLS handshake failed (certificate not trusted, protocol mismatch).
    Tls,
    /// The connection broke while the request or the response was in flight.
    ConnectionLost,
}

impl fmt::Display for NetworkErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NetworkErrorKind::Connect => "could not connect",
            NetworkErrorKind::Tls => "TLS handshake failed",
            NetworkErrorKind::ConnectionLost => "connection lost",
        })
    }
}

/// Why a response could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// The body is an HTML page (a proxy, captive portal or error page), not JSON.
    Html,
    /// The body is not JSON.
    NotJson,
    /// The body is larger than the limit (in bytes).
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A required member is missing or has the wrong type.
    MissingField(&'static str),
    /// A member has an unusable value.
    InvalidField(&'static str),
    /// The server answered with a redirect, which is never followed on token requests.
    Redirect,
    /// An error status without an OAuth error body.
    ErrorStatus,
}

impl fmt::Display for ResponseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseProblem::Html => f.write_str("an HTML page instead of JSON"),
            ResponseProblem::NotJson => f.write_str("the body is not JSON"),
            ResponseProblem::TooLarge { limit } => {
                write!(f, "the body is larger than {limit} bytes")
            }
            ResponseProblem::MissingField(name) => write!(f, "`{name}` is missing"),
            ResponseProblem::InvalidField(name) => write!(f, "`{name}` is invalid"),
            ResponseProblem::Redirect => f.write_str("a redirect (not followed)"),
            ResponseProblem::ErrorStatus => f.write_str("an error status without an error body"),
        }
    }
}

/// An OAuth error returned by the server, with its HTTP status and the data some codes carry.
#[derive(Clone)]
pub struct OAuthError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) description: Option<String>,
    pub(crate) mfa_token: Option<Secret>,
    pub(crate) mfa_requirements: Option<MfaRequirements>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) dpop_nonce: Option<String>,
}

/// The factors Auth0 says the user can complete (`mfa_requirements` of `mfa_required`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaRequirements {
    /// Factor types the user can be challenged with (`otp`, `oob`, `recovery-code`...).
    pub challenge: Vec<String>,
    /// Factor types the user can enroll.
    pub enroll: Vec<String>,
}

impl OAuthError {
    /// Builds the error from an error response body, accepting both Auth0 shapes:
    /// `{"error","error_description"}` and `{"code","description"}`. `None` when the body has
    /// neither shape.
    pub(crate) fn from_body(
        status: u16,
        body: &serde_json::Value,
        retry_after: Option<Duration>,
        dpop_nonce: Option<String>,
    ) -> Option<Self> {
        let obj = body.as_object()?;
        let text = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let code = text("error").or_else(|| text("code"))?;
        let description = text("error_description").or_else(|| text("description"));
        let mfa_token = text("mfa_token").map(Secret::from);
        let mfa_requirements = obj.get("mfa_requirements").map(|r| {
            let types = |k: &str| {
                r.get(k)
                    .and_then(|v| v.as_array())
                    .map(|list| {
                        list.iter()
                            .filter_map(|f| f.get("type").and_then(|t| t.as_str()))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            MfaRequirements {
                challenge: types("challenge"),
                enroll: types("enroll"),
            }
        });
        Some(OAuthError {
            status,
            code,
            description,
            mfa_token,
            mfa_requirements,
            retry_after,
            dpop_nonce,
        })
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The OAuth error code (`invalid_grant`...).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The server's human-readable description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The parsed `Retry-After` header, if any (whole seconds, at most 24 hours).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The `mfa_token` to continue with Auth0's MFA API when [`Self::is_mfa_required`].
    pub fn mfa_token(&self) -> Option<&Secret> {
        self.mfa_token.as_ref()
    }

    /// The factors the user can use when [`Self::is_mfa_required`].
    pub fn mfa_requirements(&self) -> Option<&MfaRequirements> {
        self.mfa_requirements.as_ref()
    }

    /// The `DPoP-Nonce` the server sent with this error, if any.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// The subject token (or refresh token) is invalid, expired or already used.
    pub fn is_invalid_grant(&self) -> bool {
        self.code == "invalid_grant"
    }

    /// The request is malformed or a parameter is not acceptable.
    pub fn is_invalid_request(&self) -> bool {
        self.code == "invalid_request"
    }

    /// The application is not allowed to use this grant.
    pub fn is_unauthorized_client(&self) -> bool {
        self.code == "unauthorized_client"
    }

    /// Access was denied (blocked user, unknown API, a rule or Action denied it).
    pub fn is_access_denied(&self) -> bool {
        self.code == "access_denied"
    }

    /// The user must complete multi-factor authentication: continue with [`Self::mfa_token`].
    pub fn is_mfa_required(&self) -> bool {
        self.code == "mfa_required"
    }

    /// The account or IP is blocked after too many failed attempts.
    pub fn is_too_many_attempts(&self) -> bool {
        self.code == "too_many_attempts"
    }

    /// The server rate-limited the request (HTTP 429); see [`Self::retry_after`].
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429 && !self.is_too_many_attempts()
    }

    /// The server failed (HTTP 5xx, `server_error`, `temporarily_unavailable`).
    pub fn is_server_error(&self) -> bool {
        self.status >= 500 || self.code == "server_error" || self.code == "temporarily_unavailable"
    }

    /// Whether the same request may succeed later (rate limiting or a server error).
    pub fn is_retryable(&self) -> bool {
        self.is_rate_limited() || self.is_server_error()
    }

    /// The server demands a DPoP nonce (`use_dpop_nonce`). The client already retries once
    /// with the nonce; seeing this means the server demanded a new nonce again.
    pub fn is_dpop_nonce_required(&self) -> bool {
        self.code == "use_dpop_nonce"
    }

    /// Token Vault has no usable token for the user at that connection: the user never
    /// connected the account, or the provider's refresh token was revoked or expired. Send
    /// the user through connecting the account again.
    pub fn is_connection_required(&self) -> bool {
        matches!(
            self.code.as_str(),
            "federated_connection_refresh_token_not_found" | "tokenset_not_found"
        )
    }

    /// The server rejected the DPoP proof (`invalid_dpop_proof`).
    pub fn is_invalid_dpop_proof(&self) -> bool {
        self.code == "invalid_dpop_proof"
    }
}

impl fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("description", &self.description)
            .field("mfa_token", &self.mfa_token)
            .field("mfa_requirements", &self.mfa_requirements)
            .field("retry_after", &self.retry_after)
            .field("dpop_nonce", &self.dpop_nonce.is_some())
            .finish()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.status)?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        write!(f, "{}", RetryAfterNote(self.retry_after))
    }
}

impl std::error::Error for OAuthError {}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::OAuth(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_error_shapes() {
        let a = OAuthError::from_body(
            403,
            &json!({"error":"invalid_grant","error_description":"bad code"}),
            None,
            None,
        )
        .unwrap();
        assert!(a.is_invalid_grant());
        assert_eq!(a.description(), Some("bad code"));
        let b = OAuthError::from_body(
            400,
            &json!({"code":"invalid_body","description":"Payload validation error"}),
            None,
            None,
        )
        .unwrap();
        assert_eq!(b.code(), "invalid_body");
        assert_eq!(b.description(), Some("Payload validation error"));
        assert!(OAuthError::from_body(500, &json!({"message":"x"}), None, None).is_none());
        assert!(OAuthError::from_body(500, &json!(["error"]), None, None).is_none());
    }

    #[test]
    fn mfa_required_carries_token_and_requirements_but_never_prints_the_token() {
        let e = OAuthError::from_body(
            403,
            &json!({"error":"mfa_required","error_description":"Multifactor authentication required",
                    "mfa_token":"Fe26.2*mfa-token-value","mfa_requirements":{"challenge":[{"type":"otp"},{"type":"oob"}]}}),
            None,
            None,
        )
        .unwrap();
        assert!(e.is_mfa_required());
        assert_eq!(e.mfa_token().unwrap().expose(), "Fe26.2*mfa-token-value");
        assert_eq!(e.mfa_requirements().unwrap().challenge, ["otp", "oob"]);
        let err = Error::from(e);
        assert!(!format!("{err:?}").contains("mfa-token-value"));
        assert!(!format!("{err}").contains("mfa-token-value"));
    }

    #[test]
    fn display_says_when_to_retry_whenever_the_server_said() {
        let limited = OAuthError::from_body(
            429,
            &json!({"error":"too_many_requests","error_description":"Global limit has been reached"}),
            Some(Duration::from_secs(7)),
            None,
        )
        .unwrap();
        assert_eq!(
            Error::from(limited).to_string(),
            "too_many_requests (HTTP 429): Global limit has been reached (retry after 7 s)"
        );
        let unavailable = Error::UnexpectedResponse {
            status: 503,
            problem: ResponseProblem::Html,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(
            unavailable.to_string(),
            "unexpected response (HTTP 503): an HTML page instead of JSON (retry after 5 s)"
        );
        let silent = OAuthError::from_body(429, &json!({"error":"too_many_requests"}), None, None).unwrap();
        assert_eq!(silent.to_string(), "too_many_requests (HTTP 429)");
    }

    #[test]
    fn predicates() {
        let e = |status, code: &str| OAuthError::from_body(status, &json!({ "error": code }), None, None).unwrap();
        assert!(e(429, "too_many_requests").is_rate_limited());
        assert!(e(429, "too_many_requests").is_retryable());
        assert!(!e(429, "too_many_attempts").is_rate_limited());
        assert!(e(429, "too_many_attempts").is_too_many_attempts());
        assert!(!e(429, "too_many_attempts").is_retryable());
        assert!(e(503, "temporarily_unavailable").is_retryable());
        assert!(!e(403, "invalid_grant").is_retryable());
        assert!(e(400, "use_dpop_nonce").is_dpop_nonce_required());
        let not_reached = Error::Network {
            kind: NetworkErrorKind::Connect,
            request_may_have_reached_server: false,
        };
        assert!(not_reached.is_retryable() && !not_reached.request_may_have_reached_server());
        assert!(
            Error::Timeout {
                request_may_have_reached_server: true
            }
            .request_may_have_reached_server()
        );
        assert!(!Error::invalid("scope", "x").request_may_have_reached_server());
    }
}
