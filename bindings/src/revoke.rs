//! Revoking a refresh token (RFC 7009): signing out on the server.

use std::sync::Arc;

use crate::client::TokenExchangeClient;
use crate::error::TokenExchangeError;
use crate::runtime::{CancellationToken, run};

#[uniffi::export]
impl TokenExchangeClient {
    /// Revokes `refresh_token` at `/oauth/revoke`, authenticating the client as at the token
    /// endpoint. A token the server does not know (already revoked, expired) is a success, as
    /// RFC 7009 says. No DPoP proof is needed, so it works after the key was lost. Revoking
    /// twice is harmless: a network failure may be retried.
    #[uniffi::method(default(cancellation = None))]
    pub async fn revoke(
        &self,
        refresh_token: String,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<(), TokenExchangeError> {
        let (client, refresh_token) = (self.inner().clone(), token_exchange::Secret::from(refresh_token));
        run(async move { client.revoke(&refresh_token).await }, cancellation).await
    }
}
