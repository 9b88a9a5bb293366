//! Running external commands: echoing them, streaming their output and checking their status.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{Context, Result};

/// Renders a command line for display (program and arguments, space separated), with secrets
/// redacted: JWTs (the emulator's management token) and the string values of JSON members
/// named like a secret (its `control_secret`, both travel in `TOKEN_EXCHANGE_EMULATOR_JSON`).
pub fn display(cmd: &Command) -> String {
    let mut parts = vec![quote(cmd.get_program())];
    parts.extend(cmd.get_args().map(quote));
    redact_secret_members(&redact_jwts(&parts.join(" ")))
}

/// Replaces the string value of every JSON member whose name contains `secret` or `token`
/// (`"control_secret":"…"`) with `<redacted>`.
fn redact_secret_members(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(colon) = rest.find("\":\"") {
        let name_start = rest[..colon].rfind('"').map_or(0, |i| i + 1);
        let name = rest[name_start..colon].to_ascii_lowercase();
        let value_start = colon + 3;
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        if name.contains("secret") || name.contains("token") {
            let end = rest.find('"').unwrap_or(rest.len());
            out.push_str("<redacted>");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Replaces every `eyJ…` run of base64url characters and dots (a JWT) with `<redacted>`.
fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .unwrap_or(tail.len());
        out.push_str("<redacted>");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod redaction_tests {
    #[test]
    fn jwts_are_redacted_from_displayed_commands() {
        let shown = super::redact_jwts(r#"X={"management_token":"eyJhbGc.eyJzdWI.sig-_x","a":1} run"#);
        assert_eq!(shown, r#"X={"management_token":"<redacted>","a":1} run"#);
        assert_eq!(super::redact_jwts("no token"), "no token");
    }

    #[test]
    fn secret_members_are_redacted_from_displayed_commands() {
        let shown = super::redact_secret_members(
            r#"X={"base_url":"http://127.0.0.1:1/","control_secret":"c0ffee","management_token":"<redacted>"} run"#,
        );
        assert_eq!(
            shown,
            r#"X={"base_url":"http://127.0.0.1:1/","control_secret":"<redacted>","management_token":"<redacted>"} run"#
        );
        assert_eq!(super::redact_secret_members(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
    }
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c)) {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Prints the command (prefixed with `$`) before it runs.
pub fn echo(cmd: &Command) {
    eprintln!("$ {}", display(cmd));
}

/// Runs a command with inherited stdio; an unsuccessful exit is an error.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed with {status}", display(cmd));
    }
    Ok(())
}

/// Runs a command with inherited stdio and returns its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    echo(cmd);
    cmd.status().with_context(|| format!("cannot run `{}`", display(cmd)))
}

/// Runs a command quietly and returns its stdout; an unsuccessful exit is an error that
/// includes stderr.
pub fn read(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{}`", display(cmd)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed with {}: {}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Returns true if the command runs and exits successfully (output discarded).
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Runs a command, echoing every line of its stdout and stderr to ours as it arrives and
/// handing each line to `on_line`. Returns the exit status.
pub fn stream(cmd: &mut Command, mut on_line: impl FnMut(Stream, &str)) -> Result<ExitStatus> {
    echo(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run `{}`", display(cmd)))?;
    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let readers = [
        spawn_reader(child.stdout.take().expect("piped"), Stream::Stdout, tx.clone()),
        spawn_reader(child.stderr.take().expect("piped"), Stream::Stderr, tx),
    ];
    for (which, line) in rx {
        match which {
            Stream::Stdout => println!("{line}"),
            Stream::Stderr => eprintln!("{line}"),
        }
        on_line(which, &line);
    }
    for r in readers {
        let _ = r.join();
    }
    child.wait().with_context(|| format!("waiting for `{}`", display(cmd)))
}

fn spawn_reader(
    pipe: impl Read + Send + 'static,
    which: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if tx.send((which, line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// A command that runs `program` under coreutils `timeout`: once `limit` has passed, the program
/// gets SIGTERM, then SIGKILL 10 s later, and the exit code is [`TIMED_OUT`].
///
/// With `whole_tree`, `timeout` runs the program in a process group of its own and signals the
/// whole group, so helper processes die too (but Ctrl-C in a terminal no longer reaches them);
/// otherwise only the program itself is signalled.
pub fn timed(limit: Duration, program: impl AsRef<OsStr>, whole_tree: bool) -> Command {
    let mut c = Command::new("timeout");
    if !whole_tree {
        c.arg("--foreground");
    }
    c.arg("--kill-after=10")
        .arg(format!("{}s", limit.as_secs()))
        .arg(program);
    c
}

/// Exit code of a command killed by [`timed`].
pub const TIMED_OUT: i32 = 124;

/// Explains an unsuccessful exit, naming time-outs.
pub fn describe(status: ExitStatus, limit: Duration) -> String {
    if status.code() == Some(TIMED_OUT) {
        format!("timed out after {}s", limit.as_secs())
    } else {
        status.to_string()
    }
}

/// Finds an executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// True if `path` is a regular file with an executable bit set.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Seconds elapsed since `start`, formatted for humans (`12.3s`).
pub fn elapsed(start: Instant) -> String {
    format!("{:.1}s", start.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_kill_and_are_reported() {
        let limit = Duration::from_secs(1);
        for whole_tree in [false, true] {
            let start = Instant::now();
            let status = timed(limit, "sleep", whole_tree).arg("30").status().unwrap();
            assert_eq!(status.code(), Some(TIMED_OUT));
            assert!(start.elapsed() < Duration::from_secs(10));
            assert_eq!(describe(status, limit), "timed out after 1s");
        }
    }

    #[test]
    fn streams_both_outputs() {
        let mut lines = Vec::new();
        let status = stream(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            |which, line| lines.push((which, line.to_owned())),
        )
        .unwrap();
        assert_eq!(status.code(), Some(3));
        lines.sort_by_key(|(w, _)| *w == Stream::Stderr);
        assert_eq!(
            lines,
            vec![(Stream::Stdout, "out".to_owned()), (Stream::Stderr, "err".to_owned())]
        );
    }
}
