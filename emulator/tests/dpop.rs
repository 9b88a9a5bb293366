//! DPoP (RFC 9449) at the token endpoint and at `/userinfo`: bound tokens, every class of
//! invalid proof, nonces (challenge, rotation, separate realms) and the retry-once knob.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{AppleCode, Clock, DpopConfig, Emulator, EmulatorConfig};

/// Exchanges an Apple code with a proof; handles one nonce challenge. Returns the body.
async fn bound_exchange(emu: &Emulator, key: &DpopKey, scope: &str) -> Value {
    let code = emu.apple_authorization_code(AppleCode::new("apple|dpop-user").email("d@example.com"));
    let form = with(
        with(apple_form(&code), "scope", scope),
        "user_profile",
        r#"{"name":{"firstName":"Dee","lastName":"Pop"}}"#,
    );
    let mut nonce: Option<String> = None;
    for _ in 0..2 {
        let proof = key.proof("POST", &emu.token_endpoint(), nonce.as_deref(), None);
        let got = post_token(emu, &form, &[proof]).await;
        if got.0 == 400 && got.2["error"] == "use_dpop_nonce" {
            nonce = Some(got.1["dpop-nonce"].to_str().unwrap().to_owned());
            continue;
        }
        assert_eq!(got.0, 200, "{}", got.2);
        return got.2;
    }
    panic!("nonce challenge repeated");
}

#[tokio::test]
async fn a_proof_binds_the_access_token_and_refresh_token_to_the_key() {
    let emu = start(no_nonce_config()).await;
    let key = DpopKey::new();
    let body = bound_exchange(&emu, &key, "openid offline_access").await;
    assert_eq!(body["token_type"], "DPoP");
    let at = verify_with_jwks(body["access_token"].as_str().unwrap(), &emu.jwks());
    assert_eq!(at["cnf"], json!({ "jkt": key.jkt() }));

    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("client_id", "native-app".to_owned()),
        ("refresh_token", body["refresh_token"].as_str().unwrap().to_owned()),
    ];
    let no_proof = post_token(&emu, &form, &[]).await;
    assert_error(&no_proof, 400, "invalid_dpop_proof");
    let other = DpopKey::new().proof("POST", &emu.token_endpoint(), None, None);
    let wrong_key = post_token(&emu, &form, &[other]).await;
    assert_error(&wrong_key, 400, "invalid_dpop_proof");
    assert!(wrong_key.2["error_description"].as_str().unwrap().contains("bound"));
    let proof = key.proof("POST", &emu.token_endpoint(), None, None);
    let refreshed = post_token(&emu, &form, &[proof]).await;
    assert_eq!(refreshed.0, 200, "{}", refreshed.2);
    assert_eq!(refreshed.2["token_type"], "DPoP");
    let at = segment(refreshed.2["access_token"].as_str().unwrap(), 1);
    assert_eq!(at["cnf"]["jkt"], key.jkt());
}

#[tokio::test]
async fn every_class_of_invalid_proof_is_rejected_without_consuming_the_code() {
    // The emulator's clock stands still: "301 s off" stays 301 s off however long this takes.
    let clock = Clock::frozen();
    let emu = start(EmulatorConfig {
        clock: clock.clone(),
        ..no_nonce_config()
    })
    .await;
    let now = clock.now_secs();
    let key = DpopKey::new();
    let url = emu.token_endpoint();
    let code = emu.apple_authorization_code(AppleCode::default());
    let form = apple_form(&code);
    let header = key.header();
    let good = claims_at(now, "POST", &url, None, None);
    let set = |mut v: Value, k: &str, x: Value| {
        v[k] = x;
        v
    };
    let unsigned = |h: &Value, c: &Value| format!("{}.{}.", b64(h.to_string()), b64(c.to_string()));
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "wrong htm",
            vec![key.sign(&header, &set(good.clone(), "htm", json!("GET")))],
            "htm",
        ),
        (
            "lower-case htm",
            vec![key.sign(&header, &set(good.clone(), "htm", json!("post")))],
            "htm",
        ),
        (
            "wrong htu path",
            vec![key.sign(
                &header,
                &set(good.clone(), "htu", json!(format!("{}/token", emu.base_url()))),
            )],
            "htu",
        ),
        (
            "wrong htu host",
            vec![key.sign(
                &header,
                &set(good.clone(), "htu", json!(url.replace("127.0.0.1", "localhost"))),
            )],
            "htu",
        ),
        (
            "https htu",
            vec![key.sign(
                &header,
                &set(good.clone(), "htu", json!(url.replace("http:", "https:"))),
            )],
            "htu",
        ),
        (
            "stale iat",
            vec![key.sign(&header, &set(good.clone(), "iat", json!(now - 301)))],
            "iat",
        ),
        (
            "future iat",
            vec![key.sign(&header, &set(good.clone(), "iat", json!(now + 301)))],
            "iat",
        ),
        (
            "no jti",
            vec![key.sign(&header, &{
                let mut c = good.clone();
                c.as_object_mut().unwrap().remove("jti");
                c
            })],
            "jti",
        ),
        (
            "private key in jwk",
            vec![key.sign(&set(header.clone(), "jwk", key.private_jwk()), &good)],
            "private",
        ),
        (
            "typ JWT",
            vec![key.sign(&set(header.clone(), "typ", json!("JWT")), &good)],
            "typ",
        ),
        (
            "no typ",
            vec![key.sign(
                &{
                    let mut h = header.clone();
                    h.as_object_mut().unwrap().remove("typ");
                    h
                },
                &good,
            )],
            "typ",
        ),
        (
            "alg HS256",
            vec![key.sign(&set(header.clone(), "alg", json!("HS256")), &good)],
            "HMAC",
        ),
        (
            "alg none",
            vec![unsigned(&set(header.clone(), "alg", json!("none")), &good)],
            "none",
        ),
        (
            "alg RS256",
            vec![key.sign(&set(header.clone(), "alg", json!("RS256")), &good)],
            "alg",
        ),
        (
            "no jwk",
            vec![key.sign(
                &{
                    let mut h = header.clone();
                    h.as_object_mut().unwrap().remove("jwk");
                    h
                },
                &good,
            )],
            "jwk",
        ),
        (
            "signed by another key",
            vec![DpopKey::new().sign(&header, &good)],
            "signature",
        ),
        ("not a JWT", vec!["not-a-jwt".to_owned()], "JWS"),
        (
            "two DPoP headers",
            vec![
                key.proof_at(now, "POST", &url, None),
                key.proof_at(now, "POST", &url, None),
            ],
            "multiple",
        ),
    ];
    for (name, proofs, keyword) in cases {
        let got = post_token(&emu, &form, &proofs).await;
        assert_eq!(
            (got.0, got.2["error"].as_str()),
            (400, Some("invalid_dpop_proof")),
            "{name}: {}",
            got.2
        );
        let d = got.2["error_description"].as_str().unwrap();
        assert!(d.contains(keyword), "{name}: {d:?} should mention {keyword:?}");
        assert!(
            !d.contains(good["jti"].as_str().unwrap()),
            "{name}: no proof content in errors"
        );
    }
    let ok = post_token(&emu, &form, &[key.proof_at(now, "POST", &url, None)]).await;
    assert_eq!(ok.0, 200, "the code survived every rejected proof: {}", ok.2);
}

#[tokio::test]
async fn a_replayed_proof_is_rejected() {
    let emu = start(no_nonce_config()).await;
    let key = DpopKey::new();
    let proof = key.proof("POST", &emu.token_endpoint(), None, None);
    let first = post_token(
        &emu,
        &apple_form(&emu.apple_authorization_code(AppleCode::default())),
        std::slice::from_ref(&proof),
    )
    .await;
    assert_eq!(first.0, 200, "{}", first.2);
    let replay = post_token(
        &emu,
        &apple_form(&emu.apple_authorization_code(AppleCode::default())),
        &[proof],
    )
    .await;
    assert_error(&replay, 400, "invalid_dpop_proof");
    assert!(replay.2["error_description"].as_str().unwrap().contains("jti"));
}

#[tokio::test]
async fn htu_must_name_the_host_the_client_connected_to() {
    let emu = start(no_nonce_config()).await;
    let key = DpopKey::new();
    let localhost_url = emu.token_endpoint().replace("127.0.0.1", "localhost");
    let send = |proof: String| {
        let url = localhost_url.clone();
        let code = emu.apple_authorization_code(AppleCode::default());
        async move {
            let resp = client()
                .post(url)
                .form(&apple_form(&code))
                .header("DPoP", proof)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = send(key.proof("POST", &emu.token_endpoint(), None, None)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let (status, body) = send(key.proof("POST", &localhost_url, None, None)).await;
    assert_eq!(status, 200, "{body}");
    // Query and fragment in htu are ignored (RFC 9449 §4.3).
    let (status, body) = send(key.proof("POST", &format!("{localhost_url}?a=b#c"), None, None)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_client_that_requires_dpop_rejects_requests_without_a_proof() {
    let emu = start(no_nonce_config()).await;
    let form = with(
        apple_form(&emu.apple_authorization_code(AppleCode::default())),
        "client_id",
        "dpop-required-app",
    );
    let got = post_token(&emu, &form, &[]).await;
    assert_error(&got, 400, "invalid_dpop_proof");
    assert!(got.2["error_description"].as_str().unwrap().contains("required"));
    let proof = DpopKey::new().proof("POST", &emu.token_endpoint(), None, None);
    let got = post_token(&emu, &form, &[proof]).await;
    assert_eq!((got.0, got.2["token_type"].as_str()), (200, Some("DPoP")), "{}", got.2);
}

#[tokio::test]
async fn nonce_challenge_then_retry_with_the_nonce_succeeds() {
    let emu = start(EmulatorConfig::default()).await;
    let key = DpopKey::new();
    let form = apple_form(&emu.apple_authorization_code(AppleCode::default()));
    let challenge = post_token(&emu, &form, &[key.proof("POST", &emu.token_endpoint(), None, None)]).await;
    assert_error(&challenge, 400, "use_dpop_nonce");
    let nonce = challenge.1["dpop-nonce"].to_str().unwrap().to_owned();
    assert!(nonce.len() >= 16);

    let wrong = post_token(
        &emu,
        &form,
        &[key.proof("POST", &emu.token_endpoint(), Some("made-up"), None)],
    )
    .await;
    assert_error(&wrong, 400, "use_dpop_nonce");
    assert_eq!(wrong.1["dpop-nonce"].to_str().unwrap(), nonce);

    let ok = post_token(
        &emu,
        &form,
        &[key.proof("POST", &emu.token_endpoint(), Some(&nonce), None)],
    )
    .await;
    assert_eq!(ok.0, 200, "the challenges did not consume the code: {}", ok.2);
    assert_eq!(
        ok.1["dpop-nonce"].to_str().unwrap(),
        nonce,
        "success carries the nonce too"
    );

    // Errors after a valid proof still carry the nonce.
    let used = post_token(
        &emu,
        &form,
        &[key.proof("POST", &emu.token_endpoint(), Some(&nonce), None)],
    )
    .await;
    assert_error(&used, 403, "invalid_grant");
    assert!(used.1.get("dpop-nonce").is_some());
}

#[tokio::test]
async fn rotated_nonces_accept_the_previous_one_and_reject_older_ones() {
    let emu = start(EmulatorConfig::default()).await;
    let key = DpopKey::new();
    let url = emu.token_endpoint();
    let fresh_form = || apple_form(&emu.apple_authorization_code(AppleCode::default()));
    let first = post_token(&emu, &fresh_form(), &[key.proof("POST", &url, None, None)]).await;
    let n1 = first.1["dpop-nonce"].to_str().unwrap().to_owned();

    emu.rotate_dpop_nonces();
    let ok = post_token(&emu, &fresh_form(), &[key.proof("POST", &url, Some(&n1), None)]).await;
    assert_eq!(ok.0, 200, "previous nonce is still accepted: {}", ok.2);
    let n2 = ok.1["dpop-nonce"].to_str().unwrap().to_owned();
    assert_ne!(n1, n2, "the response announces the new nonce");

    emu.rotate_dpop_nonces();
    let stale = post_token(&emu, &fresh_form(), &[key.proof("POST", &url, Some(&n1), None)]).await;
    assert_error(&stale, 400, "use_dpop_nonce");
    let n3 = stale.1["dpop-nonce"].to_str().unwrap().to_owned();
    assert!(n3 != n1 && n3 != n2);
    let ok = post_token(&emu, &fresh_form(), &[key.proof("POST", &url, Some(&n3), None)]).await;
    assert_eq!(ok.0, 200, "{}", ok.2);
}

#[tokio::test]
async fn nonces_rotate_with_time() {
    let clock = Clock::frozen();
    let config = EmulatorConfig {
        clock: clock.clone(),
        ..EmulatorConfig::default().with_dpop(DpopConfig {
            nonce_rotation_secs: 1,
            ..DpopConfig::default()
        })
    };
    let emu = start(config).await;
    let key = DpopKey::new();
    let url = emu.token_endpoint();
    let first = post_token(
        &emu,
        &apple_form("x"),
        &[key.proof_at(clock.now_secs(), "POST", &url, None)],
    )
    .await;
    let n1 = first.1["dpop-nonce"].to_str().unwrap().to_owned();
    let again = post_token(
        &emu,
        &apple_form("x"),
        &[key.proof_at(clock.now_secs(), "POST", &url, Some(&n1))],
    )
    .await;
    assert_error(&again, 403, "invalid_grant");
    // Two rotation periods on the emulator's clock: the nonce is gone.
    clock.advance(Duration::from_secs(2));
    let got = post_token(
        &emu,
        &apple_form("x"),
        &[key.proof_at(clock.now_secs(), "POST", &url, Some(&n1))],
    )
    .await;
    assert_error(&got, 400, "use_dpop_nonce");
    assert_ne!(got.1["dpop-nonce"].to_str().unwrap(), n1);
}

#[tokio::test]
async fn always_demand_new_nonce_answers_every_proof_with_a_new_nonce() {
    let config = EmulatorConfig::default().with_dpop(DpopConfig {
        always_demand_new_nonce: true,
        ..DpopConfig::default()
    });
    let emu = start(config).await;
    let key = DpopKey::new();
    let form = apple_form(&emu.apple_authorization_code(AppleCode::default()));
    let mut nonce: Option<String> = None;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let got = post_token(
            &emu,
            &form,
            &[key.proof("POST", &emu.token_endpoint(), nonce.as_deref(), None)],
        )
        .await;
        assert_error(&got, 400, "use_dpop_nonce");
        let n = got.1["dpop-nonce"].to_str().unwrap().to_owned();
        assert!(!seen.contains(&n), "each challenge has a new nonce");
        seen.push(n.clone());
        nonce = Some(n);
    }
    // Without a proof the client is not challenged.
    assert_eq!(post_token(&emu, &form, &[]).await.0, 200);
}

async fn get_userinfo(
    emu: &Emulator,
    authorization: Option<String>,
    proofs: &[String],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().get(emu.userinfo_endpoint());
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    for p in proofs {
        req = req.header("DPoP", p);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn www_authenticate(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn userinfo_accepts_bearer_for_unbound_tokens_only() {
    let emu = start(EmulatorConfig::default()).await;
    let got = apple_exchange(
        &emu,
        "apple|u",
        &[
            ("scope", "openid profile email"),
            ("user_profile", r#"{"name":{"firstName":"U","lastName":"Ser"}}"#),
        ],
    )
    .await;
    let at = got.2["access_token"].as_str().unwrap().to_owned();
    let ok = get_userinfo(&emu, Some(format!("Bearer {at}")), &[]).await;
    assert_eq!(ok.0, 200);
    assert_eq!(ok.2["sub"], "apple|u");
    assert_eq!(ok.2["name"], "U Ser");
    let post = client()
        .post(emu.userinfo_endpoint())
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);

    let none = get_userinfo(&emu, None, &[]).await;
    assert_eq!(none.0, 401);
    assert!(www_authenticate(&none.1).contains("DPoP"));
    let garbage = get_userinfo(&emu, Some("Bearer not-a-token".into()), &[]).await;
    assert_eq!((garbage.0, garbage.2["error"].as_str()), (401, Some("invalid_token")));
    assert!(www_authenticate(&garbage.1).contains(r#"error="invalid_token""#));
    let unbound_as_dpop = get_userinfo(
        &emu,
        Some(format!("DPoP {at}")),
        &[DpopKey::new().proof("GET", &emu.userinfo_endpoint(), None, Some(&at))],
    )
    .await;
    assert_eq!(
        (unbound_as_dpop.0, unbound_as_dpop.2["error"].as_str()),
        (401, Some("invalid_token"))
    );

    let api_only = apple_exchange(
        &emu,
        "apple|u",
        &[("audience", "https://api.example.com"), ("scope", "read:messages")],
    )
    .await;
    let api_at = api_only.2["access_token"].as_str().unwrap();
    let rejected = get_userinfo(&emu, Some(format!("Bearer {api_at}")), &[]).await;
    assert_eq!((rejected.0, rejected.2["error"].as_str()), (401, Some("invalid_token")));
}

#[tokio::test]
async fn userinfo_checks_dpop_bound_tokens_and_uses_its_own_nonces() {
    let emu = start(EmulatorConfig::default()).await;
    let key = DpopKey::new();
    let body = bound_exchange(&emu, &key, "openid profile email").await;
    let at = body["access_token"].as_str().unwrap().to_owned();
    let ui = emu.userinfo_endpoint();
    let dpop_auth = Some(format!("DPoP {at}"));

    // A bound token presented as Bearer.
    let bearer = get_userinfo(&emu, Some(format!("Bearer {at}")), &[]).await;
    assert_eq!((bearer.0, bearer.2["error"].as_str()), (401, Some("invalid_token")));
    assert!(www_authenticate(&bearer.1).contains(r#"DPoP algs="ES256", error="invalid_token""#));

    // No nonce yet: challenged with a userinfo nonce, distinct from the token endpoint's.
    let token_nonce = post_token(
        &emu,
        &apple_form("x"),
        &[key.proof("POST", &emu.token_endpoint(), None, None)],
    )
    .await
    .1["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    let challenge = get_userinfo(&emu, dpop_auth.clone(), &[key.proof("GET", &ui, None, Some(&at))]).await;
    assert_eq!(
        (challenge.0, challenge.2["error"].as_str()),
        (401, Some("use_dpop_nonce"))
    );
    assert!(www_authenticate(&challenge.1).contains(r#"error="use_dpop_nonce""#));
    let ui_nonce = challenge.1["dpop-nonce"].to_str().unwrap().to_owned();
    assert_ne!(ui_nonce, token_nonce);
    let mixed = get_userinfo(
        &emu,
        dpop_auth.clone(),
        &[key.proof("GET", &ui, Some(&token_nonce), Some(&at))],
    )
    .await;
    assert_eq!(
        mixed.2["error"], "use_dpop_nonce",
        "the token endpoint's nonce is not valid here"
    );

    let n = Some(ui_nonce.as_str());
    let missing_proof = get_userinfo(&emu, dpop_auth.clone(), &[]).await;
    assert_eq!(
        (missing_proof.0, missing_proof.2["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    let no_ath = get_userinfo(&emu, dpop_auth.clone(), &[key.proof("GET", &ui, n, None)]).await;
    assert_eq!(
        (no_ath.0, no_ath.2["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    assert!(no_ath.2["error_description"].as_str().unwrap().contains("ath"));
    assert!(www_authenticate(&no_ath.1).contains(r#"error="invalid_dpop_proof""#));
    let wrong_ath = get_userinfo(
        &emu,
        dpop_auth.clone(),
        &[key.proof("GET", &ui, n, Some("another-token"))],
    )
    .await;
    assert_eq!(wrong_ath.2["error"], "invalid_dpop_proof");
    let wrong_key = get_userinfo(
        &emu,
        dpop_auth.clone(),
        &[DpopKey::new().proof("GET", &ui, n, Some(&at))],
    )
    .await;
    assert_eq!(
        (wrong_key.0, wrong_key.2["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    assert!(wrong_key.2["error_description"].as_str().unwrap().contains("bound"));
    let wrong_htm = get_userinfo(&emu, dpop_auth.clone(), &[key.proof("POST", &ui, n, Some(&at))]).await;
    assert_eq!(wrong_htm.2["error"], "invalid_dpop_proof");
    let two = get_userinfo(
        &emu,
        dpop_auth.clone(),
        &[key.proof("GET", &ui, n, Some(&at)), key.proof("GET", &ui, n, Some(&at))],
    )
    .await;
    assert_eq!(two.2["error"], "invalid_dpop_proof");

    let proof = key.proof("GET", &ui, n, Some(&at));
    let ok = get_userinfo(&emu, dpop_auth.clone(), std::slice::from_ref(&proof)).await;
    assert_eq!(ok.0, 200, "{}", ok.2);
    assert_eq!(ok.2["sub"], "apple|dpop-user");
    assert_eq!(ok.2["email"], "d@example.com");
    assert_eq!(ok.1["dpop-nonce"].to_str().unwrap(), ui_nonce);
    let replay = get_userinfo(&emu, dpop_auth.clone(), &[proof]).await;
    assert_eq!(replay.2["error"], "invalid_dpop_proof");

    let post = client()
        .post(&ui)
        .header("Authorization", format!("DPoP {at}"))
        .header("DPoP", key.proof("POST", &ui, n, Some(&at)))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
}
