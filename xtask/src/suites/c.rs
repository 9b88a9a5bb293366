//! The C suite: the header drift check, then every C test program
//! (`bindings/tests/c/*.c`) and C example (`examples/c/*.c`), compiled with
//! `gcc -Wall -Wextra -Werror` against the committed header and the debug cdylib, and run
//! under valgrind's leak checker.
//!
//! A test program reports TAP-style lines (`ok N - name`, `not ok N - name`, optionally a
//! `1..N` plan); one that prints none counts as one test, passed if it exits 0. Examples count
//! as one test each. A non-zero exit (valgrind exits 99 on leaks or memory errors) is a
//! failure even when every TAP line said `ok`. An optional valgrind suppression file
//! `bindings/tests/c/valgrind.supp` is used when present.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Env, FFI_LIB, Ffi, Suite, files_with_ext};
use crate::cmd::{self, Stream};
use crate::error::{Error, Result};
use crate::header::{self, HEADER};
use crate::lang::Lang;
use crate::provision::{CTools, Provisioner};
use crate::report::Counts;
use crate::workspace::Workspace;

/// Directory of the C test programs.
pub const TESTS_DIR: &str = "bindings/tests/c";
/// Directory of the C examples.
pub const EXAMPLES_DIR: &str = "examples/c";
/// Optional valgrind suppressions.
pub const SUPPRESSIONS: &str = "bindings/tests/c/valgrind.supp";
/// Time limit of one program under valgrind.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);
/// valgrind's exit code for leaks and memory errors.
pub const VALGRIND_ERROR_EXIT: i32 = 99;

/// C API tests under valgrind.
#[derive(Default)]
pub struct CSuite {
    tools: Option<CTools>,
}

impl Suite for CSuite {
    fn lang(&self) -> Lang {
        Lang::C
    }

    fn absent(&self, ws: &Workspace) -> Option<String> {
        (!ws.root.join("bindings").is_dir()).then(|| "no bindings/ directory".to_owned())
    }

    fn uses_bindings(&self) -> bool {
        true
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.tools = Some(prov.c()?);
        Ok(())
    }

    fn run(&mut self, env: &Env) -> Result<Counts> {
        let tools = self.tools.as_ref().ok_or_else(|| Error::msg("not prepared"))?;
        let ws = env.ws;
        let ffi = env.ffi()?;
        let mut counts = Counts::default();

        let fresh = header::check(ws, &tools.cbindgen).unwrap_or_else(|e| {
            eprintln!("c: header check failed: {e}");
            false
        });
        report_line(&mut counts, fresh, &format!("{HEADER} matches cbindgen"));

        let out_dir = ws.scratch_dir("c");
        std::fs::create_dir_all(&out_dir)?;
        let programs = files_with_ext(&ws.root.join(TESTS_DIR), "c")
            .into_iter()
            .map(|p| (p, Kind::Test))
            .chain(
                files_with_ext(&ws.root.join(EXAMPLES_DIR), "c")
                    .into_iter()
                    .map(|p| (p, Kind::Example)),
            );
        for (source, kind) in programs {
            let rel = source.strip_prefix(&ws.root).unwrap_or(&source).display().to_string();
            let stem = source.file_stem().unwrap_or_default().to_string_lossy();
            let exe = out_dir.join(format!("{}-{stem}", kind.prefix()));
            if let Err(e) = compile(tools, ws, ffi, &source, &exe) {
                eprintln!("c: {e}");
                report_line(&mut counts, false, &format!("{rel} compiles"));
                continue;
            }
            let c = run_under_valgrind(tools, env, &exe, kind)?;
            eprintln!("c: {rel}: {c}");
            counts += c;
        }
        Ok(counts)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Test,
    Example,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Test => "test",
            Kind::Example => "example",
        }
    }
}

fn report_line(counts: &mut Counts, ok: bool, what: &str) {
    counts.record(ok);
    eprintln!("c: {} {what}", if ok { "ok" } else { "FAILED" });
}

/// Compiles one C program against the header and the cdylib (with an rpath to it).
fn compile(tools: &CTools, ws: &Workspace, ffi: &Ffi, source: &Path, exe: &Path) -> Result<()> {
    let mut c = Command::new(&tools.gcc);
    c.args(["-g", "-O0", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(ws.root.join("bindings/include"))
        .arg(source)
        .arg("-o")
        .arg(exe)
        .arg("-L")
        .arg(&ffi.lib_dir)
        .arg(format!("-l{FFI_LIB}"))
        .arg(format!("-Wl,-rpath,{}", ffi.lib_dir.display()))
        .current_dir(&ws.root);
    cmd::run(&mut c)
}

/// `valgrind` (under a [`RUN_LIMIT`] timeout) with the leak checks and suppressions every C
/// program of the project runs under; the program and its arguments follow.
pub fn valgrind(valgrind: &Path, ws: &Workspace) -> Command {
    let mut c = cmd::timed(RUN_LIMIT, valgrind, false);
    c.args([
        "--quiet",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--errors-for-leak-kinds=definite,indirect,possible",
    ])
    .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"));
    let supp: PathBuf = ws.root.join(SUPPRESSIONS);
    if supp.is_file() {
        c.arg(format!("--suppressions={}", supp.display()));
    }
    c
}

fn run_under_valgrind(tools: &CTools, env: &Env, exe: &Path, kind: Kind) -> Result<Counts> {
    let mut c = valgrind(&tools.valgrind, env.ws);
    c.arg(exe).current_dir(&env.ws.root).envs(env.test_vars());
    let mut tap = Tap::default();
    let status = cmd::stream(&mut c, |stream, line| {
        if stream == Stream::Stdout {
            tap.line(line);
        }
    })?;
    if status.code() == Some(VALGRIND_ERROR_EXIT) {
        eprintln!("c: valgrind reported leaks or memory errors in {}", exe.display());
    } else if !status.success() {
        eprintln!("c: {} failed ({})", exe.display(), cmd::describe(status, RUN_LIMIT));
    }
    Ok(match kind {
        Kind::Test => tap.counts(status.success()),
        Kind::Example => Counts::new(status.success() as u64, !status.success() as u64),
    })
}

/// A tally of TAP-style result lines.
#[derive(Debug, Default)]
pub struct Tap {
    ok: u64,
    not_ok: u64,
    plan: Option<u64>,
}

impl Tap {
    /// Feeds one line of the program's stdout.
    pub fn line(&mut self, line: &str) {
        let line = line.trim_start();
        let todo = line.to_ascii_uppercase().contains("# TODO");
        if let Some(rest) = line.strip_prefix("not ok") {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                if todo { self.ok += 1 } else { self.not_ok += 1 }
            }
        } else if let Some(rest) = line.strip_prefix("ok") {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                self.ok += 1;
            }
        } else if let Some(n) = line.strip_prefix("1..") {
            self.plan = n.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }

    /// The counts, given whether the program exited successfully: no TAP lines means one
    /// test decided by the exit status; tests planned but never reported are failures; a
    /// failing exit with no failed test adds one failure.
    pub fn counts(&self, exit_ok: bool) -> Counts {
        let seen = self.ok + self.not_ok;
        if seen == 0 && self.plan.unwrap_or(0) == 0 {
            return Counts::new(exit_ok as u64, !exit_ok as u64);
        }
        let mut failed = self.not_ok + self.plan.unwrap_or(0).saturating_sub(seen);
        if !exit_ok && failed == 0 {
            failed = 1;
        }
        Counts::new(self.ok, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(out: &str, exit_ok: bool) -> Counts {
        let mut t = Tap::default();
        out.lines().for_each(|l| t.line(l));
        t.counts(exit_ok)
    }

    #[test]
    fn counts_tap_lines() {
        assert_eq!(
            tally("1..3\nok 1 - a\nnot ok 2 - b\nok 3 - c\n", false),
            Counts::new(2, 1)
        );
        assert_eq!(tally("ok 1\nok 2 # SKIP no network\n", true), Counts::new(2, 0));
        assert_eq!(tally("not ok 1 - later # TODO\n", true), Counts::new(1, 0));
        assert_eq!(tally("okay then\nnot okay\n", true), Counts::new(1, 0));
    }

    #[test]
    fn exit_status_decides_when_tap_is_missing_or_short() {
        assert_eq!(tally("hello\n", true), Counts::new(1, 0));
        assert_eq!(tally("", false), Counts::new(0, 1));
        // All reported ok, but valgrind found a leak.
        assert_eq!(tally("ok 1\nok 2\n", false), Counts::new(2, 1));
        // Crashed after the first of three planned tests.
        assert_eq!(tally("1..3\nok 1\n", false), Counts::new(1, 2));
    }
}
