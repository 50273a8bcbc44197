//! Other cron daemons on this host. A root schedd that loaded /etc/crontab
//! and /etc/cron.d beside a running cron, cronie or fcron would run every
//! system job twice; the daemon looks for one first (by the pidfiles those
//! daemons write, then by process name) and, when one runs, leaves the
//! system crontabs to it unless told otherwise (`--system-crontabs`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The process names of the cron daemons schedd would double.
const NAMES: &[&str] = &["cron", "crond", "cronie", "fcron"];

/// The pidfiles they write, relative to the root searched.
const PIDFILES: &[&str] = &[
    "run/crond.pid",
    "run/cron.pid",
    "run/fcron.pid",
    "var/run/crond.pid",
    "var/run/cron.pid",
    "var/run/fcron.pid",
];

/// A cron daemon found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCron {
    pub name: String,
    pub pid: u32,
    /// How it was found: its pidfile, or the process table.
    pub found_by: PathBuf,
}

impl fmt::Display for OtherCron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (pid {}, found by {})",
            self.name,
            self.pid,
            self.found_by.display()
        )
    }
}

/// The first cron daemon running under `root` (`/` on a host; tests give
/// a directory of their own): a live process named in one of the
/// pidfiles, else any process with one of the names. Only processes and
/// pidfiles of `trusted` (root) count: any user can name a process
/// `cron`, and must not be able to switch off the system crontabs with
/// one. schedd itself is never one.
pub fn find(root: &Path, trusted: u32) -> Option<OtherCron> {
    use std::os::unix::fs::MetadataExt;
    let own = std::process::id();
    let name_of = |pid: u32| -> Option<String> {
        let process = root.join(format!("proc/{pid}"));
        if std::fs::metadata(&process).ok()?.uid() != trusted {
            return None;
        }
        let comm = std::fs::read_to_string(process.join("comm")).ok()?;
        let name = comm.trim_end_matches('\n').to_owned();
        (pid != own && NAMES.contains(&name.as_str())).then_some(name)
    };
    for pidfile in PIDFILES {
        let path = root.join(pidfile);
        let trusted_file = std::fs::symlink_metadata(&path)
            .is_ok_and(|meta| meta.is_file() && meta.uid() == trusted && meta.mode() & 0o022 == 0);
        if !trusted_file {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Ok(pid) = text.trim().parse::<u32>()
            && let Some(name) = name_of(pid)
        {
            return Some(OtherCron {
                name,
                pid,
                found_by: path,
            });
        }
    }
    let proc = root.join("proc");
    let mut pids: Vec<u32> = std::fs::read_dir(&proc)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids.into_iter().find_map(|pid| {
        name_of(pid).map(|name| OtherCron {
            name,
            pid,
            found_by: proc.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(root: &Path, pid: u32, name: &str) {
        let dir = root.join(format!("proc/{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("comm"), format!("{name}\n")).unwrap();
    }

    fn me() -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    fn find(root: &Path) -> Option<OtherCron> {
        super::find(root, me())
    }

    #[test]
    fn a_cron_is_found_by_its_pidfile_or_by_its_name_and_nothing_else_counts() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir_all(root.join("proc")).unwrap();
        process(root, 10, "bash");
        process(root, 11, "crontab");
        process(root, 12, "schedd");
        assert_eq!(find(root), None, "crontab(1) and others are not daemons");
        process(root, 40, "fcron");
        assert_eq!(
            find(root),
            Some(OtherCron {
                name: "fcron".to_owned(),
                pid: 40,
                found_by: root.join("proc"),
            })
        );
        // A pidfile naming a live cron wins; a stale one is ignored.
        std::fs::create_dir_all(root.join("var/run")).unwrap();
        std::fs::write(root.join("var/run/crond.pid"), "99\n").unwrap();
        assert_eq!(find(root).unwrap().pid, 40, "pid 99 is not running");
        process(root, 30, "crond");
        std::fs::write(root.join("var/run/crond.pid"), "30\n").unwrap();
        let found = find(root).unwrap();
        assert_eq!((found.name.as_str(), found.pid), ("crond", 30));
        assert_eq!(found.found_by, root.join("var/run/crond.pid"));
    }

    #[test]
    fn a_process_or_pidfile_of_another_user_does_not_count() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        process(root, 50, "cron");
        assert!(
            super::find(root, me() + 1).is_none(),
            "not the trusted uid's"
        );
        assert!(find(root).is_some());
        // A pidfile others may write names nothing.
        std::fs::create_dir_all(root.join("run")).unwrap();
        std::fs::write(root.join("run/crond.pid"), "50\n").unwrap();
        std::fs::set_permissions(
            root.join("run/crond.pid"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        assert_eq!(find(root).unwrap().found_by, root.join("proc"));
    }

    #[test]
    fn without_a_process_table_nothing_is_found() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(find(root.path()), None);
    }
}
