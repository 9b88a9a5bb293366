//! The native social exchange request as foreign code writes it.

use std::fmt;

use crate::error::TokenExchangeError;

/// What kind of artifact the subject token is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SubjectTokenType {
    /// A Sign in with Apple authorization code (single-use, valid for five minutes).
    AppleAuthorizationCode,
    /// A Facebook session info access token.
    FacebookSessionInfoToken,
    /// Any other absolute URI, e.g. a Custom Token Exchange profile's type.
    Custom {
        /// The `subject_token_type` URI.
        uri: String,
    },
}

#[uniffi::export]
impl SubjectTokenType {
    /// The URI sent as `subject_token_type`.
    pub fn uri(&self) -> String {
        self.to_core().as_uri().to_owned()
    }
}

impl SubjectTokenType {
    fn to_core(&self) -> token_exchange::SubjectTokenType {
        match self {
            SubjectTokenType::AppleAuthorizationCode => token_exchange::SubjectTokenType::AppleAuthorizationCode,
            SubjectTokenType::FacebookSessionInfoToken => token_exchange::SubjectTokenType::FacebookSessionInfoToken,
            SubjectTokenType::Custom { uri } => token_exchange::SubjectTokenType::Custom(uri.clone()),
        }
    }
}

/// A person's name as Sign in with Apple returns it (first sign-in only). Personal data: its
/// description is redacted.
#[derive(Clone, Default, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct PersonName {
    /// Given name.
    #[uniffi(default = None)]
    pub first_name: Option<String>,
    /// Family name.
    #[uniffi(default = None)]
    pub last_name: Option<String>,
}

/// Profile data sent as `user_profile`: a typed name and/or other members as a JSON object.
/// Personal data: its description is redacted.
#[derive(Clone, Default, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct UserProfile {
    /// The user's name.
    #[uniffi(default = None)]
    pub name: Option<PersonName>,
    /// Other members as a JSON object (`{"locale":"fr"}`), merged at the top level; a typed
    /// `name` wins over a `name` member here.
    #[uniffi(default = None)]
    pub extra_json: Option<String>,
}

/// A native social token exchange: what the platform sign-in returned, traded for Auth0
/// tokens. The subject token is a secret: the description is redacted.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display, Debug)]
pub struct NativeSocialExchange {
    /// The Apple authorization code, Facebook session token, or custom subject token.
    pub subject_token: String,
    /// What `subject_token` is.
    pub subject_token_type: SubjectTokenType,
    /// The API to get an access token for. Exclusive with `resource`.
    #[uniffi(default = None)]
    pub audience: Option<String>,
    /// The API, for tenants using the resource parameter. Exclusive with `audience`.
    #[uniffi(default = None)]
    pub resource: Option<String>,
    /// Space-separated scopes (default `openid profile email offline_access`; `openid` is
    /// always added).
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// Send no `scope` at all, so that Auth0 issues every scope of the audience (no
    /// `openid`: no ID token; no `offline_access`: no refresh token). Exclusive with `scope`.
    #[uniffi(default = false)]
    pub omit_scope: bool,
    /// Profile data (Apple gives the name on the first sign-in only).
    #[uniffi(default = None)]
    pub user_profile: Option<UserProfile>,
    /// The end user's IP address, when a server makes the request on their behalf
    /// (`auth0-forwarded-for`).
    #[uniffi(default = None)]
    pub forwarded_for: Option<String>,
}

impl NativeSocialExchange {
    /// A request with nothing but the subject token.
    pub fn new(subject_token: impl Into<String>, subject_token_type: SubjectTokenType) -> Self {
        NativeSocialExchange {
            subject_token: subject_token.into(),
            subject_token_type,
            audience: None,
            resource: None,
            scope: None,
            omit_scope: false,
            user_profile: None,
            forwarded_for: None,
        }
    }

    /// The library's request. Fails (before any I/O) on a profile that is not a JSON object
    /// or an address that is not an IP; the library validates the rest when sending.
    pub(crate) fn to_core(&self) -> Result<token_exchange::NativeSocialExchange, TokenExchangeError> {
        let mut r =
            token_exchange::NativeSocialExchange::new(self.subject_token.as_str(), self.subject_token_type.to_core());
        if let Some(a) = &self.audience {
            r = r.audience(a.clone());
        }
        if let Some(res) = &self.resource {
            r = r.resource(res.clone());
        }
        match ScopeChoice::of(&self.scope, self.omit_scope)? {
            ScopeChoice::Default => {}
            ScopeChoice::Custom(s) => r = r.scope(s),
            ScopeChoice::Omitted => r = r.omit_scope(),
        }
        if let Some(p) = &self.user_profile {
            r = r.user_profile(p.to_core()?);
        }
        if let Some(ip) = &self.forwarded_for {
            r = r.forwarded_for(token_exchange::parse_forwarded_for(ip)?);
        }
        Ok(r)
    }
}

/// The `scope` and `omit_scope` fields of a request record, checked.
pub(crate) enum ScopeChoice<'a> {
    /// Neither: the library's default scope.
    Default,
    /// `scope`.
    Custom(&'a str),
    /// `omit_scope`.
    Omitted,
}

/// What the C API's `te_*_set_omit_scope` does to a request's two scope fields: omitting
/// clears a scope set before (the last call wins, as with the Rust builder).
#[cfg(feature = "c-api")]
pub(crate) fn set_omit_scope(scope: &mut Option<String>, omit_scope: &mut bool, omit: bool) {
    *omit_scope = omit;
    if omit {
        *scope = None;
    }
}

impl<'a> ScopeChoice<'a> {
    /// Both at once is refused: the caller meant one of them.
    pub(crate) fn of(scope: &'a Option<String>, omit_scope: bool) -> Result<Self, TokenExchangeError> {
        match (scope, omit_scope) {
            (Some(_), true) => Err(TokenExchangeError::invalid(
                "scope",
                "is set while omit_scope is true: set one or the other",
            )),
            (Some(s), false) => Ok(ScopeChoice::Custom(s)),
            (None, true) => Ok(ScopeChoice::Omitted),
            (None, false) => Ok(ScopeChoice::Default),
        }
    }
}

impl UserProfile {
    fn to_core(&self) -> Result<token_exchange::UserProfile, TokenExchangeError> {
        let mut profile = match &self.extra_json {
            Some(json) => token_exchange::UserProfile::from_json_str(json)?,
            None => token_exchange::UserProfile::default(),
        };
        profile.name = self.name.as_ref().map(|n| token_exchange::PersonName {
            first_name: n.first_name.clone(),
            last_name: n.last_name.clone(),
        });
        Ok(profile)
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(<redacted>)")
    }
}

impl fmt::Display for UserProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserProfile(<redacted>)")
    }
}

impl fmt::Display for NativeSocialExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NativeSocialExchange(subject_token_type={}, subject_token=<redacted>",
            self.subject_token_type.uri()
        )?;
        if let Some(a) = &self.audience {
            write!(f, ", audience={a}")?;
        }
        if let Some(r) = &self.resource {
            write!(f, ", resource={r}")?;
        }
        if let Some(s) = &self.scope {
            write!(f, ", scope={s}")?;
        }
        if self.omit_scope {
            f.write_str(", omit_scope")?;
        }
        if self.user_profile.is_some() {
            f.write_str(", user_profile=<redacted>")?;
        }
        if self.forwarded_for.is_some() {
            f.write_str(", forwarded_for=<redacted>")?;
        }
        f.write_str(")")
    }
}

debug_is_display!(PersonName, UserProfile, NativeSocialExchange);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_redacted() {
        let mut r = NativeSocialExchange::new("apple-code-secret", SubjectTokenType::AppleAuthorizationCode);
        r.audience = Some("https://api.example.com".into());
        r.user_profile = Some(UserProfile {
            name: Some(PersonName {
                first_name: Some("Johnathan".into()),
                last_name: None,
            }),
            extra_json: None,
        });
        for text in [format!("{r}"), format!("{r:?}")] {
            assert!(
                !text.contains("apple-code-secret") && !text.contains("Johnathan"),
                "{text}"
            );
            assert!(text.contains("apple-authz-code") && text.contains("https://api.example.com"));
        }
    }

    #[test]
    fn bad_profiles_and_addresses_are_invalid_input() {
        let mut r = NativeSocialExchange::new("c", SubjectTokenType::AppleAuthorizationCode);
        r.forwarded_for = Some("not-an-ip".into());
        assert!(
            matches!(r.to_core(), Err(TokenExchangeError::InvalidInput { ref field, .. }) if field == "forwarded_for")
        );
        r.forwarded_for = Some("203.0.113.7".into());
        assert!(r.to_core().is_ok());
        for bad in ["[1,2]", "{not json"] {
            r.user_profile = Some(UserProfile {
                name: None,
                extra_json: Some(bad.into()),
            });
            assert!(
                matches!(r.to_core(), Err(TokenExchangeError::InvalidInput { ref field, .. }) if field == "user_profile")
            );
        }
    }

    #[test]
    fn scope_and_omit_scope_are_exclusive() {
        let mut r = NativeSocialExchange::new("c", SubjectTokenType::AppleAuthorizationCode);
        r.omit_scope = true;
        assert!(r.to_core().is_ok());
        r.scope = Some("email".into());
        assert!(matches!(r.to_core(), Err(TokenExchangeError::InvalidInput { ref field, .. }) if field == "scope"));
    }

    #[test]
    fn token_type_uris() {
        assert_eq!(
            SubjectTokenType::FacebookSessionInfoToken.uri(),
            "http://auth0.com/oauth/token-type/facebook-info-session-access-token"
        );
        assert_eq!(SubjectTokenType::Custom { uri: "urn:x".into() }.uri(), "urn:x");
    }
}
