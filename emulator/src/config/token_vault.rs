//! Token Vault as configured: connections (external identity providers), the clients each is
//! enabled for, and accounts users connected before the server started; and the protocol
//! values of the Token Vault exchange.

use serde::{Deserialize, Serialize};

/// `grant_type` of the Token Vault access token exchange.
pub const GRANT_FEDERATED_CONNECTION: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// `requested_token_type` (and `issued_token_type`) of the Token Vault exchange.
pub const FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
/// The sample tenant's Google connection.
pub const GOOGLE_CONNECTION: &str = "google-oauth2";
/// The Google scope the fake calendar API needs (or `.../auth/calendar`).
pub const CALENDAR_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/calendar.readonly";
/// Path of the fake Google Calendar "list events" API on the emulator.
pub const CALENDAR_EVENTS_PATH: &str = "/provider/google/calendar/v3/calendars/primary/events";

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
