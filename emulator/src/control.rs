//! Emulator-only control endpoints under `/emulator/...`, the HTTP twin of the
//! [`crate::Emulator`] methods, for the standalone binary (see the README for the contract).

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::faults::CannedResponse;
use crate::social::{AppleCode, FacebookToken, mint_apple_code, mint_facebook_token};
use crate::state::AppState;

/// The `/emulator` routes (nested by the server).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/apple/authorization-codes", post(apple_code))
        .route("/facebook/session-tokens", post(facebook_token))
        .route("/token-responses", post(queue_response).delete(clear_responses))
        .route("/dpop/rotate-nonces", post(rotate_nonces))
        .route("/brute-force", delete(reset_brute_force))
        .route("/users/{user_id}", get(user))
        .merge(crate::vault::control::router())
        .merge(crate::google::router())
        .merge(crate::management::control_router())
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
    code.delay = req.delay_ms.map(Duration::from_millis);
    if let Some(secs) = req.expires_in {
        code.expires_in = Duration::from_secs(secs);
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
        token.expires_in = Duration::from_secs(secs);
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
