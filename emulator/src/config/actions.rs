//! Actions as configured: which code runs for which trigger, with which secrets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::action_api::{Action, ActionTrigger, RustAction};

/// Time limit of one Action run when the configuration sets none: 5 seconds.
pub const DEFAULT_ACTION_TIMEOUT_MS: u64 = 5_000;

/// An Action of the tenant, as configured. Exactly one of `js_file`, `js_code` and `rust`.
///
/// ```json
/// {"id": "act_google", "name": "Google ID token", "trigger": "custom-token-exchange",
///  "js_file": "actions/google-id-token.js", "secrets": {"GOOGLE_CLIENT_IDS": "123.apps.googleusercontent.com"}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionConfig {
    /// The Action id (1 to 36 characters): what `action_id` of a profile names.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The trigger it is bound to.
    pub trigger: ActionTrigger,
    /// A JavaScript file in Auth0's form (`exports.onExecuteCustomTokenExchange = async
    /// (event, api) => {...}`). In a config file, relative to the config file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_file: Option<PathBuf>,
    /// JavaScript source text, instead of a file. Node.js is only looked for when such an
    /// Action first runs (files are checked at startup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_code: Option<String>,
    /// `event.secrets`. `{base_url}` in a value is replaced by the emulator's base URL.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// A Rust Action (in-process only).
    #[serde(skip)]
    pub rust: Option<RustAction>,
}

impl ActionConfig {
    fn base(id: impl Into<String>, trigger: ActionTrigger) -> Self {
        let id = id.into();
        Self {
            name: id.clone(),
            id,
            trigger,
            js_file: None,
            js_code: None,
            secrets: BTreeMap::new(),
            rust: None,
        }
    }

    /// A JavaScript Action read from `path`.
    pub fn js_file(id: impl Into<String>, trigger: ActionTrigger, path: impl Into<PathBuf>) -> Self {
        Self {
            js_file: Some(path.into()),
            ..Self::base(id, trigger)
        }
    }

    /// A JavaScript Action given as source text.
    pub fn js_code(id: impl Into<String>, trigger: ActionTrigger, code: impl Into<String>) -> Self {
        Self {
            js_code: Some(code.into()),
            ..Self::base(id, trigger)
        }
    }

    /// A Rust Action.
    pub fn rust(id: impl Into<String>, trigger: ActionTrigger, action: Arc<dyn Action>) -> Self {
        Self {
            rust: Some(RustAction(action)),
            ..Self::base(id, trigger)
        }
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Adds a secret (`event.secrets[name]`).
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.insert(name.into(), value.into());
        self
    }
}

/// Makes relative `js_file` paths relative to `dir` (the config file's directory).
pub(crate) fn resolve_paths(actions: &mut [ActionConfig], dir: &Path) {
    for action in actions {
        if let Some(file) = &action.js_file {
            if file.is_relative() {
                action.js_file = Some(dir.join(file));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_files_are_relative_to_the_config_file_and_triggers_are_known() {
        let json = r#"{"id":"act_g","trigger":"custom-token-exchange","js_file":"a/g.js"}"#;
        let mut parsed: Vec<ActionConfig> = vec![serde_json::from_str(json).unwrap()];
        resolve_paths(&mut parsed, Path::new("/etc/emu"));
        assert_eq!(parsed[0].js_file.as_deref(), Some(Path::new("/etc/emu/a/g.js")));
        assert!(serde_json::from_str::<ActionConfig>(r#"{"id":"x","trigger":"post-login","js_code":""}"#).is_err());
    }
}
