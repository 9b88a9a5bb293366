//! Error bodies of the Management API, in Auth0's shape:
//! `{"statusCode": 400, "error": "Bad Request", "message": "...", "errorCode": "invalid_body"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A Management API error response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) error_code: Option<&'static str>,
    /// Extra members (Auth0 sends `attributes` with some 401s).
    pub(crate) extra: Map<String, Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>, error_code: Option<&'static str>) -> Self {
        Self {
            status,
            message: message.into(),
            error_code,
            extra: Map::new(),
        }
    }

    /// 400 `invalid_body`: `Payload validation error: '<what>'[ on property <p> (<description>)].`
    pub(crate) fn payload(what: impl AsRef<str>, property: Option<(&str, &str)>) -> Self {
        let message = match property {
            Some((name, description)) => format!(
                "Payload validation error: '{}' on property {name} ({}).",
                what.as_ref(),
                description.trim_end_matches('.')
            ),
            None => format!("Payload validation error: '{}'.", what.as_ref()),
        };
        Self::new(StatusCode::BAD_REQUEST, message, Some("invalid_body"))
    }

    /// 400 `invalid_body` with a message of its own (rules beyond the JSON schema).
    pub(crate) fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, Some("invalid_body"))
    }

    /// 400 `invalid_query_string`: `Query validation error: '<what>'[ on property <p>].`
    pub(crate) fn query(what: impl AsRef<str>, property: Option<&str>) -> Self {
        let message = match property {
            Some(p) => format!("Query validation error: '{}' on property {p}.", what.as_ref()),
            None => format!("Query validation error: '{}'.", what.as_ref()),
        };
        Self::new(StatusCode::BAD_REQUEST, message, Some("invalid_query_string"))
    }

    /// 401 without a token.
    pub(crate) fn missing_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Missing authentication", None)
    }

    /// 401 with a token that is not a valid management token (`message` says why).
    pub(crate) fn invalid_token(message: &str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, message, None);
        e.extra.insert("attributes".into(), json!({ "error": message }));
        e
    }

    /// 403 `insufficient_scope`.
    pub(crate) fn insufficient_scope(expected: &[&str]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("Insufficient scope, expected any of: {}", expected.join(",")),
            Some("insufficient_scope"),
        )
    }

    /// 404 with the object's `inexistent_*` code.
    pub(crate) fn not_found(message: impl Into<String>, error_code: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, message, Some(error_code))
    }

    /// 409 `conflict`.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message, Some("conflict"))
    }

    /// 500 (e.g. the state file could not be written).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message, None)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("statusCode".into(), json!(self.status.as_u16()));
        body.insert("error".into(), json!(self.status.canonical_reason().unwrap_or("Error")));
        body.insert("message".into(), json!(self.message));
        if let Some(code) = self.error_code {
            body.insert("errorCode".into(), json!(code));
        }
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// The JSON type name z-schema uses in messages (`Expected type string but found type integer`).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_auth0s_shape() {
        let e = ApiError::payload(
            "String is too short (2 chars), minimum 3",
            Some(("name", "Friendly name")),
        );
        assert_eq!(
            e.body(),
            json!({"statusCode": 400, "error": "Bad Request", "errorCode": "invalid_body",
                   "message": "Payload validation error: 'String is too short (2 chars), minimum 3' on property name (Friendly name)."})
        );
        let e = ApiError::insufficient_scope(&["create:token_exchange_profiles"]);
        assert_eq!(
            e.body()["message"],
            "Insufficient scope, expected any of: create:token_exchange_profiles"
        );
        assert_eq!(e.body()["error"], "Forbidden");
        assert_eq!(ApiError::missing_authentication().body().get("errorCode"), None);
        assert_eq!(
            ApiError::invalid_token("Invalid token").body()["attributes"]["error"],
            "Invalid token"
        );
        assert_eq!(json_type(&json!(1)), "integer");
        assert_eq!(json_type(&json!(1.5)), "number");
    }
}
