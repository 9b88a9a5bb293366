//! The server, the top layer: the [`Emulator`] handle binds the loopback socket, builds the
//! router ([`router`]: every endpoint family behind the `Host` check), runs axum on a task, and
//! stops it (graceful shutdown through a oneshot) when dropped. Before it starts, it checks the
//! configuration by asking each feature ([`validate`]); its Rust API reaches into each feature
//! ([`rust_api`]).

mod router;
mod rust_api;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use router::router;

use crate::config::EmulatorConfig;
use crate::errors::EmulatorError;
use crate::jose::Signer;
use crate::tenant::{AppState, Tenant};

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
    tenant: AppState,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.tenant.base_url)
            .finish()
    }
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
        let tenant = Arc::new(Tenant::new(config, format!("http://{addr}"), signer));
        crate::persist::load(&tenant)?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(tenant.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            // An accept error ends the server; there is no one to report it to.
            let _ = server.await;
        });
        Ok(Self {
            tenant,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Base URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.tenant.base_url
    }

    /// The issuer (`iss` of every token): `{base_url}/`.
    pub fn issuer(&self) -> String {
        self.tenant.issuer()
    }

    /// `{base_url}/oauth/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.tenant.base_url)
    }

    /// `{base_url}/userinfo`.
    pub fn userinfo_endpoint(&self) -> String {
        self.tenant.userinfo_url()
    }

    /// `{base_url}/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.tenant.base_url)
    }

    /// The secret the control API (`/emulator/...`) requires as `Authorization: Bearer
    /// <secret>` ([`EmulatorConfig::control_secret`], or generated at start).
    pub fn control_secret(&self) -> &str {
        &self.tenant.control_secret
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.tenant.config
    }

    /// The JWK Set (the RS256 public key) that `/.well-known/jwks.json` serves.
    pub fn jwks(&self) -> Value {
        self.tenant.signer.jwks()
    }

    /// The `kid` of the signing key.
    pub fn signing_key_id(&self) -> String {
        self.tenant.signer.kid()
    }

    /// The OpenID Provider metadata that `/.well-known/openid-configuration` serves.
    pub fn openid_configuration(&self) -> Value {
        crate::discovery::metadata(&self.tenant)
    }

    /// Stops the server and waits until in-flight requests have finished.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let _ = crate::persist::save(&self.tenant);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
            // Keep users who signed in since the last change (best effort: no one to tell).
            let _ = crate::persist::save(&self.tenant);
        }
    }
}
