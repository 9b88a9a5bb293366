//! Calling your own API (or `/userinfo`) with an access token, DPoP-bound or not.

use std::fmt;

use url::Url;

use crate::claims::UserClaims;
use crate::client::Client;
use crate::config::check_scheme;
use crate::error::{Error, OAuthError, ResponseProblem};
use crate::http::RawResponse;
use crate::secret::{Secret, names_only};
use crate::token_set::TokenSet;
use crate::validate;

/// Responses from your API are read up to this size.
pub const MAX_RESOURCE_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The headers that present an access token: `Authorization` and, for a bound token, `DPoP`.
/// Both values are checked to be valid header values (no CR/LF). `Debug` redacts both.
#[derive(Clone)]
pub struct AuthorizationHeaders {
    /// `DPoP <token>` or `Bearer <token>`.
    pub authorization: Secret,
    /// The DPoP proof for exactly this method and URL (bound tokens only). Single-use.
    pub dpop: Option<String>,
}

/// A request to your API, sent by [`Client::send_authorized`]. `Debug` shows the method, the
/// URL without its query, the header names and the body's size: never header values or the
/// body, which may carry credentials or personal data.
#[derive(Clone)]
pub struct ResourceRequest {
    /// HTTP method, upper case (`GET`, `POST`...).
    pub method: String,
    /// Absolute `https://` URL (`http://` for loopback only), without credentials
    /// (`user:password@` is refused).
    pub url: String,
    /// Extra headers. `Authorization` and `DPoP` are the library's (refused here); every value
    /// must be a valid header value (no CR/LF).
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
}

impl ResourceRequest {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        ResourceRequest {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

/// Your API's response, whatever its status. `Debug` shows the status, the header names and
/// the body's size, never header values or the body.
#[derive(Clone)]
pub struct ResourceResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (names lower-cased; values that are not UTF-8 are left out).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl ResourceResponse {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for AuthorizationHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationHeaders")
            .field("authorization", &self.authorization)
            .field("dpop", &self.dpop.as_ref().map(|_| "<proof>"))
            .finish()
    }
}

impl fmt::Debug for ResourceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.split(['?', '#']).next().unwrap_or_default();
        f.debug_struct("ResourceRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &names_only(&self.headers))
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

impl fmt::Debug for ResourceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceResponse")
            .field("status", &self.status)
            .field("headers", &names_only(&self.headers))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Client {
    /// The headers to present `tokens.access_token` on `method url`, for use with your own
    /// HTTP stack. Fails with [`Error::DpopKeyMismatch`] or [`Error::DpopKeyMissing`] when the
    /// token is bound to a key this client does not hold, and with [`Error::InvalidInput`]
    /// (`access_token`) when the token is not a valid header value (a CR/LF is never handed
    /// out).
    pub fn authorization_headers(
        &self,
        method: &str,
        url: &str,
        tokens: &TokenSet,
    ) -> Result<AuthorizationHeaders, Error> {
        let url = parse_resource_url(url)?;
        check_method(method)?;
        let token = tokens.access_token.expose();
        validate::header_token("access_token", token)?;
        Ok(match self.key_for(tokens)? {
            None => AuthorizationHeaders {
                authorization: Secret::new(format!("Bearer {token}")),
                dpop: None,
            },
            Some(dpop) => AuthorizationHeaders {
                authorization: Secret::new(format!("DPoP {token}")),
                dpop: Some(dpop.proof(method, &url, Some(token))?),
            },
        })
    }

    /// The key that must prove possession of `tokens`: `None` for a bearer token; a typed
    /// error when the token is bound to a key this client does not hold.
    fn key_for(&self, tokens: &TokenSet) -> Result<Option<&crate::Dpop>, Error> {
        if !tokens.is_dpop_bound() {
            return Ok(None);
        }
        let dpop = self.inner.dpop.as_ref().ok_or(Error::DpopKeyMissing)?;
        if let Some(jkt) = &tokens.dpop_jkt {
            dpop.check_binding(jkt)?;
        }
        Ok(Some(dpop))
    }

    /// Sends a request to your API with the access token (and a DPoP proof for a bound token).
    ///
    /// When the API answers `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a
    /// `DPoP-Nonce`, the request is sent once more with a new proof carrying that nonce; if the
    /// API demands a nonce again the result is an [`Error::OAuth`] with `use_dpop_nonce`.
    /// Any other status is returned as a response for you to interpret.
    ///
    /// Invalid input fails with [`Error::InvalidInput`] before anything is sent: an access
    /// token that is not a valid header value (`access_token`, for example one stored with a
    /// trailing newline), a URL with credentials (`url`), a header named `Authorization` or
    /// `DPoP`, or a header name or value that is not valid HTTP (`headers`). The client's
    /// timeout covers signing the proof and the HTTP exchange.
    pub async fn send_authorized(
        &self,
        request: &ResourceRequest,
        tokens: &TokenSet,
    ) -> Result<ResourceResponse, Error> {
        let response = self.send_authorized_raw(request, tokens).await?;
        Ok(ResourceResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }

    /// [`Client::send_authorized`] keeping the client's view of the response.
    async fn send_authorized_raw(&self, request: &ResourceRequest, tokens: &TokenSet) -> Result<RawResponse, Error> {
        let url = parse_resource_url(&request.url)?;
        check_method(&request.method)?;
        let token = tokens.access_token.expose();
        validate::header_token("access_token", token)?;
        for (name, value) in &request.headers {
            if !validate::is_header_name(name) {
                return Err(Error::invalid("headers", "contains an invalid header name"));
            }
            if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("dpop") {
                return Err(Error::invalid(
                    "headers",
                    "`Authorization` and `DPoP` are set by the library from the token set",
                ));
            }
            if !validate::is_header_value(value) {
                return Err(Error::invalid(
                    "headers",
                    "contains an invalid header value (a CR or LF?)",
                ));
            }
        }
        let mut challenge_nonce: Option<String> = None;
        for attempt in 0..2 {
            let deadline = self.inner.http.deadline();
            let mut req = self.request(&request.method, &url);
            req.max_response_bytes = MAX_RESOURCE_RESPONSE_BYTES;
            let theirs = request.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone()));
            req.headers.extend(theirs);
            req = match self.key_for(tokens)? {
                None => req.header("authorization", format!("Bearer {token}")),
                Some(dpop) => {
                    let proof = deadline
                        .bound(dpop.proof_for_request(&request.method, &url, Some(token), challenge_nonce.as_deref()))
                        .await?;
                    req.header("authorization", format!("DPoP {token}"))
                        .header("dpop", proof)
                }
            };
            req.body.clone_from(&request.body);
            let response = self.send(req, deadline).await?;
            let fresh_nonce = self
                .inner
                .dpop
                .as_ref()
                .and_then(|d| d.remember_nonce(&url, response.dpop_nonce()));
            let challenge = www_authenticate_error(&response);
            if response.status == 401
                && challenge.as_ref().is_some_and(|c| c.code == "use_dpop_nonce")
                && tokens.is_dpop_bound()
            {
                if attempt == 0 && fresh_nonce.is_some() {
                    challenge_nonce = fresh_nonce;
                    continue;
                }
                let c = challenge.expect("checked above");
                return Err(OAuthError {
                    status: 401,
                    code: c.code,
                    description: c.description,
                    mfa_token: None,
                    mfa_requirements: None,
                    retry_after: None,
                    dpop_nonce: fresh_nonce,
                }
                .into());
            }
            return Ok(response);
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Calls the tenant's `/userinfo` with the access token and returns the user's claims.
    /// A `401` becomes an [`Error::OAuth`] with the code from `WWW-Authenticate`.
    pub async fn userinfo(&self, tokens: &TokenSet) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let url = self
            .inner
            .base_url
            .join("userinfo")
            .expect("a relative path joins onto an http(s) base");
        let raw = self
            .send_authorized_raw(&ResourceRequest::get(url.as_str()), tokens)
            .await?;
        if raw.is_success() {
            return raw.json_object();
        }
        if let Some(c) = www_authenticate_error(&raw) {
            return Err(OAuthError {
                status: raw.status,
                code: c.code,
                description: c.description,
                mfa_token: None,
                mfa_requirements: None,
                retry_after: raw.retry_after(),
                dpop_nonce: raw.dpop_nonce().map(str::to_owned),
            }
            .into());
        }
        Err(raw.into_error())
    }
}

fn parse_resource_url(url: &str) -> Result<Url, Error> {
    crate::config::check_ascii_host("url", url)?;
    let parsed = Url::parse(url).map_err(|_| Error::invalid("url", "is not an absolute URL"))?;
    check_scheme(&parsed, "url")?;
    if parsed.host().is_none() {
        return Err(Error::invalid("url", "has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // They would end up in the proof's `htu` and in a second `Authorization` header.
        return Err(Error::invalid("url", "must not contain credentials (`user:password@`)"));
    }
    Ok(parsed)
}

fn check_method(method: &str) -> Result<(), Error> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(
            "method",
            "must be an upper-case HTTP method such as GET or POST",
        ));
    }
    Ok(())
}

/// The `error` and `error_description` of a `WWW-Authenticate: DPoP ...` or `Bearer ...`
/// challenge (RFC 6750 §3, RFC 9449 §7.1).
pub(crate) struct Challenge {
    pub code: String,
    pub description: Option<String>,
}

pub(crate) fn www_authenticate_error(response: &RawResponse) -> Option<Challenge> {
    response
        .headers_named("www-authenticate")
        .flat_map(split_challenges)
        .find_map(parse_challenge)
}

/// The challenges of one `WWW-Authenticate` value. RFC 9110 §11.6.1 lets a server (or an HTTP
/// stack folding repeated headers, as `URLSession` does) send several in one value,
/// comma-separated: `Bearer, DPoP algs="ES256", error="use_dpop_nonce"`. A comma-separated
/// element outside quotes starts a new challenge when it begins with a scheme (a token not
/// followed by `=`); otherwise it is one more parameter of the current challenge.
fn split_challenges(value: &str) -> Vec<&str> {
    let mut elements = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                elements.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    elements.push((start, value.len()));
    let starts_challenge = |element: &str| {
        let element = element.trim_start();
        let token_end = element.find([' ', '\t', '=']).unwrap_or(element.len());
        token_end > 0 && !element[token_end..].trim_start().starts_with('=')
    };
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (from, to) in elements {
        match found.last_mut() {
            Some(last) if !starts_challenge(&value[from..to]) => last.1 = to,
            _ => found.push((from, to)),
        }
    }
    found.into_iter().map(|(from, to)| value[from..to].trim()).collect()
}

fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, params) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("DPoP") && !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    let mut code = None;
    let mut description = None;
    let mut rest = params;
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (val, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        match key {
            "error" => code = Some(val.to_owned()),
            "error_description" => description = Some(val.to_owned()),
            _ => {}
        }
        rest = remaining;
    }
    Some(Challenge {
        code: code?,
        description,
    })
}

impl Client {
    /// Calls `/userinfo` with the access token and returns the user's claims, typed.
    ///
    /// When `tokens` carries validated ID token claims, the `sub` of the response must be
    /// theirs (OpenID Connect Core §5.3.4); otherwise the response is refused as an
    /// [`Error::UnexpectedResponse`] naming `sub`.
    pub async fn userinfo_claims(&self, tokens: &TokenSet) -> Result<UserClaims, Error> {
        let map = self.userinfo(tokens).await?;
        let refused = || Error::UnexpectedResponse {
            status: 200,
            problem: ResponseProblem::InvalidField("sub"),
            retry_after: None,
        };
        let claims = UserClaims::from_map(map).ok_or_else(refused)?;
        match &tokens.id_token_claims {
            Some(id) if id.sub != claims.sub => Err(refused()),
            _ => Ok(claims),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_urls_need_an_ascii_host() {
        let err = parse_resource_url("https://bücher.example/v1/items").unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: "url", .. }) && err.to_string().contains("Punycode"),
            "{err:?}"
        );
        let ok = parse_resource_url("https://xn--bcher-kva.example/v1/ä?q=ü").unwrap();
        assert_eq!(ok.as_str(), "https://xn--bcher-kva.example/v1/%C3%A4?q=%C3%BC");
    }

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
        )
        .unwrap();
        assert_eq!(c.code, "use_dpop_nonce");
        assert_eq!(
            c.description.as_deref(),
            Some("Resource server requires nonce in DPoP proof")
        );
        let c = parse_challenge(r#"DPoP algs="ES256 PS256", error=invalid_dpop_proof"#).unwrap();
        assert_eq!(c.code, "invalid_dpop_proof");
        assert!(parse_challenge(r#"Basic realm="x""#).is_none());
        // Two challenges folded into one value (URLSession joins repeated headers).
        let folded = r#"Bearer, DPoP algs="ES256", error="use_dpop_nonce", error_description="a, b""#;
        assert_eq!(
            split_challenges(folded),
            vec![
                "Bearer",
                r#"DPoP algs="ES256", error="use_dpop_nonce", error_description="a, b""#
            ]
        );
        let c = split_challenges(folded).into_iter().find_map(parse_challenge).unwrap();
        assert_eq!(c.code, "use_dpop_nonce");
        assert_eq!(c.description.as_deref(), Some("a, b"));
        assert_eq!(
            split_challenges(r#"Basic realm = "x", Negotiate abc==, DPoP error=e"#),
            vec![r#"Basic realm = "x""#, "Negotiate abc==", "DPoP error=e"]
        );
        assert!(parse_challenge(r#"DPoP algs="ES256""#).is_none());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::server_input::{config, www_authenticate};

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn prop_www_authenticate_never_panics(values in proptest::collection::vec(www_authenticate(), 0..3)) {
                let response = RawResponse {
                    status: 401,
                    headers: values.iter().map(|v| ("www-authenticate".to_owned(), v.clone())).collect(),
                    body: Vec::new(),
                };
                if let Some(c) = www_authenticate_error(&response) {
                    prop_assert!(values.iter().any(|v| v.contains(&c.code)), "{:?} from {values:?}", c.code);
                }
            }

            #[test]
            fn prop_well_formed_challenges_are_read(
                scheme in prop_oneof![Just("DPoP"), Just("Bearer")],
                code in "[!#-~&&[^\\\\]]{1,20}",
                description in "[ !#-~&&[^\\\\]]{0,40}",
                algs in proptest::option::of("[A-Z0-9 ]{1,20}"),
            ) {
                let algs = algs.map(|a| format!("algs=\"{a}\", ")).unwrap_or_default();
                let value = format!(r#"{scheme} {algs}error="{code}", error_description="{description}""#);
                let c = parse_challenge(&value).expect("a challenge with an error");
                prop_assert_eq!(&c.code, &code);
                prop_assert_eq!(c.description.as_deref(), Some(description.as_str()));
            }
        }
    }
}
