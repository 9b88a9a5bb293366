//! The SwiftPM consumer kind: a Swift package (`Package.swift`) depending on the repository's
//! root package by path, built with `swift build` in the Swift chroot ([`crate::chroot`]) and
//! run there. The root package's `TokenExchangeFFI` finds the library through the pkg-config
//! file [`swiftpm::dev_setup`] writes, and the program through `LD_LIBRARY_PATH` (SwiftPM
//! refuses an rpath from pkg-config). Build products go to the consumer's build directory
//! (`--scratch-path`), never into the repository. The executable product is named [`PROGRAM`].

use std::path::Path;
use std::process::ExitStatus;

use super::Kind;
use crate::bail;
use crate::chroot::{Chroot, Invocation};
use crate::error::{Error, Result};
use crate::install::Installed;
use crate::provision::Provisioner;
use crate::suites::swift::BUILD_LIMIT;
use crate::swiftpm;
use crate::workspace::Workspace;

/// The executable every Swift consumer builds.
pub const PROGRAM: &str = "app";

/// A Swift package against the root package.
#[derive(Default)]
pub struct SwiftPm {
    chroot: Option<Chroot>,
    /// The environment of [`swiftpm::dev_setup`], from the last build.
    env: std::cell::RefCell<Vec<(String, String)>>,
}

impl SwiftPm {
    fn chroot(&self) -> Result<&Chroot> {
        self.chroot.as_ref().ok_or_else(|| Error::msg("not prepared"))
    }

    /// An invocation in the chroot with the repository and the target directory mounted.
    fn invocation(ws: &Workspace, cwd: &Path, argv: Vec<String>, env: Vec<(String, String)>) -> Invocation {
        let mut binds = vec![ws.root.clone()];
        if ws.target_outside_root() {
            binds.push(ws.target_dir.clone());
        }
        Invocation {
            argv,
            cwd: cwd.to_path_buf(),
            env,
            binds,
            timeout: Some(BUILD_LIMIT),
        }
    }
}

impl Kind for SwiftPm {
    fn name(&self) -> &'static str {
        "swiftpm"
    }

    fn build_file(&self) -> &'static str {
        "Package.swift"
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.chroot = Some(prov.swift()?);
        Ok(())
    }

    fn build(&self, ws: &Workspace, consumer: &Path, build_dir: &Path, _installed: &Installed) -> Result<()> {
        let ffi = swiftpm::build_library(ws)?;
        let env = swiftpm::dev_setup(ws, &ffi)?;
        self.env.replace(env.clone());
        let argv = vec![
            "swift".to_owned(),
            "build".to_owned(),
            "--package-path".to_owned(),
            consumer.display().to_string(),
            "--scratch-path".to_owned(),
            build_dir.join(".build").display().to_string(),
            "--product".to_owned(),
            PROGRAM.to_owned(),
        ];
        let status = self
            .chroot()?
            .run(&Self::invocation(ws, consumer, argv, env), |_, _| {})?;
        if !status.success() {
            bail!("swift build failed ({status})");
        }
        Ok(())
    }

    fn run(&self, ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus> {
        let mut argv = vec![build_dir.join(".build/debug").join(PROGRAM).display().to_string()];
        argv.extend(args.iter().cloned());
        self.chroot()?.run(
            &Self::invocation(ws, build_dir, argv, self.env.borrow().clone()),
            |_, _| {},
        )
    }
}
