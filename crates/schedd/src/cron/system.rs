//! System crontabs: /etc/crontab and the files of /etc/cron.d, found,
//! filtered and opened as cron does.
//!
//! A file is read only when it is a regular file (not a symbolic link,
//! cronie opens with O_NOFOLLOW), has one link, belongs to the daemon's
//! user (root for the system daemon) and is writable by nobody else: a
//! system crontab names the user each line runs as, so whoever can write
//! it can run commands as anyone. A refused file is logged with the reason
//! and its jobs are not loaded.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Where the system crontabs are; `None` turns a part off.
#[derive(Debug, Clone, Default)]
pub struct SystemPaths {
    /// The single file, /etc/crontab.
    pub crontab: Option<PathBuf>,
    /// The directory of package files, /etc/cron.d.
    pub dir: Option<PathBuf>,
}

/// The largest system crontab read (cronie has no limit; 64 MiB holds far
/// more than a million lines and keeps a stray log file from being read).
const MAX_FILE: u64 = 64 << 20;

/// A system crontab file as found.
#[derive(Debug)]
pub struct SystemFile {
    pub path: PathBuf,
    /// The content, or why the file was refused.
    pub content: Result<Vec<u8>, String>,
}

/// Whether a file of cron.d named `name` is a crontab, as cronie decides
/// (`not_a_crontab`), plus the leftovers of Debian's package tools: dot
/// files, `#...` and `...~` editor files, `.rpmsave`/`.rpmorig`/`.rpmnew`,
/// and names containing `.dpkg-` or `.ucf-` (`.dpkg-old`, `.dpkg-dist`,
/// `.ucf-new`, ...) are skipped.
pub fn is_crontab_name(name: &str) -> bool {
    !(name.is_empty()
        || name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".rpmsave")
        || name.ends_with(".rpmorig")
        || name.ends_with(".rpmnew")
        || name.contains(".dpkg-")
        || name.contains(".ucf-"))
}

/// Reads every system crontab under `paths` that is there, each checked
/// to belong to `owner`, and hands each to `each` before reading the next
/// (one file's bytes in memory at a time). Missing files and directories
/// are no crontab. Files come in a stable order: /etc/crontab, then
/// cron.d by name.
pub fn read_each(paths: &SystemPaths, owner: u32, mut each: impl FnMut(SystemFile)) {
    if let Some(path) = &paths.crontab
        && let Some(content) = read_checked(path, owner)
    {
        each(SystemFile {
            path: path.clone(),
            content,
        });
    }
    if let Some(dir) = &paths.dir {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| is_crontab_name(name))
                .collect(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => {
                tracing::error!("cannot read the directory {}: {error}", dir.display());
                Vec::new()
            }
        };
        names.sort();
        for name in names {
            let path = dir.join(name);
            if let Some(content) = read_checked(&path, owner) {
                each(SystemFile { path, content });
            }
        }
    }
}

/// The content of `path` if it may be trusted, `Err(reason)` if not, or
/// `None` when there is no such file (it was removed while reading).
pub fn read_checked(path: &Path, owner: u32) -> Option<Result<Vec<u8>, String>> {
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits())
        .open(path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) if error.raw_os_error() == Some(nix::libc::ELOOP) => {
            return Some(Err(
                "it is a symbolic link (system crontabs must be regular files)".to_owned(),
            ));
        }
        Err(error) => return Some(Err(format!("cannot open it: {error}"))),
    };
    Some(check_and_read(file, owner))
}

fn check_and_read(mut file: File, owner: u32) -> Result<Vec<u8>, String> {
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot stat it: {e}"))?;
    if !meta.file_type().is_file() {
        return Err("it is not a regular file".to_owned());
    }
    if meta.uid() != owner {
        return Err(format!(
            "it belongs to uid {}, not {} (uid {owner})",
            meta.uid(),
            if owner == 0 {
                "root"
            } else {
                "the daemon's user"
            }
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "it is writable by {} (mode {mode:04o}): chmod go-w it",
            if mode & 0o002 != 0 {
                "everyone"
            } else {
                "its group"
            }
        ));
    }
    if meta.nlink() != 1 {
        return Err(format!(
            "it has {} hard links (a system crontab must have one)",
            meta.nlink()
        ));
    }
    if meta.len() > MAX_FILE {
        return Err(format!("it is {} bytes, more than {MAX_FILE}", meta.len()));
    }
    let mut content = Vec::with_capacity(meta.len() as usize);
    file.by_ref()
        .take(MAX_FILE + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if content.len() as u64 > MAX_FILE {
        return Err(format!("it grew past {MAX_FILE} bytes while read"));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_names_are_filtered_as_cron_does() {
        for name in [
            "php",
            "sysstat",
            "e2scrub_all",
            "certbot",
            "0hourly",
            "my.job",
            "anacron-daily",
        ] {
            assert!(is_crontab_name(name), "{name} is read");
        }
        for name in [
            ".placeholder",
            ".hidden",
            "php~",
            "#php#",
            "php.rpmsave",
            "php.rpmorig",
            "php.rpmnew",
            "php.dpkg-old",
            "php.dpkg-dist",
            "php.dpkg-new",
            "php.dpkg-tmp",
            "php.ucf-old",
            "",
        ] {
            assert!(!is_crontab_name(name), "{name:?} is skipped");
        }
    }

    fn file_with_mode(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "* * * * * root true\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn files_writable_by_others_foreign_or_linked_are_refused_with_the_reason() {
        let me = sched_runas::current_euid();
        let dir = tempfile::tempdir().unwrap();
        let good = file_with_mode(dir.path(), "good", 0o644);
        assert_eq!(
            read_checked(&good, me).unwrap().unwrap(),
            b"* * * * * root true\n"
        );
        let group = file_with_mode(dir.path(), "group", 0o664);
        let error = read_checked(&group, me).unwrap().unwrap_err();
        assert!(
            error.contains("writable by its group (mode 0664)"),
            "{error}"
        );
        let world = file_with_mode(dir.path(), "world", 0o646);
        let error = read_checked(&world, me).unwrap().unwrap_err();
        assert!(
            error.contains("writable by everyone (mode 0646)"),
            "{error}"
        );
        let error = read_checked(&good, me + 1).unwrap().unwrap_err();
        assert!(error.contains(&format!("belongs to uid {me}")), "{error}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        let error = read_checked(&link, me).unwrap().unwrap_err();
        assert!(error.contains("symbolic link"), "{error}");
        let hard = dir.path().join("hard");
        std::fs::hard_link(&good, &hard).unwrap();
        let error = read_checked(&hard, me).unwrap().unwrap_err();
        assert!(error.contains("2 hard links"), "{error}");
        assert!(read_checked(&dir.path().join("missing"), me).is_none());
    }

    #[test]
    fn the_directory_is_read_in_name_order_without_skipped_names() {
        let me = sched_runas::current_euid();
        let dir = tempfile::tempdir().unwrap();
        for name in ["zeta", "alpha", "alpha.dpkg-old", ".hidden", "beta~"] {
            file_with_mode(dir.path(), name, 0o644);
        }
        let paths = SystemPaths {
            crontab: Some(dir.path().join("no-such-crontab")),
            dir: Some(dir.path().to_path_buf()),
        };
        let mut names: Vec<String> = Vec::new();
        read_each(&paths, me, |file| {
            names.push(
                file.path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            )
        });
        assert_eq!(names, vec!["alpha", "zeta"]);
    }
}
