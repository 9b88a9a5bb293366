//! The HTTP transport Swift and Kotlin supply: the app's own networking (URLSession,
//! HttpURLConnection, OkHttp...) behind the core's [`token_exchange::HttpTransport`].
//!
//! The records mirror the core's plain data one to one; [`ForeignTransport`] adapts a foreign
//! implementation to the core's trait, and nothing here decides anything the core decides
//! (timeouts, the body cap, redirects and error classification stay in the core, which also
//! checks what a foreign transport returns).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use token_exchange::{
    HttpRequest as CoreRequest, HttpResponse as CoreResponse, HttpTransport as CoreTransport,
    TransportError as CoreError, TransportFuture,
};

use crate::resource::{HttpHeader, header_names};

/// Sends the library's HTTP requests through the app's networking. The Swift package
/// implements it with `URLSession` (`URLSessionTransport`), the Kotlin library with
/// `HttpURLConnection` (`HttpUrlConnectionTransport`); implement it yourself to use another
/// client (OkHttp with your interceptors, a pinned session...).
///
/// `send` must honour the contract of the Rust trait it stands for:
///
/// - send the request exactly as given, once: no cookies, no cached answers, no added
///   credentials, and never a replay of a request that may have reached the server;
/// - never follow a redirect: return the `3xx` response (the library refuses it);
/// - give up after `request.timeout` (throw `Timeout`);
/// - read at most `request.max_response_bytes` of body (throw `BodyTooLarge` beyond it);
/// - stop when cancelled (a Swift `Task`, a Kotlin coroutine): the library cancels the call
///   when the client's call is cancelled or its timeout runs out;
/// - log no header value and no body: they carry tokens and authorization codes.
///
/// Throw a `TransportError` saying whether the request may have reached the server: the
/// caller is told, and a single-use Apple authorization code is spent if it may have. Any
/// other error counts as a lost connection after the request may have been received.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and reads the whole response, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// One HTTP request of the library, with the limits the transport must apply. Its header
/// values and body carry secrets: the description shows the method, the URL without its query,
/// the header names and the body's size.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct HttpRequest {
    /// The method, upper case (`POST`, `GET`).
    pub method: String,
    /// The absolute URL: `https://`, or `http://` for a loopback host.
    pub url: String,
    /// Header names (lower case) and values, in order; a name may repeat. The library has
    /// checked them (RFC 9110 tokens, no control characters in values).
    pub headers: Vec<HttpHeader>,
    /// The body (`None`: no body).
    pub body: Option<Vec<u8>>,
    /// How long the whole exchange may take, connecting included: what is left of the
    /// client's timeout. Use it as the platform's timeout; the library also stops waiting then.
    pub timeout: Duration,
    /// The most body bytes the library accepts: stop reading and throw `BodyTooLarge` when
    /// `Content-Length` says more or more arrives.
    pub max_response_bytes: i64,
}

/// The response the transport read, whatever its status (`3xx` included: the library refuses
/// redirects itself). The description shows the status, the header names and the body's size.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct HttpResponse {
    /// The HTTP status. A value that is not one (outside 0-65535) is reported as status 0, an
    /// unexpected response.
    pub status: i32,
    /// Header names (any case) and values, in the order received.
    pub headers: Vec<HttpHeader>,
    /// The body, at most `max_response_bytes` of it.
    pub body: Vec<u8>,
}

/// Why a transport could not deliver a response; each case says whether the request may have
/// reached the server (report `false` only when certain: the library then lets the caller
/// resend a single-use credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// The platform refused to express the request (a method, header or URL it does not
    /// accept). Nothing was sent.
    #[error("the HTTP transport refused the request before sending it")]
    InvalidRequest,
    /// No connection could be made (DNS, refused, unreachable, offline). Nothing was sent.
    #[error("could not connect")]
    Connect,
    /// TLS failed: during the handshake (nothing sent) or on an established connection.
    #[error("TLS failed")]
    Tls {
        /// `false` when the handshake failed.
        request_may_have_reached_server: bool,
    },
    /// `request.timeout` ran out.
    #[error("timed out")]
    Timeout {
        /// `false` when it ran out while connecting.
        request_may_have_reached_server: bool,
    },
    /// The connection broke while the request or the response was in flight.
    #[error("connection lost")]
    ConnectionLost {
        /// `false` only when no byte of the request was written.
        request_may_have_reached_server: bool,
    },
    /// The body is longer than `request.max_response_bytes`; reading stopped.
    #[error("the response body is too large (HTTP {status})")]
    BodyTooLarge {
        /// The response's status.
        status: i32,
        /// The response's headers (the library reads `Retry-After`).
        headers: Vec<HttpHeader>,
    },
    /// The platform cancelled the request on its own (the session was invalidated...). The
    /// server may have received it.
    #[error("cancelled")]
    Cancelled,
}

/// A foreign exception that is not a `TransportError`: the request may have been received.
impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::ConnectionLost {
            request_may_have_reached_server: true,
        }
    }
}

/// A foreign transport seen as the core's.
pub(crate) struct ForeignTransport(pub(crate) Arc<dyn HttpTransport>);

impl CoreTransport for ForeignTransport {
    fn send(&self, request: CoreRequest) -> TransportFuture<'_> {
        let request = HttpRequest::from(request);
        Box::pin(async move {
            self.0
                .send(request)
                .await
                .map(CoreResponse::from)
                .map_err(CoreError::from)
        })
    }
}

/// The longest timeout handed over: every platform's timeout types hold it (Kotlin and Swift
/// read a `Duration` as signed seconds), and the core stops waiting at the real deadline anyway.
const MAX_TIMEOUT: Duration = Duration::from_secs(u32::MAX as u64);

impl From<CoreRequest> for HttpRequest {
    fn from(r: CoreRequest) -> Self {
        HttpRequest {
            method: r.method,
            url: r.url.into(),
            headers: headers_from(r.headers),
            body: r.body,
            timeout: r.timeout.min(MAX_TIMEOUT),
            max_response_bytes: i64::try_from(r.max_response_bytes).unwrap_or(i64::MAX),
        }
    }
}

impl From<HttpResponse> for CoreResponse {
    fn from(r: HttpResponse) -> Self {
        CoreResponse {
            status: u16::try_from(r.status).unwrap_or(0),
            headers: headers_into(r.headers),
            body: r.body,
        }
    }
}

impl From<TransportError> for CoreError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::InvalidRequest => CoreError::InvalidRequest,
            TransportError::Connect => CoreError::Connect,
            TransportError::Tls {
                request_may_have_reached_server,
            } => CoreError::Tls {
                request_may_have_reached_server,
            },
            TransportError::Timeout {
                request_may_have_reached_server,
            } => CoreError::Timeout {
                request_may_have_reached_server,
            },
            TransportError::ConnectionLost {
                request_may_have_reached_server,
            } => CoreError::ConnectionLost {
                request_may_have_reached_server,
            },
            TransportError::BodyTooLarge { status, headers } => CoreError::BodyTooLarge {
                status: u16::try_from(status).unwrap_or(0),
                headers: headers_into(headers),
            },
            TransportError::Cancelled => CoreError::Cancelled,
        }
    }
}

fn headers_from(headers: Vec<(String, String)>) -> Vec<HttpHeader> {
    headers
        .into_iter()
        .map(|(name, value)| HttpHeader { name, value })
        .collect()
}

fn headers_into(headers: Vec<HttpHeader>) -> Vec<(String, String)> {
    headers.into_iter().map(|h| (h.name, h.value)).collect()
}

impl fmt::Display for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.split(['?', '#']).next().unwrap_or_default();
        write!(
            f,
            "HttpRequest(method={}, url={url}, headers=[{}], body={}, timeout={:?}, max_response_bytes={})",
            self.method,
            header_names(&self.headers),
            self.body
                .as_ref()
                .map_or("none".to_owned(), |b| format!("{} bytes", b.len())),
            self.timeout,
            self.max_response_bytes,
        )
    }
}

impl fmt::Display for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HttpResponse(status={}, headers=[{}], body={} bytes)",
            self.status,
            header_names(&self.headers),
            self.body.len()
        )
    }
}

debug_is_display!(HttpRequest, HttpResponse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_show_no_header_value_query_or_body() {
        let url = url::Url::parse("https://tenant.example/oauth/token?code=query-secret").unwrap();
        let mut core = CoreRequest::new("POST", url, Duration::from_secs(30), 1024);
        core.headers.push(("dpop".into(), "proof-secret".into()));
        core.body = Some(b"subject_token=body-secret".to_vec());
        let request = HttpRequest::from(core);
        let response = HttpResponse {
            status: 200,
            headers: vec![HttpHeader {
                name: "set-cookie".into(),
                value: "cookie-secret".into(),
            }],
            body: b"{\"access_token\":\"token-secret\"}".to_vec(),
        };
        let text = format!("{request} {request:?} {response} {response:?}");
        assert!(text.contains("dpop") && text.contains("set-cookie"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn requests_cross_as_given_with_their_limits() {
        let url = url::Url::parse("http://127.0.0.1:1234/oauth/token").unwrap();
        let mut core = CoreRequest::new("POST", url, Duration::MAX, usize::MAX);
        core.headers = vec![("a".into(), "1".into()), ("a".into(), "2".into())];
        let request = HttpRequest::from(core);
        assert_eq!(request.url, "http://127.0.0.1:1234/oauth/token");
        assert_eq!(request.headers.len(), 2);
        assert_eq!(request.headers[1].value, "2");
        assert_eq!(request.body, None);
        assert_eq!(request.timeout, MAX_TIMEOUT, "a timeout every platform can hold");
        assert_eq!(request.max_response_bytes, i64::MAX);
    }

    #[test]
    fn errors_keep_what_the_transport_said_about_the_server() {
        for reached in [false, true] {
            let lost = CoreError::from(TransportError::ConnectionLost {
                request_may_have_reached_server: reached,
            });
            assert_eq!(lost.request_may_have_reached_server(), reached);
            let timeout = CoreError::from(TransportError::Timeout {
                request_may_have_reached_server: reached,
            });
            assert_eq!(timeout.request_may_have_reached_server(), reached);
        }
        assert!(!CoreError::from(TransportError::Connect).request_may_have_reached_server());
        let unexpected = TransportError::from(uniffi::UnexpectedUniFFICallbackError::new("boom"));
        assert!(CoreError::from(unexpected).request_may_have_reached_server());
        assert_eq!(
            CoreError::from(TransportError::BodyTooLarge {
                status: 70_000,
                headers: vec![],
            }),
            CoreError::BodyTooLarge {
                status: 0,
                headers: vec![]
            }
        );
    }
}
