//! The uniffi-facing wrappers against the emulator, from Rust: what Swift and Kotlin get,
//! minus the generated glue (which the Swift and Kotlin suites exercise).

use std::sync::Arc;
use std::time::Duration;

use token_exchange_emulator::{AppleCode, CannedResponse, Emulator, EmulatorConfig, FacebookToken};
use token_exchange_ffi::{
    CancellationToken, ClientConfig, DpopKey, NativeSocialExchange, ResponseProblem, SubjectTokenType,
    TokenExchangeClient, TokenExchangeError, TokenSet, UnboundTokenPolicy, UserProfile,
};

const API: &str = "https://api.example.com";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn client(emu: &Emulator, key: Option<Arc<DpopKey>>) -> Arc<TokenExchangeClient> {
    TokenExchangeClient::new(ClientConfig::new(emu.base_url(), "native-app"), key).expect("client")
}

fn apple(code: String) -> NativeSocialExchange {
    let mut r = NativeSocialExchange::new(code, SubjectTokenType::AppleAuthorizationCode);
    r.audience = Some(API.into());
    r
}

#[tokio::test]
async fn dpop_bound_exchange_through_the_nonce_challenge() {
    let emu = emulator().await;
    let key = DpopKey::generate().unwrap();
    let c = client(&emu, Some(key.clone()));
    let mut request = apple(emu.apple_authorization_code(AppleCode::new("apple|wrap-1").email("w@example.com")));
    request.user_profile = Some(UserProfile {
        name: Some(token_exchange_ffi::PersonName {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
        }),
        extra_json: None,
    });
    let tokens = c.native_social_exchange(request, None).await.unwrap();
    assert!(tokens.is_dpop_bound());
    assert_eq!(tokens.dpop_jkt.as_deref(), Some(key.thumbprint().as_str()));
    assert!(tokens.refresh_token.is_some() && tokens.id_token.is_some());
    assert!(tokens.expires_at.unwrap() > 1_700_000_000);
    let claims: serde_json::Value = serde_json::from_str(&c.userinfo(tokens.clone(), None).await.unwrap()).unwrap();
    assert_eq!(claims["sub"], "apple|wrap-1");
    assert_eq!(claims["given_name"], "Ada");
    let id_claims: serde_json::Value = serde_json::from_str(&tokens.unverified_id_token_claims().unwrap()).unwrap();
    assert_eq!(id_claims["sub"], "apple|wrap-1");

    // A token set rebuilt from stored strings works the same.
    let mut stored = TokenSet::new(tokens.access_token.clone(), tokens.token_type.clone());
    stored.dpop_jkt = tokens.dpop_jkt.clone();
    let headers = c
        .authorization_headers("GET".into(), format!("{}/userinfo", emu.base_url()), stored.clone())
        .unwrap();
    assert!(headers.authorization.starts_with("DPoP "));
    assert!(headers.dpop.is_some());
    assert!(!format!("{headers}").contains(&tokens.access_token));

    // Another key cannot present it.
    let other = client(&emu, Some(DpopKey::generate().unwrap()));
    let err = other
        .authorization_headers("GET".into(), "https://api.example.com/x".into(), stored)
        .unwrap_err();
    assert!(matches!(err, TokenExchangeError::DpopKeyMismatch { .. }));
}

#[tokio::test]
async fn errors_of_each_kind() {
    let emu = emulator().await;
    let c = client(&emu, Some(DpopKey::generate().unwrap()));

    // invalid_grant on a reused Apple code.
    let code = emu.apple_authorization_code(AppleCode::new("apple|wrap-2"));
    c.native_social_exchange(apple(code.clone()), None).await.unwrap();
    let err = c.native_social_exchange(apple(code), None).await.unwrap_err();
    assert!(err.is_invalid_grant(), "{err:?}");
    assert!(err.request_may_have_reached_server() && !err.is_retryable());

    // Invalid input before any I/O.
    let err = c
        .native_social_exchange(apple("Bearer abc".into()), None)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "subject_token"));
    assert!(!err.request_may_have_reached_server());

    // unauthorized_client.
    let no_exchange = TokenExchangeClient::new(ClientConfig::new(emu.base_url(), "no-exchange-app"), None).unwrap();
    let code = emu.apple_authorization_code(AppleCode::default());
    let err = no_exchange.native_social_exchange(apple(code), None).await.unwrap_err();
    assert!(err.is_unauthorized_client());
    assert!(matches!(err, TokenExchangeError::OAuth { status: 403, .. }));

    // MFA: the token is data, never text.
    let code = emu.apple_authorization_code(AppleCode::new("apple|mfa-user"));
    let err = c.native_social_exchange(apple(code), None).await.unwrap_err();
    assert!(err.is_mfa_required());
    let TokenExchangeError::OAuth {
        mfa_token: Some(ref mfa),
        ref mfa_challenge_types,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(!mfa.expose().is_empty());
    assert_eq!(mfa_challenge_types, &vec!["otp".to_owned()]);
    assert!(!format!("{err}{err:?}").contains(mfa.expose()));

    // Unexpected HTML.
    emu.inject_token_response(CannedResponse::html(502, "<html>bad gateway</html>"));
    let code = emu.apple_authorization_code(AppleCode::default());
    let err = c.native_social_exchange(apple(code), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            TokenExchangeError::UnexpectedResponse {
                status: 502,
                problem: ResponseProblem::Html,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());

    // Rate limiting with Retry-After.
    emu.inject_token_response(CannedResponse::too_many_requests(7));
    let fb = NativeSocialExchange::new(
        emu.facebook_session_token(FacebookToken::default()),
        SubjectTokenType::FacebookSessionInfoToken,
    );
    let err = c.native_social_exchange(fb.clone(), None).await.unwrap_err();
    assert!(err.is_rate_limited() && err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    // The Facebook token is reusable: the next try succeeds.
    assert!(c.native_social_exchange(fb, None).await.unwrap().is_dpop_bound());

    // Network error to a closed port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = TokenExchangeClient::new(
        ClientConfig::new(format!("http://127.0.0.1:{closed}"), "native-app"),
        None,
    )
    .unwrap();
    let err = dead
        .native_social_exchange(apple("code".into()), None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        TokenExchangeError::Network {
            kind: token_exchange_ffi::NetworkErrorKind::Connect,
            ..
        }
    ));
    assert!(err.is_network_error() && err.is_retryable() && !err.request_may_have_reached_server());
    // The library's message and predicates reach the binding as computed.
    assert_eq!(
        err.to_string(),
        "network error: could not connect (the request did not reach the server)"
    );
    assert_eq!(err.info().message, err.to_string());
}

#[tokio::test]
async fn bad_configuration_names_the_field() {
    for (config, field) in [
        (ClientConfig::new("", "native-app"), "domain"),
        (ClientConfig::new("http://example.com", "native-app"), "domain"),
        (ClientConfig::new("tenant.example.com", ""), "client_id"),
        (
            ClientConfig {
                timeout: Some(Duration::ZERO),
                ..ClientConfig::new("tenant.example.com", "x")
            },
            "timeout",
        ),
        (
            ClientConfig {
                max_response_bytes: Some(-1),
                ..ClientConfig::new("tenant.example.com", "x")
            },
            "max_response_bytes",
        ),
    ] {
        match TokenExchangeClient::new(config, None) {
            Err(TokenExchangeError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn bearer_tokens_are_refused_or_accepted_by_policy() {
    let emu = emulator().await;
    let key = DpopKey::generate().unwrap();
    let canned = || {
        CannedResponse::json(
            200,
            &serde_json::json!({"access_token":"at","token_type":"Bearer","expires_in":60}),
        )
    };
    emu.inject_token_response(canned());
    let err = client(&emu, Some(key.clone()))
        .native_social_exchange(apple("c".into()), None)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenExchangeError::TokenNotBound { ref token_type, .. } if token_type == "Bearer"));
    emu.inject_token_response(canned());
    let accepting = TokenExchangeClient::new(
        ClientConfig {
            unbound_token_policy: Some(UnboundTokenPolicy::Accept),
            ..ClientConfig::new(emu.base_url(), "native-app")
        },
        Some(key),
    )
    .unwrap();
    let tokens = accepting.native_social_exchange(apple("c".into()), None).await.unwrap();
    assert!(!tokens.is_dpop_bound() && tokens.dpop_jkt.is_none());
}

#[tokio::test]
async fn an_exchange_can_leave_out_scope_but_not_set_both() {
    let emu = emulator().await;
    let c = client(&emu, None);
    let mut request = apple(emu.apple_authorization_code(AppleCode::new("apple|wrap-all-scopes")));
    request.omit_scope = true;
    let tokens = c.native_social_exchange(request.clone(), None).await.unwrap();
    let claims = tokens.access_token.split('.').nth(1).unwrap().to_owned();
    assert!(
        tokens.scope.as_deref().unwrap_or("").contains("read:messages"),
        "{claims}"
    );
    request.scope = Some("email".into());
    let err = c.native_social_exchange(request, None).await.unwrap_err();
    assert!(
        matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "scope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_stored_token_with_a_newline_is_invalid_input_not_a_network_error() {
    let emu = emulator().await;
    let c = client(&emu, None);
    let stored = TokenSet::new("stored-token\n", "Bearer");
    let request = token_exchange_ffi::ResourceRequest {
        method: "GET".into(),
        url: format!("{}/userinfo", emu.base_url()),
        headers: vec![],
        body: None,
    };
    let err = c.send_authorized(request, stored.clone(), None).await.unwrap_err();
    assert!(
        matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "access_token"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let err = c
        .authorization_headers("GET".into(), format!("{}/userinfo", emu.base_url()), stored)
        .unwrap_err();
    assert!(
        matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "access_token"),
        "{err:?}"
    );
}

#[tokio::test]
async fn cancelling_stops_a_slow_exchange() {
    let emu = emulator().await;
    let c = client(&emu, Some(DpopKey::generate().unwrap()));
    // The server would answer two minutes later, after the client's own 30 s timeout: only the
    // cancellation can end the call with `Cancelled`, whatever the load.
    let code = emu.apple_authorization_code(AppleCode::default().delay(Duration::from_secs(120)));
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let err = c.native_social_exchange(apple(code), Some(token)).await.unwrap_err();
    assert!(matches!(err, TokenExchangeError::Cancelled { .. }), "{err:?}");
}

#[tokio::test]
async fn software_keys_survive_export() {
    let emu = emulator().await;
    let key = DpopKey::generate().unwrap();
    let c = client(&emu, Some(key.clone()));
    let tokens = c
        .native_social_exchange(apple(emu.apple_authorization_code(AppleCode::default())), None)
        .await
        .unwrap();
    // "Restart": a new client with the restored key presents the old token.
    let restored = DpopKey::from_pkcs8(key.to_pkcs8().unwrap()).unwrap();
    let again = client(&emu, Some(restored));
    assert_eq!(again.dpop_thumbprint(), c.dpop_thumbprint());
    let claims = again.userinfo(tokens, None).await.unwrap();
    assert!(claims.contains("\"sub\""));
}
