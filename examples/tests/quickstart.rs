//! The quickstart, run as a user runs it: on the embedded emulator, and against a separately
//! started emulator through the environment variables.

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
