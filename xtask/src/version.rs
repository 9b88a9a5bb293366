//! The project's one version and every place that states it.
//!
//! The single source of truth is `version` in the `[workspace.package]` table of the root
//! `Cargo.toml`: every crate inherits it (`version.workspace = true`), `cargo xtask header`
//! writes it into the C header (`TE_VERSION_*`), and `cargo xtask install` into the
//! `token-exchange.pc` and the CMake package. The places a person writes it by hand (the
//! Kotlin artifact's Gradle `version`, the README's installation snippets and the consumer
//! projects that follow them) are [`SITES`]; the Swift package's version is its git tag.
//! [`check`] (`cargo xtask version`, and one test of the `packages` suite) fails when any of
//! them disagrees; [`set`] (`cargo xtask version --set X.Y.Z`) rewrites them all.

use std::fmt;
use std::fs;
use std::process::Command;

use crate::bail;
use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::header;
use crate::workspace::Workspace;

/// A semantic version: `MAJOR.MINOR.PATCH`, optionally followed by `-pre` and/or `+build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The major number.
    pub major: u64,
    /// The minor number.
    pub minor: u64,
    /// The patch number.
    pub patch: u64,
    /// The whole version as written (with any pre-release and build metadata).
    pub text: String,
}

impl Version {
    /// Parses `MAJOR.MINOR.PATCH[-pre][+build]`.
    pub fn parse(text: &str) -> Result<Version> {
        let core = text.split(['-', '+']).next().unwrap_or_default();
        let numbers: Vec<Option<u64>> = core.split('.').map(|n| n.parse().ok()).collect();
        match numbers.as_slice() {
            [Some(major), Some(minor), Some(patch)] => Ok(Version {
                major: *major,
                minor: *minor,
                patch: *patch,
                text: text.to_owned(),
            }),
            _ => bail!("`{text}` is not a MAJOR.MINOR.PATCH version"),
        }
    }

    /// The numbers, for ordering (pre-releases are not ordered among themselves).
    fn numbers(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The root manifest.
const MANIFEST: &str = "Cargo.toml";
/// The changelog (Keep a Changelog).
pub const CHANGELOG: &str = "CHANGELOG.md";

/// The workspace version: `version` in `[workspace.package]` of the root `Cargo.toml`.
pub fn workspace_version(ws: &Workspace) -> Result<Version> {
    let path = ws.root.join(MANIFEST);
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (start, end) = workspace_version_span(&text)
        .ok_or_else(|| Error::msg(format!("{MANIFEST} has no `version = \"…\"` in [workspace.package]")))?;
    Version::parse(&text[start..end])
}

/// Byte range of the version string in `[workspace.package]` of a root manifest.
fn workspace_version_span(manifest: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    let mut in_table = false;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_table = trimmed == "[workspace.package]";
        } else if in_table
            && let Some(rest) = trimmed.strip_prefix("version")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let value = value.trim();
            let inner = value.strip_prefix('"')?.split('"').next()?;
            let start = offset + line.find(inner)?;
            return Some((start, start + inner.len()));
        }
        offset += line.len();
    }
    None
}

/// Which part of the version a site states.
#[derive(Debug, Clone, Copy)]
enum Part {
    Whole,
    Major,
    Minor,
    Patch,
}

impl Part {
    fn of(self, v: &Version) -> String {
        match self {
            Part::Whole => v.text.clone(),
            Part::Major => v.major.to_string(),
            Part::Minor => v.minor.to_string(),
            Part::Patch => v.patch.to_string(),
        }
    }
}

/// A place in a file that states the version: the text between `before` and the next
/// `after`, at every occurrence of `before` (there must be at least one).
struct Site {
    path: &'static str,
    what: &'static str,
    before: &'static str,
    after: &'static str,
    part: Part,
    /// Written by a generator (`cargo xtask header`), not by [`set`].
    generated: bool,
}

/// Every place, besides the crates, that states the version.
const SITES: &[Site] = &[
    Site {
        path: header::HEADER,
        what: "C header TE_VERSION_STRING",
        before: "#define TE_VERSION_STRING \"",
        after: "\"",
        part: Part::Whole,
        generated: true,
    },
    Site {
        path: header::HEADER,
        what: "C header TE_VERSION_MAJOR",
        before: "#define TE_VERSION_MAJOR ",
        after: "\n",
        part: Part::Major,
        generated: true,
    },
    Site {
        path: header::HEADER,
        what: "C header TE_VERSION_MINOR",
        before: "#define TE_VERSION_MINOR ",
        after: "\n",
        part: Part::Minor,
        generated: true,
    },
    Site {
        path: header::HEADER,
        what: "C header TE_VERSION_PATCH",
        before: "#define TE_VERSION_PATCH ",
        after: "\n",
        part: Part::Patch,
        generated: true,
    },
    Site {
        path: "kotlin/build.gradle.kts",
        what: "Kotlin artifact (Gradle `version`, Maven coordinates com.tokenexchange:token-exchange)",
        before: "\nversion = \"",
        after: "\"",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: crate::jar::POM,
        what: "Kotlin artifact POM <version>",
        before: "<artifactId>token-exchange</artifactId>\n  <version>",
        after: "<",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "Package.swift",
        what: "Swift package: release XCFramework URL",
        before: "releases/download/",
        after: "/",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "packages/consumers/kotlin-jvm/build.gradle.kts",
        what: "Kotlin JVM consumer: Gradle dependency",
        before: "\"com.tokenexchange:token-exchange:",
        after: "\"",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "packages/consumers/java-jvm/build.gradle.kts",
        what: "Java consumer: Gradle dependency",
        before: "\"com.tokenexchange:token-exchange:",
        after: "\"",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "README.md",
        what: "README: Gradle dependency",
        before: "\"com.tokenexchange:token-exchange:",
        after: "\"",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "README.md",
        what: "README: Maven dependency",
        before: "<artifactId>token-exchange</artifactId>\n  <version>",
        after: "<",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "README.md",
        what: "README: SwiftPM dependency",
        before: "token-exchange.git\", from: \"",
        after: "\"",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "README.md",
        what: "README: CMake find_package",
        before: "find_package(TokenExchange ",
        after: " ",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "packages/consumers/c-cmake/CMakeLists.txt",
        what: "CMake consumer: find_package",
        before: "find_package(TokenExchange ",
        after: " ",
        part: Part::Whole,
        generated: false,
    },
    Site {
        path: "packages/consumers/c-cmake-static/CMakeLists.txt",
        what: "static CMake consumer: find_package",
        before: "find_package(TokenExchange ",
        after: " ",
        part: Part::Whole,
        generated: false,
    },
];

/// Byte ranges of the values at `site` in `text`.
fn spans(site: &Site, text: &str) -> Vec<(usize, usize)> {
    text.match_indices(site.before)
        .filter_map(|(at, _)| {
            let start = at + site.before.len();
            let len = text[start..].find(site.after)?;
            Some((start, start + len))
        })
        .collect()
}

/// One statement of the version that disagrees with the workspace's, or is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where (file and what).
    pub place: String,
    /// What it says (`None`: the statement was not found).
    pub found: Option<String>,
    /// What it should say.
    pub expected: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.found {
            Some(found) => write!(f, "{}: `{found}`, expected `{}`", self.place, self.expected),
            None => write!(f, "{}: not found (expected `{}`)", self.place, self.expected),
        }
    }
}

/// Compares every statement of the version with the workspace version; prints each one and
/// returns the disagreements.
pub fn check(ws: &Workspace) -> Result<Vec<Mismatch>> {
    let version = workspace_version(ws)?;
    eprintln!("version: {version} ({MANIFEST} [workspace.package])");
    let mut mismatches = Vec::new();
    let mut compare = |place: String, found: Option<&str>, expected: String| {
        let ok = found == Some(expected.as_str());
        eprintln!(
            "version: {} {place}: {}",
            if ok { "ok" } else { "MISMATCH" },
            found.unwrap_or("(not found)")
        );
        if !ok {
            mismatches.push(Mismatch {
                place,
                found: found.map(str::to_owned),
                expected,
            });
        }
    };

    for (package, v) in &ws.versions {
        compare(format!("crate {package}"), Some(v), version.text.clone());
    }
    for site in SITES {
        let path = ws.root.join(site.path);
        let text = fs::read_to_string(&path).unwrap_or_default();
        let place = format!("{} ({})", site.path, site.what);
        let found = spans(site, &text);
        if found.is_empty() {
            compare(place.clone(), None, site.part.of(&version));
        }
        for (start, end) in found {
            compare(place.clone(), Some(&text[start..end]), site.part.of(&version));
        }
    }
    for tag in version_tags_at_head(ws) {
        let bare = tag.strip_prefix('v').unwrap_or(&tag).to_owned();
        compare(
            format!("git tag {tag} at HEAD (the Swift package's version)"),
            Some(&bare),
            version.text.clone(),
        );
    }
    for problem in changelog_problems(ws, &version) {
        compare(format!("{CHANGELOG}: {problem}"), None, version.text.clone());
    }
    Ok(mismatches)
}

/// Tags on the checked-out commit that look like versions (`1.2.3` or `v1.2.3`): SwiftPM
/// resolves a package's versions from such tags.
fn version_tags_at_head(ws: &Workspace) -> Vec<String> {
    let tags = cmd::read(
        Command::new("git")
            .args(["tag", "--points-at", "HEAD"])
            .current_dir(&ws.root),
    )
    .unwrap_or_default();
    tags.lines()
        .map(str::trim)
        .filter(|t| Version::parse(t.strip_prefix('v').unwrap_or(t)).is_ok())
        .map(str::to_owned)
        .collect()
}

/// What is wrong with the changelog for `version`: it needs an `## [Unreleased]` section,
/// and no released section may be newer than the workspace version.
fn changelog_problems(ws: &Workspace, version: &Version) -> Vec<String> {
    let Ok(text) = fs::read_to_string(ws.root.join(CHANGELOG)) else {
        return vec!["missing".to_owned()];
    };
    let mut problems = Vec::new();
    if !text.lines().any(|l| l.trim() == "## [Unreleased]") {
        problems.push("no `## [Unreleased]` section".to_owned());
    }
    for heading in text.lines().filter_map(|l| l.strip_prefix("## [")) {
        let Some(name) = heading.split(']').next() else {
            continue;
        };
        if let Ok(released) = Version::parse(name)
            && released.numbers() > version.numbers()
        {
            problems.push(format!("section [{name}] is newer than the workspace version"));
        }
    }
    problems
}

/// Sets the version everywhere a person writes it: the workspace manifest and [`SITES`] that
/// are not generated. The caller regenerates the generated ones (the C header).
pub fn set(ws: &Workspace, new: &Version) -> Result<()> {
    let manifest = ws.root.join(MANIFEST);
    let text = fs::read_to_string(&manifest)?;
    let (start, end) = workspace_version_span(&text)
        .ok_or_else(|| Error::msg(format!("{MANIFEST} has no `version` in [workspace.package]")))?;
    write_spans(&manifest, &text, &[(start, end)], &new.text)?;
    for site in SITES.iter().filter(|s| !s.generated) {
        let path = ws.root.join(site.path);
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let found = spans(site, &text);
        if found.is_empty() {
            bail!("{}: the version ({}) was not found", site.path, site.what);
        }
        write_spans(&path, &text, &found, &site.part.of(new))?;
    }
    Ok(())
}

/// Replaces the byte ranges `spans` (in order, not overlapping) of `text` with `value` and
/// writes the result to `path`.
fn write_spans(path: &std::path::Path, text: &str, spans: &[(usize, usize)], value: &str) -> Result<()> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(start, end) in spans {
        out.push_str(&text[last..start]);
        out.push_str(value);
        last = end;
    }
    out.push_str(&text[last..]);
    if out != text {
        fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("version: updated {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let v = Version::parse("1.22.333-beta.1+build.5").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 22, 333));
        assert_eq!(v.to_string(), "1.22.333-beta.1+build.5");
        assert!(Version::parse("1.2").is_err());
        assert!(Version::parse("1.2.x").is_err());
        assert!(Version::parse("1.2.3.4").is_err());
    }

    #[test]
    fn finds_the_workspace_version_in_its_table_only() {
        let manifest = "[package]\nversion = \"9.9.9\"\n\n[workspace.package]\nedition = \"2024\"\nversion = \"0.4.1\"\n\n[workspace.dependencies]\nversion = \"8.8.8\"\n";
        let (start, end) = workspace_version_span(manifest).unwrap();
        assert_eq!(&manifest[start..end], "0.4.1");
        assert_eq!(workspace_version_span("[workspace]\nmembers = []\n"), None);
    }

    #[test]
    fn sites_find_every_statement() {
        let site = &SITES.iter().find(|s| s.path == "kotlin/build.gradle.kts").unwrap();
        let text = "group = \"com.tokenexchange\"\nversion = \"0.1.0\"\n// version = \"no\"\n";
        let found: Vec<&str> = spans(site, text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["0.1.0"]);
        let major = SITES.iter().find(|s| s.what.ends_with("MAJOR")).unwrap();
        let header = "#define TE_VERSION_MAJOR 12\n#define TE_VERSION_MINOR 3\n";
        assert_eq!(
            spans(major, header)
                .into_iter()
                .map(|(s, e)| &header[s..e])
                .collect::<Vec<_>>(),
            ["12"]
        );
    }
}
