//! `/api/v2/clients`: applications. A created client can authenticate at the token
//! endpoint at once; confidential types (`regular_web`, `non_interactive`,
//! `resource_server`) get a `client_secret`, public ones (`native`, `spa`) do not.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::errors::{ApiError, json_type};
use super::schema::{self, ObjectId, Prop};
use super::{authorize, change, respond};
use crate::config::{
    ClientConfig, GRANT_CLIENT_CREDENTIALS, GRANT_FEDERATED_CONNECTION, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
    RefreshTokenConfig, RotationType,
};
use crate::tenant::{AppState, Tenant};
use crate::util::{MAX_LIFETIME_SECS, random_alnum, random_token};

/// Application types the API accepts.
const APP_TYPES: &[&str] = &["native", "spa", "regular_web", "non_interactive", "resource_server"];
/// Grant types the API accepts.
const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "implicit",
    GRANT_REFRESH_TOKEN,
    GRANT_CLIENT_CREDENTIALS,
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:ietf:params:oauth:grant-type:device_code",
    GRANT_TOKEN_EXCHANGE,
    GRANT_FEDERATED_CONNECTION,
];

const NAME: Prop = Prop {
    name: "name",
    description: "Name of this client (min length: 1 character, does not allow `<` or `>`).",
};
const DESCRIPTION: Prop = Prop {
    name: "description",
    description: "Free text description of this client (max length: 140 characters).",
};
const APP_TYPE: Prop = Prop {
    name: "app_type",
    description: "The type of application this client represents",
};
const GRANT_TYPES_PROP: Prop = Prop {
    name: "grant_types",
    description: "List of grant types supported for this application.",
};
const REFRESH_TOKEN: Prop = Prop {
    name: "refresh_token",
    description: "Refresh token configuration",
};
const RESOURCE_SERVER_IDENTIFIER: Prop = Prop {
    name: "resource_server_identifier",
    description: "The identifier of the resource server that this client is linked to.",
};

/// Members of Auth0's `refresh_token` object the emulator accepts; only `rotation_type` and
/// `leeway` take effect (refresh tokens do not expire here).
const REFRESH_TOKEN_MEMBERS: &[&str] = &[
    "rotation_type",
    "leeway",
    "expiration_type",
    "token_lifetime",
    "infinite_token_lifetime",
    "idle_token_lifetime",
    "infinite_idle_token_lifetime",
];

/// The `refresh_token` member of a body, if present.
fn refresh_token_config(map: &Map<String, Value>) -> Result<Option<RefreshTokenConfig>, ApiError> {
    let Some(value) = map.get(REFRESH_TOKEN.name) else {
        return Ok(None);
    };
    let Value::Object(object) = value else {
        return Err(REFRESH_TOKEN.error(format!("Expected type object but found type {}", json_type(value))));
    };
    if let Some(k) = object.keys().find(|k| !REFRESH_TOKEN_MEMBERS.contains(&k.as_str())) {
        return Err(REFRESH_TOKEN.error(format!("Additional properties not allowed: {k}")));
    }
    let rotation_type = match object.get("rotation_type") {
        None => RotationType::NonRotating,
        Some(Value::String(s)) if s == "rotating" => RotationType::Rotating,
        Some(Value::String(s)) if s == "non-rotating" => RotationType::NonRotating,
        Some(other) => return Err(REFRESH_TOKEN.error(format!("No enum match for: {other}"))),
    };
    let leeway = match object.get("leeway") {
        None => 0,
        Some(v) => v
            .as_u64()
            .filter(|l| *l <= MAX_LIFETIME_SECS)
            .ok_or_else(|| REFRESH_TOKEN.error(format!("leeway must be an integer from 0 to {MAX_LIFETIME_SECS}")))?,
    };
    Ok(Some(RefreshTokenConfig { rotation_type, leeway }))
}

/// Whether an application type is confidential (has a secret).
fn confidential(app_type: &str) -> bool {
    !matches!(app_type, "native" | "spa")
}

/// The grant types a new client of `app_type` gets when the request names none.
fn default_grants(app_type: &str) -> Vec<String> {
    let grants: &[&str] = match app_type {
        "non_interactive" => &[GRANT_CLIENT_CREDENTIALS],
        "resource_server" => &[GRANT_FEDERATED_CONNECTION],
        "regular_web" => &[
            "authorization_code",
            "implicit",
            GRANT_REFRESH_TOKEN,
            GRANT_CLIENT_CREDENTIALS,
        ],
        _ => &["authorization_code", "implicit", GRANT_REFRESH_TOKEN],
    };
    grants.iter().map(|g| (*g).to_owned()).collect()
}

/// A client as the Management API returns it; the secret only when `with_secret`.
pub(crate) fn to_json(client: &ClientConfig, with_secret: bool) -> Value {
    let app_type = client.app_type.as_deref().unwrap_or("native");
    let mut body = json!({
        "client_id": client.client_id,
        "name": client.name,
        "app_type": app_type,
        "grant_types": client.grant_types,
        "token_endpoint_auth_method": if client.client_secret.is_some() { "client_secret_post" } else { "none" },
        "is_first_party": true,
        "callbacks": [],
    });
    if let Some(rs) = &client.resource_server_identifier {
        body["resource_server_identifier"] = json!(rs);
    }
    body["refresh_token"] = json!({
        "rotation_type": client.refresh_token.rotation_type,
        "leeway": client.refresh_token.leeway,
        "expiration_type": "non-expiring",
    });
    if with_secret {
        if let Some(secret) = &client.client_secret {
            body["client_secret"] = json!(secret);
        }
    }
    body
}

fn check_grants(grants: &[String]) -> Result<(), ApiError> {
    match grants.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        Some(g) => Err(GRANT_TYPES_PROP.error(format!("No enum match for: \"{g}\""))),
        None => Ok(()),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("The client does not exist", "inexistent_client")
}

/// `POST /api/v2/clients`.
pub(super) async fn create(State(tenant): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    respond(create_client(&tenant, &headers, &body))
}

fn create_client(tenant: &Tenant, headers: &HeaderMap, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["create:clients"])?;
    let map = schema::object(body)?;
    schema::only(
        &map,
        &[
            NAME,
            DESCRIPTION,
            APP_TYPE,
            GRANT_TYPES_PROP,
            RESOURCE_SERVER_IDENTIFIER,
            REFRESH_TOKEN,
        ],
    )?;
    schema::required(&map, &[NAME])?;
    let name = schema::string(&map, NAME, 1, 200)?.expect("required").to_owned();
    if name.contains(['<', '>']) {
        return Err(NAME.error("String does not match pattern: ^[^<>]+$"));
    }
    schema::string(&map, DESCRIPTION, 0, 140)?;
    let app_type = schema::string(&map, APP_TYPE, 1, 64)?
        .unwrap_or("regular_web")
        .to_owned();
    if !APP_TYPES.contains(&app_type.as_str()) {
        return Err(APP_TYPE.error(format!("No enum match for: \"{app_type}\"")));
    }
    let grant_types = schema::strings(&map, GRANT_TYPES_PROP)?.unwrap_or_else(|| default_grants(&app_type));
    check_grants(&grant_types)?;
    let refresh_token = refresh_token_config(&map)?.unwrap_or_default();
    let resource_server_identifier = schema::string(&map, RESOURCE_SERVER_IDENTIFIER, 1, 600)?.map(str::to_owned);
    match (&*app_type, &resource_server_identifier) {
        ("resource_server", None) => {
            return Err(ApiError::invalid_body(
                "resource_server_identifier is required when app_type is resource_server",
            ));
        }
        ("resource_server", Some(id)) if tenant.api(id).is_none() => {
            return Err(ApiError::invalid_body(format!(
                "The resource server {id} does not exist"
            )));
        }
        (t, Some(_)) if t != "resource_server" => {
            return Err(ApiError::invalid_body(
                "resource_server_identifier can only be set when app_type is resource_server",
            ));
        }
        _ => {}
    }
    let client = ClientConfig {
        client_id: random_alnum(32),
        name,
        grant_types,
        require_dpop: false,
        client_secret: confidential(&app_type).then(|| random_token(48)),
        app_type: Some(app_type),
        resource_server_identifier,
        refresh_token,
        ..ClientConfig::default()
    };
    change(tenant, |registry| {
        registry.clients.push(Arc::new(client.clone()));
        Ok(())
    })?;
    Ok((StatusCode::CREATED, to_json(&client, true)))
}

/// `GET /api/v2/clients` (no secrets).
pub(super) async fn list(State(tenant): State<AppState>, headers: HeaderMap) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:clients"])?;
        let clients: Vec<Value> = tenant.registry().clients.iter().map(|c| to_json(c, false)).collect();
        Ok((StatusCode::OK, Value::Array(clients)))
    })())
}

/// `GET /api/v2/clients/{id}` (no secret).
pub(super) async fn get_one(State(tenant): State<AppState>, headers: HeaderMap, ObjectId(id): ObjectId) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:clients"])?;
        let client = tenant.client(&id).ok_or_else(not_found)?;
        Ok((StatusCode::OK, to_json(&client, false)))
    })())
}

/// `PATCH /api/v2/clients/{id}`: `name`, `description`, `grant_types`.
pub(super) async fn update(
    State(tenant): State<AppState>,
    headers: HeaderMap,
    ObjectId(id): ObjectId,
    body: Bytes,
) -> Response {
    respond(update_client(&tenant, &headers, &id, &body))
}

fn update_client(tenant: &Tenant, headers: &HeaderMap, id: &str, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["update:clients"])?;
    let map = schema::object(body)?;
    schema::only(&map, &[NAME, DESCRIPTION, GRANT_TYPES_PROP, REFRESH_TOKEN])?;
    let refresh_token = refresh_token_config(&map)?;
    let name = schema::string(&map, NAME, 1, 200)?.map(str::to_owned);
    if name.as_deref().is_some_and(|n| n.contains(['<', '>'])) {
        return Err(NAME.error("String does not match pattern: ^[^<>]+$"));
    }
    schema::string(&map, DESCRIPTION, 0, 140)?;
    let grant_types = schema::strings(&map, GRANT_TYPES_PROP)?;
    if let Some(g) = &grant_types {
        check_grants(g)?;
    }
    let updated = change(tenant, |registry| {
        let entry = registry
            .clients
            .iter_mut()
            .find(|c| c.client_id == id)
            .ok_or_else(not_found)?;
        let mut client = ClientConfig::clone(entry);
        if let Some(name) = name {
            client.name = name;
        }
        if let Some(grant_types) = grant_types {
            client.grant_types = grant_types;
        }
        if let Some(refresh_token) = refresh_token {
            client.refresh_token = refresh_token;
        }
        *entry = Arc::new(client.clone());
        Ok(client)
    })?;
    Ok((StatusCode::OK, to_json(&updated, false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "name",
        "description",
        "app_type",
        "grant_types",
        "resource_server_identifier",
        "refresh_token",
        "rotation_type",
        "leeway",
    ];

    proptest! {
        #![proptest_config(support::config())]

        #[test]
        fn prop_any_client_request_is_answered(
            create in support::json_body(KEYS),
            update in support::json_body(KEYS),
            id in prop_oneof![Just("native-app".to_owned()), support::text()],
        ) {
            let tenant = support::tenant();
            let headers = support::management_headers();
            if let Ok((_, client)) = create_client(&tenant, &headers, &create) {
                prop_assert!(tenant.client(client["client_id"].as_str().unwrap()).is_some());
            }
            let _ = update_client(&tenant, &headers, &id, &update);
        }
    }

    #[test]
    fn types_and_defaults() {
        assert!(confidential("resource_server") && confidential("non_interactive") && !confidential("native"));
        assert_eq!(default_grants("resource_server"), [GRANT_FEDERATED_CONNECTION]);
        assert!(check_grants(&["nope".into()]).is_err());
        assert!(check_grants(&[GRANT_FEDERATED_CONNECTION.into(), "authorization_code".into()]).is_ok());
        let c = ClientConfig {
            client_secret: Some("s".into()),
            ..ClientConfig::native("x")
        };
        assert_eq!(to_json(&c, false).get("client_secret"), None);
        assert_eq!(to_json(&c, true)["client_secret"], "s");
        assert_eq!(to_json(&c, true)["token_endpoint_auth_method"], "client_secret_post");
    }
}
