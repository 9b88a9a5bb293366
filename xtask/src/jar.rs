//! `cargo xtask jar [--out FILE]`: the JVM artifact `com.tokenexchange:token-exchange` as a
//! desktop Java or Kotlin program gets it.
//!
//! One jar holding:
//!
//! | entry | what |
//! | --- | --- |
//! | `com/tokenexchange/**.class` | the Kotlin library (`kotlin/src/main/kotlin`: the generated bindings and the idiomatic layer, `TokenExchangeFutures` for Java), compiled by kotlinc |
//! | `<jna-prefix>/lib<name>.so` | the Rust library [`NATIVE`] built with [`PROFILE`], in JNA's resource layout |
//! | `META-INF/maven/com.tokenexchange/token-exchange/pom.xml` | the POM ([`POM`]: coordinates, metadata, the JNA and kotlinx-coroutines dependencies) |
//!
//! JNA looks for a library it cannot find on `jna.library.path` or the system paths in the
//! classpath, under `Platform.RESOURCE_PREFIX` ([`jna_resource_prefix`]): `linux-x86-64/` here.
//! So `java -cp app.jar:token-exchange-X.Y.Z.jar:jna.jar:kotlin-stdlib.jar:kotlinx-coroutines-core-jvm.jar`
//! runs with no `-Djna.library.path`. This command builds the host's slice only; a jar for
//! several desktops adds the libraries built on each (`darwin-aarch64/libX.dylib`,
//! `darwin-x86-64/libX.dylib`, `win32-x86-64/X.dll`, `linux-aarch64/libX.so`) to the same jar.
//! Android does not use this jar: the AAR carries `jni/<abi>/lib<name>.so`
//! (kotlin/build-android-libs.sh).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::cmd;
use crate::error::{Context, Result};
use crate::install::LibraryBuild;
use crate::provision::KotlinTools;
use crate::suites::kotlin::MAIN_DIR;
use crate::suites::{MOBILE_LIB, MOBILE_PACKAGE};
use crate::version;
use crate::workspace::{self, Workspace};

/// The Rust library the jar carries, the phone library (the AAR's too: no Rust HTTP or TLS
/// stack, the Kotlin layer supplies `HttpURLConnection` and the DPoP key): the one place that
/// names it.
pub const NATIVE: LibraryBuild = LibraryBuild {
    package: MOBILE_PACKAGE,
    crate_name: MOBILE_LIB,
    features: &[],
};
/// The Cargo profile of [`NATIVE`]: the AAR's (size-optimised, stripped, panics unwind).
pub const PROFILE: &str = "release-mobile";
/// Maven group id.
pub const GROUP: &str = "com.tokenexchange";
/// Maven artifact id (also the jar's file name: `<ARTIFACT>-<version>.jar`).
pub const ARTIFACT: &str = "token-exchange";
/// The POM, relative to the workspace root; its `<version>` is checked by `cargo xtask version`.
pub const POM: &str = "kotlin/pom.xml";

/// JNA's `Platform.RESOURCE_PREFIX` for a Rust `std::env::consts::{OS, ARCH}` pair, and the
/// library's file name there for crate `name`; `None` for a platform JNA names otherwise.
pub fn jna_resource_prefix(os: &str, arch: &str, name: &str) -> Option<(String, String)> {
    let arch = match arch {
        "x86_64" => "x86-64",
        "aarch64" => "aarch64",
        "x86" => "x86",
        _ => return None,
    };
    let (platform, file) = match os {
        "linux" => ("linux", format!("lib{name}.so")),
        "macos" => ("darwin", format!("lib{name}.dylib")),
        "windows" => ("win32", format!("{name}.dll")),
        _ => return None,
    };
    Some((format!("{platform}-{arch}"), file))
}

/// Builds the jar into `out_dir` (created if needed); its path.
pub fn build(ws: &Workspace, tools: &KotlinTools, out_dir: &Path) -> Result<PathBuf> {
    let version = version::workspace_version(ws)?;
    let Some((prefix, file)) = jna_resource_prefix(std::env::consts::OS, std::env::consts::ARCH, NATIVE.crate_name)
    else {
        bail!(
            "no JNA resource prefix known for {}-{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    };
    let native = build_native(ws, &file)?;

    let staging = out_dir.join("jar-staging");
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }
    let classes = staging.join("classes");
    fs::create_dir_all(classes.join(&prefix))?;
    let jna_and_coroutines: Vec<&Path> = vec![&tools.jna, &tools.coroutines];
    cmd::run(
        Command::new(&tools.kotlinc)
            .arg("-cp")
            .arg(std::env::join_paths(&jna_and_coroutines).context("classpath")?)
            .arg("-d")
            .arg(&classes)
            .arg(ws.root.join(MAIN_DIR)),
    )?;
    fs::copy(&native, classes.join(&prefix).join(&file)).with_context(|| format!("copying {}", native.display()))?;
    let maven = classes.join("META-INF/maven").join(GROUP).join(ARTIFACT);
    fs::create_dir_all(&maven)?;
    fs::copy(ws.root.join(POM), maven.join("pom.xml")).with_context(|| format!("copying {POM}"))?;

    let jar = out_dir.join(format!("{ARTIFACT}-{version}.jar"));
    let _ = fs::remove_file(&jar);
    let jar_tool = cmd::which("jar").unwrap_or_else(|| "jar".into());
    cmd::run(
        Command::new(jar_tool)
            .arg("--create")
            .arg("--file")
            .arg(&jar)
            .arg("-C")
            .arg(&classes)
            .arg("."),
    )?;
    eprintln!("jar: {} ({prefix}/{file}, {ARTIFACT} {version})", jar.display());
    Ok(jar)
}

/// Builds [`NATIVE`] with [`PROFILE`] and the release link flags, as `cargo xtask size`
/// measures it; the path of its shared library `file`.
fn build_native(ws: &Workspace, file: &str) -> Result<PathBuf> {
    let mut c = Command::new(workspace::cargo());
    c.args(["build", "--lib", "-p", NATIVE.package]).current_dir(&ws.root);
    let built_dir = crate::size::as_shipped(ws, &mut c, PROFILE)?;
    if !NATIVE.features.is_empty() {
        c.arg("--features").arg(NATIVE.features.join(","));
    }
    cmd::run(&mut c)?;
    let lib = built_dir.join(file);
    if !lib.is_file() {
        bail!("{} was not produced", lib.display());
    }
    Ok(lib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_jna_resource_prefixes() {
        let prefix = |os, arch| jna_resource_prefix(os, arch, "x");
        assert_eq!(
            prefix("linux", "x86_64"),
            Some(("linux-x86-64".into(), "libx.so".into()))
        );
        assert_eq!(
            prefix("linux", "aarch64"),
            Some(("linux-aarch64".into(), "libx.so".into()))
        );
        assert_eq!(
            prefix("macos", "aarch64"),
            Some(("darwin-aarch64".into(), "libx.dylib".into()))
        );
        assert_eq!(
            prefix("macos", "x86_64"),
            Some(("darwin-x86-64".into(), "libx.dylib".into()))
        );
        assert_eq!(
            prefix("windows", "x86_64"),
            Some(("win32-x86-64".into(), "x.dll".into()))
        );
        assert_eq!(prefix("freebsd", "x86_64"), None);
    }
}
