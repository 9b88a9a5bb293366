//! The Token Vault backend example, run as a user runs it (embedded emulator).

use std::process::Command;

#[test]
fn the_backend_reads_the_calendar_with_a_cached_token_and_prints_no_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_token_vault_backend"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("API https://calendar.example.org created"), "{stdout}");
    assert!(stdout.contains("(app_type resource_server, grants: urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token)"), "{stdout}");
    assert!(stdout.contains("scope: openid profile read:calendar"), "{stdout}");
    assert!(stdout.contains("ask them to connect"), "{stdout}");
    assert!(stdout.contains("access_token: Secret(<redacted>)"), "{stdout}");
    assert!(stdout.contains("calendar of jane.doe@gmail.com:"), "{stdout}");
    assert!(stdout.contains("Team stand-up"), "{stdout}");
    assert!(stdout.contains("exchanges so far: 1 "), "{stdout}");
    assert!(
        !stdout.contains("eyJ") && !stdout.contains("ya29."),
        "a token was printed: {stdout}"
    );
}
