//! The contract between the tenant and its Actions: the triggers, the [`Action`] trait of
//! Rust Actions, and the `event` and `api` objects an Action receives, as Rust types.
//! JavaScript Actions get JavaScript twins of them (`actions/runner.js`), whose calls are
//! recorded and replayed onto an [`ActionApi`] here, so both kinds of Action follow exactly the
//! same rules. Running Actions is the `actions` module's job.

mod cache;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use cache::{ActionCache, CacheOp};
pub use cache::{
    CacheRecord, CacheSetOptions, DEFAULT_CACHE_TTL, MAX_CACHE_KEY_BYTES, MAX_CACHE_TTL, MAX_CACHE_VALUE_BYTES,
};

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

/// A Rust Action inside an [`ActionConfig`](crate::ActionConfig) (not serialised; equal when it is the same `Arc`).
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

/// Codes `api.access.deny` may use in the credentials-exchange trigger.
pub const CREDENTIALS_EXCHANGE_DENY_CODES: &[&str] = &["invalid_scope", "invalid_request", "server_error"];

/// The `event` object: what the transaction is about, as JSON (the same document a
/// JavaScript Action gets). Members: `transaction`, `request`, `client`, `resource_server`,
/// `tenant`, `secrets`, and for the credentials-exchange trigger after a Custom Token
/// Exchange, `user`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEvent(pub(crate) Value);

impl ActionEvent {
    /// The whole event.
    pub fn json(&self) -> &Value {
        &self.0
    }

    /// A member by JSON pointer, e.g. `/transaction/subject_token`.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        self.0.pointer(pointer)
    }

    /// A string member by JSON pointer.
    pub fn str(&self, pointer: &str) -> Option<&str> {
        self.pointer(pointer).and_then(Value::as_str)
    }

    /// `event.transaction.subject_token` (custom-token-exchange).
    pub fn subject_token(&self) -> Option<&str> {
        self.str("/transaction/subject_token")
    }

    /// `event.transaction.subject_token_type` (custom-token-exchange).
    pub fn subject_token_type(&self) -> Option<&str> {
        self.str("/transaction/subject_token_type")
    }

    /// `event.client.client_id`.
    pub fn client_id(&self) -> Option<&str> {
        self.str("/client/client_id")
    }

    /// A parameter of the token request body (`event.request.body[name]`).
    pub fn request_parameter(&self, name: &str) -> Option<&str> {
        self.0.get("request")?.get("body")?.get(name)?.as_str()
    }

    /// A secret configured for the Action (`event.secrets[name]`).
    pub fn secret(&self, name: &str) -> Option<&str> {
        self.0.get("secrets")?.get(name)?.as_str()
    }
}

/// Whom a custom-token-exchange Action signed in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UserChoice {
    /// `api.authentication.setUserById`: an existing user.
    ById(String),
    /// `api.authentication.setUserByConnection`: the user `{connection}|{user_id}`.
    ByConnection {
        connection: String,
        attributes: Map<String, Value>,
        /// `creationBehavior` is `create_if_not_exists` (the default), not `none`.
        create: bool,
        /// `updateBehavior` is `replace` (the default), not `none`.
        update: bool,
    },
}

/// Why an Action refused the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denial {
    /// `api.access.rejectInvalidSubjectToken(reason)`.
    InvalidSubjectToken(String),
    /// `api.access.deny(code, reason)`.
    Deny { code: String, reason: String },
}

/// What an Action asked for, once it has completed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) user: Option<UserChoice>,
    pub(crate) denial: Option<Denial>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) cache_ops: Vec<CacheOp>,
    pub(crate) target_scopes: Vec<String>,
    /// `api.authentication.setActor`: the `act` claim (custom-token-exchange).
    pub(crate) actor: Option<Map<String, Value>>,
    /// The first misuse of the API (a method of another trigger, bad arguments...): the
    /// transaction fails with `server_error`.
    pub(crate) misuse: Option<String>,
}

/// The `api` object: how an Action changes the transaction.
///
/// Methods of another trigger (e.g. `set_custom_claim` in a custom-token-exchange Action)
/// do not exist in JavaScript; called from Rust they make the transaction fail with
/// `server_error`, as a thrown `TypeError` would.
#[derive(Debug)]
pub struct ActionApi {
    trigger: ActionTrigger,
    now_ms: u64,
    cache: HashMap<String, CacheRecord>,
    pub(crate) outcome: Outcome,
}

impl ActionApi {
    pub(crate) fn new(
        trigger: ActionTrigger,
        now_ms: u64,
        cache: HashMap<String, CacheRecord>,
        target_scopes: Vec<String>,
    ) -> Self {
        Self {
            trigger,
            now_ms,
            cache,
            outcome: Outcome {
                target_scopes,
                ..Outcome::default()
            },
        }
    }

    /// The trigger the Action runs in.
    pub fn trigger(&self) -> ActionTrigger {
        self.trigger
    }

    /// The Actions clock, in milliseconds since the Unix epoch (what cache lifetimes use).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    fn misuse(&mut self, what: String) {
        if self.outcome.misuse.is_none() {
            self.outcome.misuse = Some(what);
        }
    }

    fn only_in(&mut self, trigger: ActionTrigger, method: &str) -> bool {
        if self.trigger == trigger {
            return true;
        }
        self.misuse(format!(
            "{method} is not available in the {} trigger",
            self.trigger.id()
        ));
        false
    }

    /// `api.access.deny(code, reason)`: refuse the transaction. In credentials-exchange the
    /// code must be `invalid_scope`, `invalid_request` or `server_error`; custom-token-exchange
    /// also accepts a code of your own. The first denial counts.
    pub fn deny(&mut self, code: &str, reason: &str) {
        if self.outcome.denial.is_none() {
            self.outcome.denial = Some(Denial::Deny {
                code: code.to_owned(),
                reason: reason.to_owned(),
            });
        }
    }

    /// `api.access.rejectInvalidSubjectToken(reason)` (custom-token-exchange): the subject
    /// token is invalid; `400 invalid_request`, counted by brute-force protection.
    pub fn reject_invalid_subject_token(&mut self, reason: &str) {
        if self.only_in(
            ActionTrigger::CustomTokenExchange,
            "api.access.rejectInvalidSubjectToken",
        ) && self.outcome.denial.is_none()
        {
            self.outcome.denial = Some(Denial::InvalidSubjectToken(reason.to_owned()));
        }
    }

    fn set_user(&mut self, choice: UserChoice) {
        if self.outcome.user.is_some() {
            self.misuse(
                "exactly one of api.authentication.setUserById / setUserByConnection must be called, once".into(),
            );
            return;
        }
        self.outcome.user = Some(choice);
    }

    /// `api.authentication.setUserById(user_id)` (custom-token-exchange): issue tokens for
    /// this existing user.
    pub fn set_user_by_id(&mut self, user_id: &str) {
        if !self.only_in(ActionTrigger::CustomTokenExchange, "api.authentication.setUserById") {
            return;
        }
        if user_id.is_empty() {
            self.misuse("api.authentication.setUserById needs a user id".into());
            return;
        }
        self.set_user(UserChoice::ById(user_id.to_owned()));
    }

    /// `api.authentication.setUserByConnection(connection, attributes, options)`
    /// (custom-token-exchange): the user `{connection}|{attributes.user_id}`, created when
    /// missing (`options.creationBehavior`: `create_if_not_exists` (default) or `none`) and
    /// updated from `email`, `name`, `given_name`, `family_name` (`options.updateBehavior`:
    /// `replace` (default) or `none`).
    pub fn set_user_by_connection(&mut self, connection: &str, attributes: Value, options: Value) {
        if !self.only_in(
            ActionTrigger::CustomTokenExchange,
            "api.authentication.setUserByConnection",
        ) {
            return;
        }
        let Value::Object(attributes) = attributes else {
            self.misuse("setUserByConnection: user_attributes must be an object".into());
            return;
        };
        if connection.is_empty() || connection.contains('|') {
            self.misuse("setUserByConnection: the connection name is empty or has '|'".into());
            return;
        }
        if attributes
            .get("user_id")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            self.misuse("setUserByConnection: user_attributes.user_id must be a non-empty string".into());
            return;
        }
        let option = |name: &str, default: &str, other: &str| -> Result<bool, String> {
            match options.get(name) {
                None | Some(Value::Null) => Ok(true),
                Some(Value::String(s)) if s == default => Ok(true),
                Some(Value::String(s)) if s == other => Ok(false),
                Some(_) => Err(format!(
                    "setUserByConnection: options.{name} must be '{default}' or '{other}'"
                )),
            }
        };
        let create = option("creationBehavior", "create_if_not_exists", "none");
        let update = option("updateBehavior", "replace", "none");
        match (create, update) {
            (Ok(create), Ok(update)) => self.set_user(UserChoice::ByConnection {
                connection: connection.to_owned(),
                attributes,
                create,
                update,
            }),
            (Err(e), _) | (_, Err(e)) => self.misuse(e),
        }
    }

    /// `api.authentication.setActor(actor)` (custom-token-exchange): the party acting for
    /// the user, after the Action validated the request's `actor_token`. `actor` is an object
    /// with a string `sub` (or just the `sub` string); it becomes the `act` claim.
    pub fn set_actor(&mut self, actor: impl Into<Value>) {
        if !self.only_in(ActionTrigger::CustomTokenExchange, "api.authentication.setActor") {
            return;
        }
        let actor = match actor.into() {
            Value::String(sub) => {
                let mut m = Map::new();
                m.insert("sub".into(), Value::String(sub));
                m
            }
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if actor.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
            self.misuse("api.authentication.setActor needs an object with a non-empty string sub".into());
            return;
        }
        self.outcome.actor = Some(actor);
    }

    /// `api.accessToken.setCustomClaim(key, value)` (credentials-exchange). Registered
    /// claims (`iss`, `sub`, `aud`, `exp`, `scope`, ...) cannot be overridden and are
    /// silently left out.
    pub fn set_custom_claim(&mut self, key: &str, value: impl Into<Value>) {
        if self.only_in(ActionTrigger::CredentialsExchange, "api.accessToken.setCustomClaim") {
            self.outcome.claims.insert(key.to_owned(), value.into());
        }
    }

    /// `api.cache.get(key)`: the live record at `key`.
    pub fn cache_get(&self, key: &str) -> Option<CacheRecord> {
        self.cache.get(key).filter(|r| r.expires_at > self.now_ms).cloned()
    }

    /// `api.cache.set(key, value, options)`: stores a string; returns the record, or why it
    /// was not stored (as `{type: "error"}` in JavaScript).
    pub fn cache_set(&mut self, key: &str, value: &str, options: CacheSetOptions) -> Result<CacheRecord, String> {
        cache::check_entry(key, value)?;
        let expires_at = cache::expiry(self.now_ms, options)?;
        let record = CacheRecord {
            value: value.to_owned(),
            expires_at,
        };
        self.cache.insert(key.to_owned(), record.clone());
        self.outcome.cache_ops.push(CacheOp::Set {
            key: key.to_owned(),
            record: record.clone(),
        });
        Ok(record)
    }

    /// `api.cache.delete(key)`: removes the record; returns it if there was one.
    pub fn cache_delete(&mut self, key: &str) -> Option<CacheRecord> {
        self.outcome.cache_ops.push(CacheOp::Delete { key: key.to_owned() });
        self.cache.remove(key).filter(|r| r.expires_at > self.now_ms)
    }

    /// The target scope set as it stands (credentials-exchange).
    pub fn target_scopes(&self) -> &[String] {
        &self.outcome.target_scopes
    }

    /// `api.transaction.addTargetScope(scope)` (credentials-exchange).
    pub fn add_target_scope(&mut self, scope: &str) {
        if self.only_in(ActionTrigger::CredentialsExchange, "api.transaction.addTargetScope")
            && !scope.is_empty()
            && !self.outcome.target_scopes.iter().any(|s| s == scope)
        {
            self.outcome.target_scopes.push(scope.to_owned());
        }
    }

    /// `api.transaction.removeTargetScope(scope)` (credentials-exchange).
    pub fn remove_target_scope(&mut self, scope: &str) {
        if self.only_in(ActionTrigger::CredentialsExchange, "api.transaction.removeTargetScope") {
            self.outcome.target_scopes.retain(|s| s != scope);
        }
    }

    /// `api.transaction.setTargetScopes(scopes)` (credentials-exchange).
    pub fn set_target_scopes<S: AsRef<str>>(&mut self, scopes: &[S]) {
        if self.only_in(ActionTrigger::CredentialsExchange, "api.transaction.setTargetScopes") {
            self.outcome.target_scopes.clear();
            for s in scopes {
                let s = s.as_ref();
                if !s.is_empty() && !self.outcome.target_scopes.iter().any(|t| t == s) {
                    self.outcome.target_scopes.push(s.to_owned());
                }
            }
        }
    }

    /// Replays one call a JavaScript Action made (`{"op": "...", ...}`, see `runner.js`).
    pub(crate) fn replay(&mut self, op: &Value) {
        let text = |name: &str| op.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        match op.get("op").and_then(Value::as_str).unwrap_or_default() {
            "access.deny" => self.deny(&text("code"), &text("reason")),
            "access.rejectInvalidSubjectToken" => self.reject_invalid_subject_token(&text("reason")),
            "authentication.setUserById" => self.set_user_by_id(&text("user_id")),
            "authentication.setActor" => self.set_actor(op.get("actor").cloned().unwrap_or(Value::Null)),
            "authentication.setUserByConnection" => self.set_user_by_connection(
                &text("connection"),
                op.get("attributes").cloned().unwrap_or(Value::Null),
                op.get("options").cloned().unwrap_or(Value::Null),
            ),
            "accessToken.setCustomClaim" => {
                self.set_custom_claim(&text("key"), op.get("value").cloned().unwrap_or(Value::Null))
            }
            "cache.set" => {
                let options = CacheSetOptions {
                    ttl_ms: op.get("ttl").and_then(Value::as_u64),
                    expires_at_ms: op.get("expires_at").and_then(Value::as_u64),
                };
                // The JavaScript side already told the Action whether it worked.
                let _ = self.cache_set(&text("key"), &text("value"), options);
            }
            "cache.delete" => {
                self.cache_delete(&text("key"));
            }
            "transaction.addTargetScope" => self.add_target_scope(&text("scope")),
            "transaction.removeTargetScope" => self.remove_target_scope(&text("scope")),
            "transaction.setTargetScopes" => {
                let scopes: Vec<String> = op
                    .get("scopes")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default();
                self.set_target_scopes(&scopes);
            }
            other => self.misuse(format!("unknown Action API call {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn api(trigger: ActionTrigger) -> ActionApi {
        ActionApi::new(trigger, 1_000, HashMap::new(), vec!["a".into()])
    }

    #[test]
    fn trigger_specific_methods_are_misuse_elsewhere() {
        let mut cte = api(ActionTrigger::CustomTokenExchange);
        cte.set_custom_claim("x", 1);
        assert!(cte.outcome.misuse.as_deref().unwrap().contains("setCustomClaim"));
        assert!(cte.outcome.claims.is_empty());
        let mut ce = api(ActionTrigger::CredentialsExchange);
        ce.set_user_by_id("auth0|1");
        assert!(ce.outcome.misuse.is_some() && ce.outcome.user.is_none());
    }

    #[test]
    fn user_can_be_set_once_and_connection_attributes_are_checked() {
        let mut a = api(ActionTrigger::CustomTokenExchange);
        a.set_user_by_connection("google-oauth2", json!({"user_id": "1"}), json!({}));
        assert!(matches!(
            &a.outcome.user,
            Some(UserChoice::ByConnection {
                create: true,
                update: true,
                ..
            })
        ));
        a.set_user_by_id("auth0|2");
        assert!(a.outcome.misuse.is_some());
        let mut b = api(ActionTrigger::CustomTokenExchange);
        b.set_user_by_connection("c", json!({"email": "x"}), Value::Null);
        assert!(b.outcome.misuse.is_some());
        let mut c = api(ActionTrigger::CustomTokenExchange);
        c.set_user_by_connection("c", json!({"user_id": "1"}), json!({"creationBehavior": "none"}));
        assert!(matches!(
            &c.outcome.user,
            Some(UserChoice::ByConnection { create: false, .. })
        ));
        c.replay(&json!({"op": "nope"}));
    }

    #[test]
    fn scopes_cache_and_replay() {
        let mut a = api(ActionTrigger::CredentialsExchange);
        a.replay(&json!({"op": "transaction.addTargetScope", "scope": "b"}));
        a.replay(&json!({"op": "transaction.addTargetScope", "scope": "b"}));
        a.remove_target_scope("a");
        assert_eq!(a.target_scopes(), ["b"]);
        a.set_target_scopes(&["x", "y", "x"]);
        assert_eq!(a.target_scopes(), ["x", "y"]);
        a.replay(&json!({"op": "cache.set", "key": "k", "value": "v", "ttl": 10}));
        assert_eq!(a.cache_get("k").unwrap().expires_at, 1_010);
        assert!(a.cache_delete("k").is_some());
        assert!(a.cache_get("k").is_none());
        assert_eq!(a.outcome.cache_ops.len(), 2);
        a.deny("invalid_scope", "first");
        a.deny("server_error", "second");
        assert_eq!(
            a.outcome.denial,
            Some(Denial::Deny {
                code: "invalid_scope".into(),
                reason: "first".into()
            })
        );
    }
}
