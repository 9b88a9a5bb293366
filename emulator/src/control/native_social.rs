//! `/emulator/apple/authorization-codes` and `/emulator/facebook/session-tokens`: mint what
//! native social sign-in hands to an app.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{bad_request, optional_body};
use crate::native_social::{AppleCode, FacebookToken};
use crate::tenant::AppState;
use crate::util::{requested_millis, requested_secs};

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AppleCodeRequest {
    sub: Option<String>,
    email: Option<String>,
    delay_ms: Option<u64>,
    expires_in: Option<u64>,
}

pub(super) async fn apple_code(State(tenant): State<AppState>, body: Bytes) -> Response {
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
    let value = tenant.mint_apple_code(&code);
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

pub(super) async fn facebook_token(State(tenant): State<AppState>, body: Bytes) -> Response {
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
    let value = tenant.mint_facebook_token(&token);
    (
        StatusCode::CREATED,
        Json(json!({ "token": value, "expires_in": token.expires_in.as_secs() })),
    )
        .into_response()
}
