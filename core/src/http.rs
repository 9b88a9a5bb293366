//! The HTTP transport: one connection pool, no redirects, no silent retries, capped bodies.
//! Transport failures become [`Error`] here and only here.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use rustls_platform_verifier::BuilderVerifierExt as _;

use crate::error::{Error, NetworkErrorKind, OAuthError, ResponseProblem};

/// A response read in full (up to the cap).
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses a JSON object body (used for success responses).
    pub fn json_object(&self) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        match serde_json::from_slice::<serde_json::Value>(&self.body) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.unexpected(ResponseProblem::NotJson)),
            Err(_) => Err(self.unexpected(self.not_json_problem())),
        }
    }

    /// Turns a non-success response into the most specific error: an OAuth error when the body
    /// has one (either Auth0 shape), otherwise an unexpected response.
    pub fn into_error(self) -> Error {
        if (300..400).contains(&self.status) {
            return self.unexpected(ResponseProblem::Redirect);
        }
        match serde_json::from_slice::<serde_json::Value>(&self.body) {
            Ok(v) => match OAuthError::from_body(self.status, &v, self.retry_after(), self.dpop_nonce()) {
                Some(e) => e.into(),
                None => self.unexpected(ResponseProblem::ErrorStatus),
            },
            Err(_) if self.body.iter().all(u8::is_ascii_whitespace) => self.unexpected(ResponseProblem::ErrorStatus),
            Err(_) => self.unexpected(self.not_json_problem()),
        }
    }

    pub fn unexpected(&self, problem: ResponseProblem) -> Error {
        Error::UnexpectedResponse {
            status: self.status,
            problem,
            retry_after: self.retry_after(),
        }
    }

    fn not_json_problem(&self) -> ResponseProblem {
        let html_type = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        let trimmed = self.body.trim_ascii_start();
        if html_type || trimmed.first() == Some(&b'<') {
            ResponseProblem::Html
        } else {
            ResponseProblem::NotJson
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.headers.get(RETRY_AFTER)?.to_str().ok()?, SystemTime::now())
    }

    pub fn dpop_nonce(&self) -> Option<String> {
        Some(self.headers.get(crate::dpop::NONCE_HEADER)?.to_str().ok()?.to_owned())
    }
}

/// Builds the shared client: rustls on our ring provider ([`crate::tls`]) with the
/// platform's trust store, no redirects, no retries, no automatic decompression.
pub(crate) fn build_client(
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: &str,
) -> Result<reqwest::Client, Error> {
    let provider = Arc::new(crate::tls::provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    // The platform verifier fails to build where the OS has no trust store at all (a bare
    // container). Plain-HTTP loopback use (tests, the emulator) must still work there, so fall
    // back to an empty root store: every HTTPS server is then refused as untrusted, which
    // surfaces as a TLS network error on the request rather than a failure to build a client.
    let tls = match builder.clone().with_platform_verifier() {
        Ok(b) => b.with_no_client_auth(),
        Err(_) => builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(user_agent)
        // A redirected token request could carry the subject token to another host.
        .redirect(reqwest::redirect::Policy::none())
        // A replayed request replays its DPoP proof (rejected as used) and may spend a
        // single-use Apple code. (hyper still re-sends a request that was never written on a
        // pooled connection found closed: no byte reached the server, so that is safe.)
        .retry(reqwest::retry::never())
        .build()
        .map_err(|_| Error::invalid("tls", "the HTTP client could not be initialised"))
}

/// Sends a request and reads the whole body, up to `max_bytes`.
pub(crate) async fn send(request: reqwest::RequestBuilder, max_bytes: usize) -> Result<RawResponse, Error> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let too_large = |headers: HeaderMap| Error::UnexpectedResponse {
        status,
        problem: ResponseProblem::TooLarge { limit: max_bytes },
        retry_after: RawResponse {
            status,
            headers,
            body: Vec::new(),
        }
        .retry_after(),
    };
    if response.content_length().is_some_and(|len| len > max_bytes as u64) {
        return Err(too_large(headers));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large(headers));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawResponse { status, headers, body })
}

/// The one conversion of transport errors. The URL is dropped from the error: for resource
/// requests it may carry query parameters the app considers private.
fn transport_error(e: reqwest::Error) -> Error {
    let e = e.without_url();
    // Connect errors (DNS, refused, TLS) happen before any request byte is sent.
    let reached = !e.is_connect();
    if e.is_timeout() {
        return Error::Timeout {
            request_may_have_reached_server: reached,
        };
    }
    let kind = if is_tls(&e) {
        NetworkErrorKind::Tls
    } else if e.is_connect() {
        NetworkErrorKind::Connect
    } else {
        NetworkErrorKind::ConnectionLost
    };
    Error::Network {
        kind,
        request_may_have_reached_server: reached,
    }
}

fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        source = err.source();
    }
    false
}

/// `Retry-After`: delay-seconds or an IMF-fixdate (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_imf_fixdate(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let hms: Vec<u64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, sec] = hms[..] else { return None };
    crate::time::from_civil(year, month, day, h, m, sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + Duration::from_secs(60)),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", now), None);
    }

    fn response(status: u16, content_type: &str, body: &str) -> RawResponse {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::CONTENT_TYPE, content_type.parse().unwrap());
        RawResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_classification() {
        let e = response(
            403,
            "application/json",
            r#"{"error":"invalid_grant","error_description":"x"}"#,
        )
        .into_error();
        assert!(e.oauth().unwrap().is_invalid_grant());
        let e = response(502, "text/html", "<html>bad gateway</html>").into_error();
        assert!(matches!(
            e,
            Error::UnexpectedResponse {
                status: 502,
                problem: ResponseProblem::Html,
                ..
            }
        ));
        let e = response(500, "text/plain", "oops").into_error();
        assert!(matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::NotJson,
                ..
            }
        ));
        let e = response(500, "application/json", r#"{"message":"x"}"#).into_error();
        assert!(matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::ErrorStatus,
                ..
            }
        ));
        let e = response(302, "text/html", "").into_error();
        assert!(matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::Redirect,
                ..
            }
        ));
    }
}
