//! Test counts per suite and the closing summary of `xtask test`.

use std::fmt;
use std::ops::AddAssign;

use crate::lang::Lang;

/// How many tests passed and failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed (including "could not even run" failures).
    pub failed: u64,
}

impl Counts {
    /// `passed` passes and `failed` failures.
    pub const fn new(passed: u64, failed: u64) -> Self {
        Counts { passed, failed }
    }

    /// A single failure (a suite that could not build or run).
    pub const ONE_FAILURE: Counts = Counts::new(0, 1);

    /// Records one test's outcome.
    pub fn record(&mut self, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, rhs: Counts) {
        self.passed += rhs.passed;
        self.failed += rhs.failed;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// What happened to one language's suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The suite ran (or tried to: build and toolchain failures are counted as failures).
    Ran(Counts),
    /// The suite was not run, for the given reason (directory absent, `--skip`).
    NotRun(String),
}

/// Outcomes of all suites, in run order.
#[derive(Debug, Default)]
pub struct Report {
    entries: Vec<(Lang, Outcome)>,
    problems: Vec<String>,
}

impl Report {
    /// Records a suite's outcome.
    pub fn add(&mut self, lang: Lang, outcome: Outcome) {
        self.entries.push((lang, outcome));
    }

    /// Records a problem worth repeating just above the summary (e.g. a toolchain that could
    /// not be provisioned).
    pub fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// Sum over all suites that ran.
    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for (_, outcome) in &self.entries {
            if let Outcome::Ran(c) = outcome {
                total += *c;
            }
        }
        total
    }

    /// True if nothing failed.
    pub fn success(&self) -> bool {
        self.total().failed == 0
    }

    /// Problems recorded with [`Report::problem`].
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The closing summary: one line per language, then the overall `N passed, M failed`
    /// alone on the last line.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (lang, outcome) in &self.entries {
            match outcome {
                Outcome::Ran(c) => out.push_str(&format!("{lang}: {c}\n")),
                Outcome::NotRun(why) => out.push_str(&format!("{lang}: not run ({why})\n")),
            }
        }
        out.push_str(&format!("{}\n", self.total()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_ends_with_total_alone_on_a_line() {
        let mut r = Report::default();
        r.add(Lang::Rust, Outcome::Ran(Counts::new(123, 0)));
        r.add(Lang::C, Outcome::Ran(Counts::new(10, 1)));
        r.add(Lang::Kotlin, Outcome::NotRun("no kotlin/ directory".into()));
        assert_eq!(
            r.summary(),
            "rust: 123 passed, 0 failed\nc: 10 passed, 1 failed\n\
             kotlin: not run (no kotlin/ directory)\n133 passed, 1 failed\n"
        );
        assert!(!r.success());
    }
}
