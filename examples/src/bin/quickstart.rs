//! Quickstart: exchange a Sign in with Apple authorization code for DPoP-bound Auth0 tokens,
//! then keep them alive.
//!
//! `cargo run -p examples --bin quickstart` starts the emulator in-process, mints an Apple
//! authorization code, exchanges it (answering the server's DPoP nonce challenge) and prints the
//! redacted token set and the claims of the ID token, which the client validated.
//!
//! - `REFRESH=1`: then renews the tokens once with the refresh token and prints the renewed,
//!   redacted token set.
//! - `REVOKE=1`: then revokes the refresh token and shows that one more refresh fails with
//!   `invalid_grant` (the run succeeds when that is the failure).
//!
//! Against a real tenant (or a standalone emulator) set:
//! `AUTH0_DOMAIN` (a domain or a full base URL), `AUTH0_CLIENT_ID`, `SUBJECT_TOKEN`, and
//! optionally `SUBJECT_TOKEN_TYPE` (default: the Apple authorization code URI),
//! `AUTH0_AUDIENCE`, `AUTH0_SCOPE`, `DPOP=1`/`DPOP=0` (default 1 for the emulator, 0 otherwise).
//! An ID token whose issuer is not that server fails the run.

use std::process::ExitCode;
use std::sync::Arc;

use token_exchange::{Client, NativeSocialExchange, SoftwareKey, SubjectTokenType, TokenSet, UserClaims, UserProfile};
use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig};

struct Target {
    domain: String,
    client_id: String,
    request: NativeSocialExchange,
    dpop: bool,
    /// Keeps the embedded emulator alive until the end of `main`.
    _emulator: Option<Emulator>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let target = match std::env::var("AUTH0_DOMAIN") {
        Ok(domain) => from_environment(domain)?,
        Err(_) => embedded_emulator().await?,
    };

    let mut builder = Client::builder(&target.domain, &target.client_id);
    if target.dpop {
        let key = SoftwareKey::generate().map_err(|e| format!("could not create a DPoP key: {e}"))?;
        builder = builder.dpop(Arc::new(key));
    }
    let client = builder.build().map_err(|e| e.to_string())?;

    println!("exchanging a {} at {}", describe(&target.request), client.base_url());
    let tokens = client.native_social_exchange(&target.request).await.map_err(|e| {
        let mut msg = e.to_string();
        if e.request_may_have_reached_server() {
            msg.push_str("\n(the subject token may have been consumed: get a new one before retrying)");
        }
        msg
    })?;
    print_tokens(&client, &tokens);

    if tokens.id_token.is_some() {
        match client.userinfo_claims(&tokens).await {
            Ok(claims) => println!(
                "userinfo (called with the {} token): {}",
                tokens.token_type,
                pretty(&claims)
            ),
            Err(e) => println!("userinfo failed: {e}"),
        }
    }

    let mut tokens = tokens;
    if flag("REFRESH")? {
        tokens = client
            .refresh(&tokens, None)
            .await
            .map_err(|e| format!("refresh failed: {e}"))?;
        println!("renewed token set (values redacted): {tokens:#?}");
    }
    if flag("REVOKE")? {
        revoke_then_refresh(&client, &tokens).await?;
    }
    Ok(())
}

/// Revokes the refresh token, then shows that the server refuses it.
async fn revoke_then_refresh(client: &Client, tokens: &TokenSet) -> Result<(), String> {
    let refresh_token = tokens
        .refresh_token
        .as_ref()
        .ok_or("REVOKE=1 needs a refresh token: ask for the offline_access scope")?;
    client
        .revoke(refresh_token)
        .await
        .map_err(|e| format!("revocation failed: {e}"))?;
    println!("refresh token revoked");
    match client.refresh(tokens, None).await {
        Err(e) if e.oauth().is_some_and(|o| o.is_invalid_grant()) => {
            println!("refresh after revocation failed as expected: {e}");
            Ok(())
        }
        Err(e) => Err(format!(
            "refresh after revocation failed, but not with invalid_grant: {e}"
        )),
        Ok(_) => Err("the server still accepted the revoked refresh token".into()),
    }
}

/// `NAME=1` turns a mode on, `NAME=0` or unset leaves it off.
fn flag(name: &str) -> Result<bool, String> {
    match std::env::var(name).ok().as_deref() {
        None | Some("" | "0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(format!("{name} must be 0 or 1, not {other:?}")),
    }
}

fn from_environment(domain: String) -> Result<Target, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let client_id = var("AUTH0_CLIENT_ID").ok_or("AUTH0_CLIENT_ID must be set with AUTH0_DOMAIN")?;
    let subject_token = var("SUBJECT_TOKEN").ok_or("SUBJECT_TOKEN must be set with AUTH0_DOMAIN")?;
    let token_type = var("SUBJECT_TOKEN_TYPE")
        .map(|t| SubjectTokenType::from_uri(&t))
        .unwrap_or(SubjectTokenType::AppleAuthorizationCode);
    let mut request = NativeSocialExchange::new(subject_token, token_type);
    if let Some(audience) = var("AUTH0_AUDIENCE") {
        request = request.audience(audience);
    }
    if let Some(scope) = var("AUTH0_SCOPE") {
        request = request.scope(scope);
    }
    let dpop = match var("DPOP").as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => return Err(format!("DPOP must be 0 or 1, not {other:?}")),
    };
    Ok(Target {
        domain,
        client_id,
        request,
        dpop,
        _emulator: None,
    })
}

async fn embedded_emulator() -> Result<Target, String> {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .map_err(|e| format!("emulator: {e}"))?;
    println!("embedded emulator listening at {}", emulator.base_url());
    let code = emulator.apple_authorization_code(AppleCode::new("apple|001234.quickstart").email("john@example.com"));
    let request = NativeSocialExchange::apple(code)
        .audience("https://api.example.com")
        .scope("openid profile email offline_access read:messages")
        // Apple returns the name only on the first sign-in: send it now or lose it.
        .user_profile(UserProfile::with_name(Some("John".into()), Some("Appleseed".into())));
    Ok(Target {
        domain: emulator.base_url().to_owned(),
        client_id: "native-app".into(),
        request,
        dpop: std::env::var("DPOP").map_or(true, |v| v != "0"),
        _emulator: Some(emulator),
    })
}

fn describe(request: &NativeSocialExchange) -> &'static str {
    match request.subject_token_type() {
        SubjectTokenType::AppleAuthorizationCode => "Sign in with Apple authorization code",
        SubjectTokenType::FacebookSessionInfoToken => "Facebook session info token",
        SubjectTokenType::Custom(_) => "custom subject token",
    }
}

fn print_tokens(client: &Client, tokens: &TokenSet) {
    println!("token set (values redacted): {tokens:#?}");
    match (&tokens.dpop_jkt, client.dpop()) {
        (Some(jkt), _) => println!("DPoP-bound: yes (cnf.jkt {jkt})"),
        (None, Some(_)) => println!("DPoP-bound: no (the server issued a {} token)", tokens.token_type),
        (None, None) => println!("DPoP-bound: no (DPoP not used)"),
    }
    if let Some(dpop) = client.dpop() {
        let endpoint = client.base_url().join("oauth/token").expect("valid base URL");
        match dpop.nonce_for(&endpoint) {
            Some(_) => println!(
                "DPoP nonce: received from {} and answered",
                endpoint.origin().ascii_serialization()
            ),
            None => println!("DPoP nonce: none demanded"),
        }
    }
    match &tokens.id_token_claims {
        Some(claims) => println!(
            "validated ID token claims (signature, iss, aud, exp, iat checked): {}",
            pretty(claims)
        ),
        None => println!("no ID token"),
    }
}

/// The claims as JSON. They are the user's profile: a real app shows them, never logs them.
fn pretty(claims: &UserClaims) -> String {
    let mut map = claims.other.clone();
    map.insert("sub".into(), claims.sub.clone().into());
    let optional = [
        ("name", &claims.name),
        ("given_name", &claims.given_name),
        ("family_name", &claims.family_name),
        ("email", &claims.email),
        ("picture", &claims.picture),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            map.insert(name.into(), value.clone().into());
        }
    }
    if let Some(verified) = claims.email_verified {
        map.insert("email_verified".into(), verified.into());
    }
    if let Some(at) = claims
        .updated_at
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    {
        map.insert("updated_at".into(), at.as_secs().into());
    }
    serde_json::to_string_pretty(&map).unwrap_or_default()
}
