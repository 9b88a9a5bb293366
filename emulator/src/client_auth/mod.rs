//! Client authentication at the token endpoint: who is calling, and did they prove it.
//!
//! Supported methods (Auth0's `token_endpoint_auth_method` values):
//!
//! * `none`: a public client (`app_type` `native` / `spa`, no `client_secret`) sends only
//!   `client_id`;
//! * `client_secret_post`: `client_id` and `client_secret` in the form body;
//! * `client_secret_basic`: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`
//!   (RFC 6749 §2.3.1); the body may repeat the same `client_id`;
//! * `private_key_jwt`: `client_assertion_type` = `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
//!   and an RS256 `client_assertion` signed with a key registered for the client
//!   (verified in [`assertion`]); `client_id` optional (else the assertion's `sub`).
//!
//! A client that has a `client_secret` or `private_key_jwt` credentials must authenticate.
//! Failures answer like Auth0:
//!
//! | condition | status | `error` |
//! | --- | --- | --- |
//! | no `client_id` (body or Basic) | 400 | `invalid_request` |
//! | more than one method in one request, or Basic and body name different clients | 400 | `invalid_request` |
//! | malformed `Authorization: Basic` | 400 | `invalid_request` |
//! | unknown client | 401 | `invalid_client` |
//! | confidential client without credentials | 401 | `invalid_client` |
//! | wrong secret, or a secret sent for a public client | 401 | `access_denied` (`Unauthorized`) |
//! | `client_assertion` without `client_assertion_type` (or another type), or the reverse | 400 | `invalid_request` |
//! | invalid client assertion (signature, `iss`/`sub`, `aud`, `exp`, replayed `jti`, ...) | 401 | `invalid_client` |
//!
//! Secrets never appear in error descriptions.

mod assertion;

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::config::{ClientConfig, EmulatorConfig};
use crate::errors::{EmulatorError, OAuthError};
use crate::form::Params;
use crate::tenant::Tenant;

/// Checks every client's registered `private_key_jwt` keys.
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    for client in &config.clients {
        for key in &client.private_key_jwt_credentials {
            key.public_key().map_err(|e| {
                EmulatorError::InvalidConfig(format!(
                    "private_key_jwt credential of client {}: {e}",
                    client.client_id
                ))
            })?;
        }
    }
    Ok(())
}

/// How the client authenticated (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    /// A public client: `client_id` only.
    None,
    /// `client_secret` in the form body.
    ClientSecretPost,
    /// HTTP Basic.
    ClientSecretBasic,
    /// A JWT client assertion signed with the client's private key.
    PrivateKeyJwt,
}

/// The client a token request comes from, after authentication.
#[derive(Debug, Clone)]
pub(crate) struct AuthenticatedClient {
    /// The client's registration (a snapshot: Management API changes apply to later requests).
    pub(crate) client: Arc<ClientConfig>,
    /// The method it used.
    pub(crate) method: AuthMethod,
}

/// The credentials a request carries, before they are checked.
enum Presented {
    None,
    Post(String),
    Basic(String),
    Assertion(String),
}

/// Identifies and authenticates the client of a token request.
pub(crate) fn authenticate(
    tenant: &Tenant,
    headers: &HeaderMap,
    params: &Params,
) -> Result<AuthenticatedClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    let assertion = client_assertion(params)?;
    let (client_id, presented) = match (assertion, basic) {
        (Some(assertion), basic) => {
            if body_secret.is_some() || basic.is_some() {
                return Err(OAuthError::invalid_request(
                    "Use only one client authentication method per request",
                ));
            }
            let id = match body_id {
                Some(id) => id.to_owned(),
                None => assertion::unverified_subject(assertion).ok_or_else(|| OAuthError::missing("client_id"))?,
            };
            (id, Presented::Assertion(assertion.to_owned()))
        }
        (None, Some((id, secret))) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "Use only one client authentication method per request",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body does not match the Authorization header",
                ));
            }
            (id, Presented::Basic(secret))
        }
        (None, None) => {
            let id = params.require("client_id")?.to_owned();
            match body_secret {
                Some(secret) => (id, Presented::Post(secret.to_owned())),
                None => (id, Presented::None),
            }
        }
    };
    let client = tenant
        .client(&client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("Unknown client: {client_id}")))?;
    let method = match (&presented, client.client_secret.as_deref()) {
        (Presented::Assertion(assertion), _) => {
            assertion::verify(tenant, headers, &client, assertion)?;
            AuthMethod::PrivateKeyJwt
        }
        (Presented::None, None) if client.private_key_jwt_credentials.is_empty() => AuthMethod::None,
        (Presented::None, _) => {
            return Err(OAuthError::invalid_client(
                "Client authentication is required for this client",
            ));
        }
        (Presented::Post(_) | Presented::Basic(_), None) => return Err(unauthorized()),
        (Presented::Post(given), Some(expected)) => {
            check_secret(given, expected)?;
            AuthMethod::ClientSecretPost
        }
        (Presented::Basic(given), Some(expected)) => {
            check_secret(given, expected)?;
            AuthMethod::ClientSecretBasic
        }
    };
    Ok(AuthenticatedClient { client, method })
}

/// The `client_assertion`, when the request has one with the JWT bearer assertion type.
fn client_assertion(params: &Params) -> Result<Option<&str>, OAuthError> {
    match (params.get("client_assertion_type"), params.get("client_assertion")) {
        (None, None) => Ok(None),
        (Some(assertion::JWT_BEARER_ASSERTION_TYPE), Some(assertion)) => Ok(Some(assertion)),
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(format!(
            "client_assertion_type must be {}",
            assertion::JWT_BEARER_ASSERTION_TYPE
        ))),
        (None, Some(_)) => Err(OAuthError::missing("client_assertion_type")),
        (Some(_), None) => Err(OAuthError::missing("client_assertion")),
    }
}

/// Auth0's answer to a wrong client secret: `401 access_denied` / `Unauthorized`.
fn unauthorized() -> OAuthError {
    OAuthError::new(axum::http::StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
}

/// Checks a client secret (in constant time).
fn check_secret(given: &str, expected: &str) -> Result<(), OAuthError> {
    if crate::util::secrets_equal(given, expected) {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

/// `(client_id, client_secret)` from `Authorization: Basic`, `None` without such a header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bad = || OAuthError::invalid_request("Malformed Authorization header");
    if values.next().is_some() {
        return Err(bad());
    }
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request(
            "Only the Basic scheme is accepted in the Authorization header of the token endpoint",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(Some((id, secret)))
}

/// Decodes `application/x-www-form-urlencoded` text (`%XX` and `+`), as RFC 6749 §2.3.1
/// requires for the Basic credentials. `None` on a malformed escape or invalid UTF-8.
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                // from_str_radix alone would take "+1" for 0x01.
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("plain").as_deref(), Some("plain"));
        assert!(form_decode("bad%4").is_none());
        assert!(form_decode("bad%zz").is_none());
        assert!(form_decode("%+1").is_none(), "not a hex escape");
    }

    #[test]
    fn basic_header_parsing() {
        let mut h = HeaderMap::new();
        assert!(basic_credentials(&h).unwrap().is_none());
        let v = STANDARD.encode("my%20app:s%3Acret");
        h.insert(header::AUTHORIZATION, format!("Basic {v}").parse().unwrap());
        assert_eq!(
            basic_credentials(&h).unwrap(),
            Some(("my app".to_owned(), "s:cret".to_owned()))
        );
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_support::config())]

        #[test]
        fn prop_any_authorization_header_is_parsed_or_refused(
            headers in crate::proptest_support::authorization_headers(),
        ) {
            let _ = basic_credentials(&headers);
        }

        #[test]
        fn prop_basic_credentials_round_trip(id in "\\PC{1,24}", secret in "\\PC{0,40}") {
            let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let value = format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(&id), encode(&secret))));
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            proptest::prop_assert_eq!(basic_credentials(&headers).unwrap(), Some((id, secret)));
        }

        #[test]
        fn prop_form_decoding_never_panics(text in crate::proptest_support::text()) {
            let _ = form_decode(&text);
        }
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(check_secret("abc", "abc").is_ok());
        let e = check_secret("abd", "abc").unwrap_err();
        assert_eq!((e.status.as_u16(), e.error), (401, "access_denied"));
        assert!(check_secret("", "abc").is_err());
    }
}
