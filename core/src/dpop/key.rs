//! P-256 keys: the public key as a JWK, its RFC 7638 thumbprint, and the built-in software key.

use std::fmt;
use std::mem::MaybeUninit;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use zeroize::Zeroizing;

use super::signer::{DpopSigner, SignerError};
use crate::error::Error;

/// DER prefix of a P-256 `SubjectPublicKeyInfo` (id-ecPublicKey, prime256v1, 65-byte BIT STRING).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A P-256 public key (the affine coordinates), as a DPoP proof's `jwk` carries it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EcPublicKey {
    x: [u8; 32],
    y: [u8; 32],
}

impl EcPublicKey {
    /// From the 32-byte big-endian coordinates.
    pub fn from_coordinates(x: [u8; 32], y: [u8; 32]) -> Self {
        Self { x, y }
    }

    /// From an uncompressed SEC1 point `04 || x || y` (65 bytes), as iOS
    /// `SecKeyCopyExternalRepresentation` returns for a Secure Enclave key.
    pub fn from_sec1(point: &[u8]) -> Result<Self, SignerError> {
        match point {
            [0x04, rest @ ..] if rest.len() == 64 => {
                let mut x = [0u8; 32];
                let mut y = [0u8; 32];
                x.copy_from_slice(&rest[..32]);
                y.copy_from_slice(&rest[32..]);
                Ok(Self { x, y })
            }
            [0x02 | 0x03, ..] => Err(SignerError::new(
                "compressed P-256 points are not supported: export the uncompressed form",
            )),
            _ => Err(SignerError::new(
                "not an uncompressed P-256 point (expected 65 bytes starting with 0x04)",
            )),
        }
    }

    /// From a DER `SubjectPublicKeyInfo` (91 bytes for P-256), as Android's
    /// `PublicKey.getEncoded()` returns.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, SignerError> {
        match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            Some(point) => Self::from_sec1(point),
            None => Err(SignerError::new("not a P-256 SubjectPublicKeyInfo")),
        }
    }

    /// The x coordinate.
    pub fn x(&self) -> &[u8; 32] {
        &self.x
    }

    /// The y coordinate.
    pub fn y(&self) -> &[u8; 32] {
        &self.y
    }

    /// The public JWK in RFC 7638 canonical form (members sorted, no whitespace). It is also a
    /// valid `jwk` header member.
    pub fn jwk_json(&self) -> String {
        format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(self.x),
            URL_SAFE_NO_PAD.encode(self.y)
        )
    }

    /// The RFC 7638 JWK SHA-256 thumbprint, base64url: the `jkt` a DPoP-bound token carries.
    pub fn thumbprint(&self) -> String {
        sha256_b64(self.jwk_json().as_bytes())
    }
}

impl fmt::Debug for EcPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcPublicKey(jkt={})", self.thumbprint())
    }
}

/// RFC 7638 thumbprint of any public JWK (`EC`, `RSA`, `OKP`): its required members, sorted,
/// serialised without whitespace, hashed with SHA-256, base64url-encoded.
pub fn jwk_thumbprint(jwk: &serde_json::Value) -> Result<String, Error> {
    let field = "jwk";
    let kty = jwk
        .get("kty")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::invalid(field, "has no `kty`"))?;
    let required: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return Err(Error::invalid(field, "has an unsupported `kty`")),
    };
    let mut canonical = serde_json::Map::new();
    for name in required {
        let value = jwk
            .get(*name)
            .filter(|v| v.is_string())
            .ok_or_else(|| Error::invalid(field, "lacks a required member"))?;
        canonical.insert((*name).to_owned(), value.clone());
    }
    // serde_json's Map is a BTreeMap (sorted keys) and `to_string` adds no whitespace.
    Ok(sha256_b64(serde_json::Value::Object(canonical).to_string().as_bytes()))
}

/// `ath`: base64url(SHA-256(access token)), RFC 9449 §4.2.
pub fn access_token_hash(access_token: &str) -> String {
    sha256_b64(access_token.as_bytes())
}

fn sha256_b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// The built-in DPoP key: a P-256 key in process memory, generated or imported from PKCS#8.
///
/// Export it with [`SoftwareKey::to_pkcs8`] to persist it (in the Keychain or an encrypted
/// store) so tokens stay usable across launches; prefer a hardware-backed [`DpopSigner`] on
/// devices that have one. The private key is wiped from memory when the key is dropped and is
/// never printed.
pub struct SoftwareKey {
    pair: KeyPairBox,
    pkcs8: Zeroizing<Vec<u8>>,
    public: EcPublicKey,
    rng: SystemRandom,
}

impl SoftwareKey {
    /// Generates a new random key.
    pub fn generate() -> Result<Self, SignerError> {
        let rng = SystemRandom::new();
        let mut doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| SignerError::new("could not generate a P-256 key"))?;
        let key = Self::from_pkcs8(doc.as_ref());
        // SAFETY: `Document` is a plain byte array plus a length, with no heap data and no
        // `Drop`; it is not used after being zeroed.
        unsafe { zeroize::zeroize_flat_type(&mut doc) };
        key
    }

    /// Imports a key from PKCS#8 DER (what [`SoftwareKey::to_pkcs8`] exports).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, SignerError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|_| SignerError::new("not a P-256 private key in PKCS#8 DER"))?;
        let public = EcPublicKey::from_sec1(pair.public_key().as_ref())?;
        Ok(Self {
            pair: KeyPairBox::new(pair),
            pkcs8: Zeroizing::new(der.to_vec()),
            public,
            rng,
        })
    }

    /// The private key as PKCS#8 DER, for storage. Wiped from memory when dropped.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// The public key.
    pub fn public(&self) -> EcPublicKey {
        self.public
    }
}

impl DpopSigner for SoftwareKey {
    fn public_key(&self) -> Result<EcPublicKey, SignerError> {
        Ok(self.public)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let sig = self
            .pair
            .get()
            .sign(&self.rng, message)
            .map_err(|_| SignerError::new("ECDSA signing failed"))?;
        Ok(sig.as_ref().to_vec())
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareKey(jkt={}, private key redacted)", self.public.thumbprint())
    }
}

/// ring's key pair, boxed so it has one address, and zeroed when dropped (ring does not wipe it).
struct KeyPairBox(Box<MaybeUninit<EcdsaKeyPair>>);

impl KeyPairBox {
    fn new(pair: EcdsaKeyPair) -> Self {
        Self(Box::new(MaybeUninit::new(pair)))
    }

    fn get(&self) -> &EcdsaKeyPair {
        // SAFETY: initialised in `new` and only de-initialised (zeroed) in `drop`.
        unsafe { self.0.assume_init_ref() }
    }
}

impl Drop for KeyPairBox {
    fn drop(&mut self) {
        // SAFETY: ring 0.17's `EcdsaKeyPair` holds only inline arrays and a `&'static`
        // algorithm descriptor: no heap data and no `Drop` impl, so overwriting it without
        // running a destructor leaks nothing. `MaybeUninit` makes the all-zero value valid.
        unsafe { zeroize::zeroize_flat_type(self.0.as_mut_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc9449_figure_9_thumbprint() {
        let jwk = json!({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"});
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        let x: [u8; 32] = URL_SAFE_NO_PAD
            .decode("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs")
            .unwrap()
            .try_into()
            .unwrap();
        let y: [u8; 32] = URL_SAFE_NO_PAD
            .decode("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            EcPublicKey::from_coordinates(x, y).thumbprint(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }

    #[test]
    fn rfc7638_rsa_thumbprint() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rfc9449_figure_14_ath() {
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        let key = SoftwareKey::generate().unwrap();
        let restored = SoftwareKey::from_pkcs8(&key.to_pkcs8()).unwrap();
        assert_eq!(key.public(), restored.public());
        let sig = restored.sign(b"message").unwrap();
        let point = [&[4u8][..], key.public().x(), key.public().y()].concat();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(b"message", &sig)
            .unwrap();
        assert!(SoftwareKey::from_pkcs8(b"not a key").is_err());
    }

    #[test]
    fn public_key_encodings() {
        let key = SoftwareKey::generate().unwrap();
        let sec1 = [&[4u8][..], key.public().x(), key.public().y()].concat();
        assert_eq!(EcPublicKey::from_sec1(&sec1).unwrap(), key.public());
        let spki = [&P256_SPKI_PREFIX[..], &sec1].concat();
        assert_eq!(EcPublicKey::from_spki_der(&spki).unwrap(), key.public());
        assert!(EcPublicKey::from_sec1(&sec1[..64]).is_err());
        assert!(EcPublicKey::from_spki_der(&sec1).is_err());
    }

    #[test]
    fn debug_never_shows_private_key() {
        let key = SoftwareKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("redacted"));
        let pkcs8 = key.to_pkcs8();
        assert!(!debug.contains(&URL_SAFE_NO_PAD.encode(&pkcs8[..])));
    }
}
