//! [`DaemonError`]: why the daemon could not start or had to stop, with
//! the exit status that tells a service manager or a script which kind of
//! failure it was (sysexits.h).

use sched_spool::SpoolError;

/// sysexits.h statuses the daemon exits with.
pub mod status {
    /// The spool holds data this daemon cannot use (damaged, foreign, of a
    /// newer schema).
    pub const DATAERR: u8 = 65;
    /// Another daemon holds what this one needs (the socket, the spool,
    /// the pidfile).
    pub const UNAVAILABLE: u8 = 69;
    /// A part of the daemon stopped unexpectedly.
    pub const SOFTWARE: u8 = 70;
    /// The system refused a resource (threads, signals, detaching).
    pub const OSERR: u8 = 71;
    /// A file or directory the daemon needs cannot be made or used.
    pub const CANTCREAT: u8 = 73;
    /// Reading or writing the spool failed (a full disk).
    pub const IOERR: u8 = 74;
    /// The configuration (file or flags) is invalid.
    pub const CONFIG: u8 = 78;
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration file or the flags are invalid.
    #[error("{0:#}")]
    Config(anyhow::Error),
    /// The spool cannot be used.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// Another daemon holds the socket or the pidfile.
    #[error("{0:#}")]
    Taken(anyhow::Error),
    /// A directory or file the daemon needs cannot be made or is unsafe.
    #[error("{0:#}")]
    Files(anyhow::Error),
    /// The operating system refused a resource.
    #[error("{0:#}")]
    System(anyhow::Error),
    /// A part of the daemon stopped unexpectedly.
    #[error("{0:#}")]
    Stopped(anyhow::Error),
}

impl DaemonError {
    /// The process's exit status for this failure.
    pub fn exit_status(&self) -> u8 {
        match self {
            DaemonError::Config(_) => status::CONFIG,
            DaemonError::Taken(_) => status::UNAVAILABLE,
            DaemonError::Files(_) => status::CANTCREAT,
            DaemonError::System(_) => status::OSERR,
            DaemonError::Stopped(_) => status::SOFTWARE,
            DaemonError::Spool(error) => match error {
                SpoolError::Locked { .. }
                | SpoolError::Unreachable { .. }
                | SpoolError::Fenced { .. } => status::UNAVAILABLE,
                SpoolError::Corrupt { .. }
                | SpoolError::NotDatabase { .. }
                | SpoolError::Foreign { .. }
                | SpoolError::TooNew { .. }
                | SpoolError::BadRow { .. } => status::DATAERR,
                SpoolError::Open { .. } => status::CANTCREAT,
                SpoolError::Full { .. } | SpoolError::Failed { .. } => status::IOERR,
                SpoolError::NotFound { .. } => status::SOFTWARE,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_sysexits_status() {
        let path = std::path::PathBuf::from("/var/spool/schedd/spool.db");
        let table = [
            (DaemonError::Config(anyhow::anyhow!("bad")), 78),
            (DaemonError::Taken(anyhow::anyhow!("in use")), 69),
            (DaemonError::Files(anyhow::anyhow!("mode")), 73),
            (DaemonError::System(anyhow::anyhow!("no threads")), 71),
            (DaemonError::Stopped(anyhow::anyhow!("panic")), 70),
            (
                SpoolError::Locked {
                    path: path.clone(),
                    holder: Some(7),
                }
                .into(),
                69,
            ),
            (
                SpoolError::Corrupt {
                    path: path.clone(),
                    detail: "x".into(),
                }
                .into(),
                65,
            ),
            (SpoolError::Foreign { path: path.clone() }.into(), 65),
            (
                SpoolError::Open {
                    path: path.clone(),
                    reason: "denied".into(),
                }
                .into(),
                73,
            ),
            (SpoolError::Full { path }.into(), 74),
        ];
        for (error, status) in table {
            assert_eq!(error.exit_status(), status, "{error}");
        }
    }
}
