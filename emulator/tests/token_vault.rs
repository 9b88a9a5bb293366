//! Token Vault on the wire: the federated connection grant's response shape and request
//! validation, `private_key_jwt` assertions, and the `/emulator/vault` control endpoints.

mod common;

use common::*;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer as _};
use serde_json::{Value, json};
use sha2::Sha256;
use token_exchange_emulator::{
    ClientConfig, Clock, ConnectAccount, Emulator, EmulatorConfig, FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE,
    GOOGLE_CONNECTION, GRANT_FEDERATED_CONNECTION, PublicKeyCredential, SAMPLE_VAULT_API_AUDIENCE,
    SAMPLE_VAULT_CLIENT_ID, SAMPLE_VAULT_CLIENT_SECRET,
};

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// An Auth0 access token for the calendar backend API, for `user`.
async fn access_token(emu: &Emulator, user: &str) -> String {
    let got = apple_exchange(emu, user, &[("audience", SAMPLE_VAULT_API_AUDIENCE)]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    got.2["access_token"].as_str().unwrap().to_owned()
}

/// A Token Vault request of the sample Custom API Client (client_secret_post).
fn vault_form(subject_token: &str) -> Form {
    vec![
        ("grant_type", GRANT_FEDERATED_CONNECTION.to_owned()),
        ("subject_token", subject_token.to_owned()),
        ("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()),
        (
            "requested_token_type",
            FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE.to_owned(),
        ),
        ("connection", GOOGLE_CONNECTION.to_owned()),
        ("client_id", SAMPLE_VAULT_CLIENT_ID.to_owned()),
        ("client_secret", SAMPLE_VAULT_CLIENT_SECRET.to_owned()),
    ]
}

async fn control(emu: &Emulator, path: &str, body: Value) -> (u16, Value) {
    let response = control_client(emu.control_secret())
        .post(format!("{}/emulator/vault/{path}", emu.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_answer_is_the_provider_token_and_nothing_else() {
    let emu = start(EmulatorConfig::default()).await;
    emu.connect_account(ConnectAccount::new("apple|wire", GOOGLE_CONNECTION))
        .unwrap();
    let at = access_token(&emu, "apple|wire").await;
    let got = post_token(&emu, &vault_form(&at), &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.1["cache-control"], "no-store");
    let mut keys: Vec<&str> = got.2.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["access_token", "expires_in", "issued_token_type", "scope", "token_type"]
    );
    assert_eq!(got.2["token_type"], "Bearer");
    assert_eq!(got.2["issued_token_type"], FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE);
    assert_eq!(emu.vault_exchange_count(), 1);
}

#[tokio::test]
async fn requests_are_validated_like_auth0() {
    let emu = start(EmulatorConfig::default()).await;
    emu.connect_account(ConnectAccount::new("apple|strict", GOOGLE_CONNECTION))
        .unwrap();
    let at = access_token(&emu, "apple|strict").await;
    let form = vault_form(&at);
    let cases: Vec<(Form, u16, &str, &str)> = vec![
        (
            without(form.clone(), "requested_token_type"),
            400,
            "invalid_request",
            "requested_token_type",
        ),
        (
            with(form.clone(), "requested_token_type", ACCESS_TOKEN_TYPE),
            400,
            "invalid_request",
            "Unsupported requested_token_type",
        ),
        (
            with(
                form.clone(),
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            400,
            "invalid_request",
            "Unsupported subject_token_type",
        ),
        (
            without(form.clone(), "subject_token"),
            400,
            "invalid_request",
            "subject_token",
        ),
        (
            without(form.clone(), "connection"),
            400,
            "invalid_request",
            "connection",
        ),
        (
            with(form.clone(), "audience", SAMPLE_VAULT_API_AUDIENCE),
            400,
            "invalid_request",
            "audience",
        ),
        (
            with(form.clone(), "resource", SAMPLE_VAULT_API_AUDIENCE),
            400,
            "invalid_request",
            "resource",
        ),
        (
            without(form.clone(), "client_secret"),
            401,
            "invalid_client",
            "authentication is required",
        ),
        (
            with(form.clone(), "client_id", "native-app"),
            401,
            "access_denied",
            "Unauthorized",
        ),
        (
            with(form.clone(), "subject_token", "x.y.z"),
            403,
            "invalid_grant",
            "Invalid subject token",
        ),
    ];
    for (form, status, error, mentions) in cases {
        let got = post_token(&emu, &form, &[]).await;
        assert_error(&got, status, error);
        let description = got.2["error_description"].as_str().unwrap();
        assert!(
            description.contains(mentions),
            "{description} should mention {mentions}"
        );
        assert!(!description.contains(&at), "a token in an error description");
    }
    assert_eq!(emu.vault_exchange_count(), 0);
}

/// Signs an RS256 JWT with `key`.
fn rs256(key: &rsa::RsaPrivateKey, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT"}).to_string()),
        b64(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", b64(signature.to_bytes()))
}

#[tokio::test]
async fn private_key_jwt_assertions_are_single_use_and_identify_the_client() {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pem = key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let jwt_client = ClientConfig {
        client_secret: None,
        private_key_jwt_credentials: vec![PublicKeyCredential::pem(pem)],
        ..ClientConfig::custom_api_client(
            "jwt-backend",
            "unused",
            SAMPLE_VAULT_API_AUDIENCE,
            &[GRANT_FEDERATED_CONNECTION],
        )
    };
    let clock = Clock::frozen();
    let emu = start(EmulatorConfig {
        clock: clock.clone(),
        ..EmulatorConfig::default().with_client(jwt_client)
    })
    .await;
    emu.enable_connection(GOOGLE_CONNECTION, "jwt-backend").unwrap();
    emu.connect_account(ConnectAccount::new("apple|jwt", GOOGLE_CONNECTION))
        .unwrap();
    let at = access_token(&emu, "apple|jwt").await;
    let assertion = |aud: &str, jti: &str| {
        let now = clock.now_secs();
        rs256(
            &key,
            &json!({"iss": "jwt-backend", "sub": "jwt-backend", "aud": aud, "iat": now, "exp": now + 60, "jti": jti}),
        )
    };
    // No client_id in the body: the assertion's sub names the client. aud = the token endpoint.
    let form = |assertion: String| {
        let mut form = without(without(vault_form(&at), "client_id"), "client_secret");
        form.push((
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ));
        form.push(("client_assertion", assertion));
        form
    };
    let first = assertion(&emu.token_endpoint(), "jti-1");
    let got = post_token(&emu, &form(first.clone()), &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let replayed = post_token(&emu, &form(first), &[]).await;
    assert_error(&replayed, 401, "invalid_client");
    assert!(
        replayed.2["error_description"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
    // The issuer form of the audience works; a bare base URL without the slash does not.
    let got = post_token(&emu, &form(assertion(&emu.issuer(), "jti-2")), &[]).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let got = post_token(&emu, &form(assertion(emu.base_url(), "jti-3")), &[]).await;
    assert_error(&got, 401, "invalid_client");
    // A secret on top of an assertion is two methods at once.
    let mut both = form(assertion(&emu.issuer(), "jti-4"));
    both.push(("client_secret", "s".to_owned()));
    assert_error(&post_token(&emu, &both, &[]).await, 400, "invalid_request");
    assert_eq!(emu.vault_exchange_count(), 2);
}

#[tokio::test]
async fn control_endpoints_connect_revoke_enable_and_report() {
    let emu = start(EmulatorConfig::default()).await;
    let (status, body) = control(
        &emu,
        "connect",
        json!({"user_id": "apple|ctl", "connection": GOOGLE_CONNECTION, "scopes": ["openid"], "login_hint": "c@gmail.com"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["scopes"], json!(["openid"]));
    assert_eq!(body["login_hint"], "c@gmail.com");
    let (status, _) = control(&emu, "connect", json!({"user_id": "apple|ctl", "connection": "nope"})).await;
    assert_eq!(status, 400);
    let (status, _) = control(
        &emu,
        "connect",
        json!({"user_id": "apple|ctl", "connection": GOOGLE_CONNECTION, "typo": 1}),
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused");
    let accounts: Value = control_client(emu.control_secret())
        .get(format!("{}/emulator/vault/accounts/apple%7Cctl", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 1);
    assert!(!accounts.to_string().contains("ya29."), "no token values: {accounts}");

    let revoke = json!({"user_id": "apple|ctl", "connection": GOOGLE_CONNECTION});
    assert_eq!(control(&emu, "revoke", revoke.clone()).await.0, 200);
    assert_eq!(control(&emu, "revoke", revoke).await.0, 404, "nothing left to revoke");

    let enable = json!({"connection": "github", "client_id": SAMPLE_VAULT_CLIENT_ID});
    assert_eq!(control(&emu, "enable-connection", enable).await.0, 204);
    let enable = json!({"connection": "nope", "client_id": SAMPLE_VAULT_CLIENT_ID});
    assert_eq!(control(&emu, "enable-connection", enable).await.0, 400);

    let stats: Value = control_client(emu.control_secret())
        .get(format!("{}/emulator/vault/stats", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, json!({"exchanges": 0, "provider_refreshes": 0}));
}
