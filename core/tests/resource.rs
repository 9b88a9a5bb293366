//! Calls to your own API: every header value is checked before anything is sent, and nothing
//! secret reaches `Debug`.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;

use support::*;
use token_exchange::{Client, Error, ResourceRequest, ResourceResponse, SoftwareKey, TokenSet};

/// A bearer and a DPoP-bound token set of `access_token`, with a client for each, all pointed
/// at `server`.
fn clients(server: &Scripted, access_token: &str) -> Vec<(&'static str, Client, TokenSet)> {
    let key = Arc::new(SoftwareKey::generate().unwrap());
    let dpop = Client::builder(&server.base_url, CLIENT_ID).dpop(key).build().unwrap();
    let mut bound = TokenSet::new(access_token, "DPoP");
    bound.dpop_jkt = Some(dpop.dpop().unwrap().thumbprint().to_owned());
    let bearer = Client::builder(&server.base_url, CLIENT_ID).build().unwrap();
    vec![
        ("bearer", bearer, TokenSet::new(access_token, "Bearer")),
        ("DPoP", dpop, bound),
    ]
}

fn field_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidInput { field, .. } => Some(field),
        _ => None,
    }
}

#[tokio::test]
async fn an_access_token_that_is_no_header_value_is_invalid_input_and_nothing_is_sent() {
    let server = Scripted::start(vec![Reply::json(200, serde_json::json!({}))]).await;
    let url = format!("{}/api/me", server.base_url);
    for stored in ["token\n", "token\r\n", "tok\r\nX-Injected: 1", "to ken", "\ttoken", ""] {
        for (kind, client, tokens) in clients(&server, stored) {
            let case = format!("{kind} token {stored:?}");
            let e = client
                .send_authorized(&ResourceRequest::get(&url), &tokens)
                .await
                .unwrap_err();
            assert_eq!(field_of(&e), Some("access_token"), "{case}: {e:?}");
            assert!(!e.is_retryable() && !e.request_may_have_reached_server(), "{case}");
            let e = client.userinfo(&tokens).await.unwrap_err();
            assert_eq!(field_of(&e), Some("access_token"), "{case}, userinfo: {e:?}");
            let e = client.authorization_headers("GET", &url, &tokens).unwrap_err();
            assert_eq!(field_of(&e), Some("access_token"), "{case}, headers: {e:?}");
        }
    }
    assert!(server.recorded().is_empty(), "a request was sent");
}

#[tokio::test]
async fn urls_with_credentials_and_library_headers_are_refused_before_sending() {
    let server = Scripted::start(vec![Reply::json(200, serde_json::json!({}))]).await;
    let with_credentials = server.base_url.replacen("http://", "http://user:pw@", 1) + "/api";
    let url = format!("{}/api", server.base_url);
    let header = |name: &str, value: &str| {
        let mut r = ResourceRequest::get(&url);
        r.headers.push((name.to_owned(), value.to_owned()));
        r
    };
    let cases = [
        ("credentials in the URL", ResourceRequest::get(&with_credentials), "url"),
        (
            "an Authorization header",
            header("Authorization", "Basic eDp5"),
            "headers",
        ),
        (
            "a lower-case authorization header",
            header("authorization", "Bearer x"),
            "headers",
        ),
        ("a DPoP header", header("DPoP", "eyJ.x.y"), "headers"),
        (
            "a header value with CR/LF",
            header("X-Trace", "a\r\nX-Injected: 1"),
            "headers",
        ),
        ("a header name with a space", header("X Trace", "a"), "headers"),
    ];
    for (case, request, field) in cases {
        for (kind, client, tokens) in clients(&server, "good-token") {
            let e = client.send_authorized(&request, &tokens).await.unwrap_err();
            assert_eq!(field_of(&e), Some(field), "{case} ({kind}): {e:?}");
            assert!(!e.is_retryable(), "{case} ({kind})");
        }
    }
    for (kind, client, tokens) in clients(&server, "good-token") {
        let e = client
            .authorization_headers("GET", &with_credentials, &tokens)
            .unwrap_err();
        assert_eq!(field_of(&e), Some("url"), "authorization_headers ({kind}): {e:?}");
    }
    assert!(server.recorded().is_empty(), "a request was sent");
}

#[tokio::test]
async fn requests_and_responses_print_no_header_value_or_body() {
    let mut request = ResourceRequest::get("https://api.example.com/v1/notes?api_key=query-secret");
    request.method = "POST".into();
    request.headers.push(("X-Api-Key".into(), "header-secret".into()));
    request.body = Some(b"{\"note\":\"body-secret\"}".to_vec());
    let response = ResourceResponse {
        status: 200,
        headers: vec![("set-cookie".into(), "session=cookie-secret".into())],
        body: b"{\"ssn\":\"response-secret\"}".to_vec(),
    };
    let printed = format!("{request:?} {request:#?} {response:?} {response:#?}");
    for secret in [
        "query-secret",
        "header-secret",
        "body-secret",
        "cookie-secret",
        "response-secret",
    ] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    for shown in [
        "POST",
        "https://api.example.com/v1/notes",
        "X-Api-Key",
        "set-cookie",
        "200",
    ] {
        assert!(printed.contains(shown), "{shown} missing from {printed}");
    }
}
