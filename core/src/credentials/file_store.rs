//! A credential store in one file, for command-line tools and backends.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::store::{CredentialStore, CredentialStoreError};

/// Largest record read back; a token record is a few kilobytes.
const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// Keeps the record in one file that only its owner can read (mode `0600` on Unix).
///
/// Saving writes a fresh temporary file next to it and renames it over the old one, so a
/// crash leaves the old record or the new one, never half of one. A symbolic link at `path`
/// is neither followed when reading nor written through: it is refused, or replaced.
/// Missing parent directories are created (mode `0700` on Unix).
#[derive(Debug, Clone)]
pub struct FileCredentialStore {
    path: PathBuf,
}

impl FileCredentialStore {
    /// A store at `path` (for example `~/.config/my-tool/credentials.json`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileCredentialStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, action: &str, e: &io::Error) -> CredentialStoreError {
        CredentialStoreError::new(format!("could not {action} {}: {e}", self.path.display()))
    }

    fn directory(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// Writes `record` to a new file in the same directory and returns its path.
    fn write_temporary(&self, record: &str) -> io::Result<PathBuf> {
        let mut suffix = [0u8; 8];
        SystemRandom::new()
            .fill(&mut suffix)
            .map_err(|_| io::Error::other("the system random generator failed"))?;
        let name = self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let temporary = self.directory().join(format!(".{name}.{hex}.tmp"));
        let mut options = OpenOptions::new();
        // create_new (O_EXCL) never follows a symbolic link planted at that name.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        let written = file.write_all(record.as_bytes()).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            return Err(e);
        }
        Ok(temporary)
    }
}

impl CredentialStore for FileCredentialStore {
    fn load(&self) -> Result<Option<String>, CredentialStoreError> {
        let mut file = match open_no_follow(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error("open", &e)),
        };
        let metadata = file.metadata().map_err(|e| self.error("read", &e))?;
        if !metadata.is_file() {
            return Err(CredentialStoreError::new(format!(
                "{} is not a regular file",
                self.path.display()
            )));
        }
        let mut bytes = Zeroizing::new(Vec::new());
        (&mut file)
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.error("read", &e))?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(CredentialStoreError::new(format!(
                "{} is larger than {MAX_RECORD_BYTES} bytes",
                self.path.display()
            )));
        }
        match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(text) => Ok(Some(text)),
            Err(e) => {
                // Wipe the bytes the failed conversion handed back.
                drop(Zeroizing::new(e.into_bytes()));
                Err(CredentialStoreError::new(format!(
                    "{} is not UTF-8",
                    self.path.display()
                )))
            }
        }
    }

    fn save(&self, record: &str) -> Result<(), CredentialStoreError> {
        let directory = self.directory();
        if !directory.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(directory)
                .map_err(|e| self.error("create the directory of", &e))?;
        }
        let temporary = self.write_temporary(record).map_err(|e| self.error("write", &e))?;
        // rename replaces `path` itself, even when it is a symbolic link: never its target.
        if let Err(e) = fs::rename(&temporary, &self.path) {
            let _ = fs::remove_file(&temporary);
            return Err(self.error("replace", &e));
        }
        // Make the rename itself durable.
        #[cfg(unix)]
        if let Ok(dir) = File::open(directory) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), CredentialStoreError> {
        // remove_file removes a symbolic link, not its target.
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error("remove", &e)),
        }
    }
}

/// Opens for reading without following a symbolic link at `path`, and without blocking on a
/// FIFO planted there.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => io::Error::other("it is a symbolic link, which is not followed"),
            _ => e,
        })
}

/// Elsewhere the link is checked first (a race with a concurrent swap remains).
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("is a symbolic link"));
    }
    File::open(path)
}
