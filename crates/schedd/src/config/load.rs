//! Reading the configuration file as a daemon must: the file named, or the
//! default one if it exists, owned by the daemon's user and writable by no
//! one else (it names the programs and files the daemon trusts).

use std::path::PathBuf;

use super::file::FileConfig;

/// /run/schedd.pid for root; beside the socket (in the user's runtime
/// directory) for anyone else.
pub fn default_pidfile(euid: u32, socket: &std::path::Path) -> PathBuf {
    if euid == 0 {
        PathBuf::from("/run/schedd.pid")
    } else {
        socket.with_file_name("schedd.pid")
    }
}

/// The configuration file and what it says: the one named, which must
/// exist, else the default one if it exists. A daemon run by root accepts
/// only a file owned by root and writable by no one else (it names the
/// programs and files the daemon trusts); any other daemon, only its own
/// user's.
pub fn read_file(
    named: Option<&std::path::Path>,
    euid: u32,
) -> anyhow::Result<(Option<PathBuf>, FileConfig)> {
    use std::os::unix::fs::MetadataExt;
    let (path, must_exist) = match named {
        Some(path) => (path.to_owned(), true),
        None => match default_config_path(euid) {
            Some(path) => (path, false),
            None => return Ok((None, FileConfig::default())),
        },
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok((None, FileConfig::default()));
        }
        Err(error) => anyhow::bail!("{}: {error}", path.display()),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        anyhow::bail!("{}: not a regular file", path.display());
    }
    if meta.uid() != euid {
        anyhow::bail!(
            "{}: owned by uid {}, not {}: refused (it decides what the daemon trusts)",
            path.display(),
            meta.uid(),
            if euid == 0 {
                "root".to_owned()
            } else {
                format!("uid {euid}")
            }
        );
    }
    if meta.mode() & 0o022 != 0 {
        anyhow::bail!(
            "{}: writable by its group or others (mode {:04o}): refused",
            path.display(),
            meta.mode() & 0o7777
        );
    }
    let text =
        std::io::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let config = super::file::parse(&path, &text)?;
    check_secret(&path, meta.mode(), &config)?;
    Ok((Some(path), config))
}

/// A file whose spool URL holds the database's password must be readable
/// by the daemon's user only.
fn check_secret(path: &std::path::Path, mode: u32, config: &FileConfig) -> anyhow::Result<()> {
    let holds_password = config
        .spool
        .as_deref()
        .and_then(super::spool::DatabaseUrl::of_path)
        .and_then(Result::ok)
        .is_some_and(|url| url.has_password());
    if holds_password && mode & 0o044 != 0 {
        anyhow::bail!(
            "{}: readable by its group or others (mode {:04o}), and its spool URL holds a password: refused (chmod 600 it)",
            path.display(),
            mode & 0o7777
        );
    }
    Ok(())
}

/// /etc/schedd.conf for root; `$XDG_CONFIG_HOME/schedd/schedd.conf`, else
/// `~/.config/schedd/schedd.conf`, for anyone else.
pub fn default_config_path(euid: u32) -> Option<PathBuf> {
    if euid == 0 {
        return Some(PathBuf::from("/etc/schedd.conf"));
    }
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))
        .map(|dir| dir.join("schedd/schedd.conf"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_file_needs_a_file_only_its_owner_reads() {
        let file = |text: &str| {
            super::super::file::parse(std::path::Path::new("/etc/schedd.conf"), text).unwrap()
        };
        let with = file("spool = \"postgresql://schedd:hunter2@db1/jobs\"\n");
        let without = file("spool = \"postgresql://schedd@db1/jobs?sslmode=verify-full\"\n");
        let path = std::path::Path::new("/etc/schedd.conf");
        let error = check_secret(path, 0o100644, &with).unwrap_err().to_string();
        assert_eq!(
            error,
            "/etc/schedd.conf: readable by its group or others (mode 0644), and its spool URL holds a password: refused (chmod 600 it)"
        );
        assert!(!error.contains("hunter2"));
        assert!(check_secret(path, 0o100640, &with).is_err());
        assert!(check_secret(path, 0o100600, &with).is_ok());
        assert!(check_secret(path, 0o100644, &without).is_ok());
        assert!(check_secret(path, 0o100644, &FileConfig::default()).is_ok());
    }
}
