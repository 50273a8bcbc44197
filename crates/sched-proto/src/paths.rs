//! Where a daemon listens and keeps its spool by default, so that `schedd`
//! and `sched` agree without being told.
//!
//! Pure: the caller passes its effective uid and the environment values.

use std::path::PathBuf;

/// The system daemon's socket.
pub const SYSTEM_SOCKET: &str = "/run/schedd/schedd.sock";
/// The system daemon's spool directory.
pub const SYSTEM_SPOOL_DIR: &str = "/var/spool/schedd";
/// The socket's file name inside a user's runtime directory.
pub const SOCKET_NAME: &str = "schedd.sock";

/// The environment values the defaults depend on.
#[derive(Debug, Clone, Default)]
pub struct PathEnv {
    pub xdg_runtime_dir: Option<String>,
    pub xdg_data_home: Option<String>,
    pub home: Option<String>,
}

impl PathEnv {
    /// The values from this process's environment; empty or relative
    /// values are ignored, as the XDG base directory specification says.
    pub fn from_process() -> Self {
        let absolute = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| value.starts_with('/'))
        };
        Self {
            xdg_runtime_dir: absolute("XDG_RUNTIME_DIR"),
            xdg_data_home: absolute("XDG_DATA_HOME"),
            home: absolute("HOME"),
        }
    }
}

/// The socket of the daemon `euid` runs: the system one for root; for
/// anyone else `$XDG_RUNTIME_DIR/schedd.sock`, or, without a runtime
/// directory, `/tmp/schedd-UID/schedd.sock` (a private directory the daemon
/// creates and checks).
pub fn user_socket(euid: u32, env: &PathEnv) -> PathBuf {
    if euid == 0 {
        return PathBuf::from(SYSTEM_SOCKET);
    }
    match &env.xdg_runtime_dir {
        Some(dir) => PathBuf::from(dir).join(SOCKET_NAME),
        None => PathBuf::from(format!("/tmp/schedd-{euid}")).join(SOCKET_NAME),
    }
}

/// The spool directory of the daemon `euid` runs: the system one for root;
/// `$XDG_DATA_HOME/schedd`, else `~/.local/share/schedd`, for anyone else.
/// `None` when neither variable gives an absolute path.
pub fn spool_dir(euid: u32, env: &PathEnv) -> Option<PathBuf> {
    if euid == 0 {
        return Some(PathBuf::from(SYSTEM_SPOOL_DIR));
    }
    match (&env.xdg_data_home, &env.home) {
        (Some(data), _) => Some(PathBuf::from(data).join("schedd")),
        (None, Some(home)) => Some(PathBuf::from(home).join(".local/share/schedd")),
        (None, None) => None,
    }
}

/// The sockets `sched` tries, in order: the user's own daemon, then the
/// system daemon. Root has only the system one.
pub fn client_sockets(euid: u32, env: &PathEnv) -> Vec<PathBuf> {
    let own = user_socket(euid, env);
    let system = PathBuf::from(SYSTEM_SOCKET);
    if own == system {
        vec![system]
    } else {
        vec![own, system]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(runtime: Option<&str>, data: Option<&str>, home: Option<&str>) -> PathEnv {
        PathEnv {
            xdg_runtime_dir: runtime.map(str::to_owned),
            xdg_data_home: data.map(str::to_owned),
            home: home.map(str::to_owned),
        }
    }

    #[test]
    fn root_uses_the_system_paths_whatever_the_environment() {
        let e = env(Some("/run/user/0"), Some("/root/.data"), Some("/root"));
        assert_eq!(user_socket(0, &e), PathBuf::from("/run/schedd/schedd.sock"));
        assert_eq!(spool_dir(0, &e), Some(PathBuf::from("/var/spool/schedd")));
        assert_eq!(
            client_sockets(0, &e),
            vec![PathBuf::from("/run/schedd/schedd.sock")]
        );
    }

    #[test]
    fn users_get_xdg_paths_with_fallbacks() {
        let full = env(
            Some("/run/user/1000"),
            Some("/home/a/.data"),
            Some("/home/a"),
        );
        assert_eq!(
            user_socket(1000, &full),
            PathBuf::from("/run/user/1000/schedd.sock")
        );
        assert_eq!(
            spool_dir(1000, &full),
            Some(PathBuf::from("/home/a/.data/schedd"))
        );
        let bare = env(None, None, Some("/home/a"));
        assert_eq!(
            user_socket(1000, &bare),
            PathBuf::from("/tmp/schedd-1000/schedd.sock")
        );
        assert_eq!(
            spool_dir(1000, &bare),
            Some(PathBuf::from("/home/a/.local/share/schedd"))
        );
        assert_eq!(spool_dir(1000, &env(None, None, None)), None);
        assert_eq!(
            client_sockets(1000, &full),
            vec![
                PathBuf::from("/run/user/1000/schedd.sock"),
                PathBuf::from("/run/schedd/schedd.sock")
            ]
        );
    }
}
