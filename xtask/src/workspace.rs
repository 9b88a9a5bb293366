//! Where things are: the workspace root, Cargo's target directory (honouring
//! `CARGO_TARGET_DIR` and Cargo configuration) and the provisioning cache.

use std::collections::BTreeMap;
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd;
use crate::error::{Context, Error, Result};

/// Environment variable that relocates the provisioning cache.
pub const CACHE_ENV: &str = "TOKEN_EXCHANGE_CACHE";

/// Facts about the Cargo workspace, as reported by `cargo metadata`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Absolute path of the workspace root (the directory holding the root `Cargo.toml`).
    pub root: PathBuf,
    /// Cargo's target directory: `CARGO_TARGET_DIR`, `build.target-dir`, or `<root>/target`.
    pub target_dir: PathBuf,
    /// Names of the workspace member packages.
    pub packages: Vec<String>,
    /// Each member package's version, by name.
    pub versions: BTreeMap<String, String>,
}

impl Workspace {
    /// Asks `cargo metadata` (which only parses manifests, it compiles nothing) where the
    /// workspace and its target directory are.
    pub fn load() -> Result<Self> {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fallback_root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        let json = cmd::read(
            Command::new(cargo())
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .current_dir(&fallback_root),
        )
        .context("cannot read the workspace layout")?;
        Self::from_metadata(&json)
    }

    fn from_metadata(json: &str) -> Result<Self> {
        let v: serde_json::Value = serde_json::from_str(json).context("cargo metadata printed invalid JSON")?;
        let path = |key: &str| -> Result<PathBuf> {
            v[key]
                .as_str()
                .map(PathBuf::from)
                .ok_or_else(|| Error::msg(format!("cargo metadata has no `{key}`")))
        };
        let members = v["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
        let packages = members
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        let versions = members
            .iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["version"].as_str()?.to_owned())))
            .collect();
        Ok(Workspace {
            root: path("workspace_root")?,
            target_dir: path("target_directory")?,
            packages,
            versions,
        })
    }

    /// True if a package of that name is a workspace member.
    pub fn has_package(&self, name: &str) -> bool {
        self.packages.iter().any(|p| p == name)
    }

    /// Directory of the `dev` profile's outputs (`<target>/debug`).
    pub fn debug_dir(&self) -> PathBuf {
        self.target_dir.join("debug")
    }

    /// Scratch space for xtask's own build products (`<target>/xtask`).
    pub fn scratch_dir(&self, what: &str) -> PathBuf {
        self.target_dir.join("xtask").join(what)
    }

    /// True if the target directory lies outside the workspace (so it must be bind-mounted
    /// separately into a chroot).
    pub fn target_outside_root(&self) -> bool {
        !self.target_dir.starts_with(&self.root)
    }
}

/// The cargo executable that launched us (`$CARGO`), or `cargo` from `PATH`.
pub fn cargo() -> PathBuf {
    env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// The provisioning cache: `$TOKEN_EXCHANGE_CACHE`, else `$HOME/.cache/token-exchange`.
pub fn cache_dir() -> PathBuf {
    match env::var_os(CACHE_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cache").join("token-exchange")
        }
    }
}

/// True when running in CI (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metadata() {
        let ws = Workspace::from_metadata(
            r#"{"packages":[{"name":"xtask","version":"0.1.0"},{"name":"token-exchange","version":"0.1.0"}],
                "workspace_root":"/w","target_directory":"/cache/target"}"#,
        )
        .unwrap();
        assert_eq!(ws.root, PathBuf::from("/w"));
        assert_eq!(ws.target_dir, PathBuf::from("/cache/target"));
        assert!(ws.has_package("token-exchange"));
        assert!(!ws.has_package("uniffi-bindgen"));
        assert!(ws.target_outside_root());
        assert_eq!(ws.versions["token-exchange"], "0.1.0");
    }
}
