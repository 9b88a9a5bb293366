//! The client: one per application, shared across tasks.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::client_auth::{self, ClientAuthentication};
use crate::config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Telemetry, UnboundTokenPolicy, parse_base_url,
};
use crate::dpop::{Dpop, DpopSigner};
use crate::error::Error;
use crate::http::{Deadline, HttpContext, RawResponse};
use crate::id_token::{self, IdTokenValidator, ValidatorSettings};
use crate::parameters::Form;
use crate::secret::Secret;
use crate::token_set::TokenSet;
use crate::transport::{self, HttpRequest, HttpTransport};
use crate::validate;

/// `grant_type` of RFC 8693 token exchange.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// A token request that failed.
pub(crate) struct TokenRequestFailure {
    pub error: Error,
    /// The refresh token of a successful response that the client then refused (an invalid
    /// ID token, a token not bound to the DPoP key). With rotation the server has retired
    /// the refresh token sent, so this one is the user's only way to renew.
    pub issued_refresh_token: Option<Secret>,
}

impl From<Error> for TokenRequestFailure {
    fn from(error: Error) -> Self {
        TokenRequestFailure {
            error,
            issued_refresh_token: None,
        }
    }
}

/// A client for one Auth0 application (tenant + `client_id`).
///
/// Build it once with [`Client::builder`] and share it: it is `Send + Sync`, cloning is cheap,
/// and all clones use one transport (one connection pool) and one DPoP nonce store.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The transport and what every request carries (`User-Agent`, telemetry, the timeout,
    /// which also bounds signing, and the body cap).
    pub(crate) http: HttpContext,
    pub(crate) base_url: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) client_id: String,
    pub(crate) dpop: Option<Dpop>,
    pub(crate) unbound_token_policy: UnboundTokenPolicy,
    pub(crate) client_auth: ClientAuthentication,
    /// `None` when ID token validation is off.
    pub(crate) id_token: Option<IdTokenValidator>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("client_id", &self.inner.client_id)
            .field("dpop", &self.inner.dpop)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client for `domain` (`tenant.us.auth0.com`, a custom domain, or a
    /// full base URL such as the emulator's `http://127.0.0.1:8787`) and the application's
    /// `client_id`. Host names are ASCII: give an internationalized domain in its Punycode
    /// form (`xn--…`).
    pub fn builder(domain: impl Into<String>, client_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(domain, client_id)
    }

    pub(crate) fn from_parts(config: ClientBuilder, base_url: Url, dpop: Option<Dpop>) -> Result<Self, Error> {
        let transport = match &config.transport {
            Some(transport) => transport.clone(),
            None => transport::default_transport(config.connect_timeout)?,
        };
        let token_endpoint = base_url
            .join("oauth/token")
            .expect("a relative path joins onto an http(s) base");
        let telemetry = config.telemetry.as_ref().map(Telemetry::header_value);
        if telemetry.as_deref().is_some_and(|t| !validate::is_header_value(t)) {
            return Err(Error::invalid("telemetry", "is not a valid header value"));
        }
        let http = HttpContext {
            transport,
            user_agent: config.user_agent,
            telemetry,
            timeout: config.timeout,
            max_response_bytes: config.max_response_bytes,
        };
        let id_token = config.id_token_validation.then(|| {
            IdTokenValidator::new(ValidatorSettings {
                leeway: config.id_token_leeway,
                http: &http,
                issuer: &base_url,
                client_id: &config.client_id,
                client_auth: &config.client_auth,
            })
        });
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                token_endpoint,
                client_id: config.client_id,
                dpop,
                unbound_token_policy: config.unbound_token_policy,
                client_auth: config.client_auth,
                id_token,
            }),
        })
    }

    /// The base URL every endpoint is resolved against (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The application's client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The DPoP key in use, if any: its thumbprint, nonces, and proofs for your own requests.
    pub fn dpop(&self) -> Option<&Dpop> {
        self.inner.dpop.as_ref()
    }

    /// Sends a token request (adding client authentication) and reads the token set, with its
    /// ID token validated against what the form asked for.
    pub(crate) async fn token_request(
        &self,
        form: Form<'_>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
    ) -> Result<TokenSet, Error> {
        let expected = id_token::Expected::from_form(&form);
        self.token_request_expecting(form, extra, forwarded_for, &expected)
            .await
            .map_err(|failure| failure.error)
    }

    /// [`Client::token_request`] with explicit expectations for the ID token. A failure says
    /// which refresh token the server issued when the client refused its answer.
    pub(crate) async fn token_request_expecting(
        &self,
        form: Form<'_>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
        expected: &id_token::Expected,
    ) -> Result<TokenSet, TokenRequestFailure> {
        if let Some(validator) = &self.inner.id_token {
            validator.prepare(expected).await?;
        }
        let response = self.post_token_endpoint(&form, extra, forwarded_for).await?;
        let dpop_jkt = self.inner.dpop.as_ref().map(|d| d.thumbprint());
        let mut tokens = TokenSet::from_response(&response, dpop_jkt)?;
        let refused = |error| TokenRequestFailure {
            error,
            issued_refresh_token: tokens.refresh_token.clone(),
        };
        if dpop_jkt.is_some()
            && !tokens.is_dpop_bound()
            && self.inner.unbound_token_policy == UnboundTokenPolicy::Reject
        {
            return Err(refused(Error::TokenNotBound {
                token_type: tokens.token_type.clone(),
            }));
        }
        if let Some(validator) = &self.inner.id_token {
            match validator.validate(tokens.id_token.as_ref(), expected).await {
                Ok(claims) => tokens.id_token_claims = claims,
                Err(error) => return Err(refused(error)),
            }
        }
        Ok(tokens)
    }

    /// POSTs a form to `/oauth/token` with client authentication and a fresh DPoP proof
    /// (both renewed per attempt), retrying once on `use_dpop_nonce`. Returns the successful
    /// response or the server's error.
    pub(crate) async fn post_token_endpoint(
        &self,
        form: &Form<'_>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
    ) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        let url = &inner.token_endpoint;
        let mut challenge_nonce: Option<String> = None;
        for attempt in 0..2 {
            let deadline = inner.http.deadline();
            let mut request = self.authenticated_post(url, form, extra)?;
            if let Some(ip) = forwarded_for {
                request = request.header("auth0-forwarded-for", ip.to_string());
            }
            if let Some(dpop) = &inner.dpop {
                let proof = deadline
                    .bound(dpop.proof_for_request("POST", url, None, challenge_nonce.as_deref()))
                    .await?;
                request = request.header("dpop", proof);
            }
            let response = self.send(request, deadline).await?;
            let fresh_nonce = inner
                .dpop
                .as_ref()
                .and_then(|d| d.remember_nonce(url, response.dpop_nonce()));
            if response.is_success() {
                return Ok(response);
            }
            let error = response.into_error();
            let nonce_challenge = error.oauth().is_some_and(|e| e.is_dpop_nonce_required());
            if attempt == 0 && nonce_challenge && fresh_nonce.is_some() {
                challenge_nonce = fresh_nonce;
                continue;
            }
            return Err(error);
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// A request to `url` with the client's `User-Agent` and body cap, to be sent with
    /// [`Client::send`].
    pub(crate) fn request(&self, method: &str, url: &Url) -> HttpRequest {
        self.inner.http.request(method, url)
    }

    /// Adds the `Auth0-Client` telemetry header, unless it is off.
    pub(crate) fn with_telemetry(&self, request: HttpRequest) -> HttpRequest {
        self.inner.http.with_telemetry(request)
    }

    /// Sends `request` through the client's transport, bounded by `deadline`.
    pub(crate) async fn send(&self, request: HttpRequest, deadline: Deadline) -> Result<RawResponse, Error> {
        self.inner.http.send(request, deadline).await
    }

    /// A form POST to one of the tenant's OAuth endpoints with client authentication (a fresh
    /// client assertion each time) and telemetry. The body is `form`, then the client's
    /// credentials, then `extra`.
    pub(crate) fn authenticated_post(
        &self,
        url: &Url,
        form: &Form<'_>,
        extra: &[(String, String)],
    ) -> Result<HttpRequest, Error> {
        let inner = &self.inner;
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        body.extend_pairs(form.iter().map(|(k, v)| (*k, &**v)));
        let basic = client_auth::apply(&inner.client_auth, &inner.client_id, inner.base_url.as_str(), &mut body)?;
        let body = body
            .extend_pairs(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let mut request = self
            .request("POST", url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        if let Some(basic) = basic {
            request = request.header("authorization", basic.expose());
        }
        Ok(self.with_telemetry(request))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn client_is_shareable() {
        assert_send_sync::<Client>();
    }

    #[test]
    fn builder_validates_before_io() {
        let err = Client::builder("tenant.auth0.com", "").build().unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "client_id", .. }));
        let err = Client::builder("http://tenant.auth0.com", "abc").build().unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "domain", .. }));
        let err = Client::builder("tenant.auth0.com", "abc")
            .timeout(std::time::Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "timeout", .. }));
        let c = Client::builder("tenant.auth0.com", "abc")
            .transport(Arc::new(Unreachable))
            .build()
            .unwrap();
        assert_eq!(c.inner.token_endpoint.as_str(), "https://tenant.auth0.com/oauth/token");
    }

    /// A transport whose every request fails to connect.
    struct Unreachable;

    impl HttpTransport for Unreachable {
        fn send(&self, _: HttpRequest) -> crate::TransportFuture<'_> {
            Box::pin(async { Err(crate::TransportError::Connect) })
        }
    }

    #[test]
    fn the_builtin_transport_is_the_default_when_compiled_in() {
        let built = Client::builder("tenant.auth0.com", "abc").build();
        if cfg!(feature = "reqwest-transport") {
            assert!(built.is_ok());
        } else {
            // A build without HTTP code: the client must be given a transport, and says so.
            let err = built.unwrap_err();
            assert!(matches!(err, Error::TransportUnavailable { .. }), "{err:?}");
            assert!(err.to_string().contains("ClientBuilder::transport"), "{err}");
            assert!(!err.request_may_have_reached_server() && !err.is_retryable());
        }
    }
}
