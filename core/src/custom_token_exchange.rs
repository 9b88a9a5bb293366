//! Custom Token Exchange: any subject token, validated by the Action bound to the token
//! exchange profile whose `subject_token_type` matches. Native Google sign-in goes this way.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::client::{Client, TOKEN_EXCHANGE_GRANT};
use crate::error::Error;
use crate::parameters::{Form, ScopeRequest, extra_parameters, push_target};
use crate::secret::{Secret, names_only};
use crate::token_set::TokenSet;
use crate::validate;

/// A Custom Token Exchange request (RFC 8693 with an Auth0 token exchange profile).
///
/// ```
/// use token_exchange::CustomTokenExchange;
/// // After native Google sign-in on Android: the Google ID token, and the
/// // subject_token_type of the token exchange profile you created for it.
/// let request = CustomTokenExchange::google_id_token("eyJhbGciOi...", "https://myapp.example.com/google-id-token")
///     .audience("https://api.example.com");
/// ```
///
/// `Debug` shows the names of extra parameters, never their values or the tokens.
#[derive(Clone)]
pub struct CustomTokenExchange {
    subject_token: Secret,
    subject_token_type: String,
    audience: Option<String>,
    scope: ScopeRequest,
    organization: Option<String>,
    actor: Option<(Secret, String)>,
    extra: Vec<(String, String)>,
    forwarded_for: Option<IpAddr>,
}

impl CustomTokenExchange {
    /// A request for `subject_token` of `subject_token_type` (your profile's URI).
    pub fn new(subject_token: impl Into<Secret>, subject_token_type: impl Into<String>) -> Self {
        CustomTokenExchange {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            audience: None,
            scope: ScopeRequest::Default,
            organization: None,
            actor: None,
            extra: Vec::new(),
            forwarded_for: None,
        }
    }

    /// Native Google sign-in: Auth0 has no built-in Google subject token type, so the Google
    /// ID token goes to the profile you created for it (for example
    /// `https://myapp.example.com/google-id-token`), whose Action verifies the token against
    /// Google's keys and your OAuth client id, then sets the user.
    pub fn google_id_token(id_token: impl Into<Secret>, profile_subject_token_type: impl Into<String>) -> Self {
        Self::new(id_token, profile_subject_token_type)
    }

    /// The API to get an access token for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Space-separated scopes (default `openid profile email offline_access`; `openid` is
    /// always added). Replaces an earlier [`Self::omit_scope`].
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = ScopeRequest::Custom(scope.into());
        self
    }

    /// Sends no `scope` at all, so that Auth0 issues every scope the audience defines (before
    /// your Actions adjust the target scopes). No `openid` is requested then, so no ID token
    /// is issued, and no `offline_access`, so no refresh token. Replaces an earlier
    /// [`Self::scope`].
    pub fn omit_scope(mut self) -> Self {
        self.scope = ScopeRequest::Omitted;
        self
    }

    /// The organization (id or name) to log the user in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Delegation: the party acting on the user's behalf. The token type is required with the
    /// token. Auth0 issues no refresh token when an actor token is present.
    pub fn actor(mut self, actor_token: impl Into<Secret>, actor_token_type: impl Into<String>) -> Self {
        self.actor = Some((actor_token.into(), actor_token_type.into()));
        self
    }

    /// An extra parameter for your Action (`event.request.body`). Security parameters
    /// (`grant_type`, client credentials, subject/actor fields, `requested_token_type`,
    /// `audience`, `resource`, `scope`, `organization`) cannot be set this way.
    pub fn extra_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// The end user's IP (`auth0-forwarded-for`) for server-side callers.
    pub fn forwarded_for(mut self, ip: IpAddr) -> Self {
        self.forwarded_for = Some(ip);
        self
    }

    fn to_form(&self) -> Result<Form<'_>, Error> {
        validate::token("subject_token", self.subject_token.expose())?;
        custom_subject_token_type("subject_token_type", &self.subject_token_type)?;
        let mut form = vec![
            ("grant_type", Cow::Borrowed(TOKEN_EXCHANGE_GRANT)),
            ("subject_token", Cow::Borrowed(self.subject_token.expose())),
            ("subject_token_type", Cow::Borrowed(self.subject_token_type.as_str())),
        ];
        push_target(&mut form, self.audience.as_deref(), None)?;
        self.scope.push(&mut form)?;
        if let Some(org) = &self.organization {
            validate::identifier("organization", org)?;
            form.push(("organization", Cow::Borrowed(org.as_str())));
        }
        if let Some((token, token_type)) = &self.actor {
            validate::token("actor_token", token.expose())?;
            validate::absolute_uri("actor_token_type", token_type)?;
            form.push(("actor_token", Cow::Borrowed(token.expose())));
            form.push(("actor_token_type", Cow::Borrowed(token_type.as_str())));
        }
        Ok(form)
    }

    /// The extra parameters, once checked against the form.
    fn extra_form(&self, form: &Form<'_>) -> Result<&[(String, String)], Error> {
        extra_parameters(&self.extra, form)?;
        Ok(&self.extra)
    }
}

impl fmt::Debug for CustomTokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomTokenExchange")
            .field("subject_token", &self.subject_token)
            .field("subject_token_type", &self.subject_token_type)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("organization", &self.organization)
            .field("actor", &self.actor)
            .field("extra_parameters", &names_only(&self.extra))
            .field("forwarded_for", &self.forwarded_for)
            .finish()
    }
}

/// A Custom Token Exchange `subject_token_type`: an absolute URI outside the namespaces
/// Auth0 and Okta reserve (`http(s)://auth0.com/…`, `http(s)://okta.com/…`, `urn:ietf:…`,
/// `urn:auth0:…`, `urn:okta:…`).
pub(crate) fn custom_subject_token_type(field: &'static str, uri: &str) -> Result<(), Error> {
    validate::absolute_uri(field, uri)?;
    let lower = uri.to_ascii_lowercase();
    let reserved_urn = ["urn:ietf:", "urn:auth0:", "urn:okta:"]
        .iter()
        .any(|p| lower.starts_with(p));
    let reserved_host = url::Url::parse(uri).ok().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https") && matches!(u.host_str(), Some("auth0.com" | "okta.com"))
    });
    if reserved_urn || reserved_host {
        return Err(Error::invalid(
            field,
            "uses a namespace reserved by Auth0/Okta (auth0.com, okta.com, urn:ietf, urn:auth0, urn:okta): use a URI of your own",
        ));
    }
    Ok(())
}

impl Client {
    /// Custom Token Exchange: trades any subject token for Auth0 tokens through the token
    /// exchange profile whose `subject_token_type` matches (its Action validates the token).
    /// The token set's `issued_token_type` and [`TokenSet::actor_claim`] tell what was issued.
    pub async fn custom_token_exchange(&self, request: &CustomTokenExchange) -> Result<TokenSet, Error> {
        let form = request.to_form()?;
        // Extra names are caller-chosen, so they are appended after the fixed parameters.
        let extra = request.extra_form(&form)?;
        self.token_request(form, extra, request.forwarded_for).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: &CustomTokenExchange) -> &'static str {
        match r.to_form().and_then(|form| r.extra_form(&form).map(|_| ())) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn reserved_namespaces_are_refused() {
        for reserved in [
            "http://auth0.com/oauth/token-type/apple-authz-code",
            "https://auth0.com/x",
            "https://okta.com/x",
            "urn:ietf:params:oauth:token-type:id_token",
            "URN:AUTH0:x",
            "urn:okta:x",
        ] {
            assert_eq!(
                field(&CustomTokenExchange::new("t", reserved)),
                "subject_token_type",
                "{reserved}"
            );
        }
        for fine in [
            "https://myapp.example.com/google-id-token",
            "urn:acme:google",
            "https://auth0.com.example.org/x",
        ] {
            assert!(CustomTokenExchange::new("t", fine).to_form().is_ok(), "{fine}");
        }
    }

    #[test]
    fn encoding_with_actor_organization_and_extras() {
        let r = CustomTokenExchange::new("tok", "urn:acme:legacy")
            .audience("https://api.example.com")
            .organization("org_123")
            .actor("actor-tok", "urn:acme:agent")
            .extra_parameter("device_id", "d-1");
        let form = r.to_form().unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| &**v);
        assert_eq!(get("grant_type"), Some(TOKEN_EXCHANGE_GRANT));
        assert_eq!(get("organization"), Some("org_123"));
        assert_eq!(get("actor_token"), Some("actor-tok"));
        assert_eq!(get("actor_token_type"), Some("urn:acme:agent"));
        assert_eq!(
            r.extra_form(&form).unwrap(),
            [("device_id".to_owned(), "d-1".to_owned())]
        );
    }

    #[test]
    fn extras_cannot_override_security_parameters() {
        for name in crate::parameters::RESERVED_PARAMETERS
            .iter()
            .chain(&["Audience", "GRANT_TYPE"])
        {
            assert_eq!(
                field(&CustomTokenExchange::new("t", "urn:acme:x").extra_parameter(*name, "v")),
                "extra_parameters",
                "{name}"
            );
        }
        assert_eq!(
            field(&CustomTokenExchange::new("t", "urn:acme:x").extra_parameter("", "v")),
            "extra_parameters"
        );
        assert_eq!(
            field(
                &CustomTokenExchange::new("t", "urn:acme:x")
                    .extra_parameter("a", "1")
                    .extra_parameter("a", "2")
            ),
            "extra_parameters"
        );
    }

    #[test]
    fn debug_shows_parameter_names_but_never_values_or_tokens() {
        let r = CustomTokenExchange::new("subject-secret", "urn:acme:x")
            .actor("actor-secret", "urn:acme:agent")
            .extra_parameter("device_id", "device-secret");
        let debug = format!("{r:?}");
        for secret in ["subject-secret", "actor-secret", "device-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("device_id"), "{debug}");
    }

    #[test]
    fn scope_can_be_omitted() {
        let omitted = CustomTokenExchange::new("t", "urn:acme:x").omit_scope();
        let form = omitted.to_form().unwrap();
        assert!(form.iter().all(|(k, _)| *k != "scope"));
        let default = CustomTokenExchange::new("t", "urn:acme:x");
        let form = default.to_form().unwrap();
        assert!(
            form.iter()
                .any(|(k, v)| *k == "scope" && v == "openid profile email offline_access")
        );
    }

    #[test]
    fn actor_needs_its_type() {
        assert_eq!(
            field(&CustomTokenExchange::new("t", "urn:acme:x").actor("a", "")),
            "actor_token_type"
        );
        assert_eq!(
            field(&CustomTokenExchange::new("t", "urn:acme:x").actor("", "urn:acme:y")),
            "actor_token"
        );
    }
}
