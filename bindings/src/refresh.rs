//! Renewing tokens with their refresh token.

use std::sync::Arc;

use crate::client::TokenExchangeClient;
use crate::error::TokenExchangeError;
use crate::runtime::{CancellationToken, run};
use crate::token_set::TokenSet;

#[uniffi::export]
impl TokenExchangeClient {
    /// Renews `tokens` with their refresh token, optionally for a narrower `scope`
    /// (space-separated). A fresh DPoP proof from the client's key, the nonce retry and ID
    /// token validation as for the exchange. The result is merged with `tokens`: a rotated
    /// refresh token replaces the old one, an absent one keeps it, an ID token not reissued is
    /// kept with its claims.
    ///
    /// Fails before any I/O with `InvalidInput` (no refresh token, bad scope),
    /// `DpopKeyMissing` or `DpopKeyMismatch` (the tokens are bound to a key this client does
    /// not hold: sign in again). `invalid_grant` (`is_invalid_grant()`) means the refresh token
    /// was revoked or already rotated: sign in again. Never replayed once it may have reached
    /// the server. `CredentialsManager` does all this, and keeps what the server rotated.
    #[uniffi::method(default(scope = None, cancellation = None))]
    pub async fn refresh(
        &self,
        tokens: TokenSet,
        scope: Option<String>,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenSet, TokenExchangeError> {
        let (client, tokens) = (self.inner().clone(), tokens.to_core());
        run(
            async move { client.refresh(&tokens, scope.as_deref()).await.map(TokenSet::from) },
            cancellation,
        )
        .await
    }
}
