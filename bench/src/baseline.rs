//! The baseline: the same native social exchange written directly with reqwest and ring, the
//! obvious efficient way — a struct for the response (serde derive), the form as a slice of
//! pairs, the DPoP JOSE header encoded once per key, the JWKS fetched once.
//!
//! It sends what the SDK sends (the same form fields in the same order, `Accept`,
//! `Auth0-Client`, `User-Agent`, and a DPoP proof with the same JOSE header and claims) and
//! does the same checks on the answer: `token_type` is `DPoP` when a proof was sent; the ID
//! token's RS256 signature against the JWKS, `iss`, `aud`, `exp`, `iat` with 60 s of leeway.
//! It reads the standard claims the SDK reads into `UserClaims` (the SDK also keeps every
//! other claim and parses `updated_at`, which the baseline leaves as text).
//! Its reqwest client is configured like the SDK's: rustls on ring with the platform verifier
//! (the OS trust store), no redirects, no retries, the same timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{ACCEPT, HeaderValue};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
};
use rustls_platform_verifier::BuilderVerifierExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::{AUDIENCE, CLIENT_ID, FIRST_NAME, LAST_NAME, SCOPE};

const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const APPLE_AUTHORIZATION_CODE: &str = "http://auth0.com/oauth/token-type/apple-authz-code";
const LEEWAY_SECONDS: u64 = 60;

/// Why a baseline exchange failed.
#[derive(Debug)]
pub enum BaselineError {
    /// The HTTP request failed.
    Http(reqwest::Error),
    /// The server answered with an error status.
    Status(u16),
    /// A body was not the JSON expected.
    Json(serde_json::Error),
    /// The tokens are not bound to the DPoP key although a proof was sent.
    NotBound,
    /// The ID token failed a check.
    IdToken(&'static str),
    /// Signing the DPoP proof failed.
    Signing,
    /// The TLS configuration could not be built (no OS trust store).
    Tls,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Http(e) => write!(f, "HTTP: {e}"),
            BaselineError::Status(s) => write!(f, "HTTP status {s}"),
            BaselineError::Json(e) => write!(f, "JSON: {e}"),
            BaselineError::NotBound => f.write_str("the token is not DPoP-bound"),
            BaselineError::IdToken(why) => write!(f, "ID token: {why}"),
            BaselineError::Signing => f.write_str("DPoP signing failed"),
            BaselineError::Tls => f.write_str("the OS trust store could not be loaded"),
        }
    }
}

impl From<reqwest::Error> for BaselineError {
    fn from(e: reqwest::Error) -> Self {
        BaselineError::Http(e)
    }
}

impl From<serde_json::Error> for BaselineError {
    fn from(e: serde_json::Error) -> Self {
        BaselineError::Json(e)
    }
}

/// The token response.
#[derive(Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// `DPoP` or `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: Option<u64>,
    /// The ID token.
    pub id_token: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// Granted scopes.
    pub scope: Option<String>,
    /// The ID token's claims once validated.
    #[serde(skip)]
    pub claims: Option<IdTokenClaims>,
}

/// The ID token claims it checks, and the standard claims the SDK reads too.
#[derive(Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// Audience (Auth0 sends the client id as a string).
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Whether the email address is verified.
    pub email_verified: Option<bool>,
    /// Profile picture URL.
    pub picture: Option<String>,
    /// When the profile changed (RFC 3339, as Auth0 sends it).
    pub updated_at: Option<String>,
}

#[derive(Deserialize)]
struct JwsHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    n: String,
    e: String,
}

struct RsaKey {
    kid: Option<String>,
    n: Vec<u8>,
    e: Vec<u8>,
}

#[derive(Serialize)]
struct UserProfile<'a> {
    name: PersonName<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonName<'a> {
    first_name: &'a str,
    last_name: &'a str,
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
}

/// A P-256 DPoP key and its encoded JOSE header.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    header_b64: String,
    rng: SystemRandom,
}

impl DpopKey {
    /// A new random key.
    pub fn generate() -> DpopKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("P-256 key generation");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("own key");
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}}}"#,
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..65])
        );
        DpopKey {
            pair,
            header_b64: URL_SAFE_NO_PAD.encode(header),
            rng,
        }
    }

    fn proof(&self, htm: &str, htu: &str) -> Result<String, BaselineError> {
        let mut jti = [0u8; 16];
        self.rng.fill(&mut jti).map_err(|_| BaselineError::Signing)?;
        let jti = URL_SAFE_NO_PAD.encode(jti);
        let claims = ProofClaims {
            jti: &jti,
            htm,
            htu,
            iat: unix_now(),
        };
        let payload = serde_json::to_vec(&claims)?;
        let mut jwt = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 100);
        jwt.push_str(&self.header_b64);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let signature = self
            .pair
            .sign(&self.rng, jwt.as_bytes())
            .map_err(|_| BaselineError::Signing)?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut jwt);
        Ok(jwt)
    }
}

/// The baseline client: one per application, like the SDK's.
pub struct Baseline {
    http: reqwest::Client,
    token_url: reqwest::Url,
    jwks_url: reqwest::Url,
    issuer: String,
    telemetry: HeaderValue,
    dpop: Option<DpopKey>,
    /// `None` when ID tokens are not validated.
    keys: Option<OnceCell<Vec<RsaKey>>>,
}

impl Baseline {
    /// A client for the tenant at `base_url` (`http://127.0.0.1:port/`), sending DPoP proofs
    /// signed with `dpop` when given, validating ID tokens when `id_token_validation` is set.
    pub fn new(
        base_url: &str,
        dpop: Option<DpopKey>,
        id_token_validation: bool,
    ) -> Result<Arc<Baseline>, BaselineError> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_platform_verifier()
            .map_err(|_| BaselineError::Tls)?
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("token-exchange/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .build()?;
        let base = reqwest::Url::parse(base_url).expect("a valid base URL");
        Ok(Arc::new(Baseline {
            http,
            token_url: base.join("oauth/token").expect("relative path"),
            jwks_url: base.join(".well-known/jwks.json").expect("relative path"),
            issuer: base.to_string(),
            // The same telemetry as the SDK's Rust client: a constant header, computed once.
            telemetry: HeaderValue::from_str(&token_exchange::Telemetry::default().header_value())
                .expect("base64url is a valid header value"),
            dpop,
            keys: id_token_validation.then(OnceCell::new),
        }))
    }

    /// Whether the client validates ID tokens.
    pub fn validates_id_tokens(&self) -> bool {
        self.keys.is_some()
    }

    /// Exchanges an Apple authorization code for tokens and validates the ID token.
    pub async fn exchange(&self, authorization_code: &str) -> Result<Tokens, BaselineError> {
        // Fetched before the first exchange, so that a failure cannot waste a single-use code.
        let keys = match &self.keys {
            Some(keys) => Some(keys.get_or_try_init(|| self.fetch_keys()).await?),
            None => None,
        };
        let profile = serde_json::to_string(&UserProfile {
            name: PersonName {
                first_name: FIRST_NAME,
                last_name: LAST_NAME,
            },
        })?;
        let form = [
            ("grant_type", TOKEN_EXCHANGE_GRANT),
            ("subject_token", authorization_code),
            ("subject_token_type", APPLE_AUTHORIZATION_CODE),
            ("audience", AUDIENCE),
            ("scope", SCOPE),
            ("user_profile", &profile),
            ("client_id", CLIENT_ID),
        ];
        let mut request = self
            .http
            .post(self.token_url.clone())
            .form(&form)
            .header(ACCEPT, "application/json")
            .header("Auth0-Client", self.telemetry.clone());
        if let Some(dpop) = &self.dpop {
            request = request.header("DPoP", dpop.proof("POST", self.token_url.as_str())?);
        }
        let response = request.send().await?;
        if !response.status().is_success() {
            return Err(BaselineError::Status(response.status().as_u16()));
        }
        let body = response.bytes().await?;
        let mut tokens: Tokens = serde_json::from_slice(&body)?;
        if self.dpop.is_some() && !tokens.token_type.eq_ignore_ascii_case("DPoP") {
            return Err(BaselineError::NotBound);
        }
        if let (Some(id_token), Some(keys)) = (&tokens.id_token, keys) {
            tokens.claims = Some(self.validate(id_token, keys)?);
        }
        Ok(tokens)
    }

    async fn fetch_keys(&self) -> Result<Vec<RsaKey>, BaselineError> {
        let response = self
            .http
            .get(self.jwks_url.clone())
            .header(ACCEPT, "application/json")
            .header("Auth0-Client", self.telemetry.clone())
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(BaselineError::Status(response.status().as_u16()));
        }
        let set: JwkSet = serde_json::from_slice(&response.bytes().await?)?;
        let decode = |v: &str| URL_SAFE_NO_PAD.decode(v).map_err(|_| BaselineError::IdToken("bad JWK"));
        set.keys
            .into_iter()
            .map(|k| {
                Ok(RsaKey {
                    n: decode(&k.n)?,
                    e: decode(&k.e)?,
                    kid: k.kid,
                })
            })
            .collect()
    }

    fn validate(&self, token: &str, keys: &[RsaKey]) -> Result<IdTokenClaims, BaselineError> {
        let malformed = || BaselineError::IdToken("malformed");
        let (signing_input, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(malformed)?;
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
        let header: JwsHeader = serde_json::from_slice(&decode(header)?)?;
        if header.alg != "RS256" {
            return Err(BaselineError::IdToken("algorithm"));
        }
        let key = keys
            .iter()
            .find(|k| k.kid == header.kid)
            .ok_or(BaselineError::IdToken("unknown key"))?;
        RsaPublicKeyComponents { n: &key.n, e: &key.e }
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signing_input.as_bytes(),
                &decode(signature)?,
            )
            .map_err(|_| BaselineError::IdToken("signature"))?;
        let claims: IdTokenClaims = serde_json::from_slice(&decode(payload)?)?;
        let now = unix_now();
        if claims.iss != self.issuer {
            return Err(BaselineError::IdToken("iss"));
        }
        if claims.aud != CLIENT_ID {
            return Err(BaselineError::IdToken("aud"));
        }
        if claims.exp + LEEWAY_SECONDS < now {
            return Err(BaselineError::IdToken("exp"));
        }
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(BaselineError::IdToken("iat"));
        }
        Ok(claims)
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
