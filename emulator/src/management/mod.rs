//! The Management API (`/api/v2/`): token exchange profiles, resource servers (APIs),
//! clients (applications) and client grants, protected by management tokens.
//!
//! A management token is an RS256 access token this emulator issued for the audience
//! `{base_url}/api/v2/` (client credentials grant of a client that has a client grant for
//! that audience, or `Emulator::management_token`). Each endpoint needs one scope (e.g.
//! `create:token_exchange_profiles`). Errors use Auth0's Management API body
//! ([`errors::ApiError`]). Every change is written to the state file, if one is configured,
//! before it takes effect ([`change`]).

mod client_grants;
mod clients;
mod errors;
mod resource_servers;
mod schema;
mod token_exchange_profiles;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use errors::ApiError;

use crate::access_tokens::{self, TokenProblem};
use crate::config::EmulatorConfig;
use crate::errors::EmulatorError;
use crate::tenant::{AppState, Registry, Tenant};
use crate::util::random_token;

/// Checks the configured client grants and token exchange profiles with the API's rules.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    client_grants::validate_config_grants(config)?;
    token_exchange_profiles::validate_config_profiles(&config.token_exchange_profiles)
}

/// The `/api/v2` routes (nested by the server).
pub(crate) fn router(tenant: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/token-exchange-profiles",
            get(token_exchange_profiles::list).post(token_exchange_profiles::create),
        )
        .route(
            "/token-exchange-profiles/{id}",
            get(token_exchange_profiles::get_one)
                .patch(token_exchange_profiles::update)
                .delete(token_exchange_profiles::delete),
        )
        .route(
            "/resource-servers",
            get(resource_servers::list).post(resource_servers::create),
        )
        .route("/resource-servers/{id}", get(resource_servers::get_one))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::get_one).patch(clients::update))
        .route("/client-grants", get(client_grants::list).post(client_grants::create))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(tenant, canned_first))
}

/// Sends a queued canned response instead of processing the request, if there is one and
/// the request carries a valid management token (so that no one without a token can see or
/// use up the queue).
async fn canned_first(State(tenant): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(e) = authenticate(&tenant, request.headers()) {
        return e.into_response();
    }
    let canned = tenant
        .management_canned
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop_front();
    match canned {
        Some(c) => c.into_response(),
        None => next.run(request).await,
    }
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found", None).into_response()
}

/// A handler's result as a response.
pub(crate) fn respond(result: Result<(StatusCode, Value), ApiError>) -> Response {
    match result {
        Ok((StatusCode::NO_CONTENT, _)) => StatusCode::NO_CONTENT.into_response(),
        Ok((status, body)) => (status, axum::Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Checks the bearer management token (this tenant's, for its Management API, unexpired,
/// not DPoP-bound) and returns its claims; the error is Auth0's answer.
pub(crate) fn authenticate(tenant: &Tenant, headers: &HeaderMap) -> Result<Value, ApiError> {
    access_tokens::management_token(tenant, headers).map_err(|problem| match problem {
        TokenProblem::Missing => ApiError::missing_authentication(),
        TokenProblem::Malformed => ApiError::invalid_token("Bad HTTP authentication header format"),
        TokenProblem::Invalid => ApiError::invalid_token("Invalid token"),
        TokenProblem::WrongAudience => ApiError::invalid_token("Bad audience"),
        TokenProblem::Expired => ApiError::invalid_token("Expired token received for JSON Web Token validation"),
    })
}

/// Checks the bearer management token and that it has one of `scopes`.
pub(crate) fn authorize(tenant: &Tenant, headers: &HeaderMap, scopes: &[&str]) -> Result<(), ApiError> {
    let claims = authenticate(tenant, headers)?;
    let granted = claims.get("scope").and_then(Value::as_str).unwrap_or_default();
    if granted.split_whitespace().any(|s| scopes.contains(&s)) {
        Ok(())
    } else {
        Err(ApiError::insufficient_scope(scopes))
    }
}

/// Signs a management token for `client_id` with `scopes`, valid `lifetime_secs`.
pub(crate) fn mint_token(tenant: &Tenant, client_id: &str, scopes: &[String], lifetime_secs: u64) -> String {
    let now = tenant.now_secs();
    tenant.signer.sign(
        "JWT",
        &json!({
            "iss": tenant.issuer(),
            "sub": format!("{client_id}@clients"),
            "aud": tenant.management_api(),
            "iat": now,
            "exp": now.saturating_add(lifetime_secs),
            "scope": scopes.join(" "),
            "gty": "client-credentials",
            "azp": client_id,
            "jti": random_token(16),
        }),
    )
}

/// Applies a change to the tenant and saves it to the state file; a failed save is the
/// request's `500` and leaves the tenant unchanged (so a retry creates no duplicate).
pub(crate) fn change<T>(
    tenant: &Tenant,
    change: impl FnOnce(&mut Registry) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    crate::persist::update_registry(tenant, change, |e| {
        ApiError::internal(format!("Could not write the state file: {e}"))
    })
}
