//! A client for the parts of Auth0's Management API (`/api/v2/`) that the token exchange flows
//! need set up: token exchange profiles, resource servers (APIs) and clients (applications).

mod clients;
mod error;
mod resource_servers;
mod token_exchange_profiles;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use clients::{ClientInfo, NewClient};
pub use error::{ApiError, ManagementError};
pub use resource_servers::{NewResourceServer, ResourceServer, ResourceServerScope};
pub use token_exchange_profiles::{
    DEFAULT_PROFILE_NAME, NewTokenExchangeProfile, TokenExchangeProfile, TokenExchangeProfilePage,
    TokenExchangeProfileType, TokenExchangeProfileUpdate,
};

use crate::client_auth::ClientAuthentication;
use crate::config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, parse_base_url};
use crate::http::{self, Deadline, RawResponse};
use crate::secret::Secret;
use crate::transport::{self, HttpRequest, HttpTransport};
use crate::{Client, Error, ResponseProblem};

const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
const USER_AGENT: &str = concat!("token-exchange/", env!("CARGO_PKG_VERSION"));

/// How the Management API client gets its access token.
#[derive(Clone)]
pub enum ManagementAuth {
    /// A management token you already have.
    Token(Secret),
    /// The client credentials grant of a machine-to-machine application authorised for the
    /// Management API; the token is cached until shortly before it expires.
    ClientCredentials {
        /// The application's client id.
        client_id: String,
        /// Its secret.
        client_secret: Secret,
    },
}

impl std::fmt::Debug for ManagementAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManagementAuth::Token(_) => f.write_str("Token(<redacted>)"),
            ManagementAuth::ClientCredentials { client_id, .. } => {
                write!(
                    f,
                    "ClientCredentials {{ client_id: {client_id:?}, client_secret: <redacted> }}"
                )
            }
        }
    }
}

/// A Management API client for one tenant. Cheap to clone; share it.
#[derive(Clone, Debug)]
pub struct ManagementClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Arc<dyn HttpTransport>,
    timeout: Duration,
    api_base: Url,
    auth: Auth,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementClient")
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}

enum Auth {
    Token(Secret),
    ClientCredentials {
        client: Client,
        audience: String,
        cached: tokio::sync::Mutex<Option<(Secret, SystemTime)>>,
    },
}

impl ManagementClient {
    /// A client for the tenant at `domain` (a domain or a full base URL, as for
    /// [`Client::builder`]). The API audience is `https://{domain}/api/v2/`.
    pub fn new(domain: &str, auth: ManagementAuth) -> Result<Self, ManagementError> {
        Self::with_timeouts(domain, auth, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT)
    }

    /// [`ManagementClient::new`] with explicit timeouts: `connect_timeout` for the built-in
    /// transport, `timeout` for each whole request.
    pub fn with_timeouts(
        domain: &str,
        auth: ManagementAuth,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self, ManagementError> {
        let base = parse_base_url(domain)?;
        Self::build(
            base,
            domain,
            auth,
            transport::default_transport(connect_timeout).map_err(Error::from)?,
            timeout,
        )
    }

    /// [`ManagementClient::new`] sending through `transport` (see
    /// [`crate::ClientBuilder::transport`]), with `timeout` for each whole request. The
    /// client credentials grant, if any, goes through it too.
    pub fn with_transport(
        domain: &str,
        auth: ManagementAuth,
        transport: Arc<dyn HttpTransport>,
        timeout: Duration,
    ) -> Result<Self, ManagementError> {
        let base = parse_base_url(domain)?;
        Self::build(base, domain, auth, transport, timeout)
    }

    fn build(
        base: Url,
        domain: &str,
        auth: ManagementAuth,
        transport: Arc<dyn HttpTransport>,
        timeout: Duration,
    ) -> Result<Self, ManagementError> {
        if timeout.is_zero() {
            return Err(ManagementError::invalid("timeout", "must be greater than zero"));
        }
        let api_base = base
            .join("api/v2/")
            .expect("a relative path joins onto an http(s) base");
        let auth = match auth {
            ManagementAuth::Token(token) => {
                crate::validate::token("token", token.expose())?;
                Auth::Token(token)
            }
            ManagementAuth::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let client = Client::builder(domain, client_id)
                    .client_authentication(ClientAuthentication::ClientSecretPost(client_secret))
                    .transport(transport.clone())
                    .timeout(timeout)
                    .build()?;
                Auth::ClientCredentials {
                    client,
                    audience: api_base.as_str().to_owned(),
                    cached: tokio::sync::Mutex::new(None),
                }
            }
        };
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                transport,
                timeout,
                api_base,
                auth,
            }),
        })
    }

    /// The Management API base URL (`…/api/v2/`).
    pub fn api_base(&self) -> &Url {
        &self.inner.api_base
    }

    async fn token(&self) -> Result<Secret, ManagementError> {
        match &self.inner.auth {
            Auth::Token(t) => Ok(t.clone()),
            Auth::ClientCredentials {
                client,
                audience,
                cached,
            } => {
                let mut cached = cached.lock().await;
                if let Some((token, expires)) = cached.as_ref()
                    && *expires > SystemTime::now() + Duration::from_secs(60)
                {
                    return Ok(token.clone());
                }
                let tokens = client.client_credentials(audience, None).await.map_err(|e| match e {
                    e @ (Error::Network { .. } | Error::Timeout { .. } | Error::Cancelled) => ManagementError::from(e),
                    other => ManagementError::Authentication(Box::new(other)),
                })?;
                let expires = tokens
                    .expires_at
                    .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(300));
                *cached = Some((tokens.access_token.clone(), expires));
                Ok(tokens.access_token.clone())
            }
        }
    }

    /// Sends `method path` with an optional JSON body and returns the successful response.
    async fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl Serialize>,
    ) -> Result<RawResponse, ManagementError> {
        let mut url = self
            .inner
            .api_base
            .join(path)
            .map_err(|_| ManagementError::invalid("id", "is not usable in a URL"))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let token = self.token().await?;
        let mut request = HttpRequest::new(method, url, self.inner.timeout, MAX_RESPONSE_BYTES)
            .header("user-agent", USER_AGENT)
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {}", token.expose()));
        if let Some(body) = body {
            let json = serde_json::to_vec(body).expect("request bodies are plain data");
            request = request.header("content-type", "application/json").body(json);
        }
        let deadline = Deadline::after(self.inner.timeout);
        let response = http::send(&*self.inner.transport, request, deadline).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(api_error(response))
        }
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl Serialize>,
    ) -> Result<T, ManagementError> {
        let response = self.call(method, path, query, body).await?;
        serde_json::from_slice(&response.body).map_err(|e| {
            let problem = if e.is_data() {
                ResponseProblem::InvalidField("body")
            } else {
                ResponseProblem::NotJson
            };
            response.unexpected(problem).into()
        })
    }
}

/// Auth0's Management error body: `{"statusCode","error","message","errorCode"}`.
fn api_error(response: RawResponse) -> ManagementError {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let Some(obj) = parsed.as_ref().and_then(|v| v.as_object()) else {
        return response.into_error().into();
    };
    let text = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    match text("message") {
        Some(message) => ManagementError::Api(Box::new(ApiError {
            status: response.status,
            error: text("error").unwrap_or_default(),
            message,
            error_code: text("errorCode"),
            retry_after: response.retry_after(),
        })),
        None => response.into_error().into(),
    }
}

/// Path segment escaping for ids (`tep_…`, client ids).
fn segment(id: &str, field: &'static str) -> Result<String, ManagementError> {
    if id.is_empty() || id.trim() != id || id.chars().any(char::is_control) {
        return Err(ManagementError::invalid(field, "is empty or has whitespace"));
    }
    Ok(url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20"))
}

impl Client {
    /// The client credentials grant: a token for `audience` (a machine-to-machine
    /// application, authenticated with [`ClientAuthentication`]).
    pub async fn client_credentials(&self, audience: &str, scope: Option<&str>) -> Result<crate::TokenSet, Error> {
        crate::validate::identifier("audience", audience)?;
        let mut form = vec![
            ("grant_type", Cow::Borrowed("client_credentials")),
            ("audience", Cow::Borrowed(audience)),
        ];
        if let Some(scope) = scope {
            for s in scope.split(' ').filter(|s| !s.is_empty()) {
                crate::validate::scope_token(s)?;
            }
            form.push(("scope", Cow::Borrowed(scope)));
        }
        self.token_request(form, &[], None).await
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::http::MAX_RETRY_AFTER;
    use crate::server_input::{config, response};

    #[test]
    fn without_the_builtin_transport_a_transport_must_be_given() {
        let auth = || ManagementAuth::Token(Secret::new("management-token"));
        let built = ManagementClient::new("tenant.auth0.com", auth());
        if cfg!(feature = "reqwest-transport") {
            assert!(built.is_ok());
        } else {
            let err = built.unwrap_err();
            assert!(matches!(err, ManagementError::TransportUnavailable { .. }), "{err:?}");
        }
        // The domain is checked first, whatever the transport.
        let err = ManagementClient::new("http://tenant.auth0.com", auth()).unwrap_err();
        assert!(
            matches!(err, ManagementError::InvalidInput { field: "domain", .. }),
            "{err:?}"
        );
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn prop_management_errors_never_panic(response in response()) {
            let (status, body) = (response.status, response.body.clone());
            let error = api_error(response);
            let _ = (error.to_string(), format!("{error:?}"), error.is_retryable());
            prop_assert!(error.retry_after().is_none_or(|d| d <= MAX_RETRY_AFTER));
            if let Some(api) = error.api() {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                prop_assert_eq!(Some(api.message.as_str()), json["message"].as_str());
                prop_assert_eq!(api.status, status);
            }
        }
    }
}
