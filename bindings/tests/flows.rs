//! Custom Token Exchange and Token Vault through the uniffi-facing wrappers, from Rust (what
//! Swift and Kotlin get, minus the generated glue), against the embedded emulator.

use std::collections::HashMap;
use std::sync::Arc;

use token_exchange::Secret;
use token_exchange_emulator::{
    AppleCode, ClientConfig as EmuClient, ConnectAccount, ConnectionConfig, Emulator, EmulatorConfig,
    GOOGLE_CONNECTION, GRANT_FEDERATED_CONNECTION, GoogleIdToken, PublicKeyCredential,
};
use token_exchange_ffi::{
    ActorToken, CancellationToken, ClientAuthentication, ClientConfig, CustomTokenExchange, NativeSocialExchange,
    SubjectTokenType, TokenExchangeClient, TokenExchangeError, TokenVaultCache, TokenVaultExchange,
    TokenVaultSubjectTokenType,
};

const GOOGLE_PROFILE: &str = "urn:token-exchange:google-id-token";
const VAULT_API: &str = "https://calendar-backend.example.com";
const JWT_CLIENT_ID: &str = "calendar-backend-jwt";
const JWT_KID: &str = "wrapper-key-1";

/// A fixed RSA key pair for `private_key_jwt` (test only; generation is slow).
const PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCoIv5KtWhrIlfi\nwU3qISA5rrVIIUbTCZx9hTijirjly/d2Dz/rRX9xFf1vqbecHqn74hedY81VGf7t\nFDe1fx3PxvwTQ0tTIh3QQ2u4eaUmw8lTnorWQOh7W0hq5nKFq4gl83OKob6glC+F\nhfOcI2U7nYx9+JcT7VFkjp+9xjAPW3OABCTYEOFmUSItj3zcdDeorYj93UdHb/ys\nG3SlrqN3i+TjCiXx74zxB6q+jJ94gR7tQBtI1wJX/3C74hU0Ev9ZBgYZEO8hrUt6\nSjfmTnIxBltL32xjtMPoQcsLgEXCr2qWLkfNgxb4OLpOHlI6vBdku7kZAwMoqawX\ncBdmdkDhAgMBAAECggEAA5l0Li9CBAEhNoaC339EDFgUI24q8PuksP84HjArEyhR\nrOJYsPW067vXyBsvBhWV+AF4FfN8AtViorqrEqSdA8SzwsnPBAGX98xpsvJPucu5\nNKQRPtL25yUmILu8OeZZLM7Qa2hZB2EEv2wFshMD6MnPpya6PT/4XRm8i7iBcOKw\nXX8Ic2yL80mX4hgEeV9YtTMzIrSSWKTth1mxVmtKxGLmFuCx6z6rtrsVuDE7GfMT\nEDn2jNdAQfi+UQaptZlrhD7rfrqSuoxd1TZpABmlVVGg8NeBsfNWlS68LmHFrcyp\nckBwCt19PrJb4hkF1i6fJnZxIkfxeLA2KAFeMo17AQKBgQDpYMlJwl2LkrzyuHos\nTnPlFFBvDMEbl9UDYP6HcofGNKMGG7AZ4b4FessQsfn2dAmYNFcmUOXasw+UYBQg\nbIjm3VV6EozwRBgl/6zOAFaTe4EjPGhXLKRFW+YO8uAT4bhelp+X0j4uWXNaYkpJ\nhpILi99C9cVBn78VX0faTXJg8QKBgQC4b0KHbo/eV2cVyWaXR8jWldccJhQh+dGu\nnS6uxqbr6tbm2RcegNmWiIUkIBsXYGXTHudbALyWLZqYtKtV/G5W8pPyc/ucIRPk\nDOiNBWq+mfmVwxzYvEI11Ov/xRCVN/Bu6SKdIdrgMV0UqW1//83XGVicsEYDG36Y\n3o/XqTje8QKBgAKdIOQAl0ee5xrY0hV483dXWOdFf0wt0SbuiSs/LyIbKNBCsyA3\nFQe+rlOLir8l4Y2g2HEHauueIciJovASBx5+0BxD5Owz9wlF6cuM2WthcLrSTGDd\nkSFtvA/izHushYIZscPjiOq/+bjDbQ2RwkT61g9L7V+kyGEW5hkd0PAhAoGAB8i6\nWBj0fX/W2/aKG+xtr5DXaVq6Es0GaoY7yCieNurMcyXKcgEiLdZJOEMaoZvx8D0n\nqpGXZAc8tSE68gAbcBQA5oS6o9ZJjqB02C7YWH8LJ6T6fLNFYBxCcaMRlhqsTSIN\n0e/x2vB6azrTYkmbmG57bPGLounwJ+eMzp9XxSECgYAsrPmupI7EArF+TP1Eqc9G\nQDLV7RQ11wC7kz0wZKkaOgIDHeYD0XKPgrM0KSvpKkxH/S7MQwQAgn7BfBKvBN8T\nufvPA5NEpVrzk2HIGuR9s1tEX6N27VPtc9pTKL8JNClAAwdR3iRJ3LfVzg+Ve2Ex\n+k3Hu/iZlyxfw9zXiz5dRw==\n-----END PRIVATE KEY-----";
const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqCL+SrVoayJX4sFN6iEg\nOa61SCFG0wmcfYU4o4q45cv3dg8/60V/cRX9b6m3nB6p++IXnWPNVRn+7RQ3tX8d\nz8b8E0NLUyId0ENruHmlJsPJU56K1kDoe1tIauZyhauIJfNziqG+oJQvhYXznCNl\nO52MffiXE+1RZI6fvcYwD1tzgAQk2BDhZlEiLY983HQ3qK2I/d1HR2/8rBt0pa6j\nd4vk4wol8e+M8QeqvoyfeIEe7UAbSNcCV/9wu+IVNBL/WQYGGRDvIa1Leko35k5y\nMQZbS99sY7TD6EHLC4BFwq9qli5HzYMW+Di6Th5SOrwXZLu5GQMDKKmsF3AXZnZA\n4QIDAQAB\n-----END PUBLIC KEY-----";

async fn emulator() -> Emulator {
    let jwt_client = EmuClient {
        client_secret: None,
        private_key_jwt_credentials: vec![PublicKeyCredential::pem(PUBLIC_PEM).kid(JWT_KID)],
        ..EmuClient::custom_api_client(JWT_CLIENT_ID, "unused", VAULT_API, &[GRANT_FEDERATED_CONNECTION])
    };
    let config = EmulatorConfig::default()
        .with_client(jwt_client)
        .with_connection(ConnectionConfig::new(
            GOOGLE_CONNECTION,
            &["calendar-backend", JWT_CLIENT_ID],
        ));
    Emulator::start(config).await.expect("emulator starts")
}

fn app(emu: &Emulator) -> Arc<TokenExchangeClient> {
    TokenExchangeClient::new(ClientConfig::new(emu.base_url(), "native-app"), None).unwrap()
}

fn backend(emu: &Emulator, client_id: &str, auth: ClientAuthentication) -> Arc<TokenExchangeClient> {
    let config = ClientConfig {
        client_authentication: Some(auth),
        ..ClientConfig::new(emu.base_url(), client_id)
    };
    TokenExchangeClient::new(config, None).unwrap()
}

async fn sign_in_for_backend(emu: &Emulator, user: &str) -> String {
    let mut request = NativeSocialExchange::new(
        emu.apple_authorization_code(AppleCode::new(user)),
        SubjectTokenType::AppleAuthorizationCode,
    );
    request.audience = Some(VAULT_API.into());
    app(emu)
        .native_social_exchange(request, None)
        .await
        .unwrap()
        .access_token
}

#[tokio::test]
async fn google_sign_in_and_delegation() {
    let emu = emulator().await;
    let client = app(&emu);
    let mut request = CustomTokenExchange::new(
        emu.google_id_token(GoogleIdToken::new("wrap-google").email("wg@example.com")),
        GOOGLE_PROFILE,
    );
    request.audience = Some("https://api.example.com".into());
    request.extra_parameters = HashMap::from([("device".to_owned(), "rust".to_owned())]);
    let tokens = client.custom_token_exchange(request, None).await.unwrap();
    assert_eq!(
        tokens.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert!(tokens.refresh_token.is_some() && tokens.actor_claim().is_none());
    let claims = client.userinfo(tokens.clone(), None).await.unwrap();
    assert!(claims.contains("\"sub\":\"google-oauth2|wrap-google\""), "{claims}");

    let mut delegated = CustomTokenExchange::new(
        emu.google_id_token(GoogleIdToken::new("wrap-delegator")),
        GOOGLE_PROFILE,
    );
    delegated.actor = Some(ActorToken {
        token: tokens.id_token.clone().unwrap(),
        token_type: "urn:ietf:params:oauth:token-type:id_token".into(),
    });
    let delegated = client.custom_token_exchange(delegated, None).await.unwrap();
    let act: serde_json::Value = serde_json::from_str(&delegated.actor_claim().unwrap()).unwrap();
    assert_eq!(act["sub"], "google-oauth2|wrap-google");
    assert!(delegated.refresh_token.is_none());
}

#[tokio::test]
async fn custom_exchange_bad_input_fails_before_io() {
    let emu = emulator().await;
    let client = app(&emu);
    let reserved = CustomTokenExchange::new("t", "urn:ietf:params:oauth:token-type:id_token");
    let err = client.custom_token_exchange(reserved, None).await.unwrap_err();
    assert!(
        matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "subject_token_type"),
        "{err:?}"
    );
    let mut overriding = CustomTokenExchange::new("t", GOOGLE_PROFILE);
    overriding
        .extra_parameters
        .insert("audience".into(), "https://evil.example.com".into());
    let err = client.custom_token_exchange(overriding, None).await.unwrap_err();
    assert!(
        matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "extra_parameters"),
        "{err:?}"
    );
    assert!(!err.request_may_have_reached_server());
}

#[tokio::test]
async fn token_vault_with_secret_basic_private_key_jwt_and_the_cache() {
    let emu = emulator().await;
    let user = "apple|wrap-vault";
    let access_token = sign_in_for_backend(&emu, user).await;
    let request = TokenVaultExchange::new(
        access_token.clone(),
        TokenVaultSubjectTokenType::AccessToken,
        GOOGLE_CONNECTION,
    );

    let basic = backend(
        &emu,
        "calendar-backend",
        ClientAuthentication::ClientSecretBasic {
            secret: Secret::new("calendar-backend-secret"),
        },
    );
    let err = basic.token_vault_exchange(request.clone(), None).await.unwrap_err();
    assert!(err.is_connection_required(), "{err:?}");

    emu.connect_account(ConnectAccount::new(user, GOOGLE_CONNECTION))
        .unwrap();
    let google = basic.token_vault_exchange(request.clone(), None).await.unwrap();
    assert_eq!(google.token_type, "Bearer");
    assert!(google.scope.as_deref().unwrap_or("").contains("calendar.readonly"));
    assert!(!google.expires_within(std::time::Duration::from_secs(60)));
    assert!(!format!("{google:?}").contains(&google.access_token));

    let jwt = backend(
        &emu,
        JWT_CLIENT_ID,
        ClientAuthentication::PrivateKeyJwt {
            pkcs8_pem: Secret::new(PRIVATE_PEM),
            kid: Some(JWT_KID.into()),
        },
    );
    let by_jwt = jwt.token_vault_exchange(request.clone(), None).await.unwrap();
    assert!(!by_jwt.access_token.is_empty());

    let cache = TokenVaultCache::new(basic.clone(), None);
    let before = emu.vault_exchange_count();
    let first = cache.get(request.clone(), vec![], None).await.unwrap();
    let second = cache.get(request.clone(), vec![], None).await.unwrap();
    assert_eq!(first.access_token, second.access_token);
    assert_eq!(emu.vault_exchange_count(), before + 1);

    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let err = basic
        .token_vault_exchange(request.clone(), Some(cancelled))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenExchangeError::Cancelled { .. }));

    // A forged token (no valid signature) with this user's claims misses the cache: the
    // server refuses it.
    use base64::Engine as _;
    let payload = access_token.split('.').nth(1).unwrap();
    let forged = format!(
        "{}.{payload}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let forged_request = TokenVaultExchange::new(forged, TokenVaultSubjectTokenType::AccessToken, GOOGLE_CONNECTION);
    let err = cache.get(forged_request, vec![], None).await.unwrap_err();
    assert!(err.is_invalid_grant(), "{err:?}");
    assert_eq!(emu.vault_exchange_count(), before + 1);

    let mut bad = request;
    bad.extra_parameters
        .insert("resource".into(), "https://x.example.com".into());
    let err = basic.token_vault_exchange(bad, None).await.unwrap_err();
    assert!(matches!(err, TokenExchangeError::InvalidInput { ref field, .. } if field == "extra_parameters"));
}

#[test]
fn a_bad_private_key_is_invalid_input_at_construction() {
    let config = ClientConfig {
        client_authentication: Some(ClientAuthentication::PrivateKeyJwt {
            pkcs8_pem: Secret::new("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"),
            kid: None,
        }),
        ..ClientConfig::new("tenant.example.com", "backend")
    };
    match TokenExchangeClient::new(config, None) {
        Err(TokenExchangeError::InvalidInput { field, .. }) => assert_eq!(field, "client_assertion_key"),
        other => panic!("{other:?}"),
    }
}
