//! `/emulator/token-responses` and `/emulator/management-responses`: queue canned answers for
//! the next `/oauth/token` or `/api/v2/` requests (a 429 with `Retry-After`, a 5xx, HTML...), or
//! drop them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::bad_request;
use crate::faults::CannedResponse;
use crate::tenant::AppState;

/// A canned response from a JSON body; the error is the `400` description.
fn canned_response(body: &[u8]) -> Result<CannedResponse, String> {
    let canned: CannedResponse = serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    canned.validate()?;
    Ok(canned)
}

pub(super) async fn queue_response(State(tenant): State<AppState>, body: Bytes) -> Response {
    let canned = match canned_response(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(e),
    };
    let mut store = tenant.store();
    store.canned.push_back(canned);
    (StatusCode::CREATED, Json(json!({ "queued": store.canned.len() }))).into_response()
}

pub(super) async fn clear_responses(State(tenant): State<AppState>) -> Json<serde_json::Value> {
    let mut store = tenant.store();
    let cleared = store.canned.len();
    store.canned.clear();
    Json(json!({ "cleared": cleared }))
}

pub(super) async fn queue_management_response(State(tenant): State<AppState>, body: Bytes) -> Response {
    let canned = match canned_response(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(e),
    };
    let mut queue = tenant.management_canned.lock().unwrap_or_else(|p| p.into_inner());
    queue.push_back(canned);
    (StatusCode::CREATED, axum::Json(json!({ "queued": queue.len() }))).into_response()
}

pub(super) async fn clear_management_responses(State(tenant): State<AppState>) -> Response {
    let mut queue = tenant.management_canned.lock().unwrap_or_else(|p| p.into_inner());
    let cleared = queue.len();
    queue.clear();
    axum::Json(json!({ "cleared": cleared })).into_response()
}
