//! The client object.

use std::sync::Arc;

use crate::config::ClientConfig;
use crate::custom_token_exchange::CustomTokenExchange;
use crate::dpop::DpopKey;
use crate::error::TokenExchangeError;
use crate::native_social::NativeSocialExchange;
use crate::resource::{AuthorizationHeaders, ResourceRequest, ResourceResponse};
use crate::runtime::{CancellationToken, run};
use crate::token_set::TokenSet;
use crate::token_vault::{TokenVaultExchange, TokenVaultToken};
use crate::transport::{ForeignTransport, HttpTransport};

/// A client for one Auth0 application. Create one per application and share it: it is
/// thread-safe, and every call on it uses one connection pool and one DPoP nonce store.
///
/// The async methods take an optional `CancellationToken`; the Swift layer passes one wired
/// to `Task` cancellation. Kotlin coroutine cancellation works without it.
#[derive(uniffi::Object)]
pub struct TokenExchangeClient {
    client: token_exchange::Client,
    dpop_key: Option<Arc<DpopKey>>,
}

impl std::fmt::Debug for TokenExchangeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.client.fmt(f)
    }
}

impl TokenExchangeClient {
    /// The library's client.
    pub fn inner(&self) -> &token_exchange::Client {
        &self.client
    }

    pub(crate) fn build(
        config: &ClientConfig,
        dpop_key: Option<Arc<DpopKey>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Self, TokenExchangeError> {
        let mut builder = config.to_builder()?;
        if let Some(key) = &dpop_key {
            builder = builder.dpop(key.signer());
        }
        if let Some(transport) = transport {
            builder = builder.transport(Arc::new(ForeignTransport(transport)));
        }
        Ok(TokenExchangeClient {
            client: builder.build()?,
            dpop_key,
        })
    }

    pub(crate) async fn send(
        &self,
        request: &ResourceRequest,
        tokens: &TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<ResourceResponse, TokenExchangeError> {
        let (client, request, tokens) = (self.client.clone(), request.to_core(), tokens.to_core());
        run(
            async move {
                client
                    .send_authorized(&request, &tokens)
                    .await
                    .map(ResourceResponse::from)
            },
            cancellation,
        )
        .await
    }

    pub(crate) async fn user_claims(
        &self,
        tokens: &TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<String, TokenExchangeError> {
        let (client, tokens) = (self.client.clone(), tokens.to_core());
        run(
            async move {
                client
                    .userinfo(&tokens)
                    .await
                    .map(|claims| serde_json::Value::Object(claims).to_string())
            },
            cancellation,
        )
        .await
    }
}

#[uniffi::export]
impl TokenExchangeClient {
    /// Validates the configuration (nothing is sent) and creates the client, which sends its
    /// requests with the library's built-in transport. With a `dpop_key`, every request is
    /// sender-constrained with DPoP proofs signed by it; without one, tokens are bearer tokens.
    /// Fails with `InvalidInput` naming the bad field, or `Signer` if a platform key is
    /// unusable. The phone library has no built-in transport: there, use `with_transport`
    /// (what the Swift and Kotlin layers do), or this fails with `Other`.
    #[uniffi::constructor(default(dpop_key = None))]
    pub fn new(config: ClientConfig, dpop_key: Option<Arc<DpopKey>>) -> Result<Arc<Self>, TokenExchangeError> {
        Ok(Arc::new(Self::build(&config, dpop_key, None)?))
    }

    /// Like `new`, with every request sent through `transport`: the platform's networking
    /// (`URLSessionTransport`, `HttpUrlConnectionTransport`) or the app's own. Share one
    /// transport between clients freely.
    #[uniffi::constructor]
    pub fn with_transport(
        config: ClientConfig,
        dpop_key: Option<Arc<DpopKey>>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Arc<Self>, TokenExchangeError> {
        Ok(Arc::new(Self::build(&config, dpop_key, Some(transport))?))
    }

    /// The base URL every endpoint is resolved against (ends with `/`).
    pub fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// The application's client id.
    pub fn client_id(&self) -> String {
        self.client.client_id().to_owned()
    }

    /// The DPoP key, if the client has one.
    pub fn dpop_key(&self) -> Option<Arc<DpopKey>> {
        self.dpop_key.clone()
    }

    /// The thumbprint (`jkt`) of the client's DPoP key, if any.
    pub fn dpop_thumbprint(&self) -> Option<String> {
        self.client.dpop().map(|d| d.thumbprint().to_owned())
    }

    /// Trades a native sign-in artifact for Auth0 tokens. Invalid input fails before any
    /// I/O. Never replayed automatically, except once when the server demands a DPoP nonce.
    /// On `Network`/`Timeout`, check `request_may_have_reached_server()` before reusing a
    /// single-use Apple code.
    #[uniffi::method(default(cancellation = None))]
    pub async fn native_social_exchange(
        &self,
        request: NativeSocialExchange,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenSet, TokenExchangeError> {
        let (client, request) = (self.client.clone(), request.to_core()?);
        run(
            async move { client.native_social_exchange(&request).await.map(TokenSet::from) },
            cancellation,
        )
        .await
    }

    /// Custom Token Exchange: trades a subject token of your own type (a Google ID token for
    /// native Google sign-in...) for Auth0 tokens through the token exchange profile whose
    /// `subject_token_type` matches; its Action validates the token. Invalid input (a reserved
    /// `subject_token_type`, an extra parameter overriding `audience`...) fails before any I/O.
    /// `TokenSet.issued_token_type` and `TokenSet.actor_claim()` tell what was issued.
    #[uniffi::method(default(cancellation = None))]
    pub async fn custom_token_exchange(
        &self,
        request: CustomTokenExchange,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenSet, TokenExchangeError> {
        let (client, request) = (self.client.clone(), request.to_core()?);
        run(
            async move { client.custom_token_exchange(&request).await.map(TokenSet::from) },
            cancellation,
        )
        .await
    }

    /// Token Vault (backends): trades the Auth0 token an app sent your API for the user's
    /// access token at the provider behind `request.connection`. The client must be your API's
    /// Custom API Client with `client_authentication` set. `is_connection_required()` on the
    /// error means the user must connect the account (again).
    #[uniffi::method(default(cancellation = None))]
    pub async fn token_vault_exchange(
        &self,
        request: TokenVaultExchange,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenVaultToken, TokenExchangeError> {
        let (client, request) = (self.client.clone(), request.to_core());
        run(
            async move { client.token_vault_exchange(&request).await.map(TokenVaultToken::from) },
            cancellation,
        )
        .await
    }

    /// The `Authorization` (and, for a bound token, `DPoP`) header values to present
    /// `tokens.access_token` on `method url` with your own HTTP stack. Each proof is valid once.
    pub fn authorization_headers(
        &self,
        method: String,
        url: String,
        tokens: TokenSet,
    ) -> Result<AuthorizationHeaders, TokenExchangeError> {
        Ok(self
            .client
            .authorization_headers(&method, &url, &tokens.to_core())?
            .into())
    }

    /// Sends a request to your API with the access token (and a DPoP proof for a bound
    /// token), retrying once when the API demands a DPoP nonce. Any status is returned.
    #[uniffi::method(default(cancellation = None))]
    pub async fn send_authorized(
        &self,
        request: ResourceRequest,
        tokens: TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<ResourceResponse, TokenExchangeError> {
        self.send(&request, &tokens, cancellation).await
    }

    /// Calls the tenant's `/userinfo` and returns the user's claims as a JSON object.
    #[uniffi::method(default(cancellation = None))]
    pub async fn userinfo(
        &self,
        tokens: TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<String, TokenExchangeError> {
        self.user_claims(&tokens, cancellation).await
    }

    /// A DPoP proof for `method url` (with `ath` when `access_token` is given), carrying the
    /// nonce last received from that origin. `DpopKeyMissing` without a key.
    #[uniffi::method(default(access_token = None))]
    pub fn dpop_proof(
        &self,
        method: String,
        url: String,
        access_token: Option<String>,
    ) -> Result<String, TokenExchangeError> {
        let dpop = self
            .client
            .dpop()
            .ok_or_else(|| TokenExchangeError::from(token_exchange::Error::DpopKeyMissing))?;
        let url = url::Url::parse(&url).map_err(|_| TokenExchangeError::invalid("url", "is not an absolute URL"))?;
        Ok(dpop.proof(&method, &url, access_token.as_deref())?)
    }
}
