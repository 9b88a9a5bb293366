//! `cargo xtask fuzz`: the property tests of every parser of server input (`prop_*` tests, in
//! any crate of the workspace), run long.
//!
//! It is `cargo test --release --workspace prop_` with `PROPTEST_CASES` set (default
//! 1,000,000), except that each test runs on its own, so that its time can be reported: the test
//! binaries are built once with `--no-run`, listed with `--list`, and every `prop_*` test is run
//! with `--exact` on one thread.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bail;
use crate::cmd;
use crate::error::{Context, Result};
use crate::workspace::{self, Workspace};

/// Cases per property test when `--cases` is not given.
pub const DEFAULT_CASES: u64 = 1_000_000;

/// The prefix every property test's name starts with (a convention shared by all crates).
const PREFIX: &str = "prop_";

/// One property test: the binary that holds it and its full libtest name.
struct PropTest {
    binary: String,
    executable: String,
    name: String,
}

/// The outcome of one test.
struct Run {
    test: PropTest,
    elapsed: Duration,
    passed: bool,
}

/// Builds the release test binaries, runs every `prop_*` test with `cases` cases, prints one
/// line per test and a table at the end. Returns whether all passed.
pub fn run(ws: &Workspace, cases: u64) -> Result<bool> {
    let start = Instant::now();
    let tests = discover(ws)?;
    if tests.is_empty() {
        eprintln!("fuzz: no `{PREFIX}*` test found in the workspace");
        return Ok(false);
    }
    eprintln!("fuzz: {} property tests, {cases} cases each", tests.len());
    let mut runs = Vec::new();
    for test in tests {
        let t = Instant::now();
        let mut command = Command::new(&test.executable);
        command
            .args(["--exact", &test.name, "--test-threads", "1"])
            .env("PROPTEST_CASES", cases.to_string())
            .current_dir(&ws.root);
        cmd::echo(&command);
        let output = command
            .output()
            .with_context(|| format!("cannot run {}", test.executable))?;
        let passed = output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed");
        let elapsed = t.elapsed();
        eprintln!(
            "fuzz: {} {} ({cases} cases in {})",
            if passed { "ok" } else { "FAILED" },
            test.name,
            seconds(elapsed)
        );
        if !passed {
            eprintln!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        runs.push(Run { test, elapsed, passed });
    }
    print!("{}", table(&runs, cases));
    let failed = runs.iter().filter(|r| !r.passed).count();
    println!(
        "fuzz: {} passed, {failed} failed, {cases} cases each, in {}",
        runs.len() - failed,
        cmd::elapsed(start)
    );
    Ok(failed == 0)
}

/// Builds every test binary of the workspace in release mode and lists their `prop_*` tests.
fn discover(ws: &Workspace) -> Result<Vec<PropTest>> {
    let mut build = Command::new(workspace::cargo());
    build
        .args([
            "test",
            "--release",
            "--workspace",
            "--lib",
            "--tests",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(&ws.root);
    // Cargo's progress goes to the terminal; its JSON messages (stdout) name the binaries.
    cmd::echo(&build);
    let output = build
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run `{}`", cmd::display(&build)))?;
    if !output.status.success() {
        bail!("`{}` failed with {}", cmd::display(&build), output.status);
    }
    let json = String::from_utf8_lossy(&output.stdout);
    let mut tests = Vec::new();
    for (binary, executable) in test_executables(&json) {
        let listing = cmd::read(Command::new(&executable).arg("--list").current_dir(&ws.root))?;
        for name in prop_tests(&listing) {
            tests.push(PropTest {
                binary: binary.clone(),
                executable: executable.clone(),
                name,
            });
        }
    }
    Ok(tests)
}

/// `(crate/target, executable)` of each test binary in cargo's JSON messages.
fn test_executables(messages: &str) -> Vec<(String, String)> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] == true)
        .filter_map(|m| {
            let executable = m["executable"].as_str()?.to_owned();
            let package = m["package_id"].as_str().unwrap_or_default();
            // `path+file:///…/core#token-exchange@0.1.0` or `…/emulator#0.1.0`: the crate name.
            let krate = package
                .rsplit_once('#')
                .map(|(path, version)| match version.split_once('@') {
                    Some((name, _)) => name.to_owned(),
                    None => path.rsplit('/').next().unwrap_or(path).to_owned(),
                })
                .unwrap_or_default();
            let target = m["target"]["name"].as_str().unwrap_or_default();
            Some((format!("{krate}/{target}"), executable))
        })
        .collect()
}

/// The tests of a `--list` output whose own name (the last path segment) starts with `prop_`.
fn prop_tests(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .filter(|name| name.rsplit("::").next().is_some_and(|n| n.starts_with(PREFIX)))
        .map(str::to_owned)
        .collect()
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The Markdown table printed at the end (the form BENCHMARKS.md records).
fn table(runs: &[Run], cases: u64) -> String {
    let mut out = String::from(
        "\n| test | binary | cases | time | µs per case | result |\n| --- | --- | ---: | ---: | ---: | --- |\n",
    );
    for r in runs {
        let per_case = r.elapsed.as_secs_f64() * 1e6 / cases.max(1) as f64;
        out.push_str(&format!(
            "| `{}` | {} | {cases} | {} | {per_case:.1} | {} |\n",
            r.test.name,
            r.test.binary,
            seconds(r.elapsed),
            if r.passed { "ok" } else { "FAILED" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_prop_tests_in_a_listing() {
        let listing = "http::tests::properties::prop_retry_after_never_panics_and_is_clamped: test\n\
                       http::tests::retry_after_forms: test\n\
                       prop_top_level: test\n\
                       tests::not_prop_x: test\n\
                       tests::prop_in_a_doc: bench\n\n2 tests, 0 benchmarks\n";
        assert_eq!(
            prop_tests(listing),
            [
                "http::tests::properties::prop_retry_after_never_panics_and_is_clamped",
                "prop_top_level"
            ]
        );
    }

    #[test]
    fn reads_test_executables_from_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/core#token-exchange@0.1.0","target":{"name":"token_exchange"},"profile":{"test":true},"executable":"/t/release/deps/token_exchange-1"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/emulator#0.1.0","target":{"name":"dpop"},"profile":{"test":true},"executable":"/t/release/deps/dpop-2"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"registry+x#serde@1.0.0","target":{"name":"serde"},"profile":{"test":false},"executable":null}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            test_executables(messages),
            [
                (
                    "token-exchange/token_exchange".to_owned(),
                    "/t/release/deps/token_exchange-1".to_owned()
                ),
                ("emulator/dpop".to_owned(), "/t/release/deps/dpop-2".to_owned()),
            ]
        );
    }
}
