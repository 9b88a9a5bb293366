//! The Swift package (root `Package.swift`) on Linux: its `TokenExchangeFFI` target is a system
//! library whose flags come from the pkg-config module [`PKG_CONFIG_MODULE`], because the
//! `-L`/rpath flags of a library outside the package would need `unsafeFlags`, which SwiftPM
//! refuses in a dependency. SwiftPM reads `.pc` files itself (no `pkg-config` program needed) from
//! `PKG_CONFIG_PATH`. [`dev_setup`] writes that file for a debug build of the library; the Swift
//! suite, the Swift consumers of the packages suite and `cargo xtask swift-dev` use it.
//!
//! SwiftPM drops every pkg-config flag but `-L`/`-l`/`-I`/`-D`/`-F` ("prohibited flag(s):
//! -Wl,-rpath,…", seen with SwiftPM 6.0.3), so a program linked this way finds the library
//! through `LD_LIBRARY_PATH`, as with any library outside the system paths.

use std::fs;
use std::path::PathBuf;

use crate::error::{Context, Error, Result};
use crate::suites::{self, Ffi, Library};
use crate::version;
use crate::workspace::Workspace;

/// The pkg-config module root `Package.swift` names (`pkgConfig:`).
pub const PKG_CONFIG_MODULE: &str = "token-exchange-mobile";

/// Writes `<lib_dir>/pkgconfig/token-exchange-mobile.pc` for the library `ffi` (`-L<lib_dir>
/// -l<name>`); the environment a SwiftPM build and its programs need (`PKG_CONFIG_PATH`,
/// `LD_LIBRARY_PATH`).
pub fn dev_setup(ws: &Workspace, ffi: &Ffi) -> Result<Vec<(String, String)>> {
    let name = ffi
        .lib
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.strip_prefix("lib"))
        .ok_or_else(|| Error::msg(format!("{} is not named lib<name>.so", ffi.lib.display())))?;
    let dir: PathBuf = ffi.lib_dir.join("pkgconfig");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let version = version::workspace_version(ws)?;
    let pc = format!(
        "# Written by cargo xtask (xtask/src/swiftpm.rs) for the Swift package's development build.\n\
         libdir={}\n\n\
         Name: {PKG_CONFIG_MODULE}\n\
         Description: token-exchange for Swift (development build of lib{name})\n\
         Version: {version}\n\
         Libs: -L${{libdir}} -l{name}\n\
         Cflags:\n",
        ffi.lib_dir.display()
    );
    let file = dir.join(format!("{PKG_CONFIG_MODULE}.pc"));
    fs::write(&file, pc).with_context(|| format!("writing {}", file.display()))?;
    Ok(vec![
        ("PKG_CONFIG_PATH".to_owned(), dir.display().to_string()),
        ("LD_LIBRARY_PATH".to_owned(), ffi.lib_dir.display().to_string()),
    ])
}

/// Builds the debug library the Swift package links: the phone library, which the XCFramework
/// carries (alone, as `cargo xtask test` builds it after the desktop library and the emulator).
pub fn build_library(ws: &Workspace) -> Result<Ffi> {
    suites::build_library(ws, Library::Mobile, false)
}
