//! Running JavaScript Actions with the machine's Node.js: one `node` process per run, started
//! with the embedded `runner.js`, fed the event, the trigger's cache and the current target
//! scopes on stdin, killed when it exceeds the time limit. The runner prints the list of
//! `api` calls the Action made, which are replayed in Rust ([`super::ActionApi::replay`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;

/// The runner script, passed to `node -e`.
const RUNNER: &str = include_str!("runner.js");
/// Marks the runner's result line on stdout.
const RESULT_MARK: &str = "\u{1e}RESULT ";
/// Most bytes read from the runner's stdout.
const MAX_OUTPUT: u64 = 1024 * 1024;

/// Where a JavaScript Action's code comes from.
#[derive(Debug, Clone)]
pub(crate) enum JsSource {
    /// A file on disk (read by Node at every run, so edits apply at once).
    File(PathBuf),
    /// Source text, with the file name used in stack traces.
    Code { code: Arc<str>, filename: String },
}

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
    let mut child = Command::new(node)
        .arg("-e")
        .arg(RUNNER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| JsFailure::NodeUnavailable(format!("cannot run `{}`: {e}", node.display())))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let input = request.to_string();
    let work = async move {
        // A runner that dies early closes its stdin: the result (or its absence) tells why.
        let _ = stdin.write_all(input.as_bytes()).await;
        drop(stdin);
        let mut out = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out).await;
        out
    };
    let out = match tokio::time::timeout(limit, work).await {
        Ok(out) => out,
        Err(_) => {
            let _ = child.kill().await;
            return Err(JsFailure::TimedOut);
        }
    };
    // stdout is closed: the process is exiting. Reap it without waiting forever.
    if tokio::time::timeout(Duration::from_secs(1), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    parse_output(&out)
}

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

    #[test]
    fn output_parsing() {
        let ok = format!("noise\n{RESULT_MARK}{{\"ok\":true,\"ops\":[{{\"op\":\"x\"}}]}}\n");
        assert_eq!(parse_output(ok.as_bytes()).unwrap().len(), 1);
        let threw = format!("{RESULT_MARK}{{\"ok\":false,\"error\":\"threw\",\"name\":\"TypeError\"}}\n");
        assert_eq!(
            parse_output(threw.as_bytes()),
            Err(JsFailure::Threw(Some("TypeError".into())))
        );
        let odd = format!("{RESULT_MARK}{{\"ok\":false,\"error\":\"threw\",\"name\":\"a b\"}}\n");
        assert_eq!(parse_output(odd.as_bytes()), Err(JsFailure::Threw(None)));
        assert_eq!(parse_output(b""), Err(JsFailure::NoResult));
    }
}
