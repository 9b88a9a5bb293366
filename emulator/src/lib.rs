//! A local, loopback-only server that behaves like an Auth0 tenant, for testing clients such as
//! `token-exchange`: an independent peer that validates what clients send as strictly as a real
//! authorization server would and issues real RS256 JWTs.
//!
//! # Flows
//!
//! * **Native social token exchange** (RFC 8693): a Sign in with Apple authorization code or a
//!   Facebook session info access token, minted by the emulator, for Auth0 tokens.
//! * **Custom Token Exchange**: any other `subject_token_type`, validated by the Action of the
//!   token exchange profile naming it (Rust, or JavaScript in Auth0's form run with Node.js);
//!   native Google sign-in runs offline through a sample Action and a test Google issuer.
//! * **Token Vault**: a backend's Custom API Client trades the Auth0 token its API received for
//!   the user's token at an external provider (simulated, with a fake Google Calendar API).
//! * **Refresh tokens**: DPoP-bound for public clients, rotating with reuse detection for clients
//!   that ask for it, revoked through `POST /oauth/revoke` (RFC 7009); the tenant's signing key
//!   can be rotated, to test a client's JWKS refetch.
//! * The **client credentials** grant (also for Management API tokens), with the
//!   `credentials-exchange` Actions.
//! * **DPoP** (RFC 9449) on all of them and at `/userinfo`: proofs, nonces, bound tokens.
//! * The **Management API** parts these flows need (token exchange profiles, resource servers,
//!   clients, client grants), optionally kept in a state file.
//! * A **control API** (`/emulator/...`) that mints codes and tokens and injects faults.
//!
//! # How it is built: layers, bottom up
//!
//! A module imports only from the layers below its own, and within a layer only from the
//! modules named before it in this map (`tests/layers.rs` checks this and the absence of import
//! cycles; the crate README's "How it is built" says more):
//!
//! 1. **Plain data and primitives**: `util` (base64url, randomness, time), `clock` (the
//!    tenant's clock), `errors`, `jose` (RS256 signing, key rings, JWK thumbprints), `form`
//!    (token request parameters), `faults` (canned responses), `action_api` (the `event`/`api`
//!    contract of Actions), `native_social` (Apple codes, Facebook tokens as tests describe
//!    them), `google` (the test Google issuer's ID tokens), `config` (every configuration type
//!    and the sample tenant; it knows no feature's rules).
//! 2. **Shared state**: `tenant` (registered objects, users, minted artifacts, DPoP memory, Token
//!    Vault accounts and provider, registered Actions) and `persist` (the state file).
//! 3. **Protocol checks**: `access_tokens` (tokens this tenant issued, presented back),
//!    `client_auth` (client authentication, `private_key_jwt`), `dpop` (proof validation,
//!    nonces), `actions` (running Actions).
//! 4. **Endpoint families**: `token_endpoint` (`/oauth/token` and its grants: `native_social`,
//!    `custom_token_exchange`, `token_vault`, `refresh_token`, `client_credentials`; and
//!    `/oauth/revoke`),
//!    `userinfo`, `discovery` (OpenID configuration, JWKS), `management` (`/api/v2/`),
//!    `token_vault` (the simulated provider's API), `control` (`/emulator/...`).
//! 5. **The server**: `server` ([`Emulator`]: binds, routes, checks the `Host`, validates the
//!    configuration by asking each feature, and offers the Rust API).
//!
//! ```no_run
//! # async fn demo() -> Result<(), token_exchange_emulator::EmulatorError> {
//! use token_exchange_emulator::{AppleCode, CannedResponse, Emulator, EmulatorConfig};
//!
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! let code = emu.apple_authorization_code(AppleCode::new("apple|001234.abcd"));
//! // POST {emu.base_url()}/oauth/token with grant_type=urn:ietf:params:oauth:grant-type:token-exchange,
//! // subject_token=code, subject_token_type=APPLE_AUTHZ_CODE_TYPE, client_id=native-app ...
//! emu.inject_token_response(CannedResponse::too_many_requests(30));
//! # Ok(()) }
//! ```
//!
//! The crate README documents the sample tenant, every endpoint and error, and the control API.

#![warn(missing_docs)]

// 1. Plain data and primitives.
mod action_api;
mod clock;
mod config;
mod errors;
mod faults;
mod form;
mod google;
mod jose;
mod native_social;
mod util;
// 2. Shared state.
mod persist;
mod tenant;
// 3. Protocol checks.
mod access_tokens;
mod actions;
mod client_auth;
mod dpop;
// 4. Endpoint families.
mod control;
mod discovery;
mod management;
mod token_endpoint;
mod token_vault;
mod userinfo;
// 5. The server.
mod server;

#[cfg(test)]
mod proptest_support;

pub use action_api::{
    Action, ActionApi, ActionEvent, ActionTrigger, CREDENTIALS_EXCHANGE_DENY_CODES, CacheRecord, CacheSetOptions,
    DEFAULT_CACHE_TTL, MAX_CACHE_KEY_BYTES, MAX_CACHE_TTL, MAX_CACHE_VALUE_BYTES, RESTRICTED_CLAIMS, RustAction,
};
pub use clock::Clock;
pub use config::{
    ActionConfig, ApiConfig, CALENDAR_EVENTS_PATH, CALENDAR_READONLY_SCOPE, ClientConfig, ClientGrantConfig,
    ConnectedAccountConfig, ConnectionConfig, DEFAULT_ACTION_TIMEOUT_MS, DEFAULT_PROFILE_NAME,
    DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS, DpopConfig, EmulatorConfig, FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE,
    GOOGLE_CONNECTION, GRANT_CLIENT_CREDENTIALS, GRANT_FEDERATED_CONNECTION, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
    ISSUED_ACCESS_TOKEN_TYPE, MANAGEMENT_API_AUDIENCE_PLACEHOLDER, MANAGEMENT_SCOPES, MANAGEMENT_TOKEN_LIFETIME_SECS,
    PROFILE_TYPE_CUSTOM_AUTHENTICATION, PublicKeyCredential, RefreshTokenConfig, RotationType, SAMPLE_API_AUDIENCE,
    SAMPLE_BLOCKED_USER, SAMPLE_CLIENT_ID, SAMPLE_DISABLED_CONNECTION, SAMPLE_DPOP_REQUIRED_CLIENT_ID,
    SAMPLE_FACEBOOK_USER, SAMPLE_GOOGLE_ACTION_ID, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
    SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID, SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET, SAMPLE_MANAGEMENT_CLIENT_ID,
    SAMPLE_MANAGEMENT_CLIENT_SECRET, SAMPLE_MFA_USER, SAMPLE_NO_EXCHANGE_CLIENT_ID, SAMPLE_NO_VAULT_CLIENT_ID,
    SAMPLE_NO_VAULT_CLIENT_SECRET, SAMPLE_ROTATING_CLIENT_ID, SAMPLE_VAULT_API_AUDIENCE, SAMPLE_VAULT_CLIENT_ID,
    SAMPLE_VAULT_CLIENT_SECRET, TokenExchangeProfileConfig, UserConfig,
};
pub use errors::EmulatorError;
pub use faults::CannedResponse;
pub use google::{GOOGLE_ISSUER, GOOGLE_JWKS_PATH, GoogleIdToken, SAMPLE_GOOGLE_CLIENT_ID};
pub use native_social::{APPLE_AUTHZ_CODE_TYPE, AppleCode, FACEBOOK_SESSION_TOKEN_TYPE, FacebookToken};
pub use server::Emulator;
pub use tenant::token_vault::{ConnectAccount, ConnectedAccount, VaultError};
pub use util::MAX_LIFETIME_SECS;

/// RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of a public JWK
/// (`EC`, `RSA` or `OKP`), as used in `cnf.jkt`. `None` when a required member is missing.
pub fn jwk_thumbprint(jwk: &serde_json::Value) -> Option<String> {
    jose::jwk_thumbprint(jwk).ok()
}
