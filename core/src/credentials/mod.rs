//! The credentials manager: keeps the user signed in after the exchange. It stores the token
//! set in a [`CredentialStore`], hands it out while it is fresh, renews it with the refresh
//! token when it is about to expire, and forgets it when it can no longer be used.

mod file_store;
mod record;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

pub use file_store::FileCredentialStore;
pub use store::{CredentialStore, CredentialStoreError, MemoryCredentialStore};

use crate::client::{Client, TokenRequestFailure};
use crate::error::{CredentialStoreProblem, Error, SignInReason};
use crate::token_set::TokenSet;

/// What happened to the refresh token when [`CredentialsManager::clear`] signed out.
#[derive(Debug)]
#[non_exhaustive]
pub enum Revocation {
    /// The server revoked it (or did not know it).
    Revoked,
    /// There was nothing to revoke: no record, no refresh token, or an unreadable record.
    NothingToRevoke,
    /// Revocation failed (offline, server error); the refresh token stays valid on the server
    /// until it expires. The local record was removed all the same.
    Failed(Error),
}

/// Keeps the user's tokens in a [`CredentialStore`] and renews them.
///
/// ```no_run
/// # use std::{sync::Arc, time::Duration};
/// # use token_exchange::{Client, CredentialsManager, FileCredentialStore, TokenSet};
/// # async fn run(client: Client, tokens: TokenSet) -> Result<(), token_exchange::Error> {
/// let manager = CredentialsManager::new(client, Arc::new(FileCredentialStore::new("credentials.json")));
/// manager.save(&tokens).await?; // right after the exchange
/// // Later, before each API call: tokens valid for at least another minute.
/// match manager.credentials(Duration::from_secs(60)).await {
///     Ok(tokens) => { /* call the API */ }
///     Err(e) if e.is_sign_in_required() => { /* show the sign-in screen */ }
///     Err(e) => { /* offline or server trouble: try again later, the user stays signed in */ }
/// }
/// # Ok(()) }
/// ```
///
/// One operation runs at a time per manager: concurrent callers wait for the renewal in
/// progress and share its result, so N callers with expired tokens cause one refresh. An
/// operation that was started finishes even when its caller goes away (a cancelled task), so a
/// rotated refresh token the server already issued is saved rather than lost. Use one manager
/// (clone it freely) per store; two managers over one store would each renew.
#[derive(Clone)]
pub struct CredentialsManager {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    store: Arc<dyn CredentialStore>,
    /// Serialises every operation on the store.
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl fmt::Debug for CredentialsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsManager")
            .field("client", &self.shared.client)
            .finish_non_exhaustive()
    }
}

/// When to renew.
#[derive(Clone, Copy)]
enum Renewal {
    IfExpiringWithin(Duration),
    Always,
}

impl CredentialsManager {
    /// A manager that renews through `client` (the client of the exchange, with its DPoP
    /// key) and keeps the tokens in `store`.
    pub fn new(client: Client, store: Arc<dyn CredentialStore>) -> Self {
        CredentialsManager {
            shared: Arc::new(Shared {
                client,
                store,
                lock: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// Stores `tokens` (after a sign-in), replacing what was stored.
    pub async fn save(&self, tokens: &TokenSet) -> Result<(), Error> {
        let record = record::encode(tokens);
        self.exclusive(move |shared| async move { shared.save_record(record).await })
            .await
    }

    /// The stored tokens, renewed first when they expire within `min_ttl` (tokens without a
    /// known expiry are returned as they are).
    ///
    /// Errors: [`Error::SignInRequired`] (nothing stored, no refresh token, or the refresh
    /// token was refused, in which case the store was cleared), [`Error::DpopKeyMismatch`] /
    /// [`Error::DpopKeyMissing`] (the tokens are bound to a key the client no longer has: the
    /// store was cleared and nothing was sent), [`Error::CredentialStore`], and the errors of
    /// [`Client::refresh`]. Network and server failures leave the store as it was: the user
    /// stays signed in and the call can be retried. When the server renewed but the client
    /// refused its answer ([`Error::IdTokenInvalid`], [`Error::TokenNotBound`]), the refresh
    /// token it issued replaces the stored one (with rotation the stored one is spent), so
    /// that a retry does not look like reuse.
    ///
    /// Renewed tokens may still expire within `min_ttl` when the server issues tokens that live
    /// shorter than that; check [`TokenSet::expires_at`] if it matters.
    pub async fn credentials(&self, min_ttl: Duration) -> Result<TokenSet, Error> {
        self.exclusive(move |shared| async move { shared.credentials(Renewal::IfExpiringWithin(min_ttl)).await })
            .await
    }

    /// Renews the stored tokens now, whatever their expiry (after the user's permissions
    /// changed, say). Errors as for [`CredentialsManager::credentials`].
    pub async fn renew(&self) -> Result<TokenSet, Error> {
        self.exclusive(|shared| async move { shared.credentials(Renewal::Always).await })
            .await
    }

    /// Signs out: revokes the stored refresh token at the server, then removes the record.
    ///
    /// The record is removed even when revocation fails (offline, server down): signing out
    /// must work without a network, and a user who signs out on a shared device expects the
    /// device to forget them. The outcome of the revocation is returned so that the app can
    /// tell the user, or log it. Fails only when the store cannot remove the record.
    pub async fn clear(&self) -> Result<Revocation, Error> {
        self.exclusive(|shared| async move { shared.sign_out().await }).await
    }

    /// Runs `operation` alone (after the operations already waiting), to completion even if
    /// this future is dropped.
    async fn exclusive<F, Fut, T>(&self, operation: F) -> Result<T, Error>
    where
        F: FnOnce(Arc<Shared>) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        // Waiting for the lock is cancellable; the operation, once it holds it, is not.
        let guard = self.shared.lock.clone().lock_owned().await;
        let work = operation(self.shared.clone());
        let task = async move {
            let result = work.await;
            drop(guard);
            result
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime.spawn(task).await.unwrap_or_else(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(Error::Cancelled),
            }),
            Err(_) => task.await,
        }
    }
}

impl Shared {
    async fn credentials(&self, renewal: Renewal) -> Result<TokenSet, Error> {
        let Some(tokens) = self.load().await? else {
            return Err(Error::SignInRequired {
                reason: SignInReason::NoCredentials,
            });
        };
        if let Err(e) = self.check_key(&tokens) {
            self.clear_record().await?;
            return Err(e);
        }
        if let Renewal::IfExpiringWithin(min_ttl) = renewal
            && !tokens.expires_within(min_ttl)
        {
            return Ok(tokens);
        }
        if tokens.refresh_token.is_none() {
            return Err(Error::SignInRequired {
                reason: SignInReason::NoRefreshToken,
            });
        }
        match self.client.refresh_reporting_rotation(&tokens, None).await {
            Ok(renewed) => {
                self.save_record(record::encode(&renewed)).await?;
                Ok(renewed)
            }
            Err(TokenRequestFailure {
                error: Error::OAuth(e), ..
            }) if e.is_invalid_grant() => {
                self.clear_record().await?;
                Err(Error::SignInRequired {
                    reason: SignInReason::RefreshTokenRejected(e),
                })
            }
            Err(TokenRequestFailure {
                error,
                issued_refresh_token: Some(issued),
            }) if Some(&issued) != tokens.refresh_token.as_ref() => {
                // The server answered, so with rotation it retired the token sent: renewing
                // with that one again would be reuse and revoke the family. Keep the new one
                // with the tokens the app still has.
                let mut kept = tokens;
                kept.refresh_token = Some(issued);
                self.save_record(record::encode(&kept)).await?;
                Err(error)
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// Tokens bound to a DPoP key can only be used with that key: a stored thumbprint that
    /// is not the client's key's means the key was lost or reset.
    fn check_key(&self, tokens: &TokenSet) -> Result<(), Error> {
        match (&tokens.dpop_jkt, self.client.dpop()) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(Error::DpopKeyMissing),
            (Some(jkt), Some(dpop)) => dpop.check_binding(jkt),
        }
    }

    async fn sign_out(&self) -> Result<Revocation, Error> {
        // An unreadable record is removed without revoking: its token cannot be read.
        let refresh_token = match self.load().await {
            Ok(tokens) => tokens.and_then(|t| t.refresh_token),
            Err(Error::CredentialStore {
                problem: CredentialStoreProblem::UnsupportedVersion(_) | CredentialStoreProblem::Corrupt,
            }) => None,
            Err(e) => return Err(e),
        };
        let revocation = match refresh_token {
            None => Revocation::NothingToRevoke,
            Some(token) => match self.client.revoke(&token).await {
                Ok(()) => Revocation::Revoked,
                Err(e) => Revocation::Failed(e),
            },
        };
        self.clear_record().await?;
        Ok(revocation)
    }

    async fn load(&self) -> Result<Option<TokenSet>, Error> {
        let store = self.store.clone();
        let text = blocking(move || store.load()).await?.map_err(store_error)?;
        let Some(text) = text.map(Zeroizing::new) else {
            return Ok(None);
        };
        record::decode(&text)
            .map(Some)
            .map_err(|problem| Error::CredentialStore { problem })
    }

    async fn save_record(&self, record: Zeroizing<String>) -> Result<(), Error> {
        let store = self.store.clone();
        blocking(move || store.save(&record)).await?.map_err(store_error)
    }

    async fn clear_record(&self) -> Result<(), Error> {
        let store = self.store.clone();
        blocking(move || store.clear()).await?.map_err(store_error)
    }
}

fn store_error(e: CredentialStoreError) -> Error {
    Error::CredentialStore { problem: e.into() }
}

/// Runs a store call on tokio's blocking pool: a Keychain or Keystore call may block, and the
/// runtime's threads drive every other request.
async fn blocking<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(call)
            .await
            .map_err(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Error::Cancelled,
            }),
        Err(_) => Ok(call()),
    }
}
