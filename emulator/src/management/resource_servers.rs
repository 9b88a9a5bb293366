//! `/api/v2/resource-servers`: the tenant's APIs. Created APIs are usable as `audience` at
//! the token endpoint at once. The id of an API is derived from its identifier (24 hex
//! digits), so it is stable across restarts.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::errors::{ApiError, json_type};
use super::schema::{self, ObjectId, Prop};
use super::{authorize, change, respond};
use crate::config::ApiConfig;
use crate::tenant::{AppState, Tenant};

const NAME: Prop = Prop {
    name: "name",
    description: "Friendly name for this resource server. Can not contain `<` or `>` characters.",
};
const IDENTIFIER: Prop = Prop {
    name: "identifier",
    description: "Unique identifier for the API used as the audience parameter on authorization calls. Can not be \
                  changed once set.",
};
const SCOPES: Prop = Prop {
    name: "scopes",
    description: "List of permissions (scopes) that this API uses.",
};

/// The id of the API with this identifier.
pub(crate) fn api_id(identifier: &str) -> String {
    let digest = Sha256::digest(identifier.as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// An API as the Management API returns it.
pub(crate) fn to_json(tenant: &Tenant, api: &ApiConfig) -> Value {
    let scopes: Vec<Value> = api
        .scopes
        .iter()
        .map(|s| {
            json!({
                "value": s,
                "description": api.scope_descriptions.get(s).cloned().unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "id": api_id(&api.identifier),
        "name": api.name,
        "identifier": api.identifier,
        "scopes": scopes,
        "signing_alg": "RS256",
        "token_lifetime": tenant.config.access_token_lifetime_secs,
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": true,
        "token_dialect": "access_token",
    })
}

/// Parses `scopes: [{value, description}]`.
fn parse_scopes(map: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(value) = map.get(SCOPES.name) else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(SCOPES.error(format!("Expected type array but found type {}", json_type(value))));
    };
    let mut scopes: Vec<(String, String)> = Vec::new();
    for item in items {
        let Value::Object(obj) = item else {
            return Err(SCOPES.error(format!("Expected type object but found type {}", json_type(item))));
        };
        if let Some(k) = obj.keys().find(|k| *k != "value" && *k != "description") {
            return Err(SCOPES.error(format!("Additional properties not allowed: {k}")));
        }
        let scope_value = match obj.get("value") {
            Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 280 => s,
            Some(Value::String(_)) => return Err(SCOPES.error("a scope value must be 1 to 280 characters")),
            Some(other) => {
                return Err(SCOPES.error(format!("Expected type string but found type {}", json_type(other))));
            }
            None => return Err(SCOPES.error("Missing required property: value")),
        };
        if scope_value.chars().any(|c| c.is_whitespace() || c == '"' || c == '\\') {
            return Err(SCOPES.error(format!("invalid scope value: {scope_value}")));
        }
        let description = match obj.get("description") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.chars().count() <= 500 => s.clone(),
            Some(_) => return Err(SCOPES.error("a scope description must be a string of at most 500 characters")),
        };
        if scopes.iter().any(|(v, _)| v == scope_value) {
            return Err(SCOPES.error(format!("duplicate scope value: {scope_value}")));
        }
        scopes.push((scope_value.clone(), description));
    }
    Ok(scopes)
}

/// `POST /api/v2/resource-servers`.
pub(super) async fn create(State(tenant): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    respond(create_api(&tenant, &headers, &body))
}

fn create_api(tenant: &Tenant, headers: &HeaderMap, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["create:resource_servers"])?;
    let map = schema::object(body)?;
    schema::only(&map, &[NAME, IDENTIFIER, SCOPES])?;
    schema::required(&map, &[IDENTIFIER])?;
    let identifier = schema::string(&map, IDENTIFIER, 1, 600)?.expect("required").to_owned();
    if identifier.trim() != identifier || identifier.chars().any(char::is_control) {
        return Err(IDENTIFIER.error("the identifier must not have surrounding whitespace or control characters"));
    }
    let name = schema::string(&map, NAME, 1, 200)?.map_or_else(|| identifier.clone(), str::to_owned);
    if name.contains(['<', '>']) {
        return Err(NAME.error("String does not match pattern: ^[^<>]+$"));
    }
    let scopes = parse_scopes(&map)?;
    let api = ApiConfig {
        identifier: identifier.clone(),
        name,
        scopes: scopes.iter().map(|(v, _)| v.clone()).collect(),
        scope_descriptions: scopes.into_iter().filter(|(_, d)| !d.is_empty()).collect(),
    };
    let management_api = tenant.management_api();
    change(tenant, |registry| {
        if identifier == management_api || registry.apis.iter().any(|a| a.identifier == identifier) {
            return Err(ApiError::conflict(
                "A resource server with the same identifier already exists",
            ));
        }
        registry.apis.push(Arc::new(api.clone()));
        Ok(())
    })?;
    Ok((StatusCode::CREATED, to_json(tenant, &api)))
}

/// `GET /api/v2/resource-servers`.
pub(super) async fn list(State(tenant): State<AppState>, headers: HeaderMap) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:resource_servers"])?;
        let apis: Vec<Value> = tenant.registry().apis.iter().map(|a| to_json(&tenant, a)).collect();
        Ok((StatusCode::OK, Value::Array(apis)))
    })())
}

/// `GET /api/v2/resource-servers/{id}`: by id or by identifier (URL-encoded), like Auth0.
pub(super) async fn get_one(State(tenant): State<AppState>, headers: HeaderMap, ObjectId(id): ObjectId) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:resource_servers"])?;
        let registry = tenant.registry();
        let api = registry
            .apis
            .iter()
            .find(|a| api_id(&a.identifier) == id || a.identifier == id)
            .ok_or_else(|| ApiError::not_found("The resource server does not exist", "inexistent_resource_server"))?;
        Ok((StatusCode::OK, to_json(&tenant, api)))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    const KEYS: &[&str] = &["name", "identifier", "scopes", "value", "description"];

    proptest! {
        #![proptest_config(support::config())]

        #[test]
        fn prop_any_resource_server_body_is_answered(body in support::json_body(KEYS)) {
            let tenant = support::tenant();
            if let Ok((_, api)) = create_api(&tenant, &support::management_headers(), &body) {
                prop_assert!(tenant.api(api["identifier"].as_str().unwrap()).is_some());
            }
        }
    }

    #[test]
    fn scope_parsing() {
        let m = json!({"scopes": [{"value": "read:x", "description": "Read"}, {"value": "write:x"}]});
        let s = parse_scopes(m.as_object().unwrap()).unwrap();
        assert_eq!(s, [("read:x".into(), "Read".into()), ("write:x".into(), String::new())]);
        for bad in [
            json!({"scopes": "read"}),
            json!({"scopes": [{"description": "no value"}]}),
            json!({"scopes": [{"value": "a b"}]}),
            json!({"scopes": [{"value": "a"}, {"value": "a"}]}),
            json!({"scopes": [{"value": "a", "x": 1}]}),
        ] {
            assert!(parse_scopes(bad.as_object().unwrap()).is_err(), "{bad}");
        }
        assert_eq!(api_id("https://a").len(), 24);
    }
}
