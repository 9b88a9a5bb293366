//! `te_code`, `te_error` and the error predicates.

use std::any::Any;
use std::ffi::c_char;
use std::ptr;

use super::{c_string, guard, handle_free};
use crate::error::{NetworkErrorKind, TokenExchangeError};

/// The result of a fallible call. `TE_OK` is 0; every other value names an error kind, with
/// details in the `te_error` the call returned.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum te_code {
    /// Success.
    TE_OK = 0,
    /// An argument is unusable (NULL, not UTF-8, invalid value). Nothing was sent;
    /// `te_error_field` names the parameter.
    TE_ERROR_INVALID_INPUT = 1,
    /// The server refused the request with an OAuth error (`te_error_oauth_code`).
    TE_ERROR_OAUTH = 2,
    /// The network failed (`te_error_network_kind`).
    TE_ERROR_NETWORK = 3,
    /// The request timed out.
    TE_ERROR_TIMEOUT = 4,
    /// The call was cancelled.
    TE_ERROR_CANCELLED = 5,
    /// The server's answer is not a valid response (an HTML page, not JSON...).
    TE_ERROR_UNEXPECTED_RESPONSE = 6,
    /// The DPoP signer failed.
    TE_ERROR_SIGNER = 7,
    /// The token is bound to another DPoP key than the client's.
    TE_ERROR_DPOP_KEY_MISMATCH = 8,
    /// The token is DPoP-bound but the client has no DPoP key.
    TE_ERROR_DPOP_KEY_MISSING = 9,
    /// DPoP was used but the server issued an unbound (bearer) token.
    TE_ERROR_TOKEN_NOT_BOUND = 10,
    /// Another failure of the library (see the message).
    TE_ERROR_OTHER = 11,
    /// A bug in the library (a caught panic). Please report it with the message.
    TE_ERROR_INTERNAL = 12,
    /// The server's response carried an ID token that failed validation (the message names
    /// the check); the whole response was discarded. A misconfiguration (wrong domain or client
    /// id) or an attack: not retryable.
    TE_ERROR_ID_TOKEN_INVALID = 13,
    /// No usable credentials: sign the user in again (`te_error_is_sign_in_required`).
    TE_ERROR_SIGN_IN_REQUIRED = 14,
    /// The credential store failed, or holds a record this version cannot read.
    TE_ERROR_CREDENTIAL_STORE = 15,
}

/// What failed on the network (`te_error_network_kind`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum te_network_kind {
    /// Not a network error.
    TE_NETWORK_NONE = 0,
    /// The connection could not be made (DNS, refused, unreachable).
    TE_NETWORK_CONNECT = 1,
    /// The TLS handshake failed.
    TE_NETWORK_TLS = 2,
    /// The connection broke while the request or response was in flight.
    TE_NETWORK_CONNECTION_LOST = 3,
    /// Another network failure.
    TE_NETWORK_OTHER = 4,
}

/// An error returned by a `te_*` call. Owned by the caller; free it with `te_error_free`.
/// Its message and accessors never return a token, except `te_error_mfa_token`.
pub struct te_error {
    kind: Kind,
}

enum Kind {
    Api(TokenExchangeError),
    Internal(String),
}

impl te_error {
    pub(crate) fn api(e: TokenExchangeError) -> Self {
        te_error { kind: Kind::Api(e) }
    }

    pub(crate) fn internal(payload: &(dyn Any + Send)) -> Self {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        te_error {
            kind: Kind::Internal(format!("internal error in token-exchange: {detail}")),
        }
    }

    pub(crate) fn code(&self) -> te_code {
        let e = match &self.kind {
            Kind::Internal(_) => return te_code::TE_ERROR_INTERNAL,
            Kind::Api(e) => e,
        };
        match e {
            TokenExchangeError::InvalidInput { .. } => te_code::TE_ERROR_INVALID_INPUT,
            TokenExchangeError::OAuth { .. } => te_code::TE_ERROR_OAUTH,
            TokenExchangeError::Network { .. } => te_code::TE_ERROR_NETWORK,
            TokenExchangeError::Timeout { .. } => te_code::TE_ERROR_TIMEOUT,
            TokenExchangeError::Cancelled { .. } => te_code::TE_ERROR_CANCELLED,
            TokenExchangeError::UnexpectedResponse { .. } => te_code::TE_ERROR_UNEXPECTED_RESPONSE,
            TokenExchangeError::Signer { .. } => te_code::TE_ERROR_SIGNER,
            TokenExchangeError::DpopKeyMismatch { .. } => te_code::TE_ERROR_DPOP_KEY_MISMATCH,
            TokenExchangeError::DpopKeyMissing { .. } => te_code::TE_ERROR_DPOP_KEY_MISSING,
            TokenExchangeError::TokenNotBound { .. } => te_code::TE_ERROR_TOKEN_NOT_BOUND,
            TokenExchangeError::IdTokenInvalid { .. } => te_code::TE_ERROR_ID_TOKEN_INVALID,
            TokenExchangeError::SignInRequired { .. } => te_code::TE_ERROR_SIGN_IN_REQUIRED,
            TokenExchangeError::CredentialStore { .. } => te_code::TE_ERROR_CREDENTIAL_STORE,
            TokenExchangeError::Other { .. } => te_code::TE_ERROR_OTHER,
        }
    }

    fn api_error(&self) -> Option<&TokenExchangeError> {
        match &self.kind {
            Kind::Api(e) => Some(e),
            Kind::Internal(_) => None,
        }
    }
}

/// Applies `f` to the error behind `error`, or gives `fallback` for NULL or an internal error.
fn with<T: Copy>(error: *const te_error, fallback: T, f: impl FnOnce(&TokenExchangeError) -> T) -> T {
    guard(fallback, || {
        // SAFETY: the header requires NULL or a live `te_error`.
        match unsafe { error.as_ref() }.and_then(te_error::api_error) {
            Some(e) => f(e),
            None => fallback,
        }
    })
}

/// The error's code; `TE_OK` for NULL.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_code(error: *const te_error) -> te_code {
    guard(te_code::TE_ERROR_INTERNAL, || {
        unsafe { error.as_ref() }.map_or(te_code::TE_OK, te_error::code)
    })
}

/// A description of the error for developers (never contains a token). Free it with
/// `te_string_free`. NULL for a NULL error.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_message(error: *const te_error) -> *mut c_char {
    guard(ptr::null_mut(), || match unsafe { error.as_ref() }.map(|e| &e.kind) {
        Some(Kind::Api(e)) => c_string(Some(&e.to_string())),
        Some(Kind::Internal(m)) => c_string(Some(m)),
        None => ptr::null_mut(),
    })
}

/// For `TE_ERROR_INVALID_INPUT`: the parameter at fault (`subject_token`, `domain`...). Free
/// it with `te_string_free`. NULL for other errors.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_field(error: *const te_error) -> *mut c_char {
    with(error, ptr::null_mut(), |e| match e {
        TokenExchangeError::InvalidInput { field, .. } => c_string(Some(field)),
        _ => ptr::null_mut(),
    })
}

/// The HTTP status of an OAuth error or unexpected response; 0 otherwise.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_http_status(error: *const te_error) -> i32 {
    with(error, 0, |e| match e {
        TokenExchangeError::OAuth { status, .. } | TokenExchangeError::UnexpectedResponse { status, .. } => *status,
        _ => 0,
    })
}

/// For `TE_ERROR_OAUTH`: the OAuth error code (`invalid_grant`...). Free it with
/// `te_string_free`. NULL for other errors.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_oauth_code(error: *const te_error) -> *mut c_char {
    with(error, ptr::null_mut(), |e| match e {
        TokenExchangeError::OAuth { code, .. } => c_string(Some(code)),
        _ => ptr::null_mut(),
    })
}

/// For `TE_ERROR_OAUTH`: the server's description, if any. Free it with `te_string_free`.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_oauth_description(error: *const te_error) -> *mut c_char {
    with(error, ptr::null_mut(), |e| match e {
        TokenExchangeError::OAuth { description, .. } => c_string(description.as_deref()),
        _ => ptr::null_mut(),
    })
}

/// When MFA is required (`te_error_is_mfa_required`): the `mfa_token` to continue with
/// Auth0's MFA API. A SECRET: never log it. Free it with `te_string_free`. NULL otherwise.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_mfa_token(error: *const te_error) -> *mut c_char {
    with(error, ptr::null_mut(), |e| match e {
        TokenExchangeError::OAuth { mfa_token, .. } => c_string(mfa_token.as_ref().map(|t| t.expose())),
        _ => ptr::null_mut(),
    })
}

/// The `Retry-After` the server sent: stores the seconds in `*seconds_out` and returns true,
/// or returns false (leaving `*seconds_out` untouched) when there is none.
///
/// # Safety
/// `error` must be NULL or a live `te_error`; `seconds_out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_retry_after_seconds(error: *const te_error, seconds_out: *mut i64) -> bool {
    with(error, false, |e| {
        match (e.retry_after(), unsafe { seconds_out.as_mut() }) {
            (Some(d), Some(out)) => {
                *out = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                true
            }
            (Some(_), None) => true,
            (None, _) => false,
        }
    })
}

/// For `TE_ERROR_NETWORK`: what failed. `TE_NETWORK_NONE` for other errors.
///
/// # Safety
/// `error` must be NULL or a live `te_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_error_network_kind(error: *const te_error) -> te_network_kind {
    with(error, te_network_kind::TE_NETWORK_NONE, |e| match e {
        TokenExchangeError::Network { kind, .. } => match kind {
            NetworkErrorKind::Connect => te_network_kind::TE_NETWORK_CONNECT,
            NetworkErrorKind::Tls => te_network_kind::TE_NETWORK_TLS,
            NetworkErrorKind::ConnectionLost => te_network_kind::TE_NETWORK_CONNECTION_LOST,
            NetworkErrorKind::Other => te_network_kind::TE_NETWORK_OTHER,
        },
        _ => te_network_kind::TE_NETWORK_NONE,
    })
}

/// `te_error_<predicate>(error)`: one exported function per predicate, each reading what the
/// library computed (`ErrorInfo`); false for NULL and for internal errors.
macro_rules! error_predicates {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// False for NULL and for internal errors.
        ///
        /// # Safety
        /// `error` must be NULL or a live `te_error`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(error: *const te_error) -> bool {
            with(error, false, |e| e.info_ref().$field)
        }
    )*};
}

error_predicates! {
    /// Whether the same request may succeed later (network failure, timeout, rate limiting,
    /// server error). Before resending a single-use Apple code also check
    /// `te_error_request_may_have_reached_server`.
    te_error_is_retryable => is_retryable;

    /// Whether the server may have received the request: when true, a single-use Apple
    /// authorization code must be considered spent (ask the user to sign in again).
    te_error_request_may_have_reached_server => request_may_have_reached_server;

    /// A network failure or a timeout.
    te_error_is_network_error => is_network_error;

    /// The user must sign in again: no usable credentials (`TE_ERROR_SIGN_IN_REQUIRED`), or the
    /// tokens are bound to a DPoP key the client no longer has (`TE_ERROR_DPOP_KEY_MISMATCH`,
    /// `TE_ERROR_DPOP_KEY_MISSING`).
    te_error_is_sign_in_required => is_sign_in_required;

    /// The user must complete MFA: continue with `te_error_mfa_token`.
    te_error_is_mfa_required => is_mfa_required;

    /// The account or IP is blocked after too many failed attempts (not retryable).
    te_error_is_too_many_attempts => is_too_many_attempts;

    /// The server rate-limited the request (HTTP 429); see `te_error_retry_after_seconds`.
    te_error_is_rate_limited => is_rate_limited;

    /// The server failed (HTTP 5xx, `server_error`, `temporarily_unavailable`).
    te_error_is_server_error => is_server_error;

    /// The server demanded a DPoP nonce again after the automatic retry (`use_dpop_nonce`).
    te_error_is_dpop_nonce_required => is_dpop_nonce_required;

    /// The server rejected the DPoP proof (`invalid_dpop_proof`).
    te_error_is_invalid_dpop_proof => is_invalid_dpop_proof;

    /// The subject token is invalid, expired or already used (`invalid_grant`).
    te_error_is_invalid_grant => is_invalid_grant;

    /// The request is malformed (`invalid_request`); with Custom Token Exchange also a subject
    /// token the profile's Action rejected.
    te_error_is_invalid_request => is_invalid_request;

    /// The application may not use this grant (`unauthorized_client`).
    te_error_is_unauthorized_client => is_unauthorized_client;

    /// Access was denied (`access_denied`).
    te_error_is_access_denied => is_access_denied;

    /// Token Vault: the user never connected the account at the provider, or the stored token can
    /// no longer be refreshed (`federated_connection_refresh_token_not_found`): send them through
    /// connecting the account (again).
    te_error_is_connection_required => is_connection_required;
}

handle_free! {
    /// Frees an error. NULL is ignored.
    te_error_free(error: te_error)
}
