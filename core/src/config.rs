//! Client configuration: where the tenant is, who the application is, how to talk to it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::client::Client;
use crate::client_auth::ClientAuthentication;
use crate::dpop::{Dpop, DpopSigner};
use crate::error::Error;
use crate::transport::HttpTransport;
use crate::validate;

/// Default time allowed to establish a connection (TCP + TLS) by the built-in transport.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, from connecting to the last byte of the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on the size of a response body read from the server.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// What to do when DPoP was used but the server issued a `Bearer` token anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnboundTokenPolicy {
    /// Fail with [`Error::TokenNotBound`] (default): a silent downgrade hides a
    /// misconfigured application.
    #[default]
    Reject,
    /// Accept the bearer token; [`crate::TokenSet::is_dpop_bound`] tells it apart.
    Accept,
}

/// The `Auth0-Client` telemetry header: which SDK and version made the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telemetry {
    /// SDK name, for example `token-exchange-swift`.
    pub name: String,
    /// SDK version.
    pub version: String,
    /// Environment facts (platform, language version...).
    pub env: BTreeMap<String, String>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            name: "token-exchange-rust".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            env: BTreeMap::from([
                ("os".into(), std::env::consts::OS.into()),
                ("arch".into(), std::env::consts::ARCH.into()),
            ]),
        }
    }
}

impl Telemetry {
    /// The header value: base64url (no padding) of `{"name","version","env"}`.
    pub fn header_value(&self) -> String {
        let json = serde_json::json!({ "name": self.name, "version": self.version, "env": self.env });
        URL_SAFE_NO_PAD.encode(json.to_string())
    }
}

/// Builds a [`Client`]. Get one from [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) domain: String,
    pub(crate) client_id: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) telemetry: Option<Telemetry>,
    pub(crate) user_agent: String,
    pub(crate) dpop_signer: Option<Arc<dyn DpopSigner>>,
    pub(crate) unbound_token_policy: UnboundTokenPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) client_auth: ClientAuthentication,
    pub(crate) id_token_validation: bool,
    pub(crate) id_token_leeway: Duration,
    pub(crate) transport: Option<Arc<dyn HttpTransport>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("telemetry", &self.telemetry.is_some())
            .field("dpop", &self.dpop_signer.is_some())
            .field("transport", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn new(domain: impl Into<String>, client_id: impl Into<String>) -> Self {
        ClientBuilder {
            domain: domain.into(),
            client_id: client_id.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            telemetry: Some(Telemetry::default()),
            user_agent: concat!("token-exchange/", env!("CARGO_PKG_VERSION")).into(),
            dpop_signer: None,
            unbound_token_policy: UnboundTokenPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            client_auth: ClientAuthentication::None,
            id_token_validation: true,
            id_token_leeway: crate::id_token::DEFAULT_ID_TOKEN_LEEWAY,
            transport: None,
        }
    }

    /// Time the built-in transport allows to connect (default 10 s). A transport given with
    /// [`ClientBuilder::transport`] applies its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request (default 30 s), signing its DPoP proof included: a
    /// signer still waiting (on a biometric prompt, say) when it runs out fails the call with
    /// [`Error::Timeout`] before anything is sent. The transport gets what is left
    /// ([`crate::HttpRequest::timeout`]), and the client stops waiting for it at that point
    /// even if it does not.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the `Auth0-Client` telemetry, or turns it off with `None`.
    pub fn telemetry(mut self, telemetry: Option<Telemetry>) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends every request through `transport` instead of the built-in one (cargo feature
    /// `reqwest-transport`, on by default): your own HTTP stack, or a platform's. Required when
    /// the feature is off. The client still applies everything above the wire (DPoP, client
    /// authentication, header checks, the timeout, the body cap, error classification); see
    /// [`HttpTransport::send`] for what the transport must guarantee.
    pub fn transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sender-constrains every request with DPoP proofs signed by this key.
    pub fn dpop(mut self, signer: Arc<dyn DpopSigner>) -> Self {
        self.dpop_signer = Some(signer);
        self
    }

    /// What to do if the server answers a DPoP request with a `Bearer` token.
    pub fn unbound_token_policy(mut self, policy: UnboundTokenPolicy) -> Self {
        self.unbound_token_policy = policy;
        self
    }

    /// Cap on the size of a response body (default 256 KiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How the application authenticates at the token endpoint (default: a public client,
    /// which mobile apps are). Backends set a secret or a private key.
    pub fn client_authentication(mut self, auth: ClientAuthentication) -> Self {
        self.client_auth = auth;
        self
    }

    /// Whether ID tokens are validated (default `true`): the signature against the tenant's
    /// JWKS, `iss`, `aud`, `azp`, `exp`, `iat` and the requested organization. Turn it off
    /// only when something else validates them; [`crate::TokenSet::id_token_claims`] is then
    /// `None`.
    pub fn id_token_validation(mut self, enabled: bool) -> Self {
        self.id_token_validation = enabled;
        self
    }

    /// Allowance for clock skew when checking an ID token's `exp` and `iat` (default 60 s).
    pub fn id_token_leeway(mut self, leeway: Duration) -> Self {
        self.id_token_leeway = leeway;
        self
    }

    /// Validates the configuration and builds the client. Fails with
    /// [`Error::InvalidInput`] naming `domain`, `client_id`, `timeout` or `user_agent`, and
    /// with [`Error::TransportUnavailable`] when no transport was given and none is built in.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = parse_base_url(&self.domain)?;
        validate::client_id(&self.client_id)?;
        crate::client_auth::validate(&self.client_auth)?;
        if self.connect_timeout.is_zero() {
            return Err(Error::invalid("connect_timeout", "must be greater than zero"));
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be greater than zero"));
        }
        if !validate::is_header_value(&self.user_agent) {
            return Err(Error::invalid("user_agent", "is not a valid header value"));
        }
        let dpop = match &self.dpop_signer {
            Some(signer) => Some(Dpop::new(signer.clone())?),
            None => None,
        };
        Client::from_parts(self, base_url, dpop)
    }
}

/// Turns a tenant domain (`tenant.us.auth0.com`) or a full base URL into the base URL all
/// endpoints are resolved against (always ending in `/`).
///
/// HTTPS only; `http://` is accepted for loopback hosts so tests and the emulator work.
pub(crate) fn parse_base_url(input: &str) -> Result<Url, Error> {
    const FIELD: &str = "domain";
    if input.is_empty() {
        return Err(Error::invalid(FIELD, "is empty"));
    }
    if input.trim() != input {
        return Err(Error::invalid(FIELD, "has surrounding whitespace"));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(FIELD, "contains whitespace or control characters"));
    }
    let with_scheme = input.contains("://");
    if !with_scheme && input.contains(['/', '?', '#', '@']) {
        return Err(Error::invalid(
            FIELD,
            "must be a host name like `tenant.us.auth0.com` or a full URL like `https://login.example.com`",
        ));
    }
    let candidate = if with_scheme {
        input.to_owned()
    } else {
        format!("https://{input}/")
    };
    let mut url = Url::parse(&candidate).map_err(|e| Error::invalid(FIELD, format!("is not a valid URL ({e})")))?;
    if url.host().is_none() {
        return Err(Error::invalid(FIELD, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(FIELD, "must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(FIELD, "must not have a query or fragment"));
    }
    check_scheme(&url, FIELD)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// HTTPS everywhere, plain HTTP only to a loopback host.
pub(crate) fn check_scheme(url: &Url, field: &'static str) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::invalid(
            field,
            "must use https (plain http is only allowed for loopback hosts such as 127.0.0.1 or localhost)",
        )),
        other => Err(Error::invalid(field, format!("has unsupported scheme `{other}`"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_base_urls() {
        assert_eq!(
            parse_base_url("tenant.us.auth0.com").unwrap().as_str(),
            "https://tenant.us.auth0.com/"
        );
        assert_eq!(
            parse_base_url("https://login.example.com").unwrap().as_str(),
            "https://login.example.com/"
        );
        assert_eq!(
            parse_base_url("https://example.com/auth").unwrap().as_str(),
            "https://example.com/auth/"
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            parse_base_url("http://localhost:1").unwrap().as_str(),
            "http://localhost:1/"
        );
        assert_eq!(parse_base_url("http://[::1]:1").unwrap().as_str(), "http://[::1]:1/");
    }

    #[test]
    fn bad_domains_name_the_field() {
        for bad in [
            "",
            " tenant.auth0.com",
            "tenant.auth0.com\n",
            "http://tenant.auth0.com",
            "ftp://tenant.auth0.com",
            "tenant.auth0.com/path",
            "https://user:pw@tenant.auth0.com",
            "https://tenant.auth0.com/?x=1",
            "https://",
            "ten ant.com",
        ] {
            match parse_base_url(bad) {
                Err(Error::InvalidInput { field: "domain", .. }) => {}
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn telemetry_header_is_base64url_json() {
        let t = Telemetry::default();
        let decoded = URL_SAFE_NO_PAD.decode(t.header_value()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(v["name"], "token-exchange-rust");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["env"].is_object());
    }
}
