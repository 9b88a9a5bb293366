//! Custom Token Exchange against the emulator over real HTTP: native Google sign-in through
//! the sample JavaScript Action, and the Actions semantics (deny codes, custom claims, the
//! cache and its lifetimes, target scopes, actor tokens, brute-force counting, failing and
//! hanging Actions, a missing Node.js).
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use token_exchange::{Client, ClientAuthentication, CustomTokenExchange, Error, NativeSocialExchange};
use token_exchange_emulator::{
    ActionApi, ActionConfig, ActionEvent, ActionTrigger, ApiConfig, AppleCode, CacheSetOptions, ClientConfig,
    ClientGrantConfig, Emulator, EmulatorConfig, GoogleIdToken, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
    TokenExchangeProfileConfig,
};

use support::{API, claims, client, dpop_client, emulator, emulator_with};

/// The `subject_token_type` of the test profile bound to [`profile_action`].
const TEST_TYPE: &str = "urn:acme:test-token";

/// A `custom-token-exchange` Action: the subject token is the user's local id (`reject`
/// rejects it), `agent-token` actors become `agent|007`, `cte_deny=<code>` denies.
fn profile_action(event: &ActionEvent, api: &mut ActionApi) -> Result<(), String> {
    match event.subject_token() {
        Some("reject") => api.reject_invalid_subject_token("the test token is invalid"),
        Some(local) => api.set_user_by_connection(
            "acme",
            json!({"user_id": local, "email": format!("{local}@acme.example"), "name": "Acme User"}),
            json!({}),
        ),
        None => return Err("no subject token".into()),
    }
    if event.str("/transaction/actor_token") == Some("agent-token") {
        api.set_actor(json!({"sub": "agent|007"}));
    }
    if let Some(code) = event.request_parameter("cte_deny") {
        api.deny(code, "denied by the profile Action");
    }
    Ok(())
}

/// A `credentials-exchange` Action driven by extra parameters: `deny_code`, `tier` (a custom
/// claim), `cache=set|get` with `value`, `ttl` (ms) or `expires_in_ms`.
fn issuance_action(event: &ActionEvent, api: &mut ActionApi) -> Result<(), String> {
    let param = |name: &str| event.request_parameter(name);
    if let Some(code) = param("deny_code") {
        api.deny(code, "denied by the issuance Action");
    }
    if let Some(tier) = param("tier") {
        api.set_custom_claim("https://example.com/tier", tier);
        api.set_custom_claim("sub", "someone-else");
    }
    match param("cache") {
        Some("set") => {
            let options = CacheSetOptions {
                ttl_ms: param("ttl").map(|t| t.parse().unwrap()),
                expires_at_ms: param("expires_in_ms").map(|t| api.now_ms() + t.parse::<u64>().unwrap()),
            };
            api.cache_set("k", param("value").unwrap_or("v"), options)?;
        }
        Some("get") => {
            if let Some(record) = api.cache_get("k") {
                api.set_custom_claim("https://example.com/cached", record.value);
            }
        }
        _ => {}
    }
    Ok(())
}

async fn actions_emulator(config: EmulatorConfig) -> Emulator {
    let config = config
        .with_action(ActionConfig::rust(
            "act_profile",
            ActionTrigger::CustomTokenExchange,
            Arc::new(profile_action),
        ))
        .with_action(ActionConfig::rust(
            "act_issuance",
            ActionTrigger::CredentialsExchange,
            Arc::new(issuance_action),
        ))
        .with_token_exchange_profile(TokenExchangeProfileConfig::new(TEST_TYPE, "act_profile"));
    emulator_with(config).await
}

/// Extra parameters of a request.
type Extra = Vec<(&'static str, String)>;

fn request(subject_token: &str) -> CustomTokenExchange {
    CustomTokenExchange::new(subject_token, TEST_TYPE).audience(API)
}

fn oauth(e: &Error) -> (u16, String, String) {
    let o = e
        .oauth()
        .unwrap_or_else(|| panic!("expected an OAuth error, got {e:?}"));
    (
        o.status(),
        o.code().to_owned(),
        o.description().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn native_google_sign_in_runs_end_to_end_through_the_javascript_action() {
    let emu = emulator().await;
    let app = dpop_client(&emu);
    let id_token = emu.google_id_token(
        GoogleIdToken::new("108234567890123456789")
            .email("jane.doe@gmail.com")
            .name("Jane Doe"),
    );
    let tokens = app
        .custom_token_exchange(
            &CustomTokenExchange::google_id_token(id_token, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE).audience(API),
        )
        .await
        .unwrap();
    assert!(tokens.is_dpop_bound());
    assert_eq!(
        tokens.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert!(tokens.refresh_token.is_some(), "offline_access is in the default scope");
    let at = claims(tokens.access_token.expose());
    assert_eq!(at["sub"], "google-oauth2|108234567890123456789");
    assert_eq!(at["aud"][0], API);
    assert_eq!(at["cnf"]["jkt"].as_str(), tokens.dpop_jkt.as_deref());
    let id = tokens.unverified_id_token_claims().unwrap();
    assert_eq!(id["email"], "jane.doe@gmail.com");
    assert_eq!(id["name"], "Jane Doe");
    let user = emu.user("google-oauth2|108234567890123456789").expect("signed up");
    assert_eq!(user.email.as_deref(), Some("jane.doe@gmail.com"));

    // The Action verifies the token: audience, expiry and signature.
    let plain = client(&emu);
    let exchange = |t: String| CustomTokenExchange::google_id_token(t, SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE);
    let other_app = emu.google_id_token(GoogleIdToken::new("1").audience("someone-else.apps.googleusercontent.com"));
    let expired = emu.google_id_token(GoogleIdToken::new("1").issued_ago(Duration::from_secs(7200)));
    let good = emu.google_id_token(GoogleIdToken::new("1"));
    // Change one signature character (in the middle: the last one may only carry padding bits).
    let cut = good.rfind('.').unwrap() + 10;
    let swapped = if &good[cut..=cut] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swapped}{}", &good[..cut], &good[cut + 1..]);
    for (token, reason) in [
        (other_app, "unexpected audience"),
        (expired, "expired"),
        (tampered, "bad signature"),
    ] {
        let e = plain.custom_token_exchange(&exchange(token)).await.unwrap_err();
        let (status, code, description) = oauth(&e);
        assert_eq!((status, code.as_str()), (400, "invalid_request"), "{reason}");
        assert_eq!(description, format!("Invalid Google ID token: {reason}"));
    }
}

#[tokio::test]
async fn an_unknown_subject_token_type_is_invalid_request() {
    let emu = emulator().await;
    let e = client(&emu)
        .custom_token_exchange(&CustomTokenExchange::new("token", "urn:acme:nobody-handles-this"))
        .await
        .unwrap_err();
    assert_eq!(
        oauth(&e),
        (
            400,
            "invalid_request".into(),
            "Unsupported subject_token_type: urn:acme:nobody-handles-this".into()
        )
    );
}

#[tokio::test]
async fn deny_codes_become_oauth_errors_and_other_codes_a_server_error() {
    let emu = actions_emulator(EmulatorConfig::default()).await;
    let app = client(&emu);
    for (code, status, error) in [
        ("invalid_scope", 400, "invalid_scope"),
        ("invalid_request", 400, "invalid_request"),
        ("server_error", 500, "server_error"),
        ("access_denied", 500, "server_error"),
    ] {
        let e = app
            .custom_token_exchange(&request("denied-user").extra_parameter("deny_code", code))
            .await
            .unwrap_err();
        let (s, c, description) = oauth(&e);
        assert_eq!((s, c.as_str()), (status, error), "{code}");
        if code == "access_denied" {
            assert!(description.contains("\"access_denied\""), "{description}");
            assert!(description.contains("invalid_scope, invalid_request, server_error"));
        } else {
            assert_eq!(description, "denied by the issuance Action");
        }
    }
    // The custom-token-exchange trigger also accepts a code of its own.
    let e = app
        .custom_token_exchange(&request("denied-user").extra_parameter("cte_deny", "unauthorized_login"))
        .await
        .unwrap_err();
    assert_eq!(
        oauth(&e),
        (400, "unauthorized_login".into(), "denied by the profile Action".into())
    );
    // Without a denial, tokens.
    app.custom_token_exchange(&request("denied-user")).await.unwrap();
}

#[tokio::test]
async fn custom_claims_are_added_but_registered_claims_stay() {
    let emu = actions_emulator(EmulatorConfig::default()).await;
    let tokens = client(&emu)
        .custom_token_exchange(&request("claims-user").extra_parameter("tier", "gold"))
        .await
        .unwrap();
    let at = claims(tokens.access_token.expose());
    assert_eq!(at["https://example.com/tier"], "gold");
    assert_eq!(at["sub"], "acme|claims-user", "sub cannot be overridden");
    let id = tokens.unverified_id_token_claims().unwrap();
    assert!(id.get("https://example.com/tier").is_none(), "access token only");
}

#[tokio::test]
async fn cache_records_live_15_minutes_by_default_or_as_set_and_at_most_24_hours() {
    let emu = actions_emulator(EmulatorConfig::default()).await;
    emu.freeze_actions_clock();
    let app = client(&emu);
    let cached = |tokens: &token_exchange::TokenSet| {
        claims(tokens.access_token.expose())
            .get("https://example.com/cached")
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    let set = |extra: Extra| {
        let mut r = request("cache-user").extra_parameter("cache", "set");
        for (k, v) in extra {
            r = r.extra_parameter(k, v);
        }
        r
    };
    let get = request("cache-user").extra_parameter("cache", "get");
    let cases: Vec<(&str, Extra, Duration)> = vec![
        ("default", vec![], Duration::from_secs(15 * 60)),
        ("ttl", vec![("ttl", "1000".into())], Duration::from_millis(1000)),
        (
            "expires_at",
            vec![("expires_in_ms", "5000".into())],
            Duration::from_millis(5000),
        ),
        (
            "clamped",
            vec![("ttl", (48 * 3600 * 1000u64).to_string())],
            Duration::from_secs(24 * 3600),
        ),
    ];
    for (name, options, lifetime) in cases {
        let mut extra = options;
        extra.push(("value", name.to_owned()));
        app.custom_token_exchange(&set(extra)).await.unwrap();
        assert_eq!(
            cached(&app.custom_token_exchange(&get).await.unwrap()).as_deref(),
            Some(name)
        );
        emu.advance_actions_clock(lifetime - Duration::from_millis(1));
        assert_eq!(
            cached(&app.custom_token_exchange(&get).await.unwrap()).as_deref(),
            Some(name),
            "{name}: still there just before its lifetime ends"
        );
        emu.advance_actions_clock(Duration::from_millis(1));
        assert_eq!(
            cached(&app.custom_token_exchange(&get).await.unwrap()),
            None,
            "{name}: gone after its lifetime"
        );
    }
}

#[tokio::test]
async fn target_scopes_are_intersected_with_the_client_grant_after_the_actions() {
    let reports = "https://reports.example.com";
    let config = EmulatorConfig::default()
        .with_api(ApiConfig::new(
            reports,
            &["read:reports", "write:reports", "delete:reports"],
        ))
        .with_client(ClientConfig::machine_to_machine("reports-job", "reports-secret"))
        .with_client_grant(ClientGrantConfig::new(
            "reports-job",
            reports,
            &["read:reports", "write:reports"],
        ))
        .with_action(ActionConfig::rust(
            "act_scopes",
            ActionTrigger::CredentialsExchange,
            Arc::new(|event: &ActionEvent, api: &mut ActionApi| {
                let requested = event.pointer("/transaction/requested_scopes").cloned();
                if requested == Some(json!(["read:reports"])) {
                    api.add_target_scope("delete:reports"); // not granted: dropped
                    api.add_target_scope("write:reports");
                    api.remove_target_scope("read:reports");
                } else {
                    api.set_target_scopes(&["read:reports", "delete:reports"]);
                }
                Ok(())
            }),
        ));
    let emu = emulator_with(config).await;
    let job = Client::builder(emu.base_url(), "reports-job")
        .client_authentication(ClientAuthentication::ClientSecretPost("reports-secret".into()))
        .build()
        .unwrap();
    let tokens = job.client_credentials(reports, Some("read:reports")).await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("write:reports"));
    assert_eq!(claims(tokens.access_token.expose())["scope"], "write:reports");
    let tokens = job.client_credentials(reports, None).await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("read:reports"));
}

#[tokio::test]
async fn an_actor_token_gives_an_act_claim_and_no_refresh_token() {
    let emu = actions_emulator(EmulatorConfig::default()).await;
    let app = client(&emu);
    let tokens = app
        .custom_token_exchange(
            &request("delegating-user")
                .scope("openid offline_access")
                .actor("agent-token", "urn:acme:agent"),
        )
        .await
        .unwrap();
    assert_eq!(tokens.actor_claim(), Some(json!({"sub": "agent|007"})));
    assert_eq!(
        tokens.unverified_id_token_claims().unwrap()["act"],
        json!({"sub": "agent|007"})
    );
    assert!(tokens.refresh_token.is_none());
    assert!(!tokens.scope.as_deref().unwrap_or_default().contains("offline_access"));

    // The same request without an actor gets a refresh token.
    let tokens = app
        .custom_token_exchange(&request("delegating-user").scope("openid offline_access"))
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some() && tokens.actor_claim().is_none());

    // An actor token the Action did not validate is refused.
    let e = app
        .custom_token_exchange(&request("delegating-user").actor("unknown-agent", "urn:acme:agent"))
        .await
        .unwrap_err();
    let (status, code, _) = oauth(&e);
    assert_eq!((status, code.as_str()), (400, "invalid_request"));
}

#[tokio::test]
async fn rejected_subject_tokens_count_towards_brute_force_protection() {
    let emu = actions_emulator(EmulatorConfig::default().with_brute_force_threshold(2)).await;
    let app = client(&emu);
    for _ in 0..2 {
        let e = app.custom_token_exchange(&request("reject")).await.unwrap_err();
        assert_eq!(
            oauth(&e),
            (400, "invalid_request".into(), "the test token is invalid".into())
        );
    }
    let e = app.custom_token_exchange(&request("good-user")).await.unwrap_err();
    assert_eq!(oauth(&e).1, "too_many_attempts");
    emu.reset_brute_force();
    app.custom_token_exchange(&request("good-user")).await.unwrap();
}

#[tokio::test]
async fn throwing_and_hanging_javascript_actions_are_server_errors_and_the_emulator_keeps_serving() {
    let mut config = EmulatorConfig::default()
        .with_action(ActionConfig::js_code(
            "act_throws",
            ActionTrigger::CustomTokenExchange,
            "exports.onExecuteCustomTokenExchange = async (event) => {\n\
               throw new TypeError('cannot use ' + event.transaction.subject_token);\n\
             };",
        ))
        .with_action(ActionConfig::js_code(
            "act_hangs",
            ActionTrigger::CustomTokenExchange,
            "exports.onExecuteCustomTokenExchange = async () => { while (true) {} };",
        ))
        .with_action(ActionConfig::js_code(
            "act_js_issuance",
            ActionTrigger::CredentialsExchange,
            "exports.onExecuteCredentialsExchange = async (event, api) => {\n\
               const seen = Number((api.cache.get('seen') || { value: '0' }).value) + 1;\n\
               api.cache.set('seen', String(seen));\n\
               api.accessToken.setCustomClaim('https://example.com/seen', seen);\n\
               api.accessToken.setCustomClaim('https://example.com/client', event.client.client_id);\n\
             };",
        ))
        .with_token_exchange_profile(TokenExchangeProfileConfig::new("urn:acme:throws", "act_throws"))
        .with_token_exchange_profile(TokenExchangeProfileConfig::new("urn:acme:hangs", "act_hangs"));
    config.action_timeout_ms = 1500;
    let emu = emulator_with(config).await;
    let app = client(&emu);

    let e = app
        .custom_token_exchange(&CustomTokenExchange::new("secret-subject-token", "urn:acme:throws"))
        .await
        .unwrap_err();
    let (status, code, description) = oauth(&e);
    assert_eq!((status, code.as_str()), (500, "server_error"));
    assert_eq!(description, "Action act_throws threw an error (TypeError)");
    assert!(!description.contains("secret-subject-token"));

    // The emulator ends the Action itself: the answer is its server_error, not the client's
    // timeout (30 s), whatever the load.
    let e = app
        .custom_token_exchange(&CustomTokenExchange::new("t", "urn:acme:hangs"))
        .await
        .unwrap_err();
    let (status, code, description) = oauth(&e);
    assert_eq!((status, code.as_str()), (500, "server_error"));
    assert_eq!(description, "Action act_hangs did not complete within 1500 ms");

    // Still serving: the Google sample (JavaScript) and an Apple exchange, each through the
    // JavaScript credentials-exchange Action, whose cache counts the issuances.
    let google = emu.google_id_token(GoogleIdToken::new("77"));
    let tokens = app
        .custom_token_exchange(&CustomTokenExchange::google_id_token(
            google,
            SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
        ))
        .await
        .unwrap();
    let at = claims(tokens.access_token.expose());
    assert_eq!(
        (at["https://example.com/seen"].as_u64(), at["sub"].as_str()),
        (Some(1), Some("google-oauth2|77"))
    );
    assert_eq!(at["https://example.com/client"], "native-app");
    let apple = emu.apple_authorization_code(AppleCode::new("apple|still-serving"));
    app.native_social_exchange(&NativeSocialExchange::apple(apple))
        .await
        .unwrap();
    let google = emu.google_id_token(GoogleIdToken::new("78"));
    let tokens = app
        .custom_token_exchange(&CustomTokenExchange::google_id_token(
            google,
            SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
        ))
        .await
        .unwrap();
    assert_eq!(claims(tokens.access_token.expose())["https://example.com/seen"], 2);
}

#[tokio::test]
async fn a_missing_node_is_a_clear_startup_error() {
    let dir = std::env::temp_dir().join(format!("tx-cte-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("action.js");
    std::fs::write(&file, "exports.onExecuteCustomTokenExchange = async () => {};").unwrap();
    let mut config = EmulatorConfig::default().with_action(ActionConfig::js_file(
        "act_from_file",
        ActionTrigger::CustomTokenExchange,
        &file,
    ));
    config.node_path = Some("/nonexistent/bin/node".into());
    let e = Emulator::start(config).await.unwrap_err().to_string();
    assert!(e.contains("need Node.js"), "{e}");
    assert!(
        e.contains("act_from_file") && e.contains("/nonexistent/bin/node"),
        "{e}"
    );

    // Inline JavaScript (like the sample Google Action) is only checked when it runs.
    let config = EmulatorConfig {
        node_path: Some("/nonexistent/bin/node".into()),
        ..EmulatorConfig::default()
    };
    let emu = emulator_with(config).await;
    let google = emu.google_id_token(GoogleIdToken::new("1"));
    let e = client(&emu)
        .custom_token_exchange(&CustomTokenExchange::google_id_token(
            google,
            SAMPLE_GOOGLE_SUBJECT_TOKEN_TYPE,
        ))
        .await
        .unwrap_err();
    let (status, code, description) = oauth(&e);
    assert_eq!((status, code.as_str()), (500, "server_error"));
    assert!(description.contains("Node.js is not available"), "{description}");
    std::fs::remove_dir_all(&dir).unwrap();
}
