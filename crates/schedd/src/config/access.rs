//! Who may use at and crontab: the allow and deny lists of at(1) and
//! crontab(1) (/etc/at.allow, /etc/at.deny, /etc/cron.allow,
//! /etc/cron.deny).
//!
//! The rule is the same for both: root is always allowed; if the allow
//! file exists, only the users it names are; otherwise, if the deny file
//! exists, everyone but the users it names is; when neither exists, at(1)
//! allows only root and Debian's crontab(1) allows everyone. The files are
//! read at each request, as at and crontab read them at each run, so an
//! edit takes effect at once. A list that exists but cannot be read denies
//! (failing closed), with the reason.
//!
//! The lists apply to a daemon run by root; a daemon run by a user serves
//! only that user, who is never turned away from their own daemon.

use std::io::ErrorKind;
use std::path::PathBuf;

/// The two lists of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    pub allow: PathBuf,
    pub deny: PathBuf,
    /// Whether users other than root are allowed when neither file exists.
    pub others_without_lists: bool,
}

/// The lists of at and of crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub at: Lists,
    pub cron: Lists,
}

/// Why a user may not use a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

impl Lists {
    /// Whether `name` (uid `uid`) may use the command. Blocking: reads files.
    pub fn check(&self, uid: u32, name: &str) -> Result<(), Denied> {
        if uid == 0 {
            return Ok(());
        }
        match listed(&self.allow, name) {
            Ok(Some(true)) => return Ok(()),
            Ok(Some(false)) => {
                return Err(Denied(format!("{name} is not in {}", self.allow.display())));
            }
            Ok(None) => {}
            Err(reason) => return Err(Denied(reason)),
        }
        match listed(&self.deny, name) {
            Ok(Some(true)) => Err(Denied(format!("{name} is in {}", self.deny.display()))),
            Ok(Some(false)) => Ok(()),
            Ok(None) if self.others_without_lists => Ok(()),
            Ok(None) => Err(Denied(format!(
                "neither {} nor {} exists, and then only root may use it",
                self.allow.display(),
                self.deny.display()
            ))),
            Err(reason) => Err(Denied(reason)),
        }
    }
}

/// Whether `file` names `name` on a line of its own (blanks around it and
/// `#` comment lines ignored); `None` when the file does not exist.
fn listed(file: &std::path::Path, name: &str) -> Result<Option<bool>, String> {
    match std::fs::read(file) {
        Ok(bytes) => Ok(Some(
            bytes
                .split(|&b| b == b'\n')
                .map(|line| line.trim_ascii())
                .any(|line| !line.starts_with(b"#") && line == name.as_bytes()),
        )),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!(
            "{} cannot be read ({error}), so no one but root is allowed",
            file.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(dir: &std::path::Path, others: bool) -> Lists {
        Lists {
            allow: dir.join("x.allow"),
            deny: dir.join("x.deny"),
            others_without_lists: others,
        }
    }

    #[test]
    fn the_allow_file_decides_then_the_deny_file_then_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        let (at, cron) = (lists(path, false), lists(path, true));
        // Neither file.
        assert!(at.check(1000, "alice").is_err());
        assert_eq!(cron.check(1000, "alice"), Ok(()));
        assert_eq!(at.check(0, "root"), Ok(()));
        // A deny file: everyone but those named.
        std::fs::write(path.join("x.deny"), "# system users\nbob\n  carol \n").unwrap();
        assert_eq!(at.check(1000, "alice"), Ok(()));
        assert_eq!(
            at.check(1001, "bob"),
            Err(Denied(format!(
                "bob is in {}",
                path.join("x.deny").display()
            )))
        );
        assert!(at.check(1002, "carol").is_err());
        assert!(at.check(1003, "#").is_ok(), "a comment names no one");
        // An allow file: only those named, whatever the deny file says.
        std::fs::write(path.join("x.allow"), "bob\n").unwrap();
        assert_eq!(at.check(1001, "bob"), Ok(()));
        assert_eq!(
            cron.check(1000, "alice"),
            Err(Denied(format!(
                "alice is not in {}",
                path.join("x.allow").display()
            )))
        );
        assert!(cron.check(1000, "bo").is_err(), "whole names only");
        assert_eq!(cron.check(0, "root"), Ok(()), "root always");
        // An empty allow file allows no one but root.
        std::fs::write(path.join("x.allow"), "").unwrap();
        assert!(cron.check(1001, "bob").is_err());
    }

    #[test]
    fn a_list_that_cannot_be_read_denies() {
        let dir = tempfile::tempdir().unwrap();
        let lists = lists(dir.path(), true);
        // A directory where the file should be: reading it fails.
        std::fs::create_dir(dir.path().join("x.allow")).unwrap();
        let denied = lists.check(1000, "alice").unwrap_err();
        assert!(denied.0.contains("cannot be read"), "{denied:?}");
    }
}
