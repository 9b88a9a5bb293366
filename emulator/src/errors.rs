//! Errors: the crate's own [`EmulatorError`] and the Auth0-shaped OAuth error responses
//! (`{"error": "...", "error_description": "..."}`) the endpoints answer with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::util::MAX_LIFETIME_SECS;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The configuration is contradictory or unreadable.
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),
    /// The listening socket could not be bound.
    #[error("cannot bind the emulator's socket: {0}")]
    Bind(#[from] std::io::Error),
    /// The signing key could not be loaded or generated.
    #[error("signing key error: {0}")]
    Key(String),
}

/// Checks configured lifetimes (`(name, seconds)`) against [`MAX_LIFETIME_SECS`].
pub(crate) fn check_lifetimes(lifetimes: &[(&str, u64)]) -> Result<(), EmulatorError> {
    match lifetimes.iter().find(|(_, secs)| *secs > MAX_LIFETIME_SECS) {
        Some((name, _)) => Err(EmulatorError::InvalidConfig(format!(
            "{name} must be at most {MAX_LIFETIME_SECS} seconds"
        ))),
        None => Ok(()),
    }
}

/// An OAuth error response in Auth0's shape. Descriptions never contain token values.
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
    /// Extra members of the body (e.g. `mfa_token`).
    pub(crate) extra: Map<String, Value>,
    /// Counts as a failed attempt for brute-force protection (besides `invalid_grant`), e.g.
    /// an Action's `api.access.rejectInvalidSubjectToken`.
    pub(crate) failed_attempt: bool,
}

impl OAuthError {
    pub(crate) fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            extra: Map::new(),
            failed_attempt: false,
        }
    }

    /// 400 `invalid_request`.
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 400 `invalid_request` for an absent (or empty) parameter.
    pub(crate) fn missing(parameter: &str) -> Self {
        Self::invalid_request(format!("Missing required parameter: {parameter}"))
    }

    /// 400 `unsupported_grant_type`.
    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("Unsupported grant type: {grant_type}"),
        )
    }

    /// 401 `invalid_client`.
    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 403 `unauthorized_client`.
    pub(crate) fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "unauthorized_client", description)
    }

    /// 403 `access_denied`.
    pub(crate) fn access_denied(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", description)
    }

    /// 403 `invalid_scope`.
    pub(crate) fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_scope", description)
    }

    /// 403 `invalid_grant`.
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_grant", description)
    }

    /// 403 `mfa_required` with the `mfa_token` and `mfa_requirements` members.
    pub(crate) fn mfa_required(mfa_token: String) -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "mfa_required",
            "Multifactor authentication required",
        );
        e.extra.insert("mfa_token".into(), Value::String(mfa_token));
        e.extra.insert(
            "mfa_requirements".into(),
            serde_json::json!({ "challenge": [{ "type": "otp" }] }),
        );
        e
    }

    /// 429 `too_many_attempts`.
    pub(crate) fn too_many_attempts() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "We have detected suspicious login behavior and further attempts will be blocked. \
             Please contact the administrator.",
        )
    }

    /// 400 `invalid_dpop_proof`.
    pub(crate) fn invalid_dpop_proof(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    /// 400 `use_dpop_nonce`.
    pub(crate) fn use_dpop_nonce(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "use_dpop_nonce", description)
    }

    /// 500 `server_error` (an Action failed or misbehaved).
    pub(crate) fn server_error(description: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", description)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.error.into()));
        body.insert("error_description".into(), Value::String(self.description.clone()));
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        no_store(&mut response);
        response
    }
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub(crate) fn no_store(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
