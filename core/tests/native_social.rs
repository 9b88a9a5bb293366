//! Native social token exchange against the emulator, over real HTTP.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::net::IpAddr;
use std::time::Duration;

use support::*;
use token_exchange::{
    Client, Error, NativeSocialExchange, NetworkErrorKind, ResponseProblem, SubjectTokenType, Telemetry, UserProfile,
};
use token_exchange_emulator::{AppleCode, CannedResponse, FacebookToken};

fn oauth_code(e: &Error) -> &str {
    e.oauth()
        .unwrap_or_else(|| panic!("expected an OAuth error, got {e:?}"))
        .code()
}

#[tokio::test]
async fn apple_exchange_with_audience_and_profile() {
    let emu = emulator().await;
    let code = emu.apple_authorization_code(AppleCode::new("apple|first-time").email("first@example.com"));
    let sent_at = std::time::SystemTime::now();
    let tokens = client(&emu)
        .native_social_exchange(
            &NativeSocialExchange::apple(code)
                .audience(API)
                .user_profile(UserProfile::with_name(Some("John".into()), Some("Smith".into()))),
        )
        .await
        .unwrap();
    let received_at = std::time::SystemTime::now();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(!tokens.is_dpop_bound());
    assert_eq!(tokens.dpop_jkt, None);
    assert_eq!(
        tokens.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert!(tokens.refresh_token.is_some(), "offline_access is in the default scope");
    // expires_at is the response's arrival plus expires_in: between the clock read before
    // the request and the one after the response, however long the exchange took.
    let expires_in = Duration::from_secs(tokens.expires_in.unwrap());
    let expires_at = tokens.expires_at.unwrap();
    assert!(
        sent_at + expires_in <= expires_at && expires_at <= received_at + expires_in,
        "expires_at {expires_at:?} is not between {sent_at:?} and {received_at:?} plus {expires_in:?}"
    );
    let at = claims(tokens.access_token.expose());
    assert_eq!(at["sub"], "apple|first-time");
    assert_eq!(at["azp"], CLIENT_ID);
    assert!(at["aud"].as_array().unwrap().iter().any(|a| a == API));
    assert_eq!(at["iss"], format!("{}/", emu.base_url()));
    let id = tokens.unverified_id_token_claims().unwrap();
    assert_eq!(id["given_name"], "John");
    assert_eq!(id["family_name"], "Smith");
    assert_eq!(id["email"], "first@example.com");
    assert_eq!(id["aud"], CLIENT_ID);
}

#[tokio::test]
async fn apple_exchange_without_audience_or_profile_and_name_is_remembered() {
    let emu = emulator().await;
    let c = client(&emu);
    let first = emu.apple_authorization_code(AppleCode::new("apple|returning"));
    c.native_social_exchange(
        &NativeSocialExchange::apple(first).user_profile(UserProfile::with_name(Some("Ada".into()), None)),
    )
    .await
    .unwrap();
    // Apple sends the name only the first time; the second sign-in has no profile.
    let second = emu.apple_authorization_code(AppleCode::new("apple|returning"));
    let tokens = c
        .native_social_exchange(&NativeSocialExchange::apple(second).scope("openid profile"))
        .await
        .unwrap();
    assert_eq!(tokens.unverified_id_token_claims().unwrap()["given_name"], "Ada");
    assert!(tokens.refresh_token.is_none(), "offline_access not requested");
    let at = claims(tokens.access_token.expose());
    assert_eq!(at["aud"], format!("{}/userinfo", emu.base_url()));
}

#[tokio::test]
async fn facebook_exchange_and_expiry() {
    let emu = emulator().await;
    let c = client(&emu);
    let token = emu.facebook_session_token(FacebookToken::default());
    let tokens = c
        .native_social_exchange(&NativeSocialExchange::facebook(token.clone()).resource(API))
        .await
        .unwrap();
    assert_eq!(claims(tokens.access_token.expose())["sub"], "facebook|10000000001");
    // A Facebook token is not single-use: valid while it lives.
    c.native_social_exchange(&NativeSocialExchange::facebook(token))
        .await
        .unwrap();
    let expired = emu.facebook_session_token(FacebookToken::default().expires_in(Duration::ZERO));
    let e = c
        .native_social_exchange(&NativeSocialExchange::facebook(expired))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_invalid_grant(), "{e:?}");
}

#[tokio::test]
async fn apple_code_is_single_use() {
    let emu = emulator().await;
    let c = client(&emu);
    let code = emu.apple_authorization_code(AppleCode::new("apple|once"));
    c.native_social_exchange(&NativeSocialExchange::apple(code.clone()))
        .await
        .unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple(code.clone()))
        .await
        .unwrap_err();
    let oauth = e.oauth().unwrap();
    assert!(oauth.is_invalid_grant());
    assert_eq!(oauth.status(), 403);
    assert!(e.request_may_have_reached_server());
    assert!(!e.is_retryable());
    assert!(!e.to_string().contains(&code), "error text must not carry the code");
    assert!(!format!("{e:?}").contains(&code));
}

#[tokio::test]
async fn server_errors_map_to_their_variant() {
    let emu = emulator().await;
    let apple = |sub: &str| NativeSocialExchange::apple(emu.apple_authorization_code(AppleCode::new(sub)));

    let e = Client::builder(emu.base_url(), "no-exchange-app")
        .build()
        .unwrap()
        .native_social_exchange(&apple("apple|u1"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_unauthorized_client(), "{e:?}");

    let e = Client::builder(emu.base_url(), "unknown-client")
        .build()
        .unwrap()
        .native_social_exchange(&apple("apple|u1"))
        .await
        .unwrap_err();
    assert_eq!(oauth_code(&e), "invalid_client");
    assert_eq!(e.oauth().unwrap().status(), 401);

    let c = client(&emu);
    let e = c
        .native_social_exchange(&apple("apple|u1").audience("https://unknown.example.com"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_access_denied(), "{e:?}");
    assert!(
        e.oauth()
            .unwrap()
            .description()
            .unwrap()
            .contains("https://unknown.example.com")
    );

    // A scope the API does not define is dropped, not refused; `scope` says what was issued.
    let tokens = c
        .native_social_exchange(&apple("apple|u1").audience(API).scope("openid delete:everything"))
        .await
        .unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("openid"));

    let e = c
        .native_social_exchange(&apple("apple|blocked-user"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_access_denied(), "{e:?}");

    let e = c.native_social_exchange(&apple("apple|mfa-user")).await.unwrap_err();
    let oauth = e.oauth().unwrap();
    assert!(oauth.is_mfa_required());
    assert!(!oauth.mfa_token().unwrap().expose().is_empty());
    assert!(oauth.mfa_requirements().unwrap().challenge.contains(&"otp".to_owned()));
    assert!(!format!("{e:?} {e}").contains(oauth.mfa_token().unwrap().expose()));

    let e = c
        .native_social_exchange(&NativeSocialExchange::new(
            "x",
            SubjectTokenType::Custom("urn:example:unsupported".into()),
        ))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_invalid_request(), "{e:?}");
}

#[tokio::test]
async fn too_many_attempts_from_one_forwarded_ip() {
    let emu = emulator().await;
    let c = client(&emu);
    let attacker: IpAddr = "203.0.113.7".parse().unwrap();
    let mut last = None;
    for i in 0..6 {
        let e = c
            .native_social_exchange(&NativeSocialExchange::apple(format!("guessed-code-{i}")).forwarded_for(attacker))
            .await
            .unwrap_err();
        last = Some(e);
    }
    let e = last.unwrap();
    let oauth = e.oauth().unwrap();
    assert!(oauth.is_too_many_attempts(), "{e:?}");
    assert_eq!(oauth.status(), 429);
    assert!(!e.is_retryable(), "a blocked IP must not be retried");
    // The emulator, like Auth0, trusts auth0-forwarded-for only from confidential clients: this
    // public client's failures counted against its own address, which another header does not
    // change.
    let code = emu.apple_authorization_code(AppleCode::new("apple|innocent"));
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple(code).forwarded_for("198.51.100.1".parse().unwrap()))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_too_many_attempts(), "{e:?}");
}

#[tokio::test]
async fn rate_limits_server_errors_and_unusable_bodies() {
    let emu = emulator().await;
    let c = client(&emu);
    let req = NativeSocialExchange::apple("any-code");

    emu.inject_token_response(CannedResponse::too_many_requests(42));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(e.oauth().unwrap().is_rate_limited());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(42)));
    assert!(e.is_retryable());

    emu.inject_token_response(CannedResponse::oauth_error(503, "temporarily_unavailable", "try later"));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(e.oauth().unwrap().is_server_error() && e.is_retryable());

    emu.inject_token_response(CannedResponse::code_description_error(
        400,
        "invalid_body",
        "Payload validation error",
    ));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert_eq!(oauth_code(&e), "invalid_body");
    assert_eq!(e.oauth().unwrap().description(), Some("Payload validation error"));

    emu.inject_token_response(CannedResponse::html(502, "<html><body>Bad gateway</body></html>"));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                status: 502,
                problem: ResponseProblem::Html,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable());

    emu.inject_token_response(CannedResponse::html(200, "<!doctype html><p>captive portal</p>"));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                status: 200,
                problem: ResponseProblem::Html,
                ..
            }
        ),
        "{e:?}"
    );

    emu.inject_token_response(CannedResponse::text(500, "internal error"));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::NotJson,
                ..
            }
        ),
        "{e:?}"
    );

    emu.inject_token_response(CannedResponse::json(200, &serde_json::json!({"token_type": "Bearer"})));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::MissingField("access_token"),
                ..
            }
        ),
        "{e:?}"
    );

    emu.inject_token_response(CannedResponse::json(
        200,
        &serde_json::json!({"access_token": "x", "token_type": "Bearer", "padding": "x".repeat(300 * 1024)}),
    ));
    let e = c.native_social_exchange(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::TooLarge { .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let emu = emulator().await;
    let elsewhere = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    emu.inject_token_response(
        CannedResponse::new(307).header("Location", format!("{}/oauth/token", elsewhere.base_url)),
    );
    let e = client(&emu)
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                status: 307,
                problem: ResponseProblem::Redirect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        elsewhere.recorded().is_empty(),
        "the subject token was sent to the redirect target"
    );
}

#[tokio::test]
async fn network_failures_say_whether_the_request_may_have_reached_the_server() {
    let port = closed_port().await;
    let c = Client::builder(format!("http://127.0.0.1:{port}"), CLIENT_ID)
        .build()
        .unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Network {
                kind: NetworkErrorKind::Connect,
                request_may_have_reached_server: false
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable());

    // The server takes the code and answers late: the code may be spent.
    let emu = emulator().await;
    // The answer comes a minute later: no load can make it beat a 500 ms timeout.
    let code = emu.apple_authorization_code(AppleCode::new("apple|slow").delay(Duration::from_secs(60)));
    let c = builder(&emu).timeout(Duration::from_millis(500)).build().unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple(code))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                request_may_have_reached_server: true
            }
        ),
        "{e:?}"
    );
    assert!(e.request_may_have_reached_server());
}

#[tokio::test]
async fn bad_input_fails_before_any_network_io() {
    // Nothing listens here: any attempt to send would be a network error, not invalid input.
    let c = Client::builder(format!("http://127.0.0.1:{}", closed_port().await), CLIENT_ID)
        .build()
        .unwrap();
    let big = UserProfile::from_json(serde_json::json!({ "bio": "x".repeat(10_000) })).unwrap();
    let cases: Vec<(NativeSocialExchange, &str)> = vec![
        (NativeSocialExchange::apple(""), "subject_token"),
        (NativeSocialExchange::apple(" code "), "subject_token"),
        (NativeSocialExchange::apple("Bearer code"), "subject_token"),
        (
            NativeSocialExchange::new("t", SubjectTokenType::Custom("google-id-token".into())),
            "subject_token_type",
        ),
        (NativeSocialExchange::apple("c").audience(API).resource(API), "resource"),
        (NativeSocialExchange::apple("c").user_profile(big), "user_profile"),
        (NativeSocialExchange::apple("c").scope("openid\u{1}"), "scope"),
    ];
    for (request, field) in cases {
        match c.native_social_exchange(&request).await {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected invalid input, got {other:?}"),
        }
    }
    assert!(UserProfile::from_json(serde_json::json!("John")).is_err());
    for (domain, client_id, field) in [
        ("", CLIENT_ID, "domain"),
        ("http://tenant.example.com", CLIENT_ID, "domain"),
        ("tenant.example.com/x", CLIENT_ID, "domain"),
        ("tenant.example.com", "", "client_id"),
        ("tenant.example.com", "has space", "client_id"),
    ] {
        match Client::builder(domain, client_id).build() {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{domain:?}/{client_id:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn no_token_value_in_debug_or_display() {
    let emu = emulator().await;
    let code = emu.apple_authorization_code(AppleCode::new("apple|redacted"));
    let request = NativeSocialExchange::apple(code.clone())
        .user_profile(UserProfile::with_name(Some("Privatename".into()), None));
    assert!(!format!("{request:?}").contains(&code));
    assert!(!format!("{request:?}").contains("Privatename"));
    let tokens = client(&emu).native_social_exchange(&request).await.unwrap();
    let debug = format!("{tokens:?} {tokens:#?}");
    for secret in [
        tokens.access_token.expose(),
        tokens.id_token.as_ref().unwrap().expose(),
        tokens.refresh_token.as_ref().unwrap().expose(),
    ] {
        assert!(!debug.contains(secret));
        // No fragment of a JWT either (header, payload or signature).
        for part in secret.split('.') {
            assert!(part.len() < 8 || !debug.contains(part));
        }
    }
}

#[tokio::test]
async fn wire_format_headers_and_telemetry() {
    let peer = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    c.native_social_exchange(
        &NativeSocialExchange::apple("the-code")
            .audience(API)
            .user_profile(UserProfile::with_name(Some("John".into()), Some("Smith".into())))
            .forwarded_for("192.0.2.9".parse().unwrap()),
    )
    .await
    .unwrap();
    let req = &peer.recorded()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/oauth/token");
    assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(req.header("auth0-forwarded-for"), Some("192.0.2.9"));
    assert_eq!(req.headers_named("dpop"), 0);
    assert_eq!(
        req.form_value("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:token-exchange")
    );
    assert_eq!(req.form_value("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(req.form_value("subject_token").as_deref(), Some("the-code"));
    assert_eq!(
        req.form_value("user_profile").as_deref(),
        Some(r#"{"name":{"firstName":"John","lastName":"Smith"}}"#)
    );
    assert_eq!(
        req.form_value("scope").as_deref(),
        Some("openid profile email offline_access")
    );
    let telemetry = req.header("auth0-client").expect("telemetry on by default");
    use base64::Engine as _;
    let decoded: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(telemetry)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["name"], "token-exchange-rust");
    assert!(req.header("user-agent").unwrap().starts_with("token-exchange/"));

    let peer = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .telemetry(None)
        .user_agent("MyApp/2.0")
        .build()
        .unwrap();
    c.native_social_exchange(&NativeSocialExchange::facebook("fb"))
        .await
        .unwrap();
    let req = &peer.recorded()[0];
    assert_eq!(req.header("auth0-client"), None);
    assert_eq!(req.header("user-agent"), Some("MyApp/2.0"));
    assert_eq!(req.form_value("user_profile"), None);
    assert_eq!(req.form_value("audience"), None);

    let peer = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let custom = Telemetry {
        name: "token-exchange-swift".into(),
        ..Telemetry::default()
    };
    Client::builder(&peer.base_url, CLIENT_ID)
        .telemetry(Some(custom))
        .build()
        .unwrap()
        .native_social_exchange(&NativeSocialExchange::facebook("fb"))
        .await
        .unwrap();
    let sent = peer.recorded()[0].header("auth0-client").unwrap().to_owned();
    let decoded: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sent).unwrap()).unwrap();
    assert_eq!(decoded["name"], "token-exchange-swift");
}

#[tokio::test]
async fn a_failed_request_is_never_replayed() {
    let peer = Scripted::start(vec![Reply::json(500, serde_json::json!({"error":"server_error"}))]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(peer.recorded().len(), 1, "the client retried on its own");
}

#[tokio::test]
async fn absurd_server_values_are_typed_errors_never_a_crash() {
    let emu = emulator().await;
    let c = client(&emu);
    let req = NativeSocialExchange::apple("any-code");
    let token = |expires_in: serde_json::Value| {
        CannedResponse::json(
            200,
            &serde_json::json!({"access_token": "at", "token_type": "Bearer", "expires_in": expires_in}),
        )
    };

    for absurd in [
        serde_json::json!(u64::MAX),
        serde_json::json!(u64::MAX.to_string()),
        serde_json::json!(100 * 365 * 24 * 3600u64 + 1),
    ] {
        emu.inject_token_response(token(absurd.clone()));
        let e = c.native_social_exchange(&req).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::UnexpectedResponse {
                    problem: ResponseProblem::InvalidField("expires_in"),
                    ..
                }
            ),
            "expires_in {absurd}: {e:?}"
        );
        assert!(e.to_string().contains("`expires_in` is invalid"), "{e}");
    }
    // A century is the longest lifetime accepted; any leeway can be asked about it.
    emu.inject_token_response(token(serde_json::json!(100 * 365 * 24 * 3600u64)));
    let tokens = c.native_social_exchange(&req).await.unwrap();
    assert!(tokens.expires_within(Duration::MAX));
    assert!(!tokens.expires_within(Duration::ZERO));

    // (Retry-After, what `retry_after()` says) for a 429.
    let cases = [
        ("Sun, 06 Nov 300000000000 08:49:37 GMT", None),
        ("Thu, 30 Feb 2023 08:49:37 GMT", None),
        ("18446744073709551615", Some(Duration::from_secs(24 * 3600))),
        ("Fri, 31 Dec 9999 23:59:59 GMT", Some(Duration::from_secs(24 * 3600))),
        ("Sunday, 06-Nov-94 08:49:37 GMT", Some(Duration::ZERO)),
        ("Sun Nov  6 08:49:37 1994", Some(Duration::ZERO)),
    ];
    for (retry_after, expected) in cases {
        emu.inject_token_response(
            CannedResponse::oauth_error(429, "too_many_requests", "slow down").header("Retry-After", retry_after),
        );
        let e = c.native_social_exchange(&req).await.unwrap_err();
        assert!(e.oauth().is_some_and(|o| o.is_rate_limited()), "{retry_after}: {e:?}");
        assert_eq!(e.retry_after(), expected, "Retry-After: {retry_after}");
    }
}

#[tokio::test]
async fn rate_limited_and_unavailable_errors_say_when_to_retry() {
    let emu = emulator().await;
    let c = client(&emu);
    let req = NativeSocialExchange::apple("any-code");
    let cases = [
        (
            "429 with Retry-After: 7",
            CannedResponse::too_many_requests(7),
            Some("retry after 7 s"),
        ),
        (
            "503 OAuth error with Retry-After: 5",
            CannedResponse::oauth_error(503, "temporarily_unavailable", "maintenance").header("Retry-After", "5"),
            Some("retry after 5 s"),
        ),
        (
            "503 HTML page with Retry-After: 5",
            CannedResponse::html(503, "<html>down</html>").header("Retry-After", "5"),
            Some("retry after 5 s"),
        ),
        (
            "429 with an HTTP-date long past",
            CannedResponse::too_many_requests(0).header("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"),
            Some("retry after 0 s"),
        ),
        (
            "429 without Retry-After",
            CannedResponse::oauth_error(429, "too_many_requests", "slow down"),
            None,
        ),
    ];
    for (case, canned, expected) in cases {
        emu.inject_token_response(canned);
        let e = c.native_social_exchange(&req).await.unwrap_err();
        let text = e.to_string();
        match expected {
            Some(note) => assert!(text.ends_with(&format!("({note})")), "{case}: {text}"),
            None => assert!(!text.contains("retry after"), "{case}: {text}"),
        }
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let base_url = untrusted_https_server();
    let c = Client::builder(base_url.as_str(), CLIENT_ID).build().unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Network {
                kind: NetworkErrorKind::Tls,
                request_may_have_reached_server: false
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("TLS"), "{e}");
}

#[tokio::test]
async fn scope_is_left_out_only_when_the_caller_asks() {
    let server = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let c = Client::builder(&server.base_url, CLIENT_ID).build().unwrap();
    c.native_social_exchange(&NativeSocialExchange::apple("c1"))
        .await
        .unwrap();
    c.native_social_exchange(&NativeSocialExchange::apple("c2").omit_scope())
        .await
        .unwrap();
    let sent = server.recorded();
    assert_eq!(
        sent[0].form_value("scope").as_deref(),
        Some(token_exchange::DEFAULT_SCOPE)
    );
    assert_eq!(sent[1].form_value("scope"), None, "{}", sent[1].body);

    // Without `scope`, the server issues every scope of the audience.
    let emu = emulator().await;
    let granted = |tokens: &token_exchange::TokenSet| {
        claims(tokens.access_token.expose())["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let code = emu.apple_authorization_code(AppleCode::new("apple|every-scope"));
    let all = client(&emu)
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(API).omit_scope())
        .await
        .unwrap();
    assert!(
        granted(&all).iter().any(|s| s == "read:messages") && granted(&all).iter().any(|s| s == "write:messages"),
        "{:?}",
        granted(&all)
    );
    let code = emu.apple_authorization_code(AppleCode::new("apple|default-scope"));
    let default = client(&emu)
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(API))
        .await
        .unwrap();
    assert!(
        !granted(&default).iter().any(|s| s == "read:messages"),
        "{:?}",
        granted(&default)
    );
}
