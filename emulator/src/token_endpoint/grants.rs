//! The grants `/oauth/token` supports, one sibling module each, and what they share (the
//! request after the common checks, audience and scope resolution). To add a grant: a variant
//! of [`Grant`], its `grant_type` in [`Grant::parse`], and a module with its handler.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::Value;

use super::{Issue, client_credentials, custom_token_exchange, native_social, refresh_token, token_vault};
use crate::client_auth::AuthMethod;
use crate::config::{
    ApiConfig, ClientConfig, GRANT_CLIENT_CREDENTIALS, GRANT_FEDERATED_CONNECTION, GRANT_REFRESH_TOKEN,
    GRANT_TOKEN_EXCHANGE, UserConfig,
};
use crate::dpop::ValidProof;
use crate::errors::OAuthError;
use crate::form::Params;
use crate::native_social::{APPLE_AUTHZ_CODE_TYPE, FACEBOOK_SESSION_TOKEN_TYPE};
use crate::tenant::Tenant;

/// A grant the token endpoint knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// RFC 8693 token exchange (native social sign-in).
    TokenExchange,
    /// Refresh token grant.
    RefreshToken,
    /// Token Vault: an Auth0 token for the user's token at an external provider.
    FederatedConnection,
    /// The client credentials grant (machine-to-machine, Management API tokens).
    ClientCredentials,
}

impl Grant {
    /// The grant for a `grant_type` value, `None` when unsupported.
    pub(crate) fn parse(grant_type: &str) -> Option<Self> {
        match grant_type {
            GRANT_TOKEN_EXCHANGE => Some(Self::TokenExchange),
            GRANT_REFRESH_TOKEN => Some(Self::RefreshToken),
            GRANT_FEDERATED_CONNECTION => Some(Self::FederatedConnection),
            GRANT_CLIENT_CREDENTIALS => Some(Self::ClientCredentials),
            _ => None,
        }
    }

    /// Whether failures of this grant count towards brute-force protection.
    pub(crate) fn brute_force_protected(self) -> bool {
        matches!(self, Self::TokenExchange)
    }
}

/// A token request that passed the checks common to all grants.
pub(crate) struct TokenRequest<'a> {
    pub(crate) tenant: &'a Tenant,
    pub(crate) client: &'a ClientConfig,
    /// How the client authenticated (`None` for a public client).
    pub(crate) client_auth: AuthMethod,
    pub(crate) params: &'a Params,
    /// The validated DPoP proof, if the request had one.
    pub(crate) proof: Option<&'a ValidProof>,
    /// The end user's IP (`auth0-forwarded-for`, else the TCP peer).
    pub(crate) ip: &'a str,
    /// The request headers.
    pub(crate) headers: &'a HeaderMap,
}

impl<'a> TokenRequest<'a> {
    /// What to issue to this request's client for `user`: tokens for `audience` with
    /// `scopes`, bound to the proof's key; no refresh token, no `issued_token_type` (the
    /// caller sets those).
    pub(crate) fn issue_for(
        &'a self,
        user: &'a UserConfig,
        audience: Option<&'a str>,
        scopes: &'a [String],
    ) -> Issue<'a> {
        Issue {
            client_id: &self.client.client_id,
            user,
            audience,
            scopes,
            jkt: self.proof.map(|p| p.jkt.as_str()),
            refresh_token_allowed: false,
            public_client: self.client_auth == AuthMethod::None,
            token_exchange: false,
        }
    }
}

/// Runs the grant's handler.
pub(crate) async fn dispatch(grant: Grant, req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    match grant {
        Grant::TokenExchange => match req.params.get("subject_token_type") {
            Some(t) if t != APPLE_AUTHZ_CODE_TYPE && t != FACEBOOK_SESSION_TOKEN_TYPE => {
                custom_token_exchange::exchange(req).await
            }
            _ => native_social::exchange(req).await,
        },
        Grant::ClientCredentials => client_credentials::grant(req).await,
        Grant::RefreshToken => refresh_token::refresh(req),
        Grant::FederatedConnection => token_vault::exchange(req),
    }
}

/// Scopes that need no API: OpenID Connect and `offline_access`.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Scopes granted when the request has no `scope`.
const DEFAULT_OIDC_SCOPES: &[&str] = &["openid", "profile", "email"];

/// The API named by `audience` or `resource` (at most one of them), else the default audience.
pub(crate) fn resolve_audience(tenant: &Tenant, params: &Params) -> Result<Option<Arc<ApiConfig>>, OAuthError> {
    let target = match (params.get("audience"), params.get("resource")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "Send either audience or resource, not both",
            ));
        }
        (Some(t), None) | (None, Some(t)) => Some(t),
        (None, None) => tenant.config.default_audience.as_deref(),
    };
    match target {
        None => Ok(None),
        Some(t) => tenant
            .api(t)
            .map(Some)
            .ok_or_else(|| OAuthError::access_denied(format!("Service not found: {t}"))),
    }
}

/// The granted scopes. With `scope`: the requested ones that are defined (OIDC scopes or the
/// API's), in order, without duplicates; the others are dropped, not refused (the reference:
/// the issued scopes may differ from the requested ones, and the response's `scope` says
/// which). Without `scope`: `openid profile email` plus every scope of the audience.
pub(crate) fn resolve_scopes(requested: Option<&str>, api: Option<&ApiConfig>) -> Vec<String> {
    let api_scopes: &[String] = api.map(|a| a.scopes.as_slice()).unwrap_or_default();
    let Some(requested) = requested else {
        let mut scopes: Vec<String> = DEFAULT_OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        scopes.extend(api_scopes.iter().cloned());
        return scopes;
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.split_whitespace() {
        let defined = OIDC_SCOPES.contains(&scope) || api_scopes.iter().any(|s| s == scope);
        if defined && !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    granted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_validate_and_dedupe() {
        let api = ApiConfig::new("https://api", &["read", "write"]);
        assert_eq!(
            resolve_scopes(None, Some(&api)),
            ["openid", "profile", "email", "read", "write"]
        );
        assert_eq!(resolve_scopes(None, None), ["openid", "profile", "email"]);
        assert_eq!(
            resolve_scopes(Some("openid read openid"), Some(&api)),
            ["openid", "read"]
        );
        assert_eq!(
            resolve_scopes(Some("openid delete read"), Some(&api)),
            ["openid", "read"]
        );
        assert!(resolve_scopes(Some("read"), None).is_empty());
    }
}
