//! The one error type of the bindings, converted from [`token_exchange::Error`] in one place
//! ([`From`] below). Every variant carries an [`ErrorInfo`]: the library's message and the
//! answers of its predicates, computed by the library (never recomputed here), which the
//! methods apps branch on read.
//!
//! Swift sees `enum TokenExchangeError: Error` with associated values, Kotlin a sealed
//! `TokenExchangeException`, C a `te_code` plus a `te_error` handle. No variant's text
//! (`Display`, `Debug`, Kotlin's `message`) contains a token: the MFA token travels as a
//! [`Secret`](token_exchange::Secret), which the foreign layers print as `<redacted>`.

use std::fmt;
use std::time::Duration;

use token_exchange::OAuthError;

use token_exchange::Secret;

// The MFA token crosses as a string but is typed `Secret` on the foreign side (a small class in
// the idiomatic layers whose description is redacted), so that Kotlin's generated `message`,
// which lists every field, cannot leak it.
uniffi::custom_type!(Secret, String, {
    remote,
    lower: |secret| secret.expose().to_owned(),
    try_lift: |value| Ok(Secret::new(value)),
});

/// Everything that can go wrong. Each variant says what to do; its `info` holds the library's
/// message and predicates, which the methods read (retry? ask for MFA? is the Apple code spent?).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display, Debug)]
pub enum TokenExchangeError {
    /// An argument is unusable. Nothing was sent; fix the named field.
    InvalidInput {
        /// The parameter at fault (`subject_token`, `domain`, `audience`...).
        field: String,
        /// Why it was refused. Never contains the value.
        problem: String,
        /// The library's message and predicates.
        info: ErrorInfo,
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
        /// The `DPoP-Nonce` the server sent with the error.
        dpop_nonce: Option<String>,
        /// The library's message and predicates (`retry_after_seconds` among them).
        info: ErrorInfo,
    },
    /// The network failed before a complete response arrived.
    Network {
        /// What failed.
        kind: NetworkErrorKind,
        /// The library's message and predicates: `request_may_have_reached_server` is `false`
        /// only if the request certainly never left. When `true`, do not resend a single-use
        /// Apple authorization code: ask the user to sign in again.
        info: ErrorInfo,
    },
    /// The request took longer than the configured timeout (`info.request_may_have_reached_server`
    /// is `false` when it hit while connecting).
    Timeout {
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The call was cancelled (Swift `Task`, Kotlin coroutine, or a `CancellationToken`).
    Cancelled {
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The server answered something that is not a valid response (an HTML page, not JSON...).
    UnexpectedResponse {
        /// HTTP status.
        status: i32,
        /// What was wrong.
        problem: ResponseProblem,
        /// The library's message and predicates (`retry_after_seconds` among them).
        info: ErrorInfo,
    },
    /// The DPoP signer (Secure Enclave, Android Keystore, your own) failed or returned
    /// something unusable.
    Signer {
        /// What the signer reported. Developer text; do not show it to users.
        message: String,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The token is bound to another DPoP key than the client's: sign the user in again.
    DpopKeyMismatch {
        /// Thumbprint the token is bound to.
        token_jkt: String,
        /// Thumbprint of the client's key.
        key_jkt: String,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The token is DPoP-bound but the client has no DPoP key.
    DpopKeyMissing {
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// DPoP was used but the server issued an unbound token, and the client refuses those
    /// (the default `UnboundTokenPolicy.Reject`).
    TokenNotBound {
        /// The `token_type` the server returned.
        token_type: String,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The server's response carried an ID token that failed validation; the whole response
    /// was discarded. Not retryable: it points at a misconfiguration (wrong domain or client
    /// id) or an attack. Validation can be turned off in `ClientConfig`.
    IdTokenInvalid {
        /// The check that failed.
        reason: IdTokenProblem,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The credentials manager has no usable credentials: show the sign-in screen
    /// (`is_sign_in_required()`).
    SignInRequired {
        /// Why.
        reason: SignInReason,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// The credential store failed, or holds a record this version cannot read. When saving
    /// renewed tokens failed, the renewal itself did happen at the server.
    CredentialStore {
        /// What is wrong.
        problem: CredentialStoreProblem,
        /// The library's message and predicates.
        info: ErrorInfo,
    },
    /// Another failure of the library (an unusable platform HTTP client, or a kind this
    /// version of the bindings does not know): `info.message` says which.
    Other {
        /// The library's message and predicates.
        info: ErrorInfo,
    },
}

/// What the library computed about an error: its message (the same text as in Rust, never a
/// secret) and the answer of each predicate. The bindings only carry it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorInfo {
    /// The library's message (`Display` in Rust, `description` in Swift, `message` in Kotlin).
    pub message: String,
    /// Whether the same request may succeed later: network failures, timeouts, rate limiting,
    /// server errors. Before resending a single-use Apple code also check
    /// `request_may_have_reached_server`.
    pub is_retryable: bool,
    /// Whether the server may have received (and acted on) the request: when `true`, a
    /// single-use Apple authorization code must be considered spent.
    pub request_may_have_reached_server: bool,
    /// How long the server asked to wait before retrying (`Retry-After`), in seconds.
    pub retry_after_seconds: Option<i64>,
    /// A network failure or a timeout.
    pub is_network_error: bool,
    /// The user must sign in again: the credentials manager has nothing usable
    /// (`SignInRequired`), or the tokens are bound to a DPoP key the client no longer has.
    pub is_sign_in_required: bool,
    /// The user must complete multi-factor authentication: continue with `mfa_token`.
    pub is_mfa_required: bool,
    /// The account or IP is blocked after too many failed attempts (not retryable).
    pub is_too_many_attempts: bool,
    /// The server rate-limited the request (HTTP 429); see `retry_after_seconds`.
    pub is_rate_limited: bool,
    /// The server failed (HTTP 5xx, `server_error`, `temporarily_unavailable`).
    pub is_server_error: bool,
    /// The server demanded a DPoP nonce again after the automatic retry (`use_dpop_nonce`).
    pub is_dpop_nonce_required: bool,
    /// The server rejected the DPoP proof (`invalid_dpop_proof`).
    pub is_invalid_dpop_proof: bool,
    /// The subject token is invalid, expired or already used (`invalid_grant`).
    pub is_invalid_grant: bool,
    /// The request is malformed (`invalid_request`).
    pub is_invalid_request: bool,
    /// The application may not use this grant (`unauthorized_client`).
    pub is_unauthorized_client: bool,
    /// Access was denied (`access_denied`: blocked user, a rule or Action).
    pub is_access_denied: bool,
    /// Token Vault: the user never connected the account at the provider, or the stored token
    /// can no longer be refreshed: send them through connecting it (again).
    pub is_connection_required: bool,
}

impl ErrorInfo {
    /// What the library says about `e`.
    fn of(e: &token_exchange::Error) -> Self {
        let oauth = |predicate: fn(&OAuthError) -> bool| e.oauth().is_some_and(predicate);
        ErrorInfo {
            message: e.to_string(),
            is_retryable: e.is_retryable(),
            request_may_have_reached_server: e.request_may_have_reached_server(),
            retry_after_seconds: e.retry_after().map(seconds),
            is_network_error: e.is_network_error(),
            is_sign_in_required: e.is_sign_in_required(),
            is_mfa_required: oauth(OAuthError::is_mfa_required),
            is_too_many_attempts: oauth(OAuthError::is_too_many_attempts),
            is_rate_limited: oauth(OAuthError::is_rate_limited),
            is_server_error: oauth(OAuthError::is_server_error),
            is_dpop_nonce_required: oauth(OAuthError::is_dpop_nonce_required),
            is_invalid_dpop_proof: oauth(OAuthError::is_invalid_dpop_proof),
            is_invalid_grant: oauth(OAuthError::is_invalid_grant),
            is_invalid_request: oauth(OAuthError::is_invalid_request),
            is_unauthorized_client: oauth(OAuthError::is_unauthorized_client),
            is_access_denied: oauth(OAuthError::is_access_denied),
            is_connection_required: oauth(OAuthError::is_connection_required),
        }
    }
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

/// Which check an ID token failed (`TokenExchangeError.IdTokenInvalid`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum IdTokenProblem {
    /// Not a well-formed JWS with a JSON header and payload.
    Malformed,
    /// The signing algorithm is not allowed (`none`, HS256 for a public client...).
    Algorithm {
        /// The token's `alg`.
        alg: String,
    },
    /// No key of the tenant's JWKS has the token's `kid`, even after fetching the set again.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// A required claim is missing or has the wrong type.
    MissingClaim {
        /// Its name.
        claim: String,
    },
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
    /// `org_id`/`org_name` is missing or not the organization that was requested.
    Organization,
    /// A refreshed ID token is about another user (`sub` changed).
    Subject,
    /// Another check (a kind this version of the bindings does not know).
    Other {
        /// The library's description.
        message: String,
    },
}

/// Why the user must sign in again (`TokenExchangeError.SignInRequired`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SignInReason {
    /// No credentials are stored (never signed in, signed out, or cleared).
    NoCredentials,
    /// The stored tokens expire within the requested time and there is no refresh token to
    /// renew them (`offline_access` was not granted). They are left in the store.
    NoRefreshToken,
    /// The server refused the refresh token (`invalid_grant`: revoked, expired, or reused
    /// after rotation). The store was cleared.
    RefreshTokenRejected {
        /// The OAuth error code (`invalid_grant`).
        code: String,
        /// The server's description, if any.
        description: Option<String>,
    },
    /// Another reason (a kind this version of the bindings does not know).
    Other {
        /// The library's description.
        message: String,
    },
}

/// What is wrong with the credential store (`TokenExchangeError.CredentialStore`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CredentialStoreProblem {
    /// The store failed; its message.
    Failed {
        /// What the store reported.
        message: String,
    },
    /// The record was written by a newer version of the library, in a format this one cannot
    /// read. It is left in place; `CredentialsManager.clear()` removes it.
    UnsupportedVersion {
        /// The record's version.
        version: i64,
    },
    /// The record cannot be read (not a record of this library, or damaged). It is left in
    /// place; `CredentialsManager.clear()` removes it.
    Corrupt,
    /// Another problem (a kind this version of the bindings does not know).
    Other {
        /// The library's description.
        message: String,
    },
}

impl From<token_exchange::IdTokenProblem> for IdTokenProblem {
    fn from(p: token_exchange::IdTokenProblem) -> Self {
        use token_exchange::IdTokenProblem as P;
        match p {
            P::Malformed => IdTokenProblem::Malformed,
            P::Algorithm(alg) => IdTokenProblem::Algorithm { alg },
            P::UnknownKey => IdTokenProblem::UnknownKey,
            P::Signature => IdTokenProblem::Signature,
            P::MissingClaim(claim) => IdTokenProblem::MissingClaim { claim: claim.into() },
            P::Issuer => IdTokenProblem::Issuer,
            P::Audience => IdTokenProblem::Audience,
            P::AuthorizedParty => IdTokenProblem::AuthorizedParty,
            P::Expired => IdTokenProblem::Expired,
            P::IssuedInFuture => IdTokenProblem::IssuedInFuture,
            P::Organization => IdTokenProblem::Organization,
            P::Subject => IdTokenProblem::Subject,
            other => IdTokenProblem::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<token_exchange::SignInReason> for SignInReason {
    fn from(r: token_exchange::SignInReason) -> Self {
        use token_exchange::SignInReason as R;
        match r {
            R::NoCredentials => SignInReason::NoCredentials,
            R::NoRefreshToken => SignInReason::NoRefreshToken,
            R::RefreshTokenRejected(e) => SignInReason::RefreshTokenRejected {
                code: e.code().to_owned(),
                description: e.description().map(str::to_owned),
            },
            other => SignInReason::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<token_exchange::CredentialStoreProblem> for CredentialStoreProblem {
    fn from(p: token_exchange::CredentialStoreProblem) -> Self {
        use token_exchange::CredentialStoreProblem as P;
        match p {
            P::Failed(message) => CredentialStoreProblem::Failed { message },
            P::UnsupportedVersion(version) => CredentialStoreProblem::UnsupportedVersion {
                version: i64::try_from(version).unwrap_or(i64::MAX),
            },
            P::Corrupt => CredentialStoreProblem::Corrupt,
            other => CredentialStoreProblem::Other {
                message: other.to_string(),
            },
        }
    }
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The one conversion from the library's error.
impl From<token_exchange::Error> for TokenExchangeError {
    fn from(e: token_exchange::Error) -> Self {
        use token_exchange::{Error as E, NetworkErrorKind as K, ResponseProblem as P};
        let info = ErrorInfo::of(&e);
        match e {
            E::InvalidInput { field, problem } => TokenExchangeError::InvalidInput {
                field: field.to_owned(),
                problem,
                info,
            },
            E::OAuth(o) => TokenExchangeError::OAuth {
                status: i32::from(o.status()),
                code: o.code().to_owned(),
                description: o.description().map(str::to_owned),
                mfa_token: o.mfa_token().cloned(),
                mfa_challenge_types: o.mfa_requirements().map(|r| r.challenge.clone()).unwrap_or_default(),
                mfa_enroll_types: o.mfa_requirements().map(|r| r.enroll.clone()).unwrap_or_default(),
                dpop_nonce: o.dpop_nonce().map(str::to_owned),
                info,
            },
            E::Network { kind, .. } => TokenExchangeError::Network {
                kind: match kind {
                    K::Connect => NetworkErrorKind::Connect,
                    K::Tls => NetworkErrorKind::Tls,
                    K::ConnectionLost => NetworkErrorKind::ConnectionLost,
                    _ => NetworkErrorKind::Other,
                },
                info,
            },
            E::Timeout { .. } => TokenExchangeError::Timeout { info },
            E::Cancelled => TokenExchangeError::Cancelled { info },
            E::UnexpectedResponse { status, problem, .. } => TokenExchangeError::UnexpectedResponse {
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
                info,
            },
            E::Signer(message) => TokenExchangeError::Signer { message, info },
            E::DpopKeyMismatch { token_jkt, key_jkt } => TokenExchangeError::DpopKeyMismatch {
                token_jkt,
                key_jkt,
                info,
            },
            E::DpopKeyMissing => TokenExchangeError::DpopKeyMissing { info },
            E::TokenNotBound { token_type } => TokenExchangeError::TokenNotBound { token_type, info },
            E::IdTokenInvalid { reason } => TokenExchangeError::IdTokenInvalid {
                reason: reason.into(),
                info,
            },
            E::SignInRequired { reason } => TokenExchangeError::SignInRequired {
                reason: reason.into(),
                info,
            },
            E::CredentialStore { problem } => TokenExchangeError::CredentialStore {
                problem: problem.into(),
                info,
            },
            _ => TokenExchangeError::Other { info },
        }
    }
}

impl TokenExchangeError {
    /// Invalid input found by the bindings themselves (a NULL or non-UTF-8 C argument, a JSON
    /// string that does not parse), made by the library like every other error.
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        token_exchange::Error::InvalidInput {
            field,
            problem: problem.into(),
        }
        .into()
    }

    /// A failure of a foreign DPoP signer or of a key it returned, made by the library like
    /// every other error.
    pub(crate) fn signer(message: impl Into<String>) -> Self {
        token_exchange::Error::Signer(message.into()).into()
    }

    /// What the library computed about this error.
    pub(crate) fn info_ref(&self) -> &ErrorInfo {
        match self {
            TokenExchangeError::InvalidInput { info, .. }
            | TokenExchangeError::OAuth { info, .. }
            | TokenExchangeError::Network { info, .. }
            | TokenExchangeError::Timeout { info }
            | TokenExchangeError::Cancelled { info }
            | TokenExchangeError::UnexpectedResponse { info, .. }
            | TokenExchangeError::Signer { info, .. }
            | TokenExchangeError::DpopKeyMismatch { info, .. }
            | TokenExchangeError::DpopKeyMissing { info }
            | TokenExchangeError::TokenNotBound { info, .. }
            | TokenExchangeError::IdTokenInvalid { info, .. }
            | TokenExchangeError::SignInRequired { info, .. }
            | TokenExchangeError::CredentialStore { info, .. }
            | TokenExchangeError::Other { info } => info,
        }
    }
}

// The predicates as methods, for Swift and Kotlin callers: each reads what the library computed.
#[uniffi::export]
impl TokenExchangeError {
    /// The library's message and predicates.
    pub fn info(&self) -> ErrorInfo {
        self.info_ref().clone()
    }

    /// Whether the same request may succeed later: network failures, timeouts, rate limiting,
    /// server errors. Before resending a single-use Apple code also check
    /// `request_may_have_reached_server`.
    pub fn is_retryable(&self) -> bool {
        self.info_ref().is_retryable
    }

    /// Whether the server may have received (and acted on) the request: when `true`, a
    /// single-use Apple authorization code must be considered spent.
    pub fn request_may_have_reached_server(&self) -> bool {
        self.info_ref().request_may_have_reached_server
    }

    /// How long the server asked to wait before retrying (`Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.info_ref()
            .retry_after_seconds
            .map(|s| Duration::from_secs(s.max(0).unsigned_abs()))
    }

    /// A network failure or a timeout.
    pub fn is_network_error(&self) -> bool {
        self.info_ref().is_network_error
    }

    /// The user must sign in again: the credentials manager has nothing usable
    /// (`SignInRequired`), or the tokens are bound to a DPoP key the client no longer has.
    pub fn is_sign_in_required(&self) -> bool {
        self.info_ref().is_sign_in_required
    }

    /// The user must complete multi-factor authentication: continue with `mfa_token`.
    pub fn is_mfa_required(&self) -> bool {
        self.info_ref().is_mfa_required
    }

    /// The account or IP is blocked after too many failed attempts (not retryable).
    pub fn is_too_many_attempts(&self) -> bool {
        self.info_ref().is_too_many_attempts
    }

    /// The server rate-limited the request (HTTP 429); see `retry_after`.
    pub fn is_rate_limited(&self) -> bool {
        self.info_ref().is_rate_limited
    }

    /// The server failed (HTTP 5xx, `server_error`, `temporarily_unavailable`).
    pub fn is_server_error(&self) -> bool {
        self.info_ref().is_server_error
    }

    /// The server demanded a DPoP nonce again after the automatic retry (`use_dpop_nonce`).
    pub fn is_dpop_nonce_required(&self) -> bool {
        self.info_ref().is_dpop_nonce_required
    }

    /// The server rejected the DPoP proof (`invalid_dpop_proof`).
    pub fn is_invalid_dpop_proof(&self) -> bool {
        self.info_ref().is_invalid_dpop_proof
    }

    /// The subject token is invalid, expired or already used (`invalid_grant`).
    pub fn is_invalid_grant(&self) -> bool {
        self.info_ref().is_invalid_grant
    }

    /// The request is malformed (`invalid_request`).
    pub fn is_invalid_request(&self) -> bool {
        self.info_ref().is_invalid_request
    }

    /// The application may not use this grant (`unauthorized_client`).
    pub fn is_unauthorized_client(&self) -> bool {
        self.info_ref().is_unauthorized_client
    }

    /// Access was denied (`access_denied`: blocked user, a rule or Action).
    pub fn is_access_denied(&self) -> bool {
        self.info_ref().is_access_denied
    }

    /// Token Vault: the user never connected the account at the provider, or the stored token
    /// can no longer be refreshed: send them through connecting it (again).
    pub fn is_connection_required(&self) -> bool {
        self.info_ref().is_connection_required
    }
}

impl fmt::Display for TokenExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.info_ref().message)
    }
}

impl std::error::Error for TokenExchangeError {}
