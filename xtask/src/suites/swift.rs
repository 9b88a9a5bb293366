//! The Swift suite: the bindings drift check, then `swift build --build-tests` and
//! `swift test --disable-swift-testing` of the root package (`Package.swift`, sources in
//! `swift/`), inside the Debian trixie chroot (see [`crate::chroot`]) with the repository (and
//! the target directory, when it lies outside) bind-mounted at the same path. The package finds
//! the library through the pkg-config file of [`swiftpm::dev_setup`]. Counts come from XCTest's
//! last `Executed N tests, with M failures` line.
//!
//! After the build, a consumer check (one test): a file that imports only the public
//! `TokenExchange` module must type-check when it calls the client's idiomatic
//! `nativeSocialExchange(_:)` and must NOT when it calls the generated
//! `nativeSocialExchange(request:cancellation:)`, which bypasses `Task` cancellation: the
//! generated client stays inside the package.
//!
//! Then each Swift example runs: in the package `examples/swift/`, every directory holding a
//! `main.swift` is taken to be an executable target of that name, run with `swift run <name>`
//! (one test each, passed if it exits 0).

use super::{Env, Library, Suite, number_before};
use crate::bindgen;
use crate::chroot::{Chroot, Invocation};
use std::path::Path;
use std::time::Duration;

use crate::cmd::{self, Stream};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::provision::Provisioner;
use crate::report::Counts;
use crate::swiftpm;
use crate::workspace::Workspace;

/// The Swift package directory: the repository root (SwiftPM reads only a root manifest).
pub const PACKAGE_DIR: &str = ".";
/// The Swift sources (the package's targets point there).
pub const SOURCES_DIR: &str = "swift";
/// Time limit of `swift build --build-tests`.
pub const BUILD_LIMIT: Duration = Duration::from_secs(1200);
/// Time limit of `swift test`.
pub const TEST_LIMIT: Duration = Duration::from_secs(600);
/// The Swift examples package.
pub const EXAMPLES_DIR: &str = "examples/swift";

/// XCTest tests of the Swift bindings.
#[derive(Default)]
pub struct SwiftSuite {
    chroot: Option<Chroot>,
}

impl Suite for SwiftSuite {
    fn lang(&self) -> Lang {
        Lang::Swift
    }

    fn absent(&self, ws: &Workspace) -> Option<String> {
        (!ws.root.join(SOURCES_DIR).is_dir()).then(|| "no swift/ directory".to_owned())
    }

    fn uses_bindings(&self) -> bool {
        true
    }

    fn library(&self) -> Library {
        Library::Mobile
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.chroot = Some(prov.swift()?);
        Ok(())
    }

    fn run(&mut self, env: &Env) -> Result<Counts> {
        let chroot = self.chroot.as_ref().ok_or_else(|| Error::msg("not prepared"))?;
        let ws = env.ws;
        let ffi = env.ffi()?;
        let mut counts = Counts::default();

        if bindgen::available(ws) {
            let fresh = bindgen::check(ws, Lang::Swift, &ffi.lib).unwrap_or_else(|e| {
                eprintln!("swift: bindings check failed: {e}");
                false
            });
            counts.record(fresh);
        }

        let mut binds = vec![ws.root.clone()];
        if ws.target_outside_root() {
            binds.push(ws.target_dir.clone());
        }
        let mut vars = env.test_vars();
        vars.extend(swiftpm::dev_setup(ws, ffi)?);
        let invocation_in = |dir: &str, args: &[&str], limit: Duration| Invocation {
            argv: args.iter().map(|s| s.to_string()).collect(),
            cwd: ws.root.join(dir),
            env: vars.clone(),
            binds: binds.clone(),
            timeout: Some(limit),
        };
        let invocation = |args: &[&str], limit: Duration| invocation_in(PACKAGE_DIR, args, limit);

        let status = chroot.run(
            &invocation(&["swift", "build", "--build-tests"], BUILD_LIMIT),
            |_, _| {},
        )?;
        if !status.success() {
            eprintln!("swift: build failed ({})", cmd::describe(status, BUILD_LIMIT));
            counts.failed += 1;
            return Ok(counts);
        }
        let consumer = consumer_check(ws, |argv| {
            let mut output = Vec::new();
            let status = chroot.run(&invocation(argv, BUILD_LIMIT), |_, line| output.push(line.to_owned()))?;
            Ok((status, output))
        })?;
        if !consumer {
            eprintln!("swift: FAILED the generated methods must not be reachable from a consumer of TokenExchange");
        }
        counts.record(consumer);
        let mut summary = XcTestSummary::default();
        let status = chroot.run(
            &invocation(&["swift", "test", "--disable-swift-testing"], TEST_LIMIT),
            |_stream: Stream, line| summary.line(line),
        )?;
        if !status.success() {
            eprintln!("swift: swift test failed ({})", cmd::describe(status, TEST_LIMIT));
        }
        counts += summary.counts(status.success());

        for example in examples(&ws.root.join(EXAMPLES_DIR)) {
            let dir = format!("{EXAMPLES_DIR}/{}", example.dir);
            let mut argv = vec!["swift", "run"];
            argv.extend(example.product.as_deref());
            let status = chroot.run(&invocation_in(&dir, &argv, BUILD_LIMIT), |_, _| {})?;
            let ok = status.success();
            let name = example.product.as_deref().unwrap_or(&example.dir);
            if !ok {
                eprintln!("swift: example {name} failed ({})", cmd::describe(status, BUILD_LIMIT));
            }
            eprintln!("swift: {} example {name}", if ok { "ok" } else { "FAILED" });
            counts.record(ok);
        }
        Ok(counts)
    }
}

/// What a consumer module of the package may and may not call, type-checked by
/// [`consumer_check`].
const CONSUMER_CALLS: [(&str, bool); 2] = [
    ("try await client.nativeSocialExchange(request)", true),
    (
        "try await client.nativeSocialExchange(request: request, cancellation: nil)",
        false,
    ),
];

/// Type-checks, as a module of its own that imports `TokenExchange` (built by `swift build` in
/// [`PACKAGE_DIR`]), each call of [`CONSUMER_CALLS`]; true when exactly the allowed ones
/// type-check. `typecheck` runs a `swiftc` command line in the chroot.
fn consumer_check(
    ws: &Workspace,
    mut typecheck: impl FnMut(&[&str]) -> Result<(std::process::ExitStatus, Vec<String>)>,
) -> Result<bool> {
    let dir = ws.scratch_dir("swift-consumer");
    std::fs::create_dir_all(&dir)?;
    let package = ws.root.join(PACKAGE_DIR);
    let modules = package.join(".build/debug/Modules");
    let ffi = ws.root.join(SOURCES_DIR).join("Sources/TokenExchangeFFI");
    let mut as_expected = true;
    for (i, (call, allowed)) in CONSUMER_CALLS.iter().enumerate() {
        let file = dir.join(format!("consumer{i}.swift"));
        std::fs::write(
            &file,
            format!(
                "import TokenExchange\n\nfunc consume(_ client: TokenExchangeClient, _ request: NativeSocialExchange) async throws {{\n    _ = {call}\n}}\n"
            ),
        )?;
        let (modules, ffi, file) = (
            modules.display().to_string(),
            ffi.display().to_string(),
            file.display().to_string(),
        );
        let (status, output) = typecheck(&["swiftc", "-typecheck", "-I", &modules, "-I", &ffi, &file])?;
        if status.success() != *allowed {
            eprintln!(
                "swift: consumer check: `{call}` {}:\n{}",
                if *allowed {
                    "does not type-check"
                } else {
                    "type-checks, but must not"
                },
                output.join("\n")
            );
            as_expected = false;
        }
    }
    Ok(as_expected)
}

/// A Swift example to `swift run`: in `dir` (relative to [`EXAMPLES_DIR`]), the executable
/// `product` (`None`: the package's only executable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Directory of the package, relative to [`EXAMPLES_DIR`] (`.` for the directory itself).
    pub dir: String,
    /// Executable to run, when the package has several.
    pub product: Option<String>,
}

/// The Swift examples under `dir`, sorted. Two layouts are recognised:
///
/// * `dir/Package.swift` with executable targets in subdirectories holding a `main.swift`:
///   one example per subdirectory, run from `dir`;
/// * subdirectories that are packages of their own (`dir/<Name>/Package.swift`): one example
///   each, run from that subdirectory. This is what the repository uses: a package in a
///   directory named `swift` cannot depend on the library package `../../swift`, whose
///   directory is also named `swift` (SwiftPM derives package identities from directory names
///   and reports a cycle).
pub fn examples(dir: &Path) -> Vec<Example> {
    let mut found: Vec<Example> = Vec::new();
    let root_package = dir.join("Package.swift").is_file();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if path.join("Package.swift").is_file() {
            found.push(Example {
                dir: name,
                product: None,
            });
        } else if root_package && path.join("main.swift").is_file() {
            found.push(Example {
                dir: ".".to_owned(),
                product: Some(name),
            });
        }
    }
    found.sort_by(|a, b| (&a.product, &a.dir).cmp(&(&b.product, &b.dir)));
    found
}

/// XCTest's summary: the last `Executed N tests, with M failures ...` line wins (it is the
/// one for all test suites together).
#[derive(Debug, Default)]
pub struct XcTestSummary {
    counts: Option<Counts>,
}

impl XcTestSummary {
    /// Feeds one line of `swift test` output.
    pub fn line(&mut self, line: &str) {
        let Some(at) = line.find("Executed ") else {
            return;
        };
        let rest = &line[at..];
        let run = number_before(rest, "tests").or_else(|| number_before(rest, "test"));
        let failed = number_before(rest, "failures").or_else(|| number_before(rest, "failure"));
        if let (Some(run), Some(failed)) = (run, failed) {
            self.counts = Some(Counts::new(run.saturating_sub(failed), failed));
        }
    }

    /// The counts; a failing exit without a parsed failure adds one failure.
    pub fn counts(&self, exit_ok: bool) -> Counts {
        let mut c = self.counts.unwrap_or_default();
        if !exit_ok && c.failed == 0 {
            c.failed += 1;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(out: &str, exit_ok: bool) -> Counts {
        let mut s = XcTestSummary::default();
        out.lines().for_each(|l| s.line(l));
        s.counts(exit_ok)
    }

    #[test]
    fn finds_example_executables() {
        let dir = std::env::temp_dir().join(format!("xtask-swift-examples-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("Quickstart")).unwrap();
        std::fs::create_dir_all(dir.join("Shared")).unwrap();
        std::fs::write(dir.join("Quickstart/main.swift"), "").unwrap();
        std::fs::write(dir.join("Shared/Util.swift"), "").unwrap();
        assert!(examples(&dir).is_empty(), "no Package.swift, no examples");
        std::fs::write(dir.join("Package.swift"), "").unwrap();
        assert_eq!(
            examples(&dir),
            vec![Example {
                dir: ".".to_owned(),
                product: Some("Quickstart".to_owned())
            }]
        );
        std::fs::remove_file(dir.join("Package.swift")).unwrap();
        std::fs::create_dir_all(dir.join("Standalone/Sources/Standalone")).unwrap();
        std::fs::write(dir.join("Standalone/Package.swift"), "").unwrap();
        assert_eq!(
            examples(&dir),
            vec![Example {
                dir: "Standalone".to_owned(),
                product: None
            }]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn parses_xctest_summaries() {
        let out = "Test Suite 'FooTests' passed at 2025-01-01 10:00:00.000.\n\
                   \t Executed 3 tests, with 0 failures (0 unexpected) in 0.010 (0.010) seconds\n\
                   Test Suite 'All tests' failed at 2025-01-01 10:00:00.000.\n\
                   \t Executed 11 tests, with 2 failures (0 unexpected) in 0.120 (0.121) seconds\n";
        assert_eq!(parse(out, false), Counts::new(9, 2));
        assert_eq!(
            parse(
                "\t Executed 1 test, with 1 failure (0 unexpected) in 0.001 (0.001) seconds\n",
                false
            ),
            Counts::new(0, 1)
        );
        assert_eq!(parse("error: build failed\n", false), Counts::new(0, 1));
    }
}
