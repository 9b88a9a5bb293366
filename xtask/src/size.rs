//! `xtask size`: how big the bindings library is on a phone — the cdylib built with the
//! `release-mobile` profile and the release link flags of [`release_rustflags`], stripped, and
//! gzipped.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd;
use crate::error::{Context, Result};
use crate::suites::{FFI_LIB, FFI_PACKAGE};
use crate::workspace::{self, Workspace};

/// The size floor of the stack (`bindings/size-baseline`), reported next to the library.
const BASELINE_PACKAGE: &str = "token-exchange-size-baseline";
const BASELINE_LIB: &str = "token_exchange_size_baseline";

/// The Cargo profile for mobile builds.
pub const PROFILE: &str = "release-mobile";

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

/// Builds, strips and measures the mobile cdylib. A missing `bindings/` is not an error.
pub fn run(ws: &Workspace) -> Result<()> {
    if !ws.root.join("bindings").is_dir() || !ws.has_package(FFI_PACKAGE) {
        println!("size: no bindings/ crate ({FFI_PACKAGE}) yet: nothing to measure");
        return Ok(());
    }
    let manifest = fs::read_to_string(ws.root.join("Cargo.toml")).context("reading Cargo.toml")?;
    // An explicit --target keeps the release flags off build scripts and proc-macros, and the
    // output in its own directory (the host build cache stays valid).
    let target = host_triple()?;
    let flags = release_rustflags(&target, &ws.root, &registry_src_dirs());
    // The baseline is built in the same invocation, so with the same dependency features.
    let baseline = ws.has_package(BASELINE_PACKAGE);
    let mut build = Command::new(workspace::cargo());
    build.args(["build", "-p", FFI_PACKAGE]);
    if baseline {
        build.args(["-p", BASELINE_PACKAGE]);
    }
    build
        .args(["--lib", "--profile", PROFILE, "--target", &target])
        .arg("--config")
        .arg(format!("target.{target}.rustflags = {}", toml_array(&flags)))
        .current_dir(&ws.root);
    if !defines_profile(&manifest) {
        println!(
            "size: note: the root Cargo.toml has no [profile.{PROFILE}]; using xtask's stand-in \
             (opt-level z, lto, codegen-units 1, strip symbols, panic unwind)"
        );
        for setting in FALLBACK_PROFILE {
            build.arg("--config").arg(setting);
        }
    }
    cmd::run(&mut build)?;

    let built_dir = ws.target_dir.join(&target).join(PROFILE);
    let out = ws.scratch_dir("size");
    fs::create_dir_all(&out)?;
    let name = format!("lib{FFI_LIB}.so");
    let (built_len, stripped_len, gz_len) = measure(&built_dir, &out, &name)?;
    println!("{name} as built ({PROFILE}, {target}): {}", human(built_len));
    println!("{name} stripped: {}", human(stripped_len));
    println!("{name} stripped, gzip -9: {}", human(gz_len));
    if baseline {
        let name = format!("lib{BASELINE_LIB}.so");
        let (_, floor, _) = measure(&built_dir, &out, &name)?;
        println!(
            "baseline {name} (one uniffi async HTTPS + JSON call on the same stack) stripped: {}; \
             the SDK adds {} ({:.2}x the baseline)",
            human(floor),
            human(stripped_len.saturating_sub(floor)),
            stripped_len as f64 / floor as f64
        );
    }
    Ok(())
}

/// Copies `name` from `built_dir` to `out`, strips the copy and returns the built, stripped
/// and gzipped sizes.
fn measure(built_dir: &Path, out: &Path, name: &str) -> Result<(u64, u64, u64)> {
    let built = built_dir.join(name);
    let stripped = out.join(name);
    fs::copy(&built, &stripped).with_context(|| format!("copying {}", built.display()))?;
    strip(&stripped)?;
    Ok((
        fs::metadata(&built)?.len(),
        fs::metadata(&stripped)?.len(),
        gzipped_len(&stripped)?,
    ))
}

/// Flags of a release build of the mobile library for `target`, beyond the profile. The
/// Android script (`kotlin/build-android-libs.sh`) and the XCFramework script
/// (`swift/build-xcframework.sh`) pass their platform's equivalents.
///
/// * Identical code folding (`--icf=all`, ELF targets; lld is rustc's linker there): many
///   generic instances compile to the same machine code. Rust gives no guarantee that distinct
///   functions have distinct addresses, and LLVM already merges functions by alias.
/// * Packed relative relocations (RELR): vtables and static tables otherwise carry a 24-byte
///   relocation per pointer, about 250 KB here. Apple's linker packs them by itself (chained
///   fixups); Android uses its own packing format.
/// * Dependency and workspace paths shortened in panic locations: no build-machine paths in
///   the shipped binary, and fewer bytes.
pub fn release_rustflags(target: &str, workspace: &Path, registry_src: &[PathBuf]) -> Vec<String> {
    let mut flags = Vec::new();
    if target.contains("-linux-") {
        for arg in ["link-arg=-Wl,--icf=all", "link-arg=-Wl,-z,pack-relative-relocs"] {
            flags.extend(["-C".to_owned(), arg.to_owned()]);
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
    fn release_flags_fold_code_pack_relocations_and_trim_paths() {
        let registry = [PathBuf::from("/home/u/.cargo/registry/src/index.crates.io-abc")];
        let flags = release_rustflags("x86_64-unknown-linux-gnu", Path::new("/src/te"), &registry);
        assert_eq!(
            flags,
            [
                "-C",
                "link-arg=-Wl,--icf=all",
                "-C",
                "link-arg=-Wl,-z,pack-relative-relocs",
                "--remap-path-prefix=/home/u/.cargo/registry/src/index.crates.io-abc/=",
                "--remap-path-prefix=/src/te/=",
            ]
        );
        // Apple's linker has neither flag.
        let apple = release_rustflags("aarch64-apple-ios", Path::new("/src/te"), &[]);
        assert_eq!(apple, ["--remap-path-prefix=/src/te/="]);
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
