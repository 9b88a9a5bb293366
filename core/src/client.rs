//! The client: one per application, shared across tasks.

use std::net::IpAddr;
use std::sync::Arc;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use url::Url;

use crate::client_auth::{self, ClientAuthentication};
use crate::config::{ClientBuilder, UnboundTokenPolicy};
use crate::dpop::Dpop;
use crate::error::Error;
use crate::http::{self, Deadline, RawResponse};
use crate::id_token::{self, IdTokenValidator};
use crate::native_social::NativeSocialExchange;
use crate::token_set::TokenSet;

/// `grant_type` of RFC 8693 token exchange.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// A client for one Auth0 application (tenant + `client_id`).
///
/// Build it once with [`Client::builder`] and share it: it is `Send + Sync`, cloning is cheap,
/// and all clones use one connection pool and one DPoP nonce store.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) client_id: String,
    pub(crate) telemetry: Option<HeaderValue>,
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
        let http = http::build_client(config.connect_timeout, config.timeout, &config.user_agent)?;
        let token_endpoint = base_url
            .join("oauth/token")
            .expect("a relative path joins onto an http(s) base");
        let telemetry = match &config.telemetry {
            Some(t) => Some(
                HeaderValue::from_str(&t.header_value())
                    .map_err(|_| Error::invalid("telemetry", "is not a valid header value"))?,
            ),
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
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
    pub async fn native_social_exchange(&self, request: &NativeSocialExchange) -> Result<TokenSet, Error> {
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
    }

    /// [`Client::token_request`] with explicit expectations for the ID token.
    pub(crate) async fn token_request_expecting(
        &self,
        form: Vec<(&'static str, String)>,
        extra: &[(String, String)],
        forwarded_for: Option<IpAddr>,
        expected: &id_token::Expected,
    ) -> Result<TokenSet, Error> {
        self.prepare_id_token_validation(expected).await?;
        let response = self.post_token_endpoint(form, extra, forwarded_for).await?;
        let dpop_jkt = self.inner.dpop.as_ref().map(|d| d.thumbprint());
        let mut tokens = TokenSet::from_response(&response, dpop_jkt)?;
        if dpop_jkt.is_some()
            && !tokens.is_dpop_bound()
            && self.inner.unbound_token_policy == UnboundTokenPolicy::Reject
        {
            return Err(Error::TokenNotBound {
                token_type: tokens.token_type.clone(),
            });
        }
        tokens.id_token_claims = self.validate_id_token(tokens.id_token.as_ref(), expected).await?;
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
                request = request.header("DPoP", proof);
            }
            let response = http::send(deadline.apply(request)?, inner.max_response_bytes).await?;
            let fresh_nonce = inner
                .dpop
                .as_ref()
                .and_then(|d| d.remember_nonce(url, &response.headers));
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

    /// A form POST to one of the tenant's OAuth endpoints with client authentication (a fresh
    /// client assertion each time) and telemetry.
    pub(crate) fn authenticated_post(
        &self,
        url: &Url,
        form: &[(&'static str, String)],
        extra: &[(String, String)],
    ) -> Result<reqwest::RequestBuilder, Error> {
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
        let mut request = inner
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body);
        if let Some(basic) = basic {
            request = request.header(AUTHORIZATION, basic.expose());
        }
        if let Some(t) = &inner.telemetry {
            request = request.header("Auth0-Client", t.clone());
        }
        Ok(request)
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
        let c = Client::builder("tenant.auth0.com", "abc").build().unwrap();
        assert_eq!(c.inner.token_endpoint.as_str(), "https://tenant.auth0.com/oauth/token");
    }
}
