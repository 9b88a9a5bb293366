//! The built-in transport (cargo feature `reqwest-transport`, on by default): reqwest on hyper,
//! rustls on our ring provider ([`tls`]) with the platform's trust store ([`trust`], loaded at
//! the first HTTPS handshake). No redirects, no retries, no decompression, the body capped while
//! it streams in.

mod tls;
mod trust;

use std::sync::Arc;
use std::time::Duration;

use ::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use ::reqwest::{Method, Request};

use super::{HttpRequest, HttpResponse, HttpTransport, TransportError, TransportFuture, TransportUnavailable};

/// The transport of Rust and C programs: one reqwest client (one connection pool), shared by
/// every client given it. [`crate::ClientBuilder::build`] makes one when no transport is given;
/// make your own to share a pool between clients or to wrap it in a transport of yours.
pub struct ReqwestTransport {
    client: ::reqwest::Client,
}

impl std::fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// A transport that gives each connection `connect_timeout` to be established (TCP and
    /// TLS); each request's total time is the client's ([`HttpRequest::timeout`]). Fails if
    /// the HTTP stack cannot start (it becomes [`crate::Error::TransportUnavailable`] with `?`).
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportUnavailable> {
        let provider = Arc::new(tls::provider());
        // The trust store is loaded at the first certificate to verify, on the I/O path, not
        // here: building a client stays cheap, and plain-HTTP loopback never pays for it.
        let verifier = Arc::new(trust::LazyPlatformVerifier::new(provider.clone()));
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let client = ::reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(connect_timeout)
            // A redirected token request could carry the subject token to another host.
            .redirect(::reqwest::redirect::Policy::none())
            // A replayed request replays its DPoP proof (rejected as used) and may spend a
            // single-use Apple code. (hyper still re-sends a request that was never written
            // on a pooled connection found closed: no byte reached the server, so that is
            // safe.)
            .retry(::reqwest::retry::never())
            .build()
            .map_err(|_| TransportUnavailable {
                problem: "the built-in reqwest transport could not be initialised",
            })?;
        Ok(ReqwestTransport { client })
    }

    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let HttpRequest {
            method,
            url,
            headers,
            body,
            timeout,
            max_response_bytes: max,
        } = request;
        let method = Method::from_bytes(method.as_bytes()).map_err(|_| TransportError::InvalidRequest)?;
        let mut outgoing = Request::new(method, url);
        let map = outgoing.headers_mut();
        map.reserve(headers.len());
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| TransportError::InvalidRequest)?;
            // Takes over the string's buffer: no copy.
            let value = HeaderValue::try_from(value).map_err(|_| TransportError::InvalidRequest)?;
            map.append(name, value);
        }
        *outgoing.body_mut() = body.map(::reqwest::Body::from);
        *outgoing.timeout_mut() = Some(timeout);

        let mut response = self.client.execute(outgoing).await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let too_large = |headers: &HeaderMap| TransportError::BodyTooLarge {
            status,
            headers: header_pairs(headers),
        };
        let announced = response.content_length();
        if announced.is_some_and(|len| len > max as u64) {
            return Err(too_large(response.headers()));
        }
        let mut body = Vec::with_capacity(announced.unwrap_or(0) as usize);
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > max {
                return Err(too_large(response.headers()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers: header_pairs(response.headers()),
            body,
        })
    }
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.execute(request))
    }
}

/// The headers as name/value strings; values that are not UTF-8 are left out.
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let value = std::str::from_utf8(value.as_bytes()).ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect()
}

/// Classifies a reqwest failure. Nothing of the error is kept: its text may contain the URL,
/// whose query may carry parameters the app considers private.
fn transport_error(e: ::reqwest::Error) -> TransportError {
    if e.is_builder() {
        return TransportError::InvalidRequest;
    }
    // Connect errors (DNS, refused, TLS handshake) happen before any request byte is sent.
    let reached = !e.is_connect();
    if e.is_timeout() {
        TransportError::Timeout {
            request_may_have_reached_server: reached,
        }
    } else if is_tls(&e) {
        TransportError::Tls {
            request_may_have_reached_server: reached,
        }
    } else if e.is_connect() {
        TransportError::Connect
    } else {
        TransportError::ConnectionLost {
            request_may_have_reached_server: reached,
        }
    }
}

/// Whether a transport error is a TLS failure. rustls reports through tokio-rustls as an
/// `io::Error` wrapping the `rustls::Error`, and `io::Error::source()` skips the error it wraps
/// (it returns that error's own source), so each `io::Error` is opened with `get_ref()`.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref)
            && is_tls(inner)
        {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::server_input::config;

    proptest! {
        #![proptest_config(config())]

        /// What the client's header checks accept, reqwest accepts: a request never fails in
        /// the transport for a header the client let through.
        #[test]
        fn prop_checked_headers_convert(name in "[!-~]{1,12}|\\PC{1,8}", value in "\\PC{0,40}|[\t -~]{0,40}") {
            if crate::validate::is_header_name(&name) {
                prop_assert!(HeaderName::from_bytes(name.as_bytes()).is_ok(), "{name:?}");
            } else {
                prop_assert!(HeaderName::from_bytes(name.as_bytes()).is_err(), "{name:?}");
            }
            prop_assert_eq!(
                crate::validate::is_header_value(&value),
                HeaderValue::try_from(value.clone()).is_ok(),
                "{:?}", value
            );
        }
    }

    #[test]
    fn non_utf8_header_values_are_left_out() {
        let mut headers = HeaderMap::new();
        headers.append("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        headers.append("www-authenticate", HeaderValue::from_static("DPoP error=\"a\""));
        headers.append("www-authenticate", HeaderValue::from_static("Bearer"));
        assert_eq!(
            header_pairs(&headers),
            [
                ("www-authenticate".to_owned(), "DPoP error=\"a\"".to_owned()),
                ("www-authenticate".to_owned(), "Bearer".to_owned())
            ]
        );
    }
}
