//! `POST /oauth/token` native social token exchange: success, tokens, and every rejection.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{
    AppleCode, CannedResponse, ClientConfig, Clock, EmulatorConfig, FACEBOOK_SESSION_TOKEN_TYPE, FacebookToken,
    ISSUED_ACCESS_TOKEN_TYPE, SAMPLE_API_AUDIENCE,
};

const API: &str = SAMPLE_API_AUDIENCE;

#[tokio::test]
async fn apple_exchange_issues_rs256_tokens_that_verify_against_the_served_jwks() {
    let clock = Clock::frozen();
    let emu = start(EmulatorConfig {
        clock: clock.clone(),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(emu.user("apple|new-user").is_none());
    let got = apple_exchange(
        &emu,
        "apple|new-user",
        &[
            ("audience", API),
            ("scope", "openid profile email offline_access read:messages"),
            ("user_profile", r#"{"name":{"firstName":"John","lastName":"Smith"}}"#),
        ],
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.1["cache-control"], "no-store");
    assert_eq!(got.1["pragma"], "no-cache");
    assert!(got.1.get("dpop-nonce").is_none(), "no nonce for a request without DPoP");
    let body = &got.2;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["issued_token_type"], ISSUED_ACCESS_TOKEN_TYPE);
    assert_eq!(body["scope"], "openid profile email offline_access read:messages");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["refresh_token"].as_str().is_some_and(|r| r.len() > 20));

    let jwks: Value = client().get(emu.jwks_uri()).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks, emu.jwks());
    let at = verify_with_jwks(body["access_token"].as_str().unwrap(), &jwks);
    assert_eq!(at["iss"], emu.issuer());
    assert_eq!(emu.issuer(), format!("{}/", emu.base_url()));
    assert_eq!(at["sub"], "apple|new-user");
    assert_eq!(at["aud"], json!([API, format!("{}/userinfo", emu.base_url())]));
    assert_eq!(at["azp"], "native-app");
    assert_eq!(at["scope"], body["scope"]);
    assert!(at["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert_eq!(at["exp"].as_u64().unwrap() - at["iat"].as_u64().unwrap(), 86_400);
    assert!(at.get("cnf").is_none());
    assert_eq!(at["iat"].as_u64(), Some(clock.now_secs()), "iat is the tenant's clock");

    let id = verify_with_jwks(body["id_token"].as_str().unwrap(), &jwks);
    assert_eq!(id["iss"], emu.issuer());
    assert_eq!(id["aud"], "native-app");
    assert_eq!(id["sub"], "apple|new-user");
    assert_eq!(id["name"], "John Smith");
    assert_eq!(id["given_name"], "John");
    assert_eq!(id["family_name"], "Smith");
    assert!(id["exp"].as_u64().unwrap() > id["iat"].as_u64().unwrap());

    let user = emu.user("apple|new-user").expect("user created on first exchange");
    assert_eq!(user.given_name.as_deref(), Some("John"));
}

#[tokio::test]
async fn a_tampered_token_does_not_verify_against_the_jwks() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(&emu, "apple|x", &[]).await;
    let at = got.2["access_token"].as_str().unwrap();
    let mut parts: Vec<String> = at.split('.').map(str::to_owned).collect();
    parts[1] = b64(json!({"sub": "apple|admin"}).to_string());
    let tampered = parts.join(".");
    assert!(rs256_verifies(at, &emu.jwks()));
    assert!(
        !rs256_verifies(&tampered, &emu.jwks()),
        "tampered token must not verify"
    );
}

#[tokio::test]
async fn apple_name_is_remembered_and_email_comes_from_the_code() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::new("001.abc").email("jane@example.com"));
    let form = with(
        apple_form(&code),
        "user_profile",
        r#"{"name":{"firstName":"Jane","lastName":"Doe"}}"#,
    );
    let first = post_token(&emu, &with(form, "scope", "openid profile email"), &[]).await;
    assert_eq!(first.0, 200, "{}", first.2);
    // Apple sends the name only the first time.
    let second = apple_exchange(&emu, "apple|001.abc", &[("scope", "openid profile email")]).await;
    assert_eq!(second.0, 200, "{}", second.2);
    let id = segment(second.2["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["sub"], "apple|001.abc", "a bare sub gets the apple| prefix");
    assert_eq!(id["name"], "Jane Doe");
    assert_eq!(id["family_name"], "Doe");
    assert_eq!(id["email"], "jane@example.com");
}

#[tokio::test]
async fn apple_codes_are_single_use() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default());
    let first = post_token(&emu, &apple_form(&code), &[]).await;
    assert_eq!(first.0, 200, "{}", first.2);
    let second = post_token(&emu, &apple_form(&code), &[]).await;
    assert_error(&second, 403, "invalid_grant");
    assert!(
        second.2["error_description"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
}

#[tokio::test]
async fn expired_and_unknown_apple_codes_are_invalid_grant() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default().expires_in(Duration::ZERO));
    let got = post_token(&emu, &apple_form(&code), &[]).await;
    assert_error(&got, 403, "invalid_grant");
    assert!(got.2["error_description"].as_str().unwrap().contains("expired"));
    let got = post_token(&emu, &apple_form("c-never-minted"), &[]).await;
    assert_error(&got, 403, "invalid_grant");
}

#[tokio::test]
async fn delayed_code_is_consumed_even_when_the_client_gives_up() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default().delay(Duration::from_secs(3)));
    let timed_out = client()
        .post(emu.token_endpoint())
        .form(&apple_form(&code))
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    // The server consumed the code on receipt, before its delayed answer.
    let retry = post_token(&emu, &apple_form(&code), &[]).await;
    assert_error(&retry, 403, "invalid_grant");

    // A client that waits long enough gets the tokens.
    let code = emu.apple_authorization_code(AppleCode::default().delay(Duration::from_millis(300)));
    let ok = post_token(&emu, &apple_form(&code), &[]).await;
    assert_eq!(ok.0, 200);
}

fn facebook_form(token: &str) -> Vec<(&'static str, String)> {
    let form = apple_form(token);
    with(form, "subject_token_type", FACEBOOK_SESSION_TOKEN_TYPE)
}

#[tokio::test]
async fn facebook_tokens_work_while_valid_and_fail_once_expired() {
    let emu = start(EmulatorConfig::default()).await;
    let token = emu.facebook_session_token(FacebookToken::default().email("fb@example.com"));
    for _ in 0..2 {
        let got = post_token(&emu, &with(facebook_form(&token), "scope", "openid email"), &[]).await;
        assert_eq!(got.0, 200, "{}", got.2);
        let id = segment(got.2["id_token"].as_str().unwrap(), 1);
        assert_eq!(id["sub"], "facebook|10000000001");
        assert_eq!(id["email"], "fb@example.com");
    }
    let expired = emu.facebook_session_token(FacebookToken::new("42").expires_in(Duration::ZERO));
    let got = post_token(&emu, &facebook_form(&expired), &[]).await;
    assert_error(&got, 403, "invalid_grant");
    assert!(got.2["error_description"].as_str().unwrap().contains("expired"));
    // An Apple code is not a Facebook token.
    let code = emu.apple_authorization_code(AppleCode::default());
    assert_error(
        &post_token(&emu, &facebook_form(&code), &[]).await,
        403,
        "invalid_grant",
    );
}

#[tokio::test]
async fn default_scope_is_openid_profile_email_plus_all_api_scopes() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(&emu, "apple|s", &[("audience", API)]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["scope"], "openid profile email read:messages write:messages");
    assert!(
        got.2.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    assert!(got.2.get("id_token").is_some());
}

#[tokio::test]
async fn scopes_the_audience_does_not_define_are_dropped_and_the_response_says_what_was_issued() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(
        &emu,
        "apple|s",
        &[("audience", API), ("scope", "openid delete:everything read:messages")],
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["scope"], "openid read:messages");
    let at = verify_with_jwks(got.2["access_token"].as_str().unwrap(), &emu.jwks());
    assert_eq!(at["scope"], "openid read:messages");
    // Without an audience no API scope is defined: only the OIDC ones remain.
    let got = apple_exchange(&emu, "apple|s", &[("scope", "openid read:messages")]).await;
    assert_eq!((got.0, got.2["scope"].as_str()), (200, Some("openid")));
}

#[tokio::test]
async fn without_audience_the_token_is_for_userinfo_and_resource_works_like_audience() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(&emu, "apple|s", &[("scope", "openid")]).await;
    let at = segment(got.2["access_token"].as_str().unwrap(), 1);
    assert_eq!(at["aud"], format!("{}/userinfo", emu.base_url()));
    assert_eq!(got.2["scope"], "openid");

    let got = apple_exchange(&emu, "apple|s", &[("resource", API), ("scope", "read:messages")]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let at = segment(got.2["access_token"].as_str().unwrap(), 1);
    assert_eq!(at["aud"], API);
    assert!(got.2.get("id_token").is_none(), "no openid, no ID token");
}

#[tokio::test]
async fn request_errors_have_auth0_codes_statuses_and_descriptions() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default());
    let base = apple_form(&code);
    let cases: Vec<(Form, u16, &str, &str)> = vec![
        (
            without(base.clone(), "grant_type"),
            400,
            "invalid_request",
            "Missing required parameter: grant_type",
        ),
        (
            with(base.clone(), "grant_type", "password"),
            400,
            "unsupported_grant_type",
            "password",
        ),
        (
            without(base.clone(), "subject_token"),
            400,
            "invalid_request",
            "Missing required parameter: subject_token",
        ),
        (
            without(base.clone(), "subject_token_type"),
            400,
            "invalid_request",
            "Missing required parameter: subject_token_type",
        ),
        (
            with(base.clone(), "subject_token", ""),
            400,
            "invalid_request",
            "subject_token",
        ),
        (
            without(base.clone(), "client_id"),
            400,
            "invalid_request",
            "Missing required parameter: client_id",
        ),
        (
            with(base.clone(), "subject_token_type", "urn:example:google-id-token"),
            400,
            "invalid_request",
            "subject_token_type",
        ),
        (
            with(base.clone(), "client_id", "nobody"),
            401,
            "invalid_client",
            "nobody",
        ),
        (
            with(base.clone(), "client_id", "no-exchange-app"),
            403,
            "unauthorized_client",
            "not allowed",
        ),
        (
            with(base.clone(), "audience", "https://unknown.example.com"),
            403,
            "access_denied",
            "Service not found: https://unknown.example.com",
        ),
        (
            with(with(base.clone(), "audience", API), "resource", API),
            400,
            "invalid_request",
            "audience",
        ),
        (
            with(base.clone(), "user_profile", "{not json"),
            400,
            "invalid_request",
            "user_profile",
        ),
    ];
    for (form, status, error, description) in cases {
        let got = post_token(&emu, &form, &[]).await;
        assert_error(&got, status, error);
        let d = got.2["error_description"].as_str().unwrap();
        assert!(d.contains(description), "{d:?} should mention {description:?}");
        assert!(!d.contains(&code), "descriptions never echo the subject token");
    }
    // None of the rejected requests consumed the code.
    assert_eq!(post_token(&emu, &base, &[]).await.0, 200);
}

#[tokio::test]
async fn malformed_requests_are_invalid_request() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default());
    let json = client()
        .post(emu.token_endpoint())
        .json(&json!({"grant_type": TOKEN_EXCHANGE}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let repeated = format!(
        "grant_type={}&client_id=native-app&client_id=native-app&subject_token={code}&subject_token_type={}",
        TOKEN_EXCHANGE,
        token_exchange_emulator::APPLE_AUTHZ_CODE_TYPE
    );
    let resp = client()
        .post(emu.token_endpoint())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(repeated)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].as_str().unwrap().contains("client_id"));
}

#[tokio::test]
async fn blocked_user_gets_access_denied_and_mfa_user_gets_mfa_required() {
    let emu = start(EmulatorConfig::default()).await;
    let blocked = apple_exchange(&emu, "apple|blocked-user", &[]).await;
    assert_error(&blocked, 403, "access_denied");
    assert_eq!(blocked.2["error_description"], "user is blocked");

    let mfa = apple_exchange(&emu, "apple|mfa-user", &[]).await;
    assert_error(&mfa, 403, "mfa_required");
    assert!(mfa.2["mfa_token"].as_str().is_some_and(|t| t.len() >= 20));
    assert_eq!(mfa.2["mfa_requirements"], json!({"challenge": [{"type": "otp"}]}));
}

#[tokio::test]
async fn brute_force_protection_blocks_an_ip_after_consecutive_failures() {
    // A confidential client (a server exchanging codes on its users' behalf): the only kind
    // whose auth0-forwarded-for is trusted.
    let server = ClientConfig {
        client_secret: Some("server-secret".into()),
        ..ClientConfig::native("server-app")
    };
    let emu = start(
        EmulatorConfig::default()
            .with_brute_force_threshold(3)
            .with_client(server),
    )
    .await;
    let attacker = "203.0.113.7";
    let post_from = |ip: &'static str, code: String| {
        let emu = &emu;
        let form = with(
            with(apple_form(&code), "client_id", "server-app"),
            "client_secret",
            "server-secret",
        );
        async move {
            let resp = client()
                .post(emu.token_endpoint())
                .header("auth0-forwarded-for", ip)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            (status, body)
        }
    };
    // A success resets the counter.
    for _ in 0..2 {
        assert_eq!(post_from(attacker, "wrong".into()).await.0, 403);
    }
    assert_eq!(
        post_from(attacker, emu.apple_authorization_code(AppleCode::default()))
            .await
            .0,
        200
    );
    for _ in 0..3 {
        let (status, body) = post_from(attacker, "wrong".into()).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")));
    }
    let good = emu.apple_authorization_code(AppleCode::default());
    let (status, body) = post_from(attacker, good.clone()).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")));
    // Other end users (and the peer IP without the header) are not affected.
    assert_eq!(post_from("198.51.100.1", good.clone()).await.0, 200);
    assert_eq!(
        post_token(
            &emu,
            &apple_form(&emu.apple_authorization_code(AppleCode::default())),
            &[]
        )
        .await
        .0,
        200
    );
    emu.reset_brute_force();
    assert_eq!(
        post_from(attacker, emu.apple_authorization_code(AppleCode::default()))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_public_client_cannot_choose_the_ip_its_failures_count_against() {
    let emu = start(EmulatorConfig::default().with_brute_force_threshold(2)).await;
    for (i, ip) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        let resp = client()
            .post(emu.token_endpoint())
            .header("auth0-forwarded-for", ip)
            .form(&apple_form(&format!("guess-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403);
    }
    // Two failures from the same peer, whatever the header said: the peer is blocked.
    let resp = client()
        .post(emu.token_endpoint())
        .header("auth0-forwarded-for", "198.51.100.77")
        .form(&apple_form(&emu.apple_authorization_code(AppleCode::default())))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
}

#[tokio::test]
async fn brute_force_uses_the_peer_ip_when_no_forwarded_header() {
    let emu = start(EmulatorConfig::default().with_brute_force_threshold(1)).await;
    assert_eq!(post_token(&emu, &apple_form("wrong"), &[]).await.0, 403);
    let got = post_token(
        &emu,
        &apple_form(&emu.apple_authorization_code(AppleCode::default())),
        &[],
    )
    .await;
    assert_error(&got, 429, "too_many_attempts");
}

#[tokio::test]
async fn canned_responses_are_served_in_fifo_order_then_normal_processing_resumes() {
    let emu = start(EmulatorConfig::default()).await;
    emu.inject_token_response(CannedResponse::too_many_requests(30));
    emu.inject_token_response(CannedResponse::html(
        503,
        "<html><body>Service Unavailable</body></html>",
    ));
    emu.inject_token_response(CannedResponse::huge(2 * 1024 * 1024));
    emu.inject_token_response(CannedResponse::code_description_error(400, "invalid_body", "Bad body"));
    emu.inject_token_response(CannedResponse::text(500, "oops"));
    let form = apple_form("x");

    let r = client().post(emu.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "too_many_requests");

    let r = client().post(emu.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("<html>"));

    let r = client().post(emu.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 2 * 1024 * 1024);

    let r = client().post(emu.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": "invalid_body", "description": "Bad body"})
    );

    let r = client().post(emu.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (500, "oops".to_owned()));

    assert_error(&post_token(&emu, &form, &[]).await, 403, "invalid_grant");
    emu.inject_token_response(CannedResponse::new(502));
    assert_eq!(emu.clear_injected_token_responses(), 1);
    assert_eq!(post_token(&emu, &form, &[]).await.0, 403);
}

#[tokio::test]
async fn refresh_tokens_issue_new_access_tokens_for_the_same_user() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(
        &emu,
        "apple|r",
        &[("audience", API), ("scope", "openid offline_access read:messages")],
    )
    .await;
    let rt = got.2["refresh_token"].as_str().unwrap().to_owned();
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("client_id", "native-app".to_owned()),
        ("refresh_token", rt.clone()),
    ];
    let refreshed = post_token(&emu, &form, &[]).await;
    assert_eq!(refreshed.0, 200, "{}", refreshed.2);
    assert_eq!(refreshed.2["token_type"], "Bearer");
    assert!(
        refreshed.2.get("refresh_token").is_none(),
        "refresh tokens are not rotated"
    );
    let at = verify_with_jwks(refreshed.2["access_token"].as_str().unwrap(), &emu.jwks());
    assert_eq!(at["sub"], "apple|r");
    assert_eq!(at["scope"], "openid offline_access read:messages");

    let narrowed = post_token(&emu, &with(form.clone(), "scope", "read:messages"), &[]).await;
    assert_eq!(narrowed.2["scope"], "read:messages");
    assert_error(
        &post_token(&emu, &with(form.clone(), "scope", "write:messages"), &[]).await,
        403,
        "invalid_scope",
    );
    assert_error(
        &post_token(&emu, &with(form.clone(), "refresh_token", "nope"), &[]).await,
        403,
        "invalid_grant",
    );
    assert_error(
        &post_token(&emu, &without(form.clone(), "refresh_token"), &[]).await,
        400,
        "invalid_request",
    );
    // Another client (that may use refresh tokens) cannot use this client's refresh token.
    let other_client = with(form, "client_id", "no-exchange-app");
    assert_error(&post_token(&emu, &other_client, &[]).await, 403, "invalid_grant");
}

#[tokio::test]
async fn discovery_document_describes_the_endpoints() {
    let emu = start(EmulatorConfig::default()).await;
    let doc: Value = client()
        .get(format!("{}/.well-known/openid-configuration", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], emu.issuer());
    assert_eq!(doc["token_endpoint"], emu.token_endpoint());
    assert_eq!(doc["jwks_uri"], emu.jwks_uri());
    assert_eq!(doc["userinfo_endpoint"], emu.userinfo_endpoint());
    assert_eq!(doc["dpop_signing_alg_values_supported"], json!(["ES256"]));
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(TOKEN_EXCHANGE))
    );
    assert_eq!(doc, emu.openid_configuration());
}

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emu = start(EmulatorConfig::default()).await;
    let url = emu.jwks_uri();
    assert!(client().get(&url).send().await.unwrap().status().is_success());
    drop(emu);
    let mut stopped = false;
    for _ in 0..50 {
        if client().get(&url).send().await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped, "server still answering after drop");
}

#[tokio::test]
async fn start_rejects_a_non_loopback_host() {
    let config = EmulatorConfig {
        host: "0.0.0.0".parse().unwrap(),
        ..EmulatorConfig::default()
    };
    let err = token_exchange_emulator::Emulator::start(config).await.unwrap_err();
    assert!(err.to_string().contains("loopback"));
}
