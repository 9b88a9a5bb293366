//! The tenant's Token Vault: connections to external providers and the clients each is
//! enabled for, the tokens users' connected accounts hold there (a "tokenset" per account:
//! provider access token, its expiry, provider refresh token, scopes), and the simulated
//! provider that issues and refreshes them.
//!
//! The grant that hands these tokens to a Custom API Client is the token endpoint's
//! `token_vault`; the fake provider API that accepts them is the top-level `token_vault`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod connections;
mod provider;

pub(crate) use connections::{ConnectionProblem, validate as validate_connections};
pub(crate) use provider::ProviderGrant;

use crate::config::{ConnectionConfig, DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS};

use connections::{Connections, default_scopes};
use provider::{AccessToken, Provider};

/// A user connecting their account at a connection (as they would through Auth0's
/// Connected Accounts flow): the vault then holds a provider access and refresh token.
///
/// ```
/// use std::time::Duration;
/// use token_exchange_emulator::ConnectAccount;
/// let connect = ConnectAccount::new("apple|001234.abcd", "google-oauth2")
///     .login_hint("jane@gmail.com")
///     .access_token_lifetime(Duration::ZERO); // the first exchange must refresh it
/// assert_eq!(connect.connection, "google-oauth2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAccount {
    /// The Auth0 user id (the `sub` of the subject tokens).
    pub user_id: String,
    /// The connection, e.g. `google-oauth2`.
    pub connection: String,
    /// Provider scopes to grant (empty = the connection's defaults: `openid email profile`,
    /// plus calendar read access for `google-oauth2`).
    pub scopes: Vec<String>,
    /// Lifetime of the first provider access token (default one hour; zero = already
    /// expired). Refreshed tokens live one hour.
    pub access_token_lifetime: Duration,
    /// The account at the provider (an email), for `login_hint`.
    pub login_hint: Option<String>,
}

impl ConnectAccount {
    /// `user_id` connects their account at `connection` with the default scopes.
    pub fn new(user_id: impl Into<String>, connection: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            connection: connection.into(),
            scopes: Vec::new(),
            access_token_lifetime: Duration::from_secs(DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS),
            login_hint: None,
        }
    }

    /// Sets the provider scopes granted.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Sets the lifetime of the first provider access token.
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }

    /// Sets the provider account (matched against the exchange's `login_hint`).
    pub fn login_hint(mut self, login_hint: impl Into<String>) -> Self {
        self.login_hint = Some(login_hint.into());
        self
    }
}

/// A connected account as stored, without token values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedAccount {
    /// The Auth0 user id.
    pub user_id: String,
    /// The connection.
    pub connection: String,
    /// The account at the provider, if given.
    pub login_hint: Option<String>,
    /// Scopes granted at the provider.
    pub scopes: Vec<String>,
    /// Seconds until the stored provider access token expires.
    pub expires_in: u64,
}

/// Why a Token Vault control operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// No connection has this name.
    #[error("unknown connection {0}")]
    UnknownConnection(String),
    /// A required value is empty or malformed.
    #[error("invalid {0}")]
    InvalidInput(&'static str),
}

/// A provider access token handed out by a Token Vault exchange.
#[derive(Debug, Clone)]
pub(crate) struct FederatedToken {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) scopes: Vec<String>,
}

/// Why the vault has no usable token for a user (both mean: connect the account again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenMissing {
    /// The user never connected an account (with that `login_hint`) at the connection.
    NotConnected,
    /// The stored access token expired and the provider refused the refresh token (revoked).
    RefreshFailed,
}

/// One connected account: the tokenset the vault stores.
#[derive(Debug)]
struct Account {
    user_id: String,
    connection: String,
    login_hint: Option<String>,
    scopes: Vec<String>,
    access: AccessToken,
    refresh_token: String,
}

impl Account {
    fn summary(&self, now: Instant) -> ConnectedAccount {
        ConnectedAccount {
            user_id: self.user_id.clone(),
            connection: self.connection.clone(),
            login_hint: self.login_hint.clone(),
            scopes: self.scopes.clone(),
            expires_in: self.access.expires_in(now),
        }
    }
}

#[derive(Debug, Default)]
struct VaultData {
    connections: Connections,
    /// In connection order: the last matching account is the most recently connected.
    accounts: Vec<Account>,
    provider: Provider,
}

/// The Token Vault of one emulator.
#[derive(Debug, Default)]
pub(crate) struct Vault {
    data: Mutex<VaultData>,
    exchanges: AtomicU64,
}

impl Vault {
    /// The vault with the configured connections and their already connected accounts.
    pub(crate) fn new(config: &[ConnectionConfig]) -> Self {
        let vault = Self {
            data: Mutex::new(VaultData {
                connections: Connections::new(config),
                ..VaultData::default()
            }),
            exchanges: AtomicU64::new(0),
        };
        for connection in config {
            for account in &connection.connected_accounts {
                let mut request = ConnectAccount::new(&account.user_id, &connection.name)
                    .access_token_lifetime(Duration::from_secs(account.access_token_lifetime_secs));
                request.scopes = account.scopes.clone();
                request.login_hint = account.login_hint.clone();
                // Validated configuration: the connection exists and the user id is set.
                let _ = vault.connect(&request);
            }
        }
        vault
    }

    fn data(&self) -> std::sync::MutexGuard<'_, VaultData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a tokenset for the account, replacing the one with the same user, connection
    /// and login hint.
    pub(crate) fn connect(&self, request: &ConnectAccount) -> Result<ConnectedAccount, VaultError> {
        if request.user_id.trim().is_empty() {
            return Err(VaultError::InvalidInput("user_id"));
        }
        if request.login_hint.as_deref().is_some_and(|h| h.trim().is_empty()) {
            return Err(VaultError::InvalidInput("login_hint"));
        }
        let mut data = self.data();
        if !data.connections.exists(&request.connection) {
            return Err(VaultError::UnknownConnection(request.connection.clone()));
        }
        let scopes = if request.scopes.is_empty() {
            default_scopes(&request.connection)
        } else {
            request.scopes.clone()
        };
        let now = Instant::now();
        let grant = ProviderGrant {
            user_id: request.user_id.clone(),
            connection: request.connection.clone(),
            login_hint: request.login_hint.clone(),
            scopes: scopes.clone(),
        };
        let (access, refresh_token) = data.provider.authorize(grant, request.access_token_lifetime, now);
        data.accounts.retain(|a| {
            !(a.user_id == request.user_id && a.connection == request.connection && a.login_hint == request.login_hint)
        });
        let account = Account {
            user_id: request.user_id.clone(),
            connection: request.connection.clone(),
            login_hint: request.login_hint.clone(),
            scopes,
            access,
            refresh_token,
        };
        let summary = account.summary(now);
        data.accounts.push(account);
        Ok(summary)
    }

    /// Revokes the provider refresh tokens of the user's accounts at the connection (only the
    /// one with `login_hint` when given). Stored access tokens stay usable until they expire.
    /// Returns how many refresh tokens were revoked.
    pub(crate) fn revoke(&self, user_id: &str, connection: &str, login_hint: Option<&str>) -> usize {
        let mut data = self.data();
        let VaultData { accounts, provider, .. } = &mut *data;
        let mut revoked = 0;
        for account in accounts.iter() {
            let matches = account.user_id == user_id
                && account.connection == connection
                && login_hint.is_none_or(|h| account.login_hint.as_deref() == Some(h));
            if matches && provider.revoke(&account.refresh_token) {
                revoked += 1;
            }
        }
        revoked
    }

    /// Enables a connection for a client (for clients created at run time).
    pub(crate) fn enable_connection(&self, connection: &str, client_id: &str) -> Result<(), VaultError> {
        if client_id.trim().is_empty() {
            return Err(VaultError::InvalidInput("client_id"));
        }
        if self.data().connections.enable(connection, client_id) {
            Ok(())
        } else {
            Err(VaultError::UnknownConnection(connection.to_owned()))
        }
    }

    /// Whether `client_id` may use the connection.
    pub(crate) fn check_connection(&self, connection: &str, client_id: &str) -> Result<(), ConnectionProblem> {
        self.data().connections.check(connection, client_id)
    }

    /// The user's provider access token at the connection, refreshed through the provider
    /// when the stored one has expired. Without `login_hint`, the most recently connected
    /// account is used.
    pub(crate) fn federated_token(
        &self,
        user_id: &str,
        connection: &str,
        login_hint: Option<&str>,
    ) -> Result<FederatedToken, TokenMissing> {
        let now = Instant::now();
        let mut data = self.data();
        let VaultData { accounts, provider, .. } = &mut *data;
        let account = accounts
            .iter_mut()
            .rev()
            .find(|a| {
                a.user_id == user_id
                    && a.connection == connection
                    && login_hint.is_none_or(|h| a.login_hint.as_deref() == Some(h))
            })
            .ok_or(TokenMissing::NotConnected)?;
        if account.access.is_expired(now) {
            account.access = provider
                .refresh(&account.refresh_token, now)
                .map_err(|_| TokenMissing::RefreshFailed)?;
        }
        Ok(FederatedToken {
            access_token: account.access.value.clone(),
            expires_in: account.access.expires_in(now),
            scopes: account.scopes.clone(),
        })
    }

    /// Counts one successful Token Vault exchange.
    pub(crate) fn record_exchange(&self) {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
    }

    /// Successful Token Vault exchanges so far.
    pub(crate) fn exchange_count(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// Provider access tokens issued by refreshing so far.
    pub(crate) fn refresh_count(&self) -> u64 {
        self.data().provider.refresh_count()
    }

    /// The grant of a provider access token that is known and not expired.
    pub(crate) fn introspect(&self, access_token: &str) -> Option<ProviderGrant> {
        self.data().provider.introspect(access_token, Instant::now()).cloned()
    }

    /// The connected accounts of a user, without token values.
    pub(crate) fn accounts_of(&self, user_id: &str) -> Vec<ConnectedAccount> {
        let now = Instant::now();
        self.data()
            .accounts
            .iter()
            .filter(|a| a.user_id == user_id)
            .map(|a| a.summary(now))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CALENDAR_READONLY_SCOPE, ConnectedAccountConfig, GOOGLE_CONNECTION};

    fn vault() -> Vault {
        Vault::new(&[ConnectionConfig::new(GOOGLE_CONNECTION, &["backend"])])
    }

    #[test]
    fn never_connected_then_connected() {
        let v = vault();
        assert_eq!(
            v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap_err(),
            TokenMissing::NotConnected
        );
        let c = v.connect(&ConnectAccount::new("apple|u", GOOGLE_CONNECTION)).unwrap();
        assert_eq!(c.expires_in, 3600);
        assert!(c.scopes.iter().any(|s| s == CALENDAR_READONLY_SCOPE));
        let t = v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap();
        assert_eq!(v.introspect(&t.access_token).unwrap().user_id, "apple|u");
        // The stored token is handed out again, without a refresh.
        let again = v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap();
        assert_eq!(again.access_token, t.access_token);
        assert_eq!(v.refresh_count(), 0);
        assert!(matches!(
            v.connect(&ConnectAccount::new("apple|u", "github")),
            Err(VaultError::UnknownConnection(_))
        ));
    }

    #[test]
    fn expired_tokens_are_refreshed_until_revoked() {
        let v = vault();
        v.connect(&ConnectAccount::new("apple|u", GOOGLE_CONNECTION).access_token_lifetime(Duration::ZERO))
            .unwrap();
        let t = v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap();
        assert_eq!((t.expires_in, v.refresh_count()), (3600, 1));
        assert_eq!(v.revoke("apple|u", GOOGLE_CONNECTION, None), 1);
        assert_eq!(v.revoke("apple|u", GOOGLE_CONNECTION, None), 0);
        // Revoked but the refreshed access token is still valid: handed out.
        assert_eq!(
            v.federated_token("apple|u", GOOGLE_CONNECTION, None)
                .unwrap()
                .access_token,
            t.access_token
        );
        v.connect(&ConnectAccount::new("apple|u", GOOGLE_CONNECTION).access_token_lifetime(Duration::ZERO))
            .unwrap();
        v.revoke("apple|u", GOOGLE_CONNECTION, None);
        assert_eq!(
            v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap_err(),
            TokenMissing::RefreshFailed
        );
    }

    #[test]
    fn login_hint_selects_the_account_and_latest_wins_without_it() {
        let v = vault();
        v.connect(&ConnectAccount::new("apple|u", GOOGLE_CONNECTION).login_hint("a@x"))
            .unwrap();
        v.connect(&ConnectAccount::new("apple|u", GOOGLE_CONNECTION).login_hint("b@x"))
            .unwrap();
        let hint = |t: &FederatedToken| v.introspect(&t.access_token).unwrap().login_hint;
        let a = v.federated_token("apple|u", GOOGLE_CONNECTION, Some("a@x")).unwrap();
        assert_eq!(hint(&a).as_deref(), Some("a@x"));
        let latest = v.federated_token("apple|u", GOOGLE_CONNECTION, None).unwrap();
        assert_eq!(hint(&latest).as_deref(), Some("b@x"));
        assert_eq!(
            v.federated_token("apple|u", GOOGLE_CONNECTION, Some("c@x"))
                .unwrap_err(),
            TokenMissing::NotConnected
        );
        assert_eq!(v.accounts_of("apple|u").len(), 2);
    }

    #[test]
    fn configured_accounts_are_connected_at_start() {
        let mut google = ConnectionConfig::new(GOOGLE_CONNECTION, &["backend"]);
        google.connected_accounts.push(ConnectedAccountConfig {
            user_id: "apple|seeded".into(),
            ..ConnectedAccountConfig::default()
        });
        let v = Vault::new(&[google]);
        assert!(v.federated_token("apple|seeded", GOOGLE_CONNECTION, None).is_ok());
    }
}
