//! The control API's inputs: durations that would overflow the clock are refused with `400`
//! before anything is stored, and the emulator keeps serving.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{AppleCode, EmulatorConfig, FacebookToken, GoogleIdToken, MAX_LIFETIME_SECS};

#[tokio::test]
async fn absurd_durations_are_refused_and_the_emulator_keeps_serving() {
    let emu = start(EmulatorConfig::default()).await;
    let control = control_client(emu.control_secret());
    let url = |path: &str| format!("{}/emulator/{path}", emu.base_url());
    let cases = [
        (
            "apple/authorization-codes",
            json!({"expires_in": u64::MAX}),
            "expires_in",
        ),
        ("apple/authorization-codes", json!({"delay_ms": u64::MAX}), "delay_ms"),
        ("facebook/session-tokens", json!({"expires_in": u64::MAX}), "expires_in"),
        ("google/id-tokens", json!({"expires_in": u64::MAX}), "expires_in"),
        ("google/id-tokens", json!({"issued_ago": u64::MAX}), "issued_ago"),
        (
            "vault/connect",
            json!({"user_id": "apple|u", "connection": "google-oauth2", "access_token_lifetime_secs": u64::MAX}),
            "access_token_lifetime_secs",
        ),
        (
            "apple/authorization-codes",
            json!({"expires_in": MAX_LIFETIME_SECS + 1}),
            "expires_in",
        ),
    ];
    for (path, body, field) in cases {
        let resp = control.post(url(path)).json(&body).send().await.unwrap();
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.unwrap();
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(answer["error"], "invalid_request", "{path} {body}");
        assert!(
            answer["error_description"].as_str().unwrap().contains(field),
            "{path} {body}: {answer}"
        );
    }
    // The longest accepted lifetime works, and so does everything after the refusals.
    let resp = control
        .post(url("apple/authorization-codes"))
        .json(&json!({"expires_in": MAX_LIFETIME_SECS}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let minted: Value = resp.json().await.unwrap();
    let form = apple_form(minted["code"].as_str().unwrap());
    assert_eq!(post_token(&emu, &form, &[]).await.0, 200);
    assert!(emu.connected_accounts("apple|u").is_empty(), "nothing was stored");
}

#[tokio::test]
async fn absurd_durations_through_the_rust_api_are_clamped() {
    let emu = start(EmulatorConfig::default()).await;
    let code = emu.apple_authorization_code(AppleCode::default().expires_in(Duration::MAX));
    assert_eq!(post_token(&emu, &apple_form(&code), &[]).await.0, 200);
    let token = emu.facebook_session_token(FacebookToken::default().expires_in(Duration::MAX));
    let form = with(
        apple_form(&token),
        "subject_token_type",
        token_exchange_emulator::FACEBOOK_SESSION_TOKEN_TYPE,
    );
    assert_eq!(post_token(&emu, &form, &[]).await.0, 200);
    let id_token = emu.google_id_token(
        GoogleIdToken::new("1")
            .expires_in(Duration::MAX)
            .issued_ago(Duration::MAX),
    );
    let claims = segment(&id_token, 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        MAX_LIFETIME_SECS
    );
}

#[tokio::test]
async fn absurd_lifetimes_in_the_configuration_are_refused() {
    for config in [
        EmulatorConfig::default().with_access_token_lifetime_secs(u64::MAX),
        EmulatorConfig {
            id_token_lifetime_secs: u64::MAX,
            ..EmulatorConfig::default()
        },
        EmulatorConfig {
            action_timeout_ms: u64::MAX,
            ..EmulatorConfig::default()
        },
        EmulatorConfig::from_json(r#"{"dpop": {"nonce_rotation_secs": 18446744073709551615}}"#).unwrap(),
        EmulatorConfig::from_json(r#"{"dpop": {"iat_leeway_secs": 18446744073709551615}}"#).unwrap(),
        EmulatorConfig::from_json(
            r#"{"connections": [{"name": "google-oauth2", "connected_accounts": [{"user_id": "apple|u", "access_token_lifetime_secs": 18446744073709551615}]}]}"#,
        )
        .unwrap(),
    ] {
        let err = token_exchange_emulator::Emulator::start(config).await.unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
    }
}
