//! Client grants: which client may get tokens for which API with the client credentials
//! grant, and with which scopes (`/api/v2/client-grants`, and the `client_grants` config).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::schema::{self, Prop};
use super::{
    MANAGEMENT_API_AUDIENCE_PLACEHOLDER, MANAGEMENT_SCOPES, audience, authorize, change, random_alnum, respond,
};
use crate::errors::EmulatorError;
use crate::state::{AppState, Shared};

/// A client grant: `client_id` may get tokens for `audience` with (at most) `scope`.
///
/// For this tenant's Management API use the audience
/// [`MANAGEMENT_API_AUDIENCE_PLACEHOLDER`] (`{base_url}/api/v2/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantConfig {
    /// Grant id (`cgr_…`); derived when empty.
    #[serde(default)]
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    /// The scopes the client may get.
    #[serde(default)]
    pub scope: Vec<String>,
}

impl ClientGrantConfig {
    /// A grant of `scopes` on `audience` to `client_id`.
    pub fn new(client_id: impl Into<String>, audience: impl Into<String>, scopes: &[&str]) -> Self {
        Self {
            id: String::new(),
            client_id: client_id.into(),
            audience: audience.into(),
            scope: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"id": self.id, "client_id": self.client_id, "audience": self.audience, "scope": self.scope})
    }
}

/// The configured audience as the running emulator sees it (placeholder substituted).
fn effective_audience(shared: &Shared, configured: &str) -> String {
    if configured == MANAGEMENT_API_AUDIENCE_PLACEHOLDER {
        audience(shared)
    } else {
        configured.to_owned()
    }
}

/// The scopes `client_id` was granted on `audience`; `None` without a client grant.
pub(crate) fn client_grant_scopes(shared: &Shared, client_id: &str, audience: &str) -> Option<Vec<String>> {
    shared
        .registry()
        .client_grants
        .iter()
        .find(|g| g.client_id == client_id && effective_audience(shared, &g.audience) == audience)
        .map(|g| g.scope.clone())
}

/// Gives configured grants an id.
pub(crate) fn prepare_config_grants(grants: &[ClientGrantConfig]) -> Vec<ClientGrantConfig> {
    grants
        .iter()
        .map(|g| {
            let mut g = g.clone();
            if g.id.is_empty() {
                g.id = format!("cgr_{}", random_alnum(16));
            }
            g
        })
        .collect()
}

/// Checks configured grants: known clients with a secret, known APIs, no duplicates.
pub(crate) fn validate_config_grants(config: &crate::EmulatorConfig) -> Result<(), EmulatorError> {
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
pub(super) async fn create(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    respond(create_grant(&shared, &headers, &body))
}

fn create_grant(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(shared, headers, &["create:client_grants"])?;
    let map = schema::object(body)?;
    schema::only(&map, &[CLIENT_ID, AUDIENCE, SCOPE])?;
    schema::required(&map, &[CLIENT_ID, AUDIENCE, SCOPE])?;
    let client_id = schema::string(&map, CLIENT_ID, 1, 100)?.expect("required").to_owned();
    let audience_value = schema::string(&map, AUDIENCE, 1, 600)?.expect("required").to_owned();
    let scope = schema::strings(&map, SCOPE)?.expect("required");
    if shared.client(&client_id).is_none() {
        return Err(ApiError::not_found("The client does not exist", "inexistent_client"));
    }
    let defined: Vec<String> = if audience_value == audience(shared) {
        MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        shared
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
    let stored_audience = if audience_value == audience(shared) {
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
    change(shared, |registry| {
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
pub(super) async fn list(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    respond((|| {
        authorize(&shared, &headers, &["read:client_grants"])?;
        let grants: Vec<Value> = shared
            .registry()
            .client_grants
            .iter()
            .map(|g| {
                let mut v = g.to_json();
                v["audience"] = json!(effective_audience(&shared, &g.audience));
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
            let shared = support::tenant();
            let _ = create_grant(&shared, &support::management_headers(), &body);
        }
    }
}
