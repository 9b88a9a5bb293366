//! After the exchange: refresh tokens bound to the DPoP key of public clients, rotation with
//! reuse detection (and its reuse interval), `POST /oauth/revoke` (RFC 7009), and rotation of
//! the tenant's signing key.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{
    AppleCode, ClientConfig, Clock, Emulator, EmulatorConfig, RefreshTokenConfig, SAMPLE_API_AUDIENCE,
    SAMPLE_ROTATING_CLIENT_ID,
};

/// An Apple exchange for `client_id` (with `secret` if confidential) asking for a refresh
/// token, with an optional proof; returns the body.
async fn sign_in(emu: &Emulator, client_id: &str, secret: Option<&str>, key: Option<&DpopKey>) -> Value {
    let code = emu.apple_authorization_code(AppleCode::new("apple|refresher"));
    let mut form = with(
        with(apple_form(&code), "client_id", client_id),
        "scope",
        "openid offline_access read:messages",
    );
    form = with(form, "audience", SAMPLE_API_AUDIENCE);
    if let Some(secret) = secret {
        form = with(form, "client_secret", secret);
    }
    let proofs: Vec<String> = key
        .map(|k| k.proof("POST", &emu.token_endpoint(), None, None))
        .into_iter()
        .collect();
    let got = post_token(emu, &form, &proofs).await;
    assert_eq!(got.0, 200, "{}", got.2);
    got.2
}

/// A refresh request; returns status and body.
async fn refresh(
    emu: &Emulator,
    client_id: &str,
    secret: Option<&str>,
    token: &str,
    key: Option<&DpopKey>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("client_id", client_id.to_owned()),
        ("refresh_token", token.to_owned()),
    ];
    if let Some(secret) = secret {
        form.push(("client_secret", secret.to_owned()));
    }
    let proofs: Vec<String> = key
        .map(|k| k.proof("POST", &emu.token_endpoint(), None, None))
        .into_iter()
        .collect();
    let (status, _, body) = post_token(emu, &form, &proofs).await;
    (status, body)
}

/// `POST /oauth/revoke` with a form; returns status, headers and the raw body.
async fn revoke(emu: &Emulator, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = client()
        .post(format!("{}/oauth/revoke", emu.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"].as_str().expect("a refresh token").to_owned()
}

/// A confidential native client (a backend) allowed token exchange and refresh.
fn confidential() -> ClientConfig {
    ClientConfig {
        client_secret: Some("server-secret".into()),
        ..ClientConfig::native("server-app")
    }
}

#[tokio::test]
async fn only_a_public_clients_refresh_token_is_bound_to_its_dpop_key() {
    let emu = start(no_nonce_config().with_client(confidential())).await;
    let key = DpopKey::new();
    let other = DpopKey::new();

    let public = refresh_token(&sign_in(&emu, "native-app", None, Some(&key)).await);
    let (status, body) = refresh(&emu, "native-app", None, &public, Some(&other)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    assert_eq!(refresh(&emu, "native-app", None, &public, Some(&key)).await.0, 200);

    // The confidential client authenticates instead: another key is fine, and binds the new
    // access token.
    let server = refresh_token(&sign_in(&emu, "server-app", Some("server-secret"), Some(&key)).await);
    let (status, body) = refresh(&emu, "server-app", Some("server-secret"), &server, Some(&other)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        segment(body["access_token"].as_str().unwrap(), 1)["cnf"]["jkt"],
        other.jkt()
    );
    assert_eq!(
        refresh(&emu, "server-app", Some("server-secret"), &server, None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn rotating_refresh_tokens_are_single_use_and_reuse_revokes_the_family() {
    let emu = start(no_nonce_config()).await;
    let key = DpopKey::new();
    let first = refresh_token(&sign_in(&emu, SAMPLE_ROTATING_CLIENT_ID, None, Some(&key)).await);

    let (status, body) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &first, Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    let second = refresh_token(&body);
    assert_ne!(second, first);
    assert_eq!(body["token_type"], "DPoP");
    // The rotated token keeps the family's binding.
    let (status, _) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &second, Some(&DpopKey::new())).await;
    assert_eq!(status, 400, "another key");
    let (status, body) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &second, Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    let third = refresh_token(&body);

    // The first token again: reuse. Everything of the family is revoked, the latest included.
    let (status, body) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &first, Some(&key)).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")), "{body}");
    let (status, body) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &third, Some(&key)).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")), "{body}");

    // A non-rotating client keeps its token and gets no new one.
    let kept = refresh_token(&sign_in(&emu, "native-app", None, Some(&key)).await);
    for _ in 0..2 {
        let (status, body) = refresh(&emu, "native-app", None, &kept, Some(&key)).await;
        assert_eq!(status, 200);
        assert!(body.get("refresh_token").is_none(), "{body}");
    }
}

#[tokio::test]
async fn the_latest_retired_token_may_be_reused_within_the_reuse_interval() {
    let clock = Clock::frozen();
    let client = ClientConfig {
        refresh_token: RefreshTokenConfig::rotating(30),
        ..ClientConfig::native("leeway-app")
    };
    let emu = start(EmulatorConfig {
        clock: clock.clone(),
        ..no_nonce_config().with_client(client)
    })
    .await;
    let key = DpopKey::new();
    // Proofs carry the emulator's (frozen) time.
    let proof_refresh = |token: String| {
        let emu = &emu;
        let key = &key;
        let clock = clock.clone();
        async move {
            let form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", "leeway-app".to_owned()),
                ("refresh_token", token),
            ];
            let proof = key.proof_at(clock.now_secs(), "POST", &emu.token_endpoint(), None);
            let (status, _, body) = post_token(emu, &form, &[proof]).await;
            (status, body)
        }
    };
    let code = emu.apple_authorization_code(AppleCode::new("apple|leeway"));
    let form = with(
        with(apple_form(&code), "client_id", "leeway-app"),
        "scope",
        "openid offline_access",
    );
    let proof = key.proof_at(clock.now_secs(), "POST", &emu.token_endpoint(), None);
    let first = refresh_token(&post_token(&emu, &form, &[proof]).await.2);

    let (status, body) = proof_refresh(first.clone()).await;
    assert_eq!(status, 200, "{body}");
    let second = refresh_token(&body);
    clock.advance(Duration::from_secs(29));
    let (status, body) = proof_refresh(first.clone()).await;
    assert_eq!(status, 200, "29 s after its rotation, within the 30 s interval: {body}");
    assert_ne!(refresh_token(&body), second);
    clock.advance(Duration::from_secs(1));
    let (status, _) = proof_refresh(first).await;
    assert_eq!(status, 403, "30 s after: reuse detected");
    let (status, _) = proof_refresh(second).await;
    assert_eq!(status, 403, "and the family is revoked");
}

#[tokio::test]
async fn revocation_answers_200_and_takes_the_tokens_family() {
    let emu = start(no_nonce_config().with_client(confidential())).await;
    let key = DpopKey::new();
    let first = refresh_token(&sign_in(&emu, SAMPLE_ROTATING_CLIENT_ID, None, Some(&key)).await);
    let second = refresh_token(
        &refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &first, Some(&key))
            .await
            .1,
    );

    // Revoking the retired token takes the live one too.
    let (status, headers, body) = revoke(
        &emu,
        &[
            ("client_id", SAMPLE_ROTATING_CLIENT_ID),
            ("token", &first),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(headers["cache-control"], "no-store");
    let (status, body) = refresh(&emu, SAMPLE_ROTATING_CLIENT_ID, None, &second, Some(&key)).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")));

    // Unknown tokens, access tokens and other clients' tokens: 200, nothing revoked.
    let tokens = sign_in(&emu, "native-app", None, None).await;
    let kept = refresh_token(&tokens);
    let access = tokens["access_token"].as_str().unwrap();
    for token in ["not-a-token", access, &kept] {
        let (status, _, _) = revoke(&emu, &[("client_id", SAMPLE_ROTATING_CLIENT_ID), ("token", token)]).await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        refresh(&emu, "native-app", None, &kept, None).await.0,
        200,
        "another client's token stays"
    );
    let userinfo = client()
        .get(emu.userinfo_endpoint())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200, "access tokens are not revoked");

    // A confidential client authenticates as at the token endpoint.
    let server = refresh_token(&sign_in(&emu, "server-app", Some("server-secret"), None).await);
    let (status, _, body) = revoke(&emu, &[("client_id", "server-app"), ("token", &server)]).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "invalid_client");
    let (status, _, _) = revoke(
        &emu,
        &[
            ("client_id", "server-app"),
            ("client_secret", "server-secret"),
            ("token", &server),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh(&emu, "server-app", Some("server-secret"), &server, None)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn revocation_requests_are_checked_like_token_requests() {
    let emu = start(no_nonce_config()).await;
    let (status, _, body) = revoke(&emu, &[("client_id", "native-app")]).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error_description"], "Missing required parameter: token");
    let (status, _, _) = revoke(&emu, &[("token", "x")]).await;
    assert_eq!(status, 400, "no client_id");
    let (status, _, _) = revoke(&emu, &[("client_id", "nobody"), ("token", "x")]).await;
    assert_eq!(status, 401);
    let resp = client()
        .post(format!("{}/oauth/revoke", emu.base_url()))
        .json(&json!({"client_id": "native-app", "token": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "form-urlencoded only");
    let discovery = emu.openid_configuration();
    assert_eq!(
        discovery["revocation_endpoint"],
        format!("{}/oauth/revoke", emu.base_url())
    );
}

#[tokio::test]
async fn a_rotated_signing_key_signs_new_tokens_and_the_old_one_is_kept_or_dropped() {
    let emu = start(EmulatorConfig {
        fresh_signing_key: true,
        ..no_nonce_config()
    })
    .await;
    let old_kid = emu.signing_key_id();
    let old_token = sign_in(&emu, "native-app", None, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let userinfo = |token: String| {
        let url = emu.userinfo_endpoint();
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    // Through the control API, keeping the old key.
    let resp = control_client(emu.control_secret())
        .post(format!("{}/emulator/rotate-signing-key", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let new_kid = resp.json::<Value>().await.unwrap()["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(emu.signing_key_id(), new_kid);
    let jwks: Value = client().get(emu.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    let new_token = sign_in(&emu, "native-app", None, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(segment(&new_token, 0)["kid"], new_kid.as_str());
    verify_with_jwks(&new_token, &jwks);
    assert_eq!(userinfo(old_token.clone()).await, 200, "the old key still verifies");

    // Through the Rust API, dropping the others.
    let newest = emu.rotate_signing_key(false).unwrap();
    assert_eq!(emu.jwks()["keys"].as_array().unwrap().len(), 1);
    assert_eq!(emu.jwks()["keys"][0]["kid"], newest.as_str());
    assert_eq!(userinfo(old_token).await, 401, "a dropped key no longer verifies");
    assert_eq!(userinfo(new_token).await, 401);

    // The control endpoint needs the control secret.
    let resp = client()
        .post(format!("{}/emulator/rotate-signing-key", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn rotation_is_a_client_setting_of_the_management_api() {
    let emu = start(no_nonce_config()).await;
    let token = emu.management_token();
    let url = format!("{}clients/native-app", emu.management_api());
    let patch = |body: Value| {
        let url = url.clone();
        let token = token.clone();
        async move {
            let resp = client().patch(url).bearer_auth(token).json(&body).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = patch(json!({"refresh_token": {"rotation_type": "spinning"}})).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    let (status, body) = patch(json!({"refresh_token": {"rotation_type": "rotating", "leeway": 0,
                                                         "expiration_type": "expiring"}}))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"]["rotation_type"], "rotating");
    let first = refresh_token(&sign_in(&emu, "native-app", None, None).await);
    let (status, body) = refresh(&emu, "native-app", None, &first, None).await;
    assert_eq!(status, 200);
    assert_ne!(refresh_token(&body), first, "rotated");
}
