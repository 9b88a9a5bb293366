//! The quickstart, run as a user runs it: on the embedded emulator, and against a separately
//! started emulator through the environment variables.
//!
//! (`REVOKE=1` needs the emulator's `/oauth/revoke`, which it does not have yet; its run is
//! tested once it does.)

use std::process::Command;

use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig};

fn quickstart() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    for var in [
        "AUTH0_DOMAIN",
        "AUTH0_CLIENT_ID",
        "SUBJECT_TOKEN",
        "SUBJECT_TOKEN_TYPE",
        "AUTH0_AUDIENCE",
        "AUTH0_SCOPE",
        "DPOP",
        "REFRESH",
        "REVOKE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn embedded_run_shows_a_dpop_bound_token_after_a_nonce_challenge() {
    let out = quickstart().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("DPoP-bound: yes (cnf.jkt "), "{stdout}");
    assert!(stdout.contains("DPoP nonce: received from"), "{stdout}");
    assert!(stdout.contains("\"given_name\": \"John\""), "{stdout}");
    assert!(stdout.contains("validated ID token claims"), "{stdout}");
    assert!(stdout.contains("\"sub\": \"apple|001234.quickstart\""), "{stdout}");
    assert!(stdout.contains("access_token: Secret(<redacted>)"), "{stdout}");
    assert!(!stdout.contains("eyJ"), "a JWT was printed: {stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_variables_target_another_server_and_failures_exit_non_zero() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let code = emu.apple_authorization_code(AppleCode::new("apple|from-env"));
    let run = |code: String, dpop: &str| {
        let mut cmd = quickstart();
        cmd.env("AUTH0_DOMAIN", emu.base_url())
            .env("AUTH0_CLIENT_ID", "native-app")
            .env("SUBJECT_TOKEN", code)
            .env("AUTH0_AUDIENCE", "https://api.example.com")
            .env("DPOP", dpop);
        cmd
    };
    let out = tokio::task::spawn_blocking({
        let mut cmd = run(code.clone(), "1");
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("DPoP-bound: yes"), "{stdout}");
    assert!(stdout.contains("\"sub\": \"apple|from-env\""), "{stdout}");

    // The same code again: the server refuses it and the program says so and fails.
    let out = tokio::task::spawn_blocking({
        let mut cmd = run(code, "0");
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("invalid_grant"), "{stderr}");
}

#[test]
fn refresh_renews_once_and_prints_the_renewed_token_set_redacted() {
    let out = quickstart().env("REFRESH", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let renewed = stdout
        .split("renewed token set (values redacted): ")
        .nth(1)
        .unwrap_or_else(|| panic!("no renewed token set: {stdout}"));
    assert!(renewed.contains("access_token: Secret(<redacted>)"), "{renewed}");
    assert!(renewed.contains("token_type: \"DPoP\""), "{renewed}");
    assert!(renewed.contains("refresh_token: Some("), "{renewed}");
    assert!(!stdout.contains("eyJ"), "a JWT was printed: {stdout}");

    let out = quickstart().env("REFRESH", "yes").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("REFRESH must be 0 or 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_token_from_another_issuer_fails_the_run() {
    // The emulator issues tokens as http://127.0.0.1:PORT/; reached as localhost, it is
    // another issuer than the configured server. (No DPoP: a proof's htu names the host.)
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let code = emu.apple_authorization_code(AppleCode::new("apple|elsewhere"));
    let mut cmd = quickstart();
    cmd.env("AUTH0_DOMAIN", format!("http://localhost:{}", emu.local_addr().port()))
        .env("AUTH0_CLIENT_ID", "native-app")
        .env("SUBJECT_TOKEN", code)
        .env("DPOP", "0");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        stderr.contains("the ID token is invalid: `iss` is not the tenant"),
        "{stderr}"
    );
}
