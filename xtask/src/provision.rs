//! Installs, idempotently, the toolchains the foreign-language suites need.
//!
//! Everything downloaded lives in the cache directory ([`crate::workspace::cache_dir`]),
//! outside the repository, so later runs on the same machine reuse it:
//!
//! | what | where |
//! | --- | --- |
//! | cbindgen | `<cache>/cargo-tools/bin/cbindgen` (`cargo install --root`) |
//! | kotlinc, kotlin-stdlib, kotlinx-coroutines | `<cache>/kotlin/node_modules/kotlin-compiler/` (npm) |
//! | Swift (Debian trixie chroot) | `<cache>/swift-chroot/` (see [`crate::chroot`]) |
//!
//! System packages (gcc, valgrind, JNA, JUnit 4, debootstrap) come from Debian with `apt-get`,
//! which is only updated once per run and only when something is missing.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::bail;
use crate::chroot::Chroot;
use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::lang::Lang;

/// cbindgen version used to generate the committed C header.
pub const CBINDGEN_VERSION: &str = "0.29.4";
/// Version of the npm package `kotlin-compiler` (a full kotlinc distribution).
pub const KOTLIN_VERSION: &str = "2.4.20";

/// Tools for the C suite.
#[derive(Debug, Clone)]
pub struct CTools {
    /// The C compiler.
    pub gcc: PathBuf,
    /// valgrind, for leak checks.
    pub valgrind: PathBuf,
    /// cbindgen at [`CBINDGEN_VERSION`].
    pub cbindgen: PathBuf,
}

/// Tools and jars for the Kotlin suite.
#[derive(Debug, Clone)]
pub struct KotlinTools {
    /// The `kotlinc` launcher script.
    pub kotlinc: PathBuf,
    /// The `java` launcher.
    pub java: PathBuf,
    /// `kotlin-stdlib.jar` (runtime classpath).
    pub stdlib: PathBuf,
    /// `kotlinx-coroutines-core-jvm.jar` (the generated async code needs it).
    pub coroutines: PathBuf,
    /// JNA (`/usr/share/java/jna.jar`).
    pub jna: PathBuf,
    /// JUnit 4.
    pub junit: PathBuf,
    /// Hamcrest (JUnit 4's matcher library).
    pub hamcrest: PathBuf,
}

impl KotlinTools {
    /// Jars needed to compile the bindings and their tests.
    pub fn compile_classpath(&self) -> Vec<&Path> {
        vec![&self.jna, &self.coroutines, &self.junit, &self.hamcrest]
    }

    /// Jars needed to run them (compile classpath plus the Kotlin standard library).
    pub fn runtime_classpath(&self) -> Vec<&Path> {
        let mut cp = self.compile_classpath();
        cp.push(&self.stdlib);
        cp
    }
}

/// Installs what is missing. One instance per xtask run, so that `apt-get update` runs at
/// most once.
pub struct Provisioner {
    cache: PathBuf,
    apt_updated: bool,
}

impl Provisioner {
    /// A provisioner that caches downloads under `cache`.
    pub fn new(cache: PathBuf) -> Self {
        Provisioner {
            cache,
            apt_updated: false,
        }
    }

    /// The cache directory.
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// Provisions the toolchain of one language (Rust needs nothing).
    pub fn provision(&mut self, lang: Lang) -> Result<()> {
        match lang {
            Lang::Rust => Ok(()),
            Lang::C => self.c().map(drop),
            Lang::Kotlin => self.kotlin().map(drop),
            Lang::Swift => self.swift().map(drop),
            Lang::Packages => crate::suites::packages::provision(self),
        }
    }

    /// gcc, valgrind and cbindgen.
    pub fn c(&mut self) -> Result<CTools> {
        let gcc = self.system_tool("gcc", &["gcc", "libc6-dev"])?;
        let valgrind = self.system_tool("valgrind", &["valgrind"])?;
        let cbindgen = self.cbindgen()?;
        Ok(CTools {
            gcc,
            valgrind,
            cbindgen,
        })
    }

    /// cbindgen [`CBINDGEN_VERSION`], installed with `cargo install` into the cache.
    pub fn cbindgen(&mut self) -> Result<PathBuf> {
        let root = self.cache.join("cargo-tools");
        let bin = root.join("bin").join("cbindgen");
        let wanted = format!("cbindgen {CBINDGEN_VERSION}");
        let version = |bin: &Path| {
            cmd::read(Command::new(bin).arg("--version"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        if version(&bin) == wanted {
            return Ok(bin);
        }
        let _lock = self.lock("cargo-tools")?;
        if version(&bin) == wanted {
            return Ok(bin);
        }
        let start = announce(&format!("cbindgen {CBINDGEN_VERSION} (cargo install, ~75 s)"));
        let mut install = Command::new(crate::workspace::cargo());
        install
            .args(["install", "--quiet", "--locked", "--force"])
            .arg(format!("cbindgen@{CBINDGEN_VERSION}"))
            .arg("--root")
            .arg(&root)
            // Build in a temporary directory, not in the project's target dir, and away from
            // the workspace's own Cargo configuration.
            .env_remove("CARGO_TARGET_DIR")
            .current_dir(&self.cache);
        cmd::run(&mut install)?;
        let got = version(&bin);
        if got != wanted {
            bail!("installed cbindgen reports `{got}`, expected `{wanted}`");
        }
        done(start, &wanted);
        Ok(bin)
    }

    /// kotlinc (npm `kotlin-compiler`), Java, JNA, JUnit 4 and Hamcrest.
    pub fn kotlin(&mut self) -> Result<KotlinTools> {
        let java = self.system_tool("java", &["default-jre-headless"])?;
        self.apt_install("the Kotlin suite", &["libjna-java", "junit4"])?;
        let jna = first_existing(&["/usr/share/java/jna.jar"])?;
        let junit = first_existing(&["/usr/share/java/junit4.jar"])?;
        let hamcrest = first_existing(&[
            "/usr/share/java/hamcrest-core.jar",
            "/usr/share/java/hamcrest.jar",
            "/usr/share/java/hamcrest-all.jar",
        ])?;

        let prefix = self.cache.join("kotlin");
        let home = prefix.join("node_modules").join("kotlin-compiler");
        let installed = |home: &Path| {
            fs::read_to_string(home.join("package.json"))
                .ok()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                .is_some_and(|v| v["version"] == KOTLIN_VERSION)
                && home.join("bin/kotlinc").is_file()
                && home.join("lib/kotlin-stdlib.jar").is_file()
                && home.join("lib/kotlinx-coroutines-core-jvm.jar").is_file()
        };
        if !installed(&home) {
            let _lock = self.lock("kotlin")?;
            if !installed(&home) {
                if cmd::which("npm").is_none() {
                    self.apt_install("kotlinc", &["npm"])?;
                }
                let start = announce(&format!("kotlinc {KOTLIN_VERSION} (npm kotlin-compiler)"));
                fs::create_dir_all(&prefix).context("creating the kotlin cache")?;
                cmd::run(
                    Command::new("npm")
                        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
                        .arg(&prefix)
                        .arg(format!("kotlin-compiler@{KOTLIN_VERSION}")),
                )?;
                if !installed(&home) {
                    bail!("npm installed kotlin-compiler but {} is incomplete", home.display());
                }
                make_executable(&home.join("bin/kotlinc"))?;
                cmd::read(Command::new(home.join("bin/kotlinc")).arg("-version"))
                    .context("the freshly installed kotlinc does not run")?;
                done(start, &format!("kotlinc {KOTLIN_VERSION}"));
            }
        }
        let kotlinc = home.join("bin/kotlinc");
        make_executable(&kotlinc)?;
        Ok(KotlinTools {
            kotlinc,
            java,
            stdlib: home.join("lib/kotlin-stdlib.jar"),
            coroutines: home.join("lib/kotlinx-coroutines-core-jvm.jar"),
            jna,
            junit,
            hamcrest,
        })
    }

    /// The Swift toolchain: a Debian trixie chroot with `swiftlang`.
    pub fn swift(&mut self) -> Result<Chroot> {
        Chroot::provision(self)
    }

    /// Returns `name` from `PATH`, installing the Debian `packages` first if it is missing.
    pub fn system_tool(&mut self, name: &str, packages: &[&str]) -> Result<PathBuf> {
        if let Some(path) = cmd::which(name) {
            return Ok(path);
        }
        self.apt_install(name, packages)?;
        cmd::which(name).ok_or_else(|| {
            Error::msg(format!(
                "`{name}` is still not on PATH after installing {}",
                packages.join(" ")
            ))
        })
    }

    /// Installs the Debian packages that are not installed yet (on the host).
    pub fn apt_install(&mut self, purpose: &str, packages: &[&str]) -> Result<()> {
        let missing: Vec<&str> = packages.iter().copied().filter(|p| !deb_installed(p)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let start = announce(&format!("Debian packages {} (for {purpose})", missing.join(" ")));
        if !self.apt_updated {
            cmd::run(apt_get().arg("update").arg("-q")).context("apt-get update (are you root?)")?;
            self.apt_updated = true;
        }
        cmd::run(
            apt_get()
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&missing),
        )?;
        done(start, &missing.join(" "));
        Ok(())
    }

    /// Takes an exclusive lock on `<cache>/locks/<name>.lock`, so that concurrent xtask runs
    /// do not install the same thing at once. Released when the returned file is dropped.
    pub fn lock(&self, name: &str) -> Result<File> {
        lock_file(&self.cache.join("locks").join(format!("{name}.lock")))
    }
}

/// How long [`lock_file`] waits for another holder before giving up.
pub const LOCK_WAIT: Duration = Duration::from_secs(20 * 60);

/// Opens (creating it) and exclusively locks `path`; the lock lasts as long as the file.
/// Waits up to [`LOCK_WAIT`] for another holder, then fails naming the processes that have
/// the file open (often a background process that inherited a shell's lock descriptor).
pub fn lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let deadline = Instant::now() + LOCK_WAIT;
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
        if !announced {
            eprintln!(
                "lock: waiting (up to {} min) for {} held by: {}",
                LOCK_WAIT.as_secs() / 60,
                path.display(),
                holders(path)
            );
            announced = true;
        }
        if Instant::now() >= deadline {
            bail!(
                "{} is still locked after {} min, held by: {}",
                path.display(),
                LOCK_WAIT.as_secs() / 60,
                holders(path)
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The processes (pid and command line) that have `path` open, from `/proc`.
fn holders(path: &Path) -> String {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for proc_dir in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = proc_dir.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let open = fs::read_dir(proc_dir.path().join("fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| target == path));
        if open {
            let cmdline = fs::read(proc_dir.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("pid {pid} ({})", cmdline.trim()));
        }
    }
    if found.is_empty() {
        "unknown processes".to_owned()
    } else {
        found.join(", ")
    }
}

/// `apt-get` with a non-interactive environment.
pub fn apt_get() -> Command {
    let mut c = Command::new("apt-get");
    // Wait for a concurrent apt/dpkg instead of failing at once.
    c.env("DEBIAN_FRONTEND", "noninteractive")
        .args(["-o", "DPkg::Lock::Timeout=600"]);
    c
}

/// True if the Debian package is installed on the host.
pub fn deb_installed(package: &str) -> bool {
    cmd::read(Command::new("dpkg-query").args(["-W", "-f", "${Status}", package]))
        .is_ok_and(|s| s.contains("install ok installed"))
}

fn first_existing(candidates: &[&str]) -> Result<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| Error::msg(format!("none of {} exists", candidates.join(", "))))
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !cmd::is_executable(path) {
        let mut perm = fs::metadata(path)?.permissions();
        perm.set_mode(perm.mode() | 0o755);
        fs::set_permissions(path, perm).with_context(|| format!("chmod {}", path.display()))?;
    }
    Ok(())
}

/// Prints that `what` is being installed and returns the start time for [`done`].
pub fn announce(what: &str) -> Instant {
    eprintln!("provision: installing {what} ...");
    Instant::now()
}

/// Prints how long installing `what` took.
pub fn done(start: Instant, what: &str) {
    eprintln!("provision: installed {what} in {}", cmd::elapsed(start));
}
