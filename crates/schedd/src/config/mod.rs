//! The daemon's configuration: the command line ([`flags`]), the file
//! ([`file`], and its manual page [`man`]), reading the file safely
//! ([`load`]), and [`resolve`]: the pure function that merges flags, file
//! and environment into one [`Config`].
//!
//! The settings SIGHUP may change are one value, [`Live`], swapped whole:
//! the rest of a [`Config`] needs a restart.

pub mod access;
pub mod file;
pub mod flags;
pub mod load;
pub mod man;
pub mod resolve;
pub mod spool;

use std::path::PathBuf;

use jiff::Timestamp;

pub use resolve::{Environment, Resolved, resolve};

/// Everything the daemon needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Unix socket clients connect to.
    pub socket: PathBuf,
    /// The directory of running jobs' output, and of the spool database
    /// unless the spool is a shared one ([`Config::fleet`]).
    pub spool_dir: PathBuf,
    /// The PostgreSQL spool this daemon shares with a fleet of hosts;
    /// `None`: the SQLite spool in `spool_dir`.
    pub fleet: Option<spool::FleetSettings>,
    /// Run on a mock clock starting at this instant (tests only).
    pub mock_clock: Option<Timestamp>,
    /// Stop running jobs (SIGTERM to each job's process group) when the
    /// daemon stops, instead of leaving them running as cron does.
    pub stop_jobs_on_exit: bool,
    /// Where the load average is read (/proc/loadavg).
    pub loadavg_file: PathBuf,
    /// How long a client may take to send a request it has begun, or to
    /// read a reply.
    pub io_timeout: std::time::Duration,
    /// The system crontab (/etc/crontab); `None`: none is read.
    pub system_crontab: Option<PathBuf>,
    /// The directory of package crontabs (/etc/cron.d); `None`: none.
    pub cron_dir: Option<PathBuf>,
    /// Where the metrics are served over HTTP; `None`: not at all.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The node_exporter textfile the metrics are written to.
    pub metrics_textfile: Option<PathBuf>,
    /// The file that names the current boot: @reboot entries run when it
    /// differs from the one the spool remembers.
    pub boot_id_file: PathBuf,
    /// How the daemon logs (applied at start only; kept to tell a reload
    /// that changes it).
    pub log: file::LogSettings,
    /// Reads the configuration again (on SIGHUP): the configuration file
    /// with the same flags.
    pub reload: Option<Reload>,
    /// The settings SIGHUP puts in force.
    pub live: Live,
}

/// The settings a running daemon takes from a configuration read again
/// on SIGHUP, all at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// Bytes of each run's output kept in the history: the first and the
    /// last half of it when the output is longer.
    pub output_limit: u64,
    /// Finished runs kept per crontab line.
    pub cron_runs_kept: u32,
    /// Batch jobs start only while the 1-minute load average is below this.
    pub batch_load_limit: f64,
    /// At most one batch job starts per this many seconds.
    pub batch_interval_seconds: u32,
    /// The mailer jobs' output is mailed with; when it is missing,
    /// nothing is mailed.
    pub sendmail: PathBuf,
    /// Who may use at and crontab (a daemon run by root); `None`: the
    /// daemon's own user only, who always may.
    pub access: Option<access::Access>,
    /// The policy of every job whose crontab or submission does not say
    /// otherwise (schedd.conf's `policy`; cron's behaviour by default).
    pub policy: sched_cron::policy::Policy,
    /// Run as the owner when a run finally fails, times out or is missed,
    /// for jobs that name no command of their own (schedd.conf's
    /// `on_failure`).
    pub on_failure: Option<String>,
    /// At most this many crontab lines get series of their own in the
    /// metrics (0: none).
    pub metrics_entries: u32,
}

impl Live {
    /// The least time between two batch starts.
    pub fn batch_interval(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(i64::from(self.batch_interval_seconds))
    }
}

impl Config {
    /// The settings of `new` that differ from these and need a restart to
    /// take effect, by their names in schedd.conf.
    pub fn needs_restart(&self, new: &Config) -> Vec<&'static str> {
        let mut pending = Vec::new();
        if new.socket != self.socket {
            pending.push("socket");
        }
        if new.spool_dir != self.spool_dir || new.fleet != self.fleet {
            pending.push("spool");
        }
        if new.system_crontab != self.system_crontab || new.cron_dir != self.cron_dir {
            pending.push("system_crontab/cron_dir");
        }
        if new.stop_jobs_on_exit != self.stop_jobs_on_exit {
            pending.push("stop_jobs_on_exit");
        }
        if new.log != self.log {
            pending.push("log_level/log_format");
        }
        if new.metrics_listen != self.metrics_listen {
            pending.push("metrics_listen");
        }
        if new.metrics_textfile != self.metrics_textfile {
            pending.push("metrics_textfile");
        }
        pending
    }
}

/// How to read the configuration again.
#[derive(Clone)]
pub struct Reload(pub std::sync::Arc<dyn Fn() -> anyhow::Result<Config> + Send + Sync>);

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reload")
    }
}
