//! `GET`/`POST /userinfo`, a resource server that accepts Bearer tokens and, for DPoP-bound
//! tokens, only `Authorization: DPoP <token>` with a matching proof (RFC 9449 §7). Errors are
//! `401` with a `WWW-Authenticate` challenge (and the same error as a JSON body).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::access_tokens;
use crate::dpop::{self, DPOP_NONCE_HEADER, DpopFailure, Expected};
use crate::tenant::{AppState, Realm, Tenant};

/// How the token was presented.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    DPoP,
}

/// A 401 with its challenge.
struct Unauthorized {
    scheme: Scheme,
    error: Option<&'static str>,
    description: String,
}

impl Unauthorized {
    fn new(scheme: Scheme, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            scheme,
            error: Some(error),
            description: description.into(),
        }
    }

    fn into_response(self) -> Response {
        let mut response = match self.error {
            Some(error) => (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": error, "error_description": self.description })),
            )
                .into_response(),
            None => StatusCode::UNAUTHORIZED.into_response(),
        };
        let headers = response.headers_mut();
        let dpop = match self.error {
            Some(e) if self.scheme == Scheme::DPoP => format!(
                r#"DPoP algs="ES256", error="{e}", error_description="{}""#,
                self.description
            ),
            _ => r#"DPoP algs="ES256""#.to_owned(),
        };
        let bearer = match self.error {
            Some(e) if self.scheme == Scheme::Bearer => {
                format!(r#"Bearer error="{e}", error_description="{}""#, self.description)
            }
            _ => "Bearer".to_owned(),
        };
        for challenge in [bearer, dpop] {
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                headers.append(header::WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}

/// Axum handler of `/userinfo` (GET and POST).
pub(crate) async fn userinfo(State(tenant): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let result = check(&tenant, &method, &uri, &headers);
    let dpop_scheme = matches!(
        &result,
        Ok((Scheme::DPoP, _))
            | Err(Unauthorized {
                scheme: Scheme::DPoP,
                ..
            })
    );
    let mut response = match result {
        Ok((_, claims)) => axum::Json(claims).into_response(),
        Err(e) => e.into_response(),
    };
    crate::errors::no_store(&mut response);
    if dpop_scheme {
        if let Some(nonce) = dpop::current_nonce(&tenant, Realm::Userinfo) {
            if let Ok(v) = HeaderValue::from_str(&nonce) {
                response.headers_mut().insert(DPOP_NONCE_HEADER, v);
            }
        }
    }
    response
}

fn check(tenant: &Tenant, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<(Scheme, Value), Unauthorized> {
    let missing = Unauthorized {
        scheme: Scheme::Bearer,
        error: None,
        description: String::new(),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or(missing)?;
    let (scheme, token) = authorization.split_once(' ').unwrap_or((authorization, ""));
    let token = token.trim();
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::DPoP
    } else {
        return Err(Unauthorized::new(
            Scheme::Bearer,
            "invalid_request",
            "Unsupported authorization scheme",
        ));
    };
    if token.is_empty() {
        return Err(Unauthorized::new(scheme, "invalid_request", "Missing access token"));
    }
    let claims = access_tokens::verify(tenant, token)
        .map_err(|_| Unauthorized::new(scheme, "invalid_token", "The access token is invalid or expired"))?;
    if !access_tokens::audience_contains(&claims, &tenant.userinfo_url()) {
        return Err(Unauthorized::new(
            scheme,
            "invalid_token",
            "The access token audience does not include /userinfo (request openid)",
        ));
    }
    let jkt = claims["cnf"]["jkt"].as_str();
    match (scheme, jkt) {
        (Scheme::Bearer, Some(_)) => {
            return Err(Unauthorized::new(
                Scheme::DPoP,
                "invalid_token",
                "DPoP-bound access token must be sent with the DPoP authorization scheme",
            ));
        }
        (Scheme::DPoP, None) => {
            return Err(Unauthorized::new(
                Scheme::DPoP,
                "invalid_token",
                "The access token is not DPoP-bound; use the Bearer scheme",
            ));
        }
        (Scheme::DPoP, Some(jkt)) => {
            let invalid = |failure: DpopFailure| match failure {
                DpopFailure::InvalidProof(d) => Unauthorized::new(Scheme::DPoP, "invalid_dpop_proof", d),
                DpopFailure::UseNonce(_) => Unauthorized::new(
                    Scheme::DPoP,
                    "use_dpop_nonce",
                    "Resource server requires nonce in DPoP proof",
                ),
            };
            let proof = dpop::single_proof(headers)
                .map_err(invalid)?
                .ok_or_else(|| Unauthorized::new(Scheme::DPoP, "invalid_dpop_proof", "DPoP proof is missing"))?;
            let url = dpop::request_url(tenant, headers, uri);
            let expected = Expected {
                method: method.as_str(),
                url: &url,
                access_token: Some(token),
                jkt: Some(jkt),
            };
            dpop::validate(tenant, Realm::Userinfo, proof, &expected).map_err(invalid)?;
        }
        (Scheme::Bearer, None) => {}
    }
    let scopes: Vec<String> = claims["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let sub = claims["sub"].as_str().unwrap_or_default();
    let user =
        tenant.store().users.get(sub).cloned().ok_or_else(|| {
            Unauthorized::new(scheme, "invalid_token", "The user of the access token no longer exists")
        })?;
    Ok((scheme, Value::Object(user.claims(&scopes))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(support::config())]

        /// Any `Authorization` and `DPoP` headers: a 401 with a challenge, never a panic.
        #[test]
        fn prop_any_authorization_at_userinfo_is_refused_cleanly(
            mut headers in support::authorization_headers(),
            proof in proptest::option::of(support::jws(&["typ", "alg", "jwk", "ath", "htm", "htu", "iat", "jti"])),
        ) {
            if let Some(v) = proof.and_then(|p| HeaderValue::from_str(&p).ok()) {
                headers.insert(crate::dpop::DPOP_HEADER, v);
            }
            let tenant = support::tenant();
            let uri: Uri = "/userinfo".parse().unwrap();
            let Err(refused) = check(&tenant, &Method::GET, &uri, &headers) else {
                return Err(TestCaseError::fail("no token of this tenant can be forged"));
            };
            let response = refused.into_response();
            prop_assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            prop_assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
