//! The user's claims, typed: from a validated ID token ([`crate::TokenSet::id_token_claims`])
//! and from `/userinfo` ([`crate::Client::userinfo_claims`]).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// The OpenID Connect standard claims an app shows (OpenID Connect Core §5.1), and every other
/// claim as JSON.
///
/// Profile data: `Debug` says which claims are present, never their values.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserClaims {
    /// The user id (`sub`), such as `apple|001234.abcd`.
    pub sub: String,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Whether the provider verified the email address.
    pub email_verified: Option<bool>,
    /// URL of the profile picture.
    pub picture: Option<String>,
    /// When the profile was last updated (Auth0 sends an RFC 3339 string, OpenID Connect a
    /// number of seconds; both are read).
    pub updated_at: Option<SystemTime>,
    /// Every other claim (`iss`, `aud`, `exp`, `org_id`, custom claims...), and any of the
    /// above whose value has an unexpected type, as received.
    pub other: Map<String, Value>,
}

impl UserClaims {
    /// Claims with only `sub`, every other member empty. Set the public fields that apply:
    /// language bindings need this to hand back the claims they received, because the struct
    /// is `#[non_exhaustive]`.
    pub fn new(sub: impl Into<String>) -> Self {
        UserClaims {
            sub: sub.into(),
            name: None,
            given_name: None,
            family_name: None,
            email: None,
            email_verified: None,
            picture: None,
            updated_at: None,
            other: Map::new(),
        }
    }

    /// Reads the claims of a JSON object. `None` when `sub` is missing or not a non-empty
    /// string.
    pub(crate) fn from_map(mut map: Map<String, Value>) -> Option<Self> {
        let sub = match map.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return None,
        };
        let mut text = |key: &str| take(&mut map, key, |v| v.as_str().map(str::to_owned));
        let name = text("name");
        let given_name = text("given_name");
        let family_name = text("family_name");
        let email = text("email");
        let picture = text("picture");
        // Some providers (Apple) send booleans as strings.
        let email_verified = take(&mut map, "email_verified", |v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        });
        let updated_at = take(&mut map, "updated_at", |v| match v {
            Value::String(s) => crate::time::parse_rfc3339(s),
            Value::Number(n) => UNIX_EPOCH.checked_add(Duration::from_secs(n.as_u64()?)),
            _ => None,
        });
        Some(UserClaims {
            sub,
            name,
            given_name,
            family_name,
            email,
            email_verified,
            picture,
            updated_at,
            other: map,
        })
    }
}

/// Removes `key` from `map` when `read` understands its value; otherwise leaves it there.
fn take<T>(map: &mut Map<String, Value>, key: &str, read: impl Fn(&Value) -> Option<T>) -> Option<T> {
    let value = read(map.get(key)?)?;
    map.remove(key);
    Some(value)
}

impl fmt::Debug for UserClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |v: bool| if v { "<redacted>" } else { "None" };
        f.debug_struct("UserClaims")
            .field("sub", &format_args!("<redacted>"))
            .field("name", &format_args!("{}", present(self.name.is_some())))
            .field("given_name", &format_args!("{}", present(self.given_name.is_some())))
            .field("family_name", &format_args!("{}", present(self.family_name.is_some())))
            .field("email", &format_args!("{}", present(self.email.is_some())))
            .field("email_verified", &self.email_verified)
            .field("picture", &format_args!("{}", present(self.picture.is_some())))
            .field("updated_at", &self.updated_at)
            .field("other", &self.other.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Option<UserClaims> {
        match v {
            Value::Object(map) => UserClaims::from_map(map),
            _ => None,
        }
    }

    #[test]
    fn typed_claims_and_the_rest() {
        let c = claims(json!({
            "sub": "apple|1", "name": "Jane Roe", "given_name": "Jane", "family_name": "Roe",
            "email": "j@example.com", "email_verified": "true", "picture": "https://p.example/j.png",
            "updated_at": "2024-05-01T12:34:56.000Z", "iss": "https://t.example/", "org_id": "org_1",
        }))
        .unwrap();
        assert_eq!(c.sub, "apple|1");
        assert_eq!(c.name.as_deref(), Some("Jane Roe"));
        assert_eq!(c.given_name.as_deref(), Some("Jane"));
        assert_eq!(c.family_name.as_deref(), Some("Roe"));
        assert_eq!(c.email.as_deref(), Some("j@example.com"));
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.picture.as_deref(), Some("https://p.example/j.png"));
        assert_eq!(c.updated_at, Some(UNIX_EPOCH + Duration::from_secs(1_714_566_896)));
        assert_eq!(
            c.other,
            *json!({"iss": "https://t.example/", "org_id": "org_1"})
                .as_object()
                .unwrap()
        );

        let c = claims(json!({"sub": "s", "updated_at": 1_714_566_896, "email_verified": false})).unwrap();
        assert_eq!(c.updated_at, Some(UNIX_EPOCH + Duration::from_secs(1_714_566_896)));
        assert_eq!(c.email_verified, Some(false));
        assert!(c.other.is_empty());
    }

    #[test]
    fn unexpected_types_stay_in_other_and_sub_is_required() {
        let c = claims(json!({"sub": "s", "name": 5, "updated_at": "yesterday", "email_verified": "yes"})).unwrap();
        assert_eq!(c.name, None);
        assert_eq!(c.updated_at, None);
        assert_eq!(c.email_verified, None);
        assert_eq!(c.other.len(), 3);
        assert!(claims(json!({"name": "x"})).is_none());
        assert!(claims(json!({"sub": ""})).is_none());
        assert!(claims(json!({"sub": 7})).is_none());
    }

    #[test]
    fn debug_shows_no_profile_value() {
        let c = claims(
            json!({"sub": "apple|secret-sub", "name": "Privatename", "email": "p@example.com",
                               "nickname": "nick-secret"}),
        )
        .unwrap();
        let debug = format!("{c:?}");
        for value in ["secret-sub", "Privatename", "p@example.com", "nick-secret"] {
            assert!(!debug.contains(value), "{debug}");
        }
        assert!(debug.contains("nickname"), "{debug}");
    }
}
