//! The client: one per application, shared across tasks.

use std::net::IpAddr;
use std::sync::Arc;

use url::Url;

use crate::client_auth::{self, ClientAuthentication};
use crate::config::{ClientBuilder, Telemetry, UnboundTokenPolicy};
use crate::dpop::Dpop;
use crate::error::Error;
use crate::http::{self, Deadline, RawResponse};
use crate::id_token::{self, IdTokenValidator};
use crate::native_social::NativeSocialExchange;
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
    pub(crate) transport: Arc<dyn HttpTransport>,
    pub(crate) user_agent: String,
    pub(crate) base_url: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) client_id: String,
    /// The `Auth0-Client` header value.
    pub(crate) telemetry: Option<String>,
    pub(crate) dpop: Option<Dpop>,
    pub(crate) unbound_token_policy: UnboundTokenPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) client_auth: ClientAuthentication,
    /// The configured request timeout, which also bounds signing (see [`Deadline`]).
    pub(crate) timeout: std::time::Duration,
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
    /// `client_id`.
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
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                user_agent: config.user_agent,
                base_url,
                token_endpoint,
                client_id: config.client_id,
                telemetry,
                dpop,
                unbound_token_policy: config.unbound_token_policy,
                max_response_bytes: config.max_response_bytes,
                client_auth: config.client_auth,
                timeout: config.timeout,
                id_token: config
                    .id_token_validation
                    .then(|| IdTokenValidator::new(config.id_token_leeway)),
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

    /// Exchanges a native sign-in artifact (an Apple authorization code, a Facebook session
    /// token) for Auth0 tokens.
    ///
    /// Invalid input fails before any network I/O. The request is never replayed
    /// automatically, except once when the server demands a DPoP nonce (`use_dpop_nonce`):
    /// the server rejected that first attempt before looking at the subject token.
    pub async fn exchange_native_social(&self, request: &NativeSocialExchange) -> Result<TokenSet, Error> {
        let form = request.to_form()?;
        self.token_request(form, &[], request.forwarded_for).await
    }

    /// Sends a token request (adding client authentication) and reads the token set, with its
    /// ID token validated against what the form asked for.
    pub(crate) async fn token_request(
        &self,
        form: Vec<(&'static str, String)>,
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
        form: Vec<(&'static str, String)>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
        expected: &id_token::Expected,
    ) -> Result<TokenSet, TokenRequestFailure> {
        self.prepare_id_token_validation(expected).await?;
        let response = self.post_token_endpoint(form, extra, forwarded_for).await?;
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
        match self.validate_id_token(tokens.id_token.as_ref(), expected).await {
            Ok(claims) => tokens.id_token_claims = claims,
            Err(error) => return Err(refused(error)),
        }
        Ok(tokens)
    }

    /// POSTs a form to `/oauth/token` with client authentication and a fresh DPoP proof
    /// (both renewed per attempt), retrying once on `use_dpop_nonce`. Returns the successful
    /// response or the server's error.
    pub(crate) async fn post_token_endpoint(
        &self,
        form: Vec<(&'static str, String)>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
    ) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        let url = &inner.token_endpoint;
        for attempt in 0..2 {
            let deadline = Deadline::after(inner.timeout);
            let mut request = self.authenticated_post(url, &form, extra)?;
            if let Some(ip) = forwarded_for {
                request = request.header("auth0-forwarded-for", ip.to_string());
            }
            if let Some(dpop) = &inner.dpop {
                let proof = deadline.bound(dpop.proof_for_request("POST", url, None)).await?;
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
                continue;
            }
            return Err(error);
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// A request to `url` with the client's `User-Agent` and body cap, to be sent with
    /// [`Client::send`].
    pub(crate) fn request(&self, method: &str, url: &Url) -> HttpRequest {
        // The timeout is set when the request is sent, from what is left of the deadline.
        let (timeout, cap) = (self.inner.timeout, self.inner.max_response_bytes);
        HttpRequest::new(method, url.clone(), timeout, cap).header("user-agent", self.inner.user_agent.as_str())
    }

    /// Adds the `Auth0-Client` telemetry header, unless it is off.
    pub(crate) fn with_telemetry(&self, request: HttpRequest) -> HttpRequest {
        match &self.inner.telemetry {
            Some(t) => request.header("auth0-client", t.as_str()),
            None => request,
        }
    }

    /// Sends `request` through the client's transport, bounded by `deadline`.
    pub(crate) async fn send(&self, request: HttpRequest, deadline: Deadline) -> Result<RawResponse, Error> {
        http::send(&*self.inner.transport, request, deadline).await
    }

    /// A form POST to one of the tenant's OAuth endpoints with client authentication (a fresh
    /// client assertion each time) and telemetry.
    pub(crate) fn authenticated_post(
        &self,
        url: &Url,
        form: &[(&'static str, String)],
        extra: &[(String, String)],
    ) -> Result<HttpRequest, Error> {
        let inner = &self.inner;
        let mut fields = form.to_vec();
        let basic = client_auth::apply(
            &inner.client_auth,
            &inner.client_id,
            inner.base_url.as_str(),
            &mut fields,
        )?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
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
