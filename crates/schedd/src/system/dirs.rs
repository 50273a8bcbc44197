//! The daemon's directories: created with a tight mode when missing, and
//! refused when they belong to someone else or are open to others, before
//! anything is put in them.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::Path;

use anyhow::{Context as _, bail};

/// Who may own a directory and which mode bits it must not have.
#[derive(Debug, Clone, Copy)]
pub struct DirPolicy {
    /// The mode a missing directory is created with.
    pub create_mode: u32,
    /// A directory owned by root is also accepted (a socket directory such
    /// as /tmp or /run/user).
    pub root_may_own: bool,
    /// Bits that must be clear; a sticky directory (/tmp) is exempt from
    /// the write bits, since others cannot remove what is not theirs.
    pub forbidden: u32,
    /// How to fix a directory with forbidden bits.
    pub fix: &'static str,
}

/// The spool: private to the daemon's user.
pub const PRIVATE: DirPolicy = DirPolicy {
    create_mode: 0o700,
    root_may_own: false,
    forbidden: 0o077,
    fix: "chmod 700 it",
};

/// A socket directory: no one else may write in it.
pub fn socket_dir(public: bool) -> DirPolicy {
    DirPolicy {
        create_mode: if public { 0o755 } else { 0o700 },
        root_may_own: true,
        forbidden: 0o022,
        fix: "make it 0755 or 0700",
    }
}

/// Creates `dir` if missing, then checks it against `policy`.
pub fn ensure(dir: &Path, policy: DirPolicy) -> anyhow::Result<()> {
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(policy.create_mode)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let meta = std::fs::symlink_metadata(dir)
        .with_context(|| format!("cannot inspect {}", dir.display()))?;
    let euid = sched_runas::current_euid();
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    if meta.uid() != euid && !(policy.root_may_own && meta.uid() == 0) {
        bail!(
            "{} belongs to uid {}, not to this daemon's uid {euid}: refusing to use it",
            dir.display(),
            meta.uid()
        );
    }
    let sticky = meta.mode() & 0o1000 != 0;
    let forbidden = if sticky {
        policy.forbidden & !0o022
    } else {
        policy.forbidden
    };
    if meta.mode() & forbidden != 0 {
        bail!(
            "{} is open to other users (mode {:o}): {}",
            dir.display(),
            meta.mode() & 0o777,
            policy.fix
        );
    }
    Ok(())
}
