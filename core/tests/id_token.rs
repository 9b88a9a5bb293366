//! ID token validation: the emulator's tokens (the happy path over real HTTP, and the
//! emulator's signing-key rotation), and tokens forged with an independent signer (jsonwebtoken
//! on RustCrypto `rsa`) served by the scripted peer, one per check the client must make.
#![cfg(feature = "reqwest-transport")]

mod support;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use support::id_tokens::*;
use support::*;
use token_exchange::{
    Client, ClientAuthentication, ClientBuilder, CustomTokenExchange, Error, IdTokenProblem, NativeSocialExchange,
    ResponseProblem, Secret, SoftwareKey,
};
use token_exchange_emulator::{AppleCode, CannedResponse, GoogleIdToken, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE};

fn problem(result: Result<token_exchange::TokenSet, Error>) -> IdTokenProblem {
    match result {
        Err(Error::IdTokenInvalid { reason }) => reason,
        other => panic!("expected an invalid ID token, got {other:?}"),
    }
}

/// A scripted peer publishing `jwks` whose replies are made from its issuer.
async fn peer_with(jwks: Vec<Value>, replies: impl FnOnce(&str) -> Vec<Reply>) -> Scripted {
    let peer = Scripted::with_jwks(jwks, Vec::new()).await;
    peer.set_replies(replies(&peer.issuer()));
    peer
}

/// Exchanges an Apple code at a scripted peer that publishes `jwks` and answers with an ID
/// token made by `make_id_token(issuer)`.
async fn exchange_at_peer(
    jwks: Vec<Value>,
    make_id_token: impl FnOnce(&str) -> String,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (Result<token_exchange::TokenSet, Error>, Scripted) {
    let peer = peer_with(jwks, |iss| {
        vec![Reply::json(
            200,
            token_body_with_id_token("Bearer", &make_id_token(iss)),
        )]
    })
    .await;
    let client = configure(Client::builder(&peer.base_url, CLIENT_ID)).build().unwrap();
    let result = client
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await;
    (result, peer)
}

async fn forged(claims_change: Value) -> IdTokenProblem {
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| tenant_key().sign(&with(id_claims(iss, CLIENT_ID, "apple|1"), claims_change)),
        |b| b,
    )
    .await;
    problem(result)
}

#[tokio::test]
async fn emulator_tokens_are_validated_and_their_claims_typed() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let code = emu.apple_authorization_code(AppleCode::new("apple|validated").email("v@example.com"));
    let tokens = c
        .native_social_exchange(&NativeSocialExchange::apple(code).user_profile(
            token_exchange::UserProfile::with_name(Some("Vera".into()), Some("Lidate".into())),
        ))
        .await
        .unwrap();
    let claims = tokens.id_token_claims.as_ref().expect("validated claims");
    assert_eq!(claims.sub, "apple|validated");
    assert_eq!(claims.given_name.as_deref(), Some("Vera"));
    assert_eq!(claims.family_name.as_deref(), Some("Lidate"));
    assert_eq!(claims.email.as_deref(), Some("v@example.com"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.other["iss"], emu.issuer());
    assert_eq!(claims.other["aud"], CLIENT_ID);
    assert!(!format!("{tokens:?}").contains("v@example.com"));

    // The same user through /userinfo, typed, with the DPoP-bound access token.
    let info = c.userinfo_claims(&tokens).await.unwrap();
    assert_eq!(info.sub, "apple|validated");
    assert_eq!(info.email.as_deref(), Some("v@example.com"));
    assert_eq!(info.given_name.as_deref(), Some("Vera"));
}

/// The `kid` of an ID token.
fn kid(id_token: Option<&Secret>) -> String {
    header(id_token.expect("an ID token").expose())["kid"]
        .as_str()
        .expect("a kid")
        .to_owned()
}

#[tokio::test]
async fn a_token_signed_by_a_rotated_in_key_is_validated_after_a_refetch() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    // The exchange caches the key set: the first key only.
    let tokens = sign_in(&emu, &c, "apple|key-rotation").await;
    assert_eq!(kid(tokens.id_token.as_ref()), emu.signing_key_id());

    let new_kid = emu.rotate_signing_key(true).unwrap();
    let renewed = c.refresh(&tokens, None).await.unwrap();
    assert_eq!(kid(renewed.id_token.as_ref()), new_kid);
    assert_eq!(renewed.id_token_claims.unwrap().sub, "apple|key-rotation");
}

#[tokio::test]
async fn a_token_signed_by_a_dropped_key_is_refused() {
    let emu = emulator().await;
    let old = sign_in(&emu, &client(&emu), "apple|old-key").await;
    // A client whose key set is fetched now is answered, by the emulator, with the ID token
    // the first key signed.
    let answered_with_the_old_id_token = || async {
        emu.inject_token_response(CannedResponse::json(
            200,
            &json!({
                "access_token": old.access_token.expose(),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": old.id_token.as_ref().unwrap().expose(),
            }),
        ));
        client(&emu)
            .native_social_exchange(&NativeSocialExchange::apple("answered-by-the-canned-response"))
            .await
    };

    // Kept in the key set: still valid.
    emu.rotate_signing_key(true).unwrap();
    let kept = answered_with_the_old_id_token().await.unwrap();
    assert_eq!(kept.id_token_claims.unwrap().sub, "apple|old-key");
    // Dropped: refused, after one refetch that does not find it either.
    emu.rotate_signing_key(false).unwrap();
    assert_eq!(
        problem(answered_with_the_old_id_token().await),
        IdTokenProblem::UnknownKey
    );
}

#[tokio::test]
async fn the_requested_organization_must_be_in_the_id_token() {
    let emu = emulator().await;
    let c = client(&emu);
    for organization in ["org_abc123", "acme"] {
        let google = emu.google_id_token(GoogleIdToken::new("5"));
        let tokens = c
            .custom_token_exchange(
                &CustomTokenExchange::google_id_token(google, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE)
                    .organization(organization),
            )
            .await
            .unwrap();
        let claims = tokens.id_token_claims.unwrap();
        let claim = if organization.starts_with("org_") {
            "org_id"
        } else {
            "org_name"
        };
        assert_eq!(claims.other[claim], organization);
    }

    // A token for another organization, or for none, is refused.
    for (org_claims, requested) in [
        (json!({"org_id": "org_other"}), "org_abc123"),
        (json!({}), "org_abc123"),
        (json!({"org_name": "globex"}), "acme"),
        (json!({"org_id": "acme"}), "acme"),
    ] {
        let peer = peer_with(vec![jwks(&[tenant_key()])], |iss| {
            let id_token = tenant_key().sign(&with(id_claims(iss, CLIENT_ID, "acme|1"), org_claims.clone()));
            vec![Reply::json(200, token_body_with_id_token("Bearer", &id_token))]
        })
        .await;
        let result = Client::builder(&peer.base_url, CLIENT_ID)
            .build()
            .unwrap()
            .custom_token_exchange(&CustomTokenExchange::new("t", "urn:acme:legacy").organization(requested))
            .await;
        assert_eq!(
            problem(result),
            IdTokenProblem::Organization,
            "{org_claims} for {requested}"
        );
    }
}

#[tokio::test]
async fn a_valid_forged_token_passes_so_the_refusals_below_mean_something() {
    let (result, peer) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| tenant_key().sign(&id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b,
    )
    .await;
    let tokens = result.unwrap();
    let claims = tokens.id_token_claims.unwrap();
    assert_eq!(claims.sub, "apple|1");
    assert_eq!(claims.name.as_deref(), Some("Jane Roe"));
    assert_eq!(peer.jwks_fetches(), 1);

    // PS256 with the same RSA key is allowed too (a key set without `alg`).
    let mut jwk = tenant_key().jwk();
    jwk.as_object_mut().unwrap().remove("alg");
    let (result, _) = exchange_at_peer(
        vec![json!({ "keys": [jwk] })],
        |iss| tenant_key().sign_with(Algorithm::PS256, &id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b,
    )
    .await;
    assert_eq!(result.unwrap().id_token_claims.unwrap().sub, "apple|1");
}

#[tokio::test]
async fn each_failed_claim_check_is_named() {
    assert_eq!(
        forged(json!({"iss": "https://evil.example.com/"})).await,
        IdTokenProblem::Issuer
    );
    assert_eq!(forged(json!({"aud": "someone-else"})).await, IdTokenProblem::Audience);
    assert_eq!(
        forged(json!({"aud": [CLIENT_ID, "https://api.example.com"]})).await,
        IdTokenProblem::AuthorizedParty
    );
    assert_eq!(
        forged(json!({"aud": [CLIENT_ID, "https://api.example.com"], "azp": "someone-else"})).await,
        IdTokenProblem::AuthorizedParty
    );
    assert_eq!(forged(json!({"exp": now() - 3600})).await, IdTokenProblem::Expired);
    assert_eq!(
        forged(json!({"iat": now() + 3600})).await,
        IdTokenProblem::IssuedInFuture
    );
    assert_eq!(forged(json!({"sub": null})).await, IdTokenProblem::MissingClaim("sub"));
    assert_eq!(forged(json!({"exp": null})).await, IdTokenProblem::MissingClaim("exp"));
}

#[tokio::test]
async fn signatures_algorithms_and_keys() {
    // Signed by another key that claims the tenant key's id.
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| {
            other_key()
                .with_kid(&tenant_key().kid)
                .sign(&id_claims(iss, CLIENT_ID, "apple|1"))
        },
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Signature);

    // A tampered payload.
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| {
            let good = tenant_key().sign(&id_claims(iss, CLIENT_ID, "apple|1"));
            let evil = tenant_key().sign(&id_claims(iss, CLIENT_ID, "apple|admin"));
            let (g, e): (Vec<_>, Vec<_>) = (good.split('.').collect(), evil.split('.').collect());
            format!("{}.{}.{}", g[0], e[1], g[2])
        },
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Signature);

    // `alg: none`, and HS256 signed with a value a public client does not have.
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| unsigned(&id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Algorithm("none".into()));
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| sign_hs256("anything", &id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Algorithm("HS256".into()));

    // A confidential client verifies HS256 with its secret, and refuses another secret.
    let secret =
        |b: ClientBuilder| b.client_authentication(ClientAuthentication::ClientSecretPost(Secret::new("s3cret")));
    let (result, peer) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| sign_hs256("s3cret", &id_claims(iss, CLIENT_ID, "apple|1")),
        secret,
    )
    .await;
    assert_eq!(result.unwrap().id_token_claims.unwrap().sub, "apple|1");
    assert_eq!(
        peer.recorded()[0].form_value("client_secret").as_deref(),
        Some("s3cret")
    );
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| sign_hs256("guessed", &id_claims(iss, CLIENT_ID, "apple|1")),
        secret,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Signature);

    // The key set says the key is for RS256: a PS256 token with it is refused.
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| tenant_key().sign_with(Algorithm::PS256, &id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::Algorithm("PS256".into()));

    // Not a JWS at all.
    let (result, _) = exchange_at_peer(vec![jwks(&[tenant_key()])], |_| "not-a-jwt".into(), |b| b).await;
    assert_eq!(problem(result), IdTokenProblem::Malformed);
}

#[tokio::test]
async fn an_unknown_key_id_refetches_the_key_set_at_most_once_a_minute() {
    // The tenant rotated to a new key after the client cached the set: one refetch finds it.
    let rotated = other_key();
    let peer = peer_with(vec![jwks(&[tenant_key()]), jwks(&[tenant_key(), rotated])], |iss| {
        let first = tenant_key().sign(&id_claims(iss, CLIENT_ID, "apple|1"));
        let second = rotated.sign(&id_claims(iss, CLIENT_ID, "apple|1"));
        vec![
            Reply::json(200, token_body_with_id_token("Bearer", &first)),
            Reply::json(200, token_body_with_id_token("Bearer", &second)),
        ]
    })
    .await;
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let request = NativeSocialExchange::apple("code");
    for _ in 0..3 {
        c.native_social_exchange(&request).await.unwrap();
    }
    assert_eq!(peer.jwks_fetches(), 2, "cached, then refetched once for the new key id");

    // A key id nobody publishes: one refetch, then no more until a minute has passed.
    let (result, peer) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| {
            tenant_key()
                .with_kid("forged-kid")
                .sign(&id_claims(iss, CLIENT_ID, "apple|1"))
        },
        |b| b,
    )
    .await;
    assert_eq!(problem(result), IdTokenProblem::UnknownKey);
    assert_eq!(
        peer.jwks_fetches(),
        2,
        "the set fetched before the request, and one refetch"
    );
}

#[tokio::test]
async fn repeated_unknown_key_ids_do_not_hammer_the_tenant() {
    let peer = peer_with(vec![jwks(&[tenant_key()])], |iss| {
        let forged = tenant_key()
            .with_kid("forged-kid")
            .sign(&id_claims(iss, CLIENT_ID, "apple|1"));
        vec![Reply::json(200, token_body_with_id_token("Bearer", &forged))]
    })
    .await;
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    for _ in 0..5 {
        let result = c.native_social_exchange(&NativeSocialExchange::apple("code")).await;
        assert_eq!(problem(result), IdTokenProblem::UnknownKey);
    }
    assert_eq!(peer.recorded().len(), 5);
    assert_eq!(
        peer.jwks_fetches(),
        2,
        "one fetch before the first request, one refetch"
    );
}

#[tokio::test]
async fn the_key_set_is_fetched_before_the_subject_token_is_sent() {
    // A key set that cannot be read: the exchange fails before the Apple code leaves.
    let peer = Scripted::with_jwks(
        vec![json!("not a key set")],
        vec![Reply::json(200, token_body("Bearer"))],
    )
    .await;
    let e = Client::builder(&peer.base_url, CLIENT_ID)
        .build()
        .unwrap()
        .native_social_exchange(&NativeSocialExchange::apple("single-use-code"))
        .await
        .unwrap_err();
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
    assert_eq!(peer.jwks_fetches(), 1);
    assert!(
        peer.recorded().is_empty(),
        "the code was sent although validation could not happen"
    );

    // A request without `openid` (client credentials) fetches nothing up front.
    let peer = Scripted::with_jwks(
        vec![json!("not a key set")],
        vec![Reply::json(200, token_body("Bearer"))],
    )
    .await;
    Client::builder(&peer.base_url, CLIENT_ID)
        .build()
        .unwrap()
        .client_credentials("https://api.example.com", None)
        .await
        .unwrap();
    assert_eq!(peer.jwks_fetches(), 0);
}

#[tokio::test]
async fn validation_can_be_turned_off() {
    let (result, peer) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| unsigned(&id_claims(iss, CLIENT_ID, "apple|1")),
        |b| b.id_token_validation(false),
    )
    .await;
    let tokens = result.unwrap();
    assert!(tokens.id_token.is_some());
    assert!(tokens.id_token_claims.is_none());
    assert_eq!(peer.jwks_fetches(), 0);
}

#[tokio::test]
async fn the_leeway_is_configurable() {
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| tenant_key().sign(&with(id_claims(iss, CLIENT_ID, "apple|1"), json!({"exp": now() - 600}))),
        |b| b.id_token_leeway(std::time::Duration::from_secs(3600)),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn userinfo_for_another_user_is_refused() {
    let peer = peer_with(vec![jwks(&[tenant_key()])], |iss| {
        let id_token = tenant_key().sign(&id_claims(iss, CLIENT_ID, "apple|1"));
        vec![
            Reply::json(200, token_body_with_id_token("Bearer", &id_token)),
            Reply::json(200, json!({"sub": "apple|someone-else", "name": "Mallory"})),
        ]
    })
    .await;
    let c = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let tokens = c
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap();
    let e = c.userinfo_claims(&tokens).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                problem: ResponseProblem::InvalidField("sub"),
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_error_names_the_check_and_never_the_token() {
    let (result, _) = exchange_at_peer(
        vec![jwks(&[tenant_key()])],
        |iss| tenant_key().sign(&with(id_claims(iss, "someone-else", "apple|secret-user"), json!({}))),
        |b| {
            b.dpop(std::sync::Arc::new(SoftwareKey::generate().unwrap()))
                .unbound_token_policy(token_exchange::UnboundTokenPolicy::Accept)
        },
    )
    .await;
    let e = result.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(text.contains("aud"), "{text}");
    assert!(!text.contains("secret-user") && !text.contains("eyJ"), "{text}");
    assert!(!e.is_retryable());
    assert!(e.request_may_have_reached_server());
}
