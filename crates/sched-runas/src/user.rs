//! Resolving a uid to a user with its groups, before any fork.

use std::ffi::CString;
use std::path::PathBuf;

use nix::unistd::{Gid, Uid, User, getgrouplist};

/// Why a command cannot be started as a user.
#[derive(Debug, thiserror::Error)]
pub enum RunAsError {
    #[error("user {uid} no longer exists")]
    NoSuchUser { uid: u32 },
    #[error("cannot look up user {uid}: {reason}")]
    Lookup { uid: u32, reason: String },
    #[error("cannot list the groups of {name}: {reason}")]
    Groups { name: String, reason: String },
    #[error("a daemon running as uid {daemon} cannot run jobs of uid {uid}: only root can")]
    NotPermitted { daemon: u32, uid: u32 },
    #[error("{what} contains a NUL byte")]
    Nul { what: &'static str },
    #[error("cannot start: {0}")]
    Start(std::io::Error),
}

/// A user from the password database, with the supplementary groups
/// `initgroups` would give them. Only [`resolve_uid`] builds one, so holding
/// one means the user existed when the job was about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) name: String,
    pub(crate) home: PathBuf,
    pub(crate) shell: PathBuf,
    pub(crate) groups: Vec<u32>,
}

impl ResolvedUser {
    pub fn uid(&self) -> u32 {
        self.uid
    }
    pub fn gid(&self) -> u32 {
        self.gid
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn home(&self) -> &std::path::Path {
        &self.home
    }
    pub fn shell(&self) -> &std::path::Path {
        &self.shell
    }
    /// The supplementary groups, the primary group included.
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }
}

/// The daemon's effective uid.
pub fn current_euid() -> u32 {
    Uid::effective().as_raw()
}

/// The uid of the account named `name`, `None` when there is none.
pub fn uid_of_name(name: &str) -> Result<Option<u32>, RunAsError> {
    User::from_name(name)
        .map(|user| user.map(|user| user.uid.as_raw()))
        .map_err(|e| RunAsError::Lookup {
            uid: u32::MAX,
            reason: format!("{name}: {}", e.desc()),
        })
}

/// Looks `uid` up in the password database (NSS included) and lists its
/// groups. A uid with no entry is [`RunAsError::NoSuchUser`].
pub fn resolve_uid(uid: u32) -> Result<ResolvedUser, RunAsError> {
    let user = User::from_uid(Uid::from_raw(uid))
        .map_err(|e| RunAsError::Lookup {
            uid,
            reason: e.desc().to_owned(),
        })?
        .ok_or(RunAsError::NoSuchUser { uid })?;
    let name = CString::new(user.name.as_bytes()).map_err(|_| RunAsError::Nul {
        what: "the user name",
    })?;
    let groups = getgrouplist(&name, user.gid).map_err(|e| RunAsError::Groups {
        name: user.name.clone(),
        reason: e.desc().to_owned(),
    })?;
    let mut groups: Vec<u32> = groups.into_iter().map(Gid::as_raw).collect();
    groups.sort_unstable();
    groups.dedup();
    Ok(ResolvedUser {
        uid,
        gid: user.gid.as_raw(),
        name: user.name,
        home: user.dir,
        shell: user.shell,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_with_its_primary_group() {
        let root = resolve_uid(0).unwrap();
        assert_eq!(root.name(), "root");
        assert_eq!(root.gid(), 0);
        assert!(root.groups().contains(&0));
    }

    #[test]
    fn a_uid_without_an_entry_is_no_such_user() {
        // 4_000_000_000 is far above any allocated uid range.
        assert!(matches!(
            resolve_uid(4_000_000_000),
            Err(RunAsError::NoSuchUser { uid: 4_000_000_000 })
        ));
    }
}
