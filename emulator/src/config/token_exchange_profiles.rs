//! Token exchange profiles as configured: which Action validates the subject tokens of which
//! `subject_token_type` in Custom Token Exchange.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The name a profile gets when none is given.
pub const DEFAULT_PROFILE_NAME: &str = "Token Exchange Profile 1";
/// The one profile `type`.
pub const PROFILE_TYPE_CUSTOM_AUTHENTICATION: &str = "custom_authentication";

/// A token exchange profile, as configured and as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangeProfileConfig {
    /// The profile id (`tep_…`). In a config file it may be omitted: it is then derived
    /// from the subject token type.
    #[serde(default)]
    pub id: String,
    /// Friendly name, 3 to 50 characters.
    #[serde(default = "default_name")]
    pub name: String,
    /// The `subject_token_type` this profile handles (a URI, 8 to 100 characters).
    pub subject_token_type: String,
    /// The Action (`custom-token-exchange` trigger) that validates the subject token.
    pub action_id: String,
    /// Always `custom_authentication`.
    #[serde(rename = "type", default = "default_type")]
    pub profile_type: String,
    /// Creation time (ISO 8601 with milliseconds); set by the emulator when empty.
    #[serde(default)]
    pub created_at: String,
    /// Last update time (ISO 8601 with milliseconds); set by the emulator when empty.
    #[serde(default)]
    pub updated_at: String,
}

fn default_name() -> String {
    DEFAULT_PROFILE_NAME.to_owned()
}

fn default_type() -> String {
    PROFILE_TYPE_CUSTOM_AUTHENTICATION.to_owned()
}

impl TokenExchangeProfileConfig {
    /// A profile with the default name and type.
    pub fn new(subject_token_type: impl Into<String>, action_id: impl Into<String>) -> Self {
        Self {
            id: String::new(),
            name: default_name(),
            subject_token_type: subject_token_type.into(),
            action_id: action_id.into(),
            profile_type: default_type(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The profile as the Management API returns it.
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
