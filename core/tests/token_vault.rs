//! Token Vault against the emulator, over real HTTP: an app user signs in for the backend API,
//! connects Google, and the backend (a Custom API Client) exchanges the user's Auth0 access
//! token for the Google access token, then calls the (fake) Google Calendar API with it.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use support::*;
use token_exchange::management::{ManagementAuth, ManagementClient, NewClient, NewResourceServer, ResourceServerScope};
use token_exchange::{
    ClientAssertionKey, ClientAuthentication, Error, NativeSocialExchange, OAuthError, ResourceRequest, Secret,
    SoftwareKey, TOKEN_EXCHANGE_GRANT, TokenSet, TokenVaultCache, TokenVaultExchange, TokenVaultSubjectTokenType,
    TokenVaultToken,
};
use token_exchange_emulator::{
    AppleCode, CALENDAR_READONLY_SCOPE, ClientConfig, ConnectAccount, ConnectionConfig, Emulator, EmulatorConfig,
    FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE, GOOGLE_CONNECTION, GRANT_FEDERATED_CONNECTION, PublicKeyCredential,
    SAMPLE_DISABLED_CONNECTION, SAMPLE_MANAGEMENT_CLIENT_ID, SAMPLE_MANAGEMENT_CLIENT_SECRET,
    SAMPLE_NO_VAULT_CLIENT_ID, SAMPLE_NO_VAULT_CLIENT_SECRET, SAMPLE_VAULT_API_AUDIENCE, SAMPLE_VAULT_CLIENT_ID,
    SAMPLE_VAULT_CLIENT_SECRET,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A Custom API Client of the calendar API that authenticates with `private_key_jwt` only.
const JWT_CLIENT_ID: &str = "calendar-backend-jwt";
/// The `kid` its key is registered with.
const JWT_KID: &str = "backend-key-1";
/// A second connection enabled for the backends, for cache keys that differ by connection.
const WORK_CONNECTION: &str = "google-work";

/// An RSA key pair for `private_key_jwt`: (PKCS#8 private PEM, SPKI public PEM).
struct RsaPem {
    private: String,
    public: String,
}

fn generate_rsa() -> RsaPem {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("RSA key generation");
    RsaPem {
        private: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public: key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
    }
}

/// The backend's registered key, generated once per test binary (generation is slow).
fn backend_key() -> &'static RsaPem {
    static KEY: OnceLock<RsaPem> = OnceLock::new();
    KEY.get_or_init(generate_rsa)
}

/// The sample tenant plus the `private_key_jwt` backend and a second Google connection.
fn vault_config() -> EmulatorConfig {
    let jwt_client = ClientConfig {
        client_secret: None,
        private_key_jwt_credentials: vec![PublicKeyCredential::pem(&backend_key().public).kid(JWT_KID)],
        ..ClientConfig::custom_api_client(
            JWT_CLIENT_ID,
            "unused",
            SAMPLE_VAULT_API_AUDIENCE,
            &[GRANT_FEDERATED_CONNECTION],
        )
    };
    let backends = [SAMPLE_VAULT_CLIENT_ID, SAMPLE_NO_VAULT_CLIENT_ID, JWT_CLIENT_ID];
    EmulatorConfig::default()
        .with_client(jwt_client)
        .with_connection(ConnectionConfig::new(GOOGLE_CONNECTION, &backends))
        .with_connection(ConnectionConfig::new(WORK_CONNECTION, &backends))
}

async fn vault_emulator() -> Emulator {
    emulator_with(vault_config()).await
}

/// The app user signs in with Apple (public native client), for the backend API.
async fn sign_in(emu: &Emulator, user: &str) -> TokenSet {
    sign_in_for(emu, user, SAMPLE_VAULT_API_AUDIENCE).await
}

async fn sign_in_for(emu: &Emulator, user: &str, audience: &str) -> TokenSet {
    let code = emu.apple_authorization_code(AppleCode::new(user).email("jane@example.com"));
    client(emu)
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(audience))
        .await
        .expect("sign-in for the backend API")
}

/// The backend's client: the sample Custom API Client with `auth`.
fn backend_as(emu: &Emulator, client_id: &str, auth: ClientAuthentication) -> token_exchange::Client {
    token_exchange::Client::builder(emu.base_url(), client_id)
        .client_authentication(auth)
        .build()
        .expect("backend client builds")
}

fn backend(emu: &Emulator) -> token_exchange::Client {
    backend_as(
        emu,
        SAMPLE_VAULT_CLIENT_ID,
        ClientAuthentication::ClientSecretPost(Secret::new(SAMPLE_VAULT_CLIENT_SECRET)),
    )
}

fn jwt_backend(emu: &Emulator, key: &RsaPem, kid: &str) -> token_exchange::Client {
    let key = ClientAssertionKey::rsa_pkcs8_pem(&key.private, Some(kid.to_owned())).expect("PKCS#8 key");
    backend_as(emu, JWT_CLIENT_ID, ClientAuthentication::PrivateKeyJwt(Arc::new(key)))
}

fn google(tokens: &TokenSet) -> TokenVaultExchange {
    TokenVaultExchange::access_token(tokens.access_token.clone(), GOOGLE_CONNECTION)
}

fn oauth(e: &Error) -> &OAuthError {
    e.oauth()
        .unwrap_or_else(|| panic!("expected an OAuth error, got {e:?}"))
}

/// A minimal HTTP/1.1 client for the emulator's control endpoints and the fake provider API
/// (the library under test is not used for these). Returns the status and the JSON body.
async fn http(
    method: &str,
    url: &str,
    authorization: Option<&str>,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let url = url::Url::parse(url).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        url.path(),
        body.len()
    );
    if let Some(a) = authorization {
        request.push_str(&format!("authorization: {a}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// The user connects an account through the control endpoint.
async fn connect_over_http(emu: &Emulator, body: serde_json::Value) -> (u16, serde_json::Value) {
    http(
        "POST",
        &format!("{}/emulator/vault/connect", emu.base_url()),
        Some(&format!("Bearer {}", emu.control_secret())),
        Some(&body),
    )
    .await
}

/// Lists calendar events with a provider access token, through the library's resource call.
async fn calendar_events(emu: &Emulator, token: &TokenVaultToken) -> (u16, serde_json::Value) {
    let as_bearer = TokenSet::new(token.access_token.clone(), token.token_type.clone());
    let response = client(emu)
        .send_authorized(&ResourceRequest::get(emu.calendar_events_url()), &as_bearer)
        .await
        .expect("the calendar API answers");
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn backend_exchanges_the_users_token_and_reads_the_calendar() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|vault-user").await;
    assert!(
        claims(tokens.access_token.expose())["aud"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == SAMPLE_VAULT_API_AUDIENCE)
    );
    let (status, connected) = connect_over_http(
        &emu,
        serde_json::json!({"user_id": "apple|vault-user", "connection": GOOGLE_CONNECTION, "login_hint": "jane@gmail.com"}),
    )
    .await;
    assert_eq!(status, 201, "{connected}");
    assert_eq!(connected["expires_in"], 3600);
    assert!(connected.get("access_token").is_none() && connected.get("refresh_token").is_none());

    let token = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(
        token.issued_token_type.as_deref(),
        Some(FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE)
    );
    assert!(
        token
            .scope
            .as_deref()
            .unwrap()
            .split(' ')
            .any(|s| s == CALENDAR_READONLY_SCOPE)
    );
    assert!((3590..=3600).contains(&token.expires_in.unwrap()));
    assert!(token.access_token.expose().starts_with("ya29."));
    assert_eq!(emu.vault_exchange_count(), 1);
    assert_eq!(emu.provider_refresh_count(), 0);

    let (status, events) = calendar_events(&emu, &token).await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["summary"], "jane@gmail.com");
    assert_eq!(events["items"].as_array().unwrap().len(), 3);

    // The provider API refuses anything it did not issue, and Auth0 tokens.
    for bad in ["ya29.forged", tokens.access_token.expose()] {
        let (status, body) = http("GET", &emu.calendar_events_url(), Some(&format!("Bearer {bad}")), None).await;
        assert_eq!(
            (status, body["error"]["status"].as_str()),
            (401, Some("UNAUTHENTICATED"))
        );
    }
    let (status, _) = http("GET", &emu.calendar_events_url(), None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn client_secret_basic_and_private_key_jwt_authenticate_too() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|auth-methods").await;
    emu.connect_account(ConnectAccount::new("apple|auth-methods", GOOGLE_CONNECTION))
        .unwrap();
    let basic = backend_as(
        &emu,
        SAMPLE_VAULT_CLIENT_ID,
        ClientAuthentication::ClientSecretBasic(Secret::new(SAMPLE_VAULT_CLIENT_SECRET)),
    );
    let by_basic = basic.token_vault_exchange(&google(&tokens)).await.unwrap();
    let jwt = jwt_backend(&emu, backend_key(), JWT_KID);
    let by_jwt = jwt.token_vault_exchange(&google(&tokens)).await.unwrap();
    // Twice: every request carries a fresh assertion (new jti).
    let again = jwt.token_vault_exchange(&google(&tokens)).await.unwrap();
    // The same stored provider token, whoever asks.
    assert_eq!(by_basic.access_token, by_jwt.access_token);
    assert_eq!(by_jwt.access_token, again.access_token);
    assert_eq!(emu.vault_exchange_count(), 3);
}

#[tokio::test]
async fn private_key_jwt_with_another_key_or_kid_is_invalid_client() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|wrong-key").await;
    emu.connect_account(ConnectAccount::new("apple|wrong-key", GOOGLE_CONNECTION))
        .unwrap();
    let other = generate_rsa();
    for (key, kid) in [(&other, JWT_KID), (backend_key(), "unknown-kid")] {
        let e = jwt_backend(&emu, key, kid)
            .token_vault_exchange(&google(&tokens))
            .await
            .unwrap_err();
        assert_eq!((oauth(&e).status(), oauth(&e).code()), (401, "invalid_client"), "{e}");
    }
    assert_eq!(emu.vault_exchange_count(), 0);
}

#[tokio::test]
async fn a_user_who_never_connected_must_connect() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|never-connected").await;
    let e = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap_err();
    let o = oauth(&e);
    assert!(o.is_connection_required(), "{e}");
    assert_eq!(o.status(), 401);
    assert_eq!(o.code(), "federated_connection_refresh_token_not_found");
    // Another user's connected account does not help.
    emu.connect_account(ConnectAccount::new("apple|someone-else", GOOGLE_CONNECTION))
        .unwrap();
    let e = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_connection_required());
    // An account that is not the one asked for (login_hint) neither.
    emu.connect_account(ConnectAccount::new("apple|never-connected", GOOGLE_CONNECTION).login_hint("a@gmail.com"))
        .unwrap();
    let e = backend(&emu)
        .token_vault_exchange(&google(&tokens).login_hint("b@gmail.com"))
        .await
        .unwrap_err();
    assert!(oauth(&e).is_connection_required());
}

#[tokio::test]
async fn expired_provider_tokens_are_refreshed_until_the_account_is_revoked() {
    let emu = vault_emulator().await;
    let user = "apple|refresh-user";
    let tokens = sign_in(&emu, user).await;
    let b = backend(&emu);

    // Connected with an already expired access token: the exchange refreshes it.
    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION).access_token_lifetime(Duration::ZERO))
        .unwrap();
    let refreshed = b.token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_eq!(emu.provider_refresh_count(), 1);
    assert!(refreshed.expires_in.unwrap() > 3500);
    assert_eq!(calendar_events(&emu, &refreshed).await.0, 200);

    // Revoked, but the stored access token is still valid: it is handed out.
    assert_eq!(emu.revoke_connected_account(user, GOOGLE_CONNECTION), 1);
    let still = b.token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_eq!(still.access_token, refreshed.access_token);

    // Revoked and expired: the user must connect again.
    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION).access_token_lifetime(Duration::ZERO))
        .unwrap();
    let (status, body) = http(
        "POST",
        &format!("{}/emulator/vault/revoke", emu.base_url()),
        Some(&format!("Bearer {}", emu.control_secret())),
        Some(&serde_json::json!({"user_id": user, "connection": GOOGLE_CONNECTION})),
    )
    .await;
    assert_eq!((status, body["revoked"].as_u64()), (200, Some(1)));
    let e = b.token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_connection_required(), "{e}");
    assert_eq!(
        emu.provider_refresh_count(),
        1,
        "a revoked refresh token yields nothing"
    );
}

#[tokio::test]
async fn the_calendar_api_refuses_expired_provider_tokens() {
    let emu = vault_emulator().await;
    let user = "apple|expiring-provider-token";
    let (status, connected) = connect_over_http(
        &emu,
        serde_json::json!({"user_id": user, "connection": GOOGLE_CONNECTION, "access_token_lifetime_secs": 1}),
    )
    .await;
    assert_eq!((status, connected["expires_in"].as_u64()), (201, Some(1)));
    let tokens = sign_in(&emu, user).await;
    let token = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap();
    assert!(token.expires_in.unwrap() <= 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = calendar_events(&emu, &token).await;
    assert_eq!(status, 401, "{body}");
    // The vault refreshes it on the next exchange.
    let fresh = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_ne!(fresh.access_token, token.access_token);
    assert_eq!(calendar_events(&emu, &fresh).await.0, 200);
    assert_eq!(emu.provider_refresh_count(), 1);
}

#[tokio::test]
async fn connection_must_exist_and_be_enabled_for_the_client() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|conn-user").await;
    emu.connect_account(ConnectAccount::new("apple|conn-user", SAMPLE_DISABLED_CONNECTION))
        .unwrap();
    let b = backend(&emu);
    let e = b
        .token_vault_exchange(&TokenVaultExchange::access_token(
            tokens.access_token.clone(),
            SAMPLE_DISABLED_CONNECTION,
        ))
        .await
        .unwrap_err();
    assert!(oauth(&e).is_invalid_request(), "{e}");
    assert!(oauth(&e).description().unwrap().contains("not enabled"));
    let e = b
        .token_vault_exchange(&TokenVaultExchange::access_token(
            tokens.access_token.clone(),
            "no-such-connection",
        ))
        .await
        .unwrap_err();
    assert!(oauth(&e).is_invalid_request(), "{e}");
    assert!(oauth(&e).description().unwrap().contains("Unknown connection"));
    // Enabling it at run time makes it usable.
    emu.enable_connection(SAMPLE_DISABLED_CONNECTION, SAMPLE_VAULT_CLIENT_ID)
        .unwrap();
    b.token_vault_exchange(&TokenVaultExchange::access_token(
        tokens.access_token.clone(),
        SAMPLE_DISABLED_CONNECTION,
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn only_custom_api_clients_with_the_grant_may_exchange() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|grant-user").await;
    emu.connect_account(ConnectAccount::new("apple|grant-user", GOOGLE_CONNECTION))
        .unwrap();
    let no_vault = backend_as(
        &emu,
        SAMPLE_NO_VAULT_CLIENT_ID,
        ClientAuthentication::ClientSecretPost(Secret::new(SAMPLE_NO_VAULT_CLIENT_SECRET)),
    );
    let e = no_vault.token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_unauthorized_client(), "{e}");
    assert_eq!(oauth(&e).status(), 403);
    // The native app itself is not a Custom API Client.
    let e = client(&emu).token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_unauthorized_client(), "{e}");
    assert_eq!(emu.vault_exchange_count(), 0);
}

#[tokio::test]
async fn invalid_expired_and_foreign_audience_subject_tokens_are_invalid_grant() {
    let emu = vault_emulator().await;
    let user = "apple|subject-user";
    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION))
        .unwrap();
    let b = backend(&emu);
    let good = sign_in(&emu, user).await;

    // Tampered: the payload names another user, the signature no longer matches.
    let mut parts: Vec<String> = good.access_token.expose().split('.').map(str::to_owned).collect();
    let mut payload = claims(good.access_token.expose());
    payload["sub"] = "apple|someone-else".into();
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string());
    // A token for another API of the tenant.
    let code = emu.apple_authorization_code(AppleCode::new(user));
    let other_api = client(&emu)
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(API))
        .await
        .unwrap();
    for subject in [
        parts.join("."),
        "not-a-jwt".to_owned(),
        other_api.access_token.expose().to_owned(),
    ] {
        let e = b
            .token_vault_exchange(&TokenVaultExchange::access_token(subject, GOOGLE_CONNECTION))
            .await
            .unwrap_err();
        assert!(oauth(&e).is_invalid_grant(), "{e}");
        assert_eq!(oauth(&e).status(), 403);
    }

    // Expired: a tenant that issues access tokens that expire at once.
    let expiring = emulator_with(vault_config().with_access_token_lifetime_secs(0)).await;
    expiring
        .connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION))
        .unwrap();
    let expired = sign_in(&expiring, user).await;
    let e = backend(&expiring)
        .token_vault_exchange(&google(&expired))
        .await
        .unwrap_err();
    assert!(oauth(&e).is_invalid_grant(), "{e}");
    assert!(oauth(&e).description().unwrap().contains("expired"));

    // A refresh token of the tenant is a valid subject; an unknown one is not.
    let refresh = good
        .refresh_token
        .clone()
        .expect("offline_access is in the default scope");
    let request = TokenVaultExchange::new(refresh, TokenVaultSubjectTokenType::RefreshToken, GOOGLE_CONNECTION);
    b.token_vault_exchange(&request).await.unwrap();
    let unknown = TokenVaultExchange::new("unknown", TokenVaultSubjectTokenType::RefreshToken, GOOGLE_CONNECTION);
    let e = b.token_vault_exchange(&unknown).await.unwrap_err();
    assert!(oauth(&e).is_invalid_grant(), "{e}");
    assert_eq!(emu.vault_exchange_count(), 1);
}

#[tokio::test]
async fn client_authentication_is_required_and_checked() {
    let emu = vault_emulator().await;
    let tokens = sign_in(&emu, "apple|auth-user").await;
    emu.connect_account(ConnectAccount::new("apple|auth-user", GOOGLE_CONNECTION))
        .unwrap();
    let wrong = backend_as(
        &emu,
        SAMPLE_VAULT_CLIENT_ID,
        ClientAuthentication::ClientSecretPost(Secret::new("wrong-secret")),
    );
    let e = wrong.token_vault_exchange(&google(&tokens)).await.unwrap_err();
    // Auth0 answers a wrong secret with 401 access_denied "Unauthorized".
    assert_eq!(oauth(&e).status(), 401, "{e}");
    assert_eq!(oauth(&e).code(), "access_denied");
    for (client_id, auth) in [
        (SAMPLE_VAULT_CLIENT_ID, ClientAuthentication::None),
        (JWT_CLIENT_ID, ClientAuthentication::None),
    ] {
        let e = backend_as(&emu, client_id, auth)
            .token_vault_exchange(&google(&tokens))
            .await
            .unwrap_err();
        assert_eq!((oauth(&e).status(), oauth(&e).code()), (401, "invalid_client"), "{e}");
    }
    assert_eq!(emu.vault_exchange_count(), 0);
}

#[tokio::test]
async fn audience_and_resource_are_refused_before_anything_is_sent() {
    let server = Scripted::start(vec![Reply::json(500, serde_json::json!({}))]).await;
    let b = token_exchange::Client::builder(&server.base_url, SAMPLE_VAULT_CLIENT_ID)
        .client_authentication(ClientAuthentication::ClientSecretPost(Secret::new("s")))
        .build()
        .unwrap();
    for name in ["audience", "resource"] {
        let request =
            TokenVaultExchange::access_token("header.payload.sig", GOOGLE_CONNECTION).extra_parameter(name, API);
        let e = b.token_vault_exchange(&request).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    field: "extra_parameters",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(!e.request_may_have_reached_server());
    }
    assert!(server.recorded().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn login_hint_selects_the_connected_account() {
    let emu = vault_emulator().await;
    let user = "apple|two-accounts";
    let tokens = sign_in(&emu, user).await;
    for hint in ["work@gmail.com", "home@gmail.com"] {
        emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION).login_hint(hint))
            .unwrap();
    }
    let b = backend(&emu);
    let work = b
        .token_vault_exchange(&google(&tokens).login_hint("work@gmail.com"))
        .await
        .unwrap();
    assert_eq!(calendar_events(&emu, &work).await.1["summary"], "work@gmail.com");
    let latest = b.token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_eq!(calendar_events(&emu, &latest).await.1["summary"], "home@gmail.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cache_runs_one_exchange_per_key_at_a_time() {
    let emu = vault_emulator().await;
    for user in ["apple|cache-a", "apple|cache-b"] {
        for connection in [GOOGLE_CONNECTION, WORK_CONNECTION] {
            let account = ConnectAccount::new(user, connection).scopes(&["openid", CALENDAR_READONLY_SCOPE]);
            emu.connect_account(account).unwrap();
        }
    }
    let a = sign_in(&emu, "apple|cache-a").await;
    let b = sign_in(&emu, "apple|cache-b").await;
    let cache = Arc::new(TokenVaultCache::new(backend(&emu)));
    let scopes = vec![CALENDAR_READONLY_SCOPE.to_owned()];

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (cache, request, scopes) = (cache.clone(), google(&a), scopes.clone());
            tokio::spawn(async move { cache.get(&request, &scopes).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert_eq!(emu.vault_exchange_count(), 1, "20 concurrent gets, one exchange");
    assert!(tokens.iter().all(|t| t.access_token == tokens[0].access_token));

    // Another subject token of the same user is another key (the key is the whole token, not
    // its unverified `sub`): the server checks it, once.
    let a_again = sign_in(&emu, "apple|cache-a").await;
    cache.get(&google(&a_again), &scopes).await.unwrap();
    cache.get(&google(&a_again), &scopes).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 2);
    // Another user, another connection: one exchange each, then cached.
    cache.get(&google(&b), &scopes).await.unwrap();
    let work = TokenVaultExchange::access_token(a.access_token.clone(), WORK_CONNECTION);
    cache.get(&work, &scopes).await.unwrap();
    cache.get(&work, &scopes).await.unwrap();
    cache.get(&google(&b), &scopes).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 4);
    // Other required scopes are another key: a new exchange.
    let wider = [
        CALENDAR_READONLY_SCOPE.to_owned(),
        "https://www.googleapis.com/auth/gmail.send".to_owned(),
    ];
    cache.get(&work, &wider).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 5);
}

/// An unsigned JWT (`alg: none`) carrying `claims`: what an attacker can make for any `sub`.
fn forged_jwt(claims: &serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

#[tokio::test]
async fn a_forged_token_with_a_cached_sub_misses_the_cache_and_the_server_refuses_it() {
    let emu = vault_emulator().await;
    let victim = "apple|cache-victim";
    emu.connect_account(ConnectAccount::new(victim, GOOGLE_CONNECTION))
        .unwrap();
    let tokens = sign_in(&emu, victim).await;
    let cache = TokenVaultCache::new(backend(&emu));
    cache.get(&google(&tokens), &[]).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 1);

    // The victim's own claims (sub, aud, exp...), with no valid signature.
    let forged = forged_jwt(&claims(tokens.access_token.expose()));
    let e = cache
        .get(&TokenVaultExchange::access_token(forged, GOOGLE_CONNECTION), &[])
        .await
        .expect_err("a forged token with the victim's sub must not get the victim's Google token");
    assert!(oauth(&e).is_invalid_grant(), "{e}");
    assert_eq!(emu.vault_exchange_count(), 1);
    // The victim's entry is untouched.
    cache.get(&google(&tokens), &[]).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 1);
}

#[tokio::test]
async fn a_cache_entry_never_outlives_the_subject_tokens_exp() {
    // The scripted server issues a provider token valid for an hour for any subject token, so
    // only the cache decides whether the second get goes to the server.
    let server = Scripted::start(vec![Reply::json(
        200,
        serde_json::json!({"access_token": "ya29.scripted", "token_type": "Bearer", "expires_in": 3600}),
    )])
    .await;
    let b = token_exchange::Client::builder(&server.base_url, SAMPLE_VAULT_CLIENT_ID)
        .client_authentication(ClientAuthentication::ClientSecretPost(Secret::new("secret")))
        .build()
        .unwrap();
    let cache = TokenVaultCache::new(b);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let cases = [
        ("a subject token that expired an hour ago", now - 3600, 2),
        ("a subject token valid for another day", now + 86_400, 1),
    ];
    for (case, exp, expected_exchanges) in cases {
        let subject = forged_jwt(&serde_json::json!({"sub": case, "exp": exp}));
        let before = server.recorded().len();
        let request = TokenVaultExchange::access_token(subject, GOOGLE_CONNECTION);
        cache.get(&request, &[]).await.unwrap();
        cache.get(&request, &[]).await.unwrap();
        assert_eq!(
            server.recorded().len() - before,
            expected_exchanges,
            "{case}: exchanges for two gets"
        );
    }
}

#[tokio::test]
async fn cache_exchanges_again_when_the_token_expires_within_the_leeway() {
    let emu = vault_emulator().await;
    // Lifetimes far on either side of the leeways, so that no amount of time spent between
    // the calls changes the outcome.
    let short = "apple|short-lived";
    emu.connect_account(ConnectAccount::new(short, GOOGLE_CONNECTION).access_token_lifetime(Duration::from_secs(30)))
        .unwrap();
    let long = "apple|long-lived";
    emu.connect_account(ConnectAccount::new(long, GOOGLE_CONNECTION).access_token_lifetime(Duration::from_secs(7200)))
        .unwrap();
    let (short_tokens, long_tokens) = (sign_in(&emu, short).await, sign_in(&emu, long).await);
    let cache = TokenVaultCache::with_leeway(backend(&emu), Duration::from_secs(60));
    let first = cache.get(&google(&short_tokens), &[]).await.unwrap();
    assert!(first.expires_in.unwrap() <= 30);
    cache.get(&google(&short_tokens), &[]).await.unwrap();
    assert_eq!(
        emu.vault_exchange_count(),
        2,
        "a token expiring within the leeway is not reused"
    );
    // A token that outlives the leeway by far is reused.
    cache.get(&google(&long_tokens), &[]).await.unwrap();
    cache.get(&google(&long_tokens), &[]).await.unwrap();
    assert_eq!(emu.vault_exchange_count(), 3);
}

#[tokio::test]
async fn dpop_bound_subject_tokens_need_a_proof_of_their_key() {
    let emu = vault_emulator().await;
    let user = "apple|dpop-user";
    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION))
        .unwrap();
    let key = Arc::new(SoftwareKey::generate().unwrap());
    let app = builder(&emu).dpop(key.clone()).build().unwrap();
    let code = emu.apple_authorization_code(AppleCode::new(user));
    let tokens = app
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(SAMPLE_VAULT_API_AUDIENCE))
        .await
        .unwrap();
    assert!(tokens.is_dpop_bound());
    let secret = || ClientAuthentication::ClientSecretPost(Secret::new(SAMPLE_VAULT_CLIENT_SECRET));
    let with_key = |k: Arc<SoftwareKey>| {
        token_exchange::Client::builder(emu.base_url(), SAMPLE_VAULT_CLIENT_ID)
            .client_authentication(secret())
            .dpop(k)
            .build()
            .unwrap()
    };

    let token = with_key(key.clone())
        .token_vault_exchange(&google(&tokens))
        .await
        .unwrap();
    assert_eq!(token.token_type, "Bearer", "the provider token itself is not bound");

    let other = with_key(Arc::new(SoftwareKey::generate().unwrap()));
    let e = other.token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_invalid_dpop_proof(), "{e}");
    let e = backend(&emu).token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_invalid_dpop_proof(), "{e}");
    assert_eq!(emu.vault_exchange_count(), 1);
}

#[tokio::test]
async fn set_up_through_the_management_api_then_exchange() {
    let emu = emulator().await;
    let management = ManagementClient::new(
        emu.base_url(),
        ManagementAuth::ClientCredentials {
            client_id: SAMPLE_MANAGEMENT_CLIENT_ID.to_owned(),
            client_secret: Secret::new(SAMPLE_MANAGEMENT_CLIENT_SECRET),
        },
    )
    .unwrap();
    // The app that signs users in gets the authorization_code grant (kept with its own grants).
    let grants: Vec<String> = [TOKEN_EXCHANGE_GRANT, "refresh_token", "authorization_code"]
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    let app = management.update_client_grant_types(CLIENT_ID, &grants).await.unwrap();
    assert!(app.grant_types.iter().any(|g| g == "authorization_code"));
    // The backend API and its Custom API Client.
    let identifier = "https://tasks-backend.example.com";
    let scope = |value: &str| ResourceServerScope {
        value: value.to_owned(),
        description: String::new(),
    };
    let api = management
        .create_resource_server(&NewResourceServer {
            name: "Tasks Backend".to_owned(),
            identifier: identifier.to_owned(),
            scopes: vec![scope("read:tasks"), scope("write:tasks")],
        })
        .await
        .unwrap();
    assert_eq!(api.identifier, identifier);
    let custom = management
        .create_client(&NewClient::custom_api_client("Tasks Backend Client", identifier))
        .await
        .unwrap();
    assert_eq!(custom.app_type.as_deref(), Some("resource_server"));
    assert_eq!(custom.resource_server_identifier.as_deref(), Some(identifier));
    assert!(custom.grant_types.iter().any(|g| g == GRANT_FEDERATED_CONNECTION));
    let secret = custom
        .client_secret
        .clone()
        .expect("a Custom API Client is confidential");
    // Before the connection is enabled for the new client, it may not use it.
    let user = "apple|managed-user";
    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION))
        .unwrap();
    let tokens = sign_in_for(&emu, user, identifier).await;
    let backend = backend_as(&emu, &custom.client_id, ClientAuthentication::ClientSecretBasic(secret));
    let e = backend.token_vault_exchange(&google(&tokens)).await.unwrap_err();
    assert!(oauth(&e).is_invalid_request(), "{e}");
    emu.enable_connection(GOOGLE_CONNECTION, &custom.client_id).unwrap();
    let token = backend.token_vault_exchange(&google(&tokens)).await.unwrap();
    assert_eq!(calendar_events(&emu, &token).await.0, 200);
    // The sample backend's tokens are for another API: the new client refuses them.
    let other = sign_in(&emu, user).await;
    let e = backend.token_vault_exchange(&google(&other)).await.unwrap_err();
    assert!(oauth(&e).is_invalid_grant(), "{e}");
}
