//! The Management API (`/api/v2/`): token exchange profiles, resource servers (APIs),
//! clients (applications) and client grants, protected by management tokens.
//!
//! A management token is an RS256 access token this emulator issued for the audience
//! `{base_url}/api/v2/` (client credentials grant of a client that has a client grant for
//! that audience, or [`crate::Emulator::management_token`]). Each endpoint needs one scope
//! (e.g. `create:token_exchange_profiles`). Errors use Auth0's Management API body
//! ([`errors::ApiError`]). Every change is written to the state file, if one is configured.

mod client_grants;
mod clients;
pub(crate) mod errors;
mod profiles;
mod resource_servers;
mod schema;

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};

pub use client_grants::ClientGrantConfig;
pub(crate) use client_grants::{client_grant_scopes, prepare_config_grants, validate_config_grants};
use errors::ApiError;
pub use profiles::{DEFAULT_PROFILE_NAME, PROFILE_TYPE_CUSTOM_AUTHENTICATION, TokenExchangeProfileConfig};
pub(crate) use profiles::{prepare_config_profiles, profile_for, validate_config_profiles};

use crate::faults::CannedResponse;
use crate::state::{AppState, Registry, Shared};
use crate::util::{now_secs, random_token};

/// Placeholder for this tenant's Management API audience in configuration (client grants):
/// replaced by `{base_url}/api/v2/` of the running emulator.
pub const MANAGEMENT_API_AUDIENCE_PLACEHOLDER: &str = "{base_url}/api/v2/";

/// Every scope the emulated Management API checks.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:token_exchange_profiles",
    "create:token_exchange_profiles",
    "update:token_exchange_profiles",
    "delete:token_exchange_profiles",
    "read:resource_servers",
    "create:resource_servers",
    "read:clients",
    "create:clients",
    "update:clients",
    "read:client_grants",
    "create:client_grants",
];

/// Lifetime of [`crate::Emulator::management_token`] tokens: 30 days.
pub const MANAGEMENT_TOKEN_LIFETIME_SECS: u64 = 30 * 24 * 3600;

/// Mutable state of the Management API that is not tenant data.
#[derive(Debug, Default)]
pub(crate) struct ManagementState {
    /// Canned responses for the next `/api/v2/` requests (FIFO).
    pub(crate) canned: Mutex<VecDeque<CannedResponse>>,
}

/// `{base_url}/api/v2/`, the Management API audience.
pub(crate) fn audience(shared: &Shared) -> String {
    format!("{}/api/v2/", shared.base_url)
}

/// The `/api/v2` routes (nested by the server).
pub(crate) fn router(shared: AppState) -> Router<AppState> {
    Router::new()
        .route("/token-exchange-profiles", get(profiles::list).post(profiles::create))
        .route(
            "/token-exchange-profiles/{id}",
            get(profiles::get_one).patch(profiles::update).delete(profiles::delete),
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
        .layer(middleware::from_fn_with_state(shared, canned_first))
}

/// Sends a queued canned response instead of processing the request, if there is one and
/// the request carries a valid management token (so that no one without a token can see or
/// use up the queue).
async fn canned_first(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(e) = authenticate(&shared, request.headers()) {
        return e.into_response();
    }
    let canned = shared
        .management
        .canned
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
/// not DPoP-bound) and returns its claims.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Value, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::missing_authentication());
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::invalid_token("Bad HTTP authentication header format"))?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => token.trim(),
        _ => return Err(ApiError::invalid_token("Bad HTTP authentication header format")),
    };
    let claims = shared
        .signer
        .verify(token)
        .ok_or_else(|| ApiError::invalid_token("Invalid token"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(shared.issuer().as_str()) || claims.get("cnf").is_some() {
        return Err(ApiError::invalid_token("Invalid token"));
    }
    let expected = audience(shared);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == expected,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(expected.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(ApiError::invalid_token("Bad audience"));
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp <= shared.now_secs() {
        return Err(ApiError::invalid_token(
            "Expired token received for JSON Web Token validation",
        ));
    }
    Ok(claims)
}

/// Checks the bearer management token and that it has one of `scopes`.
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap, scopes: &[&str]) -> Result<(), ApiError> {
    let claims = authenticate(shared, headers)?;
    let granted = claims.get("scope").and_then(Value::as_str).unwrap_or_default();
    if granted.split_whitespace().any(|s| scopes.contains(&s)) {
        Ok(())
    } else {
        Err(ApiError::insufficient_scope(scopes))
    }
}

/// Signs a management token for `client_id` with `scopes`, valid `lifetime_secs`.
pub(crate) fn mint_token(shared: &Shared, client_id: &str, scopes: &[String], lifetime_secs: u64) -> String {
    let now = shared.now_secs();
    shared.signer.sign(
        "JWT",
        &json!({
            "iss": shared.issuer(),
            "sub": format!("{client_id}@clients"),
            "aud": audience(shared),
            "iat": now,
            "exp": now + lifetime_secs,
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
    shared: &Shared,
    change: impl FnOnce(&mut Registry) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    crate::persist::update_registry(shared, change, |e| {
        ApiError::internal(format!("Could not write the state file: {e}"))
    })
}

/// `/emulator/management-responses`: queue canned answers for the next `/api/v2/` requests
/// (e.g. a 429 with `Retry-After`), or drop them (merged into the control router).
pub(crate) fn control_router() -> Router<AppState> {
    Router::new().route(
        "/management-responses",
        axum::routing::post(queue_canned).delete(clear_canned),
    )
}

async fn queue_canned(State(shared): State<AppState>, body: axum::body::Bytes) -> Response {
    let bad = |d: String| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_request", "error_description": d})),
        )
            .into_response()
    };
    let canned: CannedResponse = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad(format!("invalid JSON body: {e}")),
    };
    if let Err(e) = canned.validate() {
        return bad(e);
    }
    let mut queue = shared.management.canned.lock().unwrap_or_else(|p| p.into_inner());
    queue.push_back(canned);
    (StatusCode::CREATED, axum::Json(json!({ "queued": queue.len() }))).into_response()
}

async fn clear_canned(State(shared): State<AppState>) -> Response {
    let mut queue = shared.management.canned.lock().unwrap_or_else(|p| p.into_inner());
    let cleared = queue.len();
    queue.clear();
    axum::Json(json!({ "cleared": cleared })).into_response()
}

impl CannedResponse {
    /// A Management API error in Auth0's shape (`{"statusCode","error","message","errorCode"}`),
    /// e.g. for [`crate::Emulator::inject_management_response`].
    pub fn management_error(status: u16, message: &str, error_code: Option<&str>) -> Self {
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let mut body = json!({"statusCode": status, "error": reason, "message": message});
        if let Some(code) = error_code {
            body["errorCode"] = json!(code);
        }
        Self::json(status, &body)
    }

    /// Auth0's Management API rate-limit answer: `429` with `Retry-After` and the
    /// `X-RateLimit-*` headers.
    pub fn management_rate_limited(retry_after_secs: u64) -> Self {
        let reset = now_secs() + retry_after_secs;
        Self::management_error(429, "Global limit has been reached", Some("too_many_requests"))
            .header("Retry-After", retry_after_secs.to_string())
            .header("X-RateLimit-Limit", "50")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", reset.to_string())
    }
}

impl crate::Emulator {
    /// A management token (audience `{base_url}/api/v2/`, every Management API scope, valid
    /// 30 days), for `Authorization: Bearer` at `/api/v2/`.
    pub fn management_token(&self) -> String {
        let scopes: Vec<String> = MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        mint_token(self.shared(), "emulator-admin", &scopes, MANAGEMENT_TOKEN_LIFETIME_SECS)
    }

    /// `{base_url}/api/v2/`: the Management API's base URL and token audience.
    pub fn management_api(&self) -> String {
        audience(self.shared())
    }

    /// Queues a canned response: the next request to `/api/v2/` gets it instead of normal
    /// processing (FIFO). See [`CannedResponse::management_rate_limited`] and
    /// [`CannedResponse::management_error`].
    pub fn inject_management_response(&self, response: CannedResponse) {
        self.shared()
            .management
            .canned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(response);
    }

    /// The token exchange profiles, in creation order.
    pub fn token_exchange_profiles(&self) -> Vec<TokenExchangeProfileConfig> {
        self.shared().registry().profiles.clone()
    }

    /// The client with this id as registered now (configured or created through the API).
    pub fn client(&self, client_id: &str) -> Option<crate::ClientConfig> {
        self.shared().client(client_id).map(|c| crate::ClientConfig::clone(&c))
    }
}

/// `n` random ASCII letters and digits.
pub(crate) fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut buf = [0u8; 32];
        OsRng.fill_bytes(&mut buf);
        // 248 = 4 * 62: rejecting larger bytes keeps the choice uniform.
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| ALPHABET[(*b % 62) as usize] as char)
                .take(n - out.len()),
        );
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a time in milliseconds since the Unix epoch.
pub(crate) fn iso8601_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The current time as [`iso8601_millis`].
pub(crate) fn now_iso8601() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    iso8601_millis(ms)
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(1_704_067_200_000), "2024-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601_millis(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }

    #[test]
    fn alnum_ids() {
        let id = random_alnum(32);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, random_alnum(32));
    }
}
