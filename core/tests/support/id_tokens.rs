//! ID tokens forged with an independent JOSE implementation (jsonwebtoken on RustCrypto `rsa`),
//! and the JWK Sets that publish their keys, for the scripted peer to serve.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// An RSA signing key and its public JWK.
pub struct SigningKey {
    pub kid: String,
    der: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl SigningKey {
    fn generate(kid: &str) -> SigningKey {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("RSA key generation");
        SigningKey {
            kid: kid.into(),
            der: key.to_pkcs1_der().unwrap().as_bytes().to_vec(),
            n: key.n().to_bytes_be(),
            e: key.e().to_bytes_be(),
        }
    }

    /// The public JWK, as a tenant publishes it.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.n), "e": URL_SAFE_NO_PAD.encode(&self.e),
        })
    }

    /// The same key under another id (a forger who reuses the tenant's `kid`).
    pub fn with_kid(&self, kid: &str) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            der: self.der.clone(),
            n: self.n.clone(),
            e: self.e.clone(),
        }
    }

    /// A token signed with `alg` (RS256 or PS256) and this key's `kid`.
    pub fn sign_with(&self, alg: Algorithm, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &EncodingKey::from_rsa_der(&self.der)).unwrap()
    }

    /// An RS256 token with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(Algorithm::RS256, claims)
    }
}

/// The tenant's key (generated once per test binary: generation is slow).
pub fn tenant_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("tenant-key-1"))
}

/// Another key, for forged signatures and key rotation.
pub fn other_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("tenant-key-2"))
}

/// A JWK Set of these keys.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Valid ID token claims for `client_id` at the tenant `issuer` (a base URL ending in `/`).
pub fn id_claims(issuer: &str, client_id: &str, sub: &str) -> Value {
    json!({
        "iss": issuer, "sub": sub, "aud": client_id, "iat": now(), "exp": now() + 3600,
        "name": "Jane Roe", "email": "jane@example.com", "email_verified": true,
    })
}

/// `claims` with members replaced (a `null` removes the member).
pub fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// An HS256 token signed with `secret`.
pub fn sign_hs256(secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// An unsigned token (`alg: none`).
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A token endpoint response carrying `id_token` and a refresh token.
pub fn token_body_with_id_token(token_type: &str, id_token: &str) -> Value {
    json!({
        "access_token": "scripted-access-token",
        "token_type": token_type,
        "expires_in": 3600,
        "scope": "openid profile email offline_access",
        "id_token": id_token,
        "refresh_token": "scripted-refresh-token",
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"
    })
}
