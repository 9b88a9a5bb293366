//! Native Google sign-in: exchange a Google ID token for DPoP-bound Auth0 tokens through
//! Custom Token Exchange.
//!
//! `cargo run -p examples --bin google_sign_in` runs everything offline on the embedded
//! emulator:
//!
//! 1. as the tenant's admin, creates a token exchange profile through the Management API
//!    (client credentials of a machine-to-machine application), binding the subject token
//!    type `https://myapp.example.com/google-id-token` to the Action that verifies Google ID
//!    tokens (`emulator/actions/google-id-token.js`, run with Node.js);
//! 2. as the Android app after Credential Manager sign-in, gets a Google ID token (here
//!    minted by the emulator's test Google issuer);
//! 3. exchanges it with a DPoP key (answering the nonce challenge) and prints the redacted
//!    token set and the claims.
//!
//! On a real tenant, step 1 is done once (the same Management API calls, with your M2M
//! application), the Action is deployed with your Google OAuth client ids as the
//! `GOOGLE_CLIENT_IDS` secret, and step 2's token comes from Google.

use std::process::ExitCode;
use std::sync::Arc;

use token_exchange::management::{ManagementAuth, ManagementClient, NewTokenExchangeProfile};
use token_exchange::{Client, CustomTokenExchange, SoftwareKey, TokenSet};
use token_exchange_emulator::{
    Emulator, EmulatorConfig, GoogleIdToken, SAMPLE_GOOGLE_ACTION_ID, SAMPLE_MANAGEMENT_CLIENT_ID,
    SAMPLE_MANAGEMENT_CLIENT_SECRET,
};

/// The subject token type the app sends its Google ID tokens with (a URI of your own).
const GOOGLE_ID_TOKEN_TYPE: &str = "https://myapp.example.com/google-id-token";
/// The app's Auth0 client id and the API it calls.
const CLIENT_ID: &str = "native-app";
const AUDIENCE: &str = "https://api.example.com";

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
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .map_err(|e| format!("emulator: {e}"))?;
    println!("embedded emulator listening at {}", emulator.base_url());

    // 1. The tenant admin binds the subject token type to the Google Action.
    let management = ManagementClient::new(
        emulator.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.into(),
            client_secret: SAMPLE_MANAGEMENT_CLIENT_SECRET.into(),
        },
    )
    .map_err(|e| e.to_string())?;
    let profile = management
        .create_token_exchange_profile(
            &NewTokenExchangeProfile::new(GOOGLE_ID_TOKEN_TYPE, SAMPLE_GOOGLE_ACTION_ID).name("Google on Android"),
        )
        .await
        .map_err(|e| format!("creating the token exchange profile: {e}"))?;
    println!(
        "token exchange profile {} ({:?}): {} -> Action {}",
        profile.id, profile.name, profile.subject_token_type, profile.action_id
    );

    // 2. The app signs in with Google and gets an ID token.
    let google_id_token = emulator.google_id_token(
        GoogleIdToken::new("108234567890123456789")
            .email("jane.doe@gmail.com")
            .name("Jane Doe"),
    );
    println!("Google ID token obtained (value not shown)");

    // 3. The app exchanges it for Auth0 tokens bound to its DPoP key.
    let key = SoftwareKey::generate().map_err(|e| format!("could not create a DPoP key: {e}"))?;
    let client = Client::builder(emulator.base_url(), CLIENT_ID)
        .dpop(Arc::new(key))
        .build()
        .map_err(|e| e.to_string())?;
    let request = CustomTokenExchange::google_id_token(google_id_token, GOOGLE_ID_TOKEN_TYPE)
        .audience(AUDIENCE)
        .scope("openid profile email offline_access read:messages");
    let tokens = client
        .custom_token_exchange(&request)
        .await
        .map_err(|e| format!("exchange failed: {e}"))?;
    print_tokens(&tokens);
    Ok(())
}

fn print_tokens(tokens: &TokenSet) {
    println!("token set (values redacted): {tokens:#?}");
    match &tokens.dpop_jkt {
        Some(jkt) => println!("DPoP-bound: yes (cnf.jkt {jkt})"),
        None => println!("DPoP-bound: no (the server issued a {} token)", tokens.token_type),
    }
    let access = token_exchange_claims(tokens.access_token.expose());
    println!(
        "access token claims (signature not verified here): sub={} aud={} scope={}",
        access.get("sub").unwrap_or(&serde_json::Value::Null),
        access.get("aud").unwrap_or(&serde_json::Value::Null),
        access.get("scope").unwrap_or(&serde_json::Value::Null),
    );
    match tokens.unverified_id_token_claims() {
        Some(claims) => println!(
            "ID token claims (signature not verified here): {}",
            serde_json::to_string_pretty(&claims).unwrap_or_default()
        ),
        None => println!("no ID token"),
    }
}

/// The payload of a JWT, decoded without verification, for display.
fn token_exchange_claims(jwt: &str) -> serde_json::Map<String, serde_json::Value> {
    // The ID token decoder of a throwaway token set decodes any JWT payload.
    let mut holder = TokenSet::new(String::new(), "Bearer");
    holder.id_token = Some(jwt.to_owned().into());
    holder.unverified_id_token_claims().unwrap_or_default()
}
