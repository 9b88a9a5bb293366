//! Revoking a refresh token (RFC 7009), at the wire level against the scripted peer.
//! (The emulator has no `/oauth/revoke` yet; the credentials manager and quickstart tests
//! exercise revocation end to end once it does.)
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use token_exchange::{Client, ClientAuthentication, Error, NetworkErrorKind, ResponseProblem, Secret, SoftwareKey};

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
