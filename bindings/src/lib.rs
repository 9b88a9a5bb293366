//! # token-exchange-ffi
//!
//! The Swift, Kotlin and C face of [`token_exchange`]: thin wrappers, no logic of their own
//! beyond converting types.
//!
//! * **Swift and Kotlin** get this crate through [uniffi](https://mozilla.github.io/uniffi-rs/)
//!   (proc-macros, namespace `token_exchange`): [`TokenExchangeClient`] with async methods,
//!   records for requests and token sets, one error enum [`TokenExchangeError`], the
//!   [`DpopKey`] object (software key or a [`DpopSigner`] implemented in Swift/Kotlin) and a
//!   [`CancellationToken`]. The idiomatic layers in `swift/` and `kotlin/` sit on top.
//! * **C** gets the `te_*` functions of [`c_api`] (header `include/token_exchange.h`, generated
//!   by cbindgen): opaque handles, blocking calls, error codes.
//!
//! Async work runs on a current-thread tokio runtime owned by the library, driven by one thread
//! named `token-exchange`, never on the caller's thread.

#![warn(missing_docs)]
// The error mirrors what Swift and Kotlin see (the OAuth variant carries all its data); its size
// does not matter next to an HTTP round trip.
#![allow(clippy::result_large_err)]

uniffi::setup_scaffolding!("token_exchange");

pub mod c_api;
mod claims;
mod client;
mod config;
mod credentials;
mod custom_token_exchange;
mod dpop;
mod error;
mod native_social;
mod refresh;
mod resource;
mod revoke;
mod runtime;
mod token_set;
mod token_vault;

pub use claims::UserClaims;
pub use client::TokenExchangeClient;
pub use config::{ClientAuthentication, ClientConfig, Telemetry, UnboundTokenPolicy};
pub use credentials::{
    CredentialStore, CredentialStoreError, CredentialsManager, Revocation, file_credential_store,
    memory_credential_store,
};
pub use custom_token_exchange::{ActorToken, CustomTokenExchange};
pub use dpop::{DpopKey, DpopSigner, SignerError};
pub use error::{
    CredentialStoreProblem, IdTokenProblem, NetworkErrorKind, ResponseProblem, SignInReason, TokenExchangeError,
};
pub use native_social::{NativeSocialExchange, PersonName, SubjectTokenType, UserProfile};
pub use resource::{AuthorizationHeaders, HttpHeader, ResourceRequest, ResourceResponse};
pub use runtime::CancellationToken;
pub use token_set::TokenSet;
pub use token_vault::{TokenVaultCache, TokenVaultExchange, TokenVaultSubjectTokenType, TokenVaultToken};

/// The library version (`MAJOR.MINOR.PATCH`, the workspace version), for telemetry and diagnostics.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The scope sent when a request names none: `openid profile email offline_access`.
#[uniffi::export]
pub fn default_scope() -> String {
    token_exchange::DEFAULT_SCOPE.to_owned()
}

/// The RFC 7638 thumbprint of a public JWK given as JSON (`EC`, `RSA` or `OKP`).
#[uniffi::export]
pub fn jwk_thumbprint(jwk_json: String) -> Result<String, TokenExchangeError> {
    let jwk: serde_json::Value =
        serde_json::from_str(&jwk_json).map_err(|_| TokenExchangeError::invalid("jwk", "is not JSON"))?;
    Ok(token_exchange::jwk_thumbprint(&jwk)?)
}

/// The DPoP `ath` of an access token: base64url(SHA-256(token)).
#[uniffi::export]
pub fn access_token_hash(access_token: String) -> String {
    token_exchange::access_token_hash(&access_token)
}
