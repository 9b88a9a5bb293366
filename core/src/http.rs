//! The HTTP transport: one connection pool, no redirects, no silent retries, capped bodies.
//! Transport failures become [`Error`] here and only here.

use std::future::Future;
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

/// For property tests' failure reports only: a response may hold tokens, so no `Debug` ships.
#[cfg(test)]
impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
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

/// When one attempt of a request must be over. The client's timeout covers signing the DPoP
/// proof (a platform signer may wait on a biometric prompt) and the HTTP exchange together, so
/// a call never takes much longer than the configured timeout, whatever the signer does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<tokio::time::Instant>);

impl Deadline {
    /// `timeout` from now (no deadline when that is beyond what the clock can represent).
    pub fn after(timeout: Duration) -> Self {
        Deadline(tokio::time::Instant::now().checked_add(timeout))
    }

    /// Runs `work` (signing a proof) until the deadline. Past it the attempt fails with
    /// [`Error::Timeout`] and nothing was sent. A signer running on the blocking pool is not
    /// stopped (a thread cannot be): it finishes on its own and its signature is dropped.
    pub async fn bound<T>(self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        let timed_out = Error::Timeout {
            request_may_have_reached_server: false,
        };
        match self.0 {
            None => work.await,
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or(Err(timed_out)),
        }
    }

    /// Gives `request` what is left before the deadline as its timeout.
    pub fn apply(self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, Error> {
        let Some(at) = self.0 else { return Ok(request) };
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout {
                request_may_have_reached_server: false,
            });
        }
        Ok(request.timeout(left))
    }
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
    if e.is_builder() {
        // The request could not be built (the values it is built from are validated first, so
        // this is a last resort): nothing was sent.
        return Error::invalid("request", "could not be built (an invalid header value?)");
    }
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

/// The longest `Retry-After` reported. Larger values (a misconfigured or hostile server) are
/// clamped to it, so that callers can add the delay to an `Instant` or sleep for it without
/// overflowing.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date in any of its three forms
/// (§5.6.7: IMF-fixdate, obsolete RFC 850 and asctime). Impossible dates (30 February, a wrong
/// weekday) do not parse. The delay is rounded up to whole seconds and clamped to
/// [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: any length is a (possibly absurd) number of seconds.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let wait = at.duration_since(now).unwrap_or(Duration::ZERO);
        let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Duration::from_secs(whole)
    };
    Some(delay.min(MAX_RETRY_AFTER))
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

    #[test]
    fn retry_after_accepts_the_three_http_date_forms_of_rfc_9110() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
            "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850 format
            "Sun Nov  6 08:49:37 1994",       // ANSI C's asctime() format
        ] {
            assert_eq!(parse_retry_after(form, now), Some(Duration::from_secs(7)), "{form}");
        }
    }

    #[test]
    fn retry_after_refuses_impossible_dates() {
        let now = SystemTime::UNIX_EPOCH;
        for impossible in [
            "Thu, 30 Feb 2023 08:49:37 GMT", // no 30 February
            "Mon, 06 Nov 1994 08:49:37 GMT", // 6 November 1994 was a Sunday
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 300000000000 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(impossible, now), None, "{impossible}");
        }
    }

    #[test]
    fn absurd_retry_after_is_clamped_and_dates_round_up() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(784_111_769_500);
        assert_eq!(parse_retry_after("18446744073709551615", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        // 7.5 s away: waiting 7 s would be too early.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(8))
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
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

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::server_input::{config, response, retry_after};

        /// The latest time an HTTP-date can name (31 December 9999).
        const LAST_DATE: u64 = 253_402_300_799;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn prop_retry_after_never_panics_and_is_clamped(value in retry_after(), now in 0..=LAST_DATE) {
                let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
                if let Some(delay) = parse_retry_after(&value, now) {
                    prop_assert!(delay <= MAX_RETRY_AFTER, "{value:?} gave {delay:?}");
                    prop_assert_eq!(delay.subsec_nanos(), 0);
                }
            }

            #[test]
            fn prop_retry_after_reads_back_every_date(at in 0..=LAST_DATE, now in 0..=LAST_DATE) {
                let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(at));
                let expected = Duration::from_secs(at.saturating_sub(now)).min(MAX_RETRY_AFTER);
                let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
                prop_assert_eq!(parse_retry_after(&date, now), Some(expected), "{}", date);
            }

            #[test]
            fn prop_error_responses_never_panic(response in response()) {
                let (status, body) = (response.status, response.body.clone());
                let _ = response.json_object();
                let error = response.into_error();
                let text = error.to_string();
                let _ = format!("{error:?}");
                prop_assert!(error.retry_after().is_none_or(|d| d <= MAX_RETRY_AFTER));
                match &error {
                    Error::OAuth(e) => {
                        // The code and description are the body's, in either Auth0 shape, and
                        // the text is made of them only (never the mfa_token).
                        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        let text_of = |k: &str| json.get(k).and_then(|v| v.as_str());
                        prop_assert_eq!(Some(e.code()), text_of("error").or_else(|| text_of("code")));
                        let description = text_of("error_description").or_else(|| text_of("description"));
                        prop_assert_eq!(e.description(), description);
                        prop_assert_eq!(e.status(), status);
                        let expected = format!(
                            "{} (HTTP {status}){}{}",
                            e.code(),
                            description.map(|d| format!(": {d}")).unwrap_or_default(),
                            crate::error::RetryAfterNote(e.retry_after())
                        );
                        prop_assert_eq!(text, expected);
                    }
                    Error::UnexpectedResponse { status: s, .. } => prop_assert_eq!(*s, status),
                    other => prop_assert!(false, "{other:?}"),
                }
            }
        }
    }
}
