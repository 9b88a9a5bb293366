//! Client authentication at the token endpoint, for confidential clients (backends):
//! `client_secret_post`, `client_secret_basic` and `private_key_jwt` (RFC 7523).

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use url::form_urlencoded::Serializer;

use crate::error::Error;
use crate::secret::Secret;

/// `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the application proves its identity at the token endpoint.
///
/// Mobile apps are public clients and use [`ClientAuthentication::None`] (the default). A
/// backend (a Token Vault Custom API Client, a server exchanging tokens) authenticates.
#[derive(Clone, Default)]
pub enum ClientAuthentication {
    /// A public client: only `client_id` is sent.
    #[default]
    None,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost(Secret),
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic(Secret),
    /// A JWT signed with the application's private key (`private_key_jwt`).
    PrivateKeyJwt(Arc<ClientAssertionKey>),
}

impl fmt::Debug for ClientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientAuthentication::None => "None",
            ClientAuthentication::ClientSecretPost(_) => "ClientSecretPost(<redacted>)",
            ClientAuthentication::ClientSecretBasic(_) => "ClientSecretBasic(<redacted>)",
            ClientAuthentication::PrivateKeyJwt(_) => "PrivateKeyJwt(<redacted>)",
        })
    }
}

/// An RSA private key that signs client assertions (RS256), as Auth0's Private Key JWT
/// credentials expect.
pub struct ClientAssertionKey {
    pair: RsaKeyPair,
    kid: Option<String>,
    rng: SystemRandom,
}

impl ClientAssertionKey {
    /// From a PKCS#8 DER RSA private key (2048 bits or more). `kid` is the key id of the
    /// credential registered for the application, if you set one.
    pub fn rsa_pkcs8(der: &[u8], kid: Option<String>) -> Result<Self, Error> {
        let pair = RsaKeyPair::from_pkcs8(der)
            .map_err(|_| Error::invalid("client_assertion_key", "is not an RSA private key in PKCS#8 DER"))?;
        Ok(Self {
            pair,
            kid,
            rng: SystemRandom::new(),
        })
    }

    /// From a PEM `-----BEGIN PRIVATE KEY-----` block (PKCS#8).
    pub fn rsa_pkcs8_pem(pem: &str, kid: Option<String>) -> Result<Self, Error> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PRIVATE KEY-----")
            .collect();
        let der = zeroize::Zeroizing::new(
            STANDARD
                .decode(body)
                .map_err(|_| Error::invalid("client_assertion_key", "is not a PKCS#8 PEM private key"))?,
        );
        Self::rsa_pkcs8(&der, kid)
    }

    /// A fresh assertion: `iss` = `sub` = client id, `aud` = the tenant's base URL, one
    /// minute of validity, a random `jti`.
    pub(crate) fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Error> {
        let header = match &self.kid {
            Some(kid) => serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
            None => serde_json::json!({"alg": "RS256", "typ": "JWT"}),
        };
        let mut jti = [0u8; 16];
        self.rng
            .fill(&mut jti)
            .map_err(|_| Error::Signer("the system random generator failed".into()))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": audience,
            "iat": now, "exp": now + 60, "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jwt);
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, jwt.as_bytes(), &mut sig)
            .map_err(|_| Error::Signer("RSA signing of the client assertion failed".into()))?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut jwt);
        Ok(jwt)
    }
}

impl fmt::Debug for ClientAssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertionKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Authenticates one request: appends the form parameters to its `body` being encoded, and
/// returns the `Authorization` header to send, if any.
pub(crate) fn apply(
    auth: &ClientAuthentication,
    client_id: &str,
    audience: &str,
    body: &mut Serializer<'_, String>,
) -> Result<Option<Secret>, Error> {
    match auth {
        ClientAuthentication::None => {
            body.append_pair("client_id", client_id);
        }
        ClientAuthentication::ClientSecretPost(secret) => {
            body.append_pair("client_id", client_id);
            body.append_pair("client_secret", secret.expose());
        }
        ClientAuthentication::ClientSecretBasic(secret) => {
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(client_id), encode(secret.expose()));
            return Ok(Some(Secret::new(format!("Basic {}", STANDARD.encode(pair)))));
        }
        ClientAuthentication::PrivateKeyJwt(key) => {
            let assertion = key.assertion(client_id, audience)?;
            body.append_pair("client_id", client_id);
            body.append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE);
            body.append_pair("client_assertion", &assertion);
        }
    }
    Ok(None)
}

pub(crate) fn validate(auth: &ClientAuthentication) -> Result<(), Error> {
    match auth {
        ClientAuthentication::ClientSecretPost(s) | ClientAuthentication::ClientSecretBasic(s) => {
            if s.is_empty() || s.expose().trim() != s.expose() {
                return Err(Error::invalid(
                    "client_secret",
                    "is empty or has surrounding whitespace",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
