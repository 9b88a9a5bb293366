//! `POST /oauth/token`: request parsing, the checks every grant shares (client, grant type,
//! brute-force protection, DPoP proof), then dispatch to the grant's own module, and the token
//! response ([`issue`]).
//!
//! Order of checks: queued canned response, content type, parameters, `grant_type`, client
//! authentication (`client_auth`), client allowed the grant, brute-force block, DPoP proof,
//! then the grant.

mod client_credentials;
mod custom_token_exchange;
mod grants;
mod issue;
mod native_social;
mod refresh_token;
mod revocation;
mod token_vault;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use grants::Grant;
pub(crate) use grants::{TokenRequest, resolve_audience, resolve_scopes};
use issue::{Issue, issue, issue_with_claims};
pub(crate) use revocation::revoke;

use crate::client_auth::{self, AuthMethod};
use crate::config::EmulatorConfig;
use crate::dpop::{self, DPOP_NONCE_HEADER, DpopFailure, Expected, ValidProof};
use crate::errors::EmulatorError;
use crate::errors::{OAuthError, check_lifetimes, no_store};
use crate::form::Params;
use crate::tenant::{AppState, Realm, Tenant};

/// Header with the end user's IP, set by servers that call Auth0 on the user's behalf.
const FORWARDED_FOR: &str = "auth0-forwarded-for";

/// Checks the lifetimes of the tokens the endpoint issues.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    check_lifetimes(&[
        ("access_token_lifetime_secs", config.access_token_lifetime_secs),
        ("id_token_lifetime_secs", config.id_token_lifetime_secs),
    ])
}

/// The end user's IP: `auth0-forwarded-for` (first entry) when an authenticated (confidential)
/// client sends it, as Auth0 trusts it only from those; else the TCP peer. A public client
/// cannot choose the IP its failures count against.
fn end_user_ip(headers: &HeaderMap, peer: SocketAddr, client_auth: AuthMethod) -> String {
    if client_auth == AuthMethod::None {
        return peer.ip().to_string();
    }
    headers
        .get(FORWARDED_FOR)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| peer.ip().to_string())
}

/// Maps a DPoP failure to the token endpoint's error.
fn dpop_error(failure: DpopFailure) -> OAuthError {
    match failure {
        DpopFailure::InvalidProof(d) => OAuthError::invalid_dpop_proof(d),
        DpopFailure::UseNonce(d) => OAuthError::use_dpop_nonce(d),
    }
}

/// Axum handler of `POST /oauth/token`.
pub(crate) async fn token(
    State(tenant): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let canned = tenant.store().canned.pop_front();
    if let Some(canned) = canned {
        return canned.into_response();
    }
    let mut response = match process(&tenant, &headers, &uri, &body, peer).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => e.into_response(),
    };
    no_store(&mut response);
    if headers.contains_key(dpop::DPOP_HEADER) {
        if let Some(nonce) = dpop::current_nonce(&tenant, Realm::Token) {
            if let Ok(v) = HeaderValue::from_str(&nonce) {
                response.headers_mut().insert(DPOP_NONCE_HEADER, v);
            }
        }
    }
    response
}

async fn process(
    tenant: &Tenant,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
    peer: SocketAddr,
) -> Result<Value, OAuthError> {
    let params = Params::from_request(headers, body)?;
    let grant_type = params.require("grant_type")?;
    let grant = Grant::parse(grant_type).ok_or_else(|| OAuthError::unsupported_grant_type(grant_type))?;
    let authenticated = client_auth::authenticate(tenant, headers, &params)?;
    let client = &*authenticated.client;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "Grant type '{grant_type}' not allowed for the client."
        )));
    }
    let ip = &end_user_ip(headers, peer, authenticated.method);
    let threshold = tenant.config.brute_force_threshold;
    let protected = grant.brute_force_protected() && threshold > 0;
    if protected && tenant.store().failures.is_blocked(ip, threshold) {
        return Err(OAuthError::too_many_attempts());
    }
    let proof = validate_proof(tenant, headers, uri)?;
    if proof.is_none() && client.require_dpop {
        return Err(OAuthError::invalid_dpop_proof("DPoP proof is required for this client"));
    }
    let request = TokenRequest {
        tenant,
        client,
        client_auth: authenticated.method,
        params: &params,
        proof: proof.as_ref(),
        ip,
        headers,
    };
    let result = grants::dispatch(grant, &request).await;
    if protected {
        let mut store = tenant.store();
        match &result {
            Ok(_) => store.failures.record_success(ip),
            Err(e) if e.error == "invalid_grant" || e.failed_attempt => store.failures.record_failure(ip, threshold),
            Err(_) => {}
        }
    }
    result
}

fn validate_proof(tenant: &Tenant, headers: &HeaderMap, uri: &Uri) -> Result<Option<ValidProof>, OAuthError> {
    let Some(proof) = dpop::single_proof(headers).map_err(dpop_error)? else {
        return Ok(None);
    };
    let url = dpop::request_url(tenant, headers, uri);
    let expected = Expected {
        method: "POST",
        url: &url,
        access_token: None,
        jkt: None,
    };
    dpop::validate(tenant, Realm::Token, proof, &expected)
        .map(Some)
        .map_err(dpop_error)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use axum::http::header;

    use super::*;
    use crate::proptest_support as support;

    /// Parameter names the grants read, and values that reach past their first checks.
    const NAMES: &[&str] = &[
        "grant_type",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "subject_token",
        "subject_token_type",
        "audience",
        "resource",
        "scope",
        "user_profile",
        "refresh_token",
        "requested_token_type",
        "connection",
        "login_hint",
        "actor_token",
        "actor_token_type",
        "organization",
    ];
    const VALUES: &[&str] = &[
        crate::config::GRANT_TOKEN_EXCHANGE,
        crate::config::GRANT_REFRESH_TOKEN,
        crate::config::GRANT_CLIENT_CREDENTIALS,
        crate::config::GRANT_FEDERATED_CONNECTION,
        crate::native_social::APPLE_AUTHZ_CODE_TYPE,
        crate::native_social::FACEBOOK_SESSION_TOKEN_TYPE,
        crate::config::FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE,
        "urn:ietf:params:oauth:token-type:access_token",
        "urn:ietf:params:oauth:token-type:refresh_token",
        "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "native-app",
        "calendar-backend",
        "calendar-backend-secret",
        "management-client",
        "management-secret",
        "https://api.example.com",
        "http://127.0.0.1:8787/api/v2/",
        "openid profile email offline_access read:messages",
        "google-oauth2",
        r#"{"name":{"firstName":"A","lastName":"B"}}"#,
    ];

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(VALUES.to_vec()).prop_map(str::to_owned),
            1 => support::text(),
            1 => support::jws(&["iss", "sub", "aud", "exp", "iat", "jti", "scope", "cnf"]),
        ]
    }

    fn form() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => proptest::collection::vec((prop::sample::select(NAMES.to_vec()), value()), 0..10).prop_map(|pairs| {
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (name, value) in pairs {
                    form.append_pair(name, &value);
                }
                form.finish().into_bytes()
            }),
            1 => any::<Vec<u8>>(),
        ]
    }

    proptest! {
        #![proptest_config(support::config())]

    }

    proptest! {
        #![proptest_config(support::costly_config())]

        /// A whole token request (every grant, client authentication, DPoP, brute-force
        /// protection) never panics, whatever the body and headers.
        #[test]
        fn prop_token_requests_never_panic(
            body in form(),
            proof in proptest::option::of(support::jws(&["typ", "alg", "jwk", "jti", "htm", "htu", "iat", "nonce"])),
            authorization in proptest::option::of(support::header_value()),
            forwarded in proptest::option::of("[ -~]{0,40}"),
            form_type in any::<bool>(),
        ) {
            let tenant = support::tenant_with(crate::EmulatorConfig {
                actions: Vec::new(),
                token_exchange_profiles: Vec::new(),
                ..crate::EmulatorConfig::default()
            });
            let mut headers = HeaderMap::new();
            if form_type {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
            }
            headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8787"));
            for (name, value) in [("dpop", proof), ("authorization", authorization), (FORWARDED_FOR, forwarded)] {
                if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    headers.insert(name, v);
                }
            }
            let uri: Uri = "/oauth/token".parse().unwrap();
            let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
            let _ = support::block_on(process(&tenant, &headers, &uri, &body, peer));
        }
    }
}
