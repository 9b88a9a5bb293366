//! The C consumer kinds: a `Makefile` project whose flags come from pkg-config, and a
//! `CMakeLists.txt` project that finds the CMake package. Each builds a program named
//! [`PROGRAM`] in its build directory, which runs under valgrind with the C suite's flags and
//! suppressions, without `LD_LIBRARY_PATH`: the program finds the installed library by the
//! rpath its build gave it, as a user's would.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use super::Kind;
use crate::bail;
use crate::cmd;
use crate::error::Result;
use crate::install::{self, Installed};
use crate::provision::Provisioner;
use crate::suites::c::valgrind;
use crate::workspace::Workspace;

/// The program every C consumer builds.
pub const PROGRAM: &str = "app";

/// A C program built by `make` with `pkg-config --cflags`/`--libs token-exchange`, found
/// through `PKG_CONFIG_PATH=<prefix>/lib/pkgconfig`.
#[derive(Default)]
pub struct PkgConfig {
    tools: Option<Tools>,
}

/// A C program built by CMake with `find_package(TokenExchange)`, found through
/// `CMAKE_PREFIX_PATH=<prefix>`.
#[derive(Default)]
pub struct CMake {
    tools: Option<Tools>,
}

/// What both kinds use.
struct Tools {
    /// `make` (PkgConfig) or `cmake` (CMake).
    build: PathBuf,
    valgrind: PathBuf,
}

impl Tools {
    /// gcc, valgrind, the `build` tool and the `others` (each a tool and its Debian packages).
    fn provision(prov: &mut Provisioner, build: (&str, &[&str]), others: &[(&str, &[&str])]) -> Result<Tools> {
        prov.system_tool("gcc", &["gcc", "libc6-dev"])?;
        for (tool, packages) in others {
            prov.system_tool(tool, packages)?;
        }
        Ok(Tools {
            build: prov.system_tool(build.0, build.1)?,
            valgrind: prov.system_tool("valgrind", &["valgrind"])?,
        })
    }

    fn get(tools: &Option<Tools>) -> Result<&Tools> {
        match tools {
            Some(t) => Ok(t),
            None => bail!("not prepared"),
        }
    }
}

impl Kind for PkgConfig {
    fn name(&self) -> &'static str {
        "pkg-config"
    }

    fn build_file(&self) -> &'static str {
        "Makefile"
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.tools = Some(Tools::provision(
            prov,
            ("make", &["make"]),
            &[("pkg-config", &["pkg-config"])],
        )?);
        Ok(())
    }

    fn build(&self, _ws: &Workspace, consumer: &Path, build_dir: &Path, installed: &Installed) -> Result<()> {
        let tools = Tools::get(&self.tools)?;
        cmd::run(
            Command::new(&tools.build)
                .arg("-f")
                .arg(consumer.join(self.build_file()))
                .current_dir(build_dir)
                .env("PKG_CONFIG_PATH", installed.pkg_config_dir()),
        )
    }

    fn run(&self, ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus> {
        run_program(Tools::get(&self.tools)?, ws, build_dir, args)
    }
}

impl Kind for CMake {
    fn name(&self) -> &'static str {
        "cmake"
    }

    fn build_file(&self) -> &'static str {
        "CMakeLists.txt"
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        self.tools = Some(Tools::provision(prov, ("cmake", &["cmake"]), &[("make", &["make"])])?);
        Ok(())
    }

    fn build(&self, _ws: &Workspace, consumer: &Path, build_dir: &Path, installed: &Installed) -> Result<()> {
        let tools = Tools::get(&self.tools)?;
        cmd::run(
            Command::new(&tools.build)
                .arg("-S")
                .arg(consumer)
                .arg("-B")
                .arg(build_dir)
                .arg("-DCMAKE_BUILD_TYPE=Debug")
                .env("CMAKE_PREFIX_PATH", &installed.prefix),
        )?;
        cmd::run(Command::new(&tools.build).arg("--build").arg(build_dir))
    }

    fn run(&self, ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus> {
        run_program(Tools::get(&self.tools)?, ws, build_dir, args)
    }
}

/// Runs `<build_dir>/app args` under valgrind, with no `LD_LIBRARY_PATH`.
fn run_program(tools: &Tools, ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus> {
    let mut c = valgrind(&tools.valgrind, ws);
    c.arg(build_dir.join(PROGRAM))
        .args(args)
        .current_dir(build_dir)
        .env_remove("LD_LIBRARY_PATH");
    cmd::status(&mut c)
}

/// Checks that the installed shared library's SONAME is `lib<name>.so.<abi>` (`readelf -d`).
pub fn check_soname(installed: &Installed) -> Result<()> {
    let v = &installed.version;
    let file =
        installed
            .prefix
            .join("lib")
            .join(format!("lib{}.so.{}.{}.{}", install::C_NAME, v.major, v.minor, v.patch));
    let expected = format!("lib{}.so.{}", install::C_NAME, install::abi_version(v));
    let dynamic = cmd::read(Command::new("readelf").arg("-d").arg(&file))?;
    let soname = dynamic
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .and_then(|l| l.split('[').nth(1))
        .and_then(|l| l.split(']').next());
    if soname != Some(expected.as_str()) {
        bail!("{} has SONAME {soname:?}, expected {expected}", file.display());
    }
    eprintln!("packages: {} has SONAME {expected}", file.display());
    Ok(())
}
