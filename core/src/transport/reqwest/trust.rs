//! Server certificate verification against the platform's trust store, loaded at the first
//! certificate to verify rather than when the transport is built.
//!
//! Loading the store (on Linux, reading and parsing every root certificate of the OS) was 97% of
//! building a client, and a client that only talks plain HTTP to loopback (tests, the emulator)
//! never needs it. The verification itself is the platform verifier's, unchanged: this type
//! only decides when that verifier is built.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

/// The platform verifier, built on first use. Shared by every connection of a transport.
pub(crate) struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    /// `None` once building failed: the OS has no trust store at all (a bare container).
    platform: OnceLock<Option<Verifier>>,
}

impl LazyPlatformVerifier {
    pub(crate) fn new(provider: Arc<CryptoProvider>) -> Self {
        LazyPlatformVerifier {
            provider,
            platform: OnceLock::new(),
        }
    }

    /// The platform verifier, built by the first caller (the others wait for it).
    fn platform(&self) -> Option<&Verifier> {
        self.platform
            .get_or_init(|| Verifier::new(self.provider.clone()).ok())
            .as_ref()
    }

    /// Whether the trust store has been loaded (or its loading attempted).
    #[cfg(test)]
    fn loaded(&self) -> bool {
        self.platform.get().is_some()
    }
}

impl fmt::Debug for LazyPlatformVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyPlatformVerifier")
            .field("loaded", &self.platform.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.platform() {
            Some(platform) => platform.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            // No trust store: no server is trusted (what an empty root store would answer).
            // Plain-HTTP loopback still works; HTTPS fails as a TLS error on the request.
            None => Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        }
    }

    // The handshake signature checks need no trust store: the platform verifier makes them with
    // the provider's algorithms, and so do these (the same rustls functions), which keeps the
    // store unloaded until a certificate is actually presented.

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::reqwest::tls;

    #[test]
    fn the_trust_store_is_loaded_at_the_first_certificate_only() {
        let provider = Arc::new(tls::provider());
        let lazy = LazyPlatformVerifier::new(provider.clone());
        // What a ClientHello needs: the same schemes as the platform verifier, nothing loaded.
        assert!(!lazy.supported_verify_schemes().is_empty());
        assert!(!lazy.loaded());
        if let Ok(platform) = Verifier::new(provider) {
            assert_eq!(lazy.supported_verify_schemes(), platform.supported_verify_schemes());
        }
        // A certificate to verify loads it, and a self-made one is refused either way.
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let name = ServerName::try_from("example.com").unwrap();
        assert!(
            lazy.verify_server_cert(&garbage, &[], &name, &[], UnixTime::now())
                .is_err()
        );
        assert!(lazy.loaded());
    }
}
