//! The Management API client against the emulator over real HTTP: token exchange profiles
//! (validation on both sides, errors, pagination, update, delete, persistence), resource
//! servers, clients and grant types. Raw requests (through `support::http1`, not the client)
//! prove that the server rejects what the client refuses to send.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use support::http1::Http1;
use support::{Reply, Scripted, emulator, emulator_with};
use token_exchange::management::{
    ApiError, ManagementAuth, ManagementClient, ManagementError, NewClient, NewResourceServer, NewTokenExchangeProfile,
    ResourceServerScope, TokenExchangeProfile, TokenExchangeProfileType, TokenExchangeProfileUpdate,
};
use token_exchange::{Client, ClientAuthentication, HttpRequest, HttpTransport};
use token_exchange_emulator::{
    ActionApi, ActionEvent, ActionTrigger, CannedResponse, Emulator, EmulatorConfig,
    SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID, SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET, SAMPLE_MANAGEMENT_CLIENT_ID,
    SAMPLE_MANAGEMENT_CLIENT_SECRET,
};

/// The sample tenant's Google action (a `custom-token-exchange` Action).
const ACTION: &str = "act_google";

fn management(emu: &Emulator) -> ManagementClient {
    ManagementClient::new(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.into(),
            client_secret: SAMPLE_MANAGEMENT_CLIENT_SECRET.into(),
        },
    )
    .unwrap()
}

fn api_error(e: &ManagementError) -> &ApiError {
    e.api().unwrap_or_else(|| panic!("expected an API error, got {e:?}"))
}

/// A response of the minimal HTTP client.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request through the tests' own transport (not the client's), JSON in and out.
async fn raw(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Raw {
    let url = url::Url::parse(url).unwrap();
    let mut request = HttpRequest::new(method, url, Duration::from_secs(30), 1024 * 1024);
    request.headers.push(("content-type".into(), "application/json".into()));
    if let Some(token) = token {
        request
            .headers
            .push(("authorization".into(), format!("Bearer {token}")));
    }
    request.body = Some(body.map(|b| b.to_string()).unwrap_or_default().into_bytes());
    let response = Http1::new().send(request).await.unwrap();
    Raw {
        status: response.status,
        headers: response.headers,
        body: serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    }
}

fn profiles_url(emu: &Emulator) -> String {
    format!("{}token-exchange-profiles", emu.management_api())
}

fn profile_body(name: &str, subject_token_type: &str, action_id: &str, profile_type: &str) -> Value {
    json!({"name": name, "subject_token_type": subject_token_type, "action_id": action_id, "type": profile_type})
}

/// A unique valid subject token type of exactly `len` characters.
fn uri_of_len(len: usize, tag: &str) -> String {
    let prefix = format!("urn:t{tag}:");
    format!("{prefix}{}", "x".repeat(len - prefix.len()))
}

/// Registers a no-op `custom-token-exchange` Rust Action with this id.
fn register_cte_action(emu: &Emulator, id: &str) {
    emu.register_action(
        id,
        ActionTrigger::CustomTokenExchange,
        Arc::new(|_: &ActionEvent, api: &mut ActionApi| {
            api.set_user_by_id("nobody");
            Ok(())
        }),
    )
    .unwrap();
}

#[tokio::test]
async fn profile_validation_boundaries_are_enforced_by_the_client_without_sending() {
    let server = Scripted::start(vec![Reply::json(500, json!({}))]).await;
    let mgmt = ManagementClient::new(&server.base_url, ManagementAuth::Token("a-token".into())).unwrap();
    let p = |name: &str, stt: &str, action: &str| NewTokenExchangeProfile::new(stt, action).name(name);
    let invalid: Vec<(NewTokenExchangeProfile, &str)> = vec![
        (p("ab", "urn:acme:google", ACTION), "name"),
        (p(&"a".repeat(51), "urn:acme:google", ACTION), "name"),
        (p("abc", &uri_of_len(7, "a"), ACTION), "subject_token_type"),
        (p("abc", &uri_of_len(101, "a"), ACTION), "subject_token_type"),
        (p("abc", "https://auth0.com/token-type/x", ACTION), "subject_token_type"),
        (p("abc", "urn:acme:google", &"a".repeat(37)), "action_id"),
        (p("abc", "urn:acme:google", ""), "action_id"),
    ];
    for (profile, field) in invalid {
        match management_call(&mgmt, &profile).await {
            Err(ManagementError::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{profile:?}"),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert!(matches!(
        TokenExchangeProfileType::parse("custom"),
        Err(ManagementError::InvalidInput { field: "type", .. })
    ));
    let update = TokenExchangeProfileUpdate {
        name: Some("ab".into()),
        subject_token_type: None,
    };
    assert!(matches!(
        mgmt.update_token_exchange_profile("tep_1", &update).await,
        Err(ManagementError::InvalidInput { field: "name", .. })
    ));
    assert!(matches!(
        mgmt.list_token_exchange_profiles(None, Some(101)).await,
        Err(ManagementError::InvalidInput { field: "take", .. })
    ));
    assert!(server.recorded().is_empty(), "nothing was sent");
}

async fn management_call(
    mgmt: &ManagementClient,
    profile: &NewTokenExchangeProfile,
) -> Result<TokenExchangeProfile, ManagementError> {
    mgmt.create_token_exchange_profile(profile).await
}

#[tokio::test]
async fn profile_validation_boundaries_are_enforced_by_the_server() {
    let emu = emulator().await;
    let token = emu.management_token();
    let url = profiles_url(&emu);
    let long_action = "a".repeat(36);
    register_cte_action(&emu, &long_action);
    let cases: Vec<(Value, u16)> = vec![
        (
            profile_body("ab", &uri_of_len(20, "1"), ACTION, "custom_authentication"),
            400,
        ),
        (
            profile_body("abc", &uri_of_len(20, "2"), ACTION, "custom_authentication"),
            201,
        ),
        (
            profile_body(&"n".repeat(50), &uri_of_len(20, "3"), ACTION, "custom_authentication"),
            201,
        ),
        (
            profile_body(&"n".repeat(51), &uri_of_len(20, "4"), ACTION, "custom_authentication"),
            400,
        ),
        (
            profile_body("abc", &uri_of_len(7, "5"), ACTION, "custom_authentication"),
            400,
        ),
        (
            profile_body("abc", &uri_of_len(8, "6"), ACTION, "custom_authentication"),
            201,
        ),
        (
            profile_body("abc", &uri_of_len(100, "7"), ACTION, "custom_authentication"),
            201,
        ),
        (
            profile_body("abc", &uri_of_len(101, "8"), ACTION, "custom_authentication"),
            400,
        ),
        (
            profile_body("abc", &uri_of_len(20, "9"), &long_action, "custom_authentication"),
            201,
        ),
        (
            profile_body("abc", &uri_of_len(20, "a"), &"a".repeat(37), "custom_authentication"),
            400,
        ),
        (
            profile_body("abc", &uri_of_len(20, "b"), "", "custom_authentication"),
            400,
        ),
        (profile_body("abc", &uri_of_len(20, "c"), ACTION, "custom"), 400),
        (
            profile_body(
                "abc",
                "urn:ietf:params:oauth:token-type:jwt",
                ACTION,
                "custom_authentication",
            ),
            400,
        ),
        (
            profile_body("abc", "https://okta.com/token", ACTION, "custom_authentication"),
            400,
        ),
        (profile_body("abc", "not a uri", ACTION, "custom_authentication"), 400),
        (
            profile_body("abc", &uri_of_len(20, "d"), "act_missing", "custom_authentication"),
            400,
        ),
    ];
    for (body, status) in cases {
        let r = raw("POST", &url, Some(&token), Some(body.clone())).await;
        assert_eq!(r.status, status, "{body} -> {}", r.body);
        if status == 400 {
            assert_eq!(r.body["statusCode"], 400);
            assert_eq!(r.body["error"], "Bad Request");
            assert_eq!(r.body["errorCode"], "invalid_body", "{}", r.body);
        } else {
            assert!(r.body["id"].as_str().unwrap().starts_with("tep_"));
            assert_eq!(r.body["type"], "custom_authentication");
        }
    }
    let r = raw(
        "POST",
        &url,
        Some(&token),
        Some(json!({"subject_token_type": "urn:acme:extra", "action_id": ACTION, "type": "custom_authentication", "colour": "red"})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        "Payload validation error: 'Additional properties not allowed: colour'."
    );
    let r = raw(
        "POST",
        &url,
        Some(&token),
        Some(json!({"name": "ab", "subject_token_type": "urn:acme:short", "action_id": ACTION, "type": "custom_authentication"})),
    )
    .await;
    assert_eq!(
        r.body["message"],
        "Payload validation error: 'String is too short (2 chars), minimum 3' on property name (Friendly name of this profile)."
    );
    // The name is required (the reference marks it so; its default is what clients send).
    let r = raw(
        "POST",
        &url,
        Some(&token),
        Some(json!({"subject_token_type": "urn:acme:default-name", "action_id": ACTION, "type": "custom_authentication"})),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = raw(
        "POST",
        &url,
        Some(&token),
        Some(json!({"name": "Token Exchange Profile 1", "subject_token_type": "urn:acme:default-name", "action_id": ACTION, "type": "custom_authentication"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (201, Some("Token Exchange Profile 1"))
    );
    let created_at = r.body["created_at"].as_str().unwrap();
    assert_eq!(created_at.len(), 24, "ISO 8601 with milliseconds: {created_at}");
    assert!(created_at.ends_with('Z') && created_at.as_bytes()[19] == b'.');
}

#[tokio::test]
async fn the_client_creates_a_profile_with_the_defaults() {
    let emu = emulator().await;
    let created = management(&emu)
        .create_token_exchange_profile(&NewTokenExchangeProfile::new(
            "https://myapp.example.com/google",
            ACTION,
        ))
        .await
        .unwrap();
    assert!(created.id.starts_with("tep_"));
    assert_eq!(created.name, "Token Exchange Profile 1");
    assert_eq!(created.profile_type, "custom_authentication");
    assert_eq!(created.created_at, created.updated_at);
    assert!(emu.token_exchange_profiles().iter().any(|p| p.id == created.id));
}

#[tokio::test]
async fn missing_or_invalid_token_is_401_and_a_missing_scope_is_403() {
    let emu = emulator().await;
    let r = raw("GET", &profiles_url(&emu), None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"})
    );
    let r = raw("GET", &profiles_url(&emu), Some("not-a-jwt"), None).await;
    assert_eq!((r.status, r.body["message"].as_str()), (401, Some("Invalid token")));

    // A token of another emulator (another issuer) is not accepted either.
    let other = emulator().await;
    let bad = ManagementClient::new(emu.base_url(), ManagementAuth::Token(other.management_token().into())).unwrap();
    let e = bad.list_token_exchange_profiles(None, None).await.unwrap_err();
    assert!(api_error(&e).is_unauthorized(), "{e:?}");

    let limited = ManagementClient::new(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_LIMITED_MANAGEMENT_CLIENT_ID.into(),
            client_secret: SAMPLE_LIMITED_MANAGEMENT_CLIENT_SECRET.into(),
        },
    )
    .unwrap();
    let page = limited.list_token_exchange_profiles(None, None).await.unwrap();
    assert_eq!(page.token_exchange_profiles.len(), 1, "the sample Google profile");
    let e = limited
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:limited", ACTION))
        .await
        .unwrap_err();
    let api = api_error(&e);
    assert!(api.is_insufficient_scope());
    assert_eq!(api.error_code.as_deref(), Some("insufficient_scope"));
    assert_eq!(
        api.message,
        "Insufficient scope, expected any of: create:token_exchange_profiles"
    );
    assert_eq!(api.error, "Forbidden");

    let wrong = ManagementClient::new(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.into(),
            client_secret: "wrong-secret".into(),
        },
    )
    .unwrap();
    match wrong.list_token_exchange_profiles(None, None).await {
        Err(ManagementError::Authentication(e)) => {
            let oauth = e.oauth().expect("an OAuth error");
            assert_eq!((oauth.status(), oauth.code()), (401, "access_denied"));
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_profiles_are_404_and_duplicate_subject_token_types_409() {
    let emu = emulator().await;
    let mgmt = management(&emu);
    let e = mgmt.get_token_exchange_profile("tep_missing").await.unwrap_err();
    let api = api_error(&e);
    assert!(api.is_not_found());
    assert_eq!(api.error_code.as_deref(), Some("inexistent_token_exchange_profile"));
    let rename = TokenExchangeProfileUpdate {
        name: Some("Renamed".into()),
        subject_token_type: None,
    };
    assert!(
        api_error(
            &mgmt
                .update_token_exchange_profile("tep_missing", &rename)
                .await
                .unwrap_err()
        )
        .is_not_found()
    );
    assert!(api_error(&mgmt.delete_token_exchange_profile("tep_missing").await.unwrap_err()).is_not_found());

    let first = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:one", ACTION))
        .await
        .unwrap();
    let e = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:one", ACTION).name("Other"))
        .await
        .unwrap_err();
    let api = api_error(&e);
    assert!(api.is_conflict());
    assert_eq!(
        (api.error.as_str(), api.error_code.as_deref()),
        ("Conflict", Some("conflict"))
    );
    // Changing another profile to a taken type conflicts too; keeping its own type does not.
    let second = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:two", ACTION))
        .await
        .unwrap();
    let to_taken = TokenExchangeProfileUpdate {
        name: None,
        subject_token_type: Some("urn:acme:one".into()),
    };
    assert!(
        api_error(
            &mgmt
                .update_token_exchange_profile(&second.id, &to_taken)
                .await
                .unwrap_err()
        )
        .is_conflict()
    );
    let same = TokenExchangeProfileUpdate {
        name: None,
        subject_token_type: Some("urn:acme:one".into()),
    };
    mgmt.update_token_exchange_profile(&first.id, &same).await.unwrap();
}

#[tokio::test]
async fn rate_limiting_reports_retry_after() {
    let emu = emulator().await;
    let mgmt = management(&emu);
    mgmt.list_token_exchange_profiles(None, None).await.unwrap(); // token obtained and cached
    emu.inject_management_response(CannedResponse::management_rate_limited(7));
    let e = mgmt.list_token_exchange_profiles(None, None).await.unwrap_err();
    let api = api_error(&e);
    assert!(api.is_rate_limited());
    assert_eq!(api.error_code.as_deref(), Some("too_many_requests"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(e.is_retryable());
    // The next request is served normally.
    mgmt.list_token_exchange_profiles(None, None).await.unwrap();
    // On the wire: Auth0's body and rate-limit headers (the emulator checks the token first).
    emu.inject_management_response(CannedResponse::management_rate_limited(3));
    let r = raw("GET", &profiles_url(&emu), Some(&emu.management_token()), None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(
        r.body,
        json!({"statusCode": 429, "error": "Too Many Requests", "message": "Global limit has been reached", "errorCode": "too_many_requests"})
    );
}

#[tokio::test]
async fn profiles_are_listed_page_by_page() {
    let emu = emulator().await;
    let mgmt = management(&emu);
    let mut created = vec![emu.token_exchange_profiles()[0].id.clone()];
    for i in 0..6 {
        let p = mgmt
            .create_token_exchange_profile(&NewTokenExchangeProfile::new(format!("urn:acme:page-{i}"), ACTION))
            .await
            .unwrap();
        created.push(p.id);
    }
    let mut seen = Vec::new();
    let mut from: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = mgmt
            .list_token_exchange_profiles(from.as_deref(), Some(3))
            .await
            .unwrap();
        pages += 1;
        assert!(page.token_exchange_profiles.len() <= 3);
        seen.extend(page.token_exchange_profiles.iter().map(|p| p.id.clone()));
        match page.next {
            Some(next) => from = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every profile once, in creation order");
    let all = mgmt.list_token_exchange_profiles(None, None).await.unwrap();
    assert_eq!(all.token_exchange_profiles.len(), 7);
    assert_eq!(all.next, None, "no next on the last page");

    let token = emu.management_token();
    for (query, fragment) in [
        ("take=101", "greater than maximum 100"),
        ("take=0", "less than minimum 1"),
        ("take=ten", "Expected type integer"),
        ("page=2", "Additional properties not allowed: page"),
        ("from=tep_unknown", "checkpoint"),
    ] {
        let r = raw("GET", &format!("{}?{query}", profiles_url(&emu)), Some(&token), None).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.body["errorCode"], "invalid_query_string");
        assert!(
            r.body["message"].as_str().unwrap().contains(fragment),
            "{query}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn profiles_are_updated_and_deleted() {
    let emu = emulator().await;
    let mgmt = management(&emu);
    let p = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:before", ACTION).name("Before"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let update = TokenExchangeProfileUpdate {
        name: Some("After".into()),
        subject_token_type: Some("https://myapp.example.com/after".into()),
    };
    mgmt.update_token_exchange_profile(&p.id, &update).await.unwrap();
    let got = mgmt.get_token_exchange_profile(&p.id).await.unwrap();
    assert_eq!(got.name, "After");
    assert_eq!(got.subject_token_type, "https://myapp.example.com/after");
    assert_eq!(
        (got.action_id.as_str(), got.created_at.as_str()),
        (ACTION, p.created_at.as_str())
    );
    assert!(
        got.updated_at > got.created_at,
        "{} > {}",
        got.updated_at,
        got.created_at
    );

    // PATCH accepts only name and subject_token_type, and at least one of them.
    let token = emu.management_token();
    let url = format!("{}/{}", profiles_url(&emu), p.id);
    let r = raw("PATCH", &url, Some(&token), Some(json!({"action_id": "act_other"}))).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (400, Some("invalid_body")));
    let r = raw("PATCH", &url, Some(&token), Some(json!({}))).await;
    assert_eq!(r.status, 400);
    let r = raw("PATCH", &url, Some(&token), Some(json!({"name": "Via raw"}))).await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("Via raw")));

    mgmt.delete_token_exchange_profile(&p.id).await.unwrap();
    assert!(api_error(&mgmt.get_token_exchange_profile(&p.id).await.unwrap_err()).is_not_found());
    let r = raw("DELETE", &url, Some(&token), None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn what_the_api_created_survives_a_restart_with_a_state_file() {
    let dir = std::env::temp_dir().join(format!("tx-mgmt-state-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let config = || EmulatorConfig::default().with_state_file(&state);

    let emu = emulator_with(config()).await;
    let mgmt = management(&emu);
    let profile = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:persisted", ACTION).name("Kept"))
        .await
        .unwrap();
    mgmt.create_resource_server(&NewResourceServer {
        name: "Persisted API".into(),
        identifier: "https://persisted.example.com".into(),
        scopes: vec![ResourceServerScope {
            value: "read:things".into(),
            description: "Read things".into(),
        }],
    })
    .await
    .unwrap();
    let app = mgmt
        .create_client(&NewClient::custom_api_client(
            "Persisted backend",
            "https://persisted.example.com",
        ))
        .await
        .unwrap();
    emu.shutdown().await;
    assert!(state.exists());

    let emu = emulator_with(config()).await;
    assert_ne!(emu.base_url(), "", "a new emulator (another port)");
    let mgmt = management(&emu);
    let got = mgmt.get_token_exchange_profile(&profile.id).await.unwrap();
    assert_eq!(
        (got.name.as_str(), got.created_at.as_str()),
        ("Kept", profile.created_at.as_str())
    );
    let restored = emu.client(&app.client_id).expect("the created client is back");
    assert_eq!(restored.app_type.as_deref(), Some("resource_server"));
    assert_eq!(
        restored.client_secret.as_deref(),
        app.client_secret.as_ref().map(|s| s.expose())
    );
    let r = raw(
        "GET",
        &format!(
            "{}resource-servers/https%3A%2F%2Fpersisted.example.com",
            emu.management_api()
        ),
        Some(&emu.management_token()),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["scopes"],
        json!([{"value": "read:things", "description": "Read things"}])
    );
    // The duplicate is still a conflict after the restart.
    let e = mgmt
        .create_token_exchange_profile(&NewTokenExchangeProfile::new("urn:acme:persisted", ACTION))
        .await
        .unwrap_err();
    assert!(api_error(&e).is_conflict());
    emu.shutdown().await;

    // Without the state file, nothing of it.
    let emu = emulator().await;
    let e = management(&emu)
        .get_token_exchange_profile(&profile.id)
        .await
        .unwrap_err();
    assert!(api_error(&e).is_not_found());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn resource_servers_and_clients_are_created_and_usable_at_once() {
    let emu = emulator().await;
    let mgmt = management(&emu);
    let api = NewResourceServer {
        name: "Reports API".into(),
        identifier: "https://reports.example.com".into(),
        scopes: vec![
            ResourceServerScope {
                value: "read:reports".into(),
                description: "Read reports".into(),
            },
            ResourceServerScope {
                value: "write:reports".into(),
                description: String::new(),
            },
        ],
    };
    let created = mgmt.create_resource_server(&api).await.unwrap();
    assert_eq!(created.identifier, "https://reports.example.com");
    assert_eq!(created.scopes.len(), 2);
    assert_eq!(created.id.len(), 24);
    let e = mgmt.create_resource_server(&api).await.unwrap_err();
    assert!(api_error(&e).is_conflict());
    assert!(matches!(
        mgmt.create_resource_server(&NewResourceServer {
            identifier: String::new(),
            ..api.clone()
        })
        .await,
        Err(ManagementError::InvalidInput {
            field: "identifier",
            ..
        })
    ));

    // A Custom API Client for it: confidential, with a secret, linked to the API.
    let backend = mgmt
        .create_client(&NewClient::custom_api_client(
            "Reports backend",
            "https://reports.example.com",
        ))
        .await
        .unwrap();
    assert_eq!(backend.app_type.as_deref(), Some("resource_server"));
    assert_eq!(
        backend.resource_server_identifier.as_deref(),
        Some("https://reports.example.com")
    );
    assert_eq!(
        backend.grant_types,
        [token_exchange::FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT]
    );
    let secret = backend
        .client_secret
        .clone()
        .expect("confidential clients get a secret");
    assert!(
        !format!("{backend:?}").contains(secret.expose()),
        "Debug hides the secret"
    );

    // A native app gets no secret.
    let native = mgmt
        .create_client(&NewClient {
            name: "Phone app".into(),
            app_type: "native".into(),
            resource_server_identifier: None,
            grant_types: vec![token_exchange_emulator::GRANT_TOKEN_EXCHANGE.into()],
        })
        .await
        .unwrap();
    assert!(native.client_secret.is_none());
    // ...and can exchange at once.
    let apple = emu.apple_authorization_code(token_exchange_emulator::AppleCode::new("apple|phone-user"));
    let phone = Client::builder(emu.base_url(), &native.client_id).build().unwrap();
    phone
        .native_social_exchange(&token_exchange::NativeSocialExchange::apple(apple))
        .await
        .unwrap();

    // The backend is allowed client credentials for its API (grant type + client grant).
    let grants = vec![
        token_exchange::FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT.to_owned(),
        "client_credentials".to_owned(),
    ];
    let updated = mgmt
        .update_client_grant_types(&backend.client_id, &grants)
        .await
        .unwrap();
    assert_eq!(updated.grant_types, grants);
    assert!(
        updated.client_secret.is_none(),
        "the secret is returned only on creation"
    );
    let token = emu.management_token();
    let r = raw(
        "POST",
        &format!("{}client-grants", emu.management_api()),
        Some(&token),
        Some(json!({"client_id": backend.client_id, "audience": "https://reports.example.com", "scope": ["read:reports"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let backend_client = Client::builder(emu.base_url(), &backend.client_id)
        .client_authentication(ClientAuthentication::ClientSecretPost(secret))
        .build()
        .unwrap();
    let tokens = backend_client
        .client_credentials("https://reports.example.com", None)
        .await
        .unwrap();
    let claims = support::claims(tokens.access_token.expose());
    assert_eq!(claims["aud"], "https://reports.example.com");
    assert_eq!(claims["scope"], "read:reports");
    assert_eq!(claims["sub"], format!("{}@clients", backend.client_id));

    let e = mgmt
        .update_client_grant_types("no-such-client", &grants)
        .await
        .unwrap_err();
    let api = api_error(&e);
    assert!(api.is_not_found());
    assert_eq!(api.error_code.as_deref(), Some("inexistent_client"));
    // Server-side checks of the client body.
    for (body, fragment) in [
        (json!({"name": "X", "app_type": "robot"}), "No enum match"),
        (
            json!({"name": "X", "app_type": "resource_server"}),
            "resource_server_identifier is required",
        ),
        (
            json!({"name": "X", "app_type": "resource_server", "resource_server_identifier": "https://nope.example.com"}),
            "does not exist",
        ),
        (
            json!({"name": "X", "grant_types": ["magic"]}),
            "No enum match for: \"magic\"",
        ),
        (json!({"app_type": "native"}), "Missing required property: name"),
    ] {
        let r = raw(
            "POST",
            &format!("{}clients", emu.management_api()),
            Some(&token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.body["message"].as_str().unwrap().contains(fragment),
            "{body}: {}",
            r.body
        );
    }
}
