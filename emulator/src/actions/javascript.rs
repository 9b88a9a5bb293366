//! Running JavaScript Actions with the machine's Node.js: one `node` process per run, started
//! with the embedded `runner.js`, fed the event, the trigger's cache and the current target
//! scopes on stdin. The runner prints the list of `api` calls the Action made, which are
//! replayed in Rust ([`super::ActionApi::replay`]).
//!
//! On Unix each run is the leader of a process group of its own; when the run ends (or exceeds
//! the time limit) the whole group is killed, so processes the Action started do not outlive
//! it. This is cleanup, not a sandbox: an Action runs with the emulator's rights and can do
//! anything they allow (a process that starts a session of its own escapes the group).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

use crate::tenant::JsSource;

/// The runner script, passed to `node -e`.
const RUNNER: &str = include_str!("runner.js");
/// Marks the runner's result line on stdout.
const RESULT_MARK: &str = "\u{1e}RESULT ";
/// Most bytes read from the runner's stdout.
const MAX_OUTPUT: u64 = 1024 * 1024;

/// Why a JavaScript Action produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsFailure {
    /// `node` could not be started.
    NodeUnavailable(String),
    /// The handler threw (or rejected); the error's class name, if any.
    Threw(Option<String>),
    /// The module does not export the trigger's handler.
    NoHandler,
    /// Killed after the time limit.
    TimedOut,
    /// Node exited without a result (e.g. it awaited a promise that never settles).
    NoResult,
}

/// `node --version`, or a description of why Node.js cannot run.
pub(crate) async fn probe(node: &Path) -> Result<String, String> {
    let output = Command::new(node)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(10), output).await {
        Err(_) => Err(format!("`{} --version` did not answer within 10 s", node.display())),
        Ok(Err(e)) => Err(format!("cannot run `{}`: {e}", node.display())),
        Ok(Ok(out)) if !out.status.success() => Err(format!("`{} --version` failed ({})", node.display(), out.status)),
        Ok(Ok(out)) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
    }
}

/// The request document `runner.js` reads.
pub(crate) fn request(source: &JsSource, handler: &str, mut fields: Value) -> Value {
    match source {
        JsSource::File(path) => fields["file"] = json!(path),
        JsSource::Code { code, filename } => {
            fields["code"] = json!(&**code);
            fields["filename"] = json!(filename);
        }
    }
    fields["handler"] = json!(handler);
    fields
}

/// Runs the runner with `request` on stdin; returns the recorded `api` calls.
pub(crate) async fn run(node: &Path, request: &Value, limit: Duration) -> Result<Vec<Value>, JsFailure> {
    let out = Runner::start(node, &[OsStr::new("-e"), OsStr::new(RUNNER)])?
        .finish(request.to_string(), limit)
        .await?;
    parse_output(&out)
}

/// A started runner process, leader of its own process group. Dropping it (the request was
/// abandoned) kills the group too.
struct Runner {
    child: Child,
    /// The group to kill; `None` once the leader has been reaped (its id may then be reused).
    group: Option<u32>,
}

impl Runner {
    fn start(program: &Path, args: &[&OsStr]) -> Result<Self, JsFailure> {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let child = command
            .spawn()
            .map_err(|e| JsFailure::NodeUnavailable(format!("cannot run `{}`: {e}", program.display())))?;
        let group = child.id();
        Ok(Self { child, group })
    }

    /// Writes `input`, reads the output (at most [`MAX_OUTPUT`] bytes) within `limit`, then
    /// kills the whole group and reaps the leader.
    async fn finish(mut self, input: String, limit: Duration) -> Result<Vec<u8>, JsFailure> {
        let mut stdin = self.child.stdin.take().expect("stdin is piped");
        let mut stdout = self.child.stdout.take().expect("stdout is piped");
        let work = async move {
            // A runner that dies early closes its stdin: the result (or its absence) tells why.
            let _ = stdin.write_all(input.as_bytes()).await;
            drop(stdin);
            let mut out = Vec::new();
            let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out).await;
            out
        };
        let finished = tokio::time::timeout(limit, work).await;
        // The run is over either way: end everything it started, then reap the leader.
        kill_process_group(self.group);
        let _ = self.child.kill().await;
        self.group = None;
        finished.map_err(|_| JsFailure::TimedOut)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        kill_process_group(self.group);
    }
}

/// Sends `SIGKILL` to the process group led by a runner (see the module doc).
#[cfg(unix)]
fn kill_process_group(leader: Option<u32>) {
    if let Some(pid) = leader.and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) takes no pointers. `-pid` names the process group created for a
        // runner (`process_group(0)`) whose leader has not been reaped yet ([`Runner::group`]
        // is cleared when it is), so the id cannot have been reused.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Without process groups, only the runner itself is killed (by its `Child`).
#[cfg(not(unix))]
fn kill_process_group(_leader: Option<u32>) {}

fn parse_output(out: &[u8]) -> Result<Vec<Value>, JsFailure> {
    let text = String::from_utf8_lossy(out);
    let line = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(RESULT_MARK))
        .ok_or(JsFailure::NoResult)?;
    let result: Value = serde_json::from_str(line).map_err(|_| JsFailure::NoResult)?;
    if result.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(result.get("ops").and_then(Value::as_array).cloned().unwrap_or_default());
    }
    match result.get("error").and_then(Value::as_str) {
        Some("no_handler") => Err(JsFailure::NoHandler),
        Some("threw") => Err(JsFailure::Threw(
            result
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .map(str::to_owned),
        )),
        _ => Err(JsFailure::NoResult),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the process `pid` is gone (or a zombie: dead, waiting to be reaped by init).
    #[cfg(target_os = "linux")]
    fn is_dead(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
        }
    }

    /// Waits until `pid` is dead; the deadline only bounds a hang, it decides nothing.
    #[cfg(target_os = "linux")]
    async fn wait_dead(pid: &str) -> bool {
        for _ in 0..1000 {
            if is_dead(pid) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// A stand-in for a runner (`sh`) that starts a grandchild (`sleep`) and hangs. Returns the
    /// runner, once the grandchild exists (waiting for that event, not for an amount of time),
    /// and the grandchild's pid.
    #[cfg(target_os = "linux")]
    async fn runner_with_a_grandchild(dir: &Path) -> (Runner, String) {
        std::fs::create_dir_all(dir).unwrap();
        let pid_file = dir.join("grandchild.pid");
        let script = format!(
            "sleep 300 & echo $! > {tmp} && mv {tmp} {pid}; exec sleep 300",
            tmp = dir.join("pid.tmp").display(),
            pid = pid_file.display()
        );
        let runner = Runner::start(Path::new("/bin/sh"), &[OsStr::new("-c"), OsStr::new(&script)]).unwrap();
        while !pid_file.exists() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let grandchild = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
        assert!(!is_dead(&grandchild));
        (runner, grandchild)
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_timed_out_run_is_killed_with_every_process_it_started() {
        let dir = std::env::temp_dir().join(format!("emu-js-group-{}", crate::util::random_token(6)));
        let (runner, grandchild) = runner_with_a_grandchild(&dir).await;
        let leader = runner.group.unwrap().to_string();
        let result = runner.finish(String::new(), Duration::ZERO).await;
        assert_eq!(result, Err(JsFailure::TimedOut));
        assert!(wait_dead(&grandchild).await, "the Action's own process was killed too");
        assert!(wait_dead(&leader).await);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn an_abandoned_run_is_killed_with_every_process_it_started() {
        let dir = std::env::temp_dir().join(format!("emu-js-drop-{}", crate::util::random_token(6)));
        let (runner, grandchild) = runner_with_a_grandchild(&dir).await;
        drop(runner);
        assert!(wait_dead(&grandchild).await);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
