//! The routes of every endpoint family, and the `Host` check in front of them all.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use std::net::IpAddr;

use crate::config::{CALENDAR_EVENTS_PATH, EmulatorConfig};
use crate::errors::EmulatorError;
use crate::tenant::AppState;
use crate::{control, discovery, management, token_endpoint, token_vault, userinfo};

/// Every route, behind the `Host` check.
pub(super) fn router(tenant: AppState) -> Router {
    Router::new()
        .route("/oauth/token", post(token_endpoint::token))
        .route("/oauth/revoke", post(token_endpoint::revoke))
        .route("/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(CALENDAR_EVENTS_PATH, get(token_vault::list_events))
        .nest("/emulator", control::router(tenant.clone()))
        .nest("/api/v2", management::router(tenant.clone()))
        .layer(middleware::from_fn_with_state(tenant.clone(), check_host))
        .with_state(tenant)
}

/// Checks where the server listens (a loopback address) and the extra names it answers to.
pub(super) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    if !config.host.is_loopback() {
        return Err(EmulatorError::InvalidConfig(format!(
            "host {} is not a loopback address; the emulator only listens on loopback",
            config.host
        )));
    }
    for name in &config.allowed_hosts {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
            return Err(EmulatorError::InvalidConfig(format!(
                "allowed_hosts: {name:?} is not a host name (letters, digits, '-', '.', '_'; no port)"
            )));
        }
    }
    Ok(())
}

/// Whether `host` (the `Host` header, with or without a port) names this emulator: a
/// loopback address, `localhost` or a `*.localhost` name (RFC 6761: always loopback), or a
/// name in `EmulatorConfig::allowed_hosts`.
fn is_own_host(host: &str, allowed: &[String]) -> bool {
    let Ok(authority) = host.parse::<Authority>() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let name = authority.host();
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let name = name.to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || allowed.iter().any(|a| a.eq_ignore_ascii_case(&name))
}

/// Refuses requests whose `Host` is not this emulator's (`421`): a page on another name
/// that resolves to 127.0.0.1 (DNS rebinding) gets nothing.
async fn check_host(State(tenant): State<AppState>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(|h| is_own_host(h, &tenant.config.allowed_hosts)) {
        return next.run(request).await;
    }
    (
        StatusCode::MISDIRECTED_REQUEST,
        axum::Json(serde_json::json!({
            "error": "misdirected_request",
            "error_description": "The Host header does not name this emulator (a loopback address, localhost, \
                                  or a name in allowed_hosts)",
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_and_allowed_hosts_are_own_hosts() {
        let allowed = vec!["emu.test".to_owned()];
        for own in [
            "127.0.0.1:8787",
            "127.0.0.1",
            "[::1]:8787",
            "localhost:1",
            "LOCALHOST",
            "app.localhost:9",
            "emu.test:8787",
            "EMU.test",
        ] {
            assert!(is_own_host(own, &allowed), "{own}");
        }
        for foreign in [
            "evil.example:8787",
            "10.0.0.1:8787",
            "localhost.evil.example",
            "[::2]",
            "user@127.0.0.1",
            "",
            "127.0.0.1:8787/x",
        ] {
            assert!(!is_own_host(foreign, &allowed), "{foreign}");
        }
    }
}
