//! The configuration, as plain data: clients, APIs, users, DPoP and protection settings, and
//! each feature's objects (Token Vault connections, client grants, token exchange profiles,
//! Actions, `private_key_jwt` keys), plus the protocol constants they use.
//!
//! [`EmulatorConfig::default()`] is the sample tenant documented in the crate README
//! (`sample`). Every structure deserializes from JSON (unknown fields are rejected so that
//! typos show up) and every field has a default, so a config file only needs to name what it
//! changes. This module knows no feature's rules: each feature checks its own part
//! (`EmulatorConfig::validate`, in the server, asks them all).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod actions;
mod credentials;
mod management;
mod sample;
mod token_exchange_profiles;
mod token_vault;

pub(crate) use actions::resolve_paths;
pub use actions::{ActionConfig, DEFAULT_ACTION_TIMEOUT_MS};
pub use credentials::PublicKeyCredential;
pub use management::{
    ClientGrantConfig, MANAGEMENT_API_AUDIENCE_PLACEHOLDER, MANAGEMENT_SCOPES, MANAGEMENT_TOKEN_LIFETIME_SECS,
};
pub use sample::*;
pub use token_exchange_profiles::{
    DEFAULT_PROFILE_NAME, PROFILE_TYPE_CUSTOM_AUTHENTICATION, TokenExchangeProfileConfig,
};
pub use token_vault::{
    CALENDAR_EVENTS_PATH, CALENDAR_READONLY_SCOPE, ConnectedAccountConfig, ConnectionConfig,
    DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS, FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE, GOOGLE_CONNECTION,
    GRANT_FEDERATED_CONNECTION,
};

use crate::clock::Clock;
use crate::errors::EmulatorError;

/// Grant type of RFC 8693 token exchange, used by native social sign-in.
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Grant type of the OAuth 2.0 refresh token grant.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// Grant type of the OAuth 2.0 client credentials grant.
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// `issued_token_type` of the token-exchange response.
pub const ISSUED_ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Configuration of one emulated Auth0 tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Address to bind. Must be a loopback address (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind; `0` (the default) picks a free port.
    pub port: u16,
    /// Host names the emulator answers to besides loopback names (`localhost`,
    /// `*.localhost`) and loopback addresses, for users who put it behind a name of their own.
    /// A request whose `Host` is anything else gets `421 Misdirected Request` (DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// The secret the control API (`/emulator/...`) requires as `Authorization: Bearer
    /// <secret>`. `None` (the default) generates a random one at start
    /// ([`crate::Emulator::control_secret`], and `control_secret` in the binary's JSON line).
    pub control_secret: Option<String>,
    /// Applications (clients) of the tenant.
    pub clients: Vec<ClientConfig>,
    /// APIs (resource servers) of the tenant.
    pub apis: Vec<ApiConfig>,
    /// Users that exist before the first sign-in (others are created on first exchange).
    pub users: Vec<UserConfig>,
    /// Connections (external identity providers) for Token Vault, with their enabled
    /// clients and already connected accounts.
    pub connections: Vec<ConnectionConfig>,
    /// Which client may get tokens for which API (and scopes) with the client credentials
    /// grant. The audience `{base_url}/api/v2/` is this tenant's Management API.
    pub client_grants: Vec<ClientGrantConfig>,
    /// Actions (Rust or JavaScript) of the `custom-token-exchange` and
    /// `credentials-exchange` triggers.
    pub actions: Vec<ActionConfig>,
    /// Token exchange profiles (Custom Token Exchange): `subject_token_type` -> Action.
    pub token_exchange_profiles: Vec<TokenExchangeProfileConfig>,
    /// File that keeps what the Management API created (and users) across restarts; `None`
    /// (the default) keeps everything in memory.
    pub state_file: Option<PathBuf>,
    /// The Node.js executable for JavaScript Actions (default `node` on `PATH`).
    pub node_path: Option<PathBuf>,
    /// Time limit of one Action run, in milliseconds (default 5000).
    pub action_timeout_ms: u64,
    /// DPoP (RFC 9449) settings.
    pub dpop: DpopConfig,
    /// Consecutive failed exchanges (`invalid_grant`) from one IP after which that IP gets
    /// `429 too_many_attempts`. `0` disables brute-force protection.
    pub brute_force_threshold: u32,
    /// Lifetime of issued access tokens, in seconds.
    pub access_token_lifetime_secs: u64,
    /// Lifetime of issued ID tokens, in seconds.
    pub id_token_lifetime_secs: u64,
    /// Audience used when a request names neither `audience` nor `resource`
    /// (Auth0's tenant "Default Audience"). `None` (the default) issues userinfo-only tokens.
    pub default_audience: Option<String>,
    /// RSA private key (PKCS#1 or PKCS#8 PEM) to sign tokens with, for a JWKS that stays the
    /// same across restarts. `None` (the default) uses a generated 2048-bit key.
    pub signing_key_pem: Option<String>,
    /// When `signing_key_pem` is `None`: `false` (the default) reuses one key generated once
    /// per process for every emulator in it (key generation is slow); `true` generates a key
    /// for this emulator alone.
    pub fresh_signing_key: bool,
    /// The tenant's clock (not in JSON): system time by default; tests freeze it
    /// ([`Clock::frozen`]) and move it, so that no time check depends on how long they take.
    #[serde(skip)]
    pub clock: Clock,
}

impl EmulatorConfig {
    /// A tenant with no clients, APIs or users, and otherwise default settings.
    pub fn empty() -> Self {
        Self {
            clients: Vec::new(),
            apis: Vec::new(),
            users: Vec::new(),
            connections: Vec::new(),
            client_grants: Vec::new(),
            actions: Vec::new(),
            token_exchange_profiles: Vec::new(),
            ..Self::default()
        }
    }

    /// Parses a configuration from JSON; absent fields take their default values.
    ///
    /// Sample client grants and token exchange profiles that refer to sample clients or
    /// Actions the JSON replaced are dropped (unless it gives `client_grants` /
    /// `token_exchange_profiles` itself).
    pub fn from_json(json: &str) -> Result<Self, EmulatorError> {
        let mut config: Self = serde_json::from_str(json).map_err(|e| EmulatorError::InvalidConfig(e.to_string()))?;
        let given: serde_json::Value =
            serde_json::from_str(json).map_err(|e| EmulatorError::InvalidConfig(e.to_string()))?;
        if given.get("client_grants").is_none() {
            let clients = &config.clients;
            config
                .client_grants
                .retain(|g| clients.iter().any(|c| c.client_id == g.client_id));
        }
        if given.get("token_exchange_profiles").is_none() {
            let actions = &config.actions;
            config
                .token_exchange_profiles
                .retain(|p| actions.iter().any(|a| a.id == p.action_id));
        }
        Ok(config)
    }

    /// Reads and parses a JSON configuration file. Relative paths in it (`js_file` of
    /// actions, `state_file`) are relative to the file's directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| EmulatorError::InvalidConfig(format!("cannot read {}: {e}", path.display())))?;
        let mut config = Self::from_json(&text)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        resolve_paths(&mut config.actions, dir);
        if let Some(state) = &config.state_file {
            if state.is_relative() {
                config.state_file = Some(dir.join(state));
            }
        }
        Ok(config)
    }

    /// Adds a client grant (client credentials grant), replacing the grant of the same
    /// client and audience.
    pub fn with_client_grant(mut self, grant: ClientGrantConfig) -> Self {
        self.client_grants
            .retain(|g| !(g.client_id == grant.client_id && g.audience == grant.audience));
        self.client_grants.push(grant);
        self
    }

    /// Adds an Action, replacing the Action with the same id.
    pub fn with_action(mut self, action: ActionConfig) -> Self {
        self.actions.retain(|a| a.id != action.id);
        self.actions.push(action);
        self
    }

    /// Adds a token exchange profile, replacing the one with the same `subject_token_type`.
    pub fn with_token_exchange_profile(mut self, profile: TokenExchangeProfileConfig) -> Self {
        self.token_exchange_profiles
            .retain(|p| p.subject_token_type != profile.subject_token_type);
        self.token_exchange_profiles.push(profile);
        self
    }

    /// Keeps the Management API's changes (and users) in `path` across restarts.
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the port to bind (`0` = any free port).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Adds a client, replacing any client with the same id.
    pub fn with_client(mut self, client: ClientConfig) -> Self {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
        self
    }

    /// Adds an API, replacing any API with the same identifier.
    pub fn with_api(mut self, api: ApiConfig) -> Self {
        self.apis.retain(|a| a.identifier != api.identifier);
        self.apis.push(api);
        self
    }

    /// Adds a user, replacing any user with the same id.
    pub fn with_user(mut self, user: UserConfig) -> Self {
        self.users.retain(|u| u.user_id != user.user_id);
        self.users.push(user);
        self
    }

    /// Adds a Token Vault connection, replacing any connection with the same name.
    pub fn with_connection(mut self, connection: ConnectionConfig) -> Self {
        self.connections.retain(|c| c.name != connection.name);
        self.connections.push(connection);
        self
    }

    /// Replaces the DPoP settings.
    pub fn with_dpop(mut self, dpop: DpopConfig) -> Self {
        self.dpop = dpop;
        self
    }

    /// Sets the brute-force threshold (`0` disables the protection).
    pub fn with_brute_force_threshold(mut self, attempts: u32) -> Self {
        self.brute_force_threshold = attempts;
        self
    }

    /// Sets the access token lifetime in seconds.
    pub fn with_access_token_lifetime_secs(mut self, secs: u64) -> Self {
        self.access_token_lifetime_secs = secs;
        self
    }
}

/// An application registered in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// The client id sent as `client_id`.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Grant types the client may use (default: token exchange and refresh token).
    pub grant_types: Vec<String>,
    /// When true, requests without a DPoP proof are rejected with `400 invalid_dpop_proof`.
    pub require_dpop: bool,
    /// The client secret of a confidential client. A client with a secret must authenticate
    /// at the token endpoint (`client_secret_post` or `client_secret_basic`); `None` (the
    /// default) is a public client that sends only its `client_id`.
    pub client_secret: Option<String>,
    /// Auth0's application type: `native`, `spa`, `regular_web`, `non_interactive`
    /// (machine to machine) or `resource_server` (a Custom API Client). `None` = `native`.
    pub app_type: Option<String>,
    /// For `app_type` `resource_server`: the identifier of the API this client is linked to.
    pub resource_server_identifier: Option<String>,
    /// Public keys for `private_key_jwt` client authentication. A client with credentials
    /// must authenticate (with a signed client assertion, or its secret if it has one).
    pub private_key_jwt_credentials: Vec<PublicKeyCredential>,
    /// Refresh token settings (Auth0's `refresh_token` of a client): rotation and its reuse
    /// interval. Default: non-rotating.
    pub refresh_token: RefreshTokenConfig,
}

/// Whether a client's refresh tokens rotate (Auth0's `refresh_token.rotation_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RotationType {
    /// The refresh token can be exchanged any number of times (Auth0's default).
    #[default]
    #[serde(rename = "non-rotating")]
    NonRotating,
    /// Each exchange returns a new refresh token and retires the one exchanged; reusing a
    /// retired token (outside the reuse interval) revokes the whole family.
    #[serde(rename = "rotating")]
    Rotating,
}

/// A client's refresh token settings, named as in Auth0's Management API. Expiration
/// (`expiration_type`, lifetimes) is not emulated: refresh tokens live until revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RefreshTokenConfig {
    /// `rotating` or `non-rotating` (the default).
    pub rotation_type: RotationType,
    /// Reuse interval, in seconds: how long after a rotation the token just exchanged may be
    /// exchanged again (concurrent requests, a lost response) without triggering reuse
    /// detection; each such exchange returns another refresh token of the family. Only the
    /// latest retired token qualifies. Default `0`.
    pub leeway: u64,
}

impl RefreshTokenConfig {
    /// Rotating refresh tokens with a reuse interval of `leeway` seconds.
    pub fn rotating(leeway: u64) -> Self {
        Self {
            rotation_type: RotationType::Rotating,
            leeway,
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::native("")
    }
}

impl ClientConfig {
    /// A public native client allowed the token-exchange and refresh-token grants.
    pub fn native(client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        Self {
            name: client_id.clone(),
            client_id,
            grant_types: vec![GRANT_TOKEN_EXCHANGE.to_owned(), GRANT_REFRESH_TOKEN.to_owned()],
            require_dpop: false,
            client_secret: None,
            app_type: None,
            resource_server_identifier: None,
            private_key_jwt_credentials: Vec::new(),
            refresh_token: RefreshTokenConfig::default(),
        }
    }

    /// A confidential machine-to-machine client (`app_type` `non_interactive`) allowed the
    /// client credentials grant, authenticating with `client_secret`.
    pub fn machine_to_machine(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            grant_types: vec![GRANT_CLIENT_CREDENTIALS.to_owned()],
            client_secret: Some(client_secret.into()),
            app_type: Some("non_interactive".to_owned()),
            ..Self::native(client_id)
        }
    }

    /// A confidential Custom API Client (`app_type` `resource_server`) linked to the API
    /// `api_identifier`, authenticating with `client_secret`, allowed `grant_types`.
    pub fn custom_api_client(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        api_identifier: impl Into<String>,
        grant_types: &[&str],
    ) -> Self {
        Self {
            grant_types: grant_types.iter().map(|g| (*g).to_owned()).collect(),
            client_secret: Some(client_secret.into()),
            app_type: Some("resource_server".to_owned()),
            resource_server_identifier: Some(api_identifier.into()),
            ..Self::native(client_id)
        }
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// An API (resource server) registered in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// The API identifier, used as `audience` / `resource` and as the access token `aud`.
    pub identifier: String,
    /// Display name.
    pub name: String,
    /// Scopes (permissions) the API defines.
    pub scopes: Vec<String>,
    /// Descriptions of scopes, as the Management API returns them (optional).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub scope_descriptions: std::collections::BTreeMap<String, String>,
}

impl ApiConfig {
    /// An API with the given identifier and scopes.
    pub fn new(identifier: impl Into<String>, scopes: &[&str]) -> Self {
        let identifier = identifier.into();
        Self {
            name: identifier.clone(),
            identifier,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            scope_descriptions: std::collections::BTreeMap::new(),
        }
    }
}

/// A user that exists in the tenant before the tests run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct UserConfig {
    /// Auth0 user id, which is the `sub` of issued tokens, e.g. `apple|001234.abcd`.
    pub user_id: String,
    /// Email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Blocked users get `403 access_denied`.
    pub blocked: bool,
    /// Users enrolled in MFA get `403 mfa_required` (with an `mfa_token`).
    pub mfa_required: bool,
}

impl UserConfig {
    /// The user's OIDC claims that `scopes` allow: `sub`; `name`, `given_name`,
    /// `family_name` with `profile`; `email`, `email_verified` with `email`.
    pub(crate) fn claims(&self, scopes: &[String]) -> serde_json::Map<String, serde_json::Value> {
        let has = |scope: &str| scopes.iter().any(|s| s == scope);
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), self.user_id.clone().into());
        if has("profile") {
            for (name, value) in [
                ("name", &self.name),
                ("given_name", &self.given_name),
                ("family_name", &self.family_name),
            ] {
                if let Some(v) = value {
                    claims.insert(name.into(), v.clone().into());
                }
            }
        }
        if has("email") {
            if let Some(email) = &self.email {
                claims.insert("email".into(), email.clone().into());
                claims.insert("email_verified".into(), true.into());
            }
        }
        claims
    }
}

/// DPoP (RFC 9449) settings of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DpopConfig {
    /// Require a server-issued nonce in proofs sent to `/oauth/token` (default `true`).
    pub require_nonce: bool,
    /// Require a server-issued nonce in proofs sent to `/userinfo` (default `true`). The
    /// userinfo nonces are distinct from the token endpoint's.
    pub require_nonce_userinfo: bool,
    /// Test knob: every DPoP request is answered `use_dpop_nonce` with a brand-new nonce, so a
    /// client can prove that it retries only once.
    pub always_demand_new_nonce: bool,
    /// Accepted proof algorithms; only `ES256` is supported.
    pub allowed_algs: Vec<String>,
    /// Accepted distance, in seconds, between a proof's `iat` and the server clock.
    pub iat_leeway_secs: u64,
    /// Nonces rotate after this many seconds; the current and the previous nonce are accepted.
    pub nonce_rotation_secs: u64,
}

impl Default for DpopConfig {
    fn default() -> Self {
        Self {
            require_nonce: true,
            require_nonce_userinfo: true,
            always_demand_new_nonce: false,
            allowed_algs: vec!["ES256".to_owned()],
            iat_leeway_secs: 300,
            nonce_rotation_secs: 300,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_sample_tenant_and_is_valid() {
        let c = EmulatorConfig::default();
        c.validate().unwrap();
        let ids: Vec<_> = c.clients.iter().map(|c| c.client_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "native-app",
                "no-exchange-app",
                "dpop-required-app",
                "calendar-backend",
                "calendar-backend-no-vault",
                "management-client",
                "limited-management-client",
                "rotating-app"
            ]
        );
        assert!(c.clients[5].allows_grant(GRANT_CLIENT_CREDENTIALS));
        assert_eq!(c.clients[5].client_secret.as_deref(), Some("management-secret"));
        assert_eq!(c.token_exchange_profiles[0].action_id, c.actions[0].id);
        assert!(c.clients[3].allows_grant(GRANT_FEDERATED_CONNECTION));
        assert!(!c.clients[4].allows_grant(GRANT_FEDERATED_CONNECTION));
        assert!(!c.clients[1].allows_grant(GRANT_TOKEN_EXCHANGE));
        assert!(c.clients[2].require_dpop);
        assert_eq!(c.brute_force_threshold, 5);
    }

    #[test]
    fn json_fills_defaults_and_rejects_unknown_fields() {
        let c = EmulatorConfig::from_json(r#"{"brute_force_threshold": 2}"#).unwrap();
        assert_eq!(c.brute_force_threshold, 2);
        assert_eq!(c.clients.len(), 8);
        assert!(EmulatorConfig::from_json(r#"{"brute_force_treshold": 2}"#).is_err());
        let c = EmulatorConfig::from_json(r#"{"clients":[{"client_id":"x"}]}"#).unwrap();
        assert!(c.clients[0].allows_grant(GRANT_TOKEN_EXCHANGE));
        assert!(
            c.client_grants.is_empty(),
            "sample grants of replaced clients are dropped"
        );
        c.validate().unwrap();
        let c = EmulatorConfig::from_json(r#"{"actions":[]}"#).unwrap();
        assert!(c.token_exchange_profiles.is_empty());
        assert_eq!(c.client_grants.len(), 2);
    }

    #[test]
    fn non_loopback_host_is_rejected() {
        let c = EmulatorConfig {
            host: "0.0.0.0".parse().unwrap(),
            ..EmulatorConfig::default()
        };
        assert!(c.validate().is_err());
    }
}
