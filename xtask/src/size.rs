//! `xtask size`: how big the two bindings libraries are, built as they ship — with the
//! `release-mobile` profile and the release link flags of [`release_rustflags`], stripped, and
//! gzipped.
//!
//! * The **phone library** (`token-exchange-mobile`, what the XCFramework and the AAR carry) is
//!   built alone, so that no other package's features reach it; its line is
//!   `mobile library: <path> stripped <N> bytes`, checked against [`MOBILE_GOAL`], and its
//!   symbols are checked for HTTP and TLS crates ([`FORBIDDEN_CRATES`]).
//! * The **desktop/backend library** (`token-exchange-ffi`: C API and reqwest) is built with
//!   the crate type `cargo xtask install` gives it ([`DESKTOP_CRATE_TYPE`]), next to
//!   the bare-stack baseline (`bindings/size-baseline`, same workspace dependencies) and reported
//!   as a ratio to it, compared with [`DESKTOP_GOAL`]: a miss is a loud warning, not a
//!   failure (see BENCHMARKS.md).
//!
//! The command fails when the phone library misses its goal or links a forbidden crate.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::suites::{FFI_LIB, FFI_PACKAGE, MOBILE_LIB, MOBILE_PACKAGE};
use crate::workspace::{self, Workspace};

/// The size floor of the stack (`bindings/size-baseline`), reported next to the library.
const BASELINE_PACKAGE: &str = "token-exchange-size-baseline";
const BASELINE_LIB: &str = "token_exchange_size_baseline";

/// The Cargo profile for mobile builds.
pub const PROFILE: &str = "release-mobile";

/// The most bytes the stripped phone library may have on x86_64 (issue 12).
pub const MOBILE_GOAL: u64 = 1_300_000;
/// The most the desktop library may weigh, as a multiple of the bare-stack baseline.
pub const DESKTOP_GOAL: f64 = 1.5;
/// Crates whose code must not be in the phone library: it has no HTTP or TLS stack of its own.
pub const FORBIDDEN_CRATES: [&str; 5] = ["rustls", "reqwest", "hyper", "webpki", "h2"];

/// The crate type the desktop library is measured as, overriding its manifest's
/// `["cdylib", "staticlib", "lib"]` as `cargo xtask install` does (`cdylib,staticlib` there).
/// With `lib` among a crate's own types, rustc keeps the crate's Rust-level symbols exported
/// from the LTO module, so the cdylib built next to the rlib calls its own functions through the
/// GOT and LTO cannot drop or inline them: 3,435,808 B stripped, against 2,684,288 B built as
/// it ships (BENCHMARKS.md).
const DESKTOP_CRATE_TYPE: &str = "cdylib";

/// What `[profile.release-mobile]` should say; used via `--config` when the root manifest
/// does not define the profile yet.
const FALLBACK_PROFILE: &[&str] = &[
    "profile.release-mobile.inherits=\"release\"",
    "profile.release-mobile.opt-level=\"z\"",
    "profile.release-mobile.lto=true",
    "profile.release-mobile.codegen-units=1",
    "profile.release-mobile.strip=\"symbols\"",
    "profile.release-mobile.panic=\"unwind\"",
];

/// Builds, strips and measures both libraries. A missing `bindings/` is not an error.
pub fn run(ws: &Workspace) -> Result<()> {
    if !ws.root.join("bindings").is_dir() || !ws.has_package(FFI_PACKAGE) {
        println!("size: no bindings/ crate ({FFI_PACKAGE}) yet: nothing to measure");
        return Ok(());
    }
    let manifest = fs::read_to_string(ws.root.join("Cargo.toml")).context("reading Cargo.toml")?;
    // `crate_types`: built with `cargo rustc --crate-type`, as `cargo xtask install` builds the
    // desktop library, instead of the crate types of its manifest (see [`DESKTOP_CRATE_TYPE`]).
    let build = |package: &str, crate_types: Option<&str>, keep_symbols: bool| -> Result<()> {
        let mut build = Command::new(workspace::cargo());
        match crate_types {
            Some(types) => build.args(["rustc", "--crate-type", types]),
            None => build.arg("build"),
        };
        build.args(["-p", package, "--lib"]).current_dir(&ws.root);
        as_shipped(ws, &mut build, PROFILE)?;
        if !defines_profile(&manifest) {
            println!(
                "size: note: the root Cargo.toml has no [profile.{PROFILE}]; using xtask's stand-in \
                 (opt-level z, lto, codegen-units 1, strip symbols, panic unwind)"
            );
            for setting in FALLBACK_PROFILE {
                build.arg("--config").arg(setting);
            }
        }
        if keep_symbols {
            // Stripped below, on a copy: the symbols name the crates linked in.
            build.arg("--config").arg(format!("profile.{PROFILE}.strip=false"));
        }
        cmd::run(&mut build)
    };
    let target = host_triple()?;
    let built_dir = ws.target_dir.join(&target).join(PROFILE);
    let out = ws.scratch_dir("size");
    fs::create_dir_all(&out)?;
    let mut problems = Vec::new();

    // The desktop library as `cargo xtask install` builds it, then the baseline (a plain cdylib).
    let baseline = ws.has_package(BASELINE_PACKAGE);
    build(FFI_PACKAGE, Some(DESKTOP_CRATE_TYPE), false)?;
    if baseline {
        build(BASELINE_PACKAGE, None, false)?;
    }
    let name = format!("lib{FFI_LIB}.so");
    let desktop = measure(&built_dir, &out, &name)?;
    println!("desktop library ({PROFILE}, {target}): {}", desktop.stripped.display());
    println!("{name} as built: {}", human(desktop.built));
    println!("{name} stripped: {}", human(desktop.stripped_len));
    println!("{name} stripped, gzip -9: {}", human(desktop.gzipped));
    if baseline {
        let name = format!("lib{BASELINE_LIB}.so");
        let floor = measure(&built_dir, &out, &name)?.stripped_len;
        let ratio = desktop.stripped_len as f64 / floor as f64;
        println!(
            "baseline {name} (one uniffi async HTTPS + JSON call on the same stack) stripped: {}; \
             the desktop library adds {} ({ratio:.2}x the baseline; goal <= {DESKTOP_GOAL}x)",
            human(floor),
            human(desktop.stripped_len.saturating_sub(floor)),
        );
        if ratio > DESKTOP_GOAL {
            crate::suites::loud(&format!(
                "size: the desktop library is {ratio:.2}x the baseline (goal <= {DESKTOP_GOAL}x)"
            ));
        }
    }

    // The phone library alone, so that nothing else's features reach it.
    if ws.has_package(MOBILE_PACKAGE) {
        build(MOBILE_PACKAGE, None, true)?;
        let name = format!("lib{MOBILE_LIB}.so");
        let symbols = crate_symbols(&built_dir.join(&name))?;
        let mobile = measure(&built_dir, &out, &name)?;
        println!(
            "mobile library: {} stripped {} bytes",
            mobile.stripped.display(),
            mobile.stripped_len
        );
        println!(
            "mobile library: {} stripped, {} gzip -9 (goal <= {}), {} as built with symbols",
            human(mobile.stripped_len),
            human(mobile.gzipped),
            human(MOBILE_GOAL),
            human(mobile.built)
        );
        if mobile.stripped_len > MOBILE_GOAL {
            problems.push(format!("the mobile library is over its goal of {MOBILE_GOAL} bytes"));
        }
        let found = forbidden_crates(&symbols);
        if found.is_empty() {
            println!(
                "mobile library: none of {} in its {} symbols",
                FORBIDDEN_CRATES.join(", "),
                symbols.len()
            );
        } else {
            problems.push(format!("the mobile library links {}", found.join(", ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(format!("size: {}", problems.join("; "))))
    }
}

/// The sizes of one library.
struct Measured {
    /// The stripped copy.
    stripped: PathBuf,
    /// As built.
    built: u64,
    /// Stripped.
    stripped_len: u64,
    /// Stripped and gzipped.
    gzipped: u64,
}

/// Copies `name` from `built_dir` to `out`, strips the copy and measures it.
fn measure(built_dir: &Path, out: &Path, name: &str) -> Result<Measured> {
    let built = built_dir.join(name);
    let stripped = out.join(name);
    fs::copy(&built, &stripped).with_context(|| format!("copying {}", built.display()))?;
    strip(&stripped)?;
    Ok(Measured {
        built: fs::metadata(&built)?.len(),
        stripped_len: fs::metadata(&stripped)?.len(),
        gzipped: gzipped_len(&stripped)?,
        stripped,
    })
}

/// The names of the symbols of `lib`'s symbol table (defined ones: the code it carries).
fn crate_symbols(lib: &Path) -> Result<Vec<String>> {
    let listing = cmd::read(Command::new("nm").args(["--defined-only"]).arg(lib))
        .with_context(|| format!("listing the symbols of {}", lib.display()))?;
    Ok(listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect())
}

/// The [`FORBIDDEN_CRATES`] some symbol belongs to. Rust symbols (legacy and v0 manglings)
/// spell each path segment with its length first: `6rustls`, `5hyper`.
pub fn forbidden_crates(symbols: &[String]) -> Vec<&'static str> {
    FORBIDDEN_CRATES
        .into_iter()
        .filter(|krate| {
            let segment = format!("{}{krate}", krate.len());
            symbols.iter().any(|s| {
                s.match_indices(&segment).any(|(at, _)| {
                    // Not the tail of a longer length (`16rustls_pki_types` is one 16-byte
                    // segment) nor inside a longer identifier.
                    let before = s[..at].chars().next_back();
                    let after = s[at + segment.len()..].chars().next();
                    !before.is_some_and(|c| c.is_ascii_digit())
                        && !after.is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                })
            })
        })
        .collect()
}

/// Makes `cargo` (a `build` or `rustc` command, before any `--`) build as the libraries ship:
/// with `profile`, for the host as an explicit `--target`, with [`release_rustflags`]. The
/// directory the libraries land in.
///
/// The explicit target keeps the link flags off build scripts and proc-macros, and the output
/// in its own directory, so that the host build cache of the test suites stays valid. Used by
/// `size`, `jar` and `install`, so that what is measured is what is shipped.
pub fn as_shipped(ws: &Workspace, cargo: &mut Command, profile: &str) -> Result<PathBuf> {
    let target = host_triple()?;
    let flags = release_rustflags(&target, &ws.root, &registry_src_dirs());
    cargo
        .args(["--profile", profile, "--target", &target])
        .arg("--config")
        .arg(format!("target.{target}.rustflags = {}", toml_array(&flags)));
    Ok(ws.target_dir.join(&target).join(profile))
}

/// Flags of a release build of the libraries for `target`, beyond the profile. The
/// Android script (`kotlin/build-android-libs.sh`) and the XCFramework script
/// (`swift/build-xcframework.sh`) pass their platform's equivalents.
///
/// * Identical code folding (`--icf=all`, ELF targets; lld is rustc's linker there): many
///   generic instances compile to the same machine code. Rust gives no guarantee that distinct
///   functions have distinct addresses, and LLVM already merges functions by alias.
/// * Packed relative relocations (RELR): vtables and static tables otherwise carry a 24-byte
///   relocation per pointer, about 250 KB here. Apple's linker packs them by itself (chained
///   fixups); Android uses its own packing format.
/// * uniffi's metadata statics made local by the version script of
///   [`crate::bindgen::METADATA_MAP`] (ELF targets), so that `--gc-sections` drops them:
///   only `uniffi-bindgen` reads them, from the debug build. `--undefined-version`: a name the
///   current build lacks (a stale map, or the desktop library's features) is not an error; a
///   name missing from the map merely keeps its bytes. Apple's linker dead-strips them by
///   itself when the app links the static library, since an app exports none of its symbols.
/// * Dependency and workspace paths shortened in panic locations: no build-machine paths in
///   the shipped binary, and fewer bytes.
pub fn release_rustflags(target: &str, workspace: &Path, registry_src: &[PathBuf]) -> Vec<String> {
    let mut flags = Vec::new();
    if target.contains("-linux-") {
        let map = workspace.join(crate::bindgen::METADATA_MAP);
        for arg in [
            "link-arg=-Wl,--icf=all".to_owned(),
            "link-arg=-Wl,-z,pack-relative-relocs".to_owned(),
            format!("link-arg=-Wl,--version-script={}", map.display()),
            "link-arg=-Wl,--undefined-version".to_owned(),
        ] {
            flags.extend(["-C".to_owned(), arg]);
        }
    }
    for dir in registry_src {
        flags.push(format!("--remap-path-prefix={}/=", dir.display()));
    }
    flags.push(format!("--remap-path-prefix={}/=", workspace.display()));
    flags
}

/// The crates.io source directories of `$CARGO_HOME` (`registry/src/<index>`).
fn registry_src_dirs() -> Vec<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = cargo_home.map(|h| h.join("registry").join("src")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = fs::read_dir(src)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The triple rustc builds for by default.
fn host_triple() -> Result<String> {
    let version = cmd::read(Command::new("rustc").arg("-vV")).context("running rustc -vV")?;
    version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| crate::error::Error::msg("rustc -vV printed no host triple"))
}

/// `["a", "b"]`, as TOML for `cargo --config`.
fn toml_array(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| format!("\"{}\"", i.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// True if the manifest text declares `[profile.release-mobile]`.
pub fn defines_profile(manifest: &str) -> bool {
    manifest
        .lines()
        .any(|l| l.trim().replace(' ', "") == format!("[profile.{PROFILE}]"))
}

fn strip(path: &Path) -> Result<()> {
    if cmd::which("strip").is_some() {
        cmd::run(Command::new("strip").arg("--strip-all").arg(path))
    } else {
        cmd::run(Command::new("objcopy").arg("--strip-all").arg(path))
    }
}

fn gzipped_len(path: &Path) -> Result<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .context("running gzip")?;
    Ok(out.stdout.len() as u64)
}

/// `1.23 MB (1234567 bytes)`, with MB = 10^6 bytes.
pub fn human(bytes: u64) -> String {
    format!("{:.2} MB ({bytes} bytes)", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes() {
        assert_eq!(human(1_234_567), "1.23 MB (1234567 bytes)");
    }

    #[test]
    fn release_flags_fold_code_pack_relocations_hide_metadata_and_trim_paths() {
        let registry = [PathBuf::from("/home/u/.cargo/registry/src/index.crates.io-abc")];
        let flags = release_rustflags("x86_64-unknown-linux-gnu", Path::new("/src/te"), &registry);
        assert_eq!(
            flags,
            [
                "-C",
                "link-arg=-Wl,--icf=all",
                "-C",
                "link-arg=-Wl,-z,pack-relative-relocs",
                "-C",
                "link-arg=-Wl,--version-script=/src/te/bindings/mobile/uniffi-metadata.map",
                "-C",
                "link-arg=-Wl,--undefined-version",
                "--remap-path-prefix=/home/u/.cargo/registry/src/index.crates.io-abc/=",
                "--remap-path-prefix=/src/te/=",
            ]
        );
        // Apple's linker has neither flag.
        let apple = release_rustflags("aarch64-apple-ios", Path::new("/src/te"), &[]);
        assert_eq!(apple, ["--remap-path-prefix=/src/te/="]);
    }

    #[test]
    fn finds_forbidden_crates_in_mangled_symbols() {
        let symbols = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            forbidden_crates(&symbols(&[
                "_ZN6rustls4conn10Connection4read17h0123456789abcdefE",
                "_RNvMs_NtCs1a2b_5hyper5proto4read",
            ])),
            ["rustls", "hyper"]
        );
        // Other crates that merely contain the names.
        assert!(
            forbidden_crates(&symbols(&[
                "_ZN16rustls_pki_types3der4read17h0123456789abcdefE",
                "_ZN10hyper_util6client4send17h0123456789abcdefE",
                "_ZN14token_exchange4http4send17h0123456789abcdefE",
            ]))
            .is_empty()
        );
    }

    #[test]
    fn toml_arrays_are_quoted() {
        assert_eq!(toml_array(&["a".into(), "b \"c\"".into()]), r#"["a", "b \"c\""]"#);
    }

    #[test]
    fn finds_the_profile() {
        assert!(defines_profile(
            "[profile.release]\n\n[profile.release-mobile]\ninherits = \"release\"\n"
        ));
        assert!(!defines_profile("[profile.release]\nlto = true\n"));
    }
}
