//! `cargo xtask install --prefix DIR`: the C library as a C programmer gets it.
//!
//! Builds the library with the C API in release mode and installs, under the prefix:
//!
//! | file | what |
//! | --- | --- |
//! | `lib/libtoken_exchange.so.X.Y.Z` | the shared library, with SONAME `libtoken_exchange.so.<abi>` |
//! | `lib/libtoken_exchange.so.<abi>`, `lib/libtoken_exchange.so` | the usual symbolic links |
//! | `lib/libtoken_exchange.a` | the static library |
//! | `include/token_exchange.h` | the committed header (with the `TE_VERSION_*` macros) |
//! | `lib/pkgconfig/token-exchange.pc` | pkg-config (`Libs.private`: the static link's system libraries) |
//! | `lib/cmake/TokenExchange/` | `TokenExchangeConfig.cmake` (targets `TokenExchange::TokenExchange`, `TokenExchange::TokenExchangeStatic`) and `TokenExchangeConfigVersion.cmake` |
//!
//! **The name C sees.** Cargo names the library after its crate, `token_exchange_ffi`,
//! because the Rust core already is `token_exchange`; C has no such clash, so the installed
//! library is `libtoken_exchange` (`-ltoken_exchange`), matching `token_exchange.h`, the
//! pkg-config module `token-exchange` and the CMake package `TokenExchange`. The shared
//! library is linked with `-Wl,-soname,libtoken_exchange.so.<abi>` (a link argument of this
//! build only, through `cargo rustc`), so what programs record as `DT_NEEDED` is the installed
//! name, never the Cargo one.
//!
//! **The ABI version** ([`abi_version`]) follows semantic versioning as Cargo reads it (and as
//! cargo-c does): from 1.0 a major release may break the ABI, so the SONAME carries `MAJOR`;
//! before 1.0 a minor release may, so it carries `0.MINOR` (`libtoken_exchange.so.0.1`). The
//! CMake package accepts a requested version by the same rule.
//!
//! The templates of the pkg-config file and the CMake package are in `packages/c/`
//! (`@NAME@` placeholders). The installed library is the one build named in [`C_LIBRARY`].
//! ELF platforms (Linux) only: a macOS install would need an `install_name` instead of a
//! SONAME, and is not written.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bail;
use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::suites::{FFI_LIB, FFI_PACKAGE};
use crate::version::Version;
use crate::workspace::{self, Workspace};

/// A Cargo build of a library: the package, its library (crate) name and the features.
#[derive(Debug, Clone, Copy)]
pub struct LibraryBuild {
    /// Cargo package.
    pub package: &'static str,
    /// Its library target's (crate) name: Cargo's output is `lib<crate_name>.{so,a}`.
    pub crate_name: &'static str,
    /// Cargo features to enable (none: the package's defaults).
    pub features: &'static [&'static str],
}

/// The library `install` installs: the one with the C API (and the reqwest transport), for
/// desktops and servers. The one place that names it.
pub const C_LIBRARY: LibraryBuild = LibraryBuild {
    package: FFI_PACKAGE,
    crate_name: FFI_LIB,
    features: &[],
};

/// The library's name for C (`-ltoken_exchange`).
pub const C_NAME: &str = "token_exchange";
/// The pkg-config module.
pub const PKG_CONFIG_MODULE: &str = "token-exchange";
/// The CMake package.
pub const CMAKE_PACKAGE: &str = "TokenExchange";
/// The templates of the pkg-config file and the CMake package, relative to the workspace root.
pub const TEMPLATES_DIR: &str = "packages/c";

/// What was installed where.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The prefix (absolute).
    pub prefix: PathBuf,
    /// The installed version.
    pub version: Version,
}

impl Installed {
    /// `<prefix>/lib/pkgconfig`, for `PKG_CONFIG_PATH`.
    pub fn pkg_config_dir(&self) -> PathBuf {
        self.prefix.join("lib/pkgconfig")
    }
}

/// The ABI version of `v`: `MAJOR` from 1.0 on, `0.MINOR` before.
pub fn abi_version(v: &Version) -> String {
    if v.major == 0 {
        format!("0.{}", v.minor)
    } else {
        v.major.to_string()
    }
}

/// Builds [`C_LIBRARY`] in release mode and installs it under `prefix` (created if needed).
pub fn run(ws: &Workspace, prefix: &Path) -> Result<Installed> {
    let prefix = std::path::absolute(prefix).with_context(|| format!("resolving {}", prefix.display()))?;
    let version = Version::parse(
        ws.versions
            .get(C_LIBRARY.package)
            .ok_or_else(|| Error::msg(format!("no package `{}` in the workspace", C_LIBRARY.package)))?,
    )?;
    let abi = abi_version(&version);
    let soname = format!("lib{C_NAME}.so.{abi}");
    let built = build(ws, &soname)?;

    let lib = prefix.join("lib");
    let include = prefix.join("include");
    let cmake = lib.join("cmake").join(CMAKE_PACKAGE);
    let pkgconfig = lib.join("pkgconfig");
    for dir in [&lib, &include, &cmake, &pkgconfig] {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let real = format!("lib{C_NAME}.so.{}.{}.{}", version.major, version.minor, version.patch);
    let linker_name = format!("lib{C_NAME}.so");
    let static_name = format!("lib{C_NAME}.a");
    copy(&built.shared, &lib.join(&real))?;
    symlink(&real, &lib.join(&soname))?;
    symlink(&soname, &lib.join(&linker_name))?;
    copy(&built.static_lib, &lib.join(&static_name))?;
    copy(&ws.root.join(crate::header::HEADER), &include.join("token_exchange.h"))?;

    let system_libs: Vec<&str> = built.native_static_libs.split_whitespace().collect();
    let vars = BTreeMap::from([
        ("PREFIX", prefix.display().to_string()),
        ("VERSION", version.text.clone()),
        (
            "VERSION_NUMBERS",
            format!("{}.{}.{}", version.major, version.minor, version.patch),
        ),
        ("MAJOR", version.major.to_string()),
        ("MINOR", version.minor.to_string()),
        ("C_NAME", C_NAME.to_owned()),
        ("SHARED_FILE", real.clone()),
        ("SONAME", soname.clone()),
        ("STATIC_FILE", static_name.clone()),
        ("LIBS_PRIVATE", system_libs.join(" ")),
        (
            "CMAKE_STATIC_LIBS",
            system_libs
                .iter()
                .map(|l| l.strip_prefix("-l").unwrap_or(l))
                .collect::<Vec<_>>()
                .join(";"),
        ),
        ("SIZEOF_VOID_P", (usize::BITS / 8).to_string()),
    ]);
    let templates = ws.root.join(TEMPLATES_DIR);
    render(
        &templates.join(format!("{PKG_CONFIG_MODULE}.pc.in")),
        &pkgconfig.join(format!("{PKG_CONFIG_MODULE}.pc")),
        &vars,
    )?;
    for name in [
        format!("{CMAKE_PACKAGE}Config.cmake"),
        format!("{CMAKE_PACKAGE}ConfigVersion.cmake"),
    ] {
        render(&templates.join(format!("{name}.in")), &cmake.join(&name), &vars)?;
    }

    eprintln!(
        "install: token-exchange {version} (SONAME {soname}) installed under {}",
        prefix.display()
    );
    for path in [
        lib.join(&real),
        lib.join(&soname),
        lib.join(&linker_name),
        lib.join(&static_name),
        include.join("token_exchange.h"),
        pkgconfig.join(format!("{PKG_CONFIG_MODULE}.pc")),
        cmake.join(format!("{CMAKE_PACKAGE}Config.cmake")),
        cmake.join(format!("{CMAKE_PACKAGE}ConfigVersion.cmake")),
    ] {
        eprintln!("install:   {}", path.display());
    }
    Ok(Installed { prefix, version })
}

/// The products of the release build.
struct Built {
    shared: PathBuf,
    static_lib: PathBuf,
    /// The system libraries a static link needs, as rustc prints them (`-lgcc_s -lutil ...`).
    native_static_libs: String,
}

/// Builds [`C_LIBRARY`] as a cdylib (linked with the SONAME) and a staticlib with
/// `cargo rustc --release` and [`crate::size::as_shipped`]'s flags, reading the files and
/// rustc's `native-static-libs` note from Cargo's JSON messages (Cargo replays a fresh crate's
/// cached messages, note included).
fn build(ws: &Workspace, soname: &str) -> Result<Built> {
    let mut c = Command::new(workspace::cargo());
    c.args(["rustc", "--lib", "--crate-type", "cdylib,staticlib"])
        .args(["-p", C_LIBRARY.package])
        .arg("--message-format=json");
    // The release link flags of `cargo xtask size` (code folding, packed relocations, no
    // build-machine paths), on the `release` profile: a backend library is built for speed.
    crate::size::as_shipped(ws, &mut c, "release")?;
    if !C_LIBRARY.features.is_empty() {
        c.arg("--features").arg(C_LIBRARY.features.join(","));
    }
    c.arg("--")
        .arg("-C")
        .arg(format!("link-arg=-Wl,-soname,{soname}"))
        .args(["--print", "native-static-libs"])
        .current_dir(&ws.root)
        .stderr(Stdio::inherit());
    cmd::echo(&c);
    let out = c
        .output()
        .with_context(|| format!("cannot run `{}`", cmd::display(&c)))?;
    let mut files = Vec::new();
    let mut native_static_libs = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") if message["target"]["name"] == C_LIBRARY.crate_name => {
                files.extend(
                    message["filenames"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f.as_str().map(PathBuf::from)),
                );
            }
            Some("compiler-message") => {
                // JSON messages carry rustc's diagnostics (and the note); show them as cargo would.
                eprint!("{}", message["message"]["rendered"].as_str().unwrap_or_default());
                let text = message["message"]["message"].as_str().unwrap_or_default();
                if let Some(libs) = text.strip_prefix("native-static-libs:") {
                    native_static_libs = Some(libs.trim().to_owned());
                }
            }
            _ => {}
        }
    }
    if !out.status.success() {
        bail!("`{}` failed with {}", cmd::display(&c), out.status);
    }
    let find = |ext: &str| {
        files
            .iter()
            .find(|f| f.extension().is_some_and(|e| e == ext))
            .cloned()
            .ok_or_else(|| Error::msg(format!("cargo built no .{ext} of {}", C_LIBRARY.package)))
    };
    Ok(Built {
        shared: find("so")?,
        static_lib: find("a")?,
        native_static_libs: native_static_libs
            .ok_or_else(|| Error::msg("rustc printed no native-static-libs for the static library"))?,
    })
}

/// Copies `from` to `to`, replacing (not writing through) what was there: a running program
/// may have the old library mapped.
fn copy(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("tmp-install");
    fs::copy(from, &tmp).with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    fs::rename(&tmp, to).with_context(|| format!("moving {} to {}", tmp.display(), to.display()))
}

/// Makes `link` a symbolic link to `target` (a name in the same directory).
fn symlink(target: &str, link: &Path) -> Result<()> {
    if link.symlink_metadata().is_ok() {
        fs::remove_file(link).with_context(|| format!("removing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(target, link).with_context(|| format!("linking {} to {target}", link.display()))
}

/// Writes `template` with every `@NAME@` replaced by `vars[NAME]`; an unknown name is an error.
fn render(template: &Path, out: &Path, vars: &BTreeMap<&str, String>) -> Result<()> {
    let text = fs::read_to_string(template).with_context(|| format!("reading {}", template.display()))?;
    let rendered = substitute(&text, vars).with_context(|| format!("in {}", template.display()))?;
    fs::write(out, rendered).with_context(|| format!("writing {}", out.display()))
}

/// `text` with every `@NAME@` (upper-case letters and `_`) replaced by `vars[NAME]`.
fn substitute(text: &str, vars: &BTreeMap<&str, String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('@') {
            let name = &after[..name_len];
            let value = vars
                .get(name)
                .ok_or_else(|| Error::msg(format!("unknown placeholder @{name}@")))?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('@');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_version_is_major_or_zero_minor() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(abi_version(&v("0.1.0")), "0.1");
        assert_eq!(abi_version(&v("0.12.3")), "0.12");
        assert_eq!(abi_version(&v("1.4.2")), "1");
        assert_eq!(abi_version(&v("2.0.0-beta.1")), "2");
    }

    #[test]
    fn substitutes_placeholders() {
        let vars = BTreeMap::from([("VERSION", "0.1.0".to_owned()), ("C_NAME", "te".to_owned())]);
        assert_eq!(
            substitute("Version: @VERSION@\nLibs: -l@C_NAME@ user@example.com @@", &vars).unwrap(),
            "Version: 0.1.0\nLibs: -lte user@example.com @@"
        );
        assert!(substitute("@NOPE@", &vars).is_err());
    }
}
