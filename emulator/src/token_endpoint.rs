//! `POST /oauth/token`: request parsing, the checks every grant shares (client, grant type,
//! brute-force protection, DPoP proof), then dispatch to the grant's own module.
//!
//! Order of checks: queued canned response, content type, parameters, `grant_type`,
//! client authentication ([`crate::client_auth`]), client allowed the grant, brute-force block, DPoP proof, then the grant.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::client_auth::{self, AuthMethod};
use crate::dpop::{self, DPOP_NONCE_HEADER, DpopFailure, Expected, Realm, ValidProof};
use crate::errors::{OAuthError, no_store};
use crate::grants::{self, Grant, TokenRequest};
use crate::state::{AppState, Shared};

/// Header with the end user's IP, set by servers that call Auth0 on the user's behalf.
const FORWARDED_FOR: &str = "auth0-forwarded-for";

/// The form parameters of a token request; empty values count as absent (RFC 6749 §3.2).
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded`; a repeated parameter is an error.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if map.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "Parameter {name} must not be repeated"
                )));
            }
        }
        Ok(Self(map))
    }

    /// A parameter's value, `None` when absent or empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Every parameter (name, value), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A required parameter, or `400 invalid_request` naming it.
    pub(crate) fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::missing(name))
    }
}

/// The URL the client reached this server at, from the `Host` header (for `htu`).
pub(crate) fn request_url(shared: &Shared, headers: &HeaderMap, uri: &Uri) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}{}", uri.path()),
        None => format!("{}{}", shared.base_url, uri.path()),
    }
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
    State(shared): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let canned = shared.store().canned.pop_front();
    if let Some(canned) = canned {
        return canned.into_response();
    }
    let mut response = match process(&shared, &headers, &uri, &body, peer).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => e.into_response(),
    };
    no_store(&mut response);
    if headers.contains_key(dpop::DPOP_HEADER) {
        if let Some(nonce) = shared.dpop.current_nonce(Realm::Token) {
            if let Ok(v) = HeaderValue::from_str(&nonce) {
                response.headers_mut().insert(DPOP_NONCE_HEADER, v);
            }
        }
    }
    response
}

async fn process(
    shared: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
    peer: SocketAddr,
) -> Result<Value, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let is_form = content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body)?;
    let grant_type = params.require("grant_type")?;
    let grant = Grant::parse(grant_type).ok_or_else(|| OAuthError::unsupported_grant_type(grant_type))?;
    let authenticated = client_auth::authenticate(shared, headers, &params)?;
    let client = &*authenticated.client;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "Grant type '{grant_type}' not allowed for the client."
        )));
    }
    let ip = &end_user_ip(headers, peer, authenticated.method);
    let threshold = shared.config.brute_force_threshold;
    let protected = grant.brute_force_protected() && threshold > 0;
    if protected && shared.store().failures.is_blocked(ip, threshold) {
        return Err(OAuthError::too_many_attempts());
    }
    let proof = validate_proof(shared, headers, uri)?;
    if proof.is_none() && client.require_dpop {
        return Err(OAuthError::invalid_dpop_proof("DPoP proof is required for this client"));
    }
    let request = TokenRequest {
        shared,
        client,
        client_auth: authenticated.method,
        params: &params,
        proof: proof.as_ref(),
        ip,
        headers,
    };
    let result = grants::dispatch(grant, &request).await;
    if protected {
        let mut store = shared.store();
        match &result {
            Ok(_) => store.failures.record_success(ip),
            Err(e) if e.error == "invalid_grant" || e.failed_attempt => store.failures.record_failure(ip, threshold),
            Err(_) => {}
        }
    }
    result
}

fn validate_proof(shared: &Shared, headers: &HeaderMap, uri: &Uri) -> Result<Option<ValidProof>, OAuthError> {
    let Some(proof) = dpop::single_proof(headers).map_err(dpop_error)? else {
        return Ok(None);
    };
    let url = request_url(shared, headers, uri);
    let expected = Expected {
        method: "POST",
        url: &url,
        access_token: None,
        jkt: None,
    };
    shared
        .dpop
        .validate(Realm::Token, proof, &expected)
        .map(Some)
        .map_err(dpop_error)
}
