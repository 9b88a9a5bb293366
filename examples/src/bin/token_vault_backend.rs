//! Token Vault from a backend's point of view, on the embedded emulator:
//! `cargo run -p examples --bin token_vault_backend`.
//!
//! 1. Set up through the Management API (authenticated as the sample tenant's
//!    machine-to-machine client): the app gets the `authorization_code` grant, the backend API
//!    (`https://calendar.example.org`) is created with its scopes, and so is its Custom API
//!    Client (allowed the Token Vault grant; its secret comes back once). The Google connection
//!    is then enabled for the new client (an emulator control call).
//! 2. The user signs in on the mobile app (Sign in with Apple, native social token exchange)
//!    and gets an Auth0 access token for the backend API.
//! 3. The user connects their Google account (Auth0's Connected Accounts flow, simulated by the
//!    emulator), so Token Vault holds their Google tokens.
//! 4. The backend receives the app's access token and exchanges it, authenticated as its Custom
//!    API Client, for the user's Google access token (cached until shortly before it expires).
//! 5. The backend calls the (fake) Google Calendar API with it and prints the events.
//!
//! Token values are never printed.

use std::process::ExitCode;

use token_exchange::management::{ManagementAuth, ManagementClient, NewClient, NewResourceServer, ResourceServerScope};
use token_exchange::{
    Client, ClientAuthentication, Error, NativeSocialExchange, ResourceRequest, Secret, TOKEN_EXCHANGE_GRANT, TokenSet,
    TokenVaultCache, TokenVaultExchange,
};
use token_exchange_emulator::{
    AppleCode, CALENDAR_READONLY_SCOPE, ConnectAccount, Emulator, EmulatorConfig, GOOGLE_CONNECTION, SAMPLE_CLIENT_ID,
    SAMPLE_MANAGEMENT_CLIENT_ID, SAMPLE_MANAGEMENT_CLIENT_SECRET,
};

const USER: &str = "apple|001234.jane";
const GOOGLE_ACCOUNT: &str = "jane.doe@gmail.com";
const BACKEND_API: &str = "https://calendar.example.org";

/// The backend's Custom API Client, as created.
struct Backend {
    client_id: String,
    client_secret: Secret,
}

/// Step 1: the Management API calls of the Token Vault setup.
async fn set_up(emu: &Emulator) -> Result<Backend, String> {
    let management = ManagementClient::new(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.to_owned(),
            client_secret: Secret::new(SAMPLE_MANAGEMENT_CLIENT_SECRET),
        },
    )
    .map_err(|e| e.to_string())?;
    let grants: Vec<String> = [TOKEN_EXCHANGE_GRANT, "refresh_token", "authorization_code"]
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    management
        .update_client_grant_types(SAMPLE_CLIENT_ID, &grants)
        .await
        .map_err(|e| format!("PATCH /api/v2/clients/{SAMPLE_CLIENT_ID}: {e}"))?;
    let scope = |value: &str, description: &str| ResourceServerScope {
        value: value.to_owned(),
        description: description.to_owned(),
    };
    management
        .create_resource_server(&NewResourceServer {
            name: "Calendar Backend".to_owned(),
            identifier: BACKEND_API.to_owned(),
            scopes: vec![
                scope("read:calendar", "Read calendar events"),
                scope("write:calendar", "Write calendar events"),
            ],
        })
        .await
        .map_err(|e| format!("POST /api/v2/resource-servers: {e}"))?;
    let client = management
        .create_client(&NewClient::custom_api_client("Calendar Backend Client", BACKEND_API))
        .await
        .map_err(|e| format!("POST /api/v2/clients: {e}"))?;
    let client_secret = client
        .client_secret
        .ok_or("the Custom API Client came back without a secret")?;
    println!(
        "setup: app {SAMPLE_CLIENT_ID} may use authorization_code; API {BACKEND_API} created; Custom API Client {} \
         (app_type {}, grants: {})",
        client.client_id,
        client.app_type.as_deref().unwrap_or("?"),
        client.grant_types.join(" ")
    );
    emu.enable_connection(GOOGLE_CONNECTION, &client.client_id)
        .map_err(|e| e.to_string())?;
    Ok(Backend {
        client_id: client.client_id,
        client_secret,
    })
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
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .map_err(|e| format!("the emulator did not start: {e}"))?;
    println!("tenant: {} (embedded emulator, sample tenant)", emu.base_url());
    let backend_client = set_up(&emu).await?;

    // 2. The app signs the user in for the backend API.
    let app = Client::builder(emu.base_url(), SAMPLE_CLIENT_ID)
        .build()
        .map_err(|e| e.to_string())?;
    let code = emu.apple_authorization_code(AppleCode::new(USER).email("jane@example.com"));
    let app_tokens = app
        .native_social_exchange(
            &NativeSocialExchange::apple(code)
                .audience(BACKEND_API)
                .scope("openid profile read:calendar"),
        )
        .await
        .map_err(|e| format!("sign-in failed: {e}"))?;
    println!(
        "app: signed in as {USER}, access token for {BACKEND_API} (scope: {})",
        app_tokens.scope.as_deref().unwrap_or("-")
    );

    // 4. The backend, before the user connected Google: Token Vault says so.
    let backend = Client::builder(emu.base_url(), &backend_client.client_id)
        .client_authentication(ClientAuthentication::ClientSecretPost(backend_client.client_secret))
        .build()
        .map_err(|e| e.to_string())?;
    let cache = TokenVaultCache::new(backend.clone());
    let request = TokenVaultExchange::access_token(app_tokens.access_token.clone(), GOOGLE_CONNECTION);
    let scopes = [CALENDAR_READONLY_SCOPE.to_owned()];
    match cache.get(&request, &scopes).await {
        Err(Error::OAuth(e)) if e.is_connection_required() => {
            println!("backend: Token Vault has no Google account for the user yet ({e}): ask them to connect");
        }
        Ok(_) => return Err("the exchange succeeded before the user connected Google".into()),
        Err(e) => return Err(format!("unexpected error before connecting: {e}")),
    }

    // 3. The user connects Google.
    let connected = emu
        .connect_account(ConnectAccount::new(USER, GOOGLE_CONNECTION).login_hint(GOOGLE_ACCOUNT))
        .map_err(|e| e.to_string())?;
    println!(
        "user: connected Google account {GOOGLE_ACCOUNT} (scopes: {})",
        connected.scopes.join(" ")
    );

    // 4. The backend exchanges the app's access token for the user's Google access token.
    let google = cache
        .get(&request, &scopes)
        .await
        .map_err(|e| format!("Token Vault exchange failed: {e}"))?;
    println!("backend: {google:?}");

    // 5. The backend calls Google Calendar with it.
    let as_bearer = TokenSet::new(google.access_token.clone(), google.token_type.clone());
    let response = backend
        .send_authorized(&ResourceRequest::get(emu.calendar_events_url()), &as_bearer)
        .await
        .map_err(|e| format!("calendar call failed: {e}"))?;
    if response.status != 200 {
        return Err(format!("the calendar API answered HTTP {}", response.status));
    }
    let events: serde_json::Value =
        serde_json::from_slice(&response.body).map_err(|e| format!("calendar response: {e}"))?;
    println!("calendar of {}:", events["summary"].as_str().unwrap_or("?"));
    for item in events["items"].as_array().into_iter().flatten() {
        println!(
            "  {}  {}",
            item["start"]["dateTime"].as_str().unwrap_or("?"),
            item["summary"].as_str().unwrap_or("?")
        );
    }

    // A second request of the backend is served from the cache.
    cache.get(&request, &scopes).await.map_err(|e| e.to_string())?;
    println!(
        "backend: successful Token Vault exchanges so far: {} (the second lookup came from the cache)",
        emu.vault_exchange_count()
    );
    Ok(())
}
