//! The emulator's shared state: configuration, signing key, DPoP state, and the mutable
//! tenant data (users, minted codes and tokens, refresh tokens, brute-force counters, queued
//! canned responses) behind one mutex that is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::{ApiConfig, ClientConfig, EmulatorConfig, UserConfig};
use crate::dpop::DpopState;
use crate::faults::CannedResponse;
use crate::jwt::{KeyRing, Signer};
use crate::management::{ClientGrantConfig, TokenExchangeProfileConfig};
use crate::social::{AppleCodeRecord, FacebookRecord};

/// Handle to the state, shared by all request handlers.
pub(crate) type AppState = Arc<Shared>;

/// Immutable parts plus the locked store.
pub(crate) struct Shared {
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
    pub(crate) dpop: DpopState,
    store: Mutex<Store>,
    /// Token Vault: connections, connected accounts, the simulated provider.
    pub(crate) vault: crate::vault::Vault,
    registry: RwLock<Registry>,
    /// Serialises changes of the registry and writes of the state file.
    writer: Mutex<()>,
    /// Actions: the registered Actions, their cache and clock, the Node.js runner.
    pub(crate) actions: crate::actions::ActionsState,
    /// Management API state that is not tenant data (queued canned responses).
    pub(crate) management: crate::management::ManagementState,
}

/// The tenant's registered applications, APIs, client grants and token exchange profiles:
/// from the configuration, then changed through the Management API. Clients and APIs are
/// shared snapshots; a change replaces the entry.
#[derive(Debug, Default, Clone)]
pub(crate) struct Registry {
    pub(crate) clients: Vec<Arc<ClientConfig>>,
    pub(crate) apis: Vec<Arc<ApiConfig>>,
    pub(crate) client_grants: Vec<ClientGrantConfig>,
    /// In creation order (the order of the list endpoint's pages).
    pub(crate) profiles: Vec<TokenExchangeProfileConfig>,
}

/// A refresh token as the server remembers it.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) audience: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// Thumbprint of the DPoP key the token is bound to (public clients).
    pub(crate) jkt: Option<String>,
}

/// Mutable tenant data.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) users: HashMap<String, UserConfig>,
    pub(crate) apple_codes: HashMap<String, AppleCodeRecord>,
    pub(crate) facebook_tokens: HashMap<String, FacebookRecord>,
    pub(crate) refresh_tokens: HashMap<String, RefreshRecord>,
    /// Consecutive failed exchanges per end-user IP.
    pub(crate) failures: crate::brute_force::FailureCounters,
    pub(crate) canned: VecDeque<CannedResponse>,
    /// `private_key_jwt` assertions seen: `"{client_id}\n{jti}"` -> `exp` (replay protection).
    pub(crate) assertion_jtis: HashMap<String, u64>,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig, base_url: String, signer: Signer) -> Self {
        let users = config.users.iter().map(|u| (u.user_id.clone(), u.clone())).collect();
        let registry = Registry {
            clients: config.clients.iter().cloned().map(Arc::new).collect(),
            apis: config.apis.iter().cloned().map(Arc::new).collect(),
            client_grants: crate::management::prepare_config_grants(&config.client_grants),
            profiles: crate::management::prepare_config_profiles(&config.token_exchange_profiles),
        };
        Self {
            registry: RwLock::new(registry),
            writer: Mutex::new(()),
            dpop: DpopState::new(config.dpop.clone(), config.clock.clone()),
            vault: crate::vault::Vault::new(&config.connections),
            actions: crate::actions::ActionsState::new(&config, &base_url),
            management: crate::management::ManagementState::default(),
            control_secret: config
                .control_secret
                .clone()
                .unwrap_or_else(|| crate::util::random_token(32)),
            config,
            base_url,
            signer: KeyRing::new(Arc::new(signer)),
            google_keys: OnceLock::new(),
            store: Mutex::new(Store {
                users,
                ..Store::default()
            }),
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

    /// Locks the store (recovering from a poisoned lock: the data stays usable).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the registered clients and APIs (never hold the guard across an `.await`).
    pub(crate) fn registry(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the registered clients and APIs (never hold the guard across an `.await`).
    pub(crate) fn registry_mut(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The test Google issuer's keys (generates the process's issuer key on first use).
    pub(crate) fn google_keys(&self) -> &KeyRing {
        self.google_keys
            .get_or_init(|| KeyRing::new(crate::google::process_issuer_key()))
    }

    /// Taken by whoever changes the registry or writes the state file.
    pub(crate) fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client with this id, as registered now.
    pub(crate) fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>> {
        self.registry()
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned()
    }

    /// The API with this identifier, as registered now.
    pub(crate) fn api(&self, identifier: &str) -> Option<Arc<ApiConfig>> {
        self.registry()
            .apis
            .iter()
            .find(|a| a.identifier == identifier)
            .cloned()
    }
}
