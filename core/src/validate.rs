//! Input checks run before any network I/O. Each failure names the field and never echoes the
//! value (it may be a secret).

use crate::error::Error;

/// Client ids are opaque printable ASCII without spaces (Auth0's are 32 alphanumerics).
pub(crate) fn client_id(value: &str) -> Result<(), Error> {
    const FIELD: &str = "client_id";
    if value.is_empty() {
        return Err(Error::invalid(FIELD, "is empty"));
    }
    if value.len() > 256 {
        return Err(Error::invalid(FIELD, "is longer than 256 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            FIELD,
            "must be printable ASCII without spaces (copy it from the application settings)",
        ));
    }
    Ok(())
}

/// A token passed as a form value: present, unpadded, without an `Authorization` scheme.
pub(crate) fn token(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if value.trim() != value {
        return Err(Error::invalid(field, "has surrounding whitespace"));
    }
    let lower = value.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("bearer ") || value.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("dpop ")) {
        return Err(Error::invalid(
            field,
            "starts with an authorization scheme (`Bearer `/`DPoP `): pass the bare token",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A token presented in a header (`Authorization: DPoP <token>`): visible ASCII without spaces,
/// as RFC 6750's `b64token` and every real token are. A CR, LF or any other control character
/// would corrupt the request (or, handed to the app's own HTTP stack, split its headers).
pub(crate) fn header_token(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            field,
            "must be visible ASCII without spaces or line breaks (was it stored with a trailing newline?)",
        ));
    }
    Ok(())
}

/// A header name: an RFC 9110 §5.1 `token` (`1*tchar`), at most 65,535 bytes (the most the
/// `http` crate, which reqwest uses, accepts).
pub(crate) fn is_header_name(name: &str) -> bool {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    !name.is_empty() && name.len() <= 65_535 && name.bytes().all(tchar)
}

/// A header value as RFC 9110 §5.5 allows it on the wire: no control character but tab (so no
/// CR or LF that would split the request's headers). The `http` crate's rule, byte for byte.
pub(crate) fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR` (`%x21 / %x23-5B / %x5D-7E`).
pub(crate) fn is_nonce(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// An absolute URI such as `http://auth0.com/oauth/token-type/apple-authz-code` or `urn:...`.
pub(crate) fn absolute_uri(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if value.trim() != value || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(field, "must not contain whitespace"));
    }
    match url::Url::parse(value) {
        Ok(u) if !u.scheme().is_empty() => Ok(()),
        _ => Err(Error::invalid(
            field,
            "must be an absolute URI (for example `urn:example:token` or `https://example.com/token`)",
        )),
    }
}

/// A plain identifier such as an audience, connection or organization.
pub(crate) fn identifier(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if value.trim() != value {
        return Err(Error::invalid(field, "has surrounding whitespace"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, space separated.
pub(crate) fn scope_token(value: &str) -> Result<(), Error> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
    {
        return Err(Error::invalid(
            "scope",
            "contains a character not allowed in a scope (RFC 6749 §3.3)",
        ));
    }
    Ok(())
}

/// Builds the scope to send: the requested scopes, de-duplicated, with `openid` first.
pub(crate) fn scope_with_openid(requested: &str) -> Result<String, Error> {
    let mut scopes = vec!["openid"];
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        scope_token(s)?;
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    Ok(scopes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(token("subject_token", "abc.def").is_ok());
        for bad in ["", " abc", "abc\n", "Bearer abc", "bearer abc", "DPoP abc", "a\u{0}b"] {
            assert!(
                matches!(
                    token("subject_token", bad),
                    Err(Error::InvalidInput {
                        field: "subject_token",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn header_tokens() {
        assert!(header_token("access_token", "eyJ.abc-_~+/=").is_ok());
        for bad in ["", "abc\n", "abc\r\nX-Injected: 1", "a b", "\tabc", "é", "a\u{7f}"] {
            assert!(
                matches!(
                    header_token("access_token", bad),
                    Err(Error::InvalidInput {
                        field: "access_token",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn token_errors_never_echo_the_value() {
        let e = token("subject_token", "Bearer super-secret-code").unwrap_err();
        assert!(!e.to_string().contains("super-secret-code"));
        assert!(!format!("{e:?}").contains("super-secret-code"));
    }

    #[test]
    fn uris() {
        assert!(absolute_uri("t", "http://auth0.com/oauth/token-type/apple-authz-code").is_ok());
        assert!(absolute_uri("t", "urn:acme:google-id-token").is_ok());
        for bad in ["", "apple", "/relative/path", " urn:x", "urn:x y"] {
            assert!(absolute_uri("t", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_always_include_openid_once() {
        assert_eq!(scope_with_openid("profile email").unwrap(), "openid profile email");
        assert_eq!(scope_with_openid("email openid  email").unwrap(), "openid email");
        assert_eq!(scope_with_openid("").unwrap(), "openid");
        assert!(scope_with_openid("read\"x").is_err());
    }

    #[test]
    fn client_ids() {
        assert!(client_id("native-app").is_ok());
        for bad in ["", "a b", "é", "abc\t"] {
            assert!(client_id(bad).is_err(), "{bad:?}");
        }
    }
}
