//! Connections (external identity providers such as `google-oauth2`) at run time: which
//! applications each is enabled for; and the checks of their configuration.

use std::collections::{HashMap, HashSet};

use crate::config::{CALENDAR_READONLY_SCOPE, ConnectionConfig};
use crate::errors::EmulatorError;

/// Provider scopes granted when a connect request names none.
pub(crate) fn default_scopes(connection: &str) -> Vec<String> {
    let scopes: &[&str] = if connection == "google-oauth2" {
        &["openid", "email", "profile", CALENDAR_READONLY_SCOPE]
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
    use crate::config::ConnectedAccountConfig;

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
