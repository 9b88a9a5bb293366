//! `/api/v2/token-exchange-profiles`: which Action validates which `subject_token_type` in
//! Custom Token Exchange. Validation follows the reference page: `name` required, 3-50
//! characters (the page's default "Token Exchange Profile 1" is what a configuration file's
//! profile without a name gets), `subject_token_type` a URI of 8-100 characters
//! outside the reserved namespaces, `action_id` 1-36 characters naming an Action of the
//! `custom-token-exchange` trigger, `type` 1-21 characters and `custom_authentication`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::schema::{self, ObjectId, Prop};
use super::{authorize, change, respond};
use crate::action_api::ActionTrigger;
use crate::config::{PROFILE_TYPE_CUSTOM_AUTHENTICATION, TokenExchangeProfileConfig};
use crate::errors::EmulatorError;
use crate::tenant::{AppState, Tenant};
use crate::util::{now_iso8601, random_alnum};

/// Largest page of the list endpoint.
const MAX_TAKE: i64 = 100;
/// Page size when `take` is absent.
const DEFAULT_TAKE: i64 = 50;

const NAME: Prop = Prop {
    name: "name",
    description: "Friendly name of this profile.",
};
const SUBJECT_TOKEN_TYPE: Prop = Prop {
    name: "subject_token_type",
    description: "Subject token type for this profile. When receiving a token exchange request on the \
                  Authentication API, the corresponding token exchange profile with a matching subject_token_type \
                  will be executed. This must be a URI.",
};
const ACTION_ID: Prop = Prop {
    name: "action_id",
    description: "The ID of the Custom Token Exchange action to execute for this profile, in order to validate \
                  the subject_token. The action must use the custom-token-exchange trigger.",
};
const TYPE: Prop = Prop {
    name: "type",
    description: "The type of the profile, which controls how the profile will be executed when receiving a token \
                  exchange request.",
};

/// Whether a subject token type is in a namespace Auth0 and Okta reserve.
pub(crate) fn is_reserved(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    if ["urn:ietf:", "urn:auth0:", "urn:okta:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    url::Url::parse(uri)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && matches!(u.host_str(), Some("auth0.com" | "okta.com")))
}

/// Validates `subject_token_type` (type, length, URI, reserved namespaces).
fn check_subject_token_type(map: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(value) = schema::string(map, SUBJECT_TOKEN_TYPE, 8, 100)? else {
        return Ok(None);
    };
    if !schema::is_uri(value) {
        return Err(SUBJECT_TOKEN_TYPE.error(format!("Object didn't pass validation for format url: {value}")));
    }
    if is_reserved(value) {
        return Err(ApiError::invalid_body(
            "The subject_token_type uses a reserved namespace (http(s)://auth0.com, http(s)://okta.com, urn:ietf:, \
             urn:auth0:, urn:okta:)",
        ));
    }
    Ok(Some(value.to_owned()))
}

fn not_found() -> ApiError {
    ApiError::not_found(
        "The token exchange profile does not exist",
        "inexistent_token_exchange_profile",
    )
}

/// Checks configured profiles with the API's rules (the Action may be registered later).
pub(crate) fn validate_config_profiles(profiles: &[TokenExchangeProfileConfig]) -> Result<(), EmulatorError> {
    let mut seen = std::collections::HashSet::new();
    for p in profiles {
        let mut map = Map::new();
        map.insert("name".into(), json!(p.name));
        map.insert("subject_token_type".into(), json!(p.subject_token_type));
        map.insert("action_id".into(), json!(p.action_id));
        map.insert("type".into(), json!(p.profile_type));
        check_body(&map).map_err(|e| {
            EmulatorError::InvalidConfig(format!(
                "token exchange profile {:?}: {}",
                p.subject_token_type, e.message
            ))
        })?;
        if !seen.insert(p.subject_token_type.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "two token exchange profiles have the subject_token_type {}",
                p.subject_token_type
            )));
        }
    }
    Ok(())
}

/// Schema checks of a create body; returns (name, subject_token_type, action_id, type).
fn check_body(map: &Map<String, Value>) -> Result<(String, String, String, String), ApiError> {
    schema::only(map, &[NAME, SUBJECT_TOKEN_TYPE, ACTION_ID, TYPE])?;
    schema::required(map, &[NAME, SUBJECT_TOKEN_TYPE, ACTION_ID, TYPE])?;
    let name = schema::string(map, NAME, 3, 50)?.expect("required").to_owned();
    let subject_token_type = check_subject_token_type(map)?.expect("required");
    let action_id = schema::string(map, ACTION_ID, 1, 36)?.expect("required").to_owned();
    let profile_type = schema::string(map, TYPE, 1, 21)?.expect("required").to_owned();
    if profile_type != PROFILE_TYPE_CUSTOM_AUTHENTICATION {
        return Err(TYPE.error(format!("No enum match for: \"{profile_type}\"")));
    }
    Ok((name, subject_token_type, action_id, profile_type))
}

/// `POST /api/v2/token-exchange-profiles`.
pub(super) async fn create(State(tenant): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    respond(create_profile(&tenant, &headers, &body))
}

fn create_profile(tenant: &Tenant, headers: &HeaderMap, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["create:token_exchange_profiles"])?;
    let map = schema::object(body)?;
    let (name, subject_token_type, action_id, profile_type) = check_body(&map)?;
    if !tenant.actions.exists(&action_id, ActionTrigger::CustomTokenExchange) {
        return Err(ApiError::invalid_body(format!(
            "The action {action_id} does not exist or does not use the custom-token-exchange trigger"
        )));
    }
    let now = now_iso8601();
    let profile = TokenExchangeProfileConfig {
        id: format!("tep_{}", random_alnum(16)),
        name,
        subject_token_type,
        action_id,
        profile_type,
        created_at: now.clone(),
        updated_at: now,
    };
    // Changes are serialised: two concurrent creations cannot both pass the check.
    change(tenant, |registry| {
        if registry
            .profiles
            .iter()
            .any(|p| p.subject_token_type == profile.subject_token_type)
        {
            return Err(ApiError::conflict(
                "A token exchange profile with the same subject_token_type already exists",
            ));
        }
        registry.profiles.push(profile.clone());
        Ok(())
    })?;
    Ok((StatusCode::CREATED, profile.to_json()))
}

/// `GET /api/v2/token-exchange-profiles?from=&take=` (checkpoint pagination).
pub(super) async fn list(State(tenant): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    respond(list_profiles(&tenant, &headers, uri.query()))
}

fn list_profiles(tenant: &Tenant, headers: &HeaderMap, query: Option<&str>) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["read:token_exchange_profiles"])?;
    let pairs = schema::query(query, &["from", "take"])?;
    let take = schema::query_int(&pairs, "take", 1, MAX_TAKE)?.unwrap_or(DEFAULT_TAKE) as usize;
    let from = pairs.iter().find(|(k, _)| k == "from").map(|(_, v)| v.as_str());
    let registry = tenant.registry();
    let start = match from {
        None | Some("") => 0,
        Some(id) => registry
            .profiles
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| ApiError::query("The from checkpoint does not exist", Some("from")))?,
    };
    let page: Vec<Value> = registry.profiles[start..]
        .iter()
        .take(take)
        .map(TokenExchangeProfileConfig::to_json)
        .collect();
    let mut body = json!({ "token_exchange_profiles": page });
    if let Some(next) = registry.profiles.get(start + take) {
        body["next"] = json!(next.id);
    }
    Ok((StatusCode::OK, body))
}

/// `GET /api/v2/token-exchange-profiles/{id}`.
pub(super) async fn get_one(State(tenant): State<AppState>, headers: HeaderMap, ObjectId(id): ObjectId) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["read:token_exchange_profiles"])?;
        let registry = tenant.registry();
        let profile = registry.profiles.iter().find(|p| p.id == id).ok_or_else(not_found)?;
        Ok((StatusCode::OK, profile.to_json()))
    })())
}

/// `PATCH /api/v2/token-exchange-profiles/{id}`: `name` and/or `subject_token_type`.
pub(super) async fn update(
    State(tenant): State<AppState>,
    headers: HeaderMap,
    ObjectId(id): ObjectId,
    body: Bytes,
) -> Response {
    respond(update_profile(&tenant, &headers, &id, &body))
}

fn update_profile(
    tenant: &Tenant,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    authorize(tenant, headers, &["update:token_exchange_profiles"])?;
    let map = schema::object(body)?;
    schema::only(&map, &[NAME, SUBJECT_TOKEN_TYPE])?;
    schema::not_empty(&map)?;
    let name = schema::string(&map, NAME, 3, 50)?.map(str::to_owned);
    let subject_token_type = check_subject_token_type(&map)?;
    let updated = change(tenant, |registry| {
        if !registry.profiles.iter().any(|p| p.id == id) {
            return Err(not_found());
        }
        if let Some(t) = &subject_token_type {
            if registry
                .profiles
                .iter()
                .any(|p| p.subject_token_type == *t && p.id != id)
            {
                return Err(ApiError::conflict(
                    "A token exchange profile with the same subject_token_type already exists",
                ));
            }
        }
        let profile = registry
            .profiles
            .iter_mut()
            .find(|p| p.id == id)
            .expect("checked above");
        if let Some(name) = name {
            profile.name = name;
        }
        if let Some(t) = subject_token_type {
            profile.subject_token_type = t;
        }
        profile.updated_at = now_iso8601();
        Ok(profile.clone())
    })?;
    Ok((StatusCode::OK, updated.to_json()))
}

/// `DELETE /api/v2/token-exchange-profiles/{id}`.
pub(super) async fn delete(State(tenant): State<AppState>, headers: HeaderMap, ObjectId(id): ObjectId) -> Response {
    respond((|| {
        authorize(&tenant, &headers, &["delete:token_exchange_profiles"])?;
        change(&tenant, |registry| {
            let before = registry.profiles.len();
            registry.profiles.retain(|p| p.id != id);
            if registry.profiles.len() == before {
                return Err(not_found());
            }
            Ok(())
        })?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    const KEYS: &[&str] = &["name", "subject_token_type", "action_id", "type"];

    proptest! {
        #![proptest_config(support::config())]

        /// Any body, to every profile endpoint: a clean answer, never a panic; a created
        /// profile is listed.
        #[test]
        fn prop_any_profile_request_is_answered(
            create in support::json_body(KEYS),
            update in support::json_body(KEYS),
            id in prop_oneof![Just("tep_google_sample".to_owned()), support::text()],
            query in support::text(),
        ) {
            let tenant = support::tenant();
            let headers = support::management_headers();
            if let Ok((status, profile)) = create_profile(&tenant, &headers, &create) {
                prop_assert_eq!(status, StatusCode::CREATED);
                let id = profile["id"].as_str().unwrap();
                prop_assert!(tenant.registry().profiles.iter().any(|p| p.id == id));
            }
            let _ = update_profile(&tenant, &headers, &id, &update);
            let _ = list_profiles(&tenant, &headers, Some(&query));
        }
    }

    fn body(v: Value) -> Result<(String, String, String, String), ApiError> {
        check_body(v.as_object().unwrap())
    }

    #[test]
    fn boundaries() {
        let ok = json!({"name": "Acme", "subject_token_type": "urn:acme:x", "action_id": "a", "type": "custom_authentication"});
        assert_eq!(body(ok.clone()).unwrap().0, "Acme");
        let mut nameless = ok.clone();
        nameless.as_object_mut().unwrap().remove("name");
        assert!(
            body(nameless)
                .unwrap_err()
                .message
                .contains("Missing required property: name")
        );
        let with = |k: &str, v: Value| {
            let mut b = ok.clone();
            b[k] = v;
            body(b)
        };
        assert!(with("name", json!("ab")).is_err());
        assert!(with("name", json!("abc")).is_ok());
        assert!(with("name", json!("a".repeat(50))).is_ok());
        assert!(with("name", json!("a".repeat(51))).is_err());
        assert!(with("subject_token_type", json!("urn:a:b")).is_err());
        assert!(with("subject_token_type", json!("urn:a:bc")).is_ok());
        let uri100 = format!("https://e.example/{}", "p".repeat(82));
        assert!(with("subject_token_type", json!(uri100.clone())).is_ok());
        assert!(with("subject_token_type", json!(format!("{uri100}p"))).is_err());
        assert!(with("subject_token_type", json!("not a uri at all")).is_err());
        for reserved in [
            "urn:ietf:params:x",
            "https://auth0.com/x",
            "http://okta.com/y",
            "URN:AUTH0:zz",
            "urn:okta:zz",
        ] {
            let e = with("subject_token_type", json!(reserved)).unwrap_err();
            assert!(e.message.contains("reserved"), "{reserved}");
        }
        assert!(with("action_id", json!("a".repeat(36))).is_ok());
        assert!(with("action_id", json!("a".repeat(37))).is_err());
        assert!(with("action_id", json!("")).is_err());
        assert!(
            with("type", json!("custom"))
                .unwrap_err()
                .message
                .contains("No enum match")
        );
        assert!(
            with("type", json!("c".repeat(22)))
                .unwrap_err()
                .message
                .contains("too long")
        );
        assert!(
            with("extra", json!(1))
                .unwrap_err()
                .message
                .contains("Additional properties")
        );
    }
}
