//! The Kotlin suite: the bindings drift check, then `kotlinc` compiles the bindings and the
//! idiomatic layer (`kotlin/src/main/kotlin/`) together with the JUnit 4 tests
//! (`kotlin/src/test/kotlin/`) into one jar under the target directory, and
//! `org.junit.runner.JUnitCore` runs the tests with `-Djna.library.path=<dir of the cdylib>`.
//!
//! Test classes are found by convention: every `.kt` file under the test directory that
//! contains `@Test` holds a class named after the file, in the file's `package`.
//!
//! The examples (`examples/kotlin/*.kt`) are compiled into the same jar; every file with a
//! top-level `fun main` is then run (`<package>.<File>Kt`) against the emulator and counts as
//! one test, passed if it exits 0.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Env, Library, Suite, files_with_ext_recursive, number_before};
use crate::bindgen;
use crate::cmd::{self, Stream};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::provision::{KotlinTools, Provisioner};
use crate::report::Counts;
use crate::workspace::Workspace;

/// Main sources (generated bindings and the idiomatic layer).
pub const MAIN_DIR: &str = "kotlin/src/main/kotlin";
/// JUnit 4 tests.
pub const TEST_DIR: &str = "kotlin/src/test/kotlin";
/// Runnable examples (files with a top-level `main`).
pub const EXAMPLES_DIR: &str = "examples/kotlin";
/// Time limit of one example run.
pub const EXAMPLE_LIMIT: Duration = Duration::from_secs(120);
/// Time limit of the kotlinc run.
pub const COMPILE_LIMIT: Duration = Duration::from_secs(900);
/// Time limit of the JUnit run.
pub const TEST_LIMIT: Duration = Duration::from_secs(600);

/// Kotlin/JVM tests of the bindings.
#[derive(Default)]
pub struct KotlinSuite {
    tools: Option<KotlinTools>,
}

impl Suite for KotlinSuite {
    fn lang(&self) -> Lang {
        Lang::Kotlin
    }

    fn absent(&self, ws: &Workspace) -> Option<String> {
        (!ws.root.join("kotlin").is_dir()).then(|| "no kotlin/ directory".to_owned())
    }

    fn uses_bindings(&self) -> bool {
        true
    }

    fn library(&self) -> Library {
        Library::Mobile
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.tools = Some(prov.kotlin()?);
        Ok(())
    }

    fn run(&mut self, env: &Env) -> Result<Counts> {
        let tools = self.tools.as_ref().ok_or_else(|| Error::msg("not prepared"))?;
        let ws = env.ws;
        let ffi = env.ffi()?;
        let mut counts = Counts::default();

        if bindgen::available(ws) {
            let fresh = bindgen::check(ws, Lang::Kotlin, &ffi.lib).unwrap_or_else(|e| {
                eprintln!("kotlin: bindings check failed: {e}");
                false
            });
            counts.record(fresh);
        }

        let sources: Vec<PathBuf> = [MAIN_DIR, TEST_DIR, EXAMPLES_DIR]
            .iter()
            .map(|d| ws.root.join(d))
            .filter(|d| d.is_dir())
            .collect();
        let classes = test_classes(&ws.root.join(TEST_DIR));
        if sources.is_empty() || classes.is_empty() {
            eprintln!("kotlin: no tests found under {TEST_DIR} (files containing @Test)");
            return Ok(counts);
        }

        let out = ws.scratch_dir("kotlin");
        fs::create_dir_all(&out)?;
        let jar = out.join("token-exchange-kotlin-tests.jar");
        let _ = fs::remove_file(&jar);
        let status = cmd::status(
            cmd::timed(COMPILE_LIMIT, &tools.kotlinc, false)
                .arg("-cp")
                .arg(classpath(&tools.compile_classpath()))
                .arg("-d")
                .arg(&jar)
                .args(&sources)
                .current_dir(&ws.root),
        )?;
        if !status.success() {
            eprintln!("kotlin: compilation failed ({})", cmd::describe(status, COMPILE_LIMIT));
            counts.failed += 1;
            return Ok(counts);
        }

        let mut cp: Vec<&Path> = vec![&jar];
        cp.extend(tools.runtime_classpath());
        let mut junit = JUnitSummary::default();
        let status = cmd::stream(
            cmd::timed(TEST_LIMIT, &tools.java, false)
                .arg(format!("-Djna.library.path={}", ffi.lib_dir.display()))
                .arg("-cp")
                .arg(classpath(&cp))
                .arg("org.junit.runner.JUnitCore")
                .args(&classes)
                .current_dir(&ws.root)
                .envs(env.test_vars()),
            |stream, line| {
                if stream == Stream::Stdout {
                    junit.line(line);
                }
            },
        )?;
        if !status.success() {
            eprintln!("kotlin: JUnit failed ({})", cmd::describe(status, TEST_LIMIT));
        }
        counts += junit.counts(status.success());

        for class in main_classes(&ws.root.join(EXAMPLES_DIR)) {
            let status = cmd::status(
                cmd::timed(EXAMPLE_LIMIT, &tools.java, false)
                    .arg(format!("-Djna.library.path={}", ffi.lib_dir.display()))
                    .arg("-cp")
                    .arg(classpath(&cp))
                    .arg(&class)
                    .current_dir(&ws.root)
                    .envs(env.test_vars()),
            )?;
            let ok = status.success();
            if !ok {
                eprintln!(
                    "kotlin: example {class} failed ({})",
                    cmd::describe(status, EXAMPLE_LIMIT)
                );
            }
            eprintln!("kotlin: {} example {class}", if ok { "ok" } else { "FAILED" });
            counts.record(ok);
        }
        Ok(counts)
    }
}

/// The JVM classes of the examples under `dir`: `<package>.<File>Kt` for every `.kt` file
/// with a top-level `fun main`.
pub fn main_classes(dir: &Path) -> Vec<String> {
    files_with_ext_recursive(dir, "kt")
        .into_iter()
        .filter_map(|file| {
            let text = fs::read_to_string(&file).ok()?;
            if !text.lines().any(|l| l.starts_with("fun main(")) {
                return None;
            }
            let class = format!("{}Kt", file.file_stem()?.to_str()?);
            Some(match package_of(&text) {
                Some(pkg) => format!("{pkg}.{class}"),
                None => class,
            })
        })
        .collect()
}

fn classpath(jars: &[&Path]) -> String {
    jars.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Fully qualified names of the test classes under `dir` (see the module docs).
pub fn test_classes(dir: &Path) -> Vec<String> {
    files_with_ext_recursive(dir, "kt")
        .into_iter()
        .filter_map(|file| {
            let text = fs::read_to_string(&file).ok()?;
            if !text.contains("@Test") {
                return None;
            }
            let class = file.file_stem()?.to_str()?.to_owned();
            Some(match package_of(&text) {
                Some(pkg) => format!("{pkg}.{class}"),
                None => class,
            })
        })
        .collect()
}

fn package_of(source: &str) -> Option<String> {
    source.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("package ")?;
        Some(rest.trim().trim_end_matches(';').trim().to_owned())
    })
}

/// JUnitCore's closing lines: `OK (N tests)` or `Tests run: N,  Failures: M`.
#[derive(Debug, Default)]
pub struct JUnitSummary {
    counts: Option<Counts>,
}

impl JUnitSummary {
    /// Feeds one line of JUnitCore's stdout.
    pub fn line(&mut self, line: &str) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("OK (") {
            if let Some(n) = number_before(rest, "tests").or_else(|| number_before(rest, "test")) {
                self.counts = Some(Counts::new(n, 0));
            }
        } else if line.starts_with("Tests run:")
            && let (Some(run), Some(failures)) = (after(line, "Tests run:"), after(line, "Failures:"))
        {
            self.counts = Some(Counts::new(run.saturating_sub(failures), failures));
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

/// The number right after `label` in `line`.
fn after(line: &str, label: &str) -> Option<u64> {
    let rest = &line[line.find(label)? + label.len()..];
    let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(out: &str, exit_ok: bool) -> Counts {
        let mut s = JUnitSummary::default();
        out.lines().for_each(|l| s.line(l));
        s.counts(exit_ok)
    }

    #[test]
    fn parses_junit_summaries() {
        assert_eq!(
            parse("JUnit version 4.13.2\n....\nTime: 0.1\n\nOK (12 tests)\n", true),
            Counts::new(12, 0)
        );
        assert_eq!(parse("OK (1 test)\n", true), Counts::new(1, 0));
        assert_eq!(
            parse("FAILURES!!!\nTests run: 12,  Failures: 2\n", false),
            Counts::new(10, 2)
        );
        // A crash before the summary still fails.
        assert_eq!(parse("Exception in thread \"main\"\n", false), Counts::new(0, 1));
    }

    #[test]
    fn finds_example_main_classes() {
        let dir = std::env::temp_dir().join(format!("xtask-kotlin-examples-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Quickstart.kt"),
            "package a.b\n\nfun main(args: Array<String>) {}\n",
        )
        .unwrap();
        std::fs::write(dir.join("Helpers.kt"), "package a.b\n\nfun helper() {}\n").unwrap();
        assert_eq!(main_classes(&dir), vec!["a.b.QuickstartKt".to_owned()]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn finds_package_names() {
        assert_eq!(
            package_of("// x\npackage dev.tokenexchange.tests\n\nimport org.junit.Test\n").as_deref(),
            Some("dev.tokenexchange.tests")
        );
        assert_eq!(package_of("import org.junit.Test\n"), None);
    }
}
