//! Calling the app's own API with an access token.

use std::fmt;

/// One HTTP header. Its value may be a credential (a cookie, an API key): the description
/// shows the name only.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct HttpHeader {
    /// Name (responses give it lower-cased).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A request to your API, sent by `TokenExchangeClient.send_authorized`, which adds
/// `Authorization` (and `DPoP` for a bound token). The description shows the method, the URL
/// without its query, the header names and the body's size, never header values or the body.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
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

/// Your API's response, whatever its status. The description shows the status, the header
/// names and the body's size, never header values or the body.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
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

/// The names of `headers`, for descriptions that must not show values.
pub(crate) fn header_names(headers: &[HttpHeader]) -> String {
    headers.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for HttpHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpHeader(name={}, value=<redacted>)", self.name)
    }
}

impl fmt::Display for ResourceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.split(['?', '#']).next().unwrap_or_default();
        write!(
            f,
            "ResourceRequest(method={}, url={url}, headers=[{}], body={})",
            self.method,
            header_names(&self.headers),
            self.body
                .as_ref()
                .map_or("none".to_owned(), |b| format!("{} bytes", b.len())),
        )
    }
}

impl fmt::Display for ResourceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ResourceResponse(status={}, headers=[{}], body={} bytes)",
            self.status,
            header_names(&self.headers),
            self.body.len()
        )
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

debug_is_display!(HttpHeader, ResourceRequest, ResourceResponse, AuthorizationHeaders);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_show_no_header_value_query_or_body() {
        let request = ResourceRequest {
            method: "POST".into(),
            url: "https://api.example.com/notes?key=query-secret".into(),
            headers: vec![HttpHeader {
                name: "X-Api-Key".into(),
                value: "header-secret".into(),
            }],
            body: Some(b"body-secret".to_vec()),
        };
        let response = ResourceResponse {
            status: 200,
            headers: vec![HttpHeader {
                name: "set-cookie".into(),
                value: "cookie-secret".into(),
            }],
            body: b"response-secret".to_vec(),
        };
        let text = format!("{request} {request:?} {response} {response:?} {:?}", request.headers[0]);
        for secret in [
            "query-secret",
            "header-secret",
            "body-secret",
            "cookie-secret",
            "response-secret",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
        for shown in [
            "POST",
            "https://api.example.com/notes",
            "X-Api-Key",
            "set-cookie",
            "11 bytes",
        ] {
            assert!(text.contains(shown), "{shown}: {text}");
        }
    }
}
