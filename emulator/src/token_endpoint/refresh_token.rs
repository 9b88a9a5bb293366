//! The refresh token grant. A public client's refresh token issued with a DPoP proof is bound
//! to that key and needs a proof with the same key. For a client whose refresh tokens do not
//! rotate (Auth0's default) the response has a new access token (and ID token with `openid`)
//! but no refresh token; for a rotating client it also has the family's next refresh token,
//! and the one exchanged is retired: exchanging it again (outside the client's reuse interval,
//! `refresh_token.leeway`) revokes the whole family (`tenant::refresh_tokens`).

use serde_json::{Value, json};

use super::TokenRequest;
use super::issue;
use crate::config::RotationType;
use crate::dpop;
use crate::errors::OAuthError;
use crate::tenant::Rotation;

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
    dpop::check_binding(record.jkt.as_deref(), req.proof, "refresh token").map_err(OAuthError::invalid_dpop_proof)?;
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
    // Last, under one lock: a concurrent exchange of the same token is seen.
    let rotation = match req.client.refresh_token.rotation_type {
        RotationType::Rotating => Rotation::On {
            leeway: req.client.refresh_token.leeway,
        },
        RotationType::NonRotating => Rotation::Off,
    };
    let now = req.tenant.now_secs();
    let (_, successor) = req
        .tenant
        .store()
        .refresh_tokens
        .exchange(token, now, rotation)
        // A reused token's family is revoked by now; the answer does not tell the two apart.
        .map_err(|_| unknown())?;
    let mut body = issue(req.tenant, &req.issue_for(&user, record.audience.as_deref(), &scopes));
    if let Some(successor) = successor {
        body["refresh_token"] = json!(successor);
    }
    Ok(body)
}
