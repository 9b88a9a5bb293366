//! A local, loopback-only server that behaves like an Auth0 tenant for native social token
//! exchange (RFC 8693) with DPoP (RFC 9449), for testing clients such as `token-exchange`.
//!
//! It is an independent peer of the client: it validates what clients send as strictly as a
//! real authorization server would, and issues real RS256 JWTs.
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
//! Endpoints: `POST /oauth/token`, `GET|POST /userinfo`, `/.well-known/jwks.json`,
//! `/.well-known/openid-configuration`, and the control endpoints under `/emulator/`.
//! The crate README documents the sample tenant, every error and the control endpoints.

#![warn(missing_docs)]

mod actions;
mod brute_force;
mod client_assertion;
mod client_auth;
mod clock;
mod config;
mod control;
mod discovery;
mod dpop;
mod errors;
mod faults;
mod google;
mod grants;
mod jwt;
mod management;
mod persist;
#[cfg(test)]
mod proptest_support;
mod server;
mod social;
mod state;
mod token_endpoint;
mod tokens;
mod userinfo;
mod util;
mod vault;

pub use actions::{
    Action, ActionApi, ActionConfig, ActionEvent, ActionTrigger, CREDENTIALS_EXCHANGE_DENY_CODES, CacheRecord,
    CacheSetOptions, DEFAULT_ACTION_TIMEOUT_MS, DEFAULT_CACHE_TTL, MAX_CACHE_KEY_BYTES, MAX_CACHE_TTL,
    MAX_CACHE_VALUE_BYTES, RustAction,
};
pub use client_assertion::PublicKeyCredential;
pub use clock::Clock;
pub use config::{
    ApiConfig, ClientConfig, DpopConfig, EmulatorConfig, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
    SAMPLE_API_AUDIENCE, SAMPLE_BLOCKED_USER, SAMPLE_CLIENT_ID, SAMPLE_DPOP_REQUIRED_CLIENT_ID, SAMPLE_FACEBOOK_USER,
    SAMPLE_MFA_USER, SAMPLE_NO_EXCHANGE_CLIENT_ID, UserConfig,
};
pub use config::{
    GRANT_CLIENT_CREDENTIALS, SAMPLE_GOOGLE_ACTION_ID, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
    SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID, SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET, SAMPLE_MANAGEMENT_CLIENT_ID,
    SAMPLE_MANAGEMENT_CLIENT_SECRET,
};
pub use config::{
    SAMPLE_DISABLED_CONNECTION, SAMPLE_NO_VAULT_CLIENT_ID, SAMPLE_NO_VAULT_CLIENT_SECRET, SAMPLE_VAULT_API_AUDIENCE,
    SAMPLE_VAULT_CLIENT_ID, SAMPLE_VAULT_CLIENT_SECRET,
};
pub use errors::EmulatorError;
pub use faults::CannedResponse;
pub use google::{GOOGLE_ISSUER, GOOGLE_JWKS_PATH, GoogleIdToken, SAMPLE_GOOGLE_CLIENT_ID};
pub use management::{
    ClientGrantConfig, DEFAULT_PROFILE_NAME, MANAGEMENT_API_AUDIENCE_PLACEHOLDER, MANAGEMENT_SCOPES,
    MANAGEMENT_TOKEN_LIFETIME_SECS, PROFILE_TYPE_CUSTOM_AUTHENTICATION, TokenExchangeProfileConfig,
};
pub use server::Emulator;
pub use social::{APPLE_AUTHZ_CODE_TYPE, AppleCode, FACEBOOK_SESSION_TOKEN_TYPE, FacebookToken};
pub use tokens::ISSUED_ACCESS_TOKEN_TYPE;
pub use util::MAX_LIFETIME_SECS;
pub use vault::{
    CALENDAR_EVENTS_PATH, CALENDAR_READONLY_SCOPE, ConnectAccount, ConnectedAccount, ConnectedAccountConfig,
    ConnectionConfig, DEFAULT_PROVIDER_TOKEN_LIFETIME_SECS, FEDERATED_CONNECTION_TOKEN_TYPE, GOOGLE_CONNECTION,
    GRANT_FEDERATED_CONNECTION, VaultError,
};

/// RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of a public JWK
/// (`EC`, `RSA` or `OKP`), as used in `cnf.jkt`. `None` when a required member is missing.
pub fn jwk_thumbprint(jwk: &serde_json::Value) -> Option<String> {
    dpop::jwk_thumbprint(jwk).ok()
}
