//! The client credentials grant: a confidential client gets an access token for an API (or
//! for this tenant's Management API, `{base_url}/api/v2/`) it has a client grant for.
//!
//! Scopes: the requested `scope` intersected with the client grant (all granted scopes
//! without `scope`); then the `credentials-exchange` Actions run (deny, custom claims,
//! target scopes), and the final target scopes are intersected with the grant again.

use serde_json::{Value, json};

use super::TokenRequest;
use super::custom_token_exchange::{action_outcome_error, client_json, request_json};
use crate::action_api::ActionTrigger;
use crate::actions::{self, custom_claims};
use crate::client_auth::AuthMethod;
use crate::config::MANAGEMENT_SCOPES;
use crate::errors::OAuthError;
use crate::util::random_token;

/// Handles `grant_type=client_credentials`.
pub(super) async fn grant(req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    let tenant = req.tenant;
    if req.client_auth == AuthMethod::None {
        return Err(OAuthError::invalid_client(
            "Client authentication is required for the client credentials grant",
        ));
    }
    let audience = match (req.params.get("audience"), req.params.get("resource")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "Send either audience or resource, not both",
            ));
        }
        (Some(a), None) | (None, Some(a)) => a.to_owned(),
        (None, None) => tenant.config.default_audience.clone().ok_or_else(|| {
            OAuthError::access_denied("No audience parameter was provided, and no default audience has been configured")
        })?,
    };
    let defined: Vec<String> = if audience == tenant.management_api() {
        MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        tenant
            .api(&audience)
            .ok_or_else(|| OAuthError::access_denied(format!("Service not found: {audience}")))?
            .scopes
            .clone()
    };
    let granted: Vec<String> = tenant
        .client_grant_scopes(&req.client.client_id, &audience)
        .ok_or_else(|| {
            OAuthError::access_denied(format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated \
                 to this API."
            ))
        })?
        .into_iter()
        .filter(|s| defined.contains(s))
        .collect();
    let mut target: Vec<String> = Vec::new();
    match req.params.get("scope") {
        None => target.clone_from(&granted),
        Some(requested) => {
            for s in requested.split_whitespace() {
                if granted.iter().any(|g| g == s) && !target.iter().any(|t| t == s) {
                    target.push(s.to_owned());
                }
            }
        }
    }
    let requested: Vec<&str> = req
        .params
        .get("scope")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let event = json!({
        "transaction": {
            "protocol": "oauth2-client-credentials",
            "requested_scopes": requested,
        },
        "request": request_json(req),
        "client": client_json(req.client),
        "resource_server": { "identifier": audience },
        "tenant": { "id": "emulator" },
        "accessToken": { "scope": target },
    });
    let outcome = actions::run_trigger(&tenant.actions, ActionTrigger::CredentialsExchange, &event, target)
        .await
        .map_err(|f| f.into_oauth())?;
    if let Some(e) = action_outcome_error(ActionTrigger::CredentialsExchange, &outcome) {
        return Err(e);
    }
    let scopes: Vec<String> = outcome
        .target_scopes
        .into_iter()
        .filter(|s| granted.contains(s))
        .collect();
    let now = tenant.now_secs();
    let lifetime = tenant.config.access_token_lifetime_secs;
    let mut claims = json!({
        "iss": tenant.issuer(),
        "sub": format!("{}@clients", req.client.client_id),
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "scope": scopes.join(" "),
        "gty": "client-credentials",
        "azp": req.client.client_id,
        "jti": random_token(16),
    });
    if let Some(proof) = req.proof {
        claims["cnf"] = json!({ "jkt": proof.jkt });
    }
    for (name, value) in custom_claims(&outcome.claims) {
        claims[name] = value;
    }
    Ok(json!({
        "access_token": tenant.signer.sign("JWT", &claims),
        "token_type": if req.proof.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": lifetime,
        "scope": scopes.join(" "),
    }))
}
