//! Where the credentials manager keeps its one record: the [`CredentialStore`] trait, the
//! in-memory store, and what can go wrong with a store.

use crate::error::CredentialStoreProblem;
use std::fmt;
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Keeps one serialized record of credentials (tokens, expiry, scope, the DPoP key's
/// thumbprint) for a [`crate::CredentialsManager`].
///
/// The record is an opaque, versioned string: store it as it is, somewhere only the app can
/// read (the Keychain, data sealed with an Android Keystore key, a `0600` file). It contains
/// tokens: never log it. The manager calls the store from a blocking thread, never twice at
/// the same time, and treats every error as a [`CredentialStoreError`].
///
/// Built in: [`MemoryCredentialStore`] and [`crate::FileCredentialStore`].
pub trait CredentialStore: Send + Sync {
    /// The saved record, or `None` when there is none.
    fn load(&self) -> Result<Option<String>, CredentialStoreError>;

    /// Replaces the record. After a failure the previous record must still be there or be
    /// gone; never a partly written one.
    fn save(&self, record: &str) -> Result<(), CredentialStoreError>;

    /// Removes the record. Removing a record that is not there succeeds.
    fn clear(&self) -> Result<(), CredentialStoreError>;
}

/// A store failed (I/O error, Keychain locked, key invalidated...).
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialStoreError {
    message: String,
}

impl CredentialStoreError {
    /// An error with a message for developers. Never put the record or a token in it.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for CredentialStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialStoreError({:?})", self.message)
    }
}

impl fmt::Display for CredentialStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CredentialStoreError {}

impl From<CredentialStoreError> for CredentialStoreProblem {
    fn from(e: CredentialStoreError) -> Self {
        CredentialStoreProblem::Failed(e.message)
    }
}

/// Keeps the record in memory (wiped when replaced or dropped): for tests, and for apps that
/// want a session that ends with the process.
#[derive(Default)]
pub struct MemoryCredentialStore {
    record: Mutex<Option<Zeroizing<String>>>,
}

impl MemoryCredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<String>>> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryCredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCredentialStore")
            .field("has_record", &self.record().is_some())
            .finish()
    }
}

impl CredentialStore for MemoryCredentialStore {
    fn load(&self) -> Result<Option<String>, CredentialStoreError> {
        Ok(self.record().as_ref().map(|r| r.to_string()))
    }

    fn save(&self, record: &str) -> Result<(), CredentialStoreError> {
        *self.record() = Some(Zeroizing::new(record.to_owned()));
        Ok(())
    }

    fn clear(&self) -> Result<(), CredentialStoreError> {
        *self.record() = None;
        Ok(())
    }
}
