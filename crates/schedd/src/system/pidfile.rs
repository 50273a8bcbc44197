//! The pidfile of a daemon started with `--daemon`: the daemon's pid,
//! held with an exclusive lock (flock) for the daemon's whole life, so
//! that a second `schedd --daemon` is refused with the running one's pid,
//! and a pidfile left by a daemon that died (no lock) is simply taken over.

use crate::error::DaemonError;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A locked pidfile; the lock goes with the value (and with the process).
#[derive(Debug)]
pub struct Pidfile {
    _file: File,
    pub path: PathBuf,
}

impl Pidfile {
    /// Locks `path` (created 0644 if missing) and writes this process's
    /// pid into it.
    pub fn lock(path: &Path) -> Result<Pidfile, DaemonError> {
        Self::lock_checked(path).map_err(|error| {
            if error.is::<AlreadyRunning>() {
                DaemonError::Taken(error)
            } else {
                DaemonError::Files(error)
            }
        })
    }

    fn lock_checked(path: &Path) -> anyhow::Result<Pidfile> {
        // A user's runtime directory for schedd may not exist yet (the
        // daemon would make it for its socket a moment later): made
        // private, as the socket's directory must be.
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.exists()
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
        // The directory must be the daemon user's or root's, and open to
        // no one else unless sticky (/tmp): another user's directory could
        // hold a planted file.
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(dir)
                .map_err(|e| anyhow::anyhow!("cannot inspect {}: {e}", dir.display()))?;
            let euid = nix::unistd::geteuid().as_raw();
            if meta.uid() != euid && meta.uid() != 0 {
                anyhow::bail!(
                    "{} belongs to uid {}, not to this daemon's user: refused for the pidfile",
                    dir.display(),
                    meta.uid()
                );
            }
            if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
                anyhow::bail!(
                    "{} is writable by others (mode {:04o}): refused for the pidfile",
                    dir.display(),
                    meta.mode() & 0o7777
                );
            }
        }
        // A stopping daemon unlinks its pidfile while still holding the
        // lock: a lock won on a file that is no longer at the path is no
        // lock at all, so open again.
        let mut file = loop {
            let file = open_and_lock(path)?;
            use std::os::unix::fs::MetadataExt;
            let held = file.metadata()?;
            match std::fs::symlink_metadata(path) {
                Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => break file,
                _ => continue,
            }
        };
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(Pidfile {
            _file: file,
            path: path.to_owned(),
        })
    }
}

impl Drop for Pidfile {
    /// A daemon that stops removes its pidfile (still holding the lock, so
    /// it removes its own, not a successor's).
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Opens `path` (created 0644, never through a symbolic link) and takes
/// its lock, or says which daemon holds it.
fn open_and_lock(path: &Path) -> anyhow::Result<File> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc_o_nofollow())
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the pidfile {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let pid = text.trim();
            let pid = if pid.is_empty() { "unknown" } else { pid };
            Err(AlreadyRunning {
                pid: pid.to_owned(),
                path: path.to_owned(),
            }
            .into())
        }
        Err(TryLockError::Error(error)) => {
            anyhow::bail!("cannot lock the pidfile {}: {error}", path.display())
        }
    }
}

/// Another daemon holds the pidfile's lock.
#[derive(Debug, thiserror::Error)]
#[error("schedd is already running (pid {pid}, pidfile {})", path.display())]
struct AlreadyRunning {
    pid: String,
    path: std::path::PathBuf,
}

/// O_NOFOLLOW: a pidfile path that is a symbolic link (planted in a
/// shared directory) is refused rather than followed.
fn libc_o_nofollow() -> i32 {
    nix::fcntl::OFlag::O_NOFOLLOW.bits()
}
