//! `/emulator/google/...`: the test Google issuer's endpoints (mint ID tokens, rotate the
//! issuer's key) and its public JWKS.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{bad_request, optional_body, rotate_key_ring};
use crate::google::GoogleIdToken;
use crate::tenant::AppState;
use crate::util::requested_secs;

/// `POST /emulator/google/rotate-signing-key`: a new key for the test Google issuer.
pub(super) async fn rotate_signing_key(State(tenant): State<AppState>, body: Bytes) -> Response {
    rotate_key_ring(body, move |key, keep| tenant.google_keys().rotate(key, keep)).await
}

/// `GET /emulator/google/jwks.json`: public keys, served without a credential like Google's.
pub(super) async fn serve_jwks(State(tenant): State<AppState>) -> Response {
    match tokio::task::spawn_blocking(move || tenant.google_keys().jwks()).await {
        Ok(jwks) => Json(jwks).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MintRequest {
    sub: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    aud: Option<String>,
    azp: Option<String>,
    omit: Vec<String>,
    iss: Option<String>,
    nonce: Option<String>,
    expires_in: Option<u64>,
    issued_ago: Option<u64>,
}

pub(super) async fn mint_id_token(State(tenant): State<AppState>, body: Bytes) -> Response {
    let req: MintRequest = match optional_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut token = GoogleIdToken::default();
    if let Some(sub) = req.sub {
        token.sub = sub;
    }
    if req.email.is_some() {
        token.email = req.email;
    }
    if let Some(v) = req.email_verified {
        token.email_verified = v;
    }
    token.name = req.name;
    token.given_name = req.given_name;
    token.family_name = req.family_name;
    token.nonce = req.nonce;
    if let Some(aud) = req.aud {
        token.audience = aud;
    }
    token.authorized_party = req.azp;
    token.omitted_claims = req.omit;
    if let Some(iss) = req.iss {
        token.issuer = iss;
    }
    for (field, value, target) in [
        ("expires_in", req.expires_in, &mut token.expires_in),
        ("issued_ago", req.issued_ago, &mut token.issued_ago),
    ] {
        if let Some(secs) = value {
            match requested_secs(field, secs) {
                Ok(d) => *target = d,
                Err(e) => return bad_request(e),
            }
        }
    }
    let lifetime = token.expires_in.as_secs();
    match tokio::task::spawn_blocking(move || token.mint(tenant.google_keys())).await {
        Ok(id_token) => (
            StatusCode::CREATED,
            Json(json!({"id_token": id_token, "expires_in": lifetime})),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;

    const KEYS: &[&str] = &[
        "sub",
        "email",
        "email_verified",
        "name",
        "aud",
        "azp",
        "omit",
        "iss",
        "nonce",
        "expires_in",
        "issued_ago",
    ];

    proptest::proptest! {
        // Each accepted request signs an RSA token.
        #![proptest_config(support::costly_config())]

        #[test]
        fn prop_any_id_token_request_is_answered(body in support::json_body(KEYS)) {
            let tenant = support::tenant();
            let status = support::block_on(mint_id_token(State(tenant), Bytes::from(body))).status();
            proptest::prop_assert!(status == StatusCode::CREATED || status == StatusCode::BAD_REQUEST, "{status}");
        }
    }
}
