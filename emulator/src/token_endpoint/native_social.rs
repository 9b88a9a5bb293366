//! Native social token exchange: an Apple authorization code or a Facebook session info
//! access token for Auth0 tokens. Users are created on their first successful exchange.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Issue, issue};
use super::{TokenRequest, resolve_audience, resolve_scopes};
use crate::config::{GRANT_REFRESH_TOKEN, UserConfig};
use crate::errors::OAuthError;
use crate::native_social::{APPLE_AUTHZ_CODE_TYPE, FACEBOOK_SESSION_TOKEN_TYPE};
use crate::util::random_token;

/// Who the subject token says the user is.
struct Identity {
    user_id: String,
    email: Option<String>,
    /// Answer only after this delay (Apple codes minted with a delay).
    delay: Option<Duration>,
}

/// The name from `user_profile` (`{"name":{"firstName":..,"lastName":..}}`).
#[derive(Default)]
struct ProfileName {
    given: Option<String>,
    family: Option<String>,
}

fn parse_user_profile(raw: Option<&str>) -> Result<ProfileName, OAuthError> {
    let Some(raw) = raw else {
        return Ok(ProfileName::default());
    };
    let bad = || {
        OAuthError::invalid_request(
            r#"user_profile must be a JSON object like {"name":{"firstName":"John","lastName":"Smith"}}"#,
        )
    };
    let value: Value = serde_json::from_str(raw).map_err(|_| bad())?;
    let obj = value.as_object().ok_or_else(bad)?;
    let Some(name) = obj.get("name") else {
        return Ok(ProfileName::default());
    };
    let name = name.as_object().ok_or_else(bad)?;
    let part = |key: &str| -> Result<Option<String>, OAuthError> {
        match name.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(bad()),
        }
    };
    Ok(ProfileName {
        given: part("firstName")?,
        family: part("lastName")?,
    })
}

/// Consumes an Apple code (single use) or checks a Facebook token.
fn redeem(req: &TokenRequest<'_>, token: &str, token_type: &str) -> Result<Identity, OAuthError> {
    let mut store = req.tenant.store();
    let now = Instant::now();
    match token_type {
        APPLE_AUTHZ_CODE_TYPE => {
            let record = store
                .apple_codes
                .get_mut(token)
                .ok_or_else(|| OAuthError::invalid_grant("Invalid authorization code"))?;
            if record.used {
                return Err(OAuthError::invalid_grant("Authorization code has already been used"));
            }
            record.used = true;
            if now >= record.expires_at {
                return Err(OAuthError::invalid_grant("Authorization code has expired"));
            }
            Ok(Identity {
                user_id: record.sub.clone(),
                email: record.email.clone(),
                delay: record.delay,
            })
        }
        FACEBOOK_SESSION_TOKEN_TYPE => {
            let record = store
                .facebook_tokens
                .get(token)
                .ok_or_else(|| OAuthError::invalid_grant("Invalid Facebook session info token"))?;
            if now >= record.expires_at {
                return Err(OAuthError::invalid_grant("Facebook session info token has expired"));
            }
            Ok(Identity {
                user_id: record.sub.clone(),
                email: record.email.clone(),
                delay: None,
            })
        }
        other => Err(OAuthError::invalid_request(format!(
            "Unsupported subject_token_type: {other}"
        ))),
    }
}

/// Finds or creates the user, refuses blocked and MFA users, remembers name and email.
fn sign_in(req: &TokenRequest<'_>, identity: &Identity, name: ProfileName) -> Result<UserConfig, OAuthError> {
    let mut store = req.tenant.store();
    let user = store
        .users
        .entry(identity.user_id.clone())
        .or_insert_with(|| UserConfig {
            user_id: identity.user_id.clone(),
            ..UserConfig::default()
        });
    if user.blocked {
        return Err(OAuthError::access_denied("user is blocked"));
    }
    if user.mfa_required {
        return Err(OAuthError::mfa_required(random_token(24)));
    }
    if let Some(email) = &identity.email {
        user.email = Some(email.clone());
    }
    if name.given.is_some() || name.family.is_some() {
        let full = [name.given.as_deref(), name.family.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        user.given_name = name.given;
        user.family_name = name.family;
        user.name = Some(full);
    }
    if user.name.is_none() {
        user.name = user.email.clone();
    }
    Ok(user.clone())
}

/// Handles `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`.
pub(super) async fn exchange(req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    let subject_token = req.params.require("subject_token")?;
    let subject_token_type = req.params.require("subject_token_type")?;
    if ![APPLE_AUTHZ_CODE_TYPE, FACEBOOK_SESSION_TOKEN_TYPE].contains(&subject_token_type) {
        return Err(OAuthError::invalid_request(format!(
            "Unsupported subject_token_type: {subject_token_type}"
        )));
    }
    let api = resolve_audience(req.tenant, req.params)?;
    let scopes = resolve_scopes(req.params.get("scope"), api.as_deref());
    let name = parse_user_profile(req.params.get("user_profile"))?;
    let identity = redeem(req, subject_token, subject_token_type)?;
    let result = sign_in(req, &identity, name).map(|user| {
        issue(
            req.tenant,
            &Issue {
                refresh_token_allowed: req.client.allows_grant(GRANT_REFRESH_TOKEN),
                token_exchange: true,
                ..req.issue_for(&user, api.as_ref().map(|a| a.identifier.as_str()), &scopes)
            },
        )
    });
    if let Some(delay) = identity.delay {
        tokio::time::sleep(delay).await;
    }
    result
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;

    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::proptest_support::config())]

        #[test]
        fn prop_any_user_profile_is_read_or_invalid_request(
            raw in proptest::prop_oneof![
                crate::proptest_support::json_value(&["name", "firstName", "lastName"]).prop_map(|v| v.to_string()),
                crate::proptest_support::text(),
            ],
        ) {
            if let Err(e) = parse_user_profile(Some(&raw)) {
                proptest::prop_assert_eq!(e.error, "invalid_request");
            }
        }
    }

    #[test]
    fn user_profile_shapes() {
        let n = parse_user_profile(Some(r#"{"name":{"firstName":"John","lastName":"Smith"}}"#)).unwrap();
        assert_eq!((n.given.as_deref(), n.family.as_deref()), (Some("John"), Some("Smith")));
        let n = parse_user_profile(Some("{}")).unwrap();
        assert!(n.given.is_none() && n.family.is_none());
        assert!(parse_user_profile(Some("not json")).is_err());
        assert!(parse_user_profile(Some("[1]")).is_err());
        assert!(parse_user_profile(Some(r#"{"name":{"firstName":1}}"#)).is_err());
    }
}
