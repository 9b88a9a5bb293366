//! Generating the Kotlin and Swift bindings with the workspace's `uniffi-bindgen` binary, and
//! placing them where the Kotlin and Swift builds expect them:
//!
//! | generated | committed at |
//! | --- | --- |
//! | Kotlin (`uniffi/<ns>/<ns>.kt`, tree as generated) | `kotlin/src/main/kotlin/<same tree>` |
//! | Swift sources (`<ns>.swift`) | `swift/Sources/TokenExchange/` |
//! | C header for Swift (`<ns>FFI.h`) | `swift/Sources/<ns>FFI/` (beside a hand-written `module.modulemap`) |
//! | generated `<ns>FFI.modulemap` | not copied |
//!
//! The generated files are committed; `--check` (run by the Kotlin and Swift suites) fails when
//! they differ from what the current library generates.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::cmd;
use crate::error::{Context, Result};
use crate::lang::Lang;
use crate::workspace::{self, Workspace};

/// The workspace package providing the `uniffi-bindgen` binary.
pub const PACKAGE: &str = "uniffi-bindgen";
/// Where generated Kotlin goes (package directories below it).
pub const KOTLIN_DIR: &str = "kotlin/src/main/kotlin";
/// Where generated Swift sources go.
pub const SWIFT_SOURCES_DIR: &str = "swift/Sources/TokenExchange";
/// Parent of the directory (named after the header's stem) that receives the Swift FFI header.
pub const SWIFT_FFI_PARENT: &str = "swift/Sources";

/// True if the workspace has the `uniffi-bindgen` package.
pub fn available(ws: &Workspace) -> bool {
    ws.has_package(PACKAGE)
}

/// A generated file and where it belongs in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The freshly generated file.
    pub generated: PathBuf,
    /// Its destination, relative to the workspace root.
    pub dest: PathBuf,
}

/// Runs `uniffi-bindgen generate` for `lang` on `lib` into a scratch directory and returns
/// where each generated file belongs.
pub fn generate(ws: &Workspace, lang: Lang, lib: &Path) -> Result<Vec<Placement>> {
    let language = match lang {
        Lang::Kotlin | Lang::Swift => lang.name(),
        _ => bail!("uniffi generates no {lang} bindings"),
    };
    if !available(ws) {
        bail!("the workspace has no `{PACKAGE}` package");
    }
    let out = ws.scratch_dir("bindgen").join(language);
    if out.exists() {
        fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    fs::create_dir_all(&out)?;
    cmd::run(
        Command::new(workspace::cargo())
            .args(["run", "--quiet", "-p", PACKAGE, "--", "generate", "--library"])
            .arg(lib)
            .args(["--language", language, "--no-format", "--out-dir"])
            .arg(&out)
            .current_dir(&ws.root),
    )?;
    let mut placements = Vec::new();
    for generated in walk(&out) {
        let rel = generated.strip_prefix(&out).expect("below out").to_path_buf();
        if let Some(dest) = destination(lang, &rel) {
            placements.push(Placement { generated, dest });
        }
    }
    if placements.is_empty() {
        bail!("uniffi-bindgen generated no {language} files in {}", out.display());
    }
    Ok(placements)
}

/// Where a generated file (path relative to the output directory) is committed, if at all.
pub fn destination(lang: Lang, rel: &Path) -> Option<PathBuf> {
    let name = rel.file_name()?.to_str()?;
    match lang {
        Lang::Kotlin => Some(Path::new(KOTLIN_DIR).join(rel)),
        Lang::Swift if name.ends_with(".swift") => Some(Path::new(SWIFT_SOURCES_DIR).join(name)),
        Lang::Swift if name.ends_with(".h") => {
            let stem = name.trim_end_matches(".h");
            Some(Path::new(SWIFT_FFI_PARENT).join(stem).join(name))
        }
        _ => None,
    }
}

/// Generates and writes the bindings into the repository; returns the destinations.
pub fn write(ws: &Workspace, lang: Lang, lib: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for p in generate(ws, lang, lib)? {
        let dest = ws.root.join(&p.dest);
        fs::create_dir_all(dest.parent().expect("has a parent"))?;
        fs::copy(&p.generated, &dest).with_context(|| format!("writing {}", dest.display()))?;
        eprintln!("bindgen: wrote {}", p.dest.display());
        written.push(p.dest);
    }
    Ok(written)
}

/// True if the committed bindings equal freshly generated ones; names the stale files.
pub fn check(ws: &Workspace, lang: Lang, lib: &Path) -> Result<bool> {
    let mut fresh = true;
    for p in generate(ws, lang, lib)? {
        let new = fs::read(&p.generated)?;
        if fs::read(ws.root.join(&p.dest)).ok().as_deref() != Some(new.as_slice()) {
            eprintln!(
                "bindgen: {} is missing or stale; run `cargo xtask bindgen`",
                p.dest.display()
            );
            fresh = false;
        }
    }
    if fresh {
        eprintln!("bindgen: committed {lang} bindings are up to date");
    }
    Ok(fresh)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_generated_files() {
        assert_eq!(
            destination(
                Lang::Kotlin,
                Path::new("uniffi/token_exchange_ffi/token_exchange_ffi.kt")
            ),
            Some(PathBuf::from(
                "kotlin/src/main/kotlin/uniffi/token_exchange_ffi/token_exchange_ffi.kt"
            ))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffi.swift")),
            Some(PathBuf::from("swift/Sources/TokenExchange/token_exchange_ffi.swift"))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffiFFI.h")),
            Some(PathBuf::from(
                "swift/Sources/token_exchange_ffiFFI/token_exchange_ffiFFI.h"
            ))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffiFFI.modulemap")),
            None
        );
    }
}
