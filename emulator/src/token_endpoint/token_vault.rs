//! The Token Vault grant (`urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`):
//! a Custom API Client trades the Auth0 access (or refresh) token its API received for the
//! user's access token at the external provider behind a connection.
//!
//! Checks, in order (after the token endpoint's common checks: client authentication, the
//! client allowed the grant, DPoP proof):
//!
//! 1. the client is a Custom API Client (`app_type` `resource_server` with a linked API), else
//!    `403 unauthorized_client`; it authenticated (not a public client), else `401 invalid_client`;
//! 2. parameters: no `audience` / `resource`; `subject_token`, `subject_token_type` (access or
//!    refresh token), `requested_token_type` (the federated connection access token type),
//!    `connection` — each `400 invalid_request` when missing or wrong;
//! 3. the subject token: an access token this tenant issued (signature, `iss`), not expired, with
//!    the client's API in `aud`; or a refresh token issued to a client of the tenant — else
//!    `403 invalid_grant`. A DPoP-bound subject token (`cnf.jkt`) needs a proof of that key
//!    on the request, else `400 invalid_dpop_proof`;
//! 4. the connection exists and is enabled for the client, else `400 invalid_request`;
//! 5. the user is not blocked (`403 access_denied`);
//! 6. the vault holds a tokenset for the user (with `login_hint`, that account), refreshed
//!    through the provider when the stored access token has expired; none, or a refresh the
//!    provider refuses (revoked) -> `401 federated_connection_refresh_token_not_found`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::TokenRequest;
use crate::access_tokens::{self, TokenProblem};
use crate::client_auth::AuthMethod;
use crate::config::FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE;
use crate::dpop;
use crate::errors::OAuthError;
use crate::tenant::token_vault::ConnectionProblem;

/// `subject_token_type` of an Auth0 access token.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// `subject_token_type` of an Auth0 refresh token.
const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// Who the subject token stands for.
struct Subject {
    user_id: String,
    /// Thumbprint of the DPoP key the subject token is bound to.
    jkt: Option<String>,
}

fn invalid_subject(description: &str) -> OAuthError {
    OAuthError::invalid_grant(description)
}

/// Checks an access token subject: issued and signed by this tenant, unexpired, for `api`.
fn access_token_subject(req: &TokenRequest<'_>, token: &str, api: &str) -> Result<Subject, OAuthError> {
    let claims = access_tokens::verify(req.tenant, token).map_err(|problem| match problem {
        TokenProblem::Expired => invalid_subject("Subject token has expired"),
        _ => invalid_subject("Invalid subject token"),
    })?;
    if !access_tokens::audience_contains(&claims, api) {
        return Err(invalid_subject(
            "Subject token audience does not match the API of the Custom API Client",
        ));
    }
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_subject("Invalid subject token"))?
        .to_owned();
    let jkt = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Subject { user_id, jkt })
}

/// Checks a refresh token subject: issued by this tenant to one of its clients.
fn refresh_token_subject(req: &TokenRequest<'_>, token: &str) -> Result<Subject, OAuthError> {
    let record = req
        .tenant
        .store()
        .refresh_tokens
        .get(token)
        .cloned()
        .ok_or_else(|| invalid_subject("Invalid subject token"))?;
    if req.tenant.client(&record.client_id).is_none() {
        return Err(invalid_subject("Invalid subject token"));
    }
    Ok(Subject {
        user_id: record.user_id,
        jkt: record.jkt,
    })
}

/// A bound subject token needs a proof made with its key.
fn check_binding(req: &TokenRequest<'_>, subject: &Subject) -> Result<(), OAuthError> {
    dpop::check_binding(subject.jkt.as_deref(), req.proof, "subject token").map_err(OAuthError::invalid_dpop_proof)
}

/// Auth0's answer when the vault has no usable token for the user at the connection.
fn refresh_token_not_found() -> OAuthError {
    OAuthError::new(
        StatusCode::UNAUTHORIZED,
        "federated_connection_refresh_token_not_found",
        "Federated connection Refresh Token not found.",
    )
}

/// Handles the Token Vault grant.
pub(super) fn exchange(req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    let client = req.client;
    let api = match (client.app_type.as_deref(), client.resource_server_identifier.as_deref()) {
        (Some("resource_server"), Some(api)) => api,
        _ => {
            return Err(OAuthError::unauthorized_client(
                "Only a Custom API Client (app_type resource_server) may use the Token Vault grant.",
            ));
        }
    };
    if req.client_auth == AuthMethod::None {
        return Err(OAuthError::invalid_client(
            "Client authentication is required for the Token Vault grant",
        ));
    }
    for refused in ["audience", "resource"] {
        if req.params.get(refused).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "Parameter {refused} is not allowed with the Token Vault grant"
            )));
        }
    }
    let subject_token = req.params.require("subject_token")?;
    let subject_token_type = req.params.require("subject_token_type")?;
    let requested = req.params.require("requested_token_type")?;
    if requested != FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "Unsupported requested_token_type: {requested}"
        )));
    }
    let connection = req.params.require("connection")?;
    let login_hint = req.params.get("login_hint");
    let subject = match subject_token_type {
        ACCESS_TOKEN_TYPE => access_token_subject(req, subject_token, api)?,
        REFRESH_TOKEN_TYPE => refresh_token_subject(req, subject_token)?,
        other => {
            return Err(OAuthError::invalid_request(format!(
                "Unsupported subject_token_type: {other}"
            )));
        }
    };
    check_binding(req, &subject)?;
    match req.tenant.vault.check_connection(connection, &client.client_id) {
        Ok(()) => {}
        Err(ConnectionProblem::Unknown) => {
            return Err(OAuthError::invalid_request(format!("Unknown connection: {connection}")));
        }
        Err(ConnectionProblem::NotEnabled) => {
            return Err(OAuthError::invalid_request(format!(
                "The connection {connection} is not enabled for this client"
            )));
        }
    }
    let blocked = req
        .tenant
        .store()
        .users
        .get(&subject.user_id)
        .is_some_and(|u| u.blocked);
    if blocked {
        return Err(OAuthError::access_denied("user is blocked"));
    }
    let token = req
        .tenant
        .vault
        .federated_token(&subject.user_id, connection, login_hint)
        .map_err(|_| refresh_token_not_found())?;
    req.tenant.vault.record_exchange();
    Ok(json!({
        "access_token": token.access_token,
        "expires_in": token.expires_in,
        "scope": token.scopes.join(" "),
        "token_type": "Bearer",
        "issued_token_type": FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE,
    }))
}
