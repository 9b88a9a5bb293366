//! DPoP (RFC 9449): proofs of possession signed by a pluggable key, and the nonces servers
//! hand out, kept per origin.

mod key;
mod signature;
mod signer;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use url::Url;

pub use key::{EcPublicKey, SoftwareKey, access_token_hash, jwk_thumbprint};
pub use signer::{DpopSigner, SignerError};

use crate::error::Error;

/// The `DPoP-Nonce` response header.
pub const NONCE_HEADER: &str = "dpop-nonce";

/// A DPoP key in use: makes a fresh proof for every request and remembers each server's nonce.
///
/// Cheap to share (`Arc` inside). Nonces are kept per origin (scheme, host, port), so the
/// authorization server and each resource server get their own, as RFC 9449 requires.
#[derive(Clone)]
pub struct Dpop {
    inner: Arc<Inner>,
}

struct Inner {
    signer: Arc<dyn DpopSigner>,
    /// base64url of the JOSE header, which only depends on the key: computed once.
    header_b64: String,
    thumbprint: String,
    nonces: Mutex<HashMap<String, String>>,
    rng: SystemRandom,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<&'a str>,
}

impl Dpop {
    /// Reads the signer's public key once and prepares the proof header.
    pub fn new(signer: Arc<dyn DpopSigner>) -> Result<Self, Error> {
        let public = signer.public_key().map_err(|e| Error::Signer(e.message().to_owned()))?;
        let header = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#, public.jwk_json());
        Ok(Dpop {
            inner: Arc::new(Inner {
                signer,
                header_b64: URL_SAFE_NO_PAD.encode(header),
                thumbprint: public.thumbprint(),
                nonces: Mutex::new(HashMap::new()),
                rng: SystemRandom::new(),
            }),
        })
    }

    /// The RFC 7638 thumbprint (`jkt`) of the key: bound tokens carry it in `cnf.jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// A new proof for `method` on `url`, with the nonce last received from that URL's origin
    /// and, when presenting an access token, its hash (`ath`). The query and fragment of `url`
    /// are not part of `htu`.
    pub fn proof(&self, method: &str, url: &Url, access_token: Option<&str>) -> Result<String, Error> {
        let nonce = self.nonce_for(url);
        self.proof_with_nonce(method, url, nonce.as_deref(), access_token)
    }

    /// A new proof with an explicit nonce (or none). A nonce that is not RFC 9449's
    /// `1*NQCHAR` fails with [`Error::InvalidInput`] (`nonce`).
    pub fn proof_with_nonce(
        &self,
        method: &str,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        if nonce.is_some_and(|n| !crate::validate::is_nonce(n)) {
            return Err(Error::invalid(
                "nonce",
                "must be RFC 9449 NQCHARs (visible ASCII, no `\"` or `\\`)",
            ));
        }
        let mut jti = [0u8; 16];
        self.inner
            .rng
            .fill(&mut jti)
            .map_err(|_| Error::Signer("the system random generator failed".into()))?;
        let jti = URL_SAFE_NO_PAD.encode(jti);
        let htu = htu(url);
        let ath = access_token.map(access_token_hash);
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let claims = Claims {
            jti: &jti,
            htm: method,
            htu,
            iat,
            nonce,
            ath: ath.as_deref(),
        };
        let payload = serde_json::to_vec(&claims).expect("claims of plain strings always serialise");

        let header = &self.inner.header_b64;
        let mut jwt = String::with_capacity(header.len() + payload.len() * 4 / 3 + 100);
        jwt.push_str(header);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let sig = self
            .inner
            .signer
            .sign(jwt.as_bytes())
            .map_err(|e| Error::Signer(e.message().to_owned()))?;
        let sig = signature::to_jws(&sig).map_err(|e| Error::Signer(e.message().to_owned()))?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut jwt);
        Ok(jwt)
    }

    /// [`Dpop::proof`] for use inside the client's requests: a signer that may block (see
    /// [`DpopSigner::may_block`]) signs on tokio's blocking pool, so a biometric prompt does
    /// not hold the thread that drives every other request. `challenge_nonce` is the nonce of
    /// the `use_dpop_nonce` answer being retried: the retry carries it even if a concurrent
    /// response from the same origin (another endpoint's realm) replaced the stored one.
    pub(crate) async fn proof_for_request(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        challenge_nonce: Option<&str>,
    ) -> Result<String, Error> {
        let nonce = challenge_nonce.map(str::to_owned).or_else(|| self.nonce_for(url));
        let off_thread = self.inner.signer.may_block() && tokio::runtime::Handle::try_current().is_ok();
        if !off_thread {
            return self.proof_with_nonce(method, url, nonce.as_deref(), access_token);
        }
        let (this, method, url) = (self.clone(), method.to_owned(), url.clone());
        let access_token = access_token.map(|t| zeroize::Zeroizing::new(t.to_owned()));
        tokio::task::spawn_blocking(move || {
            this.proof_with_nonce(
                &method,
                &url,
                nonce.as_deref(),
                access_token.as_deref().map(String::as_str),
            )
        })
        .await
        .map_err(|_| Error::Signer("the DPoP signer panicked".into()))?
    }

    /// The nonce last received from `url`'s origin.
    pub fn nonce_for(&self, url: &Url) -> Option<String> {
        let nonces = self.inner.nonces.lock().unwrap_or_else(|p| p.into_inner());
        // Most servers never send one: then no origin string is built and hashed per proof.
        if nonces.is_empty() {
            return None;
        }
        nonces.get(&origin(url)).cloned()
    }

    /// Records a nonce received from `url`'s origin (from a `DPoP-Nonce` header). Proofs for
    /// that origin fail with [`Error::InvalidInput`] (`nonce`) while it is not RFC 9449's
    /// `1*NQCHAR`.
    pub fn set_nonce(&self, url: &Url, nonce: &str) {
        self.inner
            .nonces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(origin(url), nonce.to_owned());
    }

    /// Records the `DPoP-Nonce` header of a response, if any. Returns the new nonce.
    pub(crate) fn remember_nonce(&self, url: &Url, header: Option<&str>) -> Option<String> {
        let nonce = header?.trim();
        if !crate::validate::is_nonce(nonce) {
            return None;
        }
        self.set_nonce(url, nonce);
        Some(nonce.to_owned())
    }

    /// Fails with [`Error::DpopKeyMismatch`] when a token bound to `token_jkt` cannot be
    /// presented with this key.
    pub fn check_binding(&self, token_jkt: &str) -> Result<(), Error> {
        if token_jkt == self.thumbprint() {
            Ok(())
        } else {
            Err(Error::DpopKeyMismatch {
                token_jkt: token_jkt.to_owned(),
                key_jkt: self.thumbprint().to_owned(),
            })
        }
    }
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("jkt", &self.inner.thumbprint)
            .finish_non_exhaustive()
    }
}

/// `htu`: the request URI without query and fragment (RFC 9449 §4.2).
fn htu(url: &Url) -> &str {
    let s = url.as_str();
    let end = s.find(['?', '#']).unwrap_or(s.len());
    &s[..end]
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn proof_shape() {
        let dpop = Dpop::new(Arc::new(SoftwareKey::generate().unwrap())).unwrap();
        let url = Url::parse("https://tenant.example.com/oauth/token?x=1#frag").unwrap();
        dpop.set_nonce(&url, "n-1");
        let proof = dpop.proof("POST", &url, Some("token")).unwrap();
        let parts: Vec<_> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(jwk_thumbprint(&header["jwk"]).unwrap(), dpop.thumbprint());
        let claims = decode(parts[1]);
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://tenant.example.com/oauth/token");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["ath"], access_token_hash("token"));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(claims["jti"].as_str().unwrap()).unwrap().len(),
            16
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 64);
        let again = dpop.proof("POST", &url, None).unwrap();
        assert_ne!(decode(again.split('.').nth(1).unwrap())["jti"], claims["jti"]);
        assert!(decode(again.split('.').nth(1).unwrap()).get("ath").is_none());
    }

    #[test]
    fn a_nonce_that_is_not_nqchar_is_invalid_input() {
        let dpop = Dpop::new(Arc::new(SoftwareKey::generate().unwrap())).unwrap();
        let url = Url::parse("https://api.example.com/x").unwrap();
        for bad in ["", "a b", "n\r\nX: 1", "quo\"te"] {
            let e = dpop.proof_with_nonce("GET", &url, Some(bad), None).unwrap_err();
            assert!(
                matches!(e, Error::InvalidInput { field: "nonce", .. }),
                "{bad:?}: {e:?}"
            );
        }
        dpop.set_nonce(&url, "bad nonce");
        assert!(matches!(
            dpop.proof("GET", &url, None),
            Err(Error::InvalidInput { field: "nonce", .. })
        ));
    }

    #[test]
    fn nonces_are_per_origin() {
        let dpop = Dpop::new(Arc::new(SoftwareKey::generate().unwrap())).unwrap();
        let auth = Url::parse("https://tenant.example.com/oauth/token").unwrap();
        let api = Url::parse("https://api.example.com/v1/x").unwrap();
        let api_other_port = Url::parse("https://api.example.com:8443/v1/x").unwrap();
        dpop.set_nonce(&auth, "auth-nonce");
        dpop.set_nonce(&api, "api-nonce");
        assert_eq!(
            dpop.nonce_for(&Url::parse("https://tenant.example.com/userinfo").unwrap())
                .as_deref(),
            Some("auth-nonce")
        );
        assert_eq!(dpop.nonce_for(&api).as_deref(), Some("api-nonce"));
        assert_eq!(dpop.nonce_for(&api_other_port), None);
    }

    #[test]
    fn key_mismatch_is_typed() {
        let dpop = Dpop::new(Arc::new(SoftwareKey::generate().unwrap())).unwrap();
        assert!(dpop.check_binding(dpop.thumbprint()).is_ok());
        assert!(matches!(
            dpop.check_binding("other"),
            Err(Error::DpopKeyMismatch { .. })
        ));
    }

    struct DerSigner(SoftwareKey);
    impl DpopSigner for DerSigner {
        fn public_key(&self) -> Result<EcPublicKey, SignerError> {
            self.0.public_key()
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
            let raw = self.0.sign(message)?;
            let int = |b: &[u8]| {
                let b = &b[b.iter().position(|&x| x != 0).unwrap_or(31)..];
                let mut v = vec![0x02];
                if b[0] & 0x80 != 0 {
                    v.extend([(b.len() + 1) as u8, 0]);
                } else {
                    v.push(b.len() as u8);
                }
                v.extend_from_slice(b);
                v
            };
            let body = [int(&raw[..32]), int(&raw[32..])].concat();
            Ok([vec![0x30, body.len() as u8], body].concat())
        }
    }

    #[test]
    fn der_signatures_from_platform_signers_become_jws() {
        let key = SoftwareKey::generate().unwrap();
        let point = [&[4u8][..], key.public().x(), key.public().y()].concat();
        let dpop = Dpop::new(Arc::new(DerSigner(key))).unwrap();
        let proof = dpop
            .proof("GET", &Url::parse("https://a.example/").unwrap(), None)
            .unwrap();
        let (input, sig) = proof.rsplit_once('.').unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
    }

    struct FailingSigner;
    impl DpopSigner for FailingSigner {
        fn public_key(&self) -> Result<EcPublicKey, SignerError> {
            Ok(EcPublicKey::from_coordinates([1; 32], [2; 32]))
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignerError> {
            Err(SignerError::new("user cancelled"))
        }
    }

    #[test]
    fn failing_signer_is_a_typed_error() {
        let dpop = Dpop::new(Arc::new(FailingSigner)).unwrap();
        let err = dpop
            .proof("GET", &Url::parse("https://a.example/").unwrap(), None)
            .unwrap_err();
        assert!(matches!(err, Error::Signer(ref m) if m == "user cancelled"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::server_input::{config, header_value};

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn prop_dpop_nonce_headers_never_panic(value in header_value()) {
                static KEY: std::sync::OnceLock<Arc<SoftwareKey>> = std::sync::OnceLock::new();
                let key = KEY.get_or_init(|| Arc::new(SoftwareKey::generate().unwrap()));
                let dpop = Dpop::new(key.clone()).unwrap();
                let url = Url::parse("https://tenant.example.com/oauth/token").unwrap();
                let remembered = dpop.remember_nonce(&url, Some(&value));
                prop_assert_eq!(&dpop.nonce_for(&url), &remembered);
                if let Some(nonce) = remembered {
                    prop_assert!(crate::validate::is_nonce(&nonce));
                    // The nonce a server gave is always usable in a proof.
                    prop_assert!(dpop.proof("POST", &url, None).is_ok());
                }
            }
        }
    }
}
