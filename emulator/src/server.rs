//! The [`Emulator`] handle: binds the loopback socket, builds the router, runs axum on a
//! task, and stops it (graceful shutdown through a oneshot) when dropped.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{EmulatorConfig, UserConfig};
use crate::errors::EmulatorError;
use crate::faults::CannedResponse;
use crate::jwt::Signer;
use crate::social::{AppleCode, FacebookToken, mint_apple_code, mint_facebook_token};
use crate::state::{AppState, Shared};
use crate::vault::{CALENDAR_EVENTS_PATH, ConnectAccount, ConnectedAccount, VaultError};
use crate::{control, discovery, token_endpoint, userinfo};

/// A running emulator. Dropping it stops the server.
///
/// ```no_run
/// # async fn demo() -> Result<(), token_exchange_emulator::EmulatorError> {
/// use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig};
/// let emu = Emulator::start(EmulatorConfig::default()).await?;
/// let code = emu.apple_authorization_code(AppleCode::new("apple|001234.abcd"));
/// println!("POST {}/oauth/token with subject_token={code}", emu.base_url());
/// # Ok(()) }
/// ```
pub struct Emulator {
    shared: AppState,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .finish()
    }
}

fn router(shared: AppState) -> Router {
    Router::new()
        .route("/oauth/token", post(token_endpoint::token))
        .route("/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(CALENDAR_EVENTS_PATH, get(crate::vault::calendar::list_events))
        .nest("/emulator", control::router(shared.clone()))
        .nest("/api/v2", crate::management::router(shared.clone()))
        .layer(middleware::from_fn_with_state(shared.clone(), check_host))
        .with_state(shared)
}

/// Whether `host` (the `Host` header, with or without a port) names this emulator: a
/// loopback address, `localhost` or a `*.localhost` name (RFC 6761: always loopback), or a
/// name in [`EmulatorConfig::allowed_hosts`].
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
async fn check_host(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(|h| is_own_host(h, &shared.config.allowed_hosts)) {
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

impl Emulator {
    /// Validates `config`, loads or generates the signing key, binds `host:port` (loopback
    /// only) and starts serving on the current Tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config.validate()?;
        crate::actions::check_startup(&config).await?;
        let pem = config.signing_key_pem.clone();
        let fresh = config.fresh_signing_key;
        let signer = tokio::task::spawn_blocking(move || Signer::new(pem.as_deref(), fresh))
            .await
            .map_err(|e| EmulatorError::Key(format!("key task failed: {e}")))??;
        let listener = TcpListener::bind((config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, format!("http://{addr}"), signer));
        crate::persist::load(&shared)?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            // An accept error ends the server; there is no one to report it to.
            let _ = server.await;
        });
        Ok(Self {
            shared,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The shared state, for the `impl Emulator` blocks of other modules.
    pub(crate) fn shared(&self) -> &AppState {
        &self.shared
    }

    /// Base URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The issuer (`iss` of every token): `{base_url}/`.
    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// `{base_url}/oauth/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.shared.base_url)
    }

    /// `{base_url}/userinfo`.
    pub fn userinfo_endpoint(&self) -> String {
        self.shared.userinfo_url()
    }

    /// `{base_url}/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.shared.base_url)
    }

    /// The secret the control API (`/emulator/...`) requires as `Authorization: Bearer
    /// <secret>` ([`EmulatorConfig::control_secret`], or generated at start).
    pub fn control_secret(&self) -> &str {
        &self.shared.control_secret
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// The JWK Set (the RS256 public key) that `/.well-known/jwks.json` serves.
    pub fn jwks(&self) -> Value {
        self.shared.signer.jwks()
    }

    /// The `kid` of the signing key.
    pub fn signing_key_id(&self) -> String {
        self.shared.signer.kid()
    }

    /// The OpenID Provider metadata that `/.well-known/openid-configuration` serves.
    pub fn openid_configuration(&self) -> Value {
        discovery::metadata(&self.shared)
    }

    /// Mints a single-use Sign in with Apple authorization code for token exchange with
    /// `subject_token_type` [`crate::APPLE_AUTHZ_CODE_TYPE`].
    pub fn apple_authorization_code(&self, code: AppleCode) -> String {
        mint_apple_code(&self.shared, &code)
    }

    /// Mints a Facebook session info access token, accepted until it expires, for
    /// `subject_token_type` [`crate::FACEBOOK_SESSION_TOKEN_TYPE`].
    pub fn facebook_session_token(&self, token: FacebookToken) -> String {
        mint_facebook_token(&self.shared, &token)
    }

    /// Queues a canned response: the next request to `/oauth/token` gets it instead of
    /// normal processing. Several queued responses are sent in order (FIFO).
    pub fn inject_token_response(&self, response: CannedResponse) {
        self.shared.store().canned.push_back(response);
    }

    /// Drops every queued canned response; returns how many there were.
    pub fn clear_injected_token_responses(&self) -> usize {
        let mut store = self.shared.store();
        let n = store.canned.len();
        store.canned.clear();
        n
    }

    /// Rotates the DPoP nonces of the token endpoint and of `/userinfo` now. The previous
    /// nonce stays valid until the next rotation; the one before it is rejected.
    pub fn rotate_dpop_nonces(&self) {
        self.shared.dpop.rotate_nonces();
    }

    /// Forgets every failed-attempt counter, lifting `too_many_attempts` blocks.
    pub fn reset_brute_force(&self) {
        self.shared.store().failures.clear();
    }

    /// The user with this id, as stored now (created on first sign-in).
    pub fn user(&self, user_id: &str) -> Option<UserConfig> {
        self.shared.store().users.get(user_id).cloned()
    }

    /// Token Vault: `account.user_id` connects their account at `account.connection` (as
    /// through Auth0's Connected Accounts flow). The vault then stores a provider access token
    /// (living `account.access_token_lifetime`) and refresh token, replacing the tokenset of
    /// the same user, connection and login hint.
    pub fn connect_account(&self, account: ConnectAccount) -> Result<ConnectedAccount, VaultError> {
        self.shared.vault.connect(&account)
    }

    /// Token Vault: revokes the provider refresh tokens of the user's accounts at the
    /// connection. Stored access tokens still work until they expire; after that, exchanges
    /// get `federated_connection_refresh_token_not_found`. Returns how many were revoked.
    pub fn revoke_connected_account(&self, user_id: &str, connection: &str) -> usize {
        self.shared.vault.revoke(user_id, connection, None)
    }

    /// Token Vault: enables a connection for a client (e.g. a Custom API Client created
    /// through the Management API).
    pub fn enable_connection(&self, connection: &str, client_id: &str) -> Result<(), VaultError> {
        self.shared.vault.enable_connection(connection, client_id)
    }

    /// Token Vault: the user's connected accounts (no token values).
    pub fn connected_accounts(&self, user_id: &str) -> Vec<ConnectedAccount> {
        self.shared.vault.accounts_of(user_id)
    }

    /// Token Vault: successful exchanges so far (each one a `/oauth/token` request answered
    /// with a provider token).
    pub fn vault_exchange_count(&self) -> u64 {
        self.shared.vault.exchange_count()
    }

    /// Token Vault: provider access tokens obtained by refreshing an expired stored one.
    pub fn provider_refresh_count(&self) -> u64 {
        self.shared.vault.refresh_count()
    }

    /// URL of the fake Google Calendar "list events" API, which accepts the provider access
    /// tokens Token Vault hands out for `google-oauth2` (`Authorization: Bearer ...`).
    pub fn calendar_events_url(&self) -> String {
        format!("{}{CALENDAR_EVENTS_PATH}", self.shared.base_url)
    }

    /// Stops the server and waits until in-flight requests have finished.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let _ = crate::persist::save(&self.shared);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
            // Keep users who signed in since the last change (best effort: no one to tell).
            let _ = crate::persist::save(&self.shared);
        }
    }
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
