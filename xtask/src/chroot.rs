//! A Debian trixie chroot holding the Swift toolchain (Debian's `swiftlang`), and a way to
//! run commands inside it.
//!
//! Debian bookworm has no Swift, and installing trixie's on the host would upgrade libc, so
//! Swift lives in `<cache>/swift-chroot`. Provisioning happens in steps, each recorded by a
//! marker file in `<cache>/swift-chroot.state/` once it completed; a chroot whose first step
//! never completed is half-made and is deleted (after unmounting anything under it) and redone.
//!
//! Commands run with `/proc` mounted and the requested host directories (the repository, and
//! the Cargo target directory when it lives elsewhere) bind-mounted at the same absolute paths,
//! so paths are valid on both sides. Everything is unmounted afterwards, also on failure or
//! panic ([`Mounts`] unmounts on drop); mounts left behind by a killed run are removed before
//! the next use.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::bail;
use crate::cmd::{self, Stream};
use crate::error::{Context, Result};
use crate::provision::{self, Provisioner};

/// Debian release the chroot is made of.
pub const SUITE: &str = "trixie";
/// Debian mirror for debootstrap.
pub const MIRROR: &str = "http://deb.debian.org/debian";
/// Packages installed inside the chroot. `ca-certificates`: the Rust library builds its TLS
/// configuration from the system trust store when a client is created, and fails without one.
pub const PACKAGES: &[&str] = &["swiftlang", "libc6-dev", "libstdc++-14-dev", "ca-certificates"];
/// `PATH` inside the chroot.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A provisioned chroot with Swift.
#[derive(Debug, Clone)]
pub struct Chroot {
    root: PathBuf,
    lock: PathBuf,
}

/// A command to run inside the chroot.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Program and arguments (looked up on the chroot's `PATH`).
    pub argv: Vec<String>,
    /// Working directory (a path that exists inside the chroot, e.g. under a bind mount).
    pub cwd: PathBuf,
    /// Extra environment variables (the environment is otherwise minimal).
    pub env: Vec<(String, String)>,
    /// Host directories to bind-mount at the same path inside the chroot.
    pub binds: Vec<PathBuf>,
    /// Time limit ([`cmd::timed`]), if any.
    pub timeout: Option<Duration>,
}

impl Chroot {
    /// Creates the chroot if needed (idempotent), checks that `swift --version` runs in it, and
    /// returns it.
    pub fn provision(prov: &mut Provisioner) -> Result<Chroot> {
        let chroot = Chroot {
            root: prov.cache().join("swift-chroot"),
            lock: prov.cache().join("locks").join("swift-chroot.lock"),
        };
        let state = prov.cache().join("swift-chroot.state");
        let _lock = provision::lock_file(&chroot.lock)?;
        unmount_under(&chroot.root)?;

        let step_bootstrap = Marker::new(&state, "debootstrap", &format!("{SUITE} {MIRROR} minbase"));
        let step_packages = Marker::new(&state, "packages", &PACKAGES.join(" "));

        for attempt in 0..2 {
            if chroot.root.exists() && !step_bootstrap.is_done() {
                eprintln!(
                    "provision: {} is half-made (debootstrap never completed): deleting it",
                    chroot.root.display()
                );
                chroot.destroy(&state)?;
            }
            if !step_bootstrap.is_done() {
                prov.apt_install("the Swift chroot", &["debootstrap"])?;
                let start = provision::announce(&format!("a Debian {SUITE} chroot (debootstrap, ~20 s)"));
                fs::create_dir_all(&chroot.root)?;
                let debootstrap = cmd::which("debootstrap").unwrap_or_else(|| "/usr/sbin/debootstrap".into());
                let result = cmd::run(
                    Command::new(debootstrap)
                        .arg("--variant=minbase")
                        .arg(SUITE)
                        .arg(&chroot.root)
                        .arg(MIRROR),
                );
                if let Err(e) = result {
                    let _ = unmount_under(&chroot.root);
                    let _ = chroot.destroy(&state);
                    return Err(e).context("debootstrap failed (the half-made chroot was deleted)");
                }
                step_bootstrap.mark()?;
                provision::done(start, &format!("Debian {SUITE} chroot"));
            }
            if !step_packages.is_done() {
                let start = provision::announce(&format!(
                    "{} in the chroot (~40 s, 535 MB download)",
                    PACKAGES.join(" ")
                ));
                // Name resolution inside the chroot uses the host's resolver configuration.
                let resolv = chroot.root.join("etc/resolv.conf");
                let _ = fs::remove_file(&resolv);
                fs::copy("/etc/resolv.conf", &resolv).context("copying /etc/resolv.conf into the chroot")?;
                let script = format!(
                    "dpkg --configure -a && apt-get update -q && \
                     apt-get install -y -q --no-install-recommends {} && apt-get clean",
                    PACKAGES.join(" ")
                );
                let status = chroot.run_locked(
                    &Invocation {
                        argv: vec!["sh".into(), "-c".into(), script],
                        cwd: "/".into(),
                        env: vec![("DEBIAN_FRONTEND".into(), "noninteractive".into())],
                        binds: vec![],
                        timeout: Some(Duration::from_secs(1800)),
                    },
                    |_, _| {},
                )?;
                if !status.success() {
                    bail!(
                        "installing {} in the chroot failed ({status}); it is retried on the next run",
                        PACKAGES.join(" ")
                    );
                }
                step_packages.mark()?;
                provision::done(start, &PACKAGES.join(" "));
            }
            match chroot.swift_version() {
                Ok(version) => {
                    eprintln!("provision: swift in {}: {version}", chroot.root.display());
                    return Ok(chroot);
                }
                Err(e) if attempt == 0 => {
                    eprintln!("provision: the chroot is broken ({e}); rebuilding it");
                    chroot.destroy(&state)?;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    fn swift_version(&self) -> Result<String> {
        let mut out = String::new();
        let status = self.run_locked(
            &Invocation {
                argv: vec!["swift".into(), "--version".into()],
                cwd: "/".into(),
                timeout: Some(Duration::from_secs(120)),
                ..Default::default()
            },
            |_, line| {
                if out.is_empty() {
                    out = line.to_owned();
                }
            },
        )?;
        if !status.success() {
            bail!("`swift --version` failed inside the chroot ({status})");
        }
        Ok(out)
    }

    /// Runs a command inside the chroot, streaming its output (echoed, and handed to
    /// `on_line`). Takes the chroot's lock for the duration, so concurrent runs queue.
    pub fn run(&self, inv: &Invocation, on_line: impl FnMut(Stream, &str)) -> Result<ExitStatus> {
        let _lock = provision::lock_file(&self.lock)?;
        unmount_under(&self.root)?;
        self.run_locked(inv, on_line)
    }

    fn run_locked(&self, inv: &Invocation, on_line: impl FnMut(Stream, &str)) -> Result<ExitStatus> {
        let mut mounts = Mounts::default();
        mounts.mount_proc(&self.root)?;
        for dir in &inv.binds {
            mounts.bind(dir, &self.root)?;
        }
        let chroot = cmd::which("chroot").unwrap_or_else(|| "/usr/sbin/chroot".into());
        let mut c = match inv.timeout {
            Some(limit) => cmd::timed(limit, chroot, true),
            None => Command::new(chroot),
        };
        c.arg(&self.root)
            .args(["/usr/bin/env", "-i", "HOME=/root", "LANG=C.UTF-8", "TERM=dumb"])
            .arg(format!("PATH={PATH}"));
        for (k, v) in &inv.env {
            c.arg(format!("{k}={v}"));
        }
        // `cd` first, then exec the program with its arguments untouched.
        c.args(["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh"])
            .arg(&inv.cwd)
            .args(&inv.argv);
        let status = cmd::stream(&mut c, on_line);
        drop(mounts); // unmount before returning, whatever happened
        status
    }

    /// Unmounts everything under the chroot, then deletes it and its step markers.
    fn destroy(&self, state: &Path) -> Result<()> {
        unmount_under(&self.root)?;
        let left = mounts_under(&self.root)?;
        if !left.is_empty() {
            bail!("refusing to delete {}: still mounted: {:?}", self.root.display(), left);
        }
        if self.root.exists() {
            cmd::run(Command::new("rm").arg("-rf").arg("--one-file-system").arg(&self.root))?;
        }
        let _ = fs::remove_dir_all(state);
        Ok(())
    }
}

/// A completed provisioning step, recorded as a file whose content describes the step's
/// configuration (a changed configuration means the step must be redone).
struct Marker {
    path: PathBuf,
    content: String,
}

impl Marker {
    fn new(state: &Path, step: &str, config: &str) -> Self {
        Marker {
            path: state.join(format!("{step}.done")),
            content: format!("{config}\n"),
        }
    }

    fn is_done(&self) -> bool {
        fs::read_to_string(&self.path).is_ok_and(|c| c == self.content)
    }

    fn mark(&self) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&self.path, &self.content).with_context(|| format!("writing {}", self.path.display()))
    }
}

/// Mount points created by this process; unmounted in reverse order when dropped.
#[derive(Default)]
pub struct Mounts {
    points: Vec<PathBuf>,
}

impl Mounts {
    /// Mounts a fresh `proc` at `<root>/proc`.
    pub fn mount_proc(&mut self, root: &Path) -> Result<()> {
        let target = root.join("proc");
        fs::create_dir_all(&target)?;
        self.mount(Command::new("mount").args(["-t", "proc", "proc"]).arg(&target), target)
    }

    /// Bind-mounts host directory `dir` at the same absolute path under `root`.
    pub fn bind(&mut self, dir: &Path, root: &Path) -> Result<()> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.display()))?;
        let target = root.join(dir.strip_prefix("/").unwrap_or(&dir));
        fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
        self.mount(Command::new("mount").arg("--bind").arg(&dir).arg(&target), target)
    }

    fn mount(&mut self, cmd: &mut Command, target: PathBuf) -> Result<()> {
        cmd::read(cmd).context("mount failed (root and CAP_SYS_ADMIN are needed)")?;
        self.points.push(target);
        Ok(())
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        while let Some(point) = self.points.pop() {
            if let Err(e) = unmount(&point) {
                eprintln!("warning: {e}");
            }
        }
    }
}

fn unmount(point: &Path) -> Result<()> {
    if cmd::succeeds(Command::new("umount").arg(point)) {
        return Ok(());
    }
    // Busy (a straggling process): detach it lazily, which removes it from the tree at once.
    cmd::read(Command::new("umount").arg("-l").arg(point))
        .with_context(|| format!("cannot unmount {}", point.display()))
        .map(drop)
}

/// Unmounts every mount point at or below `root` (deepest first), e.g. left by a killed run.
pub fn unmount_under(root: &Path) -> Result<()> {
    for point in mounts_under(root)? {
        eprintln!("chroot: unmounting stale {}", point.display());
        unmount(&point)?;
    }
    Ok(())
}

/// Mount points at or below `root`, deepest first.
fn mounts_under(root: &Path) -> Result<Vec<PathBuf>> {
    let info = fs::read_to_string("/proc/self/mountinfo").context("reading /proc/self/mountinfo")?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut points: Vec<PathBuf> = parse_mountinfo(&info)
        .into_iter()
        .filter(|p| p.starts_with(&root))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    Ok(points)
}

/// Mount points listed in `/proc/self/mountinfo` (field 5, octal escapes decoded).
fn parse_mountinfo(info: &str) -> Vec<PathBuf> {
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_octal(p)))
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mount_points() {
        let info = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n\
                    30 22 254:0 /work/main /c/swift-chroot/work/my\\040repo rw - ext4 /dev/vda rw\n";
        assert_eq!(
            parse_mountinfo(info),
            vec![PathBuf::from("/proc"), PathBuf::from("/c/swift-chroot/work/my repo")]
        );
    }
}
