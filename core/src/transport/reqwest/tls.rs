//! The TLS crypto provider: ring (the same crypto as DPoP signing), limited to what TLS 1.3
//! makes mandatory plus the TLS 1.2 suites every HTTPS server still offers.
//!
//! rustls' ready-made ring provider also carries ChaCha20-Poly1305, X25519 and Ed25519. Each is
//! only a "SHOULD" in RFC 8446 §9.1 (AES-128-GCM and secp256r1 are the "MUST"s), no public CA
//! issues Ed25519 server certificates, and together they cost about 130 KB of the mobile binary.
//! Listing exactly what we use lets the linker drop the rest.

use rustls::SignatureScheme;
use rustls::crypto::ring::{cipher_suite, kx_group};
use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use webpki::ring as algs;

/// The provider every client's TLS configuration is built on.
pub(crate) fn provider() -> CryptoProvider {
    CryptoProvider {
        // Our order of preference (a server may apply its own); AES-GCM is hardware-accelerated
        // on every phone.
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        // secp256r1 first: the key share sent in the ClientHello, so no HelloRetryRequest.
        kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &RingRandom,
        key_provider: &NoClientKeys,
    }
}

/// rustls' ring list without Ed25519.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        // In TLS 1.2 the curve is not fixed by the scheme; in TLS 1.3 it is.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        ),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (SignatureScheme::RSA_PKCS1_SHA512, &[algs::RSA_PKCS1_2048_8192_SHA512]),
        (SignatureScheme::RSA_PKCS1_SHA384, &[algs::RSA_PKCS1_2048_8192_SHA384]),
        (SignatureScheme::RSA_PKCS1_SHA256, &[algs::RSA_PKCS1_2048_8192_SHA256]),
    ],
};

/// TLS randomness from the operating system, through ring.
#[derive(Debug)]
struct RingRandom;

impl SecureRandom for RingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new().fill(buf).map_err(|_| GetRandomFailed)
    }
}

/// The library never presents a TLS client certificate (clients authenticate in the request
/// body or with a signed assertion), so it loads no TLS private keys.
#[derive(Debug)]
struct NoClientKeys;

impl KeyProvider for NoClientKeys {
    fn load_private_key(&self, _key: PrivateKeyDer<'static>) -> Result<std::sync::Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "TLS client certificates are not supported".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_the_mandatory_suite_and_group_first() {
        let p = provider();
        assert_eq!(
            p.cipher_suites[0].suite(),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
        );
        assert_eq!(p.kx_groups[0].name(), rustls::NamedGroup::secp256r1);
        assert!(
            p.cipher_suites
                .iter()
                .all(|s| !format!("{:?}", s.suite()).contains("CHACHA"))
        );
        // rustls refuses inconsistent providers when a configuration is built from it.
        rustls::ClientConfig::builder_with_provider(p.into())
            .with_safe_default_protocol_versions()
            .expect("a consistent provider");
    }

    #[test]
    fn verifies_the_certificate_signatures_servers_use() {
        let schemes = SIGNATURE_ALGORITHMS.supported_schemes();
        for scheme in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&scheme), "{scheme:?}");
        }
        assert!(!schemes.contains(&SignatureScheme::ED25519));
    }

    fn testdata(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/testdata/tls/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// Handshakes in memory between a client on [`provider`] (trusting the test CA) and a
    /// rustls server on the full ring provider, whose own preferences (X25519, ChaCha20 among
    /// them) the client must steer away from. Returns the negotiated suite and group.
    fn handshake(server_kind: &str, versions: &[&'static rustls::SupportedProtocolVersion]) -> (String, String) {
        use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
        use std::sync::Arc;

        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(testdata("ca-cert.der"))).unwrap();
        let client_config = rustls::ClientConfig::builder_with_provider(provider().into())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server_config =
            rustls::ServerConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
                .with_protocol_versions(versions)
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(testdata(&format!("{server_kind}-cert.der")))],
                    PrivatePkcs8KeyDer::from(testdata(&format!("{server_kind}-key.der"))).into(),
                )
                .unwrap();
        let mut client =
            rustls::ClientConnection::new(Arc::new(client_config), ServerName::try_from("localhost").unwrap()).unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();

        let mut wire = Vec::new();
        for _ in 0..10 {
            if !client.is_handshaking() && !server.is_handshaking() {
                break;
            }
            wire.clear();
            client.write_tls(&mut wire).unwrap();
            server.read_tls(&mut wire.as_slice()).unwrap();
            server.process_new_packets().expect("the server accepts the client");
            wire.clear();
            server.write_tls(&mut wire).unwrap();
            client.read_tls(&mut wire.as_slice()).unwrap();
            client.process_new_packets().expect("the client accepts the server");
        }
        assert!(!client.is_handshaking(), "the handshake did not finish");
        (
            format!("{:?}", client.negotiated_cipher_suite().unwrap().suite()),
            format!("{:?}", client.negotiated_key_exchange_group().unwrap().name()),
        )
    }

    #[test]
    fn handshakes_with_tls13_servers() {
        for kind in ["ec", "rsa"] {
            let (suite, group) = handshake(kind, &[&rustls::version::TLS13]);
            assert_eq!(suite, "TLS13_AES_128_GCM_SHA256", "{kind} certificate");
            assert_eq!(group, "secp256r1", "{kind} certificate");
        }
    }

    #[test]
    fn handshakes_with_tls12_only_servers() {
        let (suite, group) = handshake("ec", &[&rustls::version::TLS12]);
        assert_eq!(suite, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(group, "secp256r1");
        let (suite, _) = handshake("rsa", &[&rustls::version::TLS12]);
        assert_eq!(suite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }

    #[test]
    fn random_bytes_are_filled() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        RingRandom.fill(&mut a).unwrap();
        RingRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
