//! ID token validation (OpenID Connect Core §3.1.3.7, and §12.2 for refreshed tokens), on by
//! default for every response that carries an ID token: the signature against the tenant's
//! JWKS, then `iss`, `aud`, `azp`, `exp`, `iat` and, when asked for, the organization.
//!
//! Algorithms: RS256 and PS256 with the tenant's RSA keys; HS256 only for a client that
//! authenticates with a client secret (the secret is the key, OpenID Connect Core §10.1), so a
//! public client never accepts a token anyone could have made. `none` is never accepted.

mod jwks;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{hmac, signature};
use serde_json::{Map, Value};
use url::Url;

use crate::claims::UserClaims;
use crate::client_auth::ClientAuthentication;
use crate::error::{Error, IdTokenProblem};
use crate::http::HttpContext;
use crate::parameters::Form;
use crate::secret::Secret;

pub(crate) use jwks::JwksCache;
use jwks::Lookup;

/// Default allowance for clock skew when checking `exp` and `iat`.
pub const DEFAULT_ID_TOKEN_LEEWAY: Duration = Duration::from_secs(60);

/// The validation settings and key cache of one client (absent when validation is off).
///
/// It holds what it checks against (the tenant, the client id, the client secret for HS256)
/// and the client's transport for fetching the JWKS, so that the client
/// builds it and never the other way round.
pub(crate) struct IdTokenValidator {
    leeway: Duration,
    jwks: JwksCache,
    http: HttpContext,
    /// The tenant's base URL: the expected `iss`, and where the JWKS is.
    issuer: Url,
    client_id: String,
    /// The HS256 key, for a client that authenticates with a client secret.
    client_secret: Option<Secret>,
}

/// Where an [`IdTokenValidator`] checks and fetches: the client's settings.
pub(crate) struct ValidatorSettings<'a> {
    pub leeway: Duration,
    pub http: &'a HttpContext,
    pub issuer: &'a Url,
    pub client_id: &'a str,
    pub client_auth: &'a ClientAuthentication,
}

impl IdTokenValidator {
    pub(crate) fn new(settings: ValidatorSettings<'_>) -> Self {
        let client_secret = match settings.client_auth {
            ClientAuthentication::ClientSecretPost(s) | ClientAuthentication::ClientSecretBasic(s) => Some(s.clone()),
            _ => None,
        };
        IdTokenValidator {
            leeway: settings.leeway,
            jwks: JwksCache::default(),
            http: settings.http.clone(),
            issuer: settings.issuer.clone(),
            client_id: settings.client_id.to_owned(),
            client_secret,
        }
    }
}

/// What the ID token of one response must say besides the fixed checks.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    /// The response should carry an ID token (`openid` was asked for): the key set is fetched
    /// before the request.
    pub id_token: bool,
    /// The organization (`org_…` id or name) the request named.
    pub organization: Option<String>,
    /// The `sub` of the ID token being refreshed.
    pub subject: Option<String>,
}

impl Expected {
    /// For a token request form: an ID token when `scope` has `openid`, the `organization`.
    pub(crate) fn from_form(form: &Form<'_>) -> Self {
        let value = |key: &str| form.iter().find(|(k, _)| *k == key).map(|(_, v)| &**v);
        Expected {
            id_token: value("scope").is_some_and(|s| s.split(' ').any(|s| s == "openid")),
            organization: value("organization").map(str::to_owned),
            subject: None,
        }
    }
}

impl IdTokenValidator {
    /// Before a request that will return an ID token: makes sure the tenant's keys are cached,
    /// so that fetching them cannot fail after a single-use subject token was spent.
    pub(crate) async fn prepare(&self, expected: &Expected) -> Result<(), Error> {
        if expected.id_token {
            self.prepare_jwks().await
        } else {
            Ok(())
        }
    }

    /// Validates `id_token`; its claims, or `None` without a token.
    pub(crate) async fn validate(
        &self,
        id_token: Option<&Secret>,
        expected: &Expected,
    ) -> Result<Option<UserClaims>, Error> {
        let Some(token) = id_token else {
            return Ok(None);
        };
        let invalid = |reason| Error::IdTokenInvalid { reason };
        let jws = Jws::parse(token.expose()).ok_or(invalid(IdTokenProblem::Malformed))?;
        self.verify_signature(&jws).await?;
        let claims = check_claims(
            jws.claims,
            self.issuer.as_str(),
            &self.client_id,
            self.leeway,
            crate::time::now_unix(),
            expected,
        )
        .map_err(invalid)?;
        Ok(Some(claims))
    }

    async fn verify_signature(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let invalid = |reason| Error::IdTokenInvalid { reason };
        let rsa: &'static signature::RsaParameters = match jws.alg.as_str() {
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
            "HS256" => {
                // The key is derived from the secret per token rather than kept: one copy of
                // the secret (zeroized with the client) is enough.
                let Some(secret) = &self.client_secret else {
                    return Err(invalid(IdTokenProblem::Algorithm(jws.alg.clone())));
                };
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
                return hmac::verify(&key, jws.signing_input.as_bytes(), &jws.signature)
                    .map_err(|_| invalid(IdTokenProblem::Signature));
            }
            _ => return Err(invalid(IdTokenProblem::Algorithm(jws.alg.clone()))),
        };
        let lookup = match &jws.kid {
            Some(kid) => Lookup::Kid(kid),
            None => Lookup::OnlyKey,
        };
        let key = self.jwk(lookup).await?.ok_or(invalid(IdTokenProblem::UnknownKey))?;
        if key.alg.as_ref().is_some_and(|alg| *alg != jws.alg) {
            return Err(invalid(IdTokenProblem::Algorithm(jws.alg.clone())));
        }
        key.components()
            .verify(rsa, jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| invalid(IdTokenProblem::Signature))
    }
}

/// A compact JWS, decoded but not verified.
struct Jws<'a> {
    alg: String,
    kid: Option<String>,
    signing_input: &'a str,
    signature: Vec<u8>,
    claims: Map<String, Value>,
}

impl<'a> Jws<'a> {
    fn parse(token: &'a str) -> Option<Self> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        let json = |part: &str| -> Option<Map<String, Value>> {
            match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        let header = json(header)?;
        // An extension we do not implement must be refused (RFC 7515 §4.1.11).
        if header.contains_key("crit") {
            return None;
        }
        let alg = header.get("alg")?.as_str()?;
        Some(Jws {
            // Shown in error text: keep it short and printable.
            alg: alg.chars().filter(char::is_ascii_graphic).take(16).collect(),
            kid: match header.get("kid") {
                None => None,
                Some(kid) => Some(kid.as_str()?.to_owned()),
            },
            signing_input,
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
            claims: json(payload)?,
        })
    }
}

/// The claim checks, after the signature verified. `now` is Unix seconds.
fn check_claims(
    claims: Map<String, Value>,
    issuer: &str,
    client_id: &str,
    leeway: Duration,
    now: u64,
    expected: &Expected,
) -> Result<UserClaims, IdTokenProblem> {
    use IdTokenProblem as P;
    let text = |k: &'static str| claims.get(k).and_then(Value::as_str);
    let seconds = |k: &'static str| {
        claims
            .get(k)
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or(P::MissingClaim(k))
    };
    if text("iss").ok_or(P::MissingClaim("iss"))? != issuer {
        return Err(P::Issuer);
    }
    let sub = text("sub").filter(|s| !s.is_empty()).ok_or(P::MissingClaim("sub"))?;
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(Value::as_str)
            .collect::<Option<_>>()
            .ok_or(P::MissingClaim("aud"))?,
        _ => return Err(P::MissingClaim("aud")),
    };
    if !audiences.contains(&client_id) {
        return Err(P::Audience);
    }
    match text("azp") {
        Some(azp) if azp != client_id => return Err(P::AuthorizedParty),
        None if audiences.len() > 1 => return Err(P::AuthorizedParty),
        _ => {}
    }
    let (now, leeway) = (now as f64, leeway.as_secs_f64());
    if seconds("exp")? + leeway < now {
        return Err(P::Expired);
    }
    if seconds("iat")? > now + leeway {
        return Err(P::IssuedInFuture);
    }
    if let Some(org) = &expected.organization {
        // Auth0 puts an organization id in `org_id` and a name in `org_name`; names are
        // case-insensitive (Auth0 stores them lower-cased).
        let matches = if org.starts_with("org_") {
            text("org_id") == Some(org.as_str())
        } else {
            text("org_name").is_some_and(|name| name.to_lowercase() == org.to_lowercase())
        };
        if !matches {
            return Err(P::Organization);
        }
    }
    if expected.subject.as_deref().is_some_and(|s| s != sub) {
        return Err(P::Subject);
    }
    UserClaims::from_map(claims).ok_or(P::MissingClaim("sub"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://tenant.example.com/";
    const NOW: u64 = 1_800_000_000;

    fn check(claims: Value, expected: &Expected) -> Result<UserClaims, IdTokenProblem> {
        let Value::Object(map) = claims else { panic!() };
        check_claims(map, ISS, "app", DEFAULT_ID_TOKEN_LEEWAY, NOW, expected)
    }

    fn good() -> Value {
        json!({"iss": ISS, "sub": "apple|1", "aud": "app", "exp": NOW + 600, "iat": NOW, "name": "N"})
    }

    fn with(changes: Value) -> Value {
        let mut v = good();
        for (k, c) in changes.as_object().unwrap() {
            if c.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = c.clone();
            }
        }
        v
    }

    #[test]
    fn claim_checks_name_the_failed_check() {
        let none = Expected::default();
        let claims = check(good(), &none).unwrap();
        assert_eq!(claims.sub, "apple|1");
        assert_eq!(claims.name.as_deref(), Some("N"));
        assert_eq!(claims.other["iss"], ISS);

        use IdTokenProblem as P;
        for (changes, problem) in [
            (json!({"iss": null}), P::MissingClaim("iss")),
            (json!({"iss": "https://tenant.example.com"}), P::Issuer),
            (json!({"iss": "https://evil.example.com/"}), P::Issuer),
            (json!({"sub": null}), P::MissingClaim("sub")),
            (json!({"sub": ""}), P::MissingClaim("sub")),
            (json!({"aud": null}), P::MissingClaim("aud")),
            (json!({"aud": []}), P::MissingClaim("aud")),
            (json!({"aud": ["app", 3]}), P::MissingClaim("aud")),
            (json!({"aud": "other"}), P::Audience),
            (json!({"aud": ["other", "third"], "azp": "app"}), P::Audience),
            (json!({"aud": ["app", "other"]}), P::AuthorizedParty),
            (json!({"aud": ["app", "other"], "azp": "other"}), P::AuthorizedParty),
            (json!({"azp": "other"}), P::AuthorizedParty),
            (json!({"exp": null}), P::MissingClaim("exp")),
            (json!({"exp": "soon"}), P::MissingClaim("exp")),
            (json!({"exp": NOW - 61}), P::Expired),
            (json!({"iat": null}), P::MissingClaim("iat")),
            (json!({"iat": NOW + 61}), P::IssuedInFuture),
        ] {
            assert_eq!(check(with(changes.clone()), &none).unwrap_err(), problem, "{changes}");
        }
        // Within the leeway.
        assert!(check(with(json!({"exp": NOW - 59, "iat": NOW + 59})), &none).is_ok());
        assert!(check(with(json!({"aud": ["app", "other"], "azp": "app"})), &none).is_ok());
        assert!(check(with(json!({"aud": ["app"]})), &none).is_ok());
    }

    #[test]
    fn organization_and_subject() {
        let org = |o: &str| Expected {
            organization: Some(o.into()),
            ..Expected::default()
        };
        assert!(check(with(json!({"org_id": "org_123"})), &org("org_123")).is_ok());
        assert_eq!(
            check(with(json!({"org_id": "org_999"})), &org("org_123")).unwrap_err(),
            IdTokenProblem::Organization
        );
        assert_eq!(
            check(good(), &org("org_123")).unwrap_err(),
            IdTokenProblem::Organization
        );
        assert!(check(with(json!({"org_name": "acme"})), &org("Acme")).is_ok());
        assert_eq!(
            check(with(json!({"org_name": "acme-two"})), &org("acme")).unwrap_err(),
            IdTokenProblem::Organization
        );
        assert_eq!(
            check(with(json!({"org_id": "acme"})), &org("acme")).unwrap_err(),
            IdTokenProblem::Organization
        );
        let subject = Expected {
            subject: Some("apple|2".into()),
            ..Expected::default()
        };
        assert_eq!(check(good(), &subject).unwrap_err(), IdTokenProblem::Subject);
    }

    #[test]
    fn jws_parsing() {
        let b64 = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let token = |h: Value| format!("{}.{}.c2ln", b64(h), b64(json!({"sub": "x"})));
        let jws_token = token(json!({"alg": "RS256", "kid": "k"}));
        let jws = Jws::parse(&jws_token).unwrap();
        assert_eq!((jws.alg.as_str(), jws.kid.as_deref()), ("RS256", Some("k")));
        assert_eq!(jws.signature, b"sig");
        assert!(jws_token.starts_with(jws.signing_input));
        for bad in [
            token(json!({"alg": "RS256", "crit": ["exp"]})),
            token(json!({"kid": "k"})),
            token(json!({"alg": "RS256", "kid": 7})),
            token(json!(["RS256"])),
            format!("{}.{}.c2ln", b64(json!({"alg": "RS256"})), b64(json!("str"))),
            "a.b".into(),
            "not a token".into(),
            format!("{}.!!.c2ln", b64(json!({"alg": "RS256"}))),
        ] {
            assert!(Jws::parse(&bad).is_none(), "{bad}");
        }
        let long = token(json!({"alg": "RS256\n<script>-and-a-very-long-name"}));
        assert_eq!(Jws::parse(&long).unwrap().alg, "RS256<script>-an");
    }
}
