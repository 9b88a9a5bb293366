//! The signing abstraction: where the DPoP private key lives is up to the implementation.

use std::fmt;

use super::key::EcPublicKey;

/// A P-256 key that signs DPoP proofs (ES256).
///
/// Implement it to keep the private key outside Rust: in the Secure Enclave (Swift), in the
/// Android Keystore (Kotlin), in an HSM. [`crate::SoftwareKey`] is the built-in in-memory
/// implementation. The library builds the proof; the signer only signs bytes.
pub trait DpopSigner: Send + Sync {
    /// The public half of the key. Called once when a [`crate::Dpop`] is created.
    fn public_key(&self) -> Result<EcPublicKey, SignerError>;

    /// Signs `message` with ECDSA P-256 over SHA-256 (the signer hashes). Returns either the
    /// raw 64-byte `r || s` form (JWS) or a DER `ECDSA-Sig-Value` (what `SecKeyCreateSignature`
    /// and `java.security.Signature` return); both are accepted.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;

    /// Whether [`DpopSigner::sign`] may block for long (a biometric prompt, a hardware
    /// round trip). The client then signs on tokio's blocking pool so the runtime's workers
    /// stay free for other requests. Defaults to `true`; in-memory keys return `false`.
    ///
    /// Signing counts against the client's request timeout: a call whose signer has not
    /// returned by then fails with [`crate::Error::Timeout`] (`request_may_have_reached_server:
    /// false`, nothing was sent), and a cancelled call (a dropped future) returns at once.
    /// Either way the blocked `sign` itself cannot be interrupted: a biometric prompt stays on
    /// screen until the user answers it or the system dismisses it, and the signature it then
    /// returns is discarded. Dismiss the prompt yourself when the call ends (for example
    /// invalidate the `LAContext` on iOS, cancel the `BiometricPrompt` on Android) if it must
    /// not outlive the call.
    fn may_block(&self) -> bool {
        true
    }
}

/// A signer could not sign (key missing, user cancelled a biometric prompt, hardware error).
#[derive(Clone, PartialEq, Eq)]
pub struct SignerError {
    message: String,
}

impl SignerError {
    /// An error with a message for developers. Do not put secrets in it.
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

impl fmt::Debug for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerError({:?})", self.message)
    }
}

impl fmt::Display for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SignerError {}
