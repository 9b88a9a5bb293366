//! The refresh token grant. Refresh tokens are not rotated (Auth0's default): the response
//! has a new access token (and ID token with `openid`) but no new refresh token. A refresh
//! token issued with a DPoP proof is bound to that key and needs a proof with the same key.

use serde_json::Value;

use super::TokenRequest;
use super::{Issue, issue};
use crate::errors::OAuthError;

/// Handles `grant_type=refresh_token`.
pub(super) fn refresh(req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    let token = req.params.require("refresh_token")?;
    let unknown = || OAuthError::invalid_grant("Unknown or invalid refresh token.");
    let record = req
        .tenant
        .store()
        .refresh_tokens
        .get(token)
        .cloned()
        .ok_or_else(unknown)?;
    if record.client_id != req.client.client_id {
        return Err(unknown());
    }
    match (&record.jkt, req.proof) {
        (Some(_), None) => {
            return Err(OAuthError::invalid_dpop_proof(
                "DPoP proof is required: the refresh token is DPoP-bound",
            ));
        }
        (Some(bound), Some(proof)) if *bound != proof.jkt => {
            return Err(OAuthError::invalid_dpop_proof(
                "DPoP proof key does not match the key the refresh token is bound to",
            ));
        }
        _ => {}
    }
    let scopes = match req.params.get("scope") {
        None => record.scopes.clone(),
        Some(requested) => {
            let mut scopes: Vec<String> = Vec::new();
            for s in requested.split_whitespace() {
                if !record.scopes.iter().any(|g| g == s) {
                    return Err(OAuthError::invalid_scope(format!(
                        "Scope {s} was not granted to the refresh token"
                    )));
                }
                if !scopes.iter().any(|g| g == s) {
                    scopes.push(s.to_owned());
                }
            }
            scopes
        }
    };
    let user = req
        .tenant
        .store()
        .users
        .get(&record.user_id)
        .cloned()
        .ok_or_else(unknown)?;
    if user.blocked {
        return Err(OAuthError::access_denied("user is blocked"));
    }
    Ok(issue(
        req.tenant,
        &Issue {
            client_id: &req.client.client_id,
            user: &user,
            audience: record.audience.as_deref(),
            scopes: &scopes,
            jkt: req.proof.map(|p| p.jkt.as_str()),
            refresh_token_allowed: false,
            token_exchange: false,
        },
    ))
}
