//! Request body and query checks that answer with the messages of Auth0's JSON-schema
//! validation (`Additional properties not allowed: x`, `String is too short (2 chars),
//! minimum 3`, ...). Lengths are counted in characters.

use serde_json::{Map, Value};

use super::errors::{ApiError, json_type};

/// A property of a request body: its name and the description Auth0's messages quote.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
}

impl Prop {
    pub(crate) fn error(self, what: impl AsRef<str>) -> ApiError {
        ApiError::payload(what, Some((self.name, self.description)))
    }
}

/// The `{id}` of a path like `/clients/{id}`. `.` and `..` are refused with `400` before any
/// lookup: they name no object, and a client that let them through would have had its URL
/// resolved to another endpoint.
pub(crate) struct ObjectId(pub(crate) String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ObjectId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(id) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid_id())?;
        if id.is_empty() || id == "." || id == ".." {
            return Err(invalid_id());
        }
        Ok(Self(id))
    }
}

fn invalid_id() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "Path validation error: 'Invalid id' on property id.",
        Some("invalid_uri"),
    )
}

/// Parses the body as a JSON object.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Invalid request payload JSON format",
            None,
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::payload(
            format!("Expected type object but found type {}", json_type(&other)),
            None,
        )),
    }
}

/// Rejects members other than `allowed`.
pub(crate) fn only(map: &Map<String, Value>, allowed: &[Prop]) -> Result<(), ApiError> {
    let extra: Vec<&str> = map
        .keys()
        .filter(|k| !allowed.iter().any(|p| p.name == k.as_str()))
        .map(String::as_str)
        .collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(ApiError::payload(
            format!("Additional properties not allowed: {}", extra.join(",")),
            None,
        ))
    }
}

/// Requires the members `names`.
pub(crate) fn required(map: &Map<String, Value>, names: &[Prop]) -> Result<(), ApiError> {
    match names.iter().find(|p| !map.contains_key(p.name)) {
        Some(p) => Err(ApiError::payload(
            format!("Missing required property: {}", p.name),
            None,
        )),
        None => Ok(()),
    }
}

/// Requires at least one member.
pub(crate) fn not_empty(map: &Map<String, Value>) -> Result<(), ApiError> {
    if map.is_empty() {
        Err(ApiError::payload("Too few properties defined (0), minimum 1", None))
    } else {
        Ok(())
    }
}

/// An optional string member of `min..=max` characters.
pub(crate) fn string(map: &Map<String, Value>, prop: Prop, min: usize, max: usize) -> Result<Option<&str>, ApiError> {
    let Some(value) = map.get(prop.name) else {
        return Ok(None);
    };
    let Value::String(s) = value else {
        return Err(prop.error(format!("Expected type string but found type {}", json_type(value))));
    };
    let n = s.chars().count();
    if n < min {
        return Err(prop.error(format!("String is too short ({n} chars), minimum {min}")));
    }
    if n > max {
        return Err(prop.error(format!("String is too long ({n} chars), maximum {max}")));
    }
    Ok(Some(s))
}

/// An optional array-of-strings member.
pub(crate) fn strings(map: &Map<String, Value>, prop: Prop) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = map.get(prop.name) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(prop.error(format!("Expected type array but found type {}", json_type(value))));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(prop.error(format!("Expected type string but found type {}", json_type(other)))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Whether `value` is an absolute URI (a scheme, then no whitespace).
pub(crate) fn is_uri(value: &str) -> bool {
    !value.chars().any(char::is_whitespace) && url::Url::parse(value).is_ok()
}

/// The query parameters of a request, rejecting unknown ones.
pub(crate) fn query(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let extra: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !allowed.contains(k))
        .collect();
    if !extra.is_empty() {
        return Err(ApiError::query(
            format!("Additional properties not allowed: {}", extra.join(",")),
            None,
        ));
    }
    Ok(pairs)
}

/// An optional integer query parameter within `min..=max`.
pub(crate) fn query_int(pairs: &[(String, String)], name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some((_, raw)) = pairs.iter().find(|(k, _)| k == name) else {
        return Ok(None);
    };
    let value: i64 = raw
        .parse()
        .map_err(|_| ApiError::query("Expected type integer but found type string", Some(name)))?;
    if value < min {
        return Err(ApiError::query(
            format!("Value {value} is less than minimum {min}"),
            Some(name),
        ));
    }
    if value > max {
        return Err(ApiError::query(
            format!("Value {value} is greater than maximum {max}"),
            Some(name),
        ));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::proptest_support as support;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(support::config())]

        #[test]
        fn prop_any_body_is_an_object_or_refused(body in support::json_body(&["name"])) {
            let parsed = object(&body);
            let as_json: Option<Value> = serde_json::from_slice(&body).ok();
            prop_assert_eq!(parsed.is_ok(), as_json.is_some_and(|v| v.is_object()));
        }

        #[test]
        fn prop_any_query_is_read_or_refused(raw in support::text(), min in any::<i64>(), max in any::<i64>()) {
            if let Ok(pairs) = query(Some(&raw), &["from", "take"]) {
                if let Ok(Some(v)) = query_int(&pairs, "take", min, max) {
                    prop_assert!(v >= min && v <= max);
                }
            }
        }
    }

    const NAME: Prop = Prop {
        name: "name",
        description: "Friendly name",
    };

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn messages_follow_auth0() {
        let m = map(json!({"name": "ab", "x": 1}));
        assert!(
            only(&m, &[NAME])
                .unwrap_err()
                .message
                .contains("Additional properties not allowed: x")
        );
        let e = string(&m, NAME, 3, 50).unwrap_err();
        assert_eq!(
            e.message,
            "Payload validation error: 'String is too short (2 chars), minimum 3' on property name (Friendly name)."
        );
        let m = map(json!({"name": 5}));
        assert!(
            string(&m, NAME, 3, 50)
                .unwrap_err()
                .message
                .contains("found type integer")
        );
        assert!(
            required(&map(json!({})), &[NAME])
                .unwrap_err()
                .message
                .contains("Missing required property: name")
        );
        assert!(object(b"[1]").unwrap_err().message.contains("Expected type object"));
        assert_eq!(object(b"{").unwrap_err().message, "Invalid request payload JSON format");
        assert!(is_uri("urn:a:bc") && is_uri("https://x.example/a") && !is_uri("not a uri") && !is_uri("abc"));
        let q = query(Some("take=101&from=x"), &["take", "from"]).unwrap();
        assert!(
            query_int(&q, "take", 1, 100)
                .unwrap_err()
                .message
                .contains("greater than maximum 100")
        );
        assert!(query(Some("page=1"), &["take"]).is_err());
    }
}
