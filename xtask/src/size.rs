//! `xtask size`: how big the bindings library is on a phone — the cdylib built with the
//! `release-mobile` profile, stripped, and gzipped.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cmd;
use crate::error::{Context, Result};
use crate::suites::{FFI_LIB, FFI_PACKAGE};
use crate::workspace::{self, Workspace};

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
    let mut build = Command::new(workspace::cargo());
    build
        .args(["build", "-p", FFI_PACKAGE, "--lib", "--profile", PROFILE])
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

    let name = format!("lib{FFI_LIB}.so");
    let built = ws.target_dir.join(PROFILE).join(&name);
    let out = ws.scratch_dir("size");
    fs::create_dir_all(&out)?;
    let stripped = out.join(&name);
    fs::copy(&built, &stripped).with_context(|| format!("copying {}", built.display()))?;
    strip(&stripped)?;

    let built_len = fs::metadata(&built)?.len();
    let stripped_len = fs::metadata(&stripped)?.len();
    let gz_len = gzipped_len(&stripped)?;
    println!("{name} as built ({PROFILE}): {}", human(built_len));
    println!("{name} stripped: {}", human(stripped_len));
    println!("{name} stripped, gzip -9: {}", human(gz_len));
    Ok(())
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
    fn finds_the_profile() {
        assert!(defines_profile(
            "[profile.release]\n\n[profile.release-mobile]\ninherits = \"release\"\n"
        ));
        assert!(!defines_profile("[profile.release]\nlto = true\n"));
    }
}
