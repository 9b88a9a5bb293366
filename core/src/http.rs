//! Running one request through the client's [`HttpTransport`] and reading what came back:
//! the deadline, the body cap, and the classification of responses. Transport failures become
//! [`Error`] here and only here.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;

use crate::error::{Error, NetworkErrorKind, OAuthError, ResponseProblem};
use crate::transport::{HttpRequest, HttpTransport, TransportError};

/// A response read in full (up to the cap), header names in lower case.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
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

    /// The first value of the header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of the header `name` (lower case), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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
            Ok(v) => match OAuthError::from_body(
                self.status,
                &v,
                self.retry_after(),
                self.dpop_nonce().map(str::to_owned),
            ) {
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

    /// What a body that does not parse as JSON is: an HTML page or anything else.
    pub fn not_json_problem(&self) -> ResponseProblem {
        let html_type = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        let trimmed = self.body.trim_ascii_start();
        if html_type || trimmed.first() == Some(&b'<') {
            ResponseProblem::Html
        } else {
            ResponseProblem::NotJson
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.header("retry-after")?, SystemTime::now())
    }

    pub fn dpop_nonce(&self) -> Option<&str> {
        self.header(crate::dpop::NONCE_HEADER)
    }

    /// The refusal of a body longer than `limit`: the status and `Retry-After` still say
    /// whether to come back later.
    fn too_large(status: u16, headers: Vec<(String, String)>, limit: usize) -> Error {
        RawResponse {
            status,
            headers: lower_case_names(headers),
            body: Vec::new(),
        }
        .unexpected(ResponseProblem::TooLarge { limit })
    }
}

/// When one attempt of a request must be over. The client's timeout covers signing the DPoP
/// proof (a platform signer may wait on a biometric prompt) and the HTTP exchange together, so
/// a call never takes much longer than the configured timeout, whatever the signer or the
/// transport does.
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
        self.cut_off(work, false).await
    }

    /// Runs `work` until the deadline, then fails with [`Error::Timeout`] saying
    /// `request_may_have_reached_server: reached` (and drops `work`, which cancels it).
    async fn cut_off<T>(self, work: impl Future<Output = Result<T, Error>>, reached: bool) -> Result<T, Error> {
        let timed_out = Error::Timeout {
            request_may_have_reached_server: reached,
        };
        match self.0 {
            None => work.await,
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or(Err(timed_out)),
        }
    }

    /// What is left before the deadline (`Duration::MAX` without one); a timeout when nothing
    /// is.
    fn remaining(self) -> Result<Duration, Error> {
        let Some(at) = self.0 else { return Ok(Duration::MAX) };
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout {
                request_may_have_reached_server: false,
            });
        }
        Ok(left)
    }
}

/// What every request of one client shares: the transport, the `User-Agent`, the
/// `Auth0-Client` telemetry header, the timeout and the body cap. The client and the parts it
/// builds (the ID token validator's JWKS fetch) send through the same one.
#[derive(Clone)]
pub(crate) struct HttpContext {
    pub transport: Arc<dyn HttpTransport>,
    pub user_agent: String,
    /// The `Auth0-Client` header value; `None` when telemetry is off.
    pub telemetry: Option<String>,
    /// The configured request timeout, which also bounds signing (see [`Deadline`]).
    pub timeout: Duration,
    pub max_response_bytes: usize,
}

impl HttpContext {
    /// A request to `url` with the `User-Agent` and body cap. Its timeout is set when it is
    /// sent, from what is left of the deadline.
    pub fn request(&self, method: &str, url: &Url) -> HttpRequest {
        HttpRequest::new(method, url.clone(), self.timeout, self.max_response_bytes)
            .header("user-agent", self.user_agent.as_str())
    }

    /// Adds the `Auth0-Client` telemetry header, unless it is off.
    pub fn with_telemetry(&self, request: HttpRequest) -> HttpRequest {
        match &self.telemetry {
            Some(t) => request.header("auth0-client", t.as_str()),
            None => request,
        }
    }

    /// A deadline one timeout from now.
    pub fn deadline(&self) -> Deadline {
        Deadline::after(self.timeout)
    }

    /// Sends `request` through the transport, bounded by `deadline`.
    pub async fn send(&self, request: HttpRequest, deadline: Deadline) -> Result<RawResponse, Error> {
        send(&*self.transport, request, deadline).await
    }
}

/// Sends `request` through `transport` with what is left before `deadline` as its timeout, and
/// returns the response read up to the request's cap.
///
/// The transport is trusted with none of the guarantees the client makes: it is cut off at the
/// deadline even if it ignores its timeout (the request may then have been sent), and a body
/// longer than the cap is refused even if the transport returned it.
pub(crate) async fn send(
    transport: &dyn HttpTransport,
    mut request: HttpRequest,
    deadline: Deadline,
) -> Result<RawResponse, Error> {
    let limit = request.max_response_bytes;
    request.timeout = deadline.remaining()?;
    let exchange = async { transport.send(request).await.map_err(|e| transport_error(e, limit)) };
    let response = deadline.cut_off(exchange, true).await?;
    if response.body.len() > limit {
        return Err(RawResponse::too_large(response.status, response.headers, limit));
    }
    Ok(RawResponse {
        status: response.status,
        headers: lower_case_names(response.headers),
        body: response.body,
    })
}

/// Header names in lower case (HTTP/2 sends them so; HTTP/1.1 stacks may keep the server's
/// case), so that lookups and [`crate::ResourceResponse`] see one spelling.
fn lower_case_names(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    for (name, _) in &mut headers {
        name.make_ascii_lowercase();
    }
    headers
}

/// The one conversion of transport errors. `limit` is the body cap the request had.
fn transport_error(e: TransportError, limit: usize) -> Error {
    let network = |kind, reached| Error::Network {
        kind,
        request_may_have_reached_server: reached,
    };
    match e {
        // The values a request is built from are checked first, so this is a last resort.
        TransportError::InvalidRequest => Error::invalid(
            "request",
            "the HTTP transport refused to send it (an invalid method, header or URL for it)",
        ),
        TransportError::Connect => network(NetworkErrorKind::Connect, false),
        TransportError::Tls {
            request_may_have_reached_server: reached,
        } => network(NetworkErrorKind::Tls, reached),
        TransportError::ConnectionLost {
            request_may_have_reached_server: reached,
        } => network(NetworkErrorKind::ConnectionLost, reached),
        TransportError::Timeout {
            request_may_have_reached_server,
        } => Error::Timeout {
            request_may_have_reached_server,
        },
        TransportError::BodyTooLarge { status, headers } => RawResponse::too_large(status, headers, limit),
        TransportError::Cancelled => Error::Cancelled,
    }
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
        RawResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
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
