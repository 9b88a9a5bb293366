//! The `application/x-www-form-urlencoded` parameters of a token (or revocation) request.
//! Empty values count as absent (RFC 6749 §3.2); a repeated parameter is an error.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use crate::errors::OAuthError;

/// The form parameters of a token request; empty values count as absent (RFC 6749 §3.2).
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// The parameters of a request body, which must be `application/x-www-form-urlencoded`.
    pub(crate) fn from_request(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
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
        Self::parse(body)
    }

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::proptest_support::config())]

        #[test]
        fn prop_any_form_body_parses_or_is_invalid_request(body in any::<Vec<u8>>()) {
            if let Err(e) = Params::parse(&body) {
                prop_assert_eq!(e.error, "invalid_request");
            }
        }

        #[test]
        fn prop_form_parameters_round_trip(params in proptest::collection::btree_map("\\PC{1,12}", "\\PC{1,24}", 0..8)) {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &params {
                form.append_pair(name, value);
            }
            let parsed = Params::parse(form.finish().as_bytes()).unwrap();
            let back: BTreeMap<String, String> = parsed.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            prop_assert_eq!(back, params);
        }
    }

    #[test]
    fn empty_values_are_absent_and_repeats_are_refused() {
        let p = Params::parse(b"a=1&b=&c=%20").unwrap();
        assert_eq!((p.get("a"), p.get("b"), p.get("c")), (Some("1"), None, Some(" ")));
        assert_eq!(p.require("b").unwrap_err().description, "Missing required parameter: b");
        let e = Params::parse(b"a=1&a=2").unwrap_err();
        assert_eq!(e.description, "Parameter a must not be repeated");
    }
}
