//! Emulator-only control endpoints under `/emulator/...`, the HTTP twin of the
//! [`crate::Emulator`] methods, for the standalone binary (see the README for the contract).
//!
//! Every control endpoint but `GET /health` and the test Google issuer's public JWKS needs
//! `Authorization: Bearer <control secret>` (or a management token of the tenant): a web page
//! the developer visits cannot add that header to a cross-origin request without a CORS
//! preflight, which the emulator never approves, so it cannot drive the emulator.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::faults::CannedResponse;
use crate::social::{AppleCode, FacebookToken, mint_apple_code, mint_facebook_token};
use crate::state::{AppState, Shared};
use crate::util::{requested_millis, requested_secs};

/// The `/emulator` routes (nested by the server).
pub(crate) fn router(shared: AppState) -> Router<AppState> {
    Router::new()
        .route("/apple/authorization-codes", post(apple_code))
        .route("/facebook/session-tokens", post(facebook_token))
        .route("/token-responses", post(queue_response).delete(clear_responses))
        .route("/dpop/rotate-nonces", post(rotate_nonces))
        .route("/brute-force", delete(reset_brute_force))
        .route("/users/{user_id}", get(user))
        .merge(crate::vault::control::router())
        .merge(crate::google::router())
        .merge(crate::management::control_router())
        .route_layer(middleware::from_fn_with_state(shared, require_credential))
        // Added after the layer: public, no credential.
        .route("/health", get(health))
        .route(crate::google::JWKS_SUBPATH, get(crate::google::serve_jwks))
}

/// Whether the request carries the control secret, or a management token of the tenant.
fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match bearer {
        Some(token) if crate::util::secrets_equal(token, &shared.control_secret) => true,
        Some(_) => crate::management::authenticate(shared, headers).is_ok(),
        None => false,
    }
}

/// Refuses control requests without the control credential (`401`, nothing done).
async fn require_credential(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    if authorized(&shared, request.headers()) {
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

fn bad_request(description: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "error_description": description })),
    )
        .into_response()
}

/// Parses an optional JSON body (empty = all defaults); the error is the description.
fn optional_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AppleCodeRequest {
    sub: Option<String>,
    email: Option<String>,
    delay_ms: Option<u64>,
    expires_in: Option<u64>,
}

async fn apple_code(State(shared): State<AppState>, body: Bytes) -> Response {
    let req: AppleCodeRequest = match optional_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut code = AppleCode::default();
    if let Some(sub) = req.sub {
        code.sub = sub;
    }
    code.email = req.email;
    // Checked before anything is stored: an absurd value is a 400, never an overflow.
    match req.delay_ms.map(|ms| requested_millis("delay_ms", ms)).transpose() {
        Ok(delay) => code.delay = delay,
        Err(e) => return bad_request(e),
    }
    if let Some(secs) = req.expires_in {
        match requested_secs("expires_in", secs) {
            Ok(d) => code.expires_in = d,
            Err(e) => return bad_request(e),
        }
    }
    let value = mint_apple_code(&shared, &code);
    (
        StatusCode::CREATED,
        Json(json!({ "code": value, "expires_in": code.expires_in.as_secs() })),
    )
        .into_response()
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FacebookTokenRequest {
    sub: Option<String>,
    email: Option<String>,
    expires_in: Option<u64>,
}

async fn facebook_token(State(shared): State<AppState>, body: Bytes) -> Response {
    let req: FacebookTokenRequest = match optional_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut token = FacebookToken::default();
    if let Some(sub) = req.sub {
        token.sub = sub;
    }
    token.email = req.email;
    if let Some(secs) = req.expires_in {
        match requested_secs("expires_in", secs) {
            Ok(d) => token.expires_in = d,
            Err(e) => return bad_request(e),
        }
    }
    let value = mint_facebook_token(&shared, &token);
    (
        StatusCode::CREATED,
        Json(json!({ "token": value, "expires_in": token.expires_in.as_secs() })),
    )
        .into_response()
}

async fn queue_response(State(shared): State<AppState>, body: Bytes) -> Response {
    let canned: CannedResponse = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(format!("invalid JSON body: {e}")),
    };
    if let Err(e) = canned.validate() {
        return bad_request(e);
    }
    let mut store = shared.store();
    store.canned.push_back(canned);
    (StatusCode::CREATED, Json(json!({ "queued": store.canned.len() }))).into_response()
}

async fn clear_responses(State(shared): State<AppState>) -> Json<serde_json::Value> {
    let mut store = shared.store();
    let cleared = store.canned.len();
    store.canned.clear();
    Json(json!({ "cleared": cleared }))
}

async fn rotate_nonces(State(shared): State<AppState>) -> StatusCode {
    shared.dpop.rotate_nonces();
    StatusCode::NO_CONTENT
}

async fn reset_brute_force(State(shared): State<AppState>) -> StatusCode {
    shared.store().failures.clear();
    StatusCode::NO_CONTENT
}

async fn user(State(shared): State<AppState>, Path(user_id): Path<String>) -> Response {
    match shared.store().users.get(&user_id) {
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
    use crate::proptest_support as support;
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
    ];

    proptest! {
        #![proptest_config(support::config())]

        /// Any body, to every control endpoint that takes one: a 2xx or a 400, never a panic
        /// (an absurd `expires_in` used to panic while holding the store lock).
        #[test]
        fn prop_any_control_body_is_answered(body in support::json_body(KEYS), endpoint in 0..3usize) {
            let shared = support::tenant();
            let body = Bytes::from(body);
            let response = support::block_on(async move {
                match endpoint {
                    0 => apple_code(State(shared), body).await,
                    1 => facebook_token(State(shared), body).await,
                    _ => queue_response(State(shared), body).await,
                }
            });
            let status = response.status();
            prop_assert!(status.is_success() || status == StatusCode::BAD_REQUEST, "{status}");
        }

        #[test]
        fn prop_any_authorization_is_the_control_credential_or_not(
            headers in support::authorization_headers(),
        ) {
            let shared = support::tenant();
            let _ = authorized(&shared, &headers);
            let _ = crate::management::authenticate(&shared, &headers);
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
