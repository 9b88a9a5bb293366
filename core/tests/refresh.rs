//! Refreshing tokens: against the emulator (DPoP-bound refresh tokens, narrower scopes, the
//! nonce challenge, ID token validation, rotation and reuse detection), and wire-level details
//! (the rotated token in the response, client authentication, the proof, no replay) against the
//! scripted peer.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::id_tokens::*;
use support::*;
use token_exchange::{
    Client, ClientAuthentication, Error, IdTokenProblem, NativeSocialExchange, Secret, SoftwareKey, TokenSet,
};
use token_exchange_emulator::{
    AppleCode, ClientConfig, Clock, DpopConfig, Emulator, EmulatorConfig, RefreshTokenConfig,
};

fn apple(emu: &Emulator, sub: &str) -> NativeSocialExchange {
    NativeSocialExchange::apple(emu.apple_authorization_code(AppleCode::new(sub).email("r@example.com")))
        .audience(API)
        .scope("openid profile email offline_access read:messages")
}

fn dpop_key() -> Arc<SoftwareKey> {
    Arc::new(SoftwareKey::generate().unwrap())
}

/// A client whose every request would fail on the network: errors from it prove no I/O.
async fn unreachable_client(key: Option<Arc<SoftwareKey>>) -> Client {
    let mut builder = Client::builder(format!("http://127.0.0.1:{}", closed_port().await), CLIENT_ID);
    if let Some(key) = key {
        builder = builder.dpop(key);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_dpop_bound_refresh_renews_with_the_same_key_through_a_nonce_challenge() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let tokens = c.native_social_exchange(&apple(&emu, "apple|renewing")).await.unwrap();
    assert!(tokens.is_dpop_bound());

    // The server rotates its nonces: the refresh answers the challenge on its own.
    emu.rotate_dpop_nonces();
    let renewed = c.refresh(&tokens, None).await.unwrap();
    assert!(renewed.is_dpop_bound());
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_eq!(renewed.dpop_jkt, tokens.dpop_jkt);
    assert_eq!(
        claims(renewed.access_token.expose())["cnf"]["jkt"],
        c.dpop().unwrap().thumbprint()
    );
    // `native-app`'s refresh tokens do not rotate: the old one is kept.
    assert_eq!(renewed.refresh_token, tokens.refresh_token);
    assert_eq!(renewed.scope, tokens.scope);
    // A new ID token (identical when issued in the same second), validated, same user.
    assert!(renewed.id_token.is_some());
    let claims = renewed.id_token_claims.as_ref().unwrap();
    assert_eq!(claims.sub, "apple|renewing");
    assert_eq!(claims.email.as_deref(), Some("r@example.com"));
    // The renewed access token works.
    assert_eq!(c.userinfo_claims(&renewed).await.unwrap().sub, "apple|renewing");
    // And can be renewed again.
    c.refresh(&renewed, None).await.unwrap();
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_old_one_in_the_merged_set() {
    let emu = emulator().await;
    let c = rotating_client(&emu, dpop_key());
    let tokens = sign_in(&emu, &c, "apple|rotating").await;

    let renewed = c.refresh(&tokens, None).await.unwrap();
    assert_ne!(renewed.refresh_token, tokens.refresh_token, "rotated");
    assert!(renewed.refresh_token.is_some());
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_eq!(renewed.dpop_jkt, tokens.dpop_jkt);
    assert_eq!(renewed.scope, tokens.scope);
    assert_eq!(renewed.id_token_claims.as_ref().unwrap().sub, "apple|rotating");
    // The merged set holds the live token: it renews, and rotates again.
    let again = c.refresh(&renewed, None).await.unwrap();
    assert_ne!(again.refresh_token, renewed.refresh_token);

    // The rotated token is bound like the first: another key is refused before any I/O.
    let e = unreachable_client(Some(dpop_key()))
        .await
        .refresh(&again, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DpopKeyMismatch { .. }), "{e:?}");
}

#[tokio::test]
async fn reuse_after_the_reuse_interval_revokes_the_whole_family() {
    // A client with a 30 s reuse interval, on a tenant clock that moves only when the test
    // moves it. Proofs carry the machine's time: a day-wide `iat` window accepts them.
    let clock = Clock::frozen();
    let emu = emulator_with(EmulatorConfig {
        clock: clock.clone(),
        dpop: DpopConfig {
            iat_leeway_secs: 86_400,
            ..DpopConfig::default()
        },
        ..EmulatorConfig::default().with_client(ClientConfig {
            refresh_token: RefreshTokenConfig::rotating(30),
            ..ClientConfig::native("leeway-app")
        })
    })
    .await;
    let c = Client::builder(emu.base_url(), "leeway-app")
        .dpop(dpop_key())
        .build()
        .unwrap();
    let first = sign_in(&emu, &c, "apple|reuse").await;
    let second = c.refresh(&first, None).await.unwrap();

    // Within the interval the token just rotated away still renews (a lost response)...
    clock.advance(Duration::from_secs(29));
    let within = c.refresh(&first, None).await.unwrap();
    assert_ne!(within.refresh_token, second.refresh_token);
    // ...after it, using it again is reuse: refused, and every token of the family with it.
    clock.advance(Duration::from_secs(1));
    for (which, tokens) in [("reused", &first), ("rotated", &second), ("latest", &within)] {
        let e = c.refresh(tokens, None).await.unwrap_err();
        assert!(e.oauth().is_some_and(|o| o.is_invalid_grant()), "{which}: {e:?}");
    }
}

#[tokio::test]
async fn a_narrower_scope_and_an_id_token_not_reissued() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let tokens = c.native_social_exchange(&apple(&emu, "apple|narrow")).await.unwrap();

    let narrow = c.refresh(&tokens, Some("openid")).await.unwrap();
    assert_eq!(narrow.scope.as_deref(), Some("openid"));
    assert_eq!(claims(narrow.access_token.expose())["scope"], "openid");
    let id = narrow.id_token_claims.as_ref().unwrap();
    assert_eq!(id.sub, "apple|narrow");
    assert_eq!(id.email, None, "no email scope, no email claim");

    // Without openid the server issues no ID token: the old one and its claims are kept.
    let api_only = c.refresh(&tokens, Some("read:messages")).await.unwrap();
    assert_eq!(api_only.scope.as_deref(), Some("read:messages"));
    assert_eq!(api_only.id_token, tokens.id_token);
    assert_eq!(api_only.id_token_claims, tokens.id_token_claims);

    // Wider than granted.
    let e = c.refresh(&tokens, Some("openid write:messages")).await.unwrap_err();
    assert_eq!(e.oauth().unwrap().code(), "invalid_scope", "{e:?}");
}

#[tokio::test]
async fn bearer_tokens_refresh_without_dpop() {
    let emu = emulator().await;
    let c = client(&emu);
    let tokens = c.native_social_exchange(&apple(&emu, "apple|bearer")).await.unwrap();
    assert!(!tokens.is_dpop_bound());
    let renewed = c.refresh(&tokens, None).await.unwrap();
    assert_eq!(renewed.token_type, "Bearer");
    assert_eq!(renewed.id_token_claims.unwrap().sub, "apple|bearer");
}

#[tokio::test]
async fn a_key_that_is_not_the_bound_one_fails_before_any_io() {
    let emu = emulator().await;
    let key = dpop_key();
    let c = builder(&emu).dpop(key.clone()).build().unwrap();
    let tokens = c.native_social_exchange(&apple(&emu, "apple|bound")).await.unwrap();

    let e = unreachable_client(None).await.refresh(&tokens, None).await.unwrap_err();
    assert!(matches!(e, Error::DpopKeyMissing), "{e:?}");
    let e = unreachable_client(Some(dpop_key()))
        .await
        .refresh(&tokens, None)
        .await
        .unwrap_err();
    match &e {
        Error::DpopKeyMismatch { token_jkt, .. } => assert_eq!(Some(token_jkt), tokens.dpop_jkt.as_ref()),
        other => panic!("{other:?}"),
    }
    assert!(!e.request_may_have_reached_server());
    // With the right key the same unreachable client does try the network.
    let e = unreachable_client(Some(key))
        .await
        .refresh(&tokens, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e:?}");

    // The server enforces the binding too: a proof from another key is refused.
    let mut unlabelled = tokens.clone();
    unlabelled.dpop_jkt = None;
    let e = dpop_client(&emu).refresh(&unlabelled, None).await.unwrap_err();
    assert!(e.oauth().unwrap().is_invalid_dpop_proof(), "{e:?}");
}

#[tokio::test]
async fn bad_input_fails_before_any_io() {
    let c = unreachable_client(None).await;
    let tokens = TokenSet::new("at", "Bearer");
    let field = |e: Error| match e {
        Error::InvalidInput { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(c.refresh(&tokens, None).await.unwrap_err()), "refresh_token");
    let mut with_rt = tokens.clone();
    with_rt.refresh_token = Some(Secret::new(" padded "));
    assert_eq!(field(c.refresh(&with_rt, None).await.unwrap_err()), "refresh_token");
    with_rt.refresh_token = Some(Secret::new("rt"));
    assert_eq!(field(c.refresh(&with_rt, Some("  ")).await.unwrap_err()), "scope");
    assert_eq!(field(c.refresh(&with_rt, Some("a\"b")).await.unwrap_err()), "scope");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let emu = emulator().await;
    let mut tokens = TokenSet::new("at", "Bearer");
    tokens.refresh_token = Some(Secret::new("never-issued"));
    let e = client(&emu).refresh(&tokens, None).await.unwrap_err();
    assert!(e.oauth().unwrap().is_invalid_grant(), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("never-issued"));
}

#[tokio::test]
async fn wire_format_rotation_and_the_proof() {
    let mut rotated = token_body("DPoP");
    rotated["refresh_token"] = json!("rotated-refresh-token");
    let peer = Scripted::start(vec![Reply::json(200, rotated)]).await;
    let key = dpop_key();
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(key.clone())
        .build()
        .unwrap();
    let mut tokens = TokenSet::new("old-at", "DPoP");
    tokens.refresh_token = Some(Secret::new("old-refresh-token"));
    tokens.dpop_jkt = Some(c.dpop().unwrap().thumbprint().to_owned());
    tokens.scope = Some("openid offline_access".into());

    let renewed = c.refresh(&tokens, None).await.unwrap();
    assert_eq!(renewed.refresh_token.unwrap().expose(), "rotated-refresh-token");
    assert_eq!(renewed.scope.as_deref(), Some("openid"), "the server's scope wins");
    let sent = peer.recorded();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/oauth/token"));
    assert_eq!(req.form_value("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(req.form_value("refresh_token").as_deref(), Some("old-refresh-token"));
    assert_eq!(req.form_value("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(req.form_value("scope"), None);
    let proof = claims(req.header("dpop").expect("a DPoP proof"));
    assert_eq!(proof["htm"], "POST");
    assert_eq!(proof["htu"], format!("{}/oauth/token", peer.base_url));
    assert!(proof.get("ath").is_none(), "no access token is presented");
    assert_eq!(peer.jwks_fetches(), 0, "no ID token expected, no key set fetched");
}

#[tokio::test]
async fn the_nonce_challenge_is_answered_once_and_errors_are_not_replayed() {
    let challenge = Reply::json(400, json!({"error": "use_dpop_nonce"})).header("DPoP-Nonce", "n-1");
    let peer = Scripted::start(vec![challenge, Reply::json(200, token_body("DPoP"))]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(dpop_key())
        .build()
        .unwrap();
    let mut tokens = TokenSet::new("at", "DPoP");
    tokens.refresh_token = Some(Secret::new("rt"));
    c.refresh(&tokens, Some("openid")).await.unwrap();
    let sent = peer.recorded();
    assert_eq!(sent.len(), 2);
    let (first, second) = (
        claims(sent[0].header("dpop").unwrap()),
        claims(sent[1].header("dpop").unwrap()),
    );
    assert_eq!(second["nonce"], "n-1");
    assert_ne!(first["jti"], second["jti"]);
    assert_eq!(sent[1].form_value("scope").as_deref(), Some("openid"));

    let peer = Scripted::start(vec![Reply::json(503, json!({"error": "temporarily_unavailable"}))]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(dpop_key())
        .build()
        .unwrap();
    let e = c.refresh(&tokens, None).await.unwrap_err();
    assert!(e.is_retryable() && e.request_may_have_reached_server(), "{e:?}");
    assert_eq!(
        peer.recorded().len(),
        1,
        "a refresh that may have spent the token is not replayed"
    );
}

#[tokio::test]
async fn confidential_clients_authenticate() {
    let peer = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let c = Client::builder(&peer.base_url, "backend")
        .client_authentication(ClientAuthentication::ClientSecretBasic(Secret::new("s3cret")))
        .build()
        .unwrap();
    let mut tokens = TokenSet::new("at", "Bearer");
    tokens.refresh_token = Some(Secret::new("rt"));
    c.refresh(&tokens, None).await.unwrap();
    let req = &peer.recorded()[0];
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(req.form_value("client_secret"), None);
}

#[tokio::test]
async fn a_renewed_id_token_about_another_user_is_refused() {
    let peer = Scripted::with_jwks(vec![jwks(&[tenant_key()])], Vec::new()).await;
    let issuer = peer.issuer();
    let mut body = token_body("Bearer");
    body["id_token"] = json!(tenant_key().sign(&id_claims(&issuer, CLIENT_ID, "apple|mallory")));
    peer.set_replies(vec![Reply::json(200, body)]);
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let mut tokens = TokenSet::new("at", "Bearer");
    tokens.refresh_token = Some(Secret::new("rt"));
    tokens.id_token = Some(Secret::new(tenant_key().sign(&id_claims(
        &issuer,
        CLIENT_ID,
        "apple|alice",
    ))));
    let e = c.refresh(&tokens, None).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::IdTokenInvalid {
                reason: IdTokenProblem::Subject
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        peer.jwks_fetches(),
        1,
        "fetched before the refresh that expects an ID token"
    );
}
