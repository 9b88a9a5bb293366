//! The transport boundary: every request goes through the `HttpTransport` a client is given,
//! and the client keeps its guarantees (the DPoP nonce retry, no replay, the timeout, the body
//! cap, no redirect) whatever the transport does. The transport here is `support::http1`, a
//! hand-written HTTP/1.1 client sharing no code with the built-in one, against the emulator;
//! this file also runs with `--no-default-features`, where the library has no HTTP code of its
//! own.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use support::http1::Http1;
use support::*;
use token_exchange::management::{ManagementAuth, ManagementClient};
use token_exchange::{
    Client, ClientBuilder, DEFAULT_TIMEOUT, Error, HttpRequest, HttpTransport, MAX_RESOURCE_RESPONSE_BYTES,
    NativeSocialExchange, NetworkErrorKind, ResourceRequest, ResponseProblem, SoftwareKey, TransportError,
    TransportFuture,
};
use token_exchange_emulator::{
    AppleCode, CannedResponse, Emulator, FacebookToken, SAMPLE_MANAGEMENT_CLIENT_ID, SAMPLE_MANAGEMENT_CLIENT_SECRET,
};

fn through(emu: &Emulator, transport: Arc<dyn HttpTransport>) -> ClientBuilder {
    builder(emu).transport(transport)
}

fn apple(emu: &Emulator, sub: &str) -> NativeSocialExchange {
    NativeSocialExchange::apple(emu.apple_authorization_code(AppleCode::new(sub).email("t@example.com")))
        .audience(API)
        .scope("openid profile email offline_access read:messages")
}

fn facebook(emu: &Emulator) -> NativeSocialExchange {
    NativeSocialExchange::facebook(emu.facebook_session_token(FacebookToken::default())).audience(API)
}

#[tokio::test]
async fn every_request_of_every_flow_goes_through_the_transport() {
    let emu = emulator().await;
    let http = Http1::new();
    let client = through(&emu, http.clone())
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap();

    let tokens = client.native_social_exchange(&apple(&emu, "apple|wire")).await.unwrap();
    assert!(tokens.is_dpop_bound());
    assert_eq!(tokens.id_token_claims.as_ref().unwrap().sub, "apple|wire");
    // The signing keys first (a single-use code is not spent before the ID token can be
    // checked), then the exchange answering the emulator's nonce challenge once.
    assert_eq!(
        http.calls(),
        ["GET /.well-known/jwks.json", "POST /oauth/token", "POST /oauth/token"]
    );

    assert_eq!(client.userinfo_claims(&tokens).await.unwrap().sub, "apple|wire");
    let mut me = ResourceRequest::get(format!("{}/userinfo", emu.base_url()));
    me.headers.push(("X-Request-Id".into(), "42".into()));
    assert_eq!(client.send_authorized(&me, &tokens).await.unwrap().status, 200);
    let renewed = client.refresh(&tokens, None).await.unwrap();
    client.revoke(renewed.refresh_token.as_ref().unwrap()).await.unwrap();
    assert_eq!(
        http.calls()[3..],
        [
            // /userinfo demands a nonce of its own, once; the resource call then has it.
            "GET /userinfo",
            "GET /userinfo",
            "GET /userinfo",
            // The client keeps one nonce per origin, now /userinfo's, which the emulator's
            // token endpoint does not take: one more challenge.
            "POST /oauth/token",
            "POST /oauth/token",
            "POST /oauth/revoke",
        ]
    );

    let management = ManagementClient::with_transport(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.into(),
            client_secret: SAMPLE_MANAGEMENT_CLIENT_SECRET.into(),
        },
        http.clone(),
        DEFAULT_TIMEOUT,
    )
    .unwrap();
    management.list_token_exchange_profiles(None, None).await.unwrap();
    assert_eq!(
        http.calls()[9..],
        ["POST /oauth/token", "GET /api/v2/token-exchange-profiles"]
    );

    // What the client hands the transport: its User-Agent, a timeout within its own, and the
    // body cap of each kind of endpoint.
    assert!(http.sent().iter().any(|s| s.header("x-request-id") == Some("42")));
    for sent in http.sent() {
        let call = format!("{} {}", sent.method, sent.target);
        assert!(sent.header("user-agent").is_some(), "{call}");
        assert!(!sent.timeout.is_zero() && sent.timeout <= DEFAULT_TIMEOUT, "{call}");
        assert!(
            sent.headers.iter().all(|(name, _)| *name == name.to_ascii_lowercase()),
            "{call}"
        );
        let expected_cap = match sent.target.as_str() {
            "/userinfo" if sent.header("auth0-client").is_none() => Some(MAX_RESOURCE_RESPONSE_BYTES),
            t if t.starts_with("/api/v2/") => None,
            _ => Some(token_exchange::DEFAULT_MAX_RESPONSE_BYTES),
        };
        if let Some(cap) = expected_cap {
            assert_eq!(sent.max_response_bytes, cap, "{call}");
        }
    }
}

#[tokio::test]
async fn the_dpop_nonce_retry_sends_a_new_proof_with_the_nonce_through_the_transport() {
    let emu = emulator().await;
    let http = Http1::new();
    let client = through(&emu, http.clone())
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .id_token_validation(false)
        .build()
        .unwrap();
    client.native_social_exchange(&facebook(&emu)).await.unwrap();

    let sent = http.sent();
    assert_eq!(sent.len(), 2, "{:?}", http.calls());
    let proofs: Vec<_> = sent.iter().map(|s| claims(s.header("dpop").unwrap())).collect();
    assert!(proofs[0].get("nonce").is_none());
    assert!(proofs[1]["nonce"].is_string());
    assert_ne!(proofs[0]["jti"], proofs[1]["jti"]);

    // The nonce is remembered: the next exchange needs one attempt.
    client.native_social_exchange(&facebook(&emu)).await.unwrap();
    assert_eq!(http.sent().len(), 3);
}

/// A transport that fails every request the way it was told to, after counting it.
struct Failing {
    error: TransportError,
    calls: AtomicUsize,
}

impl HttpTransport for Failing {
    fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let error = self.error.clone();
        Box::pin(async move { Err(error) })
    }
}

#[tokio::test]
async fn a_transport_failure_is_the_typed_error_with_what_the_transport_said_of_the_server() {
    let emu = emulator().await;
    let network = |kind, reached| Error::Network {
        kind,
        request_may_have_reached_server: reached,
    };
    let mut cases = vec![
        (TransportError::Connect, network(NetworkErrorKind::Connect, false)),
        (TransportError::Cancelled, Error::Cancelled),
    ];
    for reached in [false, true] {
        let request_may_have_reached_server = reached;
        cases.extend([
            (
                TransportError::Tls {
                    request_may_have_reached_server,
                },
                network(NetworkErrorKind::Tls, reached),
            ),
            (
                TransportError::ConnectionLost {
                    request_may_have_reached_server,
                },
                network(NetworkErrorKind::ConnectionLost, reached),
            ),
            (
                TransportError::Timeout {
                    request_may_have_reached_server,
                },
                Error::Timeout {
                    request_may_have_reached_server,
                },
            ),
        ]);
    }
    for (error, expected) in cases {
        let transport = Arc::new(Failing {
            error: error.clone(),
            calls: AtomicUsize::new(0),
        });
        let client = through(&emu, transport.clone())
            .id_token_validation(false)
            .build()
            .unwrap();
        let got = client
            .native_social_exchange(&apple(&emu, "apple|fails"))
            .await
            .unwrap_err();
        assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{error:?}");
        assert_eq!(
            got.request_may_have_reached_server(),
            error.request_may_have_reached_server(),
            "{error:?}"
        );
        // Sent once: a request that may have reached the server is never replayed, and one
        // that did not is the caller's to retry.
        assert_eq!(transport.calls.load(Ordering::SeqCst), 1, "{error:?}");
    }

    // A transport that cannot express a request fails it before sending anything.
    let refusing = Arc::new(Failing {
        error: TransportError::InvalidRequest,
        calls: AtomicUsize::new(0),
    });
    let client = through(&emu, refusing).build().unwrap();
    let got = client.native_social_exchange(&facebook(&emu)).await.unwrap_err();
    assert!(matches!(got, Error::InvalidInput { field: "request", .. }), "{got:?}");
    assert!(!got.request_may_have_reached_server());
}

#[tokio::test]
async fn a_real_connection_failure_through_the_transport_says_nothing_was_sent() {
    let http = Http1::new();
    let client = Client::builder(format!("http://127.0.0.1:{}", closed_port().await), CLIENT_ID)
        .transport(http.clone())
        .id_token_validation(false)
        .build()
        .unwrap();
    let got = client
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            got,
            Error::Network {
                kind: NetworkErrorKind::Connect,
                request_may_have_reached_server: false
            }
        ),
        "{got:?}"
    );
    assert_eq!(http.sent().len(), 1);
}

/// A transport that never answers and ignores its timeout; it records being dropped.
struct Hanging {
    dropped: Arc<AtomicBool>,
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl HttpTransport for Hanging {
    fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
        let guard = SetOnDrop(self.dropped.clone());
        Box::pin(async move {
            let _guard = guard;
            std::future::pending().await
        })
    }
}

#[tokio::test]
async fn a_transport_that_ignores_its_timeout_is_cut_off_by_the_client() {
    let emu = emulator().await;
    let dropped = Arc::new(AtomicBool::new(false));
    let client = through(
        &emu,
        Arc::new(Hanging {
            dropped: dropped.clone(),
        }),
    )
    .timeout(Duration::from_millis(200))
    .id_token_validation(false)
    .build()
    .unwrap();
    let got = client
        .native_social_exchange(&apple(&emu, "apple|slow"))
        .await
        .unwrap_err();
    // The client cannot know whether the transport sent it: a code must count as spent.
    assert!(
        matches!(
            got,
            Error::Timeout {
                request_may_have_reached_server: true
            }
        ),
        "{got:?}"
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the transport's request was not cancelled"
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_whether_the_transport_enforces_the_cap_or_not() {
    let emu = emulator().await;
    for (kind, http) in [("enforcing", Http1::new()), ("ignoring", Http1::ignoring_the_cap())] {
        let client = through(&emu, http.clone())
            .max_response_bytes(1024)
            .id_token_validation(false)
            .build()
            .unwrap();
        emu.inject_token_response(CannedResponse::huge(4096).header("Retry-After", "7"));
        let got = client.native_social_exchange(&facebook(&emu)).await.unwrap_err();
        match got {
            Error::UnexpectedResponse {
                status: 200,
                problem: ResponseProblem::TooLarge { limit: 1024 },
                retry_after,
            } => assert_eq!(retry_after, Some(Duration::from_secs(7)), "{kind}"),
            other => panic!("{kind}: {other:?}"),
        }
        assert_eq!(http.sent()[0].max_response_bytes, 1024, "{kind}");

        // A body of exactly the cap is read (and refused for what it is, not for its size).
        emu.inject_token_response(CannedResponse::huge(1024));
        let got = client.native_social_exchange(&facebook(&emu)).await.unwrap_err();
        assert!(
            matches!(
                got,
                Error::UnexpectedResponse {
                    problem: ResponseProblem::NotJson,
                    ..
                }
            ),
            "{kind}: {got:?}"
        );
    }
}

#[tokio::test]
async fn a_redirect_returned_by_the_transport_is_the_redirect_error_and_is_not_followed() {
    let emu = emulator().await;
    let http = Http1::new();
    let client = through(&emu, http.clone()).build().unwrap();
    let elsewhere = format!("{}/elsewhere", emu.base_url());
    emu.inject_token_response(CannedResponse::new(302).header("Location", elsewhere));
    let got = client.native_social_exchange(&facebook(&emu)).await.unwrap_err();
    assert!(
        matches!(
            got,
            Error::UnexpectedResponse {
                status: 302,
                problem: ResponseProblem::Redirect,
                ..
            }
        ),
        "{got:?}"
    );
    assert_eq!(
        http.calls(),
        ["GET /.well-known/jwks.json", "POST /oauth/token"],
        "the redirect was followed"
    );
}

#[tokio::test]
async fn headers_are_checked_before_the_transport_sees_the_request() {
    let emu = emulator().await;
    let http = Http1::new();
    let client = through(&emu, http.clone()).build().unwrap();
    let tokens = token_exchange::TokenSet::new("access-token", "Bearer");
    let url = format!("{}/userinfo", emu.base_url());
    for (name, value) in [
        ("x-ok", "a\r\nx-injected: 1"),
        ("x-ok", "a\nb"),
        ("x bad", "v"),
        ("x-bad:", "v"),
        ("", "v"),
        ("Authorization", "Bearer other"),
        ("DPoP", "proof"),
    ] {
        let mut request = ResourceRequest::get(&url);
        request.headers.push((name.into(), value.into()));
        let got = client.send_authorized(&request, &tokens).await.unwrap_err();
        assert!(
            matches!(got, Error::InvalidInput { field: "headers", .. }),
            "{name:?}: {got:?}"
        );
    }
    assert!(http.sent().is_empty(), "{:?}", http.calls());
}

/// The built-in transport, shared by two clients and wrapped in a transport of the test's own.
#[cfg(feature = "reqwest-transport")]
#[tokio::test]
async fn the_builtin_transport_can_be_shared_and_wrapped() {
    use token_exchange::ReqwestTransport;

    struct Counting {
        inner: ReqwestTransport,
        calls: AtomicUsize,
    }
    impl HttpTransport for Counting {
        fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.inner.send(request)
        }
    }

    let emu = emulator().await;
    let counting = Arc::new(Counting {
        inner: ReqwestTransport::new(Duration::from_secs(10)).unwrap(),
        calls: AtomicUsize::new(0),
    });
    let dpop = through(&emu, counting.clone())
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap();
    let bearer = through(&emu, counting.clone()).build().unwrap();
    dpop.native_social_exchange(&apple(&emu, "apple|shared")).await.unwrap();
    bearer.native_social_exchange(&facebook(&emu)).await.unwrap();
    // JWKS + the nonce challenge + the exchange; JWKS again (each client has its cache) + one.
    assert_eq!(counting.calls.load(Ordering::SeqCst), 5);
}
