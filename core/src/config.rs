//! Client configuration as plain data: defaults, the telemetry header, the unbound-token
//! policy, and the base URL rules. The builder that uses them lives with the client.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::error::Error;

/// Default time allowed to establish a connection (TCP + TLS) by the built-in transport.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, from connecting to the last byte of the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on the size of a response body read from the server.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// What to do when DPoP was used but the server issued a `Bearer` token anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnboundTokenPolicy {
    /// Fail with [`Error::TokenNotBound`] (default): a silent downgrade hides a
    /// misconfigured application.
    #[default]
    Reject,
    /// Accept the bearer token; [`crate::TokenSet::is_dpop_bound`] tells it apart.
    Accept,
}

/// The `Auth0-Client` telemetry header: which SDK and version made the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telemetry {
    /// SDK name, for example `token-exchange-swift`.
    pub name: String,
    /// SDK version.
    pub version: String,
    /// Environment facts (platform, language version...).
    pub env: BTreeMap<String, String>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            name: "token-exchange-rust".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            env: BTreeMap::from([
                ("os".into(), std::env::consts::OS.into()),
                ("arch".into(), std::env::consts::ARCH.into()),
            ]),
        }
    }
}

impl Telemetry {
    /// The header value: base64url (no padding) of `{"name","version","env"}`.
    pub fn header_value(&self) -> String {
        let json = serde_json::json!({ "name": self.name, "version": self.version, "env": self.env });
        URL_SAFE_NO_PAD.encode(json.to_string())
    }
}

/// Turns a tenant domain (`tenant.us.auth0.com`) or a full base URL into the base URL all
/// endpoints are resolved against (always ending in `/`).
///
/// HTTPS only; `http://` is accepted for loopback hosts so tests and the emulator work.
pub(crate) fn parse_base_url(input: &str) -> Result<Url, Error> {
    const FIELD: &str = "domain";
    if input.is_empty() {
        return Err(Error::invalid(FIELD, "is empty"));
    }
    if input.trim() != input {
        return Err(Error::invalid(FIELD, "has surrounding whitespace"));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(FIELD, "contains whitespace or control characters"));
    }
    let with_scheme = input.contains("://");
    if !with_scheme && input.contains(['/', '?', '#', '@']) {
        return Err(Error::invalid(
            FIELD,
            "must be a host name like `tenant.us.auth0.com` or a full URL like `https://login.example.com`",
        ));
    }
    check_ascii_host(FIELD, input)?;
    let candidate = if with_scheme {
        input.to_owned()
    } else {
        format!("https://{input}/")
    };
    let mut url = Url::parse(&candidate).map_err(|e| Error::invalid(FIELD, format!("is not a valid URL ({e})")))?;
    if url.host().is_none() {
        return Err(Error::invalid(FIELD, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(FIELD, "must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(FIELD, "must not have a query or fragment"));
    }
    check_scheme(&url, FIELD)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Host names must be ASCII; an internationalized domain name is given in its Punycode form
/// (`xn--…`), as DNS and TLS certificates carry it.
///
/// Checked before parsing so that the answer does not depend on the IDNA back end of the build:
/// the shipped libraries pin `idna_adapter` to its table-free version (bindings/Cargo.toml),
/// which would otherwise reject such hosts with a less helpful error, while a Rust application
/// on the default back end would accept them.
pub(crate) fn check_ascii_host(field: &'static str, input: &str) -> Result<(), Error> {
    let after_scheme = input.split_once("://").map_or(input, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_ascii() {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "has a non-ASCII host name: give an internationalized domain name in its Punycode form (`xn--…`)",
        ))
    }
}

/// HTTPS everywhere, plain HTTP only to a loopback host.
pub(crate) fn check_scheme(url: &Url, field: &'static str) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::invalid(
            field,
            "must use https (plain http is only allowed for loopback hosts such as 127.0.0.1 or localhost)",
        )),
        other => Err(Error::invalid(field, format!("has unsupported scheme `{other}`"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_base_urls() {
        for (domain, base_url) in [
            ("tenant.us.auth0.com", "https://tenant.us.auth0.com/"),
            ("https://login.example.com", "https://login.example.com/"),
            ("https://example.com/auth", "https://example.com/auth/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://localhost:1", "http://localhost:1/"),
            ("http://[::1]:1", "http://[::1]:1/"),
            ("HTTPS://Tenant.US.Auth0.COM", "https://tenant.us.auth0.com/"),
            // An internationalized domain in its Punycode form.
            ("xn--mnchen-3ya.example", "https://xn--mnchen-3ya.example/"),
            // Non-ASCII outside the host is the URL parser's business (percent-encoded).
            ("https://login.example.com/ä", "https://login.example.com/%C3%A4/"),
        ] {
            assert_eq!(parse_base_url(domain).unwrap().as_str(), base_url, "{domain}");
        }
    }

    #[test]
    fn bad_domains_name_the_field() {
        for bad in [
            "",
            " tenant.auth0.com",
            "tenant.auth0.com\n",
            "http://tenant.auth0.com",
            "ftp://tenant.auth0.com",
            "tenant.auth0.com/path",
            "https://user:pw@tenant.auth0.com",
            "https://tenant.auth0.com/?x=1",
            "https://",
            "ten ant.com",
            "münchen.example",
            "https://bücher.example/auth",
        ] {
            match parse_base_url(bad) {
                Err(Error::InvalidInput { field: "domain", .. }) => {}
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn internationalized_domains_are_given_in_punycode() {
        let err = parse_base_url("tenant.münchen.example").unwrap_err();
        assert!(err.to_string().contains("Punycode"), "{err}");
    }

    #[test]
    fn telemetry_header_is_base64url_json() {
        let t = Telemetry::default();
        let decoded = URL_SAFE_NO_PAD.decode(t.header_value()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(v["name"], "token-exchange-rust");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["env"].is_object());
    }
}
