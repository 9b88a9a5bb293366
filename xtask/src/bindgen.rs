//! Generating the Kotlin and Swift bindings with the workspace's `uniffi-bindgen` binary, and
//! placing them where the Kotlin and Swift builds expect them:
//!
//! | generated | committed at |
//! | --- | --- |
//! | Kotlin (`<package dirs>/<ns>.kt`) | `kotlin/src/main/kotlin/<package dirs>/generated/<ns>.kt` |
//! | Swift sources (`<module>.swift`) | `swift/Sources/TokenExchangeBindings/Generated/` |
//! | C header for Swift (`<ffi module>.h`) | `swift/Sources/<ffi module>/Generated/` (the hand-written `module.modulemap` one level up points at it) |
//! | generated `<ffi module>.modulemap` | not copied |
//! | linker version script hiding uniffi's metadata statics | `bindings/mobile/uniffi-metadata.map` ([`METADATA_MAP`]) |
//!
//! Every generated binding lives in a folder named `generated` (`Generated` in the Swift
//! package, as Apple's tools name such folders), so that no hand-written file sits beside one
//! and `.gitattributes` marks them all `linguist-generated` (the version script by its name).
//! The generated files are committed; `--check` (run by the Kotlin and Swift suites) fails when
//! they differ from what the current library generates.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::lang::Lang;
use crate::workspace::{self, Workspace};

/// The workspace package providing the `uniffi-bindgen` binary.
pub const PACKAGE: &str = "uniffi-bindgen";
/// Where generated Kotlin goes (package directories below it).
pub const KOTLIN_DIR: &str = "kotlin/src/main/kotlin";
/// Where generated Swift sources go.
pub const SWIFT_SOURCES_DIR: &str = "swift/Sources/TokenExchangeBindings/Generated";
/// Parent of the directory (named after the header's stem) whose `Generated/` folder receives
/// the Swift FFI header.
pub const SWIFT_FFI_PARENT: &str = "swift/Sources";
/// The folder of generated Kotlin, below the package's directory.
pub const KOTLIN_GENERATED: &str = "generated";
/// The folder of generated files in the Swift package.
pub const SWIFT_GENERATED: &str = "Generated";

/// The linker version script that makes uniffi's `UNIFFI_META_*` statics local in release
/// builds, so that `--gc-sections` drops them ([`metadata_map`]).
pub const METADATA_MAP: &str = "bindings/mobile/uniffi-metadata.map";
/// The prefix of the statics `uniffi-bindgen generate --library` reads.
const METADATA_PREFIX: &str = "UNIFFI_META_";

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
            if lang == Lang::Kotlin && generated.extension().is_some_and(|e| e == "kt") {
                let text = fs::read_to_string(&generated)?;
                let patched = install_callback_threads(&text)
                    .with_context(|| format!("post-processing {}", generated.display()))?;
                fs::write(&generated, patched)?;
            }
            placements.push(Placement { generated, dest });
        }
    }
    if placements.is_empty() {
        bail!("uniffi-bindgen generated no {language} files in {}", out.display());
    }
    let map = out.join("uniffi-metadata.map");
    fs::write(&map, metadata_map(&exported_metadata(lib)?))?;
    placements.push(Placement {
        generated: map,
        dest: PathBuf::from(METADATA_MAP),
    });
    Ok(placements)
}

/// The line [`install_callback_threads`] adds to the generated Kotlin.
pub const KOTLIN_INIT_HOOK: &str =
    "        CallbackThreads.install() // added by `cargo xtask bindgen`: see CallbackThreads.kt";

/// Makes the generated Kotlin register the library's JNA callbacks with `CallbackThreads`
/// (kotlin/src/main/kotlin/com/tokenexchange/CallbackThreads.kt) first thing in `UniffiLib`'s
/// initializer.
///
/// JNA reads a callback's thread initializer once, when it first makes the callback's native
/// pointer, and `UniffiLib`'s initializer hands the callback interfaces' vtables to Rust: no
/// code outside the generated file runs early enough in every path (uniffi's Kotlin template
/// has no hook), so the call goes in here. Fails if uniffi's template stops matching, rather
/// than leaving the bindings without it.
pub fn install_callback_threads(kotlin: &str) -> Result<String> {
    let object = kotlin
        .find("internal object UniffiLib {")
        .ok_or_else(|| Error::msg("no `internal object UniffiLib {` in the generated Kotlin"))?;
    let init = kotlin[object..]
        .find("    init {\n")
        .map(|at| object + at + "    init {\n".len())
        .ok_or_else(|| Error::msg("no `init {` in the generated `UniffiLib`"))?;
    Ok(format!("{}{KOTLIN_INIT_HOOK}\n{}", &kotlin[..init], &kotlin[init..]))
}

/// Where a generated file (path relative to the output directory) is committed, if at all.
pub fn destination(lang: Lang, rel: &Path) -> Option<PathBuf> {
    let name = rel.file_name()?.to_str()?;
    match lang {
        Lang::Kotlin => {
            let package_dir = rel.parent().unwrap_or(Path::new(""));
            Some(
                Path::new(KOTLIN_DIR)
                    .join(package_dir)
                    .join(KOTLIN_GENERATED)
                    .join(name),
            )
        }
        Lang::Swift if name.ends_with(".swift") => Some(Path::new(SWIFT_SOURCES_DIR).join(name)),
        Lang::Swift if name.ends_with(".h") => {
            let stem = name.trim_end_matches(".h");
            Some(Path::new(SWIFT_FFI_PARENT).join(stem).join(SWIFT_GENERATED).join(name))
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

/// The `UNIFFI_META_*` statics `lib` exports, sorted.
fn exported_metadata(lib: &Path) -> Result<Vec<String>> {
    let listing = cmd::read(Command::new("nm").args(["-D", "--defined-only"]).arg(lib))
        .with_context(|| format!("listing the exported symbols of {}", lib.display()))?;
    let mut names: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|name| name.starts_with(METADATA_PREFIX))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// A version script making `names` local. uniffi exports its metadata as `#[no_mangle]`
/// statics only for `uniffi-bindgen generate --library`, which reads the debug build; in the
/// shipped library they are dead weight (about 50 KB), yet rustc exports every `#[no_mangle]`
/// item of a cdylib, and uniffi has no switch to omit them. lld lets an exact `local:` name of
/// a second version script win over rustc's exact `global:` one (warning once per name), and
/// `--gc-sections` then drops them. Names, not a `UNIFFI_META_*` glob: a glob loses to rustc's
/// exact names.
pub fn metadata_map(names: &[String]) -> String {
    let mut map = String::from(
        "# Generated by `cargo xtask bindgen` from the debug phone library; do not edit.\n\
         # The release link flags (xtask/src/size.rs, kotlin/build-android-libs.sh) pass it to the\n\
         # linker: uniffi's metadata statics serve only uniffi-bindgen, which reads the debug build.\n\
         {\n  local:\n",
    );
    for name in names {
        map.push_str(&format!("    {name};\n"));
    }
    map.push_str("};\n");
    map
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
                "kotlin/src/main/kotlin/uniffi/token_exchange_ffi/generated/token_exchange_ffi.kt"
            ))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffi.swift")),
            Some(PathBuf::from(
                "swift/Sources/TokenExchangeBindings/Generated/token_exchange_ffi.swift"
            ))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffiFFI.h")),
            Some(PathBuf::from(
                "swift/Sources/token_exchange_ffiFFI/Generated/token_exchange_ffiFFI.h"
            ))
        );
        assert_eq!(
            destination(Lang::Swift, Path::new("token_exchange_ffiFFI.modulemap")),
            None
        );
    }

    #[test]
    fn kotlin_lib_initializer_installs_callback_threads_first() {
        let generated = "internal object IntegrityCheckingUniffiLib {\n    init {\n        a()\n    }\n}\n\
                         internal object UniffiLib {\n    val x = 1\n\n    init {\n        Native.register()\n    }\n}\n";
        let patched = install_callback_threads(generated).unwrap();
        assert_eq!(
            patched,
            format!(
                "internal object IntegrityCheckingUniffiLib {{\n    init {{\n        a()\n    }}\n}}\n\
                 internal object UniffiLib {{\n    val x = 1\n\n    init {{\n{KOTLIN_INIT_HOOK}\n        Native.register()\n    }}\n}}\n"
            )
        );
        assert!(install_callback_threads("object Other {\n    init {\n    }\n}\n").is_err());
        assert!(install_callback_threads("internal object UniffiLib {\n}\n").is_err());
    }

    #[test]
    fn metadata_map_makes_each_name_local() {
        let map = metadata_map(&["UNIFFI_META_A".into(), "UNIFFI_META_B".into()]);
        assert!(map.ends_with("{\n  local:\n    UNIFFI_META_A;\n    UNIFFI_META_B;\n};\n"));
        assert!(map.lines().take(3).all(|l| l.starts_with('#')));
    }
}
