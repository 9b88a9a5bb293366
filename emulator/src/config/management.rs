//! Management API objects as configured: client grants (which client may get tokens for which
//! API with the client credentials grant), and the Management API's own audience and scopes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Placeholder for this tenant's Management API audience in configuration (client grants):
/// replaced by `{base_url}/api/v2/` of the running emulator.
pub const MANAGEMENT_API_AUDIENCE_PLACEHOLDER: &str = "{base_url}/api/v2/";

/// Every scope the emulated Management API checks.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:token_exchange_profiles",
    "create:token_exchange_profiles",
    "update:token_exchange_profiles",
    "delete:token_exchange_profiles",
    "read:resource_servers",
    "create:resource_servers",
    "read:clients",
    "create:clients",
    "update:clients",
    "read:client_grants",
    "create:client_grants",
];

/// Lifetime of [`crate::Emulator::management_token`] tokens: 30 days.
pub const MANAGEMENT_TOKEN_LIFETIME_SECS: u64 = 30 * 24 * 3600;

/// A client grant: `client_id` may get tokens for `audience` with (at most) `scope`.
///
/// For this tenant's Management API use the audience
/// [`MANAGEMENT_API_AUDIENCE_PLACEHOLDER`] (`{base_url}/api/v2/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantConfig {
    /// Grant id (`cgr_…`); derived when empty.
    #[serde(default)]
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    /// The scopes the client may get.
    #[serde(default)]
    pub scope: Vec<String>,
}

impl ClientGrantConfig {
    /// A grant of `scopes` on `audience` to `client_id`.
    pub fn new(client_id: impl Into<String>, audience: impl Into<String>, scopes: &[&str]) -> Self {
        Self {
            id: String::new(),
            client_id: client_id.into(),
            audience: audience.into(),
            scope: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The grant as the Management API returns it (the audience as stored).
    pub(crate) fn to_json(&self) -> Value {
        json!({"id": self.id, "client_id": self.client_id, "audience": self.audience, "scope": self.scope})
    }
}
