//! Auth0 Actions: code the tenant runs during a transaction. Two triggers are emulated:
//!
//! * `custom-token-exchange`: the Action bound to a token exchange profile validates the
//!   subject token and sets the user (`onExecuteCustomTokenExchange(event, api)`);
//! * `credentials-exchange`: every Action of this trigger runs, in order, before an access
//!   token is issued by the client credentials grant or by a Custom Token Exchange
//!   (`onExecuteCredentialsExchange(event, api)`): deny, custom claims, target scopes.
//!
//! An Action is Rust (the `Action` trait, for in-process tests) or JavaScript in Auth0's form,
//! run with the machine's Node.js ([`javascript`]). Both get the same `event` JSON and the same
//! `api` semantics (`ActionApi`, in `action_api`); the registered Actions, their cache and
//! clock are the tenant's (`tenant::actions`). This module runs them and turns their outcome
//! into the token endpoint's answer.

mod javascript;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use javascript::JsFailure;

use crate::action_api::{
    ActionApi, ActionEvent, ActionTrigger, CREDENTIALS_EXCHANGE_DENY_CODES, DEFAULT_CACHE_TTL, Denial, MAX_CACHE_TTL,
    Outcome, RESTRICTED_CLAIMS,
};
use crate::config::{ActionConfig, EmulatorConfig};
use crate::errors::{EmulatorError, OAuthError, check_lifetimes};
use crate::tenant::{ActionRegistry, Implementation, RegisteredAction};

/// Checks one Action's configuration: an id of 1 to 36 characters, exactly one
/// implementation.
pub(crate) fn check_action(action: &ActionConfig) -> Result<(), String> {
    let n = action.id.chars().count();
    if n == 0 || n > 36 {
        return Err(format!("action id {:?} must be 1 to 36 characters", action.id));
    }
    let kinds = [
        action.js_file.is_some(),
        action.js_code.is_some(),
        action.rust.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(format!(
            "action {} needs exactly one of js_file, js_code (or a Rust action)",
            action.id
        ));
    }
    Ok(())
}

/// Checks the `actions` of a configuration (ids, one implementation each, no duplicates).
pub(crate) fn validate_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    let mut ids = HashSet::new();
    for action in &config.actions {
        check_action(action).map_err(EmulatorError::InvalidConfig)?;
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
    check_lifetimes(&[("action_timeout_ms / 1000", config.action_timeout_ms / 1000)])
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
    let node = config.node_path.clone().unwrap_or_else(|| PathBuf::from("node"));
    javascript::probe(&node).await.map(|_| ()).map_err(|e| {
        let ids: Vec<&str> = files.iter().map(|a| a.id.as_str()).collect();
        EmulatorError::InvalidConfig(format!(
            "JavaScript Actions ({}) need Node.js, which is not available: {e}. Install Node.js 18 or later, \
             put `node` on PATH or set node_path, or remove these actions",
            ids.join(", ")
        ))
    })
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
        OAuthError::server_error(format!("Action {} {}", self.action_id, self.what))
    }
}

/// Runs one Action. Its cache changes are kept when it completes, even if it denied.
pub(crate) async fn run(
    registry: &ActionRegistry,
    action: &RegisteredAction,
    event: &Value,
    target_scopes: Vec<String>,
) -> Result<Outcome, ActionFailure> {
    let now_ms = registry.now_ms();
    let snapshot = registry.cache.snapshot(action.trigger, now_ms);
    let mut event = event.clone();
    event["secrets"] = Value::Object(action.secrets.clone());
    let limit = registry.timeout;
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
            let ops = javascript::run(&registry.node, &request, limit)
                .await
                .map_err(|f| match f {
                    JsFailure::NodeUnavailable(why) => {
                        ActionFailure::new(&action.id, format!("could not run: Node.js is not available ({why})"))
                    }
                    JsFailure::Threw(Some(name)) => ActionFailure::new(&action.id, format!("threw an error ({name})")),
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
    registry.cache.apply(action.trigger, &outcome.cache_ops);
    Ok(outcome)
}

/// Runs every Action of `trigger` in order, each seeing the target scopes the previous
/// left. Stops at the first denial or misuse.
pub(crate) async fn run_trigger(
    registry: &ActionRegistry,
    trigger: ActionTrigger,
    event: &Value,
    target_scopes: Vec<String>,
) -> Result<Outcome, ActionFailure> {
    let mut merged = Outcome {
        target_scopes,
        ..Outcome::default()
    };
    for action in registry.of_trigger(trigger) {
        let outcome = run(registry, &action, event, merged.target_scopes.clone()).await?;
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

/// The custom claims an Action set, without the restricted ones.
pub(crate) fn custom_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .filter(|(k, _)| !k.is_empty() && !RESTRICTED_CLAIMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

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
        "server_error" => OAuthError::server_error(reason),
        "invalid_request" | "invalid_scope" => OAuthError::new(StatusCode::BAD_REQUEST, intern(code), reason),
        _ if trigger == ActionTrigger::CredentialsExchange => OAuthError::server_error(format!(
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
        _ => OAuthError::server_error("api.access.deny was called with a malformed error code"),
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
        assert!(check_action(&ok).is_ok());
        assert!(
            check_action(&ActionConfig::js_code(
                "a".repeat(37),
                ActionTrigger::CredentialsExchange,
                ""
            ))
            .is_err()
        );
        let mut both = ok.clone();
        both.js_file = Some("x.js".into());
        assert!(check_action(&both).is_err());
    }
}
