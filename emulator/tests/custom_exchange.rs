//! Custom Token Exchange and Actions on the server side: what an Action sees in `event`,
//! how the users it chooses are created, updated or refused, misuse of the `api` object,
//! JavaScript Actions from a config file, the Google test issuer, and profiles or Actions
//! that disappear.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{
    ActionApi, ActionConfig, ActionEvent, ActionTrigger, ClientConfig, Emulator, EmulatorConfig, GOOGLE_ISSUER,
    GoogleIdToken, SAMPLE_GOOGLE_CLIENT_ID, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE, TokenExchangeProfileConfig, UserConfig,
};

const TYPE: &str = "urn:acme:server-side";

fn cte_form(subject_token: &str) -> Form {
    vec![
        ("grant_type", TOKEN_EXCHANGE.to_owned()),
        ("subject_token", subject_token.to_owned()),
        ("subject_token_type", TYPE.to_owned()),
        ("client_id", "native-app".to_owned()),
    ]
}

/// An emulator whose profile for [`TYPE`] runs `action`.
async fn with_action(
    config: EmulatorConfig,
    action: impl Fn(&ActionEvent, &mut ActionApi) -> Result<(), String> + Send + Sync + 'static,
) -> Emulator {
    let config = config
        .with_action(
            ActionConfig::rust("act_server", ActionTrigger::CustomTokenExchange, Arc::new(action))
                .secret("JWKS", "{base_url}/keys"),
        )
        .with_token_exchange_profile(TokenExchangeProfileConfig::new(TYPE, "act_server"));
    start(config).await
}

#[tokio::test]
async fn the_action_sees_the_transaction_request_client_api_and_secrets() {
    let seen: Arc<Mutex<Option<Value>>> = Arc::default();
    let log = seen.clone();
    let emu = with_action(no_nonce_config(), move |event, api| {
        *log.lock().unwrap() = Some(event.json().clone());
        api.set_user_by_connection("acme", json!({"user_id": "u1"}), json!({}));
        Ok(())
    })
    .await;
    let mut form = cte_form("the-subject-token");
    form.push(("audience", "https://api.example.com".into()));
    form.push(("scope", "openid read:messages".into()));
    form.push(("device_id", "d-42".into()));
    form.push(("organization", "org_abc".into()));
    let resp = client()
        .post(emu.token_endpoint())
        .header("auth0-forwarded-for", "203.0.113.9")
        .header("user-agent", "test-agent/1")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    let event = seen.lock().unwrap().clone().unwrap();
    assert_eq!(event["transaction"]["subject_token"], "the-subject-token");
    assert_eq!(event["transaction"]["subject_token_type"], TYPE);
    assert_eq!(
        event["transaction"]["requested_scopes"],
        json!(["openid", "read:messages"])
    );
    assert_eq!(event["transaction"]["organization"], "org_abc");
    // A public client's auth0-forwarded-for is not trusted: the IP is the peer's.
    assert_eq!(event["request"]["ip"], "127.0.0.1");
    assert_eq!(event["request"]["user_agent"], "test-agent/1");
    assert_eq!(event["request"]["body"]["device_id"], "d-42");
    assert_eq!(event["client"]["client_id"], "native-app");
    assert_eq!(event["resource_server"]["identifier"], "https://api.example.com");
    assert_eq!(event["secrets"]["JWKS"], format!("{}/keys", emu.base_url()));
    let at = verify_with_jwks(body["access_token"].as_str().unwrap(), &emu.jwks());
    assert_eq!(at["sub"], "acme|u1");
    assert_eq!(at["org_id"], "org_abc");
    assert_eq!(segment(body["id_token"].as_str().unwrap(), 1)["org_id"], "org_abc");
}

#[tokio::test]
async fn client_secrets_are_not_shown_to_actions() {
    let seen: Arc<Mutex<Option<Value>>> = Arc::default();
    let log = seen.clone();
    let confidential = ClientConfig {
        client_secret: Some("s3cr3t".into()),
        ..ClientConfig::native("confidential-app")
    };
    let emu = with_action(no_nonce_config().with_client(confidential), move |event, api| {
        *log.lock().unwrap() = Some(event.json()["request"]["body"].clone());
        api.set_user_by_connection("acme", json!({"user_id": "u3"}), json!({}));
        Ok(())
    })
    .await;
    let mut form = with(cte_form("t"), "client_id", "confidential-app");
    form.push(("client_secret", "s3cr3t".into()));
    let got = post_token(&emu, &form, &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let body = seen.lock().unwrap().clone().unwrap();
    assert_eq!(body["client_id"], "confidential-app");
    assert!(body.get("client_secret").is_none(), "{body}");
}

#[tokio::test]
async fn users_are_created_updated_or_refused_as_the_action_says() {
    let config = no_nonce_config()
        .with_user(UserConfig {
            user_id: "acme|existing".into(),
            email: Some("old@acme.example".into()),
            ..UserConfig::default()
        })
        .with_user(UserConfig {
            user_id: "acme|blocked".into(),
            blocked: true,
            ..UserConfig::default()
        });
    let emu = with_action(config, |event, api| {
        let token = event.subject_token().unwrap_or_default();
        match token.split_once(':') {
            Some(("id", id)) => api.set_user_by_id(id),
            Some(("keep", local)) => api.set_user_by_connection(
                "acme",
                json!({"user_id": local, "email": "new@acme.example"}),
                json!({"updateBehavior": "none"}),
            ),
            Some(("nocreate", local)) => {
                api.set_user_by_connection("acme", json!({"user_id": local}), json!({"creationBehavior": "none"}))
            }
            Some(("update", local)) => api.set_user_by_connection(
                "acme",
                json!({"user_id": local, "email": "new@acme.example"}),
                json!({}),
            ),
            Some(("twice", _)) => {
                api.set_user_by_id("acme|existing");
                api.set_user_by_id("acme|existing");
            }
            Some(("claim", _)) => {
                api.set_user_by_id("acme|existing");
                api.set_custom_claim("x", 1);
            }
            _ => {}
        }
        Ok(())
    })
    .await;
    let got = post_token(&emu, &cte_form("id:acme|existing"), &[]).await;
    assert_eq!(got.0, 200);
    let got = post_token(&emu, &cte_form("id:acme|ghost"), &[]).await;
    assert_error(&got, 400, "invalid_request");
    let got = post_token(&emu, &cte_form("id:acme|blocked"), &[]).await;
    assert_error(&got, 403, "access_denied");
    let got = post_token(&emu, &cte_form("keep:existing"), &[]).await;
    assert_eq!(got.0, 200);
    assert_eq!(
        emu.user("acme|existing").unwrap().email.as_deref(),
        Some("old@acme.example")
    );
    let got = post_token(&emu, &cte_form("update:existing"), &[]).await;
    assert_eq!(got.0, 200);
    assert_eq!(
        emu.user("acme|existing").unwrap().email.as_deref(),
        Some("new@acme.example")
    );
    let got = post_token(&emu, &cte_form("nocreate:newcomer"), &[]).await;
    assert_error(&got, 400, "invalid_request");
    assert!(emu.user("acme|newcomer").is_none());
    for (token, fragment) in [
        ("nothing", "without setting a user"),
        ("twice:x", "exactly one of"),
        (
            "claim:x",
            "setCustomClaim is not available in the custom-token-exchange trigger",
        ),
    ] {
        let got = post_token(&emu, &cte_form(token), &[]).await;
        assert_error(&got, 500, "server_error");
        assert!(
            got.2["error_description"].as_str().unwrap().contains(fragment),
            "{}",
            got.2
        );
    }
}

#[tokio::test]
async fn custom_exchange_tokens_are_dpop_bound_and_refreshable() {
    let emu = with_action(no_nonce_config(), |_, api| {
        api.set_user_by_connection("acme", json!({"user_id": "dpop"}), json!({}));
        Ok(())
    })
    .await;
    let key = DpopKey::new();
    let proof = key.proof("POST", &emu.token_endpoint(), None, None);
    let mut form = cte_form("t");
    form.push(("scope", "openid offline_access".into()));
    let got = post_token(&emu, &form, &[proof]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["token_type"], "DPoP");
    assert_eq!(
        got.2["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let at = segment(got.2["access_token"].as_str().unwrap(), 1);
    assert_eq!(at["cnf"]["jkt"], key.jkt());
    let refresh = got.2["refresh_token"].as_str().unwrap();
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("client_id", "native-app".to_owned()),
        ("refresh_token", refresh.to_owned()),
    ];
    let got = post_token(&emu, &form, &[key.proof("POST", &emu.token_endpoint(), None, None)]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let got = post_token(&emu, &form, &[]).await;
    assert_error(&got, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn tenant_tokens_are_accepted_as_actor_tokens_without_set_actor() {
    let emu = with_action(no_nonce_config(), |_, api| {
        api.set_user_by_connection("acme", json!({"user_id": "principal"}), json!({}));
        Ok(())
    })
    .await;
    let agent = apple_exchange(&emu, "apple|agent", &[]).await;
    let agent_token = agent.2["access_token"].as_str().unwrap();
    let mut form = cte_form("t");
    form.push(("actor_token", agent_token.to_owned()));
    form.push((
        "actor_token_type",
        "urn:ietf:params:oauth:token-type:access_token".into(),
    ));
    let got = post_token(&emu, &form, &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(
        segment(got.2["access_token"].as_str().unwrap(), 1)["act"],
        json!({"sub": "apple|agent"})
    );
    assert!(got.2.get("refresh_token").is_none());
    // The pair is required.
    let got = post_token(&emu, &without(form.clone(), "actor_token_type"), &[]).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(
        got.2["error_description"],
        "Missing required parameter: actor_token_type"
    );
    let got = post_token(&emu, &without(form, "actor_token"), &[]).await;
    assert_eq!(got.2["error_description"], "Missing required parameter: actor_token");
}

#[tokio::test]
async fn deleted_profiles_and_removed_actions() {
    let emu = with_action(no_nonce_config(), |_, api| {
        api.set_user_by_connection("acme", json!({"user_id": "x"}), json!({}));
        Ok(())
    })
    .await;
    assert_eq!(post_token(&emu, &cte_form("t"), &[]).await.0, 200);
    assert!(emu.remove_action("act_server"));
    let got = post_token(&emu, &cte_form("t"), &[]).await;
    assert_error(&got, 500, "server_error");
    let id = emu
        .token_exchange_profiles()
        .iter()
        .find(|p| p.subject_token_type == TYPE)
        .unwrap()
        .id
        .clone();
    let resp = client()
        .delete(format!("{}token-exchange-profiles/{id}", emu.management_api()))
        .bearer_auth(emu.management_token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let got = post_token(&emu, &cte_form("t"), &[]).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(
        got.2["error_description"],
        format!("Unsupported subject_token_type: {TYPE}")
    );
}

#[tokio::test]
async fn the_google_test_issuer_signs_with_its_own_published_key() {
    let emu = start(EmulatorConfig::default()).await;
    let resp = control_client(emu.control_secret())
        .post(format!("{}/emulator/google/id-tokens", emu.base_url()))
        .json(&json!({"sub": "555", "email": "g@example.com", "nonce": "n-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    let token = body["id_token"].as_str().unwrap();
    let jwks: Value = client()
        .get(emu.google_jwks_uri())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, emu.google_jwks());
    let claims = verify_with_jwks(token, &jwks);
    assert_eq!(claims["iss"], GOOGLE_ISSUER);
    assert_eq!(claims["aud"], SAMPLE_GOOGLE_CLIENT_ID);
    assert_eq!(
        (claims["sub"].as_str(), claims["nonce"].as_str()),
        (Some("555"), Some("n-1"))
    );
    assert!(!rs256_verifies(token, &emu.jwks()), "not the tenant's key");
    let direct = emu.google_id_token(GoogleIdToken::new("556"));
    assert_eq!(verify_with_jwks(&direct, &jwks)["sub"], "556");
}

#[tokio::test]
async fn javascript_actions_from_a_config_file_run_in_the_binary() {
    let dir = std::env::temp_dir().join(format!("emu-js-config-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("actions")).unwrap();
    std::fs::write(
        dir.join("actions/echo.js"),
        "exports.onExecuteCustomTokenExchange = async (event, api) => {\n\
           console.log('logs go to stderr, not stdout');\n\
           if (event.transaction.subject_token === 'bad') {\n\
             api.access.rejectInvalidSubjectToken('echo says no');\n\
             return;\n\
           }\n\
           api.authentication.setUserByConnection('echo', { user_id: event.transaction.subject_token, \
             email: event.request.body.email }, {});\n\
         };\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("actions/claims.js"),
        "exports.onExecuteCredentialsExchange = async (event, api) => {\n\
           api.accessToken.setCustomClaim('https://example.com/user', event.user.user_id);\n\
           api.transaction.setTargetScopes(['openid', 'read:messages', 'not:defined']);\n\
         };\n",
    )
    .unwrap();
    let config = json!({
        "actions": [
            {"id": "act_echo", "name": "Echo", "trigger": "custom-token-exchange", "js_file": "actions/echo.js"},
            {"id": "act_claims", "trigger": "credentials-exchange", "js_file": "actions/claims.js"}
        ],
        "token_exchange_profiles": [{"subject_token_type": TYPE, "action_id": "act_echo"}],
        "dpop": {"require_nonce": false}
    });
    let config_path = dir.join("config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_token-exchange-emulator"))
        .args(["--config", config_path.to_str().unwrap()])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let line: Value = serde_json::from_str(&line).unwrap();
    let token_endpoint = line["token_endpoint"].as_str().unwrap().to_owned();
    let post = |form: Form| {
        let url = token_endpoint.clone();
        async move {
            let resp = client().post(url).form(&form).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let mut form = cte_form("js-user");
    form.push(("email", "js@example.com".into()));
    form.push(("audience", "https://api.example.com".into()));
    let (status, body) = post(form).await;
    assert_eq!(status, 200, "{body}");
    let at = segment(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(at["sub"], "echo|js-user");
    assert_eq!(at["https://example.com/user"], "echo|js-user");
    assert_eq!(body["scope"], "openid read:messages", "not:defined is dropped");
    let (status, body) = post(cte_form("bad")).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("echo says no"))
    );
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Exchanges a Google ID token through the sample profile; returns the status and body.
async fn google_exchange(emu: &Emulator, id_token: &str) -> (u16, Value) {
    let form = vec![
        ("grant_type", TOKEN_EXCHANGE.to_owned()),
        ("subject_token", id_token.to_owned()),
        ("subject_token_type", SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE.to_owned()),
        ("client_id", "native-app".to_owned()),
    ];
    let (status, _, body) = post_token(emu, &form, &[]).await;
    (status, body)
}

#[tokio::test]
async fn the_sample_google_action_requires_iat_and_checks_azp_when_present() {
    let emu = start(no_nonce_config()).await;
    let cases = [
        (GoogleIdToken::new("1").without_claim("iat"), Some("no iat")),
        (
            GoogleIdToken::new("1").authorized_party("another-app.apps.googleusercontent.com"),
            Some("unexpected authorized party"),
        ),
        (GoogleIdToken::new("1").without_claim("azp"), None),
        (GoogleIdToken::new("1"), None),
    ];
    for (token, refused) in cases {
        let (status, body) = google_exchange(&emu, &emu.google_id_token(token)).await;
        match refused {
            Some(reason) => {
                assert_eq!(status, 400, "{body}");
                assert_eq!(body["error_description"], format!("Invalid Google ID token: {reason}"));
            }
            None => assert_eq!(status, 200, "{body}"),
        }
    }
}

#[tokio::test]
async fn the_sample_google_action_refetches_the_keys_for_an_unknown_kid_at_most_once_a_minute() {
    let emu = start(no_nonce_config()).await;
    // The Action's cache lifetimes follow the Actions clock, which only the test moves.
    emu.freeze_actions_clock();
    let token = |sub: &str| emu.google_id_token(GoogleIdToken::new(sub));
    assert_eq!(google_exchange(&emu, &token("a")).await.0, 200, "first JWKS download");

    emu.rotate_google_signing_key(false).unwrap();
    let (status, body) = google_exchange(&emu, &token("b")).await;
    assert_eq!(status, 400, "downloaded less than a minute ago: no refetch yet");
    assert_eq!(
        body["error_description"],
        "Invalid Google ID token: unknown signing key"
    );

    emu.advance_actions_clock(std::time::Duration::from_secs(61));
    assert_eq!(
        google_exchange(&emu, &token("b")).await.0,
        200,
        "refetched: the new key is known"
    );

    // Another rotation within the minute after that refetch: refused again, although the
    // cached JWKS is still fresh for the better part of an hour.
    emu.rotate_google_signing_key(true).unwrap();
    assert_eq!(google_exchange(&emu, &token("c")).await.0, 400);
    emu.advance_actions_clock(std::time::Duration::from_secs(61));
    assert_eq!(google_exchange(&emu, &token("c")).await.0, 200);
}
