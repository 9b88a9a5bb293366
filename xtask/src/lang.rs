//! The languages the project is tested in, and the consumer projects (`packages`), which get a
//! suite and a summary line of their own like a language.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A language with its own test suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// The Rust workspace itself (`cargo test`).
    Rust,
    /// The C API (`bindings/`).
    C,
    /// The Kotlin/JVM bindings (`kotlin/`).
    Kotlin,
    /// The Swift bindings (`swift/`).
    Swift,
    /// The consumer projects (`packages/consumers/`): programs built against the installed
    /// packages, in any language.
    Packages,
}

impl Lang {
    /// Every language, in the order suites run and are reported.
    pub const ALL: [Lang; 5] = [Lang::Rust, Lang::C, Lang::Kotlin, Lang::Swift, Lang::Packages];

    /// Languages whose toolchains `xtask provision` can install.
    pub const PROVISIONABLE: [Lang; 4] = [Lang::C, Lang::Kotlin, Lang::Swift, Lang::Packages];

    /// Lower-case name, as used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::C => "c",
            Lang::Kotlin => "kotlin",
            Lang::Swift => "swift",
            Lang::Packages => "packages",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Lang {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Lang::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::msg(format!(
                    "unknown language `{s}` (expected rust, c, kotlin, swift or packages)"
                ))
            })
    }
}
