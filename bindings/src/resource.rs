//! Calling the app's own API with an access token.

use std::fmt;

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Name (responses give it lower-cased).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A request to your API, sent by `TokenExchangeClient.send_authorized`, which adds
/// `Authorization` (and `DPoP` for a bound token).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResourceRequest {
    /// Upper-case method (`GET`, `POST`...).
    pub method: String,
    /// Absolute `https://` URL (`http://` for loopback hosts only), without `user:password@`.
    pub url: String,
    /// Extra headers. `Authorization` and `DPoP` are refused (`InvalidInput`, field `headers`):
    /// the library sets them.
    #[uniffi(default)]
    pub headers: Vec<HttpHeader>,
    /// Body, if any.
    #[uniffi(default = None)]
    pub body: Option<Vec<u8>>,
}

/// Your API's response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResourceResponse {
    /// HTTP status.
    pub status: i32,
    /// Headers, names lower-cased.
    pub headers: Vec<HttpHeader>,
    /// Body.
    pub body: Vec<u8>,
}

#[uniffi::export]
impl ResourceResponse {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: String) -> Option<String> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.clone())
    }

    /// The body as UTF-8 text, if it is valid UTF-8.
    pub fn body_text(&self) -> Option<String> {
        String::from_utf8(self.body.clone()).ok()
    }
}

/// The headers that present an access token on one request of your own HTTP stack. Secrets:
/// the description is redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct AuthorizationHeaders {
    /// Value of `Authorization`: `DPoP <token>` or `Bearer <token>`.
    pub authorization: String,
    /// Value of `DPoP` (bound tokens only): a proof for exactly this method and URL, valid
    /// once.
    pub dpop: Option<String>,
}

impl From<token_exchange::AuthorizationHeaders> for AuthorizationHeaders {
    fn from(h: token_exchange::AuthorizationHeaders) -> Self {
        AuthorizationHeaders {
            authorization: h.authorization.expose().to_owned(),
            dpop: h.dpop.clone(),
        }
    }
}

impl ResourceRequest {
    pub(crate) fn to_core(&self) -> token_exchange::ResourceRequest {
        token_exchange::ResourceRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
            body: self.body.clone(),
        }
    }
}

impl From<token_exchange::ResourceResponse> for ResourceResponse {
    fn from(r: token_exchange::ResourceResponse) -> Self {
        ResourceResponse {
            status: i32::from(r.status),
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        }
    }
}

impl fmt::Display for AuthorizationHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.authorization.split(' ').next().unwrap_or("");
        write!(
            f,
            "AuthorizationHeaders(authorization={scheme} <redacted>, dpop={})",
            if self.dpop.is_some() { "<proof>" } else { "none" }
        )
    }
}

impl fmt::Debug for AuthorizationHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
