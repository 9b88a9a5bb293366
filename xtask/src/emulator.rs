//! Starting the local Auth0-compatible emulator for the foreign-language suites, and
//! stopping it again whatever happens ([`Emulator`] kills it on drop).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{Context, Result};

/// Environment variable through which the suites learn the emulator's address.
pub const URL_ENV: &str = "TOKEN_EXCHANGE_EMULATOR_URL";
/// Environment variable holding the emulator's whole readiness line (JSON: `base_url`,
/// `issuer`, `client_id`, ...), for suites that need more than the address.
pub const JSON_ENV: &str = "TOKEN_EXCHANGE_EMULATOR_JSON";
/// Cargo package (and binary) name of the emulator.
pub const PACKAGE: &str = "token-exchange-emulator";
/// How long [`Emulator::control_post`] waits for an answer (the control endpoints answer at
/// once; this only bounds a hung emulator).
const CONTROL_TIMEOUT: Duration = Duration::from_secs(60);

/// A running emulator; killed when dropped (also on error paths and panics).
pub struct Emulator {
    child: Child,
    base_url: String,
    ready_line: String,
    log: PathBuf,
}

impl Emulator {
    /// Starts `binary` and waits (up to `timeout`) for the JSON line with `"base_url"` it
    /// prints on stdout once listening. Its stderr, and any later stdout, go to `log`.
    pub fn start(binary: &Path, log: &Path, timeout: Duration) -> Result<Emulator> {
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir)?;
        }
        let stderr = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        eprintln!("emulator: starting {} (log: {})", binary.display(), log.display());
        let mut child = Command::new(binary)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped");
        // From here on `guard` kills the child if anything goes wrong.
        let mut guard = Emulator {
            child,
            base_url: String::new(),
            ready_line: String::new(),
            log: log.to_path_buf(),
        };

        let (tx, rx) = mpsc::channel();
        let log_path = log.to_path_buf();
        thread::spawn(move || {
            let mut sent = false;
            let mut log = OpenOptions::new().append(true).open(&log_path).ok();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(url) = parse_ready_line(&line) {
                    sent = true;
                    let _ = tx.send((url, line.trim().to_owned()));
                } else if let Some(log) = log.as_mut() {
                    // Keep draining so the emulator never blocks on a full pipe.
                    let _ = writeln!(log, "[stdout] {line}");
                }
            }
        });

        let deadline = Instant::now() + timeout;
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok((url, line)) => {
                    guard.base_url = url;
                    guard.ready_line = line;
                    eprintln!("emulator: listening at {}", guard.base_url);
                    return Ok(guard);
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    if let Some(status) = guard.child.try_wait()? {
                        bail!(
                            "the emulator exited ({status}) before printing its address; log:\n{}",
                            guard.log_tail()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Stdout closed without the line: normally because the process ended.
                    while Instant::now() < deadline {
                        if let Some(status) = guard.child.try_wait()? {
                            bail!(
                                "the emulator exited ({status}) without printing its address; log:\n{}",
                                guard.log_tail()
                            );
                        }
                        thread::sleep(Duration::from_millis(100));
                    }
                    bail!(
                        "the emulator closed its stdout without printing its address; log:\n{}",
                        guard.log_tail()
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                    "the emulator printed no JSON line with \"base_url\" within {}s; log:\n{}",
                    timeout.as_secs(),
                    guard.log_tail()
                ),
            }
        }
    }

    /// The emulator's base URL (e.g. `http://127.0.0.1:41234`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The JSON line the emulator printed once listening.
    pub fn ready_line(&self) -> &str {
        &self.ready_line
    }

    /// POSTs `body` (JSON) to the control endpoint `path` (`/emulator/...`) with the control
    /// secret of the readiness line, over plain HTTP/1.1 on loopback; returns the response body
    /// of a `2xx`, else an error.
    pub fn control_post(&self, path: &str, body: &str) -> Result<String> {
        let line: serde_json::Value =
            serde_json::from_str(&self.ready_line).context("the readiness line is not JSON")?;
        let Some(secret) = line["control_secret"].as_str() else {
            bail!("the emulator's readiness line has no control_secret");
        };
        let Some(authority) = self.base_url.strip_prefix("http://") else {
            bail!("the emulator's base URL {} is not http://", self.base_url);
        };
        let mut stream = TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
        stream.set_read_timeout(Some(CONTROL_TIMEOUT))?;
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {secret}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .with_context(|| format!("reading the answer to POST {path}"))?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).unwrap_or_default();
        if !status.starts_with('2') {
            bail!(
                "POST {path} answered `{}`: {body}",
                head.lines().next().unwrap_or_default()
            );
        }
        Ok(body.to_owned())
    }

    /// The last lines of the emulator's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM first (the emulator shuts down cleanly on it), SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.base_url.is_empty() {
            eprintln!("emulator: stopped (log: {})", self.log.display());
        }
    }
}

/// Extracts `base_url` from the emulator's readiness line, if `line` is one.
pub fn parse_ready_line(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    v.get("base_url")?.as_str().map(|s| s.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_base_url() {
        assert_eq!(
            parse_ready_line(r#"{"event":"listening","base_url":"http://127.0.0.1:4000/"}"#),
            Some("http://127.0.0.1:4000".into())
        );
        assert_eq!(parse_ready_line("INFO starting"), None);
        assert_eq!(parse_ready_line(r#"{"port":4000}"#), None);
    }

    #[test]
    fn kills_on_drop_and_reports_early_exit() {
        let log = std::env::temp_dir().join(format!("xtask-emulator-test-{}.log", std::process::id()));
        let err = Emulator::start(Path::new("/bin/false"), &log, Duration::from_secs(5))
            .err()
            .expect("`false` never becomes ready");
        assert!(err.to_string().contains("exited"), "{err}");
        let _ = fs::remove_file(log);
    }
}
