//! Helpers shared by the integration tests: an HTTP client, token-exchange requests, a DPoP
//! key that signs proofs (also malformed ones), and JWT verification against the JWKS.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand_core::{OsRng, RngCore};
use rsa::pkcs1v15::VerifyingKey;
use rsa::signature::Verifier as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use token_exchange_emulator::{
    APPLE_AUTHZ_CODE_TYPE, AppleCode, DpopConfig, Emulator, EmulatorConfig, GRANT_TOKEN_EXCHANGE,
};

pub const TOKEN_EXCHANGE: &str = GRANT_TOKEN_EXCHANGE;

/// Form parameters of a token request.
pub type Form = Vec<(&'static str, String)>;

pub fn b64(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn client() -> reqwest::Client {
    // In a workspace-wide build reqwest's features are unified with core's
    // `rustls-no-provider`, and reqwest then needs a process-wide rustls provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A client for the control API (`/emulator/...`): every request carries the control secret.
pub fn control_client(secret: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {secret}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The sample tenant with nonces off, for tests that are not about nonces.
pub fn no_nonce_config() -> EmulatorConfig {
    EmulatorConfig::default().with_dpop(DpopConfig {
        require_nonce: false,
        require_nonce_userinfo: false,
        ..DpopConfig::default()
    })
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// Form of an Apple token exchange for `native-app`.
pub fn apple_form(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", TOKEN_EXCHANGE.to_owned()),
        ("subject_token", code.to_owned()),
        ("subject_token_type", APPLE_AUTHZ_CODE_TYPE.to_owned()),
        ("client_id", "native-app".to_owned()),
    ]
}

pub fn with(mut form: Vec<(&'static str, String)>, name: &'static str, value: &str) -> Vec<(&'static str, String)> {
    form.retain(|(n, _)| *n != name);
    form.push((name, value.to_owned()));
    form
}

pub fn without(mut form: Vec<(&'static str, String)>, name: &str) -> Vec<(&'static str, String)> {
    form.retain(|(n, _)| *n != name);
    form
}

/// Posts a form to `/oauth/token`, optionally with DPoP headers; returns status, headers, JSON.
pub async fn post_token(
    emu: &Emulator,
    form: &[(&'static str, String)],
    dpop: &[String],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().post(emu.token_endpoint()).form(form);
    for proof in dpop {
        req = req.header("DPoP", proof);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// Asserts an Auth0 error response.
pub fn assert_error(got: &(u16, reqwest::header::HeaderMap, Value), status: u16, error: &str) {
    assert_eq!(got.0, status, "status of {}", got.2);
    assert_eq!(got.2["error"], error, "body {}", got.2);
    assert!(
        got.2["error_description"].as_str().is_some_and(|d| !d.is_empty()),
        "body {}",
        got.2
    );
    assert_eq!(got.1["cache-control"], "no-store");
    assert_eq!(got.1["pragma"], "no-cache");
}

/// Exchanges a fresh Apple code for `sub` with the given extra parameters.
pub async fn apple_exchange(
    emu: &Emulator,
    sub: &str,
    extra: &[(&'static str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let code = emu.apple_authorization_code(AppleCode::new(sub));
    let mut form = apple_form(&code);
    for (n, v) in extra {
        form = with(form, n, v);
    }
    post_token(emu, &form, &[]).await
}

/// Decodes a JWT segment.
pub fn segment(jwt: &str, i: usize) -> Value {
    let part = jwt.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Verifies an RS256 JWT with the key of the given JWKS that has its `kid`; returns claims.
pub fn verify_with_jwks(jwt: &str, jwks: &Value) -> Value {
    let header = segment(jwt, 0);
    assert_eq!(header["alg"], "RS256");
    let kid = header["kid"].as_str().expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("kid in JWKS");
    let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap());
    let e = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<Sha256>::new(rsa::RsaPublicKey::new(n, e).unwrap());
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let sig = rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(sig).unwrap().as_slice()).unwrap();
    assert!(
        key.verify(input.as_bytes(), &sig).is_ok(),
        "signature does not verify with the JWKS key"
    );
    segment(jwt, 1)
}

/// Whether an RS256 JWT verifies against the JWKS.
pub fn rs256_verifies(jwt: &str, jwks: &Value) -> bool {
    let Some(jwk) = jwks["keys"].as_array().and_then(|k| k.first()) else {
        return false;
    };
    let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap());
    let e = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<Sha256>::new(rsa::RsaPublicKey::new(n, e).unwrap());
    let Some((input, sig)) = jwt.rsplit_once('.') else {
        return false;
    };
    let Some(sig) = URL_SAFE_NO_PAD
        .decode(sig)
        .ok()
        .and_then(|s| rsa::pkcs1v15::Signature::try_from(s.as_slice()).ok())
    else {
        return false;
    };
    key.verify(input.as_bytes(), &sig).is_ok()
}

/// An ES256 key that signs DPoP proofs.
pub struct DpopKey {
    key: SigningKey,
}

impl DpopKey {
    pub fn new() -> Self {
        Self {
            key: SigningKey::random(&mut OsRng),
        }
    }

    /// The public JWK.
    pub fn jwk(&self) -> Value {
        let point = self.key.verifying_key().to_encoded_point(false);
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": b64(point.x().unwrap()),
            "y": b64(point.y().unwrap()),
        })
    }

    /// The JWK with the private scalar `d` added (a mistake clients must not make).
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.jwk();
        jwk["d"] = json!(b64(self.key.to_bytes()));
        jwk
    }

    /// RFC 7638 thumbprint of the public key.
    pub fn jkt(&self) -> String {
        let j = self.jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            j["x"].as_str().unwrap(),
            j["y"].as_str().unwrap()
        );
        b64(Sha256::digest(canonical))
    }

    /// The usual proof header.
    pub fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk() })
    }

    /// Signs any header and claims with this key (ES256, raw r||s).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let sig: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64(sig.to_bytes()))
    }

    /// A valid proof for `htm` `htu`, with optional nonce and access token (ath), made now
    /// (right before its request: the emulator's ±300 s window cannot be crossed).
    pub fn proof(&self, htm: &str, htu: &str, nonce: Option<&str>, access_token: Option<&str>) -> String {
        self.sign(&self.header(), &claims(htm, htu, nonce, access_token))
    }

    /// [`DpopKey::proof`] with `iat` = `iat` (the emulator's clock in tests that freeze it).
    pub fn proof_at(&self, iat: u64, htm: &str, htu: &str, nonce: Option<&str>) -> String {
        self.sign(&self.header(), &claims_at(iat, htm, htu, nonce, None))
    }
}

/// Fresh proof claims, `iat` now.
pub fn claims(htm: &str, htu: &str, nonce: Option<&str>, access_token: Option<&str>) -> Value {
    claims_at(now(), htm, htu, nonce, access_token)
}

/// Fresh proof claims with `iat` = `iat`.
pub fn claims_at(iat: u64, htm: &str, htu: &str, nonce: Option<&str>, access_token: Option<&str>) -> Value {
    let mut jti = [0u8; 16];
    OsRng.fill_bytes(&mut jti);
    let mut c = json!({ "jti": b64(jti), "htm": htm, "htu": htu, "iat": iat });
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    if let Some(at) = access_token {
        c["ath"] = json!(b64(Sha256::digest(at.as_bytes())));
    }
    c
}
