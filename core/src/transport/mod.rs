//! The boundary between the protocol code and the wire: one async trait, [`HttpTransport`], that
//! sends one HTTP request and reads its response.
//!
//! Everything above it is shared by every transport: DPoP proofs and the single nonce retry,
//! client authentication, header validation, the client's timeout, error classification, token
//! parsing and ID token validation. A transport only moves bytes, with the guarantees its
//! contract lists on [`HttpTransport::send`]. The built-in one, `ReqwestTransport` (cargo
//! feature `reqwest-transport`, on by default), serves Rust and C programs; phones plug in their
//! platform's networking (URLSession, HttpURLConnection) through the bindings, and any program
//! can plug in its own with [`crate::ClientBuilder::transport`].
//!
//! The types are plain data (strings, byte vectors, a `u16` status) so that a transport written
//! in another language adapts to them without conversion logic of its own.

#[cfg(feature = "reqwest-transport")]
mod reqwest;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use url::Url;

#[cfg(feature = "reqwest-transport")]
pub use self::reqwest::ReqwestTransport;
use crate::secret::names_only;

/// What [`HttpTransport::send`] returns: a boxed future, so that the trait is object-safe
/// (`Arc<dyn HttpTransport>`) on stable Rust without extra dependencies.
pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends HTTP requests for a [`crate::Client`] or a [`crate::management::ManagementClient`].
///
/// Implement it to route the library's traffic through your own HTTP stack (a proxy-aware
/// client, certificate pinning, a platform API), and pass it to
/// [`crate::ClientBuilder::transport`]. Share one instance between clients: it is used as
/// `Arc<dyn HttpTransport>`, from any task.
///
/// ```
/// use token_exchange::{HttpRequest, HttpTransport, TransportError, TransportFuture};
///
/// /// A transport that counts requests and hands them to another one.
/// struct Counting<T> {
///     inner: T,
///     sent: std::sync::atomic::AtomicUsize,
/// }
///
/// impl<T: HttpTransport> HttpTransport for Counting<T> {
///     fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
///         self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         self.inner.send(request)
///     }
/// }
/// ```
pub trait HttpTransport: Send + Sync {
    /// Sends `request` once and reads the whole response, or fails with a [`TransportError`]
    /// that says whether the request may have reached the server. The contract:
    ///
    /// - **Send exactly what is given**, once: the method, the URL (`http://` only ever for
    ///   loopback hosts; the client checks), the headers in order and the body. Add nothing
    ///   that changes the request's meaning: no cookies, no cached answers, no credentials.
    /// - **Never replay** a request that may have reached the server (an Apple authorization
    ///   code is single-use, a DPoP proof too). Resending over a fresh connection is allowed
    ///   only when no byte of the request was written.
    /// - **Never follow redirects**: return a `3xx` as the response. The client refuses it.
    /// - **Give up after [`HttpRequest::timeout`]**, connecting included, with
    ///   [`TransportError::Timeout`]. The client also stops waiting at that point whatever the
    ///   transport does, but only the transport can say whether the request had been sent.
    /// - **Read at most [`HttpRequest::max_response_bytes`]** of body. When `Content-Length`
    ///   says more, or more arrives, stop reading and fail with
    ///   [`TransportError::BodyTooLarge`]. (The client checks the length of what it gets too.)
    /// - **Stop when the future is dropped**: that is how the client cancels a call.
    /// - **Log no header value or body**: they carry tokens, authorization codes and personal
    ///   data.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// One HTTP request, with the limits the transport must apply to it. Built by the client;
/// header values and the body carry secrets, so `Debug` shows only the method, the URL without
/// its query, the header names and the body's size.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method, upper case (`GET`, `POST`...).
    pub method: String,
    /// The absolute `https://` URL (`http://` only for loopback hosts).
    pub url: Url,
    /// Header names (lower case) and values, in order; a name may repeat. Every name is an
    /// RFC 9110 token and every value is free of control characters other than tab: the
    /// client checks both before calling the transport.
    pub headers: Vec<(String, String)>,
    /// The body, if any (`None` is no body; `Some` of an empty vector is an empty one).
    pub body: Option<Vec<u8>>,
    /// How long the whole exchange may take from now, connecting included: what is left of
    /// the client's timeout after preparing the request (signing its DPoP proof, for one).
    /// `Duration::MAX` when there is no practical limit.
    pub timeout: Duration,
    /// The most body bytes the client accepts; a longer body is
    /// [`TransportError::BodyTooLarge`].
    pub max_response_bytes: usize,
}

impl HttpRequest {
    /// A request without headers or body, with its limits. The client builds its own
    /// requests; this is for testing a transport.
    pub fn new(method: impl Into<String>, url: Url, timeout: Duration, max_response_bytes: usize) -> Self {
        HttpRequest {
            method: method.into(),
            url,
            headers: Vec::new(),
            body: None,
            timeout,
            max_response_bytes,
        }
    }

    /// Adds a header (the name in lower case). The caller has checked it.
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        url.set_query(None);
        url.set_fragment(None);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &url.as_str())
            .field("headers", &names_only(&self.headers))
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// The response a transport read, whatever its status (`3xx`, `4xx` and `5xx` included: the
/// client interprets them). `Debug` shows the status, the header names and the body's size.
#[derive(Clone, Default)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Header names (any case) and values, in the order received; a name may repeat. Values
    /// that are not UTF-8 are left out.
    pub headers: Vec<(String, String)>,
    /// The body, at most the request's `max_response_bytes`.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &names_only(&self.headers))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Why a transport could not deliver a response. The client turns each into its
/// [`crate::Error`] (in one place); `request_may_have_reached_server` decides whether a
/// single-use credential must be considered spent, so report `false` only when certain.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The transport cannot express this request (a method, header or URL its HTTP stack
    /// refuses). Nothing was sent.
    #[error("the HTTP transport refused the request before sending it")]
    InvalidRequest,
    /// No connection could be made (DNS, refused, unreachable). Nothing was sent.
    #[error("could not connect")]
    Connect,
    /// TLS failed: the handshake (certificate not trusted, protocol mismatch), which is before
    /// anything is sent, or the TLS layer of an established connection.
    #[error("TLS failed")]
    Tls {
        /// `false` when the handshake failed (nothing was sent).
        request_may_have_reached_server: bool,
    },
    /// [`HttpRequest::timeout`] ran out.
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
    /// The response body is longer than [`HttpRequest::max_response_bytes`]; the transport
    /// stopped reading it. The server did receive the request.
    #[error("the response body is too large (HTTP {status})")]
    BodyTooLarge {
        /// The response's status.
        status: u16,
        /// The response's headers (as in [`HttpResponse::headers`]): the client reads
        /// `Retry-After` from them.
        headers: Vec<(String, String)>,
    },
    /// The platform cancelled the request (the transport was shut down, the app's own
    /// cancellation). The server may have received it.
    #[error("cancelled")]
    Cancelled,
}

impl TransportError {
    /// Whether the server may have received (and acted on) the request.
    pub fn request_may_have_reached_server(&self) -> bool {
        match self {
            TransportError::InvalidRequest | TransportError::Connect => false,
            TransportError::Tls {
                request_may_have_reached_server,
            }
            | TransportError::Timeout {
                request_may_have_reached_server,
            }
            | TransportError::ConnectionLost {
                request_may_have_reached_server,
            } => *request_may_have_reached_server,
            TransportError::BodyTooLarge { .. } | TransportError::Cancelled => true,
        }
    }
}

/// Headers shown by name only: a response's may carry cookies or tokens.
impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::InvalidRequest => f.write_str("InvalidRequest"),
            TransportError::Connect => f.write_str("Connect"),
            TransportError::Tls {
                request_may_have_reached_server: reached,
            } => f
                .debug_struct("Tls")
                .field("request_may_have_reached_server", reached)
                .finish(),
            TransportError::Timeout {
                request_may_have_reached_server: reached,
            } => f
                .debug_struct("Timeout")
                .field("request_may_have_reached_server", reached)
                .finish(),
            TransportError::ConnectionLost {
                request_may_have_reached_server: reached,
            } => f
                .debug_struct("ConnectionLost")
                .field("request_may_have_reached_server", reached)
                .finish(),
            TransportError::BodyTooLarge { status, headers } => f
                .debug_struct("BodyTooLarge")
                .field("status", status)
                .field("headers", &names_only(headers))
                .finish(),
            TransportError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

/// There is no transport to use: none was given and the built-in one is not compiled in, or
/// it could not start. The client reports it as `Error::TransportUnavailable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no HTTP transport: {problem}")]
pub struct TransportUnavailable {
    pub(crate) problem: &'static str,
}

/// The transport a client uses when none is given: `ReqwestTransport` when compiled in.
pub(crate) fn default_transport(
    connect_timeout: Duration,
) -> Result<std::sync::Arc<dyn HttpTransport>, TransportUnavailable> {
    #[cfg(feature = "reqwest-transport")]
    {
        Ok(std::sync::Arc::new(ReqwestTransport::new(connect_timeout)?))
    }
    #[cfg(not(feature = "reqwest-transport"))]
    {
        let _ = connect_timeout;
        Err(TransportUnavailable {
            problem: "this build has no built-in transport (cargo feature `reqwest-transport`); \
                      pass one with `ClientBuilder::transport`",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_header_value_query_or_body() {
        let url = Url::parse("https://api.example.com/items?email=j%40example.com").unwrap();
        let request = HttpRequest::new("POST", url, Duration::from_secs(30), 1024)
            .header("authorization", "DPoP secret-access-token")
            .body(b"subject_token=secret-code".to_vec());
        let text = format!("{request:?}");
        assert!(
            text.contains("authorization") && text.contains("api.example.com/items"),
            "{text}"
        );
        assert!(!text.contains("secret") && !text.contains("email"), "{text}");

        let response = HttpResponse {
            status: 200,
            headers: vec![("set-cookie".into(), "session=secret-cookie".into())],
            body: b"{\"access_token\":\"secret\"}".to_vec(),
        };
        let error = TransportError::BodyTooLarge {
            status: 200,
            headers: response.headers.clone(),
        };
        for text in [format!("{response:?}"), format!("{error:?}"), error.to_string()] {
            assert!(!text.contains("secret"), "{text}");
        }
    }

    #[test]
    fn only_connection_and_refused_requests_never_reached_the_server() {
        assert!(!TransportError::Connect.request_may_have_reached_server());
        assert!(!TransportError::InvalidRequest.request_may_have_reached_server());
        assert!(
            !TransportError::Tls {
                request_may_have_reached_server: false
            }
            .request_may_have_reached_server()
        );
        assert!(
            TransportError::ConnectionLost {
                request_may_have_reached_server: true
            }
            .request_may_have_reached_server()
        );
        assert!(TransportError::Cancelled.request_may_have_reached_server());
    }

    fn assert_object_safe_and_shareable(_: &std::sync::Arc<dyn HttpTransport>) {}

    #[test]
    fn transports_are_shared_as_trait_objects() {
        struct Refusing;
        impl HttpTransport for Refusing {
            fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
                Box::pin(async { Err(TransportError::InvalidRequest) })
            }
        }
        let transport: std::sync::Arc<dyn HttpTransport> = std::sync::Arc::new(Refusing);
        assert_object_safe_and_shareable(&transport);
    }
}
