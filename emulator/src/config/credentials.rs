//! The public keys a client registers for `private_key_jwt` client authentication.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::util::b64url_decode;

/// Smallest accepted RSA modulus, in bits.
const MIN_RSA_BITS: usize = 2048;

/// A public key registered for a client's `private_key_jwt` authentication (Auth0's
/// "Private Key JWT" credential): an RSA public key as PEM (`BEGIN PUBLIC KEY` or
/// `BEGIN RSA PUBLIC KEY`) or as a JWK (`{"kty":"RSA","n":..,"e":..}`), of 2048 bits or more.
///
/// ```
/// use token_exchange_emulator::PublicKeyCredential;
/// let key = PublicKeyCredential::pem("-----BEGIN PUBLIC KEY-----\n...").kid("key-1");
/// assert_eq!(key.kid.as_deref(), Some("key-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PublicKeyCredential {
    /// Key id. An assertion whose header has a `kid` is checked only with the keys that have
    /// that `kid` or none.
    pub kid: Option<String>,
    /// The key as PEM (set this or `jwk`).
    pub pem: Option<String>,
    /// The key as a JWK (set this or `pem`).
    pub jwk: Option<Value>,
}

impl PublicKeyCredential {
    /// A credential from a PEM public key.
    pub fn pem(pem: impl Into<String>) -> Self {
        Self {
            pem: Some(pem.into()),
            ..Self::default()
        }
    }

    /// A credential from a JWK public key.
    pub fn jwk(jwk: Value) -> Self {
        Self {
            jwk: Some(jwk),
            ..Self::default()
        }
    }

    /// Sets the key id.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The RSA public key; the error says what is wrong with the configuration.
    pub(crate) fn public_key(&self) -> Result<RsaPublicKey, String> {
        let key = match (&self.pem, &self.jwk) {
            (Some(pem), None) => RsaPublicKey::from_public_key_pem(pem.trim())
                .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
                .map_err(|_| "pem is not an RSA public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)".to_owned())?,
            (None, Some(jwk)) => {
                let part = |name: &str| {
                    jwk.get(name)
                        .and_then(Value::as_str)
                        .and_then(b64url_decode)
                        .map(|b| BigUint::from_bytes_be(&b))
                        .ok_or_else(|| format!("jwk has no valid {name}"))
                };
                if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
                    return Err("jwk must have kty RSA".to_owned());
                }
                RsaPublicKey::new(part("n")?, part("e")?).map_err(|e| format!("jwk is not a usable RSA key: {e}"))?
            }
            _ => return Err("set exactly one of pem and jwk".to_owned()),
        };
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(format!("the RSA key must have at least {MIN_RSA_BITS} bits"));
        }
        Ok(key)
    }
}
