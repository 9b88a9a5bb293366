//! The quickstart, run as a user runs it: on the embedded emulator, and against a separately
//! started emulator through the environment variables; the exchange alone, and with the
//! lifecycle after it (`REFRESH=1`, `REVOKE=1`).

use std::process::{Command, Output};

use token_exchange_emulator::{AppleCode, CannedResponse, Emulator, EmulatorConfig};

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

/// Runs `cmd` to completion off the async runtime (an emulator in this process must keep
/// serving meanwhile).
async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// What a successful `REFRESH=1` run printed from its renewed token set on, which is checked to
/// be DPoP-bound and redacted.
fn renewed_token_set(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("eyJ"), "a JWT was printed: {stdout}");
    let renewed = stdout
        .split_once("renewed token set (values redacted): ")
        .unwrap_or_else(|| panic!("no renewed token set: {stdout}"))
        .1;
    assert!(renewed.contains("access_token: Secret(<redacted>)"), "{renewed}");
    assert!(renewed.contains("token_type: \"DPoP\""), "{renewed}");
    assert!(
        renewed.contains("refresh_token: Some(\n        Secret(<redacted>)"),
        "{renewed}"
    );
    renewed.to_owned()
}

/// Checks a successful `REFRESH=1 REVOKE=1` run: the renewed token set, then the revocation,
/// then the refresh refused with `invalid_grant`.
fn assert_lifecycle_shown(out: &Output) {
    let renewed = renewed_token_set(out);
    let (_, after_revocation) = renewed
        .split_once("\nrefresh token revoked\n")
        .unwrap_or_else(|| panic!("no revocation after the renewal: {renewed}"));
    assert!(
        after_revocation.starts_with("refresh after revocation failed as expected: invalid_grant (HTTP 403)"),
        "{after_revocation}"
    );
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
    let out = output(run(code.clone(), "1")).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("DPoP-bound: yes"), "{stdout}");
    assert!(stdout.contains("\"sub\": \"apple|from-env\""), "{stdout}");

    // The lifecycle against that server too.
    let mut cmd = run(emu.apple_authorization_code(AppleCode::new("apple|from-env")), "1");
    cmd.env("REFRESH", "1").env("REVOKE", "1");
    assert_lifecycle_shown(&output(cmd).await);

    // The same code again: the server refuses it and the program says so and fails.
    let out = output(run(code, "0")).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("invalid_grant"), "{stderr}");
}

/// Against a token endpoint that sends absurd or rate-limiting values, the quickstart exits
/// with the library's typed error naming the problem (and when to retry, where the server
/// said), never a crash (a panic exits with 101).
#[tokio::test(flavor = "multi_thread")]
async fn absurd_server_values_end_in_a_typed_error_never_a_crash() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let token = |expires_in: serde_json::Value| {
        CannedResponse::json(
            200,
            &serde_json::json!({"access_token": "at", "token_type": "Bearer", "expires_in": expires_in}),
        )
    };
    let cases = [
        (
            "expires_in of 2^64 - 1",
            token(serde_json::json!(u64::MAX)),
            vec!["`expires_in` is invalid"],
        ),
        (
            "429 with a Retry-After in the year 300000000000",
            CannedResponse::oauth_error(429, "too_many_requests", "Global limit has been reached")
                .header("Retry-After", "Sun, 06 Nov 300000000000 08:49:37 GMT"),
            vec!["too_many_requests (HTTP 429)"],
        ),
        (
            "429 with Retry-After: 7",
            CannedResponse::too_many_requests(7),
            vec!["too_many_requests (HTTP 429)", "retry after 7 s"],
        ),
        (
            "429 with an absurd Retry-After",
            CannedResponse::too_many_requests(u64::MAX),
            vec!["too_many_requests (HTTP 429)", "retry after 86400 s"],
        ),
        (
            "503 with Retry-After: 5",
            CannedResponse::oauth_error(503, "temporarily_unavailable", "maintenance").header("Retry-After", "5"),
            vec!["temporarily_unavailable (HTTP 503)", "retry after 5 s"],
        ),
    ];
    for (case, canned, expected) in cases {
        emu.inject_token_response(canned);
        let mut cmd = quickstart();
        cmd.env("AUTH0_DOMAIN", emu.base_url())
            .env("AUTH0_CLIENT_ID", "native-app")
            .env("SUBJECT_TOKEN", "any-apple-code")
            .env("DPOP", "0");
        let out = output(cmd).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{case}: exit status; stderr: {stderr}");
        for text in expected {
            assert!(stderr.contains(text), "{case}: {text:?} missing from stderr: {stderr}");
        }
    }
}

#[test]
fn refresh_renews_once_and_prints_the_renewed_token_set_redacted() {
    let out = quickstart().env("REFRESH", "1").output().unwrap();
    let renewed = renewed_token_set(&out);
    assert!(!renewed.contains("revoked"), "REFRESH alone does not revoke: {renewed}");

    let out = quickstart().env("REFRESH", "yes").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("REFRESH must be 0 or 1"));
}

#[test]
fn refresh_and_revoke_show_the_lifecycle_on_the_embedded_emulator_with_dpop() {
    let out = quickstart().env("REFRESH", "1").env("REVOKE", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DPoP-bound: yes (cnf.jkt "), "{stdout}");
    assert_lifecycle_shown(&out);

    let out = quickstart().env("REVOKE", "true").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("REVOKE must be 0 or 1"));
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
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        stderr.contains("the ID token is invalid: `iss` is not the tenant"),
        "{stderr}"
    );
}
