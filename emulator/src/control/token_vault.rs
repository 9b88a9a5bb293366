//! Control endpoints of the Token Vault under `/emulator/vault/...`, the HTTP twins of
//! `Emulator::connect_account` and friends (see the README's Token Vault section).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{bad_request, json_body};
use crate::config::DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS;
use crate::tenant::AppState;
use crate::tenant::token_vault::{ConnectAccount, ConnectedAccount, VaultError};
use crate::util::requested_secs;

fn vault_error(e: &VaultError) -> Response {
    bad_request(e.to_string())
}

/// JSON of a connected account (no token values).
pub(crate) fn account_json(a: &ConnectedAccount) -> serde_json::Value {
    json!({
        "user_id": a.user_id,
        "connection": a.connection,
        "login_hint": a.login_hint,
        "scopes": a.scopes,
        "expires_in": a.expires_in,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectRequest {
    user_id: String,
    connection: String,
    #[serde(default)]
    scopes: Vec<String>,
    access_token_lifetime_secs: Option<u64>,
    login_hint: Option<String>,
}

pub(super) async fn connect(State(tenant): State<AppState>, body: Bytes) -> Response {
    let req: ConnectRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let lifetime = req
        .access_token_lifetime_secs
        .unwrap_or(DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS);
    let access_token_lifetime = match requested_secs("access_token_lifetime_secs", lifetime) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
    };
    let request = ConnectAccount {
        user_id: req.user_id,
        connection: req.connection,
        scopes: req.scopes,
        access_token_lifetime,
        login_hint: req.login_hint,
    };
    match tenant.vault.connect(&request) {
        Ok(account) => (StatusCode::CREATED, Json(account_json(&account))).into_response(),
        Err(e) => vault_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    user_id: String,
    connection: String,
    login_hint: Option<String>,
}

pub(super) async fn revoke(State(tenant): State<AppState>, body: Bytes) -> Response {
    let req: RevokeRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    match tenant
        .vault
        .revoke(&req.user_id, &req.connection, req.login_hint.as_deref())
    {
        0 => (
            StatusCode::NOT_FOUND,
            Json(
                json!({ "error": "not_found", "error_description": "No connected account with a live refresh token." }),
            ),
        )
            .into_response(),
        n => Json(json!({ "revoked": n })).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnableRequest {
    connection: String,
    client_id: String,
}

pub(super) async fn enable_connection(State(tenant): State<AppState>, body: Bytes) -> Response {
    let req: EnableRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    match tenant.vault.enable_connection(&req.connection, &req.client_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => vault_error(&e),
    }
}

pub(super) async fn stats(State(tenant): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "exchanges": tenant.vault.exchange_count(),
        "provider_refreshes": tenant.vault.refresh_count(),
    }))
}

pub(super) async fn accounts(State(tenant): State<AppState>, Path(user_id): Path<String>) -> Json<serde_json::Value> {
    let accounts: Vec<_> = tenant.vault.accounts_of(&user_id).iter().map(account_json).collect();
    Json(json!({ "accounts": accounts }))
}
