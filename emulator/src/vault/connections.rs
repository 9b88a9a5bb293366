//! Connections (external identity providers such as `google-oauth2`) as configured, which
//! applications each is enabled for, and the accounts users connected before the server
//! started.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::EmulatorError;

/// Default lifetime, in seconds, of the provider access token stored when an account connects.
pub const DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS: u64 = 3600;

/// A connection (social identity provider) of the tenant, for Token Vault.
///
/// ```
/// use token_exchange_emulator::ConnectionConfig;
/// let google = ConnectionConfig::new("google-oauth2", &["calendar-backend"]);
/// assert_eq!(google.enabled_clients, ["calendar-backend"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionConfig {
    /// The connection name sent as `connection`, e.g. `google-oauth2`.
    pub name: String,
    /// Client ids the connection is enabled for. A Token Vault exchange by a Custom API Client
    /// not listed here gets `400 invalid_request`.
    pub enabled_clients: Vec<String>,
    /// Accounts users have already connected when the server starts.
    pub connected_accounts: Vec<ConnectedAccountConfig>,
}

impl ConnectionConfig {
    /// A connection enabled for `enabled_clients`, with no connected accounts.
    pub fn new(name: impl Into<String>, enabled_clients: &[&str]) -> Self {
        Self {
            name: name.into(),
            enabled_clients: enabled_clients.iter().map(|c| (*c).to_owned()).collect(),
            connected_accounts: Vec::new(),
        }
    }
}

/// An account a user connected at a connection (their tokens are then in the Token Vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectedAccountConfig {
    /// The Auth0 user id (the `sub` of the subject token), e.g. `apple|001234.abcd`.
    pub user_id: String,
    /// The account at the provider (usually an email), matched against `login_hint`.
    pub login_hint: Option<String>,
    /// Scopes granted at the provider (empty = the connection's default scopes).
    pub scopes: Vec<String>,
    /// Lifetime of the first provider access token, in seconds (`0` = already expired, so the
    /// first exchange refreshes it). Refreshed tokens live one hour.
    pub access_token_lifetime_secs: u64,
}

impl Default for ConnectedAccountConfig {
    fn default() -> Self {
        Self {
            user_id: String::new(),
            login_hint: None,
            scopes: Vec::new(),
            access_token_lifetime_secs: DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS,
        }
    }
}

/// Provider scopes granted when a connect request names none.
pub(crate) fn default_scopes(connection: &str) -> Vec<String> {
    let scopes: &[&str] = if connection == "google-oauth2" {
        &["openid", "email", "profile", super::CALENDAR_READONLY_SCOPE]
    } else {
        &["openid", "email", "profile"]
    };
    scopes.iter().map(|s| (*s).to_owned()).collect()
}

/// Checks connection names (non-empty, unique) and connected accounts (a user id each).
pub(crate) fn validate(connections: &[ConnectionConfig]) -> Result<(), EmulatorError> {
    let mut names = HashSet::new();
    for c in connections {
        if c.name.trim().is_empty() || c.name.contains(char::is_whitespace) || !names.insert(c.name.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "empty, invalid or duplicate connection name {:?}",
                c.name
            )));
        }
        if c.connected_accounts
            .iter()
            .any(|a| a.access_token_lifetime_secs > crate::util::MAX_LIFETIME_SECS)
        {
            return Err(EmulatorError::InvalidConfig(format!(
                "connection {}: access_token_lifetime_secs of a connected account must be at most {} seconds",
                c.name,
                crate::util::MAX_LIFETIME_SECS
            )));
        }
        if c.connected_accounts.iter().any(|a| a.user_id.is_empty()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "a connected account of connection {} has no user_id",
                c.name
            )));
        }
    }
    Ok(())
}

/// The connections and the clients each is enabled for (mutable at run time).
#[derive(Debug, Default)]
pub(crate) struct Connections {
    enabled: HashMap<String, HashSet<String>>,
}

/// Why a connection cannot be used by a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionProblem {
    /// No connection has this name.
    Unknown,
    /// The connection is not enabled for the client.
    NotEnabled,
}

impl Connections {
    /// From the configuration.
    pub(crate) fn new(config: &[ConnectionConfig]) -> Self {
        Self {
            enabled: config
                .iter()
                .map(|c| (c.name.clone(), c.enabled_clients.iter().cloned().collect()))
                .collect(),
        }
    }

    /// Whether a connection of that name exists.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.enabled.contains_key(name)
    }

    /// Enables the connection for a client; false when the connection does not exist.
    pub(crate) fn enable(&mut self, name: &str, client_id: &str) -> bool {
        match self.enabled.get_mut(name) {
            Some(clients) => {
                clients.insert(client_id.to_owned());
                true
            }
            None => false,
        }
    }

    /// Whether `client_id` may use the connection.
    pub(crate) fn check(&self, name: &str, client_id: &str) -> Result<(), ConnectionProblem> {
        match self.enabled.get(name) {
            None => Err(ConnectionProblem::Unknown),
            Some(clients) if !clients.contains(client_id) => Err(ConnectionProblem::NotEnabled),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_clients_are_checked_and_can_be_added() {
        let mut c = Connections::new(&[ConnectionConfig::new("google-oauth2", &["a"])]);
        assert_eq!(c.check("google-oauth2", "a"), Ok(()));
        assert_eq!(c.check("google-oauth2", "b"), Err(ConnectionProblem::NotEnabled));
        assert_eq!(c.check("github", "a"), Err(ConnectionProblem::Unknown));
        assert!(c.enable("google-oauth2", "b"));
        assert!(!c.enable("github", "b"));
        assert_eq!(c.check("google-oauth2", "b"), Ok(()));
    }

    #[test]
    fn names_must_be_unique_and_accounts_need_a_user() {
        let g = ConnectionConfig::new("google-oauth2", &[]);
        assert!(validate(std::slice::from_ref(&g)).is_ok());
        assert!(validate(&[g.clone(), g.clone()]).is_err());
        assert!(validate(&[ConnectionConfig::new(" ", &[])]).is_err());
        let mut bad = g;
        bad.connected_accounts.push(ConnectedAccountConfig::default());
        assert!(validate(&[bad]).is_err());
    }
}
