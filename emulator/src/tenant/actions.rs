//! The tenant's Actions: the registered ones (from the configuration, then added or removed
//! through the Rust API), their `api.cache`, and the Actions clock that cache lifetimes are
//! measured with. Running them is the `actions` module's job.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::action_api::{Action, ActionCache, ActionTrigger};
use crate::config::{ActionConfig, EmulatorConfig};

/// Where a JavaScript Action's code comes from.
#[derive(Debug, Clone)]
pub(crate) enum JsSource {
    /// A file on disk (read by Node at every run, so edits apply at once).
    File(PathBuf),
    /// Source text, with the file name used in stack traces.
    Code { code: Arc<str>, filename: String },
}

/// How an Action is implemented.
#[derive(Clone)]
pub(crate) enum Implementation {
    Rust(Arc<dyn Action>),
    Js(JsSource),
}

/// An Action the emulator can run.
#[derive(Clone)]
pub(crate) struct RegisteredAction {
    pub(crate) id: String,
    pub(crate) trigger: ActionTrigger,
    pub(crate) implementation: Implementation,
    /// `event.secrets`, `{base_url}` replaced.
    pub(crate) secrets: Map<String, Value>,
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

/// The tenant's Actions, their cache and clock, and what runs them (Node.js, time limit).
pub(crate) struct ActionRegistry {
    actions: RwLock<Vec<RegisteredAction>>,
    /// `api.cache`, per trigger.
    pub(crate) cache: ActionCache,
    clock_offset_ms: AtomicU64,
    /// System time (ms) at which the clock was frozen; `0` while it follows system time.
    clock_frozen_at_ms: AtomicU64,
    /// The Node.js executable of JavaScript Actions.
    pub(crate) node: PathBuf,
    /// Time limit of one run.
    pub(crate) timeout: Duration,
    base_url: String,
}

impl ActionRegistry {
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
            node: config.node_path.clone().unwrap_or_else(|| PathBuf::from("node")),
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

    /// Adds an Action (checked by the caller), replacing one with the same id.
    pub(crate) fn register(&self, config: &ActionConfig) {
        let action = RegisteredAction::from_config(config, &self.base_url);
        let mut actions = self.actions.write().unwrap_or_else(|p| p.into_inner());
        actions.retain(|a| a.id != action.id);
        actions.push(action);
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

    /// The Actions of `trigger`, in registration order.
    pub(crate) fn of_trigger(&self, trigger: ActionTrigger) -> Vec<RegisteredAction> {
        let actions = self.actions.read().unwrap_or_else(|p| p.into_inner());
        actions.iter().filter(|a| a.trigger == trigger).cloned().collect()
    }
}

/// System time in ms since the epoch.
fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
