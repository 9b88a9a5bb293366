//! Access tokens (and ID tokens) this tenant issued, presented back to it: at `/userinfo`, to
//! the Management API, to the control API, as the subject token of a Token Vault exchange and
//! as the actor token of a Custom Token Exchange. One check for all of them: signed by one of
//! the tenant's keys, issued by it, not expired on its clock.

use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::tenant::Tenant;

/// Why a presented token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`.
    Malformed,
    /// Not a token of this tenant (signature, `iss`), or DPoP-bound where a bearer token is
    /// needed.
    Invalid,
    /// For another audience.
    WrongAudience,
    /// Expired on the tenant's clock.
    Expired,
}

/// The claims of a token signed by one of the tenant's keys with the tenant's `iss`, checking
/// `exp` on the tenant's clock.
pub(crate) fn verify(tenant: &Tenant, token: &str) -> Result<Value, TokenProblem> {
    let claims = tenant.signer.verify(token).ok_or(TokenProblem::Invalid)?;
    if claims.get("iss").and_then(Value::as_str) != Some(tenant.issuer().as_str()) {
        return Err(TokenProblem::Invalid);
    }
    let exp = claims.get("exp").and_then(Value::as_u64).ok_or(TokenProblem::Invalid)?;
    if exp <= tenant.now_secs() {
        return Err(TokenProblem::Expired);
    }
    Ok(claims)
}

/// Whether the `aud` claim (a string or an array of strings) contains `audience`.
pub(crate) fn audience_contains(claims: &Value, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, one space).
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, TokenProblem> {
    let value = headers.get(header::AUTHORIZATION).ok_or(TokenProblem::Missing)?;
    let value = value.to_str().map_err(|_| TokenProblem::Malformed)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(TokenProblem::Malformed),
    }
}

/// The claims of the request's management token: a bearer (not DPoP-bound) access token of
/// this tenant for its Management API (`{base_url}/api/v2/`), unexpired. Scopes are the
/// caller's business.
pub(crate) fn management_token(tenant: &Tenant, headers: &HeaderMap) -> Result<Value, TokenProblem> {
    let token = bearer(headers)?;
    let claims = tenant.signer.verify(token).ok_or(TokenProblem::Invalid)?;
    if claims.get("iss").and_then(Value::as_str) != Some(tenant.issuer().as_str()) || claims.get("cnf").is_some() {
        return Err(TokenProblem::Invalid);
    }
    if !audience_contains(&claims, &tenant.management_api()) {
        return Err(TokenProblem::WrongAudience);
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp <= tenant.now_secs() {
        return Err(TokenProblem::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::proptest_support::config())]

        #[test]
        fn prop_any_authorization_yields_a_bearer_token_or_a_problem(
            headers in crate::proptest_support::authorization_headers(),
        ) {
            if let Ok(token) = bearer(&headers) {
                proptest::prop_assert!(!token.is_empty() && token.trim() == token);
            }
        }
    }

    #[test]
    fn audience_may_be_a_string_or_a_list() {
        let api = "https://api";
        assert!(audience_contains(&json!({"aud": api}), api));
        assert!(audience_contains(&json!({"aud": ["x", api]}), api));
        assert!(!audience_contains(&json!({"aud": ["x"]}), api));
        assert!(!audience_contains(&json!({"aud": 1}), api));
        assert!(!audience_contains(&json!({}), api));
    }
}
