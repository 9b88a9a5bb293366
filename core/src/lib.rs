//! # token-exchange
//!
//! Trade what a native sign-in returned (a Sign in with Apple authorization code, a Facebook
//! session token, a Google ID token through Custom Token Exchange) for Auth0 tokens with
//! RFC 8693 token exchange, sender-constrained with DPoP (RFC 9449).
//!
//! ```no_run
//! use token_exchange::{Client, NativeSocialExchange, SoftwareKey, UserProfile};
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), token_exchange::Error> {
//! let client = Client::builder("tenant.us.auth0.com", "YOUR_CLIENT_ID")
//!     .dpop(Arc::new(SoftwareKey::generate().expect("key")))
//!     .build()?;
//! let tokens = client
//!     .native_social_exchange(
//!         &NativeSocialExchange::apple("AUTHORIZATION_CODE")
//!             .audience("https://api.example.com")
//!             .user_profile(UserProfile::with_name(Some("John".into()), Some("Smith".into()))),
//!     )
//!     .await?;
//! assert!(tokens.is_dpop_bound());
//! # Ok(())
//! # }
//! ```
//!
//! ID tokens are validated wherever one is returned ([`TokenSet::id_token_claims`]). After the
//! exchange, a [`CredentialsManager`] keeps the user signed in: it stores the tokens in a
//! [`CredentialStore`] and renews them with the refresh token ([`Client::refresh`]);
//! [`Client::revoke`] signs out on the server.
//!
//! Errors are one [`Error`] type whose variants and predicates say what to do; no secret ever
//! appears in `Debug`, `Display` or error text.
//!
//! Every request goes through an [`HttpTransport`], which only moves bytes: the built-in
//! `ReqwestTransport` (cargo feature `reqwest-transport`, on by default), or your own given to
//! [`ClientBuilder::transport`]. DPoP, client authentication, the timeout, the body cap and error
//! classification stay in the library whatever the transport. Without the feature the crate
//! contains no HTTP or TLS code, and every client needs a transport.

#![warn(missing_docs)]

mod cancel;
mod claims;
mod client;
mod client_auth;
mod config;
mod credentials;
mod custom_token_exchange;
mod dpop;
mod error;
mod http;
mod id_token;
mod json;
pub mod management;
mod native_social;
mod parameters;
mod refresh;
mod resource;
mod revoke;
mod secret;
#[cfg(test)]
mod server_input;
mod time;
mod token_set;
mod token_vault;
mod transport;
mod validate;

pub use cancel::CancellationToken;
pub use claims::UserClaims;
pub use client::{Client, ClientBuilder, TOKEN_EXCHANGE_GRANT};
pub use client_auth::{CLIENT_ASSERTION_TYPE, ClientAssertionKey, ClientAuthentication};
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Telemetry, UnboundTokenPolicy};
pub use credentials::{
    CredentialStore, CredentialStoreError, CredentialsManager, FileCredentialStore, MemoryCredentialStore, Revocation,
};
pub use custom_token_exchange::CustomTokenExchange;
pub use dpop::{Dpop, DpopSigner, EcPublicKey, SignerError, SoftwareKey, access_token_hash, jwk_thumbprint};
pub use error::{
    CredentialStoreProblem, Error, IdTokenProblem, MfaRequirements, NetworkErrorKind, OAuthError, ResponseProblem,
    SignInReason,
};
pub use id_token::DEFAULT_ID_TOKEN_LEEWAY;
pub use native_social::{MAX_USER_PROFILE_BYTES, NativeSocialExchange, PersonName, SubjectTokenType, UserProfile};
pub use parameters::{DEFAULT_SCOPE, parse_forwarded_for};
pub use refresh::REFRESH_TOKEN_GRANT;
pub use resource::{AuthorizationHeaders, MAX_RESOURCE_RESPONSE_BYTES, ResourceRequest, ResourceResponse};
pub use secret::Secret;
pub use time::{from_unix_seconds, to_unix_seconds};
pub use token_set::TokenSet;
pub use token_vault::{
    FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT, FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE, TokenVaultCache,
    TokenVaultExchange, TokenVaultSubjectTokenType, TokenVaultToken,
};
#[cfg(feature = "reqwest-transport")]
pub use transport::ReqwestTransport;
pub use transport::{HttpRequest, HttpResponse, HttpTransport, TransportError, TransportFuture, TransportUnavailable};
pub use zeroize::Zeroizing;
