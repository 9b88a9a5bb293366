//! Emulator-only control endpoints under `/emulator/...`, the HTTP twin of the
//! [`crate::Emulator`] methods, for the standalone binary (see the README for the contract).
//!
//! Every control endpoint but `GET /health` and the test Google issuer's public JWKS needs
//! `Authorization: Bearer <control secret>` (or a management token of the tenant): a web page
//! the developer visits cannot add that header to a cross-origin request without a CORS
//! preflight, which the emulator never approves, so it cannot drive the emulator.

mod faults;
mod google;
mod native_social;
mod token_vault;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::access_tokens;
use crate::config::EmulatorConfig;
use crate::errors::EmulatorError;
use crate::jose::Signer;
use crate::tenant::{AppState, Tenant};

/// The `/emulator` routes (nested by the server).
pub(crate) fn router(tenant: AppState) -> Router<AppState> {
    Router::new()
        .route("/apple/authorization-codes", post(native_social::apple_code))
        .route("/facebook/session-tokens", post(native_social::facebook_token))
        .route(
            "/token-responses",
            post(faults::queue_response).delete(faults::clear_responses),
        )
        .route(
            "/management-responses",
            post(faults::queue_management_response).delete(faults::clear_management_responses),
        )
        .route("/dpop/rotate-nonces", post(rotate_nonces))
        .route("/rotate-signing-key", post(rotate_signing_key))
        .route("/brute-force", delete(reset_brute_force))
        .route("/users/{user_id}", get(user))
        .route("/google/id-tokens", post(google::mint_id_token))
        .route("/google/rotate-signing-key", post(google::rotate_signing_key))
        .route("/vault/connect", post(token_vault::connect))
        .route("/vault/revoke", post(token_vault::revoke))
        .route("/vault/enable-connection", post(token_vault::enable_connection))
        .route("/vault/stats", get(token_vault::stats))
        .route("/vault/accounts/{user_id}", get(token_vault::accounts))
        .route_layer(middleware::from_fn_with_state(tenant, require_credential))
        // Added after the layer: public, no credential.
        .route("/health", get(health))
        .route("/google/jwks.json", get(google::serve_jwks))
}

/// Checks a configured control secret: something a client can send in a header.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    match &config.control_secret {
        Some(secret) if secret.is_empty() || !secret.chars().all(|c| c.is_ascii_graphic()) => Err(
            EmulatorError::InvalidConfig("control_secret must be non-empty printable ASCII without spaces".into()),
        ),
        _ => Ok(()),
    }
}

/// Whether the request carries the control secret, or a management token of the tenant.
fn authorized(tenant: &Tenant, headers: &HeaderMap) -> bool {
    match access_tokens::bearer(headers) {
        Ok(token) if crate::util::secrets_equal(token, &tenant.control_secret) => true,
        Ok(_) => access_tokens::management_token(tenant, headers).is_ok(),
        Err(_) => false,
    }
}

/// Refuses control requests without the control credential (`401`, nothing done).
async fn require_credential(State(tenant): State<AppState>, request: Request, next: Next) -> Response {
    if authorized(&tenant, request.headers()) {
        return next.run(request).await;
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "error": "unauthorized",
            "error_description": "The control API needs Authorization: Bearer <control_secret> (printed at start; \
                                  Emulator::control_secret) or a management token",
        })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer realm="token-exchange-emulator control API""#),
    );
    response
}

/// `400 invalid_request` with `description`.
fn bad_request(description: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "error_description": description.into() })),
    )
        .into_response()
}

/// Parses a JSON body; the error is the `400` description.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

/// Parses an optional JSON body (empty = all defaults); the error is the description.
fn optional_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json_body(body)
}

/// The body of the key rotation endpoints.
#[derive(Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RotateRequest {
    /// Keep publishing (and accepting) the previous keys (default `true`).
    keep_previous: Option<bool>,
}

/// Rotates a key ring with `rotate(new key, keep_previous)` (key generation runs on a blocking
/// thread); answers `{"kid": "<new kid>"}`.
async fn rotate_key_ring(
    body: axum::body::Bytes,
    rotate: impl FnOnce(Signer, bool) -> String + Send + 'static,
) -> Response {
    let req: RotateRequest = match optional_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let keep = req.keep_previous.unwrap_or(true);
    let rotated = tokio::task::spawn_blocking(move || Signer::new(None, true).map(|key| rotate(key, keep))).await;
    match rotated {
        Ok(Ok(kid)) => Json(json!({ "kid": kid })).into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `POST /emulator/rotate-signing-key`: a new tenant signing key (a new `kid` in the JWKS).
async fn rotate_signing_key(State(tenant): State<AppState>, body: axum::body::Bytes) -> Response {
    rotate_key_ring(body, move |key, keep| tenant.signer.rotate(key, keep)).await
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn rotate_nonces(State(tenant): State<AppState>) -> StatusCode {
    crate::dpop::rotate_nonces(&tenant);
    StatusCode::NO_CONTENT
}

async fn reset_brute_force(State(tenant): State<AppState>) -> StatusCode {
    tenant.store().failures.clear();
    StatusCode::NO_CONTENT
}

async fn user(State(tenant): State<AppState>, Path(user_id): Path<String>) -> Response {
    match tenant.store().users.get(&user_id) {
        Some(u) => Json(u.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "error_description": "The user does not exist." })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::CannedResponse;
    use crate::proptest_support as support;
    use axum::body::Bytes;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "sub",
        "email",
        "delay_ms",
        "expires_in",
        "status",
        "content_type",
        "headers",
        "body",
        "Retry-After",
        "user_id",
        "connection",
        "scopes",
        "access_token_lifetime_secs",
        "login_hint",
        "client_id",
        "keep_previous",
    ];

    proptest! {
        #![proptest_config(support::config())]

        /// Any body, to every control endpoint that takes one: a 2xx or a 400, never a panic
        /// (an absurd `expires_in` used to panic while holding the store lock).
        #[test]
        fn prop_any_control_body_is_answered(body in support::json_body(KEYS), endpoint in 0..7usize) {
            let tenant = support::tenant();
            let body = Bytes::from(body);
            let response = support::block_on(async move {
                match endpoint {
                    0 => native_social::apple_code(State(tenant), body).await,
                    1 => native_social::facebook_token(State(tenant), body).await,
                    2 => faults::queue_response(State(tenant), body).await,
                    3 => faults::queue_management_response(State(tenant), body).await,
                    4 => token_vault::connect(State(tenant), body).await,
                    5 => token_vault::revoke(State(tenant), body).await,
                    _ => token_vault::enable_connection(State(tenant), body).await,
                }
            });
            let status = response.status();
            // 404: a revoke that found nothing to revoke.
            prop_assert!(
                status.is_success() || status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
                "{status}"
            );
        }

        #[test]
        fn prop_any_authorization_is_the_control_credential_or_not(
            headers in support::authorization_headers(),
        ) {
            let tenant = support::tenant();
            let _ = authorized(&tenant, &headers);
            let _ = access_tokens::management_token(&tenant, &headers);
        }
    }

    #[test]
    fn queued_canned_responses_become_responses() {
        // Everything validate() accepts can be sent.
        let canned = CannedResponse::new(599).header("x-y", "z");
        assert!(canned.validate().is_ok());
        assert_eq!(canned.into_response().status().as_u16(), 599);
    }
}
