//! The server side of the Management API and of the client credentials grant that issues
//! its tokens: token checks, client authentication and client grants, canned responses, the
//! binary's management token and `--state`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use token_exchange_emulator::{
    ApiConfig, ClientConfig, ClientGrantConfig, Emulator, EmulatorConfig, MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
    MANAGEMENT_SCOPES,
};

const BIN: &str = env!("CARGO_BIN_EXE_token-exchange-emulator");

/// `client_credentials` form for `client_id` / `secret` and `audience`.
fn cc_form(client_id: &str, secret: &str, audience: &str) -> Form {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", client_id.to_owned()),
        ("client_secret", secret.to_owned()),
        ("audience", audience.to_owned()),
    ]
}

async fn api(method: reqwest::Method, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = client().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn client_credentials_issue_management_tokens_with_the_granted_scopes() {
    let emu = start(EmulatorConfig::default()).await;
    let audience = emu.management_api();
    let mut form = cc_form("limited-management-client", "limited-secret", &audience);
    form.push((
        "scope",
        "read:token_exchange_profiles delete:token_exchange_profiles".into(),
    ));
    let (status, _, body) = post_token(&emu, &form, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"], "read:token_exchange_profiles",
        "intersected with the grant"
    );
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let claims = verify_with_jwks(token, &emu.jwks());
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["sub"], "limited-management-client@clients");
    assert_eq!(claims["gty"], "client-credentials");
    let (status, _) = api(
        reqwest::Method::GET,
        &format!("{audience}token-exchange-profiles"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200);

    // Without scope: every granted scope. With Basic authentication too.
    let resp = client()
        .post(emu.token_endpoint())
        .basic_auth("management-client", Some("management-secret"))
        .form(&[("grant_type", "client_credentials"), ("audience", audience.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    let scopes: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(scopes.len(), MANAGEMENT_SCOPES.len());
}

#[tokio::test]
async fn client_credentials_errors_are_auth0s() {
    let reports = "https://reports.example.com";
    let emu = start(
        EmulatorConfig::default()
            .with_api(ApiConfig::new(reports, &["read:reports"]))
            .with_client(ClientConfig::machine_to_machine("no-grant-job", "job-secret")),
    )
    .await;
    let audience = emu.management_api();
    let got = post_token(&emu, &cc_form("management-client", "wrong", &audience), &[]).await;
    assert_error(&got, 401, "access_denied");
    assert_eq!(got.2["error_description"], "Unauthorized");
    let got = post_token(
        &emu,
        &without(cc_form("management-client", "x", &audience), "client_secret"),
        &[],
    )
    .await;
    assert_error(&got, 401, "invalid_client");
    let got = post_token(
        &emu,
        &without(cc_form("native-app", "x", &audience), "client_secret"),
        &[],
    )
    .await;
    assert_error(&got, 403, "unauthorized_client");
    let got = post_token(&emu, &cc_form("no-grant-job", "job-secret", reports), &[]).await;
    assert_error(&got, 403, "access_denied");
    assert_eq!(
        got.2["error_description"],
        format!(
            "Client is not authorized to access \"{reports}\". You need to create a \"client-grant\" associated to this API."
        )
    );
    let got = post_token(
        &emu,
        &cc_form("no-grant-job", "job-secret", "https://nowhere.example.com"),
        &[],
    )
    .await;
    assert_error(&got, 403, "access_denied");
    let got = post_token(
        &emu,
        &without(cc_form("no-grant-job", "job-secret", reports), "audience"),
        &[],
    )
    .await;
    assert_error(&got, 403, "access_denied");
    assert!(got.2["error_description"].as_str().unwrap().contains("No audience"));
}

#[tokio::test]
async fn management_tokens_are_checked() {
    let emu = start(EmulatorConfig::default()).await;
    let url = format!("{}token-exchange-profiles", emu.management_api());
    // A user's access token for another API is not a management token.
    let got = apple_exchange(&emu, "apple|mgmt", &[("audience", "https://api.example.com")]).await;
    let user_token = got.2["access_token"].as_str().unwrap().to_owned();
    let (status, body) = api(reqwest::Method::GET, &url, Some(&user_token), None).await;
    assert_eq!((status, body["message"].as_str()), (401, Some("Bad audience")));
    let resp = client()
        .get(&url)
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Unknown paths and methods.
    let (status, body) = api(
        reqwest::Method::GET,
        &format!("{}nothing-here", emu.management_api()),
        Some(&emu.management_token()),
        None,
    )
    .await;
    assert_eq!((status, body["statusCode"].as_u64()), (404, Some(404)));
    // Invalid JSON.
    let resp = client()
        .post(&url)
        .bearer_auth(emu.management_token())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"], "Invalid request payload JSON format");
}

#[tokio::test]
async fn client_grants_are_created_and_take_effect_at_once() {
    let reports = "https://reports.example.com";
    let emu = start(
        EmulatorConfig::default()
            .with_api(ApiConfig::new(reports, &["read:reports", "write:reports"]))
            .with_client(ClientConfig::machine_to_machine("job", "job-secret")),
    )
    .await;
    let token = emu.management_token();
    let url = format!("{}client-grants", emu.management_api());
    let got = post_token(&emu, &cc_form("job", "job-secret", reports), &[]).await;
    assert_error(&got, 403, "access_denied");
    let grant = json!({"client_id": "job", "audience": reports, "scope": ["read:reports"]});
    let (status, body) = api(reqwest::Method::POST, &url, Some(&token), Some(grant.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("cgr_"));
    let (status, body) = api(reqwest::Method::POST, &url, Some(&token), Some(grant)).await;
    assert_eq!((status, body["errorCode"].as_str()), (409, Some("conflict")));
    let (status, body) = api(
        reqwest::Method::POST,
        &url,
        Some(&token),
        Some(json!({"client_id": "job", "audience": "https://api.example.com", "scope": ["delete:everything"]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api(
        reqwest::Method::POST,
        &url,
        Some(&token),
        Some(json!({"client_id": "ghost", "audience": reports, "scope": []})),
    )
    .await;
    assert_eq!(status, 404);
    let got = post_token(&emu, &cc_form("job", "job-secret", reports), &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["scope"], "read:reports");
    let (status, list) = api(reqwest::Method::GET, &url, Some(&token), None).await;
    assert_eq!(status, 200);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|g| g["client_id"] == "management-client" && g["audience"] == emu.management_api().as_str())
    );
}

#[tokio::test]
async fn canned_management_responses_come_first_then_normal_service() {
    let emu = start(EmulatorConfig::default()).await;
    let secret = emu.control_secret().to_owned();
    let control = format!("{}/emulator/management-responses", emu.base_url());
    let canned = json!({"status": 503, "content_type": "text/html", "body": "<h1>down</h1>"});
    let (status, body) = api(reqwest::Method::POST, &control, Some(&secret), Some(canned)).await;
    assert_eq!((status, body["queued"].as_u64()), (201, Some(1)));
    let url = format!("{}token-exchange-profiles", emu.management_api());
    // Authentication comes first: without a token the canned answer is neither seen nor used up.
    let (status, body) = api(reqwest::Method::GET, &url, None, None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Missing authentication"))
    );
    let (status, _) = api(reqwest::Method::GET, &url, Some("not-a-token"), None).await;
    assert_eq!(status, 401);
    let resp = client()
        .get(&url)
        .bearer_auth(emu.management_token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.text().await.unwrap(), "<h1>down</h1>");
    let (status, _) = api(reqwest::Method::GET, &url, Some(&emu.management_token()), None).await;
    assert_eq!(status, 200, "back to normal");
    let (_, body) = api(
        reqwest::Method::POST,
        &control,
        Some(&secret),
        Some(json!({"status": 429})),
    )
    .await;
    assert_eq!(body["queued"], 1);
    let (status, body) = api(reqwest::Method::DELETE, &control, Some(&secret), None).await;
    assert_eq!((status, body["cleared"].as_u64()), (200, Some(1)));
}

#[tokio::test]
async fn configured_grants_must_name_confidential_clients_and_known_scopes() {
    let bad = [
        EmulatorConfig::default().with_client_grant(ClientGrantConfig::new(
            "native-app",
            MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
            &["read:clients"],
        )),
        EmulatorConfig::default().with_client_grant(ClientGrantConfig::new(
            "management-client",
            MANAGEMENT_API_AUDIENCE_PLACEHOLDER,
            &["read:everything"],
        )),
        EmulatorConfig::default().with_client_grant(ClientGrantConfig::new("ghost", "https://api.example.com", &[])),
    ];
    for config in bad {
        assert!(Emulator::start(config).await.is_err());
    }
}

/// A binary process, killed when dropped.
struct Running {
    child: Child,
    line: Value,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Running {
        child,
        line: serde_json::from_str(&line).expect("the line is JSON"),
    }
}

/// Stops a binary with SIGTERM (so that it saves its state) and waits for it.
fn terminate(mut run: Running) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-TERM", &run.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while run.child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    drop(run);
}

#[tokio::test]
async fn the_binary_prints_a_management_token_and_keeps_state_across_restarts() {
    let dir = std::env::temp_dir().join(format!("emu-state-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("tenant-state.json");
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_str().unwrap();

    let run = spawn(&["--state", state_arg]);
    let base = run.line["base_url"].as_str().unwrap().to_owned();
    assert_eq!(run.line["management_api"], format!("{base}/api/v2/"));
    let token = run.line["management_token"].as_str().unwrap().to_owned();
    let profiles = format!("{base}/api/v2/token-exchange-profiles");
    let (status, created) = api(
        reqwest::Method::POST,
        &profiles,
        Some(&token),
        Some(json!({"name": "From the binary", "subject_token_type": "urn:acme:binary", "action_id": "act_google", "type": "custom_authentication"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, created_client) = api(
        reqwest::Method::POST,
        &format!("{base}/api/v2/clients"),
        Some(&token),
        Some(json!({"name": "Job", "app_type": "non_interactive"})),
    )
    .await;
    assert_eq!(status, 201);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    assert!(
        saved["token_exchange_profiles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == created["id"])
    );
    terminate(run);

    let run = spawn(&["--state", state_arg]);
    let base = run.line["base_url"].as_str().unwrap().to_owned();
    let token = run.line["management_token"].as_str().unwrap();
    let (status, got) = api(
        reqwest::Method::GET,
        &format!(
            "{base}/api/v2/token-exchange-profiles/{}",
            created["id"].as_str().unwrap()
        ),
        Some(token),
        None,
    )
    .await;
    assert_eq!((status, got["name"].as_str()), (200, Some("From the binary")));
    let (status, got) = api(
        reqwest::Method::GET,
        &format!(
            "{base}/api/v2/clients/{}",
            created_client["client_id"].as_str().unwrap()
        ),
        Some(token),
        None,
    )
    .await;
    assert_eq!((status, got["app_type"].as_str()), (200, Some("non_interactive")));
    drop(run);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_state_file_that_is_not_valid_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("emu-state-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    std::fs::write(&state, "{\"version\": 99}").unwrap();
    let e = Emulator::start(EmulatorConfig::default().with_state_file(&state))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 99"), "{e}");
    std::fs::write(&state, "not json").unwrap();
    assert!(
        Emulator::start(EmulatorConfig::default().with_state_file(&state))
            .await
            .is_err()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_change_that_cannot_be_saved_is_undone_so_a_retry_creates_no_duplicate() {
    let dir = std::env::temp_dir().join(format!("emu-state-fail-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let emu = start(EmulatorConfig::default().with_state_file(dir.join("state.json"))).await;
    let token = emu.management_token();
    let clients = format!("{}clients", emu.management_api());
    let profiles = format!("{}token-exchange-profiles", emu.management_api());
    let new_client = json!({"name": "Retried App", "app_type": "native"});
    let new_profile = json!({"name": "Retried", "subject_token_type": "urn:acme:retried",
                             "action_id": "act_google", "type": "custom_authentication"});
    // The state file's directory disappears: every save fails.
    std::fs::remove_dir_all(&dir).unwrap();
    let (status, body) = api(reqwest::Method::POST, &clients, Some(&token), Some(new_client.clone())).await;
    assert_eq!(status, 500, "{body}");
    assert!(body["message"].as_str().unwrap().contains("state file"), "{body}");
    let (status, _) = api(
        reqwest::Method::POST,
        &profiles,
        Some(&token),
        Some(new_profile.clone()),
    )
    .await;
    assert_eq!(status, 500);
    let (_, listed) = api(reqwest::Method::GET, &clients, Some(&token), None).await;
    assert!(
        !listed.as_array().unwrap().iter().any(|c| c["name"] == "Retried App"),
        "the failed creation left nothing behind"
    );
    // The directory is back: the retries succeed, once each.
    std::fs::create_dir_all(&dir).unwrap();
    let (status, _) = api(reqwest::Method::POST, &clients, Some(&token), Some(new_client)).await;
    assert_eq!(status, 201);
    let (status, body) = api(reqwest::Method::POST, &profiles, Some(&token), Some(new_profile)).await;
    assert_eq!(status, 201, "no conflict with a phantom of the failed attempt: {body}");
    let (_, listed) = api(reqwest::Method::GET, &clients, Some(&token), None).await;
    let named = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "Retried App")
        .count();
    assert_eq!(named, 1);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(
        saved["clients"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "Retried App")
            .count(),
        1
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("state.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the state file holds client secrets");
    }
    drop(emu);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_profile_needs_a_name_as_the_reference_says() {
    let emu = start(EmulatorConfig::default()).await;
    let url = format!("{}token-exchange-profiles", emu.management_api());
    let nameless = json!({"subject_token_type": "urn:acme:nameless", "action_id": "act_google",
                          "type": "custom_authentication"});
    let (status, body) = api(
        reqwest::Method::POST,
        &url,
        Some(&emu.management_token()),
        Some(nameless),
    )
    .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Missing required property: name")
    );
    assert!(
        emu.token_exchange_profiles()
            .iter()
            .all(|p| p.subject_token_type != "urn:acme:nameless")
    );
}

/// Sends `method path` as written (no URL normalisation, which would resolve `..`).
async fn raw_request(emu: &Emulator, method: &str, path: &str, token: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(emu.local_addr()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\n\
         content-length: 2\r\nconnection: close\r\n\r\n{{}}",
        emu.local_addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn dot_and_dot_dot_are_not_object_ids() {
    let emu = start(EmulatorConfig::default()).await;
    let token = emu.management_token();
    let before = emu.token_exchange_profiles().len();
    for id in [".", "..", "%2E", "%2e%2E"] {
        for (method, collection) in [
            ("GET", "token-exchange-profiles"),
            ("PATCH", "token-exchange-profiles"),
            ("DELETE", "token-exchange-profiles"),
            ("GET", "clients"),
            ("PATCH", "clients"),
            ("GET", "resource-servers"),
        ] {
            let (status, body) = raw_request(&emu, method, &format!("/api/v2/{collection}/{id}"), &token).await;
            assert_eq!(
                (status, body["errorCode"].as_str()),
                (400, Some("invalid_uri")),
                "{method} {collection}/{id}: {body}"
            );
        }
    }
    assert_eq!(emu.token_exchange_profiles().len(), before);
}
