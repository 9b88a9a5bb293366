//! Form parameters that more than one token exchange flow sends, with their one set of rules:
//! `scope`, `audience`/`resource`, extra parameters, and the end user's IP address.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::error::Error;
use crate::validate;

/// Scope sent when the request names none: the official iOS SDK's default.
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";

/// The form parameters of a request, in the order sent, each value borrowed from the request
/// it was validated from (or built for it): nothing is copied until the body is encoded.
pub(crate) type Form<'a> = Vec<(&'static str, Cow<'a, str>)>;

/// Which `scope` a token exchange sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ScopeRequest {
    /// [`DEFAULT_SCOPE`].
    #[default]
    Default,
    /// The caller's scopes (with `openid` added).
    Custom(String),
    /// No `scope` parameter: Auth0 then issues every scope the audience defines.
    Omitted,
}

impl ScopeRequest {
    /// Adds the `scope` parameter, if any, after validating it.
    pub(crate) fn push<'a>(&'a self, form: &mut Form<'a>) -> Result<(), Error> {
        let scope = match self {
            // Already what `scope_with_openid` makes of it (a test checks).
            ScopeRequest::Default => Cow::Borrowed(DEFAULT_SCOPE),
            ScopeRequest::Custom(scope) => Cow::Owned(validate::scope_with_openid(scope)?),
            ScopeRequest::Omitted => return Ok(()),
        };
        form.push(("scope", scope));
        Ok(())
    }
}

/// `audience` or `resource`, never both.
pub(crate) fn push_target<'a>(
    form: &mut Form<'a>,
    audience: Option<&'a str>,
    resource: Option<&'a str>,
) -> Result<(), Error> {
    match (audience, resource) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "resource",
            "audience and resource are mutually exclusive: set one",
        )),
        (Some(a), None) => {
            validate::identifier("audience", a)?;
            form.push(("audience", Cow::Borrowed(a)));
            Ok(())
        }
        (None, Some(r)) => {
            validate::absolute_uri("resource", r)?;
            form.push(("resource", Cow::Borrowed(r)));
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

/// Parameters an extra parameter may never set: they carry a request's security meaning.
pub(crate) const RESERVED_PARAMETERS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
    "audience",
    "resource",
    "scope",
    "organization",
];

/// The one rule for the extra parameters of every flow (Custom Token Exchange, Token Vault):
/// a name is non-empty without whitespace, appears once, is neither a security parameter
/// ([`RESERVED_PARAMETERS`], any case) nor a parameter the request already sends (`form`); a
/// value has no control characters other than line breaks and tabs.
pub(crate) fn extra_parameters(extra: &[(String, String)], form: &Form<'_>) -> Result<(), Error> {
    const FIELD: &str = "extra_parameters";
    let mut seen = Vec::new();
    for (name, value) in extra {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(FIELD, "a parameter name is empty or has whitespace"));
        }
        let reserved = RESERVED_PARAMETERS.iter().any(|r| r.eq_ignore_ascii_case(name))
            || form.iter().any(|(sent, _)| sent.eq_ignore_ascii_case(name));
        if reserved {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "`{name}` is a security parameter or one the request sets, and cannot be set as an extra parameter"
                ),
            ));
        }
        if seen.contains(&name) {
            return Err(Error::invalid(FIELD, format!("`{name}` is given twice")));
        }
        seen.push(name);
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(Error::invalid(
                FIELD,
                format!("the value of `{name}` has control characters"),
            ));
        }
    }
    Ok(())
}

/// The end user's IP address (`auth0-forwarded-for`) given as text, as the foreign bindings
/// receive it: an IPv4 or IPv6 address, or [`Error::InvalidInput`] naming `forwarded_for`.
pub fn parse_forwarded_for(value: &str) -> Result<IpAddr, Error> {
    value
        .parse()
        .map_err(|_| Error::invalid("forwarded_for", "is not an IPv4 or IPv6 address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn one_rule_for_extra_parameters() {
        let form: Form<'_> = vec![("connection", "google-oauth2".into())];
        assert!(extra_parameters(&extra(&[("device_id", "d-1"), ("note", "a\nb")]), &form).is_ok());
        for bad in [
            extra(&[("", "v")]),
            extra(&[("a b", "v")]),
            extra(&[("Audience", "v")]),
            extra(&[("CONNECTION", "v")]),
            extra(&[("a", "1"), ("a", "2")]),
            extra(&[("a", "\u{0}")]),
        ] {
            assert!(
                matches!(
                    extra_parameters(&bad, &form),
                    Err(Error::InvalidInput {
                        field: "extra_parameters",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_default_scope_is_sent_as_validation_would_make_it() {
        assert_eq!(validate::scope_with_openid(DEFAULT_SCOPE).unwrap(), DEFAULT_SCOPE);
    }

    #[test]
    fn forwarded_for_is_an_ip_address() {
        assert_eq!(parse_forwarded_for("203.0.113.7").unwrap().to_string(), "203.0.113.7");
        assert!(parse_forwarded_for("::1").is_ok());
        assert!(matches!(
            parse_forwarded_for("not-an-ip"),
            Err(Error::InvalidInput {
                field: "forwarded_for",
                ..
            })
        ));
    }
}
