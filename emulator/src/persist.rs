//! The state file (`--state FILE`, [`crate::EmulatorConfig::state_file`]): clients, APIs,
//! client grants, token exchange profiles and users, written after every Management API
//! change (and Custom Token Exchange sign-up, and at shutdown) and loaded at start, so what
//! was set up survives a restart.
//!
//! Writes are atomic and private: a temporary file is freshly created next to the state file
//! (`O_EXCL` with a random name, so no existing file or symlink is ever opened), readable only
//! by the owner (`0600`: the file holds client secrets), written, flushed to disk (`fsync`) and
//! renamed over the state file (replacing a symlink there, never following it).
//!
//! A Management API change is applied to a copy of the registry, saved, and only then made
//! visible ([`update_registry`]): when the save fails the tenant is unchanged, so a retry does
//! not create a duplicate. At start, objects in the state file replace configured objects with
//! the same id (client id, API identifier, profile id, user id).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{ApiConfig, ClientConfig, ClientGrantConfig, TokenExchangeProfileConfig, UserConfig};
use crate::errors::EmulatorError;

use crate::tenant::{Registry, Tenant};

/// Format version of the state file.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    #[serde(default)]
    clients: Vec<ClientConfig>,
    #[serde(default)]
    apis: Vec<ApiConfig>,
    #[serde(default)]
    client_grants: Vec<ClientGrantConfig>,
    #[serde(default)]
    token_exchange_profiles: Vec<TokenExchangeProfileConfig>,
    #[serde(default)]
    users: Vec<UserConfig>,
}

/// Loads the state file into the tenant, if one is configured and exists.
pub(crate) fn load(tenant: &Tenant) -> Result<(), EmulatorError> {
    let Some(path) = &tenant.config.state_file else {
        return Ok(());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(EmulatorError::InvalidConfig(format!(
                "cannot read the state file {}: {e}",
                path.display()
            )));
        }
    };
    let state: StateFile = serde_json::from_str(&text)
        .map_err(|e| EmulatorError::InvalidConfig(format!("the state file {} is not valid: {e}", path.display())))?;
    if state.version != VERSION {
        return Err(EmulatorError::InvalidConfig(format!(
            "the state file {} has version {}, this emulator reads version {VERSION}",
            path.display(),
            state.version
        )));
    }
    {
        let mut registry = tenant.registry_mut();
        for client in state.clients {
            registry.clients.retain(|c| c.client_id != client.client_id);
            registry.clients.push(Arc::new(client));
        }
        for api in state.apis {
            registry.apis.retain(|a| a.identifier != api.identifier);
            registry.apis.push(Arc::new(api));
        }
        for grant in state.client_grants {
            registry
                .client_grants
                .retain(|g| !(g.client_id == grant.client_id && g.audience == grant.audience));
            registry.client_grants.push(grant);
        }
        for profile in state.token_exchange_profiles {
            registry
                .profiles
                .retain(|p| p.id != profile.id && p.subject_token_type != profile.subject_token_type);
            registry.profiles.push(profile);
        }
    }
    let mut store = tenant.store();
    for user in state.users {
        store.users.insert(user.user_id.clone(), user);
    }
    Ok(())
}

/// Writes the tenant to the state file, if one is configured.
pub(crate) fn save(tenant: &Tenant) -> std::io::Result<()> {
    let _guard = tenant.writer();
    // Snapshot under the writer lock: the last writer writes the newest state.
    let registry = tenant.registry().clone();
    write(tenant, &registry)
}

/// Applies `change` to a copy of the registry, saves it, then makes it the tenant's. An error
/// of `change`, or a failed save (`save_failed`), leaves the tenant as it was. Changes are
/// serialised, so `change` may check and insert without a race.
pub(crate) fn update_registry<T, E>(
    tenant: &Tenant,
    change: impl FnOnce(&mut Registry) -> Result<T, E>,
    save_failed: impl FnOnce(std::io::Error) -> E,
) -> Result<T, E> {
    let _guard = tenant.writer();
    let mut next = tenant.registry().clone();
    let out = change(&mut next)?;
    write(tenant, &next).map_err(save_failed)?;
    *tenant.registry_mut() = next;
    Ok(out)
}

/// Writes `registry` and the users to the state file, if one is configured.
fn write(tenant: &Tenant, registry: &Registry) -> std::io::Result<()> {
    let Some(path) = &tenant.config.state_file else {
        return Ok(());
    };
    let mut users: Vec<UserConfig> = tenant.store().users.values().cloned().collect();
    users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    let state = StateFile {
        version: VERSION,
        clients: registry.clients.iter().map(|c| ClientConfig::clone(c)).collect(),
        apis: registry.apis.iter().map(|a| ApiConfig::clone(a)).collect(),
        client_grants: registry.client_grants.clone(),
        token_exchange_profiles: registry.profiles.clone(),
        users,
    };
    let json = serde_json::to_vec_pretty(&state).map_err(std::io::Error::other)?;
    write_atomically(path, &json)
}

/// Opens a file that did not exist (`O_EXCL`: an existing file or symlink is an error, never
/// followed), readable and writable by the owner only.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes `bytes` to a fresh private temporary file next to `path`, syncs it and renames it
/// over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the state file path has no file name"))?;
    // A random name: nobody can plant a file or symlink there in advance.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        crate::util::random_token(12)
    ));
    let mut file = create_private(&tmp)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable (directories can be opened and synced on Unix).
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("emu-persist-{}", crate::util::random_token(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write_atomically(&dir.join("missing/state.json"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_private_and_symlinks_are_replaced_not_followed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("emu-persist-{}", crate::util::random_token(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let victim = dir.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        // A planted symlink at the state file, and at the temporary name older versions used.
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let old_tmp = dir.join(format!(".state.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &old_tmp).unwrap();
        write_atomically(&path, b"secrets").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "no symlink was followed");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "the link itself was replaced");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"secrets");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
