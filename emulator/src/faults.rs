//! Fault injection: canned responses that replace the token endpoint's next answers, so client
//! tests can see 429s, 5xx, HTML, non-JSON and oversized bodies on demand.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A response the token endpoint sends instead of processing the request (see
/// [`crate::Emulator::inject_token_response`]). It is sent exactly as given: no
/// `Cache-Control` or `DPoP-Nonce` is added.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponse {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` header, if any.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Further headers (e.g. `Retry-After`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body, sent verbatim.
    #[serde(default)]
    pub body: String,
}

impl CannedResponse {
    /// A response with `status`, no content type and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            headers: BTreeMap::new(),
            body: String::new(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            content_type: Some("application/json".to_owned()),
            body: body.to_string(),
            ..Self::new(status)
        }
    }

    /// An Auth0 error in the `{"error","error_description"}` shape.
    pub fn oauth_error(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            &serde_json::json!({"error": error, "error_description": description}),
        )
    }

    /// An Auth0 error in the older `{"code","description"}` shape.
    pub fn code_description_error(status: u16, code: &str, description: &str) -> Self {
        Self::json(status, &serde_json::json!({"code": code, "description": description}))
    }

    /// `429 Too Many Requests` with `Retry-After: <secs>` and Auth0's `too_many_requests` body.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::oauth_error(429, "too_many_requests", "Global limit has been reached")
            .header("Retry-After", retry_after_secs.to_string())
    }

    /// An HTML page (as a proxy or load balancer would send).
    pub fn html(status: u16, html: impl Into<String>) -> Self {
        Self {
            content_type: Some("text/html; charset=utf-8".to_owned()),
            body: html.into(),
            ..Self::new(status)
        }
    }

    /// A plain-text body.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            content_type: Some("text/plain; charset=utf-8".to_owned()),
            body: text.into(),
            ..Self::new(status)
        }
    }

    /// A `200` JSON-typed body of `size` bytes (a JSON string padded with `a`s), for testing
    /// response size limits.
    pub fn huge(size: usize) -> Self {
        let padding = size.saturating_sub(2);
        Self {
            content_type: Some("application/json".to_owned()),
            body: format!("\"{}\"", "a".repeat(padding)),
            ..Self::new(200)
        }
    }

    /// A Management API error in Auth0's shape (`{"statusCode","error","message","errorCode"}`),
    /// e.g. for [`crate::Emulator::inject_management_response`].
    pub fn management_error(status: u16, message: &str, error_code: Option<&str>) -> Self {
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let mut body = serde_json::json!({"statusCode": status, "error": reason, "message": message});
        if let Some(code) = error_code {
            body["errorCode"] = serde_json::json!(code);
        }
        Self::json(status, &body)
    }

    /// Auth0's Management API rate-limit answer: `429` with `Retry-After` and the
    /// `X-RateLimit-*` headers.
    pub fn management_rate_limited(retry_after_secs: u64) -> Self {
        let reset = crate::util::now_secs().saturating_add(retry_after_secs);
        Self::management_error(429, "Global limit has been reached", Some("too_many_requests"))
            .header("Retry-After", retry_after_secs.to_string())
            .header("X-RateLimit-Limit", "50")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", reset.to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Checks that status and headers are valid HTTP.
    pub(crate) fn validate(&self) -> Result<(), String> {
        StatusCode::from_u16(self.status).map_err(|_| format!("invalid status {}", self.status))?;
        if let Some(ct) = &self.content_type {
            HeaderValue::from_str(ct).map_err(|_| "invalid content_type".to_owned())?;
        }
        for (name, value) in &self.headers {
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name {name:?}"))?;
            HeaderValue::from_str(value).map_err(|_| format!("invalid value of header {name}"))?;
        }
        Ok(())
    }
}

impl IntoResponse for CannedResponse {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        if let Some(ct) = self.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::CONTENT_TYPE, ct);
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                headers.append(n, v);
            }
        }
        response
    }
}
