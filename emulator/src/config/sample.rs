//! The sample tenant ([`EmulatorConfig::default()`], documented in the crate README): its ids
//! and secrets, as constants tests can name.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::action_api::ActionTrigger;
use crate::google::{GOOGLE_JWKS_PATH, SAMPLE_GOOGLE_CLIENT_ID};

/// Client id of the sample tenant's public native client (token exchange + refresh token).
pub const SAMPLE_CLIENT_ID: &str = "native-app";
/// Client id of the sample tenant's client that lacks the token-exchange grant.
pub const SAMPLE_NO_EXCHANGE_CLIENT_ID: &str = "no-exchange-app";
/// Client id of the sample tenant's public native client whose refresh tokens rotate
/// (`refresh_token.rotation_type` `rotating`, no reuse interval).
pub const SAMPLE_ROTATING_CLIENT_ID: &str = "rotating-app";
/// Client id of the sample tenant's native client that requires DPoP.
pub const SAMPLE_DPOP_REQUIRED_CLIENT_ID: &str = "dpop-required-app";
/// Identifier (audience) of the sample tenant's API.
pub const SAMPLE_API_AUDIENCE: &str = "https://api.example.com";
/// User id of the sample tenant's blocked user: exchanges get `access_denied`.
pub const SAMPLE_BLOCKED_USER: &str = "apple|blocked-user";
/// User id of the sample tenant's user enrolled in MFA: exchanges get `mfa_required`.
pub const SAMPLE_MFA_USER: &str = "apple|mfa-user";
pub use crate::native_social::SAMPLE_FACEBOOK_USER;
/// Identifier of the sample tenant's backend API whose Custom API Client uses Token Vault.
pub const SAMPLE_VAULT_API_AUDIENCE: &str = "https://calendar-backend.example.com";
/// Client id of the sample tenant's Custom API Client allowed the Token Vault grant.
pub const SAMPLE_VAULT_CLIENT_ID: &str = "calendar-backend";
/// Client secret of [`SAMPLE_VAULT_CLIENT_ID`].
pub const SAMPLE_VAULT_CLIENT_SECRET: &str = "calendar-backend-secret";
/// Client id of the sample tenant's Custom API Client that lacks the Token Vault grant.
pub const SAMPLE_NO_VAULT_CLIENT_ID: &str = "calendar-backend-no-vault";
/// Client secret of [`SAMPLE_NO_VAULT_CLIENT_ID`].
pub const SAMPLE_NO_VAULT_CLIENT_SECRET: &str = "no-vault-secret";
/// A connection of the sample tenant that is not enabled for the Custom API Clients.
pub const SAMPLE_DISABLED_CONNECTION: &str = "github";
/// Client id of the sample tenant's machine-to-machine client allowed every Management API
/// scope (client credentials grant).
pub const SAMPLE_MANAGEMENT_CLIENT_ID: &str = "management-client";
/// Client secret of [`SAMPLE_MANAGEMENT_CLIENT_ID`].
pub const SAMPLE_MANAGEMENT_CLIENT_SECRET: &str = "management-secret";
/// Client id of the sample tenant's machine-to-machine client allowed only
/// `read:token_exchange_profiles` on the Management API.
pub const SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID: &str = "limited-management-client";
/// Client secret of [`SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID`].
pub const SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET: &str = "limited-secret";
/// Id of the sample tenant's JavaScript Action that verifies Google ID tokens
/// (`emulator/actions/google-id-token.js`).
pub const SAMPLE_GOOGLE_ACTION_ID: &str = "act_google";
/// `subject_token_type` of the sample tenant's token exchange profile for Google ID tokens.
pub const SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE: &str = "urn:token-exchange:google-id-token";
/// Source of the sample Google ID token Action (embedded in the binary).
const SAMPLE_GOOGLE_ACTION_JS: &str = include_str!("../../actions/google-id-token.js");

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            allowed_hosts: Vec::new(),
            control_secret: None,
            clients: vec![
                ClientConfig::native(SAMPLE_CLIENT_ID),
                ClientConfig {
                    client_id: SAMPLE_NO_EXCHANGE_CLIENT_ID.to_owned(),
                    name: "No Exchange App".to_owned(),
                    grant_types: vec![GRANT_REFRESH_TOKEN.to_owned()],
                    ..ClientConfig::native(SAMPLE_NO_EXCHANGE_CLIENT_ID)
                },
                ClientConfig {
                    require_dpop: true,
                    name: "DPoP Required App".to_owned(),
                    ..ClientConfig::native(SAMPLE_DPOP_REQUIRED_CLIENT_ID)
                },
                ClientConfig::custom_api_client(
                    SAMPLE_VAULT_CLIENT_ID,
                    SAMPLE_VAULT_CLIENT_SECRET,
                    SAMPLE_VAULT_API_AUDIENCE,
                    &[GRANT_FEDERATED_CONNECTION],
                ),
                ClientConfig::custom_api_client(
                    SAMPLE_NO_VAULT_CLIENT_ID,
                    SAMPLE_NO_VAULT_CLIENT_SECRET,
                    SAMPLE_VAULT_API_AUDIENCE,
                    &[],
                ),
                ClientConfig::machine_to_machine(SAMPLE_MANAGEMENT_CLIENT_ID, SAMPLE_MANAGEMENT_CLIENT_SECRET),
                ClientConfig::machine_to_machine(
                    SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID,
                    SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET,
                ),
                ClientConfig {
                    name: "Rotating App".to_owned(),
                    refresh_token: RefreshTokenConfig::rotating(0),
                    ..ClientConfig::native(SAMPLE_ROTATING_CLIENT_ID)
                },
            ],
            apis: vec![
                ApiConfig {
                    name: "Example API".to_owned(),
                    ..ApiConfig::new(SAMPLE_API_AUDIENCE, &["read:messages", "write:messages"])
                },
                ApiConfig {
                    name: "Calendar Backend".to_owned(),
                    ..ApiConfig::new(SAMPLE_VAULT_API_AUDIENCE, &["read:calendar", "write:calendar"])
                },
            ],
            users: vec![
                UserConfig {
                    user_id: SAMPLE_BLOCKED_USER.to_owned(),
                    email: Some("blocked@example.com".to_owned()),
                    name: Some("Blocked User".to_owned()),
                    blocked: true,
                    ..UserConfig::default()
                },
                UserConfig {
                    user_id: SAMPLE_MFA_USER.to_owned(),
                    email: Some("mfa@example.com".to_owned()),
                    name: Some("MFA User".to_owned()),
                    mfa_required: true,
                    ..UserConfig::default()
                },
                UserConfig {
                    user_id: SAMPLE_FACEBOOK_USER.to_owned(),
                    email: Some("fb.user@example.com".to_owned()),
                    name: Some("Facebook User".to_owned()),
                    given_name: Some("Facebook".to_owned()),
                    family_name: Some("User".to_owned()),
                    ..UserConfig::default()
                },
            ],
            client_grants: vec![
                ClientGrantConfig::new(
                    SAMPLE_MANAGEMENT_CLIENT_ID,
                    MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
                    &[
                        "read:token_exchange_profiles",
                        "create:token_exchange_profiles",
                        "update:token_exchange_profiles",
                        "delete:token_exchange_profiles",
                        "create:resource_servers",
                        "read:resource_servers",
                        "create:clients",
                        "update:clients",
                        "read:clients",
                        "create:client_grants",
                        "read:client_grants",
                    ],
                ),
                ClientGrantConfig::new(
                    SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID,
                    MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
                    &["read:token_exchange_profiles"],
                ),
            ],
            actions: vec![
                ActionConfig::js_code(
                    SAMPLE_GOOGLE_ACTION_ID,
                    ActionTrigger::CustomTokenExchange,
                    SAMPLE_GOOGLE_ACTION_JS,
                )
                .name("Google ID token")
                .secret("GOOGLE_CLIENT_IDS", SAMPLE_GOOGLE_CLIENT_ID)
                .secret("GOOGLE_JWKS_URI", format!("{{base_url}}{GOOGLE_JWKS_PATH}")),
            ],
            token_exchange_profiles: vec![
                TokenExchangeProfileConfig::new(SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE, SAMPLE_GOOGLE_ACTION_ID)
                    .id("tep_google_sample")
                    .name("Google ID token"),
            ],
            state_file: None,
            node_path: None,
            action_timeout_ms: DEFAULT_ACTION_TIMEOUT_MS,
            connections: vec![
                ConnectionConfig::new(GOOGLE_CONNECTION, &[SAMPLE_VAULT_CLIENT_ID, SAMPLE_NO_VAULT_CLIENT_ID]),
                ConnectionConfig::new(SAMPLE_DISABLED_CONNECTION, &[SAMPLE_CLIENT_ID]),
            ],
            dpop: DpopConfig::default(),
            brute_force_threshold: 5,
            access_token_lifetime_secs: 86_400,
            id_token_lifetime_secs: 36_000,
            default_audience: None,
            signing_key_pem: None,
            fresh_signing_key: false,
            clock: Clock::system(),
        }
    }
}
