//! The test suites, one module per language, and the orchestration of `xtask test`.
//!
//! Each suite implements [`Suite`]: it says whether its sources exist, provisions its
//! toolchain in [`Suite::prepare`], and returns its pass/fail [`Counts`] from [`Suite::run`].
//! Suites that exercise the bindings ([`Suite::uses_bindings`]) get the debug cdylib of the
//! [`Library`] they test (the desktop library for C, the phone library for Swift and Kotlin)
//! and the URL of a running emulator through [`Env`].

pub mod c;
pub mod kotlin;
pub mod packages;
pub mod rust;
pub mod swift;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::cmd;
use crate::emulator::{self, Emulator};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::provision::Provisioner;
use crate::report::{Counts, Outcome, Report};
use crate::workspace::{self, Workspace};

/// Cargo package of the desktop/backend library: the C API, the uniffi scaffolding and the
/// reqwest transport.
pub const FFI_PACKAGE: &str = "token-exchange-ffi";
/// Library (crate) name of [`FFI_PACKAGE`]; its cdylib is `lib<FFI_LIB>.so`.
pub const FFI_LIB: &str = "token_exchange_ffi";
/// Cargo package of the phone library: the same uniffi scaffolding without Rust HTTP, TLS, C
/// API or ECDSA signing code (Swift and Kotlin supply the transport and the key).
pub const MOBILE_PACKAGE: &str = "token-exchange-mobile";
/// Library (crate) name of [`MOBILE_PACKAGE`].
pub const MOBILE_LIB: &str = "token_exchange_mobile";

/// The two builds of the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// `libtoken_exchange_ffi`: C programs and Rust, on the core's reqwest transport.
    Desktop,
    /// `libtoken_exchange_mobile`: what the XCFramework and the AAR carry; every Swift and
    /// Kotlin test runs on a host build of it, so through the platform's transport.
    Mobile,
}

impl Library {
    /// The Cargo package.
    pub fn package(self) -> &'static str {
        match self {
            Library::Desktop => FFI_PACKAGE,
            Library::Mobile => MOBILE_PACKAGE,
        }
    }

    /// The library (crate) name: the cdylib is `lib<name>.so`.
    pub fn lib_name(self) -> &'static str {
        match self {
            Library::Desktop => FFI_LIB,
            Library::Mobile => MOBILE_LIB,
        }
    }
}
/// Environment variable holding the directory of the cdylib, for foreign build scripts
/// and test programs that need to find it.
pub const LIB_DIR_ENV: &str = "TOKEN_EXCHANGE_LIB_DIR";

/// The debug build of a bindings library.
#[derive(Debug, Clone)]
pub struct Ffi {
    /// Path of `libtoken_exchange_ffi.so` or `libtoken_exchange_mobile.so`.
    pub lib: PathBuf,
    /// Its directory (for `-L`, rpath and `jna.library.path`).
    pub lib_dir: PathBuf,
}

/// What a suite gets to run with.
pub struct Env<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// The bindings library (only for suites that [use the bindings](Suite::uses_bindings)).
    pub ffi: Option<&'a Ffi>,
    /// The running emulator, if the workspace has one.
    pub emulator: Option<&'a Emulator>,
}

impl Env<'_> {
    /// The bindings library, or an error explaining why it is missing.
    pub fn ffi(&self) -> Result<&Ffi> {
        self.ffi
            .ok_or_else(|| Error::msg(format!("the {FFI_PACKAGE} cdylib was not built")))
    }

    /// Environment variables every foreign test process gets: the emulator's URL and
    /// readiness line, and the library directory.
    pub fn test_vars(&self) -> Vec<(String, String)> {
        let mut vars = Vec::new();
        if let Some(emu) = self.emulator {
            vars.push((emulator::URL_ENV.to_owned(), emu.base_url().to_owned()));
            vars.push((emulator::JSON_ENV.to_owned(), emu.ready_line().to_owned()));
        }
        if let Some(ffi) = self.ffi {
            vars.push((LIB_DIR_ENV.to_owned(), ffi.lib_dir.display().to_string()));
        }
        vars
    }
}

/// One language's test suite.
pub trait Suite {
    /// The language, used for `--skip`/`--lang` and in the summary.
    fn lang(&self) -> Lang;

    /// `None` if the suite's sources exist, else the reason it does not apply (e.g. "no
    /// `swift/` directory").
    fn absent(&self, ws: &Workspace) -> Option<String>;

    /// True if the suite needs a bindings cdylib and the emulator.
    fn uses_bindings(&self) -> bool;

    /// Which bindings library the suite tests (when it [uses them](Suite::uses_bindings)).
    fn library(&self) -> Library {
        Library::Desktop
    }

    /// Provisions (idempotently) and remembers the toolchain. An error means the toolchain is
    /// unavailable, which counts as a failure.
    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()>;

    /// Runs the tests. An error counts as one failure (e.g. a compile error).
    fn run(&mut self, env: &Env) -> Result<Counts>;
}

/// Every suite, in run order.
pub fn all() -> Vec<Box<dyn Suite>> {
    vec![
        Box::new(rust::RustSuite),
        Box::new(c::CSuite::default()),
        Box::new(kotlin::KotlinSuite::default()),
        Box::new(swift::SwiftSuite::default()),
        Box::new(packages::PackagesSuite::default()),
    ]
}

/// Options of `xtask test`.
#[derive(Debug, Default)]
pub struct TestOptions {
    /// Only these languages (all if empty).
    pub only: Vec<Lang>,
    /// Languages not to run.
    pub skip: Vec<Lang>,
}

/// Runs the selected suites and returns the report (not yet printed).
pub fn run_all(ws: &Workspace, opts: &TestOptions) -> Report {
    let mut report = Report::default();
    let mut prov = Provisioner::new(workspace::cache_dir());
    let mut ready: Vec<Box<dyn Suite>> = Vec::new();

    // Decide what runs; provision what will.
    let mut pending: Vec<(Lang, Outcome)> = Vec::new();
    for mut suite in all() {
        let lang = suite.lang();
        if (!opts.only.is_empty() && !opts.only.contains(&lang)) || opts.skip.contains(&lang) {
            let why = if opts.skip.contains(&lang) {
                format!("--skip {lang}")
            } else {
                "not selected".to_owned()
            };
            pending.push((lang, Outcome::NotRun(why)));
            continue;
        }
        if let Some(why) = suite.absent(ws) {
            pending.push((lang, Outcome::NotRun(why)));
            continue;
        }
        if let Err(e) = suite.prepare(&mut prov) {
            let msg = format!(
                "{lang}: the toolchain is unavailable, counting the suite as failed \
                 (pass `--skip {lang}` to leave it out): {e}"
            );
            loud(&msg);
            report.problem(msg);
            pending.push((lang, Outcome::Ran(Counts::ONE_FAILURE)));
            continue;
        }
        ready.push(suite);
    }

    // The bindings suites share one emulator and one build of each library, made when the
    // first suite needing them is about to run (so the Rust suite runs without them).
    let mut emulator: Option<Result<Option<Emulator>, String>> = None;
    let mut libraries: Vec<(Library, Result<Ffi, String>)> = Vec::new();
    let mut outcomes = pending;
    for mut suite in ready {
        let lang = suite.lang();
        eprintln!("\n==> {lang} suite");
        let result = if suite.uses_bindings() {
            let library = suite.library();
            if !libraries.iter().any(|(l, _)| *l == library) {
                // The emulator is built in the same cargo call as the first library.
                let built = build_library(ws, library, emulator.is_none()).map_err(|e| e.to_string());
                libraries.push((library, built));
            }
            let ffi = &libraries.iter().find(|(l, _)| *l == library).expect("built above").1;
            let emulator = emulator.get_or_insert_with(|| start_emulator(ws).map_err(|e| e.to_string()));
            match (ffi, &*emulator) {
                (Ok(ffi), Ok(emulator)) => suite.run(&Env {
                    ws,
                    ffi: Some(ffi),
                    emulator: emulator.as_ref(),
                }),
                (Err(e), _) | (_, Err(e)) => Err(Error::msg(format!(
                    "cannot build the bindings or start the emulator: {e}"
                ))),
            }
        } else {
            suite.run(&Env {
                ws,
                ffi: None,
                emulator: None,
            })
        };
        let counts = result.unwrap_or_else(|e| {
            let msg = format!("{lang}: the suite could not run: {e}");
            loud(&msg);
            report.problem(msg);
            Counts::ONE_FAILURE
        });
        eprintln!("==> {lang}: {counts}");
        outcomes.push((lang, Outcome::Ran(counts)));
    }
    drop(emulator); // stops it

    outcomes.sort_by_key(|(lang, _)| *lang);
    for (lang, outcome) in outcomes {
        report.add(lang, outcome);
    }
    report
}

/// Builds the debug cdylib of `library` (and, if asked and present, the emulator in the same
/// cargo call: the phone library's packages select no default features of the bindings, and
/// the emulator does not depend on them, so its configuration stays the one that ships).
pub fn build_library(ws: &Workspace, library: Library, with_emulator: bool) -> Result<Ffi> {
    let (package, name) = (library.package(), library.lib_name());
    if !ws.has_package(package) {
        return Err(Error::msg(format!(
            "no package `{package}` in the workspace (expected in bindings/)"
        )));
    }
    let mut build = Command::new(workspace::cargo());
    build.args(["build", "-p", package]).current_dir(&ws.root);
    if with_emulator && ws.has_package(emulator::PACKAGE) {
        build.args(["-p", emulator::PACKAGE]);
    }
    cmd::run(&mut build)?;
    let lib_dir = ws.debug_dir();
    let lib = lib_dir.join(format!("lib{name}.so"));
    if !lib.is_file() {
        return Err(Error::msg(format!(
            "{} was not produced: does {package} have crate-type cdylib and lib name {name}?",
            lib.display()
        )));
    }
    Ok(Ffi { lib, lib_dir })
}

/// Starts the emulator built by [`build_library`]; `None` if the workspace has none.
fn start_emulator(ws: &Workspace) -> Result<Option<Emulator>> {
    if !ws.has_package(emulator::PACKAGE) {
        loud(&format!(
            "no `{}` package: foreign suites run without {}",
            emulator::PACKAGE,
            emulator::URL_ENV
        ));
        return Ok(None);
    }
    let binary = ws.debug_dir().join(emulator::PACKAGE);
    let log = ws.scratch_dir("emulator").join("emulator.log");
    Emulator::start(&binary, &log, Duration::from_secs(60)).map(Some)
}

/// Prints a warning that stands out in a long log.
pub fn loud(message: &str) {
    eprintln!("\n!!!!! WARNING: {message}\n");
}

/// Sorted `*.<ext>` files directly in `dir` (none if it does not exist).
pub fn files_with_ext(dir: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// Sorted `*.<ext>` files anywhere below `dir`.
pub fn files_with_ext_recursive(dir: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The number just before `word` in `line` (e.g. `number_before("3 passed;", "passed")`).
pub fn number_before(line: &str, word: &str) -> Option<u64> {
    let mut prev: Option<&str> = None;
    for token in line.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')') {
        if token.is_empty() {
            continue;
        }
        if token.trim_end_matches('.') == word
            && let Some(n) = prev.and_then(|p| p.parse().ok())
        {
            return Some(n);
        }
        prev = Some(token);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_numbers_before_words() {
        let l = "test result: ok. 12 passed; 3 failed; 0 ignored";
        assert_eq!(number_before(l, "passed"), Some(12));
        assert_eq!(number_before(l, "failed"), Some(3));
        assert_eq!(number_before(l, "measured"), None);
        assert_eq!(number_before("OK (7 tests)", "tests"), Some(7));
    }
}
