//! The native social token exchange request (Sign in with Apple, Facebook) and its parts.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::client::{Client, TOKEN_EXCHANGE_GRANT};
use crate::error::Error;
use crate::parameters::{Form, ScopeRequest, push_target};
use crate::secret::Secret;
use crate::token_set::TokenSet;
use crate::validate;

/// Largest `user_profile` accepted, serialised (Auth0 stores it with the user).
pub const MAX_USER_PROFILE_BYTES: usize = 8 * 1024;

/// What kind of artifact the subject token is (`subject_token_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectTokenType {
    /// A Sign in with Apple authorization code (single-use, valid for five minutes).
    AppleAuthorizationCode,
    /// A Facebook session info access token (Facebook Limited Login / session info).
    FacebookSessionInfoToken,
    /// Any other absolute URI (for example a Custom Token Exchange profile's type).
    Custom(String),
}

impl SubjectTokenType {
    /// `http://auth0.com/oauth/token-type/apple-authz-code`
    pub const APPLE_URI: &'static str = "http://auth0.com/oauth/token-type/apple-authz-code";
    /// `http://auth0.com/oauth/token-type/facebook-info-session-access-token`
    pub const FACEBOOK_URI: &'static str = "http://auth0.com/oauth/token-type/facebook-info-session-access-token";

    /// The URI sent as `subject_token_type`.
    pub fn as_uri(&self) -> &str {
        match self {
            SubjectTokenType::AppleAuthorizationCode => Self::APPLE_URI,
            SubjectTokenType::FacebookSessionInfoToken => Self::FACEBOOK_URI,
            SubjectTokenType::Custom(uri) => uri,
        }
    }

    /// Maps a URI to its type, recognising the Apple and Facebook URIs.
    pub fn from_uri(uri: &str) -> Self {
        match uri {
            Self::APPLE_URI => SubjectTokenType::AppleAuthorizationCode,
            Self::FACEBOOK_URI => SubjectTokenType::FacebookSessionInfoToken,
            other => SubjectTokenType::Custom(other.to_owned()),
        }
    }
}

/// A person's name as Sign in with Apple returns it (on the first sign-in only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonName {
    /// Given name (`firstName`).
    pub first_name: Option<String>,
    /// Family name (`lastName`).
    pub last_name: Option<String>,
}

/// Profile data sent as `user_profile`: a typed name and/or any other JSON members.
///
/// Serialised as a JSON string such as `{"name":{"firstName":"John","lastName":"Smith"}}`.
/// Profile data is personal: it is never logged or printed by this library.
#[derive(Clone, Default, PartialEq)]
pub struct UserProfile {
    /// The user's name.
    pub name: Option<PersonName>,
    /// Other members, merged at the top level (a typed `name` wins over `extra["name"]`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for UserProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserProfile(<redacted>)")
    }
}

impl UserProfile {
    /// A profile with just a name.
    pub fn with_name(first_name: Option<String>, last_name: Option<String>) -> Self {
        UserProfile {
            name: Some(PersonName { first_name, last_name }),
            extra: Default::default(),
        }
    }

    /// A profile from any JSON value, which must be an object.
    pub fn from_json(value: serde_json::Value) -> Result<Self, Error> {
        match value {
            serde_json::Value::Object(extra) => Ok(UserProfile { name: None, extra }),
            _ => Err(Error::invalid("user_profile", "must be a JSON object")),
        }
    }

    /// A profile from JSON text, which must be an object (as the Swift, Kotlin and C bindings
    /// carry it).
    pub fn from_json_str(json: &str) -> Result<Self, Error> {
        let value = serde_json::from_str(json).map_err(|_| Error::invalid("user_profile", "is not valid JSON"))?;
        Self::from_json(value)
    }

    /// The JSON string to send, or `None` when there is nothing to send.
    pub(crate) fn to_json_string(&self) -> Result<Option<String>, Error> {
        let name = self.name.as_ref().and_then(NameJson::new);
        if name.is_none() && self.extra.is_empty() {
            return Ok(None);
        }
        let json = serde_json::to_string(&ProfileJson {
            name,
            extra: &self.extra,
        })
        .expect("a JSON map with string keys serialises");
        if json.len() > MAX_USER_PROFILE_BYTES {
            return Err(Error::invalid(
                "user_profile",
                format!("is larger than {MAX_USER_PROFILE_BYTES} bytes"),
            ));
        }
        Ok(Some(json))
    }
}

/// The `user_profile` object, serialised straight from the profile (no copy of `extra` into a
/// new tree): `extra`'s members in its key order, the typed name in its place among them,
/// replacing `extra["name"]`.
struct ProfileJson<'a> {
    name: Option<NameJson<'a>>,
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

impl serde::Serialize for ProfileJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        let mut name = self.name.as_ref();
        for (key, value) in self.extra {
            if let Some(n) = name
                && key.as_str() >= "name"
            {
                map.serialize_entry("name", n)?;
                name = None;
                if key == "name" {
                    continue;
                }
            }
            map.serialize_entry(key, value)?;
        }
        if let Some(n) = name {
            map.serialize_entry("name", n)?;
        }
        map.end()
    }
}

/// The typed name's non-blank parts, trimmed.
#[derive(serde::Serialize)]
struct NameJson<'a> {
    #[serde(rename = "firstName", skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(rename = "lastName", skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
}

impl<'a> NameJson<'a> {
    /// `None` when no part is left to send.
    fn new(name: &'a PersonName) -> Option<Self> {
        let part = |v: &'a Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty());
        let json = NameJson {
            first_name: part(&name.first_name),
            last_name: part(&name.last_name),
        };
        (json.first_name.is_some() || json.last_name.is_some()).then_some(json)
    }
}

/// A native social token exchange: what the platform sign-in returned, traded for Auth0 tokens.
///
/// ```
/// use token_exchange::{NativeSocialExchange, UserProfile};
/// let request = NativeSocialExchange::apple("c0a1b2...")
///     .audience("https://api.example.com")
///     .user_profile(UserProfile::with_name(Some("John".into()), Some("Smith".into())));
/// ```
#[derive(Debug, Clone)]
pub struct NativeSocialExchange {
    pub(crate) subject_token: Secret,
    pub(crate) subject_token_type: SubjectTokenType,
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) scope: ScopeRequest,
    pub(crate) user_profile: Option<UserProfile>,
    pub(crate) forwarded_for: Option<IpAddr>,
}

impl NativeSocialExchange {
    /// A request for any subject token type.
    pub fn new(subject_token: impl Into<Secret>, subject_token_type: SubjectTokenType) -> Self {
        NativeSocialExchange {
            subject_token: subject_token.into(),
            subject_token_type,
            audience: None,
            resource: None,
            scope: ScopeRequest::Default,
            user_profile: None,
            forwarded_for: None,
        }
    }

    /// Sign in with Apple: the `authorizationCode` of `ASAuthorizationAppleIDCredential`.
    pub fn apple(authorization_code: impl Into<Secret>) -> Self {
        Self::new(authorization_code, SubjectTokenType::AppleAuthorizationCode)
    }

    /// Facebook: the session info access token.
    pub fn facebook(session_info_token: impl Into<Secret>) -> Self {
        Self::new(session_info_token, SubjectTokenType::FacebookSessionInfoToken)
    }

    /// The API to get an access token for (its identifier). Exclusive with `resource`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The API, for tenants using the resource parameter profile. Exclusive with `audience`.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Space-separated scopes (default [`crate::DEFAULT_SCOPE`]); `openid` is always added.
    /// Replaces an earlier [`Self::omit_scope`].
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = ScopeRequest::Custom(scope.into());
        self
    }

    /// Sends no `scope` at all, so that Auth0 issues every scope the audience defines (its
    /// documented behaviour without `scope`). No `openid` is requested then, so no ID token is
    /// issued, and no `offline_access`, so no refresh token. Replaces an earlier
    /// [`Self::scope`].
    pub fn omit_scope(mut self) -> Self {
        self.scope = ScopeRequest::Omitted;
        self
    }

    /// Profile data for the user (Apple gives the name on the first sign-in only).
    pub fn user_profile(mut self, profile: UserProfile) -> Self {
        self.user_profile = Some(profile);
        self
    }

    /// The end user's IP (`auth0-forwarded-for`), when a server makes the request on their
    /// behalf, so brute-force protection applies to the user and not to the server.
    pub fn forwarded_for(mut self, ip: IpAddr) -> Self {
        self.forwarded_for = Some(ip);
        self
    }

    /// The type of the subject token.
    pub fn subject_token_type(&self) -> &SubjectTokenType {
        &self.subject_token_type
    }

    /// Validates every field and returns the form parameters (before any network I/O).
    pub(crate) fn to_form(&self) -> Result<Form<'_>, Error> {
        validate::token("subject_token", self.subject_token.expose())?;
        if let SubjectTokenType::Custom(uri) = &self.subject_token_type {
            // Apple's and Facebook's are known-valid constants (a test checks).
            validate::absolute_uri("subject_token_type", uri)?;
        }
        let mut form = vec![
            ("grant_type", Cow::Borrowed(TOKEN_EXCHANGE_GRANT)),
            ("subject_token", Cow::Borrowed(self.subject_token.expose())),
            ("subject_token_type", Cow::Borrowed(self.subject_token_type.as_uri())),
        ];
        push_target(&mut form, self.audience.as_deref(), self.resource.as_deref())?;
        self.scope.push(&mut form)?;
        if let Some(profile) = &self.user_profile
            && let Some(json) = profile.to_json_string()?
        {
            form.push(("user_profile", Cow::Owned(json)));
        }
        Ok(form)
    }
}

impl Client {
    /// Exchanges a native sign-in artifact (an Apple authorization code, a Facebook session
    /// token) for Auth0 tokens.
    ///
    /// Invalid input fails before any network I/O. The request is never replayed
    /// automatically, except once when the server demands a DPoP nonce (`use_dpop_nonce`):
    /// the server rejected that first attempt before looking at the subject token.
    pub async fn native_social_exchange(&self, request: &NativeSocialExchange) -> Result<TokenSet, Error> {
        let form = request.to_form()?;
        self.token_request(form, &[], request.forwarded_for).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::DEFAULT_SCOPE;

    /// The form a request sends, owned (the request is a temporary).
    fn sent(request: NativeSocialExchange) -> Vec<(&'static str, String)> {
        let form = request.to_form().unwrap();
        form.into_iter().map(|(k, v)| (k, v.into_owned())).collect()
    }

    fn get<'a>(form: &'a [(&'static str, String)], key: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_well_known_subject_token_types_are_absolute_uris() {
        for uri in [SubjectTokenType::APPLE_URI, SubjectTokenType::FACEBOOK_URI] {
            assert!(validate::absolute_uri("subject_token_type", uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn apple_request_encoding() {
        let form = sent(
            NativeSocialExchange::apple("code-123")
                .audience("https://api.example.com")
                .user_profile(UserProfile::with_name(Some("John".into()), Some("Smith".into()))),
        );
        assert_eq!(
            get(&form, "grant_type"),
            Some("urn:ietf:params:oauth:grant-type:token-exchange")
        );
        assert_eq!(
            get(&form, "subject_token_type"),
            Some("http://auth0.com/oauth/token-type/apple-authz-code")
        );
        assert_eq!(get(&form, "subject_token"), Some("code-123"));
        assert_eq!(get(&form, "audience"), Some("https://api.example.com"));
        assert_eq!(get(&form, "scope"), Some("openid profile email offline_access"));
        assert_eq!(
            get(&form, "user_profile"),
            Some(r#"{"name":{"firstName":"John","lastName":"Smith"}}"#)
        );
        assert_eq!(get(&form, "resource"), None);
    }

    #[test]
    fn facebook_with_resource_and_custom_scope() {
        let form = sent(
            NativeSocialExchange::facebook("fb-token")
                .resource("https://api.example.com")
                .scope("email"),
        );
        assert_eq!(
            get(&form, "subject_token_type"),
            Some("http://auth0.com/oauth/token-type/facebook-info-session-access-token")
        );
        assert_eq!(get(&form, "resource"), Some("https://api.example.com"));
        assert_eq!(get(&form, "scope"), Some("openid email"));
        assert_eq!(get(&form, "user_profile"), None);
    }

    #[test]
    fn scope_is_sent_by_default_and_omitted_only_when_asked() {
        assert_eq!(
            get(&sent(NativeSocialExchange::apple("c")), "scope"),
            Some(DEFAULT_SCOPE)
        );
        let omitted = sent(NativeSocialExchange::apple("c").scope("email").omit_scope());
        assert_eq!(get(&omitted, "scope"), None);
        let again = sent(NativeSocialExchange::apple("c").omit_scope().scope("email"));
        assert_eq!(get(&again, "scope"), Some("openid email"));
    }

    /// The profile as the previous code built it, through a `serde_json::Value` tree: the
    /// reference for the direct serialisation.
    fn profile_through_a_value_tree(profile: &UserProfile) -> Option<String> {
        let mut map = profile.extra.clone();
        if let Some(name) = &profile.name {
            let mut n = serde_json::Map::new();
            for (key, value) in [("firstName", &name.first_name), ("lastName", &name.last_name)] {
                if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                    n.insert(key.into(), v.into());
                }
            }
            if !n.is_empty() {
                map.insert("name".into(), n.into());
            }
        }
        (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
    }

    proptest::proptest! {
        #![proptest_config(crate::server_input::config())]

        /// The same bytes as the value tree, wherever `name` falls among the other members and
        /// whether `extra` has one.
        #[test]
        fn prop_profile_json_is_the_value_trees(
            keys in proptest::collection::vec("[a-o]{0,3}|name|n|nam|namez|Name", 0..6),
            first in proptest::option::of("[ a-zé\\\"]{0,4}"),
            last in proptest::option::of("[ a-z]{0,4}"),
            typed in proptest::bool::ANY,
        ) {
            let extra = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.clone(), serde_json::json!({ "i": i, "s": k })))
                .collect();
            let profile = UserProfile {
                name: typed.then(|| PersonName { first_name: first.clone(), last_name: last.clone() }),
                extra,
            };
            proptest::prop_assert_eq!(profile.to_json_string().unwrap(), profile_through_a_value_tree(&profile));
        }
    }

    #[test]
    fn empty_profile_is_omitted_and_extra_members_merge() {
        let form = sent(NativeSocialExchange::apple("c").user_profile(UserProfile::with_name(None, Some("  ".into()))));
        assert_eq!(get(&form, "user_profile"), None);
        let mut profile = UserProfile::from_json(serde_json::json!({"locale":"fr"})).unwrap();
        profile.name = Some(PersonName {
            first_name: Some("Zoé".into()),
            last_name: None,
        });
        let form = sent(NativeSocialExchange::apple("c").user_profile(profile));
        let sent: serde_json::Value = serde_json::from_str(get(&form, "user_profile").unwrap()).unwrap();
        assert_eq!(sent, serde_json::json!({"locale":"fr","name":{"firstName":"Zoé"}}));
    }

    #[test]
    fn bad_input_names_the_field() {
        let field = |r: NativeSocialExchange| match r.to_form() {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        };
        assert_eq!(field(NativeSocialExchange::apple("")), "subject_token");
        assert_eq!(field(NativeSocialExchange::apple(" code")), "subject_token");
        assert_eq!(field(NativeSocialExchange::apple("Bearer code")), "subject_token");
        assert_eq!(
            field(NativeSocialExchange::new(
                "t",
                SubjectTokenType::Custom("google".into())
            )),
            "subject_token_type"
        );
        assert_eq!(
            field(NativeSocialExchange::apple("c").audience("a").resource("https://r")),
            "resource"
        );
        assert_eq!(field(NativeSocialExchange::apple("c").audience(" a")), "audience");
        assert_eq!(field(NativeSocialExchange::apple("c").scope("a\u{7f}")), "scope");
        assert!(UserProfile::from_json(serde_json::json!([1, 2])).is_err());
        let big = UserProfile::from_json(serde_json::json!({"bio": "x".repeat(MAX_USER_PROFILE_BYTES)})).unwrap();
        assert_eq!(
            field(NativeSocialExchange::apple("c").user_profile(big)),
            "user_profile"
        );
    }

    #[test]
    fn debug_hides_code_and_profile() {
        let r = NativeSocialExchange::apple("apple-code-secret")
            .user_profile(UserProfile::with_name(Some("Johnathan".into()), None));
        let debug = format!("{r:?}");
        assert!(!debug.contains("apple-code-secret"));
        assert!(!debug.contains("Johnathan"));
    }
}
