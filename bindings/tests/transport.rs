//! A transport given to `TokenExchangeClient::with_transport` (what Swift and Kotlin do with
//! URLSession and HttpURLConnection), implemented here in Rust over the core's reqwest
//! transport: every request of the client goes through it, and what it reports reaches the
//! caller as the typed error, with `request_may_have_reached_server` as the transport said.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use token_exchange::{DEFAULT_CONNECT_TIMEOUT, HttpTransport as _, ReqwestTransport};
use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig};
use token_exchange_ffi::{
    ClientConfig, DpopKey, HttpHeader, HttpRequest, HttpResponse, HttpTransport, NativeSocialExchange,
    NetworkErrorKind, ResponseProblem, SubjectTokenType, TokenExchangeClient, TokenExchangeError, TransportError,
};

/// Sends through reqwest, keeping each request's path and header names.
struct Recording {
    inner: ReqwestTransport,
    sent: Mutex<Vec<(String, Vec<String>)>>,
}

#[async_trait::async_trait]
impl HttpTransport for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = url::Url::parse(&request.url).expect("the library sends absolute URLs");
        self.sent.lock().unwrap().push((
            url.path().to_owned(),
            request.headers.iter().map(|h| h.name.clone()).collect(),
        ));
        let limit = usize::try_from(request.max_response_bytes).unwrap();
        let mut core = token_exchange::HttpRequest::new(request.method, url, request.timeout, limit);
        core.headers = request.headers.into_iter().map(|h| (h.name, h.value)).collect();
        core.body = request.body;
        let response = self.inner.send(core).await.map_err(|e| match e {
            token_exchange::TransportError::Connect => TransportError::Connect,
            _ => TransportError::ConnectionLost {
                request_may_have_reached_server: e.request_may_have_reached_server(),
            },
        })?;
        Ok(HttpResponse {
            status: i32::from(response.status),
            headers: response
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: response.body,
        })
    }
}

/// Answers every request with `outcome`, without sending anything.
struct Canned(Result<HttpResponse, TransportError>);

#[async_trait::async_trait]
impl HttpTransport for Canned {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0.clone()
    }
}

fn apple(code: String) -> NativeSocialExchange {
    NativeSocialExchange::new(code, SubjectTokenType::AppleAuthorizationCode)
}

fn client(base_url: &str, transport: Arc<dyn HttpTransport>) -> Arc<TokenExchangeClient> {
    TokenExchangeClient::with_transport(
        ClientConfig::new(base_url, "native-app"),
        Some(DpopKey::generate().unwrap()),
        transport,
    )
    .expect("client")
}

#[tokio::test]
async fn every_request_goes_through_the_given_transport_nonce_retry_included() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let transport = Arc::new(Recording {
        inner: ReqwestTransport::new(DEFAULT_CONNECT_TIMEOUT).unwrap(),
        sent: Mutex::new(Vec::new()),
    });
    let c = client(emu.base_url(), transport.clone());
    let code = emu.apple_authorization_code(AppleCode::new("apple|foreign-transport"));
    let tokens = c.native_social_exchange(apple(code), None).await.unwrap();
    assert!(tokens.is_dpop_bound());
    let sent = transport.sent.lock().unwrap().clone();
    let token_requests: Vec<_> = sent.iter().filter(|(path, _)| path == "/oauth/token").collect();
    assert_eq!(
        token_requests.len(),
        2,
        "the proof without a nonce, then the retry with it: {sent:?}"
    );
    for (_, names) in token_requests {
        assert!(names.iter().any(|n| n == "dpop"), "{names:?}");
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()), "{names:?}");
    }
    assert!(
        sent.iter().any(|(path, _)| path.ends_with("jwks.json")),
        "the ID token's keys were fetched through it too: {sent:?}"
    );
    let claims = c.userinfo(tokens, None).await.unwrap();
    assert!(claims.contains("apple|foreign-transport"));
    assert!(
        transport
            .sent
            .lock()
            .unwrap()
            .iter()
            .any(|(path, _)| path == "/userinfo"),
        "/userinfo went through it too"
    );
}

async fn exchange_error(outcome: Result<HttpResponse, TransportError>) -> TokenExchangeError {
    // Nothing listens there: only the canned transport can answer.
    let c = client("https://tenant.example.com", Arc::new(Canned(outcome)));
    c.native_social_exchange(apple("c0de".into()), None).await.unwrap_err()
}

#[tokio::test]
async fn what_the_transport_throws_is_the_typed_error_with_what_it_said_about_the_server() {
    for reached in [false, true] {
        let lost = exchange_error(Err(TransportError::ConnectionLost {
            request_may_have_reached_server: reached,
        }))
        .await;
        assert!(
            matches!(
                lost,
                TokenExchangeError::Network {
                    kind: NetworkErrorKind::ConnectionLost,
                    ..
                }
            ),
            "{lost:?}"
        );
        assert_eq!(lost.request_may_have_reached_server(), reached);
        assert!(lost.is_network_error() && lost.is_retryable());

        let timeout = exchange_error(Err(TransportError::Timeout {
            request_may_have_reached_server: reached,
        }))
        .await;
        assert!(matches!(timeout, TokenExchangeError::Timeout { .. }), "{timeout:?}");
        assert_eq!(timeout.request_may_have_reached_server(), reached);

        let tls = exchange_error(Err(TransportError::Tls {
            request_may_have_reached_server: reached,
        }))
        .await;
        assert!(
            matches!(
                tls,
                TokenExchangeError::Network {
                    kind: NetworkErrorKind::Tls,
                    ..
                }
            ),
            "{tls:?}"
        );
        assert_eq!(tls.request_may_have_reached_server(), reached);
    }
    let connect = exchange_error(Err(TransportError::Connect)).await;
    assert!(matches!(
        connect,
        TokenExchangeError::Network {
            kind: NetworkErrorKind::Connect,
            ..
        }
    ));
    assert!(!connect.request_may_have_reached_server());
    let cancelled = exchange_error(Err(TransportError::Cancelled)).await;
    assert!(
        matches!(cancelled, TokenExchangeError::Cancelled { .. }),
        "{cancelled:?}"
    );
    let refused = exchange_error(Err(TransportError::InvalidRequest)).await;
    assert!(
        matches!(refused, TokenExchangeError::InvalidInput { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn redirects_and_long_bodies_are_refused_whatever_the_transport_returns() {
    let redirect = exchange_error(Ok(HttpResponse {
        status: 302,
        headers: vec![HttpHeader {
            name: "Location".into(),
            value: "https://elsewhere.example/oauth/token".into(),
        }],
        body: Vec::new(),
    }))
    .await;
    assert!(
        matches!(
            redirect,
            TokenExchangeError::UnexpectedResponse {
                status: 302,
                problem: ResponseProblem::Redirect,
                ..
            }
        ),
        "{redirect:?}"
    );

    let too_large = exchange_error(Err(TransportError::BodyTooLarge {
        status: 503,
        headers: vec![HttpHeader {
            name: "Retry-After".into(),
            value: "30".into(),
        }],
    }))
    .await;
    assert!(
        matches!(
            too_large,
            TokenExchangeError::UnexpectedResponse {
                status: 503,
                problem: ResponseProblem::TooLarge { .. },
                ..
            }
        ),
        "{too_large:?}"
    );
    assert_eq!(too_large.retry_after(), Some(Duration::from_secs(30)));

    // A transport that ignores the cap: the library refuses the body anyway.
    let ignored = exchange_error(Ok(HttpResponse {
        status: 200,
        headers: vec![],
        body: vec![b' '; 256 * 1024 + 1],
    }))
    .await;
    assert!(
        matches!(
            ignored,
            TokenExchangeError::UnexpectedResponse {
                problem: ResponseProblem::TooLarge { .. },
                ..
            }
        ),
        "{ignored:?}"
    );

    // Not an HTTP status at all.
    let nonsense = exchange_error(Ok(HttpResponse {
        status: -1,
        headers: vec![],
        body: Vec::new(),
    }))
    .await;
    assert!(
        matches!(nonsense, TokenExchangeError::UnexpectedResponse { status: 0, .. }),
        "{nonsense:?}"
    );
}
