//! The Rust suite: `cargo test --workspace --all-targets`, then the doctests
//! (`--all-targets` leaves them out), then the core's tests without its default features (no
//! reqwest transport: what the phone library links, proving the core works without an HTTP
//! stack of its own), summing cargo's `test result:` lines.

use std::process::Command;

use super::{Env, Suite, number_before};
use crate::cmd::{self, Stream};
use crate::error::Result;
use crate::lang::Lang;
use crate::provision::Provisioner;
use crate::report::Counts;
use crate::workspace::{self, Workspace};

/// `cargo test` over the whole workspace.
pub struct RustSuite;

/// The `cargo test` runs: what each is, and its arguments.
const RUNS: &[(&str, &[&str])] = &[
    ("tests", &["--workspace", "--all-targets"]),
    ("doctests", &["--workspace", "--doc"]),
    (
        "core without default features",
        &["-p", "token-exchange", "--no-default-features", "--lib", "--tests"],
    ),
];

impl Suite for RustSuite {
    fn lang(&self) -> Lang {
        Lang::Rust
    }

    fn absent(&self, _ws: &Workspace) -> Option<String> {
        None
    }

    fn uses_bindings(&self) -> bool {
        false
    }

    fn prepare(&mut self, _prov: &mut Provisioner) -> Result<()> {
        Ok(())
    }

    fn run(&mut self, env: &Env) -> Result<Counts> {
        let mut total = Counts::default();
        for (what, args) in RUNS {
            let mut counts = Counts::default();
            let mut no_library = false;
            let status = cmd::stream(
                Command::new(workspace::cargo())
                    .arg("test")
                    .args(*args)
                    .arg("--no-fail-fast")
                    .current_dir(&env.ws.root),
                |stream, line| {
                    if stream == Stream::Stdout
                        && let Some(c) = parse_test_result(line)
                    {
                        counts += c;
                    }
                    if line.contains("no library targets found") {
                        no_library = true;
                    }
                },
            )?;
            if !status.success() && counts.failed == 0 && !no_library {
                eprintln!("rust: `cargo test` ({what}) failed without a failing test: counting one failure");
                counts.failed += 1;
            }
            total += counts;
        }
        Ok(total)
    }
}

/// Parses libtest's closing line, e.g.
/// `test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; ...`.
pub fn parse_test_result(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    Some(Counts::new(
        number_before(rest, "passed")?,
        number_before(rest, "failed")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summaries() {
        assert_eq!(
            parse_test_result(
                "test result: ok. 14 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some(Counts::new(14, 0))
        );
        assert_eq!(
            parse_test_result("test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"),
            Some(Counts::new(3, 1))
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
        assert_eq!(parse_test_result("test foo ... ok"), None);
    }
}
