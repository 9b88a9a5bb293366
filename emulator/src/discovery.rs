//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::config::{GRANT_CLIENT_CREDENTIALS, GRANT_FEDERATED_CONNECTION, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE};
use crate::tenant::{AppState, Tenant};

/// The OpenID Provider metadata of the emulated tenant.
pub(crate) fn metadata(tenant: &Tenant) -> Value {
    let base = &tenant.base_url;
    json!({
        "issuer": tenant.issuer(),
        "token_endpoint": format!("{base}/oauth/token"),
        "userinfo_endpoint": tenant.userinfo_url(),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic", "private_key_jwt"],
        "grant_types_supported": [GRANT_TOKEN_EXCHANGE, GRANT_REFRESH_TOKEN, GRANT_FEDERATED_CONNECTION, GRANT_CLIENT_CREDENTIALS],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "name", "given_name", "family_name",
            "email", "email_verified"
        ],
        "dpop_signing_alg_values_supported": ["ES256"],
    })
}

/// Handler of `GET /.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(State(tenant): State<AppState>) -> Json<Value> {
    Json(metadata(&tenant))
}

/// Handler of `GET /.well-known/jwks.json`.
pub(crate) async fn jwks(State(tenant): State<AppState>) -> Json<Value> {
    Json(tenant.signer.jwks())
}
