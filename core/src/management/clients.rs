//! Clients (applications): `POST /api/v2/clients` and `PATCH /api/v2/clients/{id}`.

use serde::{Deserialize, Serialize};

use super::{ManagementClient, ManagementError, segment};
use crate::secret::Secret;

/// A new application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClient {
    /// Display name.
    pub name: String,
    /// `native`, `spa`, `regular_web`, `non_interactive`, or `resource_server` for a Custom API
    /// Client.
    pub app_type: String,
    /// For a Custom API Client: the identifier of the API it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_server_identifier: Option<String>,
    /// Grant types it may use.
    pub grant_types: Vec<String>,
}

impl NewClient {
    /// A Custom API Client for the API `identifier`, allowed the Token Vault grant.
    pub fn custom_api_client(name: impl Into<String>, identifier: impl Into<String>) -> Self {
        NewClient {
            name: name.into(),
            app_type: "resource_server".into(),
            resource_server_identifier: Some(identifier.into()),
            grant_types: vec![crate::FEDERATED_CONNECTION_ACCESS_TOKEN_GRANT.to_owned()],
        }
    }
}

/// An application as the Management API returns it. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct ClientInfo {
    /// Its client id.
    pub client_id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Application type.
    #[serde(default)]
    pub app_type: Option<String>,
    /// Grant types.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// The linked API, for Custom API Clients.
    #[serde(default)]
    pub resource_server_identifier: Option<String>,
    /// The secret of a confidential client (only on creation).
    #[serde(default, deserialize_with = "secret")]
    pub client_secret: Option<Secret>,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::from))
}

impl std::fmt::Debug for ClientInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInfo")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("app_type", &self.app_type)
            .field("grant_types", &self.grant_types)
            .field("resource_server_identifier", &self.resource_server_identifier)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

#[derive(Serialize)]
struct GrantTypes<'a> {
    grant_types: &'a [String],
}

impl ManagementClient {
    /// Creates an application.
    pub async fn create_client(&self, client: &NewClient) -> Result<ClientInfo, ManagementError> {
        if client.name.trim().is_empty() {
            return Err(ManagementError::invalid("name", "is empty"));
        }
        if client.app_type.is_empty() {
            return Err(ManagementError::invalid("app_type", "is empty"));
        }
        if client.app_type == "resource_server" && client.resource_server_identifier.is_none() {
            return Err(ManagementError::invalid(
                "resource_server_identifier",
                "is required for a Custom API Client (app_type resource_server)",
            ));
        }
        self.call_json("POST", "clients", &[], Some(client)).await
    }

    /// Replaces an application's grant types (`PATCH /api/v2/clients/{id}`).
    pub async fn update_client_grant_types(
        &self,
        client_id: &str,
        grant_types: &[String],
    ) -> Result<ClientInfo, ManagementError> {
        if grant_types.iter().any(|g| g.trim().is_empty()) {
            return Err(ManagementError::invalid("grant_types", "contains an empty grant type"));
        }
        let path = format!("clients/{}", segment(client_id, "client_id")?);
        self.call_json("PATCH", &path, &[], Some(&GrantTypes { grant_types }))
            .await
    }
}
