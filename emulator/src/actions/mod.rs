//! Auth0 Actions: code the tenant runs during a transaction. Two triggers are emulated:
//!
//! * `custom-token-exchange`: the Action bound to a token exchange profile validates the
//!   subject token and sets the user (`onExecuteCustomTokenExchange(event, api)`);
//! * `credentials-exchange`: every Action of this trigger runs, in order, before an access
//!   token is issued by the client credentials grant or by a Custom Token Exchange
//!   (`onExecuteCredentialsExchange(event, api)`): deny, custom claims, target scopes.
//!
//! An Action is Rust (the [`Action`] trait, for in-process tests) or JavaScript in Auth0's
//! form, run with the machine's Node.js ([`javascript`]). Both get the same `event` JSON and
//! the same `api` semantics ([`ActionApi`]).

mod api;
mod cache;
mod javascript;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use api::{ActionApi, ActionEvent};
pub(crate) use api::{Denial, Outcome, UserChoice};
use cache::ActionCache;
pub use cache::{
    CacheRecord, CacheSetOptions, DEFAULT_CACHE_TTL, MAX_CACHE_KEY_BYTES, MAX_CACHE_TTL, MAX_CACHE_VALUE_BYTES,
};
use javascript::{JsFailure, JsSource};

use crate::config::EmulatorConfig;
use crate::errors::{EmulatorError, OAuthError};

/// Time limit of one Action run when the configuration sets none: 5 seconds.
pub const DEFAULT_ACTION_TIMEOUT_MS: u64 = 5_000;

/// The Actions triggers the emulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionTrigger {
    /// `custom-token-exchange`: validates the subject token of a Custom Token Exchange.
    #[serde(rename = "custom-token-exchange")]
    CustomTokenExchange,
    /// `credentials-exchange`: runs before access tokens of the client credentials grant
    /// and of Custom Token Exchange are issued.
    #[serde(rename = "credentials-exchange")]
    CredentialsExchange,
}

impl ActionTrigger {
    /// The trigger id, e.g. `custom-token-exchange`.
    pub fn id(self) -> &'static str {
        match self {
            Self::CustomTokenExchange => "custom-token-exchange",
            Self::CredentialsExchange => "credentials-exchange",
        }
    }

    /// The function a JavaScript Action exports for this trigger.
    pub fn handler_name(self) -> &'static str {
        match self {
            Self::CustomTokenExchange => "onExecuteCustomTokenExchange",
            Self::CredentialsExchange => "onExecuteCredentialsExchange",
        }
    }
}

/// An Action written in Rust. `Err` is a thrown error: the transaction fails with
/// `500 server_error` (the message is not sent to the client).
///
/// Closures `Fn(&ActionEvent, &mut ActionApi) -> Result<(), String>` are Actions:
///
/// ```
/// use std::sync::Arc;
/// use token_exchange_emulator::{Action, ActionApi, ActionEvent};
/// let add_tier: Arc<dyn Action> = Arc::new(|_event: &ActionEvent, api: &mut ActionApi| {
///     api.set_custom_claim("https://example.com/tier", "gold");
///     Ok(())
/// });
/// ```
pub trait Action: Send + Sync + 'static {
    /// Runs the Action (on a blocking thread, under the time limit).
    fn execute(&self, event: &ActionEvent, api: &mut ActionApi) -> Result<(), String>;
}

impl<F> Action for F
where
    F: Fn(&ActionEvent, &mut ActionApi) -> Result<(), String> + Send + Sync + 'static,
{
    fn execute(&self, event: &ActionEvent, api: &mut ActionApi) -> Result<(), String> {
        self(event, api)
    }
}

/// A Rust Action inside an [`ActionConfig`] (not serialised; equal when it is the same `Arc`).
#[derive(Clone)]
pub struct RustAction(pub Arc<dyn Action>);

impl std::fmt::Debug for RustAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RustAction")
    }
}

impl PartialEq for RustAction {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

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

    fn validate(&self) -> Result<(), String> {
        let n = self.id.chars().count();
        if n == 0 || n > 36 {
            return Err(format!("action id {:?} must be 1 to 36 characters", self.id));
        }
        let kinds = [self.js_file.is_some(), self.js_code.is_some(), self.rust.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(format!(
                "action {} needs exactly one of js_file, js_code (or a Rust action)",
                self.id
            ));
        }
        Ok(())
    }
}

/// Checks the `actions` of a configuration (ids, one implementation each, no duplicates).
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let mut ids = HashSet::new();
    for action in &config.actions {
        action.validate().map_err(EmulatorError::InvalidConfig)?;
        if !ids.insert(action.id.as_str()) {
            return Err(EmulatorError::InvalidConfig(format!(
                "duplicate action id {}",
                action.id
            )));
        }
    }
    if config.action_timeout_ms == 0 {
        return Err(EmulatorError::InvalidConfig(
            "action_timeout_ms must be at least 1".into(),
        ));
    }
    Ok(())
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

/// The Node.js executable the configuration names (default `node` on `PATH`).
pub(crate) fn node_path(config: &EmulatorConfig) -> PathBuf {
    config.node_path.clone().unwrap_or_else(|| PathBuf::from("node"))
}

/// Startup checks for JavaScript Actions given as files: the files are readable and Node.js
/// runs. A clear error instead of failing transactions later.
pub(crate) async fn check_startup(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let files: Vec<&ActionConfig> = config.actions.iter().filter(|a| a.js_file.is_some()).collect();
    if files.is_empty() {
        return Ok(());
    }
    for action in &files {
        let path = action.js_file.as_ref().expect("filtered on js_file");
        if let Err(e) = std::fs::metadata(path) {
            return Err(EmulatorError::InvalidConfig(format!(
                "action {}: cannot read {}: {e}",
                action.id,
                path.display()
            )));
        }
    }
    let node = node_path(config);
    javascript::probe(&node).await.map(|_| ()).map_err(|e| {
        let ids: Vec<&str> = files.iter().map(|a| a.id.as_str()).collect();
        EmulatorError::InvalidConfig(format!(
            "JavaScript Actions ({}) need Node.js, which is not available: {e}. Install Node.js 18 or later, \
             put `node` on PATH or set node_path, or remove these actions",
            ids.join(", ")
        ))
    })
}

/// How an Action is implemented.
#[derive(Clone)]
enum Implementation {
    Rust(Arc<dyn Action>),
    Js(JsSource),
}

/// An Action the emulator can run.
#[derive(Clone)]
pub(crate) struct RegisteredAction {
    pub(crate) id: String,
    pub(crate) trigger: ActionTrigger,
    implementation: Implementation,
    secrets: Map<String, Value>,
}

impl RegisteredAction {
    fn from_config(config: &ActionConfig, base_url: &str) -> Self {
        let implementation = match (&config.rust, &config.js_file, &config.js_code) {
            (Some(rust), _, _) => Implementation::Rust(rust.0.clone()),
            (None, Some(file), _) => Implementation::Js(JsSource::File(file.clone())),
            (None, None, code) => Implementation::Js(JsSource::Code {
                code: Arc::from(code.clone().unwrap_or_default()),
                filename: format!("{}.js", config.id),
            }),
        };
        Self {
            id: config.id.clone(),
            trigger: config.trigger,
            implementation,
            secrets: config
                .secrets
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.replace("{base_url}", base_url))))
                .collect(),
        }
    }
}

/// Why an Action run failed (the transaction gets `500 server_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionFailure {
    action_id: String,
    what: String,
}

impl ActionFailure {
    fn new(action_id: &str, what: impl Into<String>) -> Self {
        Self {
            action_id: action_id.to_owned(),
            what: what.into(),
        }
    }

    /// `500 server_error` describing the failure (never the Action's error message, which
    /// could hold secrets).
    pub(crate) fn into_oauth(self) -> OAuthError {
        server_error(format!("Action {} {}", self.action_id, self.what))
    }
}

/// `500 server_error`.
pub(crate) fn server_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", description)
}

/// The tenant's Actions, their cache and clock, and how to run them.
pub(crate) struct ActionsState {
    actions: RwLock<Vec<RegisteredAction>>,
    cache: ActionCache,
    clock_offset_ms: AtomicU64,
    /// System time (ms) at which the clock was frozen; `0` while it follows system time.
    clock_frozen_at_ms: AtomicU64,
    node: PathBuf,
    timeout: Duration,
    base_url: String,
}

impl ActionsState {
    pub(crate) fn new(config: &EmulatorConfig, base_url: &str) -> Self {
        Self {
            actions: RwLock::new(
                config
                    .actions
                    .iter()
                    .map(|a| RegisteredAction::from_config(a, base_url))
                    .collect(),
            ),
            cache: ActionCache::default(),
            clock_offset_ms: AtomicU64::new(0),
            clock_frozen_at_ms: AtomicU64::new(0),
            node: node_path(config),
            timeout: Duration::from_millis(config.action_timeout_ms),
            base_url: base_url.to_owned(),
        }
    }

    /// The Actions clock, in ms since the epoch: system time (or the time it was frozen at)
    /// plus what tests advanced it by.
    pub(crate) fn now_ms(&self) -> u64 {
        let base = match self.clock_frozen_at_ms.load(Ordering::Relaxed) {
            0 => system_ms(),
            frozen => frozen,
        };
        base + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Stops the Actions clock from following system time (it then moves only when
    /// advanced).
    pub(crate) fn freeze_clock(&self) {
        let _ = self
            .clock_frozen_at_ms
            .compare_exchange(0, system_ms(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Moves the Actions clock forward.
    pub(crate) fn advance_clock(&self, by: Duration) {
        self.clock_offset_ms.fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }

    /// Adds an Action, replacing one with the same id.
    pub(crate) fn register(&self, config: &ActionConfig) -> Result<(), String> {
        config.validate()?;
        let action = RegisteredAction::from_config(config, &self.base_url);
        let mut actions = self.actions.write().unwrap_or_else(|p| p.into_inner());
        actions.retain(|a| a.id != action.id);
        actions.push(action);
        Ok(())
    }

    /// Removes an Action; whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let mut actions = self.actions.write().unwrap_or_else(|p| p.into_inner());
        let before = actions.len();
        actions.retain(|a| a.id != id);
        actions.len() != before
    }

    /// The Action with this id.
    pub(crate) fn get(&self, id: &str) -> Option<RegisteredAction> {
        let actions = self.actions.read().unwrap_or_else(|p| p.into_inner());
        actions.iter().find(|a| a.id == id).cloned()
    }

    /// Whether `id` is an Action of `trigger`.
    pub(crate) fn exists(&self, id: &str, trigger: ActionTrigger) -> bool {
        self.get(id).is_some_and(|a| a.trigger == trigger)
    }

    fn of_trigger(&self, trigger: ActionTrigger) -> Vec<RegisteredAction> {
        let actions = self.actions.read().unwrap_or_else(|p| p.into_inner());
        actions.iter().filter(|a| a.trigger == trigger).cloned().collect()
    }

    /// Runs one Action. Its cache changes are kept when it completes, even if it denied.
    pub(crate) async fn run(
        &self,
        action: &RegisteredAction,
        event: &Value,
        target_scopes: Vec<String>,
    ) -> Result<Outcome, ActionFailure> {
        let now_ms = self.now_ms();
        let snapshot = self.cache.snapshot(action.trigger, now_ms);
        let mut event = event.clone();
        event["secrets"] = Value::Object(action.secrets.clone());
        let limit = self.timeout;
        let too_slow = || ActionFailure::new(&action.id, format!("did not complete within {} ms", limit.as_millis()));
        let api = match &action.implementation {
            Implementation::Rust(handler) => {
                let handler = handler.clone();
                let mut api = ActionApi::new(action.trigger, now_ms, snapshot, target_scopes);
                let event = ActionEvent(event);
                let task = tokio::task::spawn_blocking(move || {
                    let result = handler.execute(&event, &mut api);
                    (api, result)
                });
                match tokio::time::timeout(limit, task).await {
                    Err(_) => return Err(too_slow()),
                    Ok(Err(_)) => return Err(ActionFailure::new(&action.id, "panicked")),
                    Ok(Ok((_, Err(_)))) => return Err(ActionFailure::new(&action.id, "threw an error")),
                    Ok(Ok((api, Ok(())))) => api,
                }
            }
            Implementation::Js(source) => {
                let cache_json: Map<String, Value> = snapshot
                    .iter()
                    .map(|(k, r)| (k.clone(), json!({"value": r.value, "expires_at": r.expires_at})))
                    .collect();
                let request = javascript::request(
                    source,
                    action.trigger.handler_name(),
                    json!({
                        "trigger": action.trigger.id(),
                        "event": event,
                        "cache": cache_json,
                        "now_ms": now_ms,
                        "target_scopes": target_scopes,
                        "default_ttl_ms": DEFAULT_CACHE_TTL.as_millis() as u64,
                        "max_ttl_ms": MAX_CACHE_TTL.as_millis() as u64,
                    }),
                );
                let ops = javascript::run(&self.node, &request, limit)
                    .await
                    .map_err(|f| match f {
                        JsFailure::NodeUnavailable(why) => {
                            ActionFailure::new(&action.id, format!("could not run: Node.js is not available ({why})"))
                        }
                        JsFailure::Threw(Some(name)) => {
                            ActionFailure::new(&action.id, format!("threw an error ({name})"))
                        }
                        JsFailure::Threw(None) => ActionFailure::new(&action.id, "threw an error"),
                        JsFailure::NoHandler => {
                            ActionFailure::new(&action.id, format!("does not export {}", action.trigger.handler_name()))
                        }
                        JsFailure::TimedOut => too_slow(),
                        JsFailure::NoResult => ActionFailure::new(
                            &action.id,
                            "ended without completing (did it await a promise that never settles?)",
                        ),
                    })?;
                let mut api = ActionApi::new(action.trigger, now_ms, snapshot, target_scopes);
                for op in &ops {
                    api.replay(op);
                }
                api
            }
        };
        let outcome = api.outcome;
        self.cache.apply(action.trigger, &outcome.cache_ops);
        Ok(outcome)
    }

    /// Runs every Action of `trigger` in order, each seeing the target scopes the previous
    /// left. Stops at the first denial or misuse.
    pub(crate) async fn run_trigger(
        &self,
        trigger: ActionTrigger,
        event: &Value,
        target_scopes: Vec<String>,
    ) -> Result<Outcome, ActionFailure> {
        let mut merged = Outcome {
            target_scopes,
            ..Outcome::default()
        };
        for action in self.of_trigger(trigger) {
            let outcome = self.run(&action, event, merged.target_scopes.clone()).await?;
            merged.claims.extend(outcome.claims);
            merged.target_scopes = outcome.target_scopes;
            merged.denial = outcome.denial;
            merged.misuse = outcome.misuse;
            if merged.denial.is_some() || merged.misuse.is_some() {
                break;
            }
        }
        Ok(merged)
    }
}

/// Claims `api.accessToken.setCustomClaim` cannot set (silently left out, as Auth0 does).
pub const RESTRICTED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "scope",
    "gty",
    "cnf",
    "act",
    "may_act",
    "org_id",
    "org_name",
    "permissions",
    "client_id",
];

/// The custom claims an Action set, without the restricted ones.
pub(crate) fn custom_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .filter(|(k, _)| !k.is_empty() && !RESTRICTED_CLAIMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// System time in ms since the epoch.
fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Codes `api.access.deny` may use in the credentials-exchange trigger.
pub const CREDENTIALS_EXCHANGE_DENY_CODES: &[&str] = &["invalid_scope", "invalid_request", "server_error"];

/// An error code as `&'static str`: known codes as they are, others interned (each distinct
/// code is allocated once).
fn intern(code: &str) -> &'static str {
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(known) = codes.get(code) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    codes.insert(leaked);
    leaked
}

/// The token endpoint's answer to an Action's denial.
///
/// * `rejectInvalidSubjectToken(reason)`: `400 invalid_request`, counted by brute-force
///   protection;
/// * `deny("server_error", reason)`: `500 server_error`;
/// * `deny("invalid_request" | "invalid_scope", reason)`: `400` with that code;
/// * credentials-exchange, any other code: `500 server_error` saying the code is not allowed;
/// * custom-token-exchange, a code of your own (`[A-Za-z0-9_.-]`, 1 to 64 characters): `400`
///   with that code; a malformed code: `500 server_error`.
pub(crate) fn denial_error(trigger: ActionTrigger, denial: &Denial) -> OAuthError {
    let (code, reason) = match denial {
        Denial::InvalidSubjectToken(reason) => {
            let reason = if reason.is_empty() {
                "Invalid subject token"
            } else {
                reason
            };
            let mut e = OAuthError::invalid_request(reason);
            e.failed_attempt = true;
            return e;
        }
        Denial::Deny { code, reason } => (code.as_str(), reason.as_str()),
    };
    let reason = if reason.is_empty() {
        "Access denied by an Action"
    } else {
        reason
    };
    match code {
        "server_error" => server_error(reason),
        "invalid_request" | "invalid_scope" => OAuthError::new(StatusCode::BAD_REQUEST, intern(code), reason),
        _ if trigger == ActionTrigger::CredentialsExchange => server_error(format!(
            "api.access.deny was called with the code {code:?}, which the credentials-exchange trigger does not \
             allow (allowed: {})",
            CREDENTIALS_EXCHANGE_DENY_CODES.join(", ")
        )),
        _ if !code.is_empty()
            && code.len() <= 64
            && code.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) =>
        {
            OAuthError::new(StatusCode::BAD_REQUEST, intern(code), reason)
        }
        _ => server_error("api.access.deny was called with a malformed error code"),
    }
}

impl crate::Emulator {
    /// Registers a Rust Action for `trigger` (replacing an Action with the same id). A
    /// `custom-token-exchange` Action is run by the profiles naming its id; every
    /// `credentials-exchange` Action runs, in registration order, before access tokens of the
    /// client credentials grant and of Custom Token Exchange are issued.
    pub fn register_action(
        &self,
        id: &str,
        trigger: ActionTrigger,
        action: Arc<dyn Action>,
    ) -> Result<(), EmulatorError> {
        self.add_action(ActionConfig::rust(id, trigger, action))
    }

    /// Registers an Action of any kind (Rust, JavaScript file or source). For a JavaScript
    /// file, only the file is checked here; Node.js is looked for when the Action runs.
    pub fn add_action(&self, action: ActionConfig) -> Result<(), EmulatorError> {
        if let Some(file) = &action.js_file {
            std::fs::metadata(file).map_err(|e| {
                EmulatorError::InvalidConfig(format!("action {}: cannot read {}: {e}", action.id, file.display()))
            })?;
        }
        self.shared()
            .actions
            .register(&action)
            .map_err(EmulatorError::InvalidConfig)
    }

    /// Removes an Action; whether there was one. Profiles naming it then fail with
    /// `server_error`.
    pub fn remove_action(&self, id: &str) -> bool {
        self.shared().actions.remove(id)
    }

    /// Moves the Actions clock forward (what `api.cache` lifetimes are measured with), to
    /// test expiry without waiting.
    pub fn advance_actions_clock(&self, by: Duration) {
        self.shared().actions.advance_clock(by);
    }

    /// Stops the Actions clock: from now on it moves only by
    /// [`Emulator::advance_actions_clock`](crate::Emulator::advance_actions_clock), so cache
    /// lifetimes can be tested to the millisecond.
    pub fn freeze_actions_clock(&self) {
        self.shared().actions.freeze_clock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(code: &str) -> Denial {
        Denial::Deny {
            code: code.into(),
            reason: "why".into(),
        }
    }

    #[test]
    fn denial_codes_map_to_oauth_errors() {
        let ce = ActionTrigger::CredentialsExchange;
        let cte = ActionTrigger::CustomTokenExchange;
        let e = denial_error(ce, &deny("invalid_scope"));
        assert_eq!(
            (e.status.as_u16(), e.error, e.description.as_str()),
            (400, "invalid_scope", "why")
        );
        assert_eq!(denial_error(ce, &deny("invalid_request")).status.as_u16(), 400);
        assert_eq!(denial_error(ce, &deny("server_error")).status.as_u16(), 500);
        let e = denial_error(ce, &deny("access_denied"));
        assert_eq!((e.status.as_u16(), e.error), (500, "server_error"));
        assert!(e.description.contains("access_denied"));
        let e = denial_error(cte, &deny("Unauthorized_login"));
        assert_eq!((e.status.as_u16(), e.error), (400, "Unauthorized_login"));
        assert_eq!(denial_error(cte, &deny("bad code!")).error, "server_error");
        let e = denial_error(cte, &Denial::InvalidSubjectToken(String::new()));
        assert!(e.failed_attempt && e.error == "invalid_request");
        assert!(std::ptr::eq(intern("custom_x"), intern("custom_x")));
    }

    #[test]
    fn config_validation() {
        let ok = ActionConfig::js_code("act_1", ActionTrigger::CredentialsExchange, "exports.x = 1");
        assert!(ok.validate().is_ok());
        assert!(
            ActionConfig::js_code("a".repeat(37), ActionTrigger::CredentialsExchange, "")
                .validate()
                .is_err()
        );
        let mut both = ok.clone();
        both.js_file = Some("x.js".into());
        assert!(both.validate().is_err());
        let json = r#"{"id":"act_g","trigger":"custom-token-exchange","js_file":"a/g.js"}"#;
        let mut parsed: Vec<ActionConfig> = vec![serde_json::from_str(json).unwrap()];
        resolve_paths(&mut parsed, Path::new("/etc/emu"));
        assert_eq!(parsed[0].js_file.as_deref(), Some(Path::new("/etc/emu/a/g.js")));
        assert!(serde_json::from_str::<ActionConfig>(r#"{"id":"x","trigger":"post-login","js_code":""}"#).is_err());
    }
}
