//! `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9):
//! verification of the RS256 client assertions a client signs with a key it registered
//! (`PublicKeyCredential`, in `config`).
//!
//! An assertion is accepted when: the JOSE header has `alg` `RS256` (a header `kid` selects
//! the registered keys with that `kid` and those without one); the signature verifies with a
//! registered key (RustCrypto `rsa`); `iss` = `sub` = the client id; `aud` (a string or an array) contains the tenant's
//! base URL with a trailing slash or the token endpoint URL (as the client reached the server);
//! `exp` is in the future but at most 5 minutes away; `iat` / `nbf`, when present, are not in
//! the future (60 s of clock skew); `jti` was not used before by this client. Every failure is
//! `401 invalid_client` with a description that never contains the assertion.

use axum::http::{HeaderMap, header};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use serde_json::Value;
use sha2::Sha256;

use crate::config::{ClientConfig, PublicKeyCredential};
use crate::errors::OAuthError;
use crate::tenant::Tenant;
use crate::util::b64url_decode;

/// `client_assertion_type` of a JWT client assertion.
pub(crate) const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest accepted assertion lifetime left (`exp` - now), in seconds.
const MAX_ASSERTION_LIFETIME_SECS: u64 = 300;
/// Accepted clock skew for `iat` and `nbf`, in seconds.
const CLOCK_SKEW_SECS: u64 = 60;
fn rejected(description: &str) -> OAuthError {
    OAuthError::invalid_client(description)
}

fn json_segment(segment: &str) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(&b64url_decode(segment)?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The `sub` of an assertion, unverified: identifies the client when the body has no
/// `client_id` (RFC 7523 §3 makes it optional).
pub(crate) fn unverified_subject(assertion: &str) -> Option<String> {
    let claims = json_segment(assertion.split('.').nth(1)?)?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// The audiences an assertion may name: the issuer (base URL with a trailing slash) and the
/// token endpoint, both as configured and as the client reached the server (`Host`).
fn accepted_audiences(tenant: &Tenant, headers: &HeaderMap) -> Vec<String> {
    let mut bases = vec![tenant.base_url.clone()];
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        bases.push(format!("http://{host}"));
    }
    bases
        .iter()
        .flat_map(|b| [format!("{b}/"), format!("{b}/oauth/token")])
        .collect()
}

/// Verifies a client assertion for `client` and records its `jti`.
pub(crate) fn verify(
    tenant: &Tenant,
    headers: &HeaderMap,
    client: &ClientConfig,
    assertion: &str,
) -> Result<(), OAuthError> {
    if client.private_key_jwt_credentials.is_empty() {
        return Err(rejected("The client has no credential for private_key_jwt"));
    }
    let parts: Vec<&str> = assertion.split('.').collect();
    let malformed = || rejected("client_assertion is not a compact JWS");
    if parts.len() != 3 {
        return Err(malformed());
    }
    let jose = json_segment(parts[0]).ok_or_else(malformed)?;
    if jose.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(rejected("client_assertion must be signed with RS256"));
    }
    let kid = jose.get("kid").and_then(Value::as_str);
    let candidates: Vec<&PublicKeyCredential> = client
        .private_key_jwt_credentials
        .iter()
        .filter(|c| match (kid, c.kid.as_deref()) {
            (Some(wanted), Some(registered)) => wanted == registered,
            _ => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(rejected(
            "client_assertion kid does not match a credential of the client",
        ));
    }
    let signature = b64url_decode(parts[2])
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or_else(malformed)?;
    let input = format!("{}.{}", parts[0], parts[1]);
    let verified = candidates.iter().filter_map(|c| c.public_key().ok()).any(|key| {
        VerifyingKey::<Sha256>::new(key)
            .verify(input.as_bytes(), &signature)
            .is_ok()
    });
    if !verified {
        return Err(rejected("client_assertion signature is invalid"));
    }
    let claims = json_segment(parts[1]).ok_or_else(malformed)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client.client_id.as_str()) || text("sub") != Some(client.client_id.as_str()) {
        return Err(rejected("client_assertion iss and sub must be the client_id"));
    }
    let audiences = accepted_audiences(tenant, headers);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.contains(a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(rejected(
            "client_assertion aud must be the tenant URL (with a trailing slash) or the token endpoint",
        ));
    }
    let now = tenant.now_secs();
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| rejected("client_assertion has no valid exp"))?;
    if exp <= now {
        return Err(rejected("client_assertion has expired"));
    }
    if exp > now + MAX_ASSERTION_LIFETIME_SECS {
        return Err(rejected(
            "client_assertion exp is too far in the future (at most 5 minutes)",
        ));
    }
    for name in ["iat", "nbf"] {
        if let Some(t) = claims.get(name) {
            let t = t
                .as_f64()
                .ok_or_else(|| rejected(&format!("client_assertion {name} is not a number")))?;
            if t > (now + CLOCK_SKEW_SECS) as f64 {
                return Err(rejected(&format!("client_assertion {name} is in the future")));
            }
        }
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 512)
        .ok_or_else(|| rejected("client_assertion has no valid jti"))?;
    let key = format!("{}\n{jti}", client.client_id);
    let mut store = tenant.store();
    store.assertion_jtis.retain(|_, expires| *expires > now);
    if store.assertion_jtis.contains_key(&key) {
        return Err(rejected("client_assertion jti has already been used"));
    }
    store.assertion_jtis.insert(key, exp);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::b64url;

    #[test]
    fn credentials_need_exactly_one_rsa_key_of_2048_bits() {
        assert!(PublicKeyCredential::default().public_key().is_err());
        assert!(PublicKeyCredential::pem("not a key").public_key().is_err());
        let small = serde_json::json!({"kty": "RSA", "n": b64url([0xc5u8; 128]), "e": "AQAB"});
        assert!(
            PublicKeyCredential::jwk(small)
                .public_key()
                .unwrap_err()
                .contains("2048")
        );
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"});
        assert!(PublicKeyCredential::jwk(ec).public_key().is_err());
        let good = serde_json::json!({"kty": "RSA", "n": b64url([0xc5u8; 256]), "e": "AQAB"});
        assert!(PublicKeyCredential::jwk(good).public_key().is_ok());
    }

    /// A tenant whose client `backend` registered the public half of the process signing key,
    /// so `Signer::sign` makes assertions for it.
    fn setup(kid: Option<&str>) -> (Tenant, crate::jose::Signer) {
        let signer = crate::jose::Signer::new(None, false).unwrap();
        let mut credential = PublicKeyCredential::jwk(signer.public_jwk());
        credential.kid = kid.map(str::to_owned);
        let client = ClientConfig {
            private_key_jwt_credentials: vec![credential],
            ..ClientConfig::native("backend")
        };
        let mut config = crate::EmulatorConfig::empty().with_client(client);
        config.clock = crate::Clock::frozen_at(NOW);
        let tenant = Tenant::new(
            config,
            "http://127.0.0.1:9".into(),
            crate::jose::Signer::new(None, false).unwrap(),
        );
        (tenant, signer)
    }

    /// The tenant's (frozen) time in these tests.
    const NOW: u64 = 1_700_000_000;

    fn claims(change: impl FnOnce(&mut Value)) -> Value {
        let now = NOW;
        let mut c = serde_json::json!({
            "iss": "backend", "sub": "backend", "aud": "http://127.0.0.1:9/",
            "iat": now, "exp": now + 60, "jti": crate::util::random_token(8),
        });
        change(&mut c);
        c
    }

    fn check(tenant: &Tenant, assertion: &str) -> Result<(), String> {
        let client = tenant.client("backend").unwrap();
        verify(tenant, &HeaderMap::new(), &client, assertion).map_err(|e| {
            assert_eq!((e.status.as_u16(), e.error), (401, "invalid_client"));
            e.description
        })
    }

    #[test]
    fn valid_assertions_pass_once() {
        let (tenant, signer) = setup(None);
        let jwt = signer.sign("JWT", &claims(|_| {}));
        check(&tenant, &jwt).unwrap();
        assert!(check(&tenant, &jwt).unwrap_err().contains("already been used"));
        let token_endpoint = signer.sign("JWT", &claims(|c| c["aud"] = "http://127.0.0.1:9/oauth/token".into()));
        check(&tenant, &token_endpoint).unwrap();
        let in_list = signer.sign(
            "JWT",
            &claims(|c| c["aud"] = serde_json::json!(["x", "http://127.0.0.1:9/"])),
        );
        check(&tenant, &in_list).unwrap();
    }

    #[test]
    fn each_claim_is_enforced() {
        let (tenant, signer) = setup(None);
        let now = NOW;
        let cases: Vec<(Value, &str)> = vec![
            (claims(|c| c["aud"] = "http://127.0.0.1:9".into()), "aud"),
            (claims(|c| c["aud"] = "https://other.example.com/".into()), "aud"),
            (claims(|c| c["iss"] = "other".into()), "iss and sub"),
            (claims(|c| c["sub"] = "other".into()), "iss and sub"),
            (claims(|c| c["exp"] = (now - 1).into()), "expired"),
            (claims(|c| c["exp"] = (now + 3600).into()), "too far"),
            (claims(|c| c["iat"] = (now + 600).into()), "iat is in the future"),
            (claims(|c| c["jti"] = Value::Null), "jti"),
        ];
        for (claims, expected) in cases {
            let err = check(&tenant, &signer.sign("JWT", &claims)).unwrap_err();
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }

    #[test]
    fn signature_alg_and_kid_are_enforced() {
        let (tenant, signer) = setup(Some("registered-kid"));
        // The signer's header kid (its thumbprint) names no registered credential.
        let err = check(&tenant, &signer.sign("JWT", &claims(|_| {}))).unwrap_err();
        assert!(err.contains("kid"), "{err}");
        let (tenant, signer) = setup(None);
        let jwt = signer.sign("JWT", &claims(|_| {}));
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[1] = b64url(claims(|c| c["sub"] = "backend".into()).to_string());
        assert!(check(&tenant, &parts.join(".")).unwrap_err().contains("signature"));
        parts[0] = b64url(r#"{"alg":"HS256","typ":"JWT"}"#);
        assert!(check(&tenant, &parts.join(".")).unwrap_err().contains("RS256"));
        assert!(check(&tenant, "a.b").unwrap_err().contains("compact JWS"));
    }

    const CLAIMS: &[&str] = &["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "alg", "kid", "typ"];

    proptest::proptest! {
        #![proptest_config(crate::proptest_support::config())]

        /// No forged assertion passes, and none makes the check panic.
        #[test]
        fn prop_any_client_assertion_is_refused_as_invalid_client(
            assertion in crate::proptest_support::jws(CLAIMS),
        ) {
            let (tenant, _) = tenant();
            let _ = unverified_subject(&assertion);
            let e = check(tenant, &assertion).unwrap_err();
            // The description never echoes the assertion (short inputs may match by chance).
            proptest::prop_assert!(assertion.len() < 16 || !e.contains(&assertion));
        }

        #[test]
        fn prop_any_registered_key_is_read_or_refused(
            jwk in crate::proptest_support::json_value(&["kty", "n", "e", "kid"]),
            pem in crate::proptest_support::text(),
        ) {
            let _ = PublicKeyCredential::jwk(jwk).public_key();
            let _ = PublicKeyCredential::pem(format!("-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----")).public_key();
        }
    }

    /// One tenant for every case (`verify` only records `jti`s of valid assertions).
    fn tenant() -> &'static (Tenant, crate::jose::Signer) {
        static TENANT: std::sync::OnceLock<(Tenant, crate::jose::Signer)> = std::sync::OnceLock::new();
        TENANT.get_or_init(|| setup(None))
    }

    #[test]
    fn subject_is_read_without_verification() {
        let jwt = format!("{}.{}.sig", b64url("{}"), b64url(r#"{"sub":"my-client"}"#));
        assert_eq!(unverified_subject(&jwt).as_deref(), Some("my-client"));
        assert_eq!(unverified_subject("garbage"), None);
    }
}
