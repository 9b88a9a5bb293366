//! The tenant's registered applications, APIs, client grants and token exchange profiles: from
//! the configuration, then changed through the Management API (always as a whole, see
//! `persist::update_registry`).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::config::{
    ApiConfig, ClientConfig, ClientGrantConfig, EmulatorConfig, MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
    TokenExchangeProfileConfig,
};
use crate::util::{now_iso8601, random_alnum};

/// The registered objects. Clients and APIs are shared snapshots; a change replaces the entry.
#[derive(Debug, Default, Clone)]
pub(crate) struct Registry {
    pub(crate) clients: Vec<Arc<ClientConfig>>,
    pub(crate) apis: Vec<Arc<ApiConfig>>,
    /// Client grants; the Management API's audience is stored as
    /// [`MANAGEMENT_API_AUDIENCE_PLACEHOLDER`], so a grant survives a port change.
    pub(crate) client_grants: Vec<ClientGrantConfig>,
    /// In creation order (the order of the list endpoint's pages).
    pub(crate) profiles: Vec<TokenExchangeProfileConfig>,
}

impl Registry {
    /// The configured objects, with ids and timestamps filled in.
    pub(crate) fn from_config(config: &EmulatorConfig) -> Self {
        Self {
            clients: config.clients.iter().cloned().map(Arc::new).collect(),
            apis: config.apis.iter().cloned().map(Arc::new).collect(),
            client_grants: config.client_grants.iter().map(with_grant_id).collect(),
            profiles: config.token_exchange_profiles.iter().map(with_profile_ids).collect(),
        }
    }

    /// The client with this id.
    pub(crate) fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>> {
        self.clients.iter().find(|c| c.client_id == client_id).cloned()
    }

    /// The API with this identifier.
    pub(crate) fn api(&self, identifier: &str) -> Option<Arc<ApiConfig>> {
        self.apis.iter().find(|a| a.identifier == identifier).cloned()
    }

    /// The scopes `client_id` was granted on `audience` (the Management API being
    /// `management_api`); `None` without a client grant.
    pub(crate) fn client_grant_scopes(
        &self,
        client_id: &str,
        audience: &str,
        management_api: &str,
    ) -> Option<Vec<String>> {
        self.client_grants
            .iter()
            .find(|g| g.client_id == client_id && effective_audience(&g.audience, management_api) == audience)
            .map(|g| g.scope.clone())
    }

    /// The profile handling `subject_token_type`, if any.
    pub(crate) fn profile_for(&self, subject_token_type: &str) -> Option<TokenExchangeProfileConfig> {
        self.profiles
            .iter()
            .find(|p| p.subject_token_type == subject_token_type)
            .cloned()
    }
}

/// A stored grant audience as the running emulator sees it (placeholder substituted).
pub(crate) fn effective_audience(stored: &str, management_api: &str) -> String {
    if stored == MANAGEMENT_API_AUDIENCE_PLACEHOLDER {
        management_api.to_owned()
    } else {
        stored.to_owned()
    }
}

/// A configured grant, with an id.
fn with_grant_id(grant: &ClientGrantConfig) -> ClientGrantConfig {
    let mut g = grant.clone();
    if g.id.is_empty() {
        g.id = format!("cgr_{}", random_alnum(16));
    }
    g
}

/// A configured profile, with its id (derived from the subject token type, so it is stable
/// across restarts) and timestamps.
fn with_profile_ids(profile: &TokenExchangeProfileConfig) -> TokenExchangeProfileConfig {
    let mut p = profile.clone();
    if p.id.is_empty() {
        let digest = Sha256::digest(p.subject_token_type.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        p.id = format!("tep_{hex}");
    }
    if p.created_at.is_empty() {
        p.created_at = now_iso8601();
    }
    if p.updated_at.is_empty() {
        p.updated_at = p.created_at.clone();
    }
    p
}
