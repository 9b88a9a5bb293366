//! Custom Token Exchange requests (any subject token, validated by the Action of the token
//! exchange profile whose `subject_token_type` matches): native Google sign-in goes this way.

use std::collections::HashMap;
use std::fmt;

use crate::error::TokenExchangeError;
use crate::native_social::ScopeChoice;

/// Delegation: the party acting on the user's behalf (RFC 8693 `actor_token`). Auth0 issues no
/// refresh token when an actor is present. The token is a secret: the description is redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct ActorToken {
    /// The actor's token.
    pub token: String,
    /// Its type, an absolute URI (`urn:ietf:params:oauth:token-type:access_token`...).
    pub token_type: String,
}

/// A Custom Token Exchange: a subject token of your own type, sent to the token exchange
/// profile whose `subject_token_type` matches (its Action validates the token and sets the
/// user). The subject token is a secret: the description is redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct CustomTokenExchange {
    /// The token to trade (a Google ID token, a legacy session token...).
    pub subject_token: String,
    /// The `subject_token_type` of your token exchange profile: an absolute URI outside the
    /// namespaces Auth0 and Okta reserve (`auth0.com`, `okta.com`, `urn:ietf:`, `urn:auth0:`,
    /// `urn:okta:`), e.g. `https://myapp.example.com/google-id-token`.
    pub subject_token_type: String,
    /// The API to get an access token for.
    #[uniffi(default = None)]
    pub audience: Option<String>,
    /// Space-separated scopes (default `openid profile email offline_access`; `openid` is
    /// always added).
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// Send no `scope` at all, so that Auth0 issues every scope of the audience (before your
    /// Actions adjust the target scopes). Exclusive with `scope`.
    #[uniffi(default = false)]
    pub omit_scope: bool,
    /// The organization (id or name) to log the user in to.
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// The party acting on the user's behalf.
    #[uniffi(default = None)]
    pub actor: Option<ActorToken>,
    /// Extra form parameters for your Action (`event.request.body`). Security parameters
    /// (`grant_type`, client credentials, subject/actor fields, `requested_token_type`,
    /// `audience`, `resource`, `scope`, `organization`) are refused with `InvalidInput`.
    #[uniffi(default)]
    pub extra_parameters: HashMap<String, String>,
    /// The end user's IP address, when a server makes the request on their behalf
    /// (`auth0-forwarded-for`).
    #[uniffi(default = None)]
    pub forwarded_for: Option<String>,
}

impl CustomTokenExchange {
    /// A request with nothing but the subject token and its type.
    pub fn new(subject_token: impl Into<String>, subject_token_type: impl Into<String>) -> Self {
        CustomTokenExchange {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            audience: None,
            scope: None,
            omit_scope: false,
            organization: None,
            actor: None,
            extra_parameters: HashMap::new(),
            forwarded_for: None,
        }
    }

    /// The library's request. Fails (before any I/O) on an address that is not an IP; the
    /// library validates the rest when sending.
    pub(crate) fn to_core(&self) -> Result<token_exchange::CustomTokenExchange, TokenExchangeError> {
        let mut r =
            token_exchange::CustomTokenExchange::new(self.subject_token.as_str(), self.subject_token_type.clone());
        if let Some(a) = &self.audience {
            r = r.audience(a.clone());
        }
        match ScopeChoice::of(&self.scope, self.omit_scope)? {
            ScopeChoice::Default => {}
            ScopeChoice::Custom(s) => r = r.scope(s),
            ScopeChoice::Omitted => r = r.omit_scope(),
        }
        if let Some(o) = &self.organization {
            r = r.organization(o.clone());
        }
        if let Some(actor) = &self.actor {
            r = r.actor(actor.token.as_str(), actor.token_type.clone());
        }
        // Sorted so that the form is the same on every run.
        let mut extra: Vec<_> = self.extra_parameters.iter().collect();
        extra.sort();
        for (name, value) in extra {
            r = r.extra_parameter(name.clone(), value.clone());
        }
        if let Some(ip) = &self.forwarded_for {
            r = r.forwarded_for(token_exchange::parse_forwarded_for(ip)?);
        }
        Ok(r)
    }
}

impl fmt::Display for ActorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorToken(token_type={}, token=<redacted>)", self.token_type)
    }
}

impl fmt::Display for CustomTokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CustomTokenExchange(subject_token_type={}, subject_token=<redacted>",
            self.subject_token_type
        )?;
        if let Some(a) = &self.audience {
            write!(f, ", audience={a}")?;
        }
        if let Some(s) = &self.scope {
            write!(f, ", scope={s}")?;
        }
        if self.omit_scope {
            f.write_str(", omit_scope")?;
        }
        if let Some(o) = &self.organization {
            write!(f, ", organization={o}")?;
        }
        if let Some(actor) = &self.actor {
            write!(f, ", actor={actor}")?;
        }
        if !self.extra_parameters.is_empty() {
            let mut names: Vec<&str> = self.extra_parameters.keys().map(String::as_str).collect();
            names.sort_unstable();
            // Values may be secrets of the app's own protocol: only the names are shown.
            write!(f, ", extra_parameters=[{}]", names.join(", "))?;
        }
        if self.forwarded_for.is_some() {
            f.write_str(", forwarded_for=<redacted>")?;
        }
        f.write_str(")")
    }
}

debug_is_display!(ActorToken, CustomTokenExchange);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_redacted() {
        let mut r = CustomTokenExchange::new("google-id-token-secret", "urn:acme:google");
        r.actor = Some(ActorToken {
            token: "actor-secret".into(),
            token_type: "urn:ietf:params:oauth:token-type:access_token".into(),
        });
        r.extra_parameters.insert("device".into(), "value-secret".into());
        r.audience = Some("https://api.example.com".into());
        for text in [format!("{r}"), format!("{r:?}")] {
            assert!(!text.contains("secret"), "{text}");
            assert!(text.contains("urn:acme:google") && text.contains("device") && text.contains("api.example.com"));
        }
    }

    #[test]
    fn bad_addresses_are_invalid_input() {
        let mut r = CustomTokenExchange::new("t", "urn:acme:google");
        r.forwarded_for = Some("nope".into());
        assert!(
            matches!(r.to_core(), Err(TokenExchangeError::InvalidInput { ref field, .. }) if field == "forwarded_for")
        );
        r.forwarded_for = Some("::1".into());
        assert!(r.to_core().is_ok());
    }
}
