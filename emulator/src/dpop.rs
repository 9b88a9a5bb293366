//! DPoP (RFC 9449) as a strict server sees it: proof validation against the request, replay
//! detection and nonces (one set for the token endpoint, a separate set for `/userinfo`), on
//! the tenant's DPoP memory (`tenant::dpop`) and clock.
//!
//! Signature verification uses the RustCrypto `p256` crate. Error descriptions say what is
//! wrong with a proof but never echo its content.

use axum::http::{HeaderMap, Uri, header};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::{Map, Value};

use crate::config::EmulatorConfig;
use crate::errors::{EmulatorError, check_lifetimes};
use crate::jose::jwk_thumbprint;
use crate::tenant::{Realm, Tenant};
use crate::util::{b64url_decode, sha256_b64url};

/// Name of the request header carrying a proof and of the response header carrying a nonce.
pub(crate) const DPOP_HEADER: &str = "dpop";
/// Response header with a fresh nonce.
pub(crate) const DPOP_NONCE_HEADER: &str = "dpop-nonce";

/// Members that only private (or symmetric) JWKs have.
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a proof was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DpopFailure {
    /// `invalid_dpop_proof` with a description.
    InvalidProof(String),
    /// `use_dpop_nonce`: the proof lacks the current nonce.
    UseNonce(String),
}

/// What a valid proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidProof {
    /// RFC 7638 thumbprint of the proof's public key.
    pub(crate) jkt: String,
}

/// The request a proof must match.
pub(crate) struct Expected<'a> {
    /// HTTP method, e.g. `POST`.
    pub(crate) method: &'a str,
    /// The URL the request reached, without query and fragment.
    pub(crate) url: &'a str,
    /// The access token presented with the proof (then `ath` is required).
    pub(crate) access_token: Option<&'a str>,
    /// The thumbprint the proof key must have (`cnf.jkt` of the presented token).
    pub(crate) jkt: Option<&'a str>,
}

/// The claims of a proof whose signature and structure are valid.
#[derive(Debug)]
struct ParsedProof {
    jkt: String,
    claims: Map<String, Value>,
}

/// The URL the client reached this server at, from the `Host` header (for `htu`).
pub(crate) fn request_url(tenant: &Tenant, headers: &HeaderMap, uri: &Uri) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}{}", uri.path()),
        None => format!("{}{}", tenant.base_url, uri.path()),
    }
}

/// Returns the single `DPoP` header value, `None` when absent; several headers are an error.
pub(crate) fn single_proof(headers: &HeaderMap) -> Result<Option<&str>, DpopFailure> {
    let mut values = headers.get_all(DPOP_HEADER).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("multiple DPoP headers; exactly one DPoP proof is allowed"));
    }
    let proof = first
        .to_str()
        .map_err(|_| invalid("DPoP header is not a valid JWT"))?
        .trim();
    if proof.is_empty() {
        return Err(invalid("DPoP header is empty"));
    }
    Ok(Some(proof))
}

fn invalid(description: &str) -> DpopFailure {
    DpopFailure::InvalidProof(description.to_owned())
}

fn decode_json_object(segment: &str, what: &str) -> Result<Map<String, Value>, DpopFailure> {
    let bytes = b64url_decode(segment).ok_or_else(|| invalid(&format!("DPoP proof {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid(&format!("DPoP proof {what} is not a JSON object"))),
    }
}

/// Checks the JOSE header, the key and the signature; returns the claims.
fn parse_and_verify(proof: &str, allowed_algs: &[String]) -> Result<ParsedProof, DpopFailure> {
    let parts: Vec<&str> = proof.split('.').collect();
    if parts.len() != 3 {
        return Err(invalid("DPoP proof is not a compact JWS"));
    }
    let header = decode_json_object(parts[0], "header")?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(invalid("DPoP proof typ must be dpop+jwt"));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("DPoP proof has no alg"))?;
    if alg.eq_ignore_ascii_case("none") {
        return Err(invalid("DPoP proof alg none is not allowed"));
    }
    if alg.starts_with("HS") {
        return Err(invalid("DPoP proof must use an asymmetric alg; HMAC is not allowed"));
    }
    if !allowed_algs.iter().any(|a| a == alg) {
        return Err(invalid("DPoP proof alg is not supported (supported: ES256)"));
    }
    let jwk = match header.get("jwk") {
        Some(Value::Object(jwk)) => jwk,
        Some(_) => return Err(invalid("DPoP proof jwk is not a JSON object")),
        None => return Err(invalid("DPoP proof header has no jwk")),
    };
    if PRIVATE_JWK_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(invalid(
            "DPoP proof jwk must be a public key; it contains private key members",
        ));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("EC") || jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
        return Err(invalid("DPoP proof jwk must be an EC P-256 key for ES256"));
    }
    let coordinate = |name: &str| -> Result<Vec<u8>, DpopFailure> {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(b64url_decode)
            .filter(|c| c.len() == 32)
            .ok_or_else(|| invalid("DPoP proof jwk has an invalid x or y coordinate"))
    };
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    let key = VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| invalid("DPoP proof jwk is not a point on P-256"))?;
    let signature = b64url_decode(parts[2])
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or_else(|| invalid("DPoP proof signature is malformed"))?;
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .map_err(|_| invalid("DPoP proof signature does not verify with its jwk"))?;
    let claims = decode_json_object(parts[1], "payload")?;
    let jkt = jwk_thumbprint(&Value::Object(jwk.clone())).map_err(invalid)?;
    Ok(ParsedProof { jkt, claims })
}

/// Whether two URLs are the same target, ignoring query and fragment (RFC 9449 §4.3 check 9),
/// after syntax-based normalisation (case of scheme and host, default port).
fn same_target(htu: &str, expected: &str) -> bool {
    let strip = |s: &str| {
        url::Url::parse(s).ok().map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u
        })
    };
    match (strip(htu), strip(expected)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Checks the claims that do not need server state. `now` is in seconds since the epoch.
fn check_claims(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
    now: u64,
    leeway: u64,
) -> Result<(), DpopFailure> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    match text("jti") {
        Some(j) if !j.is_empty() && j.len() <= 512 => {}
        _ => return Err(invalid("DPoP proof has no valid jti")),
    }
    let htm = text("htm").ok_or_else(|| invalid("DPoP proof has no htm"))?;
    if htm != expected.method {
        return Err(invalid("DPoP proof htm does not match the request method"));
    }
    let htu = text("htu").ok_or_else(|| invalid("DPoP proof has no htu"))?;
    if !same_target(htu, expected.url) {
        return Err(invalid("DPoP proof htu does not match the request URL"));
    }
    // NumericDate: seconds, possibly fractional.
    let iat = claims
        .get("iat")
        .and_then(Value::as_f64)
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| invalid("DPoP proof has no valid iat"))?;
    if (iat - now as f64).abs() > leeway as f64 {
        return Err(invalid("DPoP proof iat is outside the acceptable window"));
    }
    if let Some(token) = expected.access_token {
        match text("ath") {
            None => return Err(invalid("DPoP proof has no ath for the access token")),
            Some(ath) if ath != sha256_b64url(token) => {
                return Err(invalid("DPoP proof ath does not match the access token"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks that a request presenting a token bound to the key `bound` (its `cnf.jkt`) carries
/// a proof made with that key; the error is the `invalid_dpop_proof` description, naming the
/// token as `what` (e.g. "refresh token").
pub(crate) fn check_binding(bound: Option<&str>, proof: Option<&ValidProof>, what: &str) -> Result<(), String> {
    match (bound, proof) {
        (Some(_), None) => Err(format!("DPoP proof is required: the {what} is DPoP-bound")),
        (Some(bound), Some(proof)) if bound != proof.jkt => {
            Err(format!("DPoP proof key does not match the key the {what} is bound to"))
        }
        _ => Ok(()),
    }
}

/// Checks the DPoP settings: ES256 only, a nonce rotation of 1 s to
/// `MAX_LIFETIME_SECS`, an `iat` window up to it.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let dpop = &config.dpop;
    if dpop.allowed_algs.is_empty() || dpop.allowed_algs.iter().any(|a| a != "ES256") {
        return Err(EmulatorError::InvalidConfig(
            "dpop.allowed_algs supports only \"ES256\"".into(),
        ));
    }
    check_lifetimes(&[
        ("dpop.iat_leeway_secs", dpop.iat_leeway_secs),
        ("dpop.nonce_rotation_secs", dpop.nonce_rotation_secs),
    ])?;
    if dpop.nonce_rotation_secs == 0 {
        return Err(EmulatorError::InvalidConfig(
            "dpop.nonce_rotation_secs must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Whether proofs sent to `realm` must carry a server nonce.
pub(crate) fn nonce_required(tenant: &Tenant, realm: Realm) -> bool {
    let config = &tenant.config.dpop;
    config.always_demand_new_nonce
        || match realm {
            Realm::Token => config.require_nonce,
            Realm::Userinfo => config.require_nonce_userinfo,
        }
}

/// The nonce to send in `DPoP-Nonce` to `realm`, when that realm uses nonces.
pub(crate) fn current_nonce(tenant: &Tenant, realm: Realm) -> Option<String> {
    nonce_required(tenant, realm).then(|| tenant.dpop.nonces(realm).current(tenant.now_secs()))
}

/// Forces both realms to a new nonce (the previous one stays valid until the next rotation).
pub(crate) fn rotate_nonces(tenant: &Tenant) {
    let now = tenant.now_secs();
    tenant.dpop.nonces(Realm::Token).rotate(now);
    tenant.dpop.nonces(Realm::Userinfo).rotate(now);
}

/// Validates one proof for `realm`: structure, signature, claims, replay, then nonce.
pub(crate) fn validate(
    tenant: &Tenant,
    realm: Realm,
    proof: &str,
    expected: &Expected<'_>,
) -> Result<ValidProof, DpopFailure> {
    let config = &tenant.config.dpop;
    let now = tenant.now_secs();
    let leeway = config.iat_leeway_secs;
    let parsed = parse_and_verify(proof, &config.allowed_algs)?;
    check_claims(&parsed.claims, expected, now, leeway)?;
    if expected.jkt.is_some_and(|jkt| jkt != parsed.jkt) {
        return Err(invalid(
            "DPoP proof key does not match the key the access token is bound to",
        ));
    }
    let jti = parsed.claims.get("jti").and_then(Value::as_str).unwrap_or_default();
    // A jti is remembered as long as a proof carrying it could pass the iat check.
    if !tenant.dpop.record_jti(jti, now + 2 * leeway + 1, now) {
        return Err(invalid("DPoP proof jti has already been used"));
    }
    if nonce_required(tenant, realm) {
        let mut nonces = tenant.dpop.nonces(realm);
        if config.always_demand_new_nonce {
            nonces.rotate(now);
            return Err(DpopFailure::UseNonce(
                "Authorization server requires a new nonce in DPoP proof".into(),
            ));
        }
        match parsed.claims.get("nonce").and_then(Value::as_str) {
            None => {
                return Err(DpopFailure::UseNonce(
                    "Authorization server requires nonce in DPoP proof".into(),
                ));
            }
            Some(n) if !nonces.accepts(n, now) => {
                return Err(DpopFailure::UseNonce("DPoP proof nonce is invalid or expired".into()));
            }
            Some(_) => {}
        }
    }
    Ok(ValidProof { jkt: parsed.jkt })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;
    use serde_json::json;

    const HEADER_KEYS: &[&str] = &["typ", "alg", "jwk", "kid", "kty", "crv", "x", "y", "d"];
    const CLAIM_KEYS: &[&str] = &["jti", "htm", "htu", "iat", "nonce", "ath"];

    /// A proof header that passes the `typ`/`alg` checks, with an EC key of random
    /// coordinates (mostly not on the curve), so the key and signature checks run.
    fn es256_header() -> impl Strategy<Value = Value> {
        (
            prop::collection::vec(any::<u8>(), 0..40),
            prop::collection::vec(any::<u8>(), 0..40),
            support::json_object(HEADER_KEYS),
        )
            .prop_map(|(x, y, extra)| {
                let mut jwk =
                    json!({"kty": "EC", "crv": "P-256", "x": crate::util::b64url(x), "y": crate::util::b64url(y)});
                for (k, v) in extra {
                    if k == "d" || k == "kid" {
                        jwk[k] = v;
                    }
                }
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})
            })
    }

    fn proof() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => support::jws(HEADER_KEYS),
            1 => (es256_header(), support::json_object(CLAIM_KEYS), prop::collection::vec(any::<u8>(), 0..70)).prop_map(
                |(h, c, sig)| {
                    format!(
                        "{}.{}.{}",
                        crate::util::b64url(h.to_string()),
                        crate::util::b64url(Value::Object(c).to_string()),
                        crate::util::b64url(sig)
                    )
                }
            ),
        ]
    }

    proptest! {
        #![proptest_config(support::config())]

        #[test]
        fn prop_any_proof_is_parsed_or_refused_as_invalid(proof in proof()) {
            let tenant = support::tenant_with(crate::EmulatorConfig {
                clock: crate::Clock::frozen_at(1_700_000_000),
                ..crate::EmulatorConfig::default()
            });
            let expected = Expected { method: "POST", url: "http://127.0.0.1:8787/oauth/token", access_token: Some("at"), jkt: None };
            match validate(&tenant, Realm::Token, &proof, &expected) {
                Err(DpopFailure::InvalidProof(d)) => prop_assert!(!d.is_empty()),
                Err(DpopFailure::UseNonce(_)) | Ok(_) => prop_assert!(false, "a forged proof passed the signature check"),
            }
        }

        #[test]
        fn prop_any_claims_are_checked_without_panicking(
            claims in support::json_object(CLAIM_KEYS),
            now in any::<u64>(),
            leeway in 0..crate::util::MAX_LIFETIME_SECS,
            token in proptest::option::of(support::text()),
        ) {
            let expected = Expected { method: "GET", url: "http://h/x", access_token: token.as_deref(), jkt: None };
            let _ = check_claims(&claims, &expected, now, leeway);
        }

        #[test]
        fn prop_any_jwk_has_a_thumbprint_or_an_error(jwk in support::json_value(&["kty", "crv", "x", "y", "e", "n"])) {
            let _ = jwk_thumbprint(&jwk);
        }

        #[test]
        fn prop_any_dpop_headers_are_read_or_refused(values in prop::collection::vec(support::header_value(), 0..3)) {
            let mut headers = HeaderMap::new();
            for v in values {
                if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
                    headers.append(DPOP_HEADER, v);
                }
            }
            let _ = single_proof(&headers);
        }
    }

    /// RFC 9449 Figure 2: a token request proof.
    const RFC9449_FIG2: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

    #[test]
    fn rfc9449_figure2_proof_verifies_and_yields_figure9_jkt() {
        let parsed = parse_and_verify(RFC9449_FIG2, &["ES256".to_owned()]).unwrap();
        assert_eq!(parsed.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
        assert_eq!(parsed.claims["jti"], "-BwC3ESc6acc2lTc");
        let expected = Expected {
            method: "POST",
            url: "https://server.example.com/token",
            access_token: None,
            jkt: None,
        };
        check_claims(&parsed.claims, &expected, 1_562_262_616, 300).unwrap();
        check_claims(&parsed.claims, &expected, 1_562_262_916, 300).unwrap();
        // 301 s later the proof is stale; GET is the wrong method.
        assert!(check_claims(&parsed.claims, &expected, 1_562_262_917, 300).is_err());
        let get = Expected {
            method: "GET",
            ..expected
        };
        assert!(check_claims(&parsed.claims, &get, 1_562_262_616, 300).is_err());
    }

    #[test]
    fn iat_may_be_fractional_but_must_be_a_number() {
        let expected = Expected {
            method: "GET",
            url: "http://h/x",
            access_token: None,
            jkt: None,
        };
        let with_iat = |iat: Value| {
            json!({"jti": "j", "htm": "GET", "htu": "http://h/x", "iat": iat})
                .as_object()
                .unwrap()
                .clone()
        };
        assert!(check_claims(&with_iat(json!(1000.5)), &expected, 1000, 300).is_ok());
        assert!(check_claims(&with_iat(json!("1000")), &expected, 1000, 300).is_err());
        assert!(check_claims(&with_iat(json!(1300.5)), &expected, 1000, 300).is_err());
    }

    #[test]
    fn tampered_rfc_proof_fails_signature() {
        // Same header and signature, payload with another jti.
        let mut parts: Vec<String> = RFC9449_FIG2.split('.').map(str::to_owned).collect();
        parts[1] = crate::util::b64url(
            r#"{"jti":"x","htm":"POST","htu":"https://server.example.com/token","iat":1562262616}"#,
        );
        let err = parse_and_verify(&parts.join("."), &["ES256".to_owned()]).unwrap_err();
        assert_eq!(
            err,
            DpopFailure::InvalidProof("DPoP proof signature does not verify with its jwk".into())
        );
    }

    #[test]
    fn rfc9449_figure14_ath() {
        assert_eq!(
            sha256_b64url("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn htu_ignores_query_fragment_and_default_port_but_not_host() {
        assert!(same_target(
            "http://127.0.0.1:80/oauth/token?x=1#f",
            "http://127.0.0.1/oauth/token"
        ));
        assert!(same_target("HTTP://LOCALHOST:8080/a", "http://localhost:8080/a"));
        assert!(!same_target("http://localhost:8080/a", "http://127.0.0.1:8080/a"));
        assert!(!same_target("https://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"));
        assert!(!same_target("http://127.0.0.1:8080/a/", "http://127.0.0.1:8080/a"));
        assert!(!same_target("not a url", "http://127.0.0.1:8080/a"));
    }

    #[test]
    fn multiple_headers_are_rejected() {
        let mut h = HeaderMap::new();
        assert_eq!(single_proof(&h), Ok(None));
        h.append(DPOP_HEADER, "a.b.c".parse().unwrap());
        assert_eq!(single_proof(&h), Ok(Some("a.b.c")));
        h.append(DPOP_HEADER, "d.e.f".parse().unwrap());
        assert!(matches!(single_proof(&h), Err(DpopFailure::InvalidProof(_))));
    }
}
