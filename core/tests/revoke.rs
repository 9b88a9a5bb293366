//! Revoking a refresh token (RFC 7009): end to end against the emulator (the token is dead
//! afterwards, unknown tokens, a confidential client's authentication), and at the wire level
//! against the scripted peer.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use token_exchange::{Client, ClientAuthentication, Error, NetworkErrorKind, ResponseProblem, Secret, SoftwareKey};
use token_exchange_emulator::{ClientConfig, EmulatorConfig};

fn assert_invalid_grant(result: Result<token_exchange::TokenSet, Error>) {
    match result {
        Err(Error::OAuth(e)) => assert_eq!((e.code(), e.status()), ("invalid_grant", 403), "{e:?}"),
        other => panic!("expected invalid_grant, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revoked_refresh_token_no_longer_renews() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let tokens = sign_in(&emu, &c, "apple|revoked").await;
    let refresh_token = tokens.refresh_token.as_ref().unwrap();
    // `native-app`'s refresh tokens do not rotate: this one renews any number of times...
    c.refresh(&tokens, None).await.unwrap();

    // ...until it is revoked. Revocation carries no DPoP proof, so an app that lost its key
    // can still sign out on the server: a client without the key revokes the bound token.
    client(&emu).revoke(refresh_token).await.unwrap();
    assert_invalid_grant(c.refresh(&tokens, None).await);
}

#[tokio::test]
async fn unknown_and_already_revoked_tokens_are_revoked_successfully() {
    let emu = emulator().await;
    let c = client(&emu);
    c.revoke(&Secret::new("never-issued-refresh-token")).await.unwrap();
    let tokens = sign_in(&emu, &c, "apple|revoked-twice").await;
    let refresh_token = tokens.refresh_token.as_ref().unwrap();
    c.revoke(refresh_token).await.unwrap();
    c.revoke(refresh_token).await.unwrap();
    assert_invalid_grant(c.refresh(&tokens, None).await);
}

#[tokio::test]
async fn a_confidential_client_revokes_with_its_authentication() {
    const ID: &str = "server-app";
    const SECRET: &str = "server-secret";
    let emu = emulator_with(EmulatorConfig::default().with_client(ClientConfig {
        client_secret: Some(SECRET.into()),
        ..ClientConfig::native(ID)
    }))
    .await;
    let server = |auth: Option<ClientAuthentication>| {
        let builder = Client::builder(emu.base_url(), ID);
        match auth {
            Some(auth) => builder.client_authentication(auth),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let c = server(Some(ClientAuthentication::ClientSecretPost(Secret::new(SECRET))));
    let tokens = sign_in(&emu, &c, "apple|backend-user").await;
    let refresh_token = tokens.refresh_token.as_ref().unwrap();

    // Without its secret, or with a wrong one, the server refuses, and the token stays valid.
    let refused = |e: Error| {
        let oauth = e.oauth().cloned().unwrap_or_else(|| panic!("{e:?}"));
        (oauth.code().to_owned(), oauth.status())
    };
    let e = server(None).revoke(refresh_token).await.unwrap_err();
    assert_eq!(refused(e), ("invalid_client".to_owned(), 401));
    let wrong = ClientAuthentication::ClientSecretBasic(Secret::new("guessed"));
    let e = server(Some(wrong)).revoke(refresh_token).await.unwrap_err();
    assert_eq!(refused(e), ("access_denied".to_owned(), 401));
    c.refresh(&tokens, None).await.unwrap();

    // With it (here in the Authorization header): revoked.
    let basic = ClientAuthentication::ClientSecretBasic(Secret::new(SECRET));
    server(Some(basic)).revoke(refresh_token).await.unwrap();
    assert_invalid_grant(c.refresh(&tokens, None).await);
}

#[tokio::test]
async fn a_public_client_revokes_with_its_client_id_and_no_proof() {
    let peer = Scripted::start(vec![Reply::empty(200)]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap();
    c.revoke(&Secret::new("the-refresh-token")).await.unwrap();
    let sent = peer.recorded();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/oauth/revoke"));
    assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        req.form(),
        [
            ("token".to_owned(), "the-refresh-token".to_owned()),
            ("client_id".to_owned(), CLIENT_ID.to_owned())
        ]
    );
    assert_eq!(req.headers_named("dpop"), 0);
    assert!(req.header("auth0-client").is_some());
    assert_eq!(peer.jwks_fetches(), 0);
}

#[tokio::test]
async fn confidential_clients_authenticate() {
    let revoke_as = |auth: ClientAuthentication| async move {
        let peer = Scripted::start(vec![Reply::empty(200)]).await;
        Client::builder(&peer.base_url, "backend")
            .client_authentication(auth)
            .build()
            .unwrap()
            .revoke(&Secret::new("rt"))
            .await
            .unwrap();
        peer.recorded().remove(0)
    };
    let req = revoke_as(ClientAuthentication::ClientSecretPost(Secret::new("s3cret"))).await;
    assert_eq!(req.form_value("client_id").as_deref(), Some("backend"));
    assert_eq!(req.form_value("client_secret").as_deref(), Some("s3cret"));
    let req = revoke_as(ClientAuthentication::ClientSecretBasic(Secret::new("s3cret"))).await;
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(req.form_value("client_secret"), None);
}

#[tokio::test]
async fn errors_are_classified_as_at_the_token_endpoint_and_never_replayed() {
    let revoke = |reply: Reply| async move {
        let peer = Scripted::start(vec![reply]).await;
        let e = Client::builder(&peer.base_url, CLIENT_ID)
            .build()
            .unwrap()
            .revoke(&Secret::new("secret-refresh-token"))
            .await
            .unwrap_err();
        assert_eq!(peer.recorded().len(), 1, "replayed");
        assert!(!format!("{e} {e:?}").contains("secret-refresh-token"));
        e
    };
    let e = revoke(Reply::json(
        401,
        json!({"error": "invalid_client", "error_description": "Unknown client"}),
    ))
    .await;
    assert_eq!(e.oauth().unwrap().code(), "invalid_client");
    assert_eq!(e.oauth().unwrap().status(), 401);
    let e = revoke(Reply::json(400, json!({"error": "unsupported_token_type"}))).await;
    assert_eq!(e.oauth().unwrap().code(), "unsupported_token_type");
    let e = revoke(Reply::json(503, json!({"error": "temporarily_unavailable"})).header("Retry-After", "7")).await;
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
    let mut html = Reply::empty(502).header("content-type", "text/html");
    html.body = "<html>bad gateway</html>".into();
    let e = revoke(html).await;
    assert!(matches!(
        e,
        Error::UnexpectedResponse {
            status: 502,
            problem: ResponseProblem::Html,
            ..
        }
    ));
    let e = revoke(Reply::empty(307).header("Location", "https://elsewhere.example.com/")).await;
    assert!(matches!(
        e,
        Error::UnexpectedResponse {
            problem: ResponseProblem::Redirect,
            ..
        }
    ));
}

#[tokio::test]
async fn bad_input_fails_before_any_io() {
    let c = Client::builder(format!("http://127.0.0.1:{}", closed_port().await), CLIENT_ID)
        .build()
        .unwrap();
    for bad in ["", " rt", "Bearer rt"] {
        let e = c.revoke(&Secret::new(bad)).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    field: "refresh_token",
                    ..
                }
            ),
            "{bad:?}: {e:?}"
        );
    }
    let e = c.revoke(&Secret::new("rt")).await.unwrap_err();
    assert!(matches!(
        e,
        Error::Network {
            kind: NetworkErrorKind::Connect,
            request_may_have_reached_server: false
        }
    ));
}
