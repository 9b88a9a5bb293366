//! The Google sign-in example, run as a user runs it (embedded emulator, Node.js for the
//! sample Action).

use std::process::Command;

#[test]
fn google_sign_in_creates_a_profile_and_gets_dpop_bound_tokens() {
    let out = Command::new(env!("CARGO_BIN_EXE_google_sign_in")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("token exchange profile tep_"), "{stdout}");
    assert!(stdout.contains("-> Action act_google"), "{stdout}");
    assert!(stdout.contains("DPoP-bound: yes (cnf.jkt "), "{stdout}");
    assert!(
        stdout.contains("sub=\"google-oauth2|108234567890123456789\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"email\": \"jane.doe@gmail.com\""), "{stdout}");
    assert!(stdout.contains("access_token: Secret(<redacted>)"), "{stdout}");
    assert!(!stdout.contains("eyJ"), "a JWT was printed: {stdout}");
}
