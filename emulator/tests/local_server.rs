//! Who may talk to the emulator: only requests addressed to it (`Host` check against DNS
//! rebinding) and, on the control API, only callers holding the control secret or a
//! management token.

mod common;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{AppleCode, EmulatorConfig};

/// Sends `GET path` with an explicit `Host` header; returns the status and JSON body.
async fn get_with_host(base: &str, path: &str, host: &str) -> (u16, Value) {
    let resp = control_client("irrelevant")
        .get(format!("{base}{path}"))
        .header("host", host)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn requests_for_another_host_name_are_misdirected() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    let port = emu.local_addr().port();
    for path in [
        "/.well-known/openid-configuration",
        "/emulator/health",
        "/api/v2/clients",
        "/userinfo",
    ] {
        let (status, body) = get_with_host(base, path, &format!("attacker.example:{port}")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (421, Some("misdirected_request")),
            "{path}"
        );
    }
    let form = apple_form(&emu.apple_authorization_code(AppleCode::default()));
    let resp = client()
        .post(emu.token_endpoint())
        .header("host", "rebound.attacker.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 421);
    // The code was not touched: the same request addressed to the emulator succeeds.
    assert_eq!(post_token(&emu, &form, &[]).await.0, 200);

    for own in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "app.localhost".into(),
    ] {
        let (status, _) = get_with_host(base, "/emulator/health", &own).await;
        assert_eq!(status, 200, "{own}");
    }
}

#[tokio::test]
async fn configured_host_names_are_accepted() {
    let config = EmulatorConfig {
        allowed_hosts: vec!["emulator.internal".into()],
        ..EmulatorConfig::default()
    };
    let emu = start(config).await;
    let (status, _) = get_with_host(emu.base_url(), "/emulator/health", "Emulator.Internal:443").await;
    assert_eq!(status, 200);
    let (status, _) = get_with_host(emu.base_url(), "/emulator/health", "other.internal").await;
    assert_eq!(status, 421);
    let bad = EmulatorConfig {
        allowed_hosts: vec!["with space".into()],
        ..EmulatorConfig::default()
    };
    assert!(token_exchange_emulator::Emulator::start(bad).await.is_err());
}

#[tokio::test]
async fn control_endpoints_need_the_control_secret_or_a_management_token() {
    let emu = start(EmulatorConfig::default()).await;
    let queue = format!("{}/emulator/token-responses", emu.base_url());
    let canned = json!({"status": 418, "body": "teapot"});
    let anonymous = client().post(&queue).json(&canned).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let wrong = control_client("not-the-secret")
        .post(&queue)
        .json(&canned)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let limited_scheme = client()
        .post(&queue)
        .header("authorization", format!("Basic {}", emu.control_secret()))
        .json(&canned)
        .send()
        .await
        .unwrap();
    assert_eq!(limited_scheme.status().as_u16(), 401, "only the Bearer scheme");
    // Nothing was queued by the refused requests.
    let form = apple_form(&emu.apple_authorization_code(AppleCode::default()));
    assert_eq!(post_token(&emu, &form, &[]).await.0, 200);

    let with_secret = control_client(emu.control_secret())
        .post(&queue)
        .json(&canned)
        .send()
        .await
        .unwrap();
    assert_eq!(with_secret.status().as_u16(), 201);
    let with_management_token = control_client(&emu.management_token())
        .delete(&queue)
        .send()
        .await
        .unwrap();
    assert_eq!(with_management_token.status().as_u16(), 200);
    let body: Value = with_management_token.json().await.unwrap();
    assert_eq!(body["cleared"], 1);

    // Health and the test Google issuer's public keys need nothing.
    let health = client()
        .get(format!("{}/emulator/health", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let jwks = client().get(emu.google_jwks_uri()).send().await.unwrap();
    assert_eq!(jwks.status().as_u16(), 200);
}

#[tokio::test]
async fn a_configured_control_secret_is_used_and_secrets_differ_per_emulator() {
    let config = EmulatorConfig {
        control_secret: Some("ci-pipeline-secret".into()),
        ..EmulatorConfig::default()
    };
    let emu = start(config).await;
    assert_eq!(emu.control_secret(), "ci-pipeline-secret");
    let a = start(EmulatorConfig::default()).await;
    let b = start(EmulatorConfig::default()).await;
    assert_ne!(a.control_secret(), b.control_secret());
    assert!(a.control_secret().len() >= 32);
}
