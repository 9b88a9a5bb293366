//! Client configuration as foreign code writes it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use token_exchange::Secret;

use crate::error::TokenExchangeError;

/// How to reach the tenant and identify the application. Only `domain` and `client_id` are
/// required; everything else has the library's default.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClientConfig {
    /// `tenant.us.auth0.com`, a custom domain, or a full base URL (`http://127.0.0.1:port`
    /// for a local emulator: plain HTTP is accepted for loopback hosts only). Host names are
    /// ASCII: an internationalized domain is given in its Punycode form (`xn--…`).
    pub domain: String,
    /// The application's client id.
    pub client_id: String,
    /// Time allowed for a whole request (default 30 s), signing its DPoP proof included: a
    /// signer still waiting (on a biometric prompt, say) when it runs out fails the call with
    /// `Timeout` before anything is sent.
    #[uniffi(default = None)]
    pub timeout: Option<Duration>,
    /// Time allowed to connect (default 10 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// The `User-Agent` header (default `token-exchange/<version>`).
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
    /// Send the `Auth0-Client` telemetry header (default `true`).
    #[uniffi(default = true)]
    pub telemetry_enabled: bool,
    /// What the telemetry header says; `None` describes the Rust library. The Swift and
    /// Kotlin layers set `token-exchange-swift` / `token-exchange-kotlin`.
    #[uniffi(default = None)]
    pub telemetry: Option<Telemetry>,
    /// What to do when DPoP was used but the server issued a bearer token (default reject).
    #[uniffi(default = None)]
    pub unbound_token_policy: Option<UnboundTokenPolicy>,
    /// Largest token endpoint response read, in bytes (default 256 KiB).
    #[uniffi(default = None)]
    pub max_response_bytes: Option<i64>,
    /// How the application authenticates at the token endpoint (default `None`: a public
    /// client, which mobile apps are). Backends (a Token Vault Custom API Client) set a
    /// secret or a private key.
    #[uniffi(default = None)]
    pub client_authentication: Option<ClientAuthentication>,
    /// Validate ID tokens wherever one is returned (default `true`): the RS256 signature
    /// against the tenant's JWKS, `iss`, `aud`, `azp`, `exp`, `iat` and the requested
    /// organization. Turn it off only when something else validates them;
    /// `TokenSet.id_token_claims` is then empty.
    #[uniffi(default = true)]
    pub id_token_validation: bool,
    /// Allowance for clock skew when checking an ID token's `exp` and `iat` (default 60 s).
    #[uniffi(default = None)]
    pub id_token_leeway: Option<Duration>,
}

/// How a confidential client (a backend) proves its identity at the token endpoint. The
/// secrets are `Secret`s: printed redacted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ClientAuthentication {
    /// A public client: only `client_id` is sent (what `None` for the whole option means too;
    /// not named `None`, which Swift would confuse with `Optional.none`).
    PublicClient,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost {
        /// The client secret.
        secret: Secret,
    },
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic {
        /// The client secret.
        secret: Secret,
    },
    /// An RS256 JWT signed with the application's private key (`private_key_jwt`).
    PrivateKeyJwt {
        /// The RSA private key (2048 bits or more) as a PKCS#8 PEM block
        /// (`-----BEGIN PRIVATE KEY-----`).
        pkcs8_pem: Secret,
        /// The key id of the credential registered for the application, if it has one.
        kid: Option<String>,
    },
}

impl ClientAuthentication {
    /// The library's client authentication; the private key is parsed here.
    pub(crate) fn to_core(&self) -> Result<token_exchange::ClientAuthentication, TokenExchangeError> {
        use token_exchange::ClientAuthentication as A;
        Ok(match self {
            ClientAuthentication::PublicClient => A::None,
            ClientAuthentication::ClientSecretPost { secret } => A::ClientSecretPost(secret.clone()),
            ClientAuthentication::ClientSecretBasic { secret } => A::ClientSecretBasic(secret.clone()),
            ClientAuthentication::PrivateKeyJwt { pkcs8_pem, kid } => A::PrivateKeyJwt(Arc::new(
                token_exchange::ClientAssertionKey::rsa_pkcs8_pem(pkcs8_pem.expose(), kid.clone())?,
            )),
        })
    }
}

/// The SDK identification sent in the `Auth0-Client` header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Telemetry {
    /// SDK name, e.g. `token-exchange-swift`.
    pub name: String,
    /// SDK version.
    pub version: String,
    /// Extra environment facts (`swift`: `6.0`...), added to the library's `os` and `arch`.
    #[uniffi(default)]
    pub env: HashMap<String, String>,
}

/// What to do when DPoP was used but the server issued a `Bearer` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UnboundTokenPolicy {
    /// Fail with `TokenNotBound` (the default): a silent downgrade hides a misconfiguration.
    Reject,
    /// Accept the bearer token; `TokenSet.is_dpop_bound()` tells it apart.
    Accept,
}

impl ClientConfig {
    /// A configuration with every option at its default.
    pub fn new(domain: impl Into<String>, client_id: impl Into<String>) -> Self {
        ClientConfig {
            domain: domain.into(),
            client_id: client_id.into(),
            timeout: None,
            connect_timeout: None,
            user_agent: None,
            telemetry_enabled: true,
            telemetry: None,
            unbound_token_policy: None,
            max_response_bytes: None,
            client_authentication: None,
            id_token_validation: true,
            id_token_leeway: None,
        }
    }

    /// The library's builder for this configuration (the DPoP key is added by the caller).
    pub(crate) fn to_builder(&self) -> Result<token_exchange::ClientBuilder, TokenExchangeError> {
        let mut b = token_exchange::Client::builder(self.domain.clone(), self.client_id.clone());
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(ua) = &self.user_agent {
            b = b.user_agent(ua.clone());
        }
        b = b.telemetry(match (self.telemetry_enabled, &self.telemetry) {
            (false, _) => None,
            (true, None) => Some(token_exchange::Telemetry::default()),
            (true, Some(t)) => {
                if t.name.trim().is_empty() || t.version.trim().is_empty() {
                    return Err(TokenExchangeError::invalid(
                        "telemetry",
                        "name and version must not be empty",
                    ));
                }
                let mut telemetry = token_exchange::Telemetry {
                    name: t.name.clone(),
                    version: t.version.clone(),
                    ..Default::default()
                };
                telemetry.env.extend(t.env.iter().map(|(k, v)| (k.clone(), v.clone())));
                Some(telemetry)
            }
        });
        b = b.unbound_token_policy(match self.unbound_token_policy.unwrap_or(UnboundTokenPolicy::Reject) {
            UnboundTokenPolicy::Reject => token_exchange::UnboundTokenPolicy::Reject,
            UnboundTokenPolicy::Accept => token_exchange::UnboundTokenPolicy::Accept,
        });
        if let Some(limit) = self.max_response_bytes {
            let limit = usize::try_from(limit)
                .ok()
                .filter(|l| *l > 0)
                .ok_or_else(|| TokenExchangeError::invalid("max_response_bytes", "must be greater than zero"))?;
            b = b.max_response_bytes(limit);
        }
        if let Some(auth) = &self.client_authentication {
            b = b.client_authentication(auth.to_core()?);
        }
        b = b.id_token_validation(self.id_token_validation);
        if let Some(leeway) = self.id_token_leeway {
            b = b.id_token_leeway(leeway);
        }
        Ok(b)
    }
}
