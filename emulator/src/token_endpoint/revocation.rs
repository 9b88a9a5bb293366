//! `POST /oauth/revoke` (RFC 7009): a client revokes a refresh token it was issued, which, as
//! Auth0 does for rotating tokens, takes the token's whole family (every token rotated from the
//! same first one) with it. Access tokens are self-contained JWTs the emulator does not track:
//! like an unknown token, they get `200` and stay valid until they expire (Auth0's documented
//! answers are `200`, `400` and `401` only; no `unsupported_token_type`).
//!
//! Checks, in order: content type, parameters, client authentication as at the token endpoint
//! (`client_auth`), `token` present. Then `200` with an empty body, whether the token was
//! revoked, unknown, or issued to another client (which is not revoked). `token_type_hint` is
//! optional and ignored (RFC 7009 §2.1 lets the server search every type). A `DPoP` header is
//! not required and not checked: revocation proves possession through client authentication.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::client_auth;
use crate::errors::{OAuthError, no_store};
use crate::form::Params;
use crate::tenant::{AppState, Tenant};

/// Axum handler of `POST /oauth/revoke`.
pub(crate) async fn revoke(State(tenant): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = match process(&tenant, &headers, &body) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    };
    no_store(&mut response);
    response
}

fn process(tenant: &Tenant, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = Params::from_request(headers, body)?;
    let client = client_auth::authenticate(tenant, headers, &params)?.client;
    let token = params.require("token")?;
    tenant.store().refresh_tokens.revoke(token, &client.client_id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;
    use crate::proptest_support as support;

    proptest! {
        #![proptest_config(support::config())]

        /// Any form and `Authorization`: `200`, or an OAuth error, never a panic.
        #[test]
        fn prop_any_revocation_request_is_answered(
            pairs in proptest::collection::vec(
                (prop::sample::select(vec!["client_id", "client_secret", "token", "token_type_hint"]), support::text()),
                0..6,
            ),
            mut headers in support::authorization_headers(),
        ) {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                form.append_pair(name, value);
            }
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            let tenant = support::tenant();
            if let Err(e) = process(&tenant, &headers, form.finish().as_bytes()) {
                prop_assert!(matches!(e.status.as_u16(), 400 | 401), "{}", e.status);
            }
        }
    }
}
