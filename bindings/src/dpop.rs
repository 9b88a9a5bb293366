//! DPoP keys: a key that lives on the platform (Secure Enclave, Keychain, Android Keystore)
//! behind a [`DpopSigner`] implemented in Swift, Kotlin or C, or, for C programs, the core's
//! software key (cargo feature `c-api`). Swift and Kotlin have no software key of the library's:
//! the phone library links no ECDSA signing code, their platforms sign.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "c-api")]
use token_exchange::SoftwareKey;
use token_exchange::{DpopSigner as CoreSigner, EcPublicKey, SignerError as CoreSignerError};

use crate::error::TokenExchangeError;

/// A P-256 key implemented outside Rust, for example in the Secure Enclave (Swift) or the
/// Android Keystore (Kotlin). The library builds each DPoP proof and asks the signer to sign
/// its bytes. Calls come from the library's blocking-pool threads (never the thread that
/// drives requests): implementations must be thread-safe and may block, for example on a
/// biometric prompt.
///
/// Signing counts against the client's `timeout`: a call whose signer has not returned by
/// then fails with `Timeout` (`request_may_have_reached_server` false: nothing was sent), and
/// a cancelled call (Swift `Task`, Kotlin coroutine, `CancellationToken`) fails with
/// `Cancelled` at once. The signer call itself is not interrupted: a biometric prompt stays on
/// screen until the user answers or the system dismisses it, and its signature is then
/// discarded. If the prompt must not outlive the call, dismiss it yourself when the call
/// throws (`LAContext.invalidate()`, `BiometricPrompt.cancelAuthentication()`).
#[uniffi::export(with_foreign)]
pub trait DpopSigner: Send + Sync {
    /// The public key, either as an uncompressed SEC1 point (65 bytes `04 || x || y`, what
    /// `SecKeyCopyExternalRepresentation` returns) or as a DER `SubjectPublicKeyInfo` (what
    /// Android's `PublicKey.getEncoded()` returns). Called once, when the `DpopKey` is made.
    fn public_key(&self) -> Result<Vec<u8>, SignerError>;

    /// An ECDSA P-256 / SHA-256 signature of `message` (the signer hashes it), either raw
    /// `r || s` (64 bytes) or DER (`SecKeyCreateSignature` with
    /// `.ecdsaSignatureMessageX962SHA256`, `java.security.Signature("SHA256withECDSA")`).
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, SignerError>;
}

/// What a `DpopSigner` throws when it cannot do its job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SignerError {
    /// The key is unusable (missing, invalidated, the user cancelled a prompt...).
    #[error("{message}")]
    Failed {
        /// For developers; never put key material in it.
        message: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SignerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SignerError::Failed {
            message: format!("the signer threw an unexpected error: {}", e.reason),
        }
    }
}

/// A foreign signer seen as the library's signer. The public key is read and checked once.
struct ForeignSigner {
    signer: Arc<dyn DpopSigner>,
    public: EcPublicKey,
}

/// Parses a public key in either encoding a platform gives.
pub(crate) fn parse_public_key(bytes: &[u8]) -> Result<EcPublicKey, CoreSignerError> {
    if bytes.first() == Some(&0x30) {
        EcPublicKey::from_spki_der(bytes)
    } else {
        EcPublicKey::from_sec1(bytes)
    }
}

impl ForeignSigner {
    fn new(signer: Arc<dyn DpopSigner>) -> Result<Self, TokenExchangeError> {
        let raw = signer.public_key().map_err(|SignerError::Failed { message }| {
            TokenExchangeError::signer(format!("could not read the public key: {message}"))
        })?;
        let public = parse_public_key(&raw)
            .map_err(|e| TokenExchangeError::signer(format!("unusable public key: {}", e.message())))?;
        Ok(ForeignSigner { signer, public })
    }
}

impl CoreSigner for ForeignSigner {
    fn public_key(&self) -> Result<EcPublicKey, CoreSignerError> {
        Ok(self.public)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CoreSignerError> {
        self.signer
            .sign(message.to_vec())
            .map_err(|SignerError::Failed { message }| CoreSignerError::new(message))
    }
}

/// The DPoP key a client signs its proofs with: a platform key behind a `DpopSigner` (the
/// Swift and Kotlin layers make one by default), or, for C programs, a software key. Share one
/// key between clients freely.
#[derive(uniffi::Object)]
pub struct DpopKey {
    signer: Arc<dyn CoreSigner>,
    #[cfg(feature = "c-api")]
    software: Option<Arc<SoftwareKey>>,
    public: EcPublicKey,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DpopKey(jkt={}, {})",
            self.public.thumbprint(),
            if self.is_software() { "software" } else { "foreign" }
        )
    }
}

impl DpopKey {
    /// A key around any signer of the library.
    fn around(signer: Arc<dyn CoreSigner>, public: EcPublicKey) -> Arc<Self> {
        Arc::new(DpopKey {
            signer,
            #[cfg(feature = "c-api")]
            software: None,
            public,
        })
    }

    /// The signer to give the library's client builder.
    pub(crate) fn signer(&self) -> Arc<dyn CoreSigner> {
        self.signer.clone()
    }
}

/// The core's software key, for C programs (and Rust tests of the wrappers): the phone library
/// has none, its platforms sign.
#[cfg(feature = "c-api")]
impl DpopKey {
    fn software(key: SoftwareKey) -> Arc<Self> {
        let key = Arc::new(key);
        Arc::new(DpopKey {
            public: key.public(),
            signer: key.clone(),
            software: Some(key),
        })
    }

    /// A key around any signer of the library (used by the C API's callback signer).
    pub(crate) fn from_core_signer(signer: Arc<dyn CoreSigner>) -> Result<Arc<Self>, TokenExchangeError> {
        let public = signer
            .public_key()
            .map_err(|e| TokenExchangeError::signer(format!("could not read the public key: {}", e.message())))?;
        Ok(Self::around(signer, public))
    }

    /// The PKCS#8 document of a software key, wiped when dropped.
    pub(crate) fn pkcs8(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, TokenExchangeError> {
        match &self.software {
            Some(key) => Ok(key.to_pkcs8()),
            None => Err(TokenExchangeError::invalid(
                "dpop_key",
                "is held by a platform signer and cannot be exported",
            )),
        }
    }

    /// A new random software key (P-256).
    pub fn generate() -> Result<Arc<Self>, TokenExchangeError> {
        let key = SoftwareKey::generate().map_err(|e| TokenExchangeError::signer(e.message().to_owned()))?;
        Ok(Self::software(key))
    }

    /// A software key imported from PKCS#8 DER (what `to_pkcs8` exported).
    pub fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Arc<Self>, TokenExchangeError> {
        let key = SoftwareKey::from_pkcs8(&pkcs8).map_err(|e| TokenExchangeError::invalid("pkcs8", e.message()))?;
        Ok(Self::software(key))
    }

    /// The private key as PKCS#8 DER. Only software keys can be exported (`InvalidInput`
    /// otherwise). The bytes are the private key: never log them.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, TokenExchangeError> {
        Ok(self.pkcs8()?.to_vec())
    }
}

#[uniffi::export]
impl DpopKey {
    /// A key held by a platform signer. Reads its public key now: a signer that throws or
    /// returns an unusable key fails here with `Signer`.
    #[uniffi::constructor]
    pub fn from_signer(signer: Arc<dyn DpopSigner>) -> Result<Arc<Self>, TokenExchangeError> {
        let foreign = ForeignSigner::new(signer)?;
        let public = foreign.public;
        Ok(Self::around(Arc::new(foreign), public))
    }

    /// Whether this is the core's software key (exportable as PKCS#8; C programs only): false
    /// for a key held by a platform signer, so always false in the phone library.
    pub fn is_software(&self) -> bool {
        #[cfg(feature = "c-api")]
        return self.software.is_some();
        #[cfg(not(feature = "c-api"))]
        false
    }

    /// The RFC 7638 thumbprint (`jkt`) of the key: bound tokens carry it in `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        self.public.thumbprint()
    }

    /// The public key as a JWK (JSON, `{"crv","kty","x","y"}`).
    pub fn public_jwk(&self) -> String {
        self.public.jwk_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_exchange::SoftwareKey;

    struct Wrapped(SoftwareKey, bool);
    impl DpopSigner for Wrapped {
        fn public_key(&self) -> Result<Vec<u8>, SignerError> {
            let p = self.0.public();
            let sec1 = [&[4u8][..], p.x(), p.y()].concat();
            if self.1 {
                // DER SubjectPublicKeyInfo, as Android gives it.
                let prefix = [
                    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
                    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
                ];
                Ok([&prefix[..], &sec1].concat())
            } else {
                Ok(sec1)
            }
        }
        fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, SignerError> {
            CoreSigner::sign(&self.0, &message).map_err(|e| SignerError::Failed {
                message: e.message().into(),
            })
        }
    }

    #[test]
    fn foreign_keys_accept_both_public_key_encodings() {
        for spki in [false, true] {
            let soft = SoftwareKey::generate().unwrap();
            let jkt = soft.public().thumbprint();
            let key = DpopKey::from_signer(Arc::new(Wrapped(soft, spki))).unwrap();
            assert_eq!(key.thumbprint(), jkt);
            assert!(!key.is_software());
            #[cfg(feature = "c-api")]
            assert!(matches!(key.to_pkcs8(), Err(TokenExchangeError::InvalidInput { .. })));
        }
    }

    struct Broken;
    impl DpopSigner for Broken {
        fn public_key(&self) -> Result<Vec<u8>, SignerError> {
            Ok(vec![1, 2, 3])
        }
        fn sign(&self, _: Vec<u8>) -> Result<Vec<u8>, SignerError> {
            Err(SignerError::Failed { message: "no".into() })
        }
    }

    #[test]
    fn unusable_public_keys_are_signer_errors() {
        assert!(matches!(
            DpopKey::from_signer(Arc::new(Broken)),
            Err(TokenExchangeError::Signer { .. })
        ));
    }

    #[cfg(feature = "c-api")]
    #[test]
    fn pkcs8_round_trip() {
        let key = DpopKey::generate().unwrap();
        let again = DpopKey::from_pkcs8(key.to_pkcs8().unwrap()).unwrap();
        assert_eq!(key.thumbprint(), again.thumbprint());
        assert!(key.public_jwk().contains("\"kty\":\"EC\""));
        assert!(matches!(
            DpopKey::from_pkcs8(b"nope".to_vec()),
            Err(TokenExchangeError::InvalidInput { ref field, .. }) if field == "pkcs8"
        ));
    }
}
