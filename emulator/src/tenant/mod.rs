//! The tenant: everything the emulator remembers, shared by every request handler. Its
//! configuration and clock, signing keys, the registered clients, APIs, client grants and
//! token exchange profiles ([`Registry`]), the users and what was minted or issued
//! ([`Store`]; refresh token families in [`refresh_tokens`]), DPoP nonces and `jti`s ([`dpop::DpopMemory`]), Token Vault's connections,
//! accounts and simulated provider ([`token_vault::Vault`]), and the Actions
//! ([`actions::ActionRegistry`]).
//!
//! Locks are never held across an `.await`. The protocol checks and the endpoints above read
//! and change this state; this module only keeps it consistent.

mod actions;
mod brute_force;
mod dpop;
mod native_social;
mod refresh_tokens;
mod registry;
mod store;
pub(crate) mod token_vault;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) use actions::{ActionRegistry, Implementation, JsSource, RegisteredAction};
pub(crate) use dpop::{DpopMemory, Realm};
pub(crate) use refresh_tokens::{RefreshRecord, Rotation};
pub(crate) use registry::{Registry, effective_audience};
pub(crate) use store::Store;

use crate::config::{ApiConfig, ClientConfig, EmulatorConfig};
use crate::errors::EmulatorError;
use crate::faults::CannedResponse;
use crate::jose::{KeyRing, Signer};

/// Checks the tenant's objects: unique non-empty client ids and API identifiers, a default
/// audience among the APIs, and the Token Vault connections.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let mut ids = HashSet::new();
    for c in &config.clients {
        if c.client_id.is_empty() {
            return Err(EmulatorError::InvalidConfig("empty client_id".into()));
        }
        if !ids.insert(c.client_id.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "duplicate client_id {}",
                c.client_id
            )));
        }
    }
    let mut apis = HashSet::new();
    for a in &config.apis {
        if a.identifier.is_empty() || !apis.insert(a.identifier.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "empty or duplicate API identifier {:?}",
                a.identifier
            )));
        }
    }
    if let Some(aud) = &config.default_audience {
        if !apis.contains(aud.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "default_audience {aud} is not one of the configured APIs"
            )));
        }
    }
    token_vault::validate_connections(&config.connections)
}

/// Handle to the tenant, shared by all request handlers.
pub(crate) type AppState = Arc<Tenant>;

/// One emulated tenant.
pub(crate) struct Tenant {
    pub(crate) config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base_url: String,
    /// What the control API requires as `Authorization: Bearer` (configured or random).
    pub(crate) control_secret: String,
    /// The tenant's signing keys (the current one signs; all are in the JWKS).
    pub(crate) signer: KeyRing,
    /// The test Google issuer's keys: the process's issuer key until this emulator rotates
    /// them (made on first use: key generation is slow).
    google_keys: OnceLock<KeyRing>,
    /// DPoP nonces and `jti`s.
    pub(crate) dpop: DpopMemory,
    store: Mutex<Store>,
    /// Token Vault: connections, connected accounts, the simulated provider.
    pub(crate) vault: token_vault::Vault,
    registry: RwLock<Registry>,
    /// Serialises changes of the registry and writes of the state file.
    writer: Mutex<()>,
    /// The registered Actions, their cache and clock.
    pub(crate) actions: ActionRegistry,
    /// Canned responses for the next `/api/v2/` requests (FIFO).
    pub(crate) management_canned: Mutex<VecDeque<CannedResponse>>,
}

impl Tenant {
    /// The tenant of `config`, reached at `base_url`, signing with `signer`.
    pub(crate) fn new(config: EmulatorConfig, base_url: String, signer: Signer) -> Self {
        let users = config.users.iter().map(|u| (u.user_id.clone(), u.clone())).collect();
        Self {
            registry: RwLock::new(Registry::from_config(&config)),
            writer: Mutex::new(()),
            dpop: DpopMemory::new(&config.dpop, config.clock.now_secs()),
            vault: token_vault::Vault::new(&config.connections),
            actions: ActionRegistry::new(&config, &base_url),
            management_canned: Mutex::new(VecDeque::new()),
            control_secret: config
                .control_secret
                .clone()
                .unwrap_or_else(|| crate::util::random_token(32)),
            base_url,
            signer: KeyRing::new(Arc::new(signer)),
            google_keys: OnceLock::new(),
            store: Mutex::new(Store {
                users,
                ..Store::default()
            }),
            config,
        }
    }

    /// Seconds since the epoch on the tenant's clock.
    pub(crate) fn now_secs(&self) -> u64 {
        self.config.clock.now_secs()
    }

    /// `{base_url}/`, the `iss` of every token.
    pub(crate) fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// `{base_url}/userinfo`, the audience that lets a token call `/userinfo`.
    pub(crate) fn userinfo_url(&self) -> String {
        format!("{}/userinfo", self.base_url)
    }

    /// `{base_url}/api/v2/`, the Management API's base URL and token audience.
    pub(crate) fn management_api(&self) -> String {
        format!("{}/api/v2/", self.base_url)
    }

    /// Locks the store (recovering from a poisoned lock: the data stays usable).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the registered objects (never hold the guard across an `.await`).
    pub(crate) fn registry(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces registered objects; only `persist` does, under [`Tenant::writer`].
    pub(crate) fn registry_mut(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Taken by whoever changes the registry or writes the state file.
    pub(crate) fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The test Google issuer's keys (generates the process's issuer key on first use).
    pub(crate) fn google_keys(&self) -> &KeyRing {
        self.google_keys
            .get_or_init(|| KeyRing::new(crate::google::process_issuer_key()))
    }

    /// The client with this id, as registered now.
    pub(crate) fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>> {
        self.registry().client(client_id)
    }

    /// The API with this identifier, as registered now.
    pub(crate) fn api(&self, identifier: &str) -> Option<Arc<ApiConfig>> {
        self.registry().api(identifier)
    }

    /// The scopes `client_id` was granted on `audience`; `None` without a client grant.
    pub(crate) fn client_grant_scopes(&self, client_id: &str, audience: &str) -> Option<Vec<String>> {
        self.registry()
            .client_grant_scopes(client_id, audience, &self.management_api())
    }
}
