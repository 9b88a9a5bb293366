//! Resource servers (APIs): `POST /api/v2/resource-servers`.

use serde::{Deserialize, Serialize};

use super::{ManagementClient, ManagementError};

/// A scope (permission) of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServerScope {
    /// The scope, e.g. `read:calendar`.
    pub value: String,
    /// What it allows.
    #[serde(default)]
    pub description: String,
}

/// A new API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewResourceServer {
    /// Display name.
    pub name: String,
    /// The audience clients ask tokens for (cannot change later).
    pub identifier: String,
    /// Its scopes.
    pub scopes: Vec<ResourceServerScope>,
}

/// An API as the Management API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceServer {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The audience.
    pub identifier: String,
    /// Its scopes.
    #[serde(default)]
    pub scopes: Vec<ResourceServerScope>,
}

impl ManagementClient {
    /// Creates an API.
    pub async fn create_resource_server(&self, api: &NewResourceServer) -> Result<ResourceServer, ManagementError> {
        if api.name.trim().is_empty() {
            return Err(ManagementError::invalid("name", "is empty"));
        }
        crate::validate::identifier("identifier", &api.identifier)?;
        for scope in &api.scopes {
            crate::validate::scope_token(&scope.value).map_err(|_| {
                ManagementError::invalid(
                    "scopes",
                    "a scope value is empty or has characters not allowed in a scope",
                )
            })?;
        }
        self.call_json("POST", "resource-servers", &[], Some(api)).await
    }
}
