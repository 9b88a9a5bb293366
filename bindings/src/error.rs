//! The one error type of the bindings, converted from [`token_exchange::Error`] in one place
//! ([`From`] below), with the predicates apps branch on.
//!
//! Swift sees `enum TokenExchangeError: Error` with associated values, Kotlin a sealed
//! `TokenExchangeException`, C a `te_code` plus a `te_error` handle. No variant's text
//! (`Display`, `Debug`, Kotlin's `message`) contains a token: the MFA token travels as a
//! [`Secret`](token_exchange::Secret), which the foreign layers print as `<redacted>`.

use std::fmt;
use std::time::Duration;

use token_exchange::Secret;

// The MFA token crosses as a string but is typed `Secret` on the foreign side (a small class in
// the idiomatic layers whose description is redacted), so that Kotlin's generated `message`,
// which lists every field, cannot leak it.
uniffi::custom_type!(Secret, String, {
    remote,
    lower: |secret| secret.expose().to_owned(),
    try_lift: |value| Ok(Secret::new(value)),
});

/// Everything that can go wrong. Each variant says what to do; the methods answer the usual
/// questions (retry? ask for MFA? is the Apple code spent?).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display, Debug)]
pub enum TokenExchangeError {
    /// An argument is unusable. Nothing was sent; fix the named field.
    InvalidInput {
        /// The parameter at fault (`subject_token`, `domain`, `audience`...).
        field: String,
        /// Why it was refused. Never contains the value.
        problem: String,
    },
    /// The server refused the request with an OAuth error (`invalid_grant`, `mfa_required`...).
    OAuth {
        /// HTTP status.
        status: i32,
        /// The OAuth error code.
        code: String,
        /// The server's description, if any.
        description: Option<String>,
        /// With `mfa_required`: the token to continue with Auth0's MFA API. It is a secret:
        /// its description is redacted; read its `value` only to send it.
        mfa_token: Option<Secret>,
        /// With `mfa_required`: factor types the user can be challenged with.
        mfa_challenge_types: Vec<String>,
        /// With `mfa_required`: factor types the user can enroll.
        mfa_enroll_types: Vec<String>,
        /// The `Retry-After` the server sent, in seconds.
        retry_after_seconds: Option<i64>,
        /// The `DPoP-Nonce` the server sent with the error.
        dpop_nonce: Option<String>,
    },
    /// The network failed before a complete response arrived.
    Network {
        /// What failed.
        kind: NetworkErrorKind,
        /// `false` only if the request certainly never left. When `true`, do not resend a
        /// single-use Apple authorization code: ask the user to sign in again.
        request_may_have_reached_server: bool,
    },
    /// The request took longer than the configured timeout.
    Timeout {
        /// `false` when the timeout hit while connecting.
        request_may_have_reached_server: bool,
    },
    /// The call was cancelled (Swift `Task`, Kotlin coroutine, or a `CancellationToken`).
    Cancelled,
    /// The server answered something that is not a valid response (an HTML page, not JSON...).
    UnexpectedResponse {
        /// HTTP status.
        status: i32,
        /// What was wrong.
        problem: ResponseProblem,
        /// The `Retry-After` header, in seconds, if any.
        retry_after_seconds: Option<i64>,
    },
    /// The DPoP signer (Secure Enclave, Android Keystore, your own) failed or returned
    /// something unusable.
    Signer {
        /// What the signer reported. Developer text; do not show it to users.
        message: String,
    },
    /// The token is bound to another DPoP key than the client's: sign the user in again.
    DpopKeyMismatch {
        /// Thumbprint the token is bound to.
        token_jkt: String,
        /// Thumbprint of the client's key.
        key_jkt: String,
    },
    /// The token is DPoP-bound but the client has no DPoP key.
    DpopKeyMissing,
    /// DPoP was used but the server issued an unbound token, and the client refuses those
    /// (the default `UnboundTokenPolicy.Reject`).
    TokenNotBound {
        /// The `token_type` the server returned.
        token_type: String,
    },
    /// A failure this version of the bindings does not know (the library is newer). The
    /// message is the library's, which never contains a secret.
    Other {
        /// Description of the failure.
        message: String,
    },
}

/// What failed on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkErrorKind {
    /// The connection could not be made (DNS, refused, unreachable).
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The connection broke while the request or response was in flight.
    ConnectionLost,
    /// Another network failure (a kind this version of the bindings does not know).
    Other,
}

/// Why a response could not be used.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ResponseProblem {
    /// An HTML page (proxy, captive portal, error page) instead of JSON.
    Html,
    /// The body is not JSON.
    NotJson,
    /// The body is larger than `limit` bytes.
    TooLarge {
        /// The limit that was exceeded.
        limit: i64,
    },
    /// A required member is missing.
    MissingField {
        /// Its name.
        field: String,
    },
    /// A member has an unusable value.
    InvalidField {
        /// Its name.
        field: String,
    },
    /// A redirect, which is never followed.
    Redirect,
    /// An error status without an OAuth error body.
    ErrorStatus,
    /// Another problem (a kind this version of the bindings does not know).
    Other {
        /// Description.
        message: String,
    },
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The one conversion from the library's error.
impl From<token_exchange::Error> for TokenExchangeError {
    fn from(e: token_exchange::Error) -> Self {
        use token_exchange::{Error as E, NetworkErrorKind as K, ResponseProblem as P};
        match e {
            E::InvalidInput { field, problem } => TokenExchangeError::InvalidInput {
                field: field.to_owned(),
                problem,
            },
            E::OAuth(o) => TokenExchangeError::OAuth {
                status: i32::from(o.status()),
                code: o.code().to_owned(),
                description: o.description().map(str::to_owned),
                mfa_token: o.mfa_token().cloned(),
                mfa_challenge_types: o.mfa_requirements().map(|r| r.challenge.clone()).unwrap_or_default(),
                mfa_enroll_types: o.mfa_requirements().map(|r| r.enroll.clone()).unwrap_or_default(),
                retry_after_seconds: o.retry_after().map(seconds),
                dpop_nonce: o.dpop_nonce().map(str::to_owned),
            },
            E::Network {
                kind,
                request_may_have_reached_server,
            } => TokenExchangeError::Network {
                kind: match kind {
                    K::Connect => NetworkErrorKind::Connect,
                    K::Tls => NetworkErrorKind::Tls,
                    K::ConnectionLost => NetworkErrorKind::ConnectionLost,
                    _ => NetworkErrorKind::Other,
                },
                request_may_have_reached_server,
            },
            E::Timeout {
                request_may_have_reached_server,
            } => TokenExchangeError::Timeout {
                request_may_have_reached_server,
            },
            E::Cancelled => TokenExchangeError::Cancelled,
            E::UnexpectedResponse {
                status,
                problem,
                retry_after,
            } => TokenExchangeError::UnexpectedResponse {
                status: i32::from(status),
                problem: match problem {
                    P::Html => ResponseProblem::Html,
                    P::NotJson => ResponseProblem::NotJson,
                    P::TooLarge { limit } => ResponseProblem::TooLarge {
                        limit: i64::try_from(limit).unwrap_or(i64::MAX),
                    },
                    P::MissingField(field) => ResponseProblem::MissingField { field: field.into() },
                    P::InvalidField(field) => ResponseProblem::InvalidField { field: field.into() },
                    P::Redirect => ResponseProblem::Redirect,
                    P::ErrorStatus => ResponseProblem::ErrorStatus,
                    other => ResponseProblem::Other {
                        message: other.to_string(),
                    },
                },
                retry_after_seconds: retry_after.map(seconds),
            },
            E::Signer(message) => TokenExchangeError::Signer { message },
            E::DpopKeyMismatch { token_jkt, key_jkt } => TokenExchangeError::DpopKeyMismatch { token_jkt, key_jkt },
            E::DpopKeyMissing => TokenExchangeError::DpopKeyMissing,
            E::TokenNotBound { token_type } => TokenExchangeError::TokenNotBound { token_type },
            other => TokenExchangeError::Other {
                message: other.to_string(),
            },
        }
    }
}

impl TokenExchangeError {
    pub(crate) fn invalid(field: &str, problem: impl Into<String>) -> Self {
        TokenExchangeError::InvalidInput {
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    /// `(status, code)` of an OAuth error.
    fn oauth_parts(&self) -> Option<(i32, &str)> {
        match self {
            TokenExchangeError::OAuth { status, code, .. } => Some((*status, code.as_str())),
            _ => None,
        }
    }

    fn has_code(&self, wanted: &str) -> bool {
        self.oauth_parts().is_some_and(|(_, code)| code == wanted)
    }
}

// The predicates mirror `token_exchange::Error`/`OAuthError`'s (the bindings keep the data, not
// the library's error, so they are recomputed here); `tests/predicates.rs` checks they agree.
#[uniffi::export]
impl TokenExchangeError {
    /// Whether the same request may succeed later: network failures, timeouts, rate limiting,
    /// server errors. Before resending a single-use Apple code also check
    /// `request_may_have_reached_server`.
    pub fn is_retryable(&self) -> bool {
        match self {
            TokenExchangeError::OAuth { .. } => self.is_rate_limited() || self.is_server_error(),
            TokenExchangeError::Network { .. } | TokenExchangeError::Timeout { .. } => true,
            TokenExchangeError::UnexpectedResponse { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether the server may have received (and acted on) the request: when `true`, a
    /// single-use Apple authorization code must be considered spent.
    pub fn request_may_have_reached_server(&self) -> bool {
        match self {
            TokenExchangeError::InvalidInput { .. }
            | TokenExchangeError::Signer { .. }
            | TokenExchangeError::DpopKeyMismatch { .. }
            | TokenExchangeError::DpopKeyMissing => false,
            TokenExchangeError::Network {
                request_may_have_reached_server,
                ..
            }
            | TokenExchangeError::Timeout {
                request_may_have_reached_server,
            } => *request_may_have_reached_server,
            _ => true,
        }
    }

    /// How long the server asked to wait before retrying (`Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TokenExchangeError::OAuth {
                retry_after_seconds, ..
            }
            | TokenExchangeError::UnexpectedResponse {
                retry_after_seconds, ..
            } => retry_after_seconds.map(|s| Duration::from_secs(s.max(0).unsigned_abs())),
            _ => None,
        }
    }

    /// A network failure or a timeout.
    pub fn is_network_error(&self) -> bool {
        matches!(
            self,
            TokenExchangeError::Network { .. } | TokenExchangeError::Timeout { .. }
        )
    }

    /// The user must complete multi-factor authentication: continue with `mfa_token`.
    pub fn is_mfa_required(&self) -> bool {
        self.has_code("mfa_required")
    }

    /// The account or IP is blocked after too many failed attempts (not retryable).
    pub fn is_too_many_attempts(&self) -> bool {
        self.has_code("too_many_attempts")
    }

    /// The server rate-limited the request (HTTP 429); see `retry_after`.
    pub fn is_rate_limited(&self) -> bool {
        self.oauth_parts().is_some_and(|(status, _)| status == 429) && !self.is_too_many_attempts()
    }

    /// The server failed (HTTP 5xx, `server_error`, `temporarily_unavailable`).
    pub fn is_server_error(&self) -> bool {
        self.oauth_parts()
            .is_some_and(|(status, code)| status >= 500 || code == "server_error" || code == "temporarily_unavailable")
    }

    /// The server demanded a DPoP nonce again after the automatic retry (`use_dpop_nonce`).
    pub fn is_dpop_nonce_required(&self) -> bool {
        self.has_code("use_dpop_nonce")
    }

    /// The server rejected the DPoP proof (`invalid_dpop_proof`).
    pub fn is_invalid_dpop_proof(&self) -> bool {
        self.has_code("invalid_dpop_proof")
    }

    /// The subject token is invalid, expired or already used (`invalid_grant`).
    pub fn is_invalid_grant(&self) -> bool {
        self.has_code("invalid_grant")
    }

    /// The request is malformed (`invalid_request`).
    pub fn is_invalid_request(&self) -> bool {
        self.has_code("invalid_request")
    }

    /// The application may not use this grant (`unauthorized_client`).
    pub fn is_unauthorized_client(&self) -> bool {
        self.has_code("unauthorized_client")
    }

    /// Access was denied (`access_denied`: blocked user, a rule or Action).
    pub fn is_access_denied(&self) -> bool {
        self.has_code("access_denied")
    }

    /// Token Vault: the user never connected the account at the provider, or the stored token
    /// can no longer be refreshed: send them through connecting it (again).
    pub fn is_connection_required(&self) -> bool {
        self.has_code("federated_connection_refresh_token_not_found") || self.has_code("tokenset_not_found")
    }
}

/// ` (retry after N s)` when the server sent `Retry-After`, as the library's own text says
/// (`tests/predicates.rs` checks the two texts are equal).
struct RetryAfterNote(Option<i64>);

impl fmt::Display for RetryAfterNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(seconds) => write!(f, " (retry after {seconds} s)"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for TokenExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reached = |r: bool| {
            if r {
                " (the request may have reached the server)"
            } else {
                " (the request did not reach the server)"
            }
        };
        match self {
            TokenExchangeError::InvalidInput { field, problem } => write!(f, "invalid {field}: {problem}"),
            TokenExchangeError::OAuth {
                status,
                code,
                description,
                retry_after_seconds,
                ..
            } => {
                write!(f, "{code} (HTTP {status})")?;
                if let Some(d) = description {
                    write!(f, ": {d}")?;
                }
                write!(f, "{}", RetryAfterNote(*retry_after_seconds))
            }
            TokenExchangeError::Network {
                kind,
                request_may_have_reached_server,
            } => {
                let kind = match kind {
                    NetworkErrorKind::Connect => "could not connect",
                    NetworkErrorKind::Tls => "TLS handshake failed",
                    NetworkErrorKind::ConnectionLost => "connection lost",
                    NetworkErrorKind::Other => "network failure",
                };
                write!(f, "network error: {kind}{}", reached(*request_may_have_reached_server))
            }
            TokenExchangeError::Timeout {
                request_may_have_reached_server,
            } => write!(f, "request timed out{}", reached(*request_may_have_reached_server)),
            TokenExchangeError::Cancelled => f.write_str("request cancelled"),
            TokenExchangeError::UnexpectedResponse {
                status,
                problem,
                retry_after_seconds,
            } => {
                write!(
                    f,
                    "unexpected response (HTTP {status}): {problem}{}",
                    RetryAfterNote(*retry_after_seconds)
                )
            }
            TokenExchangeError::Signer { message } => write!(f, "DPoP signer failed: {message}"),
            TokenExchangeError::DpopKeyMismatch { token_jkt, key_jkt } => write!(
                f,
                "the DPoP key (jkt {key_jkt}) is not the key the token is bound to (jkt {token_jkt})"
            ),
            TokenExchangeError::DpopKeyMissing => {
                f.write_str("the token is DPoP-bound but this client has no DPoP key")
            }
            TokenExchangeError::TokenNotBound { token_type } => {
                write!(f, "DPoP was requested but the server issued a `{token_type}` token")
            }
            TokenExchangeError::Other { message } => f.write_str(message),
        }
    }
}

impl fmt::Display for ResponseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseProblem::Html => f.write_str("an HTML page instead of JSON"),
            ResponseProblem::NotJson => f.write_str("the body is not JSON"),
            ResponseProblem::TooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
            ResponseProblem::MissingField { field } => write!(f, "`{field}` is missing"),
            ResponseProblem::InvalidField { field } => write!(f, "`{field}` is invalid"),
            ResponseProblem::Redirect => f.write_str("a redirect (not followed)"),
            ResponseProblem::ErrorStatus => f.write_str("an error status without an error body"),
            ResponseProblem::Other { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for TokenExchangeError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(status: i32, code: &str) -> TokenExchangeError {
        TokenExchangeError::OAuth {
            status,
            code: code.into(),
            description: Some("why".into()),
            mfa_token: Some(Secret::new("mfa-token-value")),
            mfa_challenge_types: vec!["otp".into()],
            mfa_enroll_types: vec![],
            retry_after_seconds: Some(3),
            dpop_nonce: None,
        }
    }

    #[test]
    fn text_never_shows_the_mfa_token() {
        let e = oauth(403, "mfa_required");
        assert!(e.is_mfa_required());
        assert_eq!(e.to_string(), "mfa_required (HTTP 403): why (retry after 3 s)");
        assert!(!format!("{e:?}").contains("mfa-token-value"));
    }

    #[test]
    fn predicates() {
        assert!(oauth(429, "too_many_requests").is_rate_limited());
        assert!(oauth(429, "too_many_requests").is_retryable());
        assert!(!oauth(429, "too_many_attempts").is_rate_limited());
        assert!(oauth(429, "too_many_attempts").is_too_many_attempts());
        assert!(!oauth(429, "too_many_attempts").is_retryable());
        assert!(oauth(503, "temporarily_unavailable").is_retryable());
        assert!(!oauth(403, "invalid_grant").is_retryable());
        assert!(oauth(403, "invalid_grant").is_invalid_grant());
        assert_eq!(oauth(429, "x").retry_after(), Some(Duration::from_secs(3)));
        let net = TokenExchangeError::Network {
            kind: NetworkErrorKind::Connect,
            request_may_have_reached_server: false,
        };
        assert!(net.is_retryable() && net.is_network_error() && !net.request_may_have_reached_server());
        assert!(!TokenExchangeError::invalid("scope", "x").request_may_have_reached_server());
        assert!(TokenExchangeError::Cancelled.request_may_have_reached_server());
    }
}
