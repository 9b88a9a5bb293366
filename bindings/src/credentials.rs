//! The credentials manager and where it keeps its record: the `CredentialStore` trait
//! (implemented in Swift, Kotlin, or by the library's memory and file stores).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::client::TokenExchangeClient;
use crate::error::TokenExchangeError;
use crate::runtime::{CancellationToken, run};
use crate::token_set::TokenSet;

/// Keeps the one record of a `CredentialsManager`: an opaque, versioned string holding
/// tokens. Store it as it is, somewhere only the app can read (the Keychain, data sealed with
/// an Android Keystore key, a `0600` file), and never log it.
///
/// The manager calls the store from the library's blocking threads (never the caller's, and
/// never twice at the same time): implementations may block, and must be thread-safe. Any
/// error is reported to the app as `TokenExchangeError.CredentialStore`.
#[uniffi::export(with_foreign)]
pub trait CredentialStore: Send + Sync {
    /// The saved record, or none.
    fn load(&self) -> Result<Option<String>, CredentialStoreError>;

    /// Replaces the record. After a failure the previous record must still be there or be
    /// gone; never a partly written one.
    fn save(&self, record: String) -> Result<(), CredentialStoreError>;

    /// Removes the record. Removing a record that is not there succeeds.
    fn clear(&self) -> Result<(), CredentialStoreError>;
}

/// What a `CredentialStore` throws when it cannot do its job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CredentialStoreError {
    /// The store failed (I/O error, Keychain locked, key invalidated...).
    #[error("{message}")]
    Failed {
        /// For developers; never put the record or a token in it.
        message: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CredentialStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CredentialStoreError::Failed {
            message: format!("the store threw an unexpected error: {}", e.reason),
        }
    }
}

fn store_error(CredentialStoreError::Failed { message }: CredentialStoreError) -> token_exchange::CredentialStoreError {
    token_exchange::CredentialStoreError::new(message)
}

/// A store of the bindings seen as the library's.
struct ForeignStore(Arc<dyn CredentialStore>);

impl token_exchange::CredentialStore for ForeignStore {
    fn load(&self) -> Result<Option<String>, token_exchange::CredentialStoreError> {
        self.0.load().map_err(store_error)
    }

    fn save(&self, record: &str) -> Result<(), token_exchange::CredentialStoreError> {
        self.0.save(record.to_owned()).map_err(store_error)
    }

    fn clear(&self) -> Result<(), token_exchange::CredentialStoreError> {
        self.0.clear().map_err(store_error)
    }
}

/// One of the library's stores, offered to Swift and Kotlin.
struct LibraryStore<S>(S);

impl<S: token_exchange::CredentialStore> CredentialStore for LibraryStore<S> {
    fn load(&self) -> Result<Option<String>, CredentialStoreError> {
        self.0.load().map_err(library_error)
    }

    fn save(&self, record: String) -> Result<(), CredentialStoreError> {
        let record = zeroize::Zeroizing::new(record);
        self.0.save(&record).map_err(library_error)
    }

    fn clear(&self) -> Result<(), CredentialStoreError> {
        self.0.clear().map_err(library_error)
    }
}

fn library_error(e: token_exchange::CredentialStoreError) -> CredentialStoreError {
    CredentialStoreError::Failed {
        message: e.message().to_owned(),
    }
}

/// A store that keeps the record in memory, wiped when replaced or dropped: for tests, and for
/// a session that ends with the process.
#[uniffi::export]
pub fn memory_credential_store() -> Arc<dyn CredentialStore> {
    Arc::new(LibraryStore(token_exchange::MemoryCredentialStore::new()))
}

/// A store that keeps the record in the file at `path`, readable only by its owner (mode
/// `0600` on Unix; missing directories are created `0700`). Saving writes a new file and
/// renames it over the old one, so a crash leaves the old record or the new one; a symbolic
/// link at `path` is never followed. For command-line tools, backends and JVM apps; on a phone
/// prefer the Keychain or the Android Keystore store.
#[uniffi::export]
pub fn file_credential_store(path: String) -> Arc<dyn CredentialStore> {
    Arc::new(LibraryStore(token_exchange::FileCredentialStore::new(path)))
}

/// What happened to the refresh token when `CredentialsManager.clear()` signed out.
// uniffi passes enum variants by value (no `Box`), and this one is returned once per sign-out.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Revocation {
    /// The server revoked it (or did not know it).
    Revoked,
    /// There was nothing to revoke: no record, no refresh token, or an unreadable record.
    NothingToRevoke,
    /// Revocation failed (offline, server error): the refresh token stays valid on the server
    /// until it expires. The local record was removed all the same.
    Failed {
        /// Why.
        error: TokenExchangeError,
    },
}

impl From<token_exchange::Revocation> for Revocation {
    fn from(r: token_exchange::Revocation) -> Self {
        match r {
            token_exchange::Revocation::Revoked => Revocation::Revoked,
            token_exchange::Revocation::Failed(e) => Revocation::Failed { error: e.into() },
            // NothingToRevoke, and whatever a later library adds: nothing was revoked.
            _ => Revocation::NothingToRevoke,
        }
    }
}

/// Keeps the user signed in after the exchange: stores the token set in a `CredentialStore`,
/// hands it out while it is fresh, renews it with the refresh token when it is about to
/// expire, and forgets it when it can no longer be used.
///
/// One operation runs at a time: concurrent callers wait for the renewal in flight and share
/// its result (fifty callers with expired tokens make one request). An operation that started
/// finishes even when its caller is cancelled, so a rotated refresh token is saved, not lost.
/// Use one manager per store, with the client (and DPoP key) of the exchange.
#[derive(uniffi::Object)]
pub struct CredentialsManager {
    manager: token_exchange::CredentialsManager,
}

impl fmt::Debug for CredentialsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.manager.fmt(f)
    }
}

impl CredentialsManager {
    /// Runs one of the manager's operations on the library's runtime.
    async fn run<F, T>(
        &self,
        operation: impl FnOnce(token_exchange::CredentialsManager) -> F,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<T, TokenExchangeError>
    where
        F: Future<Output = Result<T, token_exchange::Error>> + Send + 'static,
        T: Send + 'static,
    {
        run(operation(self.manager.clone()), cancellation).await
    }
}

#[uniffi::export]
impl CredentialsManager {
    /// A manager that renews through `client` and keeps the tokens in `store`.
    #[uniffi::constructor]
    pub fn new(client: Arc<TokenExchangeClient>, store: Arc<dyn CredentialStore>) -> Arc<Self> {
        Arc::new(CredentialsManager {
            manager: token_exchange::CredentialsManager::new(client.inner().clone(), Arc::new(ForeignStore(store))),
        })
    }

    /// Stores `tokens` (right after the sign-in), replacing what was stored.
    #[uniffi::method(default(cancellation = None))]
    pub async fn save(
        &self,
        tokens: TokenSet,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<(), TokenExchangeError> {
        let tokens = tokens.to_core();
        self.run(|m| async move { m.save(&tokens).await }, cancellation).await
    }

    /// The stored tokens, renewed first when they expire within `min_ttl`.
    ///
    /// `is_sign_in_required()` on the error means: show the sign-in screen (`SignInRequired`:
    /// nothing stored, no refresh token, or the refresh token was refused and the store
    /// cleared; `DpopKeyMismatch`/`DpopKeyMissing`: the tokens are bound to a key the client no
    /// longer has, the store was cleared and nothing was sent). Network and server failures
    /// leave the store as it was: the user stays signed in, try again later.
    #[uniffi::method(default(cancellation = None))]
    pub async fn credentials(
        &self,
        min_ttl: Duration,
        cancellation: Option<Arc<CancellationToken>>,
    ) -> Result<TokenSet, TokenExchangeError> {
        self.run(
            |m| async move { m.credentials(min_ttl).await.map(TokenSet::from) },
            cancellation,
        )
        .await
    }

    /// Renews the stored tokens now, whatever their expiry. Errors as for `credentials`.
    #[uniffi::method(default(cancellation = None))]
    pub async fn renew(&self, cancellation: Option<Arc<CancellationToken>>) -> Result<TokenSet, TokenExchangeError> {
        self.run(|m| async move { m.renew().await.map(TokenSet::from) }, cancellation)
            .await
    }

    /// Signs out: revokes the stored refresh token at the server, then removes the record,
    /// even when revocation failed (signing out must work offline). Says what happened to the
    /// refresh token. Fails only when the store cannot remove the record.
    #[uniffi::method(default(cancellation = None))]
    pub async fn clear(&self, cancellation: Option<Arc<CancellationToken>>) -> Result<Revocation, TokenExchangeError> {
        self.run(|m| async move { m.clear().await.map(Revocation::from) }, cancellation)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;
    impl CredentialStore for Failing {
        fn load(&self) -> Result<Option<String>, CredentialStoreError> {
            Err(CredentialStoreError::Failed {
                message: "locked".into(),
            })
        }
        fn save(&self, _: String) -> Result<(), CredentialStoreError> {
            self.load().map(|_| ())
        }
        fn clear(&self) -> Result<(), CredentialStoreError> {
            self.load().map(|_| ())
        }
    }

    #[test]
    fn store_failures_reach_the_caller_as_the_librarys_error() {
        let client = TokenExchangeClient::new(crate::ClientConfig::new("http://127.0.0.1:9", "app"), None).unwrap();
        let manager = CredentialsManager::new(client, Arc::new(Failing));
        let e = crate::runtime::block_on(manager.credentials(Duration::ZERO, None)).unwrap_err();
        match &e {
            TokenExchangeError::CredentialStore {
                problem: crate::error::CredentialStoreProblem::Failed { message },
                ..
            } => assert_eq!(message, "locked"),
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("locked"));
    }

    #[test]
    fn library_stores_keep_one_record() {
        let store = memory_credential_store();
        assert_eq!(store.load().unwrap(), None);
        store.save("record".into()).unwrap();
        assert_eq!(store.load().unwrap().as_deref(), Some("record"));
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }
}
