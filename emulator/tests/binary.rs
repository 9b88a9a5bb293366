//! The standalone binary: its JSON line, the `/emulator` control endpoints over HTTP,
//! `--config`, argument errors and stopping on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_token-exchange-emulator");

/// A running emulator process, killed when dropped.
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

/// A client carrying the control secret the binary printed.
fn control(run: &Running) -> reqwest::Client {
    control_client(run.line["control_secret"].as_str().expect("control_secret in the line"))
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first.clone());
        // Anything more on stdout would break the one-line contract.
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert!(rest.is_empty(), "unexpected extra stdout: {rest:?}");
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a line within 20 s")
        .expect("a line");
    let line: Value = serde_json::from_str(&line).expect("the line is JSON");
    Running { child, line }
}

/// POSTs JSON to a control endpoint of the binary, with its control secret.
async fn post_json(run: &Running, url: String, body: Value) -> (u16, Value) {
    let resp = control(run).post(url).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn binary_prints_its_json_line_and_serves_the_control_endpoints() {
    let run = spawn(&["--port", "0"]);
    let base = run.line["base_url"].as_str().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'), "{base}");
    assert_eq!(run.line["issuer"], format!("{base}/"));
    assert_eq!(run.line["client_id"], "native-app");
    assert_eq!(run.line["audience"], "https://api.example.com");
    assert_eq!(run.line["token_endpoint"], format!("{base}/oauth/token"));
    assert!(run.line["control_secret"].as_str().is_some_and(|s| s.len() >= 32));
    let anonymous = client()
        .post(format!("{base}/emulator/apple/authorization-codes"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401, "the control API needs the secret");

    let health: Value = client()
        .get(format!("{base}/emulator/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    let (status, minted) = post_json(
        &run,
        format!("{base}/emulator/apple/authorization-codes"),
        json!({"sub": "apple|bin-user", "email": "bin@example.com"}),
    )
    .await;
    assert_eq!(status, 201);
    let code = minted["code"].as_str().unwrap();
    let form = with(apple_form(code), "scope", "openid email");
    let resp = client()
        .post(format!("{base}/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tokens: Value = resp.json().await.unwrap();
    let jwks: Value = client()
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = verify_with_jwks(tokens["id_token"].as_str().unwrap(), &jwks);
    assert_eq!(
        (id["sub"].as_str(), id["email"].as_str()),
        (Some("apple|bin-user"), Some("bin@example.com"))
    );

    let user: Value = control(&run)
        .get(format!("{base}/emulator/users/apple%7Cbin-user"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "bin@example.com");
    let missing = control(&run)
        .get(format!("{base}/emulator/users/apple%7Cnobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // An empty body mints a code for the default user.
    let resp = control(&run)
        .post(format!("{base}/emulator/apple/authorization-codes"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let (status, fb) = post_json(
        &run,
        format!("{base}/emulator/facebook/session-tokens"),
        json!({"expires_in": 60}),
    )
    .await;
    assert_eq!((status, fb["expires_in"].as_u64()), (201, Some(60)));
    let fb_form = with(
        apple_form(fb["token"].as_str().unwrap()),
        "subject_token_type",
        token_exchange_emulator::FACEBOOK_SESSION_TOKEN_TYPE,
    );
    let resp = client()
        .post(format!("{base}/oauth/token"))
        .form(&fb_form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let (status, queued) = post_json(
        &run,
        format!("{base}/emulator/token-responses"),
        json!({"status": 429, "content_type": "application/json", "headers": {"Retry-After": "7"}, "body": "{\"error\":\"too_many_requests\"}"}),
    )
    .await;
    assert_eq!((status, queued["queued"].as_u64()), (201, Some(1)));
    let resp = client()
        .post(format!("{base}/oauth/token"))
        .form(&fb_form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let (status, _) = post_json(
        &run,
        format!("{base}/emulator/token-responses"),
        json!({"status": 1000}),
    )
    .await;
    assert_eq!(status, 400, "invalid canned responses are refused");
    let (status, _) = post_json(
        &run,
        format!("{base}/emulator/apple/authorization-codes"),
        json!({"subject": "typo"}),
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused");

    let rotated = control(&run)
        .post(format!("{base}/emulator/dpop/rotate-nonces"))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 204);
    let reset = control(&run)
        .delete(format!("{base}/emulator/brute-force"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
}

#[cfg(unix)]
#[tokio::test]
async fn binary_stops_cleanly_on_sigterm() {
    let mut run = spawn(&[]);
    let pid = run.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(s) = run.child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exited.expect("exited within 5 s").success());
}

#[tokio::test]
async fn binary_reads_a_config_file() {
    let path = std::env::temp_dir().join(format!("emulator-config-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"clients":[{"client_id":"my-ios-app"}],"apis":[],"users":[]}"#,
    )
    .unwrap();
    let run = spawn(&["--config", path.to_str().unwrap(), "--host", "127.0.0.1"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(run.line["client_id"], "my-ios-app");
    assert_eq!(run.line["audience"], Value::Null);
    let base = run.line["base_url"].as_str().unwrap();
    let (status, minted) = post_json(&run, format!("{base}/emulator/apple/authorization-codes"), json!({})).await;
    assert_eq!(status, 201);
    let form = with(apple_form(minted["code"].as_str().unwrap()), "client_id", "my-ios-app");
    let resp = client()
        .post(format!("{base}/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn binary_answers_to_allowed_host_names_only() {
    let run = spawn(&["--allowed-host", "emulator.internal"]);
    let base = run.line["base_url"].as_str().unwrap();
    for (host, status) in [
        ("emulator.internal", 200),
        ("localhost", 200),
        ("attacker.example", 421),
    ] {
        let resp = client()
            .get(format!("{base}/.well-known/jwks.json"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{host}");
    }
}

#[test]
fn binary_rejects_bad_arguments_and_non_loopback_hosts() {
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    let out = Command::new(BIN).args(["--port", "notaport"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN).args(["--host", "0.0.0.0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no JSON line when not listening");
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("--config"));
}
