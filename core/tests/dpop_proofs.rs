//! Our DPoP proofs, checked by an independent JOSE implementation (jsonwebtoken on RustCrypto),
//! never by the code that made them; and the RFC 9449 known-answer vectors.

use std::collections::HashSet;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use token_exchange::{Dpop, DpopSigner, EcPublicKey, SignerError, SoftwareKey, access_token_hash, jwk_thumbprint};
use url::Url;

/// RFC 9449 Figure 4: a proof for `POST https://server.example.com/token`.
const RFC9449_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

/// Verifies a proof with the key embedded in its own header, as a server does, and returns
/// (header jwk as JSON, claims).
fn verify_independently(proof: &str) -> (serde_json::Value, serde_json::Value) {
    let header = decode_header(proof).expect("header decodes");
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    assert_eq!(header.alg, Algorithm::ES256);
    let jwk = header.jwk.expect("jwk in header");
    let key = DecodingKey::from_jwk(&jwk).expect("usable public jwk");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let data = decode::<serde_json::Value>(proof, &key, &validation).expect("signature verifies");
    (serde_json::to_value(&jwk).unwrap(), data.claims)
}

#[test]
fn rfc9449_figure_4_vector_verifies_and_has_the_figure_9_thumbprint() {
    let (jwk, claims) = verify_independently(RFC9449_PROOF);
    assert_eq!(
        claims,
        serde_json::json!({"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"https://server.example.com/token","iat":1562262616})
    );
    assert_eq!(
        jwk_thumbprint(&jwk).unwrap(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    // A tampered payload must not verify, or the check above proves nothing.
    let mut parts: Vec<&str> = RFC9449_PROOF.split('.').collect();
    let tampered = "eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9zZXJ2ZXIuZXhhbXBsZS5jb20vdG9rZW4iLCJpYXQiOjE1NjIyNjI2MTZ9";
    parts[1] = tampered;
    let header = decode_header(RFC9449_PROOF).unwrap();
    let key = DecodingKey::from_jwk(&header.jwk.unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    assert!(decode::<serde_json::Value>(&parts.join("."), &key, &validation).is_err());
}

#[test]
fn every_proof_we_make_verifies_independently() {
    let key = Arc::new(SoftwareKey::generate().unwrap());
    let dpop = Dpop::new(key.clone()).unwrap();
    let url = Url::parse("https://tenant.example.com/oauth/token?ignored=1#frag").unwrap();
    dpop.set_nonce(&url, "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    let mut jtis = HashSet::new();
    for i in 0..50 {
        let token = (i % 2 == 0).then_some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        let unix_now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let before = unix_now();
        let proof = dpop.proof("POST", &url, token).unwrap();
        let after = unix_now();
        let (jwk, claims) = verify_independently(&proof);
        assert!(jwk.get("d").is_none(), "private key material in the header");
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), dpop.thumbprint());
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://tenant.example.com/oauth/token");
        assert_eq!(claims["nonce"], "eyJ7S_zG.eyJH0-Z.HX4w-7v");
        // Read from the clock while the proof was made, however long that took.
        let iat = claims["iat"].as_u64().unwrap();
        assert!(
            (before..=after).contains(&iat),
            "proof {i}: iat {iat} not in {before}..={after}"
        );
        match token {
            Some(_) => assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"),
            None => assert!(claims.get("ath").is_none()),
        }
        assert!(jtis.insert(claims["jti"].as_str().unwrap().to_owned()), "jti repeated");
    }
    assert_eq!(
        access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

/// A platform keystore returns DER signatures; the proof must still be a valid JWS.
struct DerSigner(SoftwareKey);

impl DpopSigner for DerSigner {
    fn public_key(&self) -> Result<EcPublicKey, SignerError> {
        // Exercise the SPKI path, as Android's `getEncoded()` gives it.
        let mut spki = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
        spki.push(4);
        spki.extend_from_slice(self.0.public().x());
        spki.extend_from_slice(self.0.public().y());
        EcPublicKey::from_spki_der(&spki)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let raw = self.0.sign(message)?;
        let sig = p256::ecdsa::Signature::from_slice(&raw).unwrap();
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn der_signing_foreign_style_signer_verifies_independently() {
    let dpop = Dpop::new(Arc::new(DerSigner(SoftwareKey::generate().unwrap()))).unwrap();
    for _ in 0..20 {
        let proof = dpop
            .proof("GET", &Url::parse("https://api.example.com/v1/me").unwrap(), Some("at"))
            .unwrap();
        verify_independently(&proof);
    }
}

#[test]
fn persisted_key_keeps_its_thumbprint_and_signs_verifiable_proofs() {
    let key = SoftwareKey::generate().unwrap();
    let jkt = Dpop::new(Arc::new(SoftwareKey::from_pkcs8(&key.to_pkcs8()).unwrap()))
        .unwrap()
        .thumbprint()
        .to_owned();
    assert_eq!(jkt, key.public().thumbprint());
    let restored = Dpop::new(Arc::new(SoftwareKey::from_pkcs8(&key.to_pkcs8()).unwrap())).unwrap();
    let (jwk, _) = verify_independently(
        &restored
            .proof("POST", &Url::parse("https://a.example/t").unwrap(), None)
            .unwrap(),
    );
    assert_eq!(jwk_thumbprint(&jwk).unwrap(), jkt);
}
