//! The consumer projects suite (`packages`): programs outside the Cargo workspace, built
//! only from what a user gets (the packages as installed), each trading a Sign in with Apple
//! code for DPoP-bound tokens at the emulator.
//!
//! Tests, in order:
//! 1. every statement of the version agrees with the workspace version ([`crate::version`]);
//! 2. the README's installation snippets are the consumers' ([`readme_problems`]);
//! 3. `cargo xtask install` into `<target>/xtask/packages/prefix` (emptied first), and the
//!    installed shared library's SONAME;
//! 4. each consumer: built, then run with `DOMAIN CLIENT_ID APPLE_CODE` (the emulator's
//!    address, [`CLIENT_ID`], a code the suite mints right before) — one test each, passed
//!    if it builds and exits 0.
//!
//! **Adding a consumer.** A consumer is a folder of `packages/consumers/` whose build file
//! says what [`Kind`] it is (`Makefile`: a C program built with pkg-config; `CMakeLists.txt`:
//! CMake `find_package`; `build.gradle.kts`: a Kotlin or Java program on the jar, [`jvm`];
//! `Package.swift`: a Swift package depending on the root package, [`swift`]); add a folder,
//! nothing else. A new kind is one [`Kind`] implementation added to [`kinds`]: the file it is
//! recognised by, its toolchain, how to build and how to run. The README marks each
//! installation snippet a consumer follows with `<!-- consumer: <folder>/<file> -->`.

mod c;
mod jvm;
mod swift;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use super::{Env, Suite};
use crate::emulator::Emulator;
use crate::error::{Context, Error, Result};
use crate::install::{self, Installed};
use crate::lang::Lang;
use crate::provision::Provisioner;
use crate::report::Counts;
use crate::version;
use crate::workspace::Workspace;

/// The consumer projects, one folder each.
pub const CONSUMERS_DIR: &str = "packages/consumers";
/// The emulator's client the consumers sign in to: it requires DPoP, so a consumer that
/// sent no proof fails.
pub const CLIENT_ID: &str = "dpop-required-app";
/// The README, whose installation snippets the consumers follow.
const README: &str = "README.md";
/// The marker before a README snippet: `<!-- consumer: <folder>/<file> -->`.
const SNIPPET_MARKER: &str = "<!-- consumer: ";

/// A kind of consumer project: how it is recognised, what toolchain it needs, how it is
/// built and how it runs.
pub trait Kind {
    /// Short name, for the log (`pkg-config`, `cmake`).
    fn name(&self) -> &'static str;

    /// The file whose presence in a consumer folder makes it a consumer of this kind.
    fn build_file(&self) -> &'static str;

    /// Provisions (idempotently) and remembers the toolchain; an error counts as a failure.
    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()>;

    /// Builds the consumer in `consumer` (its folder) into `build_dir`, against the packages
    /// installed as `installed`.
    fn build(&self, ws: &Workspace, consumer: &Path, build_dir: &Path, installed: &Installed) -> Result<()>;

    /// Runs the built consumer with `args` (`DOMAIN CLIENT_ID APPLE_CODE`); its exit status.
    fn run(&self, ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus>;
}

/// Every kind of consumer.
fn kinds() -> Vec<Box<dyn Kind>> {
    vec![
        Box::new(c::PkgConfig::default()),
        Box::new(c::CMake::default()),
        Box::new(jvm::Jvm::default()),
        Box::new(swift::SwiftPm::default()),
    ]
}

/// `xtask provision --lang packages`: the toolchain of every kind.
pub fn provision(prov: &mut Provisioner) -> Result<()> {
    kinds().iter_mut().try_for_each(|k| k.prepare(prov))
}

/// A consumer project: its folder and the index of its kind in [`kinds`].
struct Consumer {
    name: String,
    dir: PathBuf,
    kind: usize,
}

/// The consumer folders, sorted, each with its kind; a folder of no known kind is an error.
fn consumers(ws: &Workspace, kinds: &[Box<dyn Kind>]) -> Result<Vec<Consumer>> {
    let root = ws.root.join(CONSUMERS_DIR);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .with_context(|| format!("reading {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let kind = kinds
                .iter()
                .position(|k| dir.join(k.build_file()).is_file())
                .ok_or_else(|| {
                    let files: Vec<&str> = kinds.iter().map(|k| k.build_file()).collect();
                    Error::msg(format!(
                        "{CONSUMERS_DIR}/{name} has none of the build files {}",
                        files.join(", ")
                    ))
                })?;
            Ok(Consumer { name, dir, kind })
        })
        .collect()
}

/// The consumer projects suite.
#[derive(Default)]
pub struct PackagesSuite {
    kinds: Vec<Box<dyn Kind>>,
    /// Per kind (same index): why its toolchain is unavailable, if it is.
    unavailable: Vec<Option<String>>,
}

impl Suite for PackagesSuite {
    fn lang(&self) -> Lang {
        Lang::Packages
    }

    fn absent(&self, ws: &Workspace) -> Option<String> {
        (!ws.root.join(CONSUMERS_DIR).is_dir()).then(|| format!("no {CONSUMERS_DIR}/ directory"))
    }

    fn uses_bindings(&self) -> bool {
        true // for the emulator; the consumers use the release build they install
    }

    /// Provisions every kind; one whose toolchain is unavailable fails its consumers only.
    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.kinds = kinds();
        self.unavailable = self
            .kinds
            .iter_mut()
            .map(|k| {
                k.prepare(prov)
                    .err()
                    .map(|e| format!("the {} toolchain is unavailable: {e}", k.name()))
            })
            .collect();
        if self.unavailable.iter().all(Option::is_some) {
            let reasons: Vec<String> = self.unavailable.iter().flatten().cloned().collect();
            return Err(Error::msg(reasons.join("; ")));
        }
        Ok(())
    }

    fn run(&mut self, env: &Env) -> Result<Counts> {
        let ws = env.ws;
        let emulator = env
            .emulator
            .ok_or_else(|| Error::msg("the consumers need the emulator"))?;
        let consumers = consumers(ws, &self.kinds)?;
        let mut counts = Counts::default();

        let mismatches = version::check(ws).unwrap_or_else(|e| {
            vec![version::Mismatch {
                place: format!("the version check itself: {e}"),
                found: None,
                expected: String::new(),
            }]
        });
        for m in &mismatches {
            eprintln!("packages: version: {m}");
        }
        record(
            &mut counts,
            mismatches.is_empty(),
            "every statement of the version agrees",
        );

        let problems = readme_problems(ws, &consumers);
        for p in &problems {
            eprintln!("packages: {README}: {p}");
        }
        record(
            &mut counts,
            problems.is_empty(),
            "the README's installation snippets are the consumers'",
        );

        let scratch = ws.scratch_dir("packages");
        let prefix = scratch.join("prefix");
        let installed = fs::remove_dir_all(&prefix)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(Error::from)
            .and_then(|()| install::run(ws, &prefix))
            .and_then(|installed| c::check_soname(&installed).map(|()| installed));
        let installed = match installed {
            Ok(installed) => {
                record(&mut counts, true, "cargo xtask install");
                installed
            }
            Err(e) => {
                eprintln!("packages: install failed: {e}");
                record(&mut counts, false, "cargo xtask install");
                counts.failed += consumers.len() as u64;
                return Ok(counts);
            }
        };

        for consumer in &consumers {
            let kind = &self.kinds[consumer.kind];
            let build_dir = scratch.join("build").join(&consumer.name);
            let result = match &self.unavailable[consumer.kind] {
                Some(why) => Err(Error::msg(why.clone())),
                None => build_and_run(ws, emulator, kind.as_ref(), consumer, &build_dir, &installed),
            };
            let ok = result.unwrap_or_else(|e| {
                eprintln!("packages: {}: {e}", consumer.name);
                false
            });
            record(
                &mut counts,
                ok,
                &format!("{CONSUMERS_DIR}/{} ({})", consumer.name, kind.name()),
            );
        }
        Ok(counts)
    }
}

fn record(counts: &mut Counts, ok: bool, what: &str) {
    counts.record(ok);
    eprintln!("packages: {} {what}", if ok { "ok" } else { "FAILED" });
}

/// Builds one consumer from scratch and runs it with a fresh Apple code.
fn build_and_run(
    ws: &Workspace,
    emulator: &Emulator,
    kind: &dyn Kind,
    consumer: &Consumer,
    build_dir: &Path,
    installed: &Installed,
) -> Result<bool> {
    if build_dir.exists() {
        fs::remove_dir_all(build_dir).with_context(|| format!("clearing {}", build_dir.display()))?;
    }
    fs::create_dir_all(build_dir)?;
    kind.build(ws, &consumer.dir, build_dir, installed)?;
    let answer = emulator.control_post("/emulator/apple/authorization-codes", "{}")?;
    let code = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .ok_or_else(|| Error::msg("the emulator minted no Apple code"))?;
    let args = [emulator.base_url().to_owned(), CLIENT_ID.to_owned(), code];
    let status = kind.run(ws, build_dir, &args)?;
    if !status.success() {
        eprintln!("packages: {} exited with {status}", consumer.name);
    }
    Ok(status.success())
}

/// What is wrong with the README's installation snippets (see [`snippet_problems`]).
fn readme_problems(ws: &Workspace, consumers: &[Consumer]) -> Vec<String> {
    let readme = match fs::read_to_string(ws.root.join(README)) {
        Ok(text) => text,
        Err(e) => return vec![format!("unreadable: {e}")],
    };
    let names: Vec<&str> = consumers.iter().map(|c| c.name.as_str()).collect();
    snippet_problems(&readme, &names, |target| {
        fs::read_to_string(ws.root.join(CONSUMERS_DIR).join(target)).ok()
    })
}

/// What is wrong with the installation snippets of `readme`: each `<!-- consumer: F -->`
/// marker must be followed by a fenced code block whose every line naming the package
/// (`token-exchange`, `token_exchange`, `TokenExchange`) appears, word for word, as a line of
/// the consumer file `F` (`consumer_file(F)`: its text, `None` if missing); every consumer
/// folder of `consumers` must follow at least one snippet.
fn snippet_problems(readme: &str, consumers: &[&str], consumer_file: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut followed = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(target) = line
            .trim()
            .strip_prefix(SNIPPET_MARKER)
            .and_then(|r| r.strip_suffix("-->"))
        else {
            continue;
        };
        let target = target.trim();
        if !lines.next().is_some_and(|l| l.starts_with("```")) {
            problems.push(format!("the marker for {target} is not followed by a code block"));
            continue;
        }
        let snippet: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        let Some(file) = consumer_file(target) else {
            problems.push(format!("{CONSUMERS_DIR}/{target} does not exist"));
            continue;
        };
        let file_lines: Vec<&str> = file.lines().map(str::trim).collect();
        for wanted in snippet.iter().map(|l| l.trim()).filter(|l| names_the_package(l)) {
            if !file_lines.contains(&wanted) {
                problems.push(format!("`{wanted}` is not a line of {CONSUMERS_DIR}/{target}"));
            }
        }
        followed.push(target.split('/').next().unwrap_or_default().to_owned());
    }
    for consumer in consumers {
        if !followed.iter().any(|f| f == consumer) {
            problems.push(format!("no snippet marked for {CONSUMERS_DIR}/{consumer}"));
        }
    }
    problems
}

fn names_the_package(line: &str) -> bool {
    ["token-exchange", "token_exchange", "TokenExchange"]
        .iter()
        .any(|name| line.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const README_TEXT: &str = "Intro\n\n<!-- consumer: c-cmake/CMakeLists.txt -->\n```cmake\n\
        find_package(TokenExchange 0.1.0 REQUIRED)\nadd_executable(app app.c)\n\
        target_link_libraries(app PRIVATE TokenExchange::TokenExchange)\n```\n";

    fn cmake_file(body: &'static str) -> impl Fn(&str) -> Option<String> {
        move |target| (target == "c-cmake/CMakeLists.txt").then(|| body.to_owned())
    }

    #[test]
    fn snippets_must_be_lines_of_their_consumer() {
        let file = "find_package(TokenExchange 0.1.0 REQUIRED)\nadd_executable(app ../exchange.c)\n\
                    target_link_libraries(app PRIVATE TokenExchange::TokenExchange)\n";
        // Lines not naming the package (add_executable) may differ.
        assert_eq!(
            snippet_problems(README_TEXT, &["c-cmake"], cmake_file(file)),
            Vec::<String>::new()
        );

        let drifted = "find_package(TokenExchange 0.2.0 REQUIRED)\n\
                       target_link_libraries(app PRIVATE TokenExchange::TokenExchange)\n";
        let problems = snippet_problems(README_TEXT, &["c-cmake"], cmake_file(drifted));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("find_package(TokenExchange 0.1.0 REQUIRED)"),
            "{problems:?}"
        );
    }

    #[test]
    fn every_consumer_needs_a_snippet_and_every_snippet_a_file() {
        let problems = snippet_problems(README_TEXT, &["c-cmake", "c-pkg-config"], |_| None);
        assert_eq!(
            problems,
            [
                "packages/consumers/c-cmake/CMakeLists.txt does not exist",
                "no snippet marked for packages/consumers/c-cmake",
                "no snippet marked for packages/consumers/c-pkg-config",
            ]
        );
        let unfenced = "<!-- consumer: c-cmake/CMakeLists.txt -->\nfind_package(TokenExchange)\n";
        assert_eq!(
            snippet_problems(unfenced, &[], |_| None),
            ["the marker for c-cmake/CMakeLists.txt is not followed by a code block"]
        );
    }
}
