//! Client grants: which client may get tokens for which API with the client credentials
//! grant, and with which scopes (`/api/v2/client-grants`, and the `client_grants` config).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::schema::{self, Prop};
use super::{authorize, change, respond};
use crate::config::{ClientGrantConfig, EmulatorConfig, MANAGEMENT_API_AUDIENCE_PLACEHOLDER, MANAGEMENT_SCOPES};
use crate::errors::EmulatorError;
use crate::tenant::{AppState, Tenant, effective_audience};
use crate::util::random_alnum;

/// Checks configured grants: known clients with a secret, known APIs, no duplicates.
pub(crate) fn validate_config_grants(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let mut seen = std::collections::HashSet::new();
    for g in &config.client_grants {
        let bad = |why: &str| {
            EmulatorError::InvalidConfig(format!("client grant of {} on {}: {why}", g.client_id, g.audience))
        };
        let Some(client) = config.clients.iter().find(|c| c.client_id == g.client_id) else {
            return Err(bad("unknown client"));
        };
        if client.client_secret.is_none() {
            return Err(bad(
                "the client has no client_secret (client credentials need a confidential client)",
            ));
        }
        if g.audience == MANAGEMENT_API_AUDIENCE_PLACEHOLDER {
            if let Some(s) = g.scope.iter().find(|s| !MANAGEMENT_SCOPES.contains(&s.as_str())) {
                return Err(bad(&format!("{s} is not a Management API scope")));
            }
        } else {
            let Some(api) = config.apis.iter().find(|a| a.identifier == g.audience) else {
                return Err(bad("unknown API"));
            };
            if let Some(s) = g.scope.iter().find(|s| !api.scopes.contains(s)) {
                return Err(bad(&format!("the API does not define the scope {s}")));
            }
        }
        if !seen.insert((g.client_id.as_str(), g.audience.as_str())) {
            return Err(bad("duplicate grant"));
        }
    }
    Ok(())
}

const CLIENT_ID: Prop = Prop {
    name: "client_id",
    description: "ID of the client.",
};
const AUDIENCE: Prop = Prop {
    name: "audience",
    description: "The audience (API identifier) of this client grant",
};
const SCOPE: Prop = Prop {
    name: "scope",
    description: "Scopes allowed for this client grant.",
};

/// `POST /api/v2/client-grants`.
pub(super) async fn create(State(tenant): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    respond(create_grant(&tenant, &headers, &body))
}

fn create_grant(tenant: &Tenant, headers: &HeaderMap, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["create:client_grants"])?;
    let map = schema::object(body)?;
    schema::only(&map, &[CLIENT_ID, AUDIENCE, SCOPE])?;
    schema::required(&map, &[CLIENT_ID, AUDIENCE, SCOPE])?;
    let client_id = schema::string(&map, CLIENT_ID, 1, 100)?.expect("required").to_owned();
    let audience_value = schema::string(&map, AUDIENCE, 1, 600)?.expect("required").to_owned();
    let scope = schema::strings(&map, SCOPE)?.expect("required");
    if tenant.client(&client_id).is_none() {
        return Err(ApiError::not_found("The client does not exist", "inexistent_client"));
    }
    let defined: Vec<String> = if audience_value == tenant.management_api() {
        MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        tenant
            .api(&audience_value)
            .ok_or_else(|| ApiError::not_found("The resource server does not exist", "inexistent_resource_server"))?
            .scopes
            .clone()
    };
    if let Some(s) = scope.iter().find(|s| !defined.contains(s)) {
        return Err(ApiError::invalid_body(format!(
            "The scope {s} is not defined by the resource server {audience_value}"
        )));
    }
    // The Management API is stored with the placeholder, so the grant survives a port change.
    let stored_audience = if audience_value == tenant.management_api() {
        MANAGEMENT_API_AUDIENCE_PLACEHOLDER.to_owned()
    } else {
        audience_value.clone()
    };
    let grant = ClientGrantConfig {
        id: format!("cgr_{}", random_alnum(16)),
        client_id,
        audience: stored_audience,
        scope,
    };
    change(tenant, |registry| {
        if registry
            .client_grants
            .iter()
            .any(|g| g.client_id == grant.client_id && g.audience == grant.audience)
        {
            return Err(ApiError::conflict(
                "A client grant for this client and audience already exists",
            ));
        }
        registry.client_grants.push(grant.clone());
        Ok(())
    })?;
    let mut body = grant.to_json();
    body["audience"] = json!(audience_value);
    Ok((StatusCode::CREATED, body))
}

/// `GET /api/v2/client-grants`.
pub(super) async fn list(State(tenant): State<AppState>, headers: HeaderMap) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:client_grants"])?;
        let grants: Vec<Value> = tenant
            .registry()
            .client_grants
            .iter()
            .map(|g| {
                let mut v = g.to_json();
                v["audience"] = json!(effective_audience(&g.audience, &tenant.management_api()));
                v
            })
            .collect();
        Ok((StatusCode::OK, Value::Array(grants)))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    const KEYS: &[&str] = &["client_id", "audience", "scope"];

    proptest! {
        #![proptest_config(support::config())]

        #[test]
        fn prop_any_client_grant_body_is_answered(body in support::json_body(KEYS)) {
            let tenant = support::tenant();
            let _ = create_grant(&tenant, &support::management_headers(), &body);
        }
    }
}
