//! schedd, the daemon: a SQLite spool of one-shot jobs, a Unix socket that
//! identifies callers by their peer credentials, a scheduler that sleeps
//! until the next due instant, and an executor that runs each job as its
//! owner and keeps what it wrote.
//!
//! Layout: [`run`] wires the parts; `listener` owns the socket, `requests`
//! answers (policy lives there), `submit` checks submissions, `scheduler`
//! decides when, `executor` starts and waits, `output` keeps bounded output,
//! `spool_thread` owns the database, `clock` is the only source of time,
//! `cron` reads crontabs (the timing rules are `sched_engine`'s), `mail`
//! mails cron jobs' output.

pub mod access;
mod admission;
mod clock;
pub mod conf;
pub mod conf_man;
mod cron;
pub use cron::neighbours;
mod crontab_requests;
mod dirs;
mod executor;
mod kill;
mod listener;
mod listing;
mod mail;
mod names;
mod output;
mod output_trim;
pub mod pidfile;
mod requests;
mod running;
mod scheduler;
mod script;
mod spool_thread;
mod startup;
mod submit;
pub mod syslog;
mod system_view;

use std::path::PathBuf;

use jiff::Timestamp;

pub use requests::decode_request;
pub use startup::run;
pub use submit::{Accepted, accept as accept_submission};

/// Everything the daemon needs to start, decided by `main` from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Unix socket clients connect to.
    pub socket: PathBuf,
    /// The directory of the spool database and of running jobs' output.
    pub spool_dir: PathBuf,
    /// Run on a mock clock starting at this instant (tests only).
    pub mock_clock: Option<Timestamp>,
    /// Bytes of each run's output kept in the history: the first and the
    /// last half of it when the output is longer.
    pub output_limit: u64,
    /// Finished runs kept per crontab line.
    pub cron_runs_kept: u32,
    /// Batch jobs start only while the 1-minute load average is below this.
    pub batch_load_limit: f64,
    /// At most one batch job starts per this many seconds.
    pub batch_interval_seconds: u32,
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
    /// The file that names the current boot: @reboot entries run when it
    /// differs from the one the spool remembers.
    pub boot_id_file: PathBuf,
    /// The mailer cron jobs' output is mailed with; when it is missing,
    /// nothing is mailed.
    pub sendmail: PathBuf,
    /// Who may use at and crontab (a daemon run by root); `None`: the
    /// daemon's own user only, who always may.
    pub access: Option<access::Access>,
    /// Reads the configuration again (on SIGHUP): the configuration file
    /// with the same flags.
    pub reload: Option<Reload>,
    /// How the daemon logs (applied at start only; kept to tell a reload
    /// that changes it).
    pub log: conf::LogSettings,
}

/// How to read the configuration again.
#[derive(Clone)]
pub struct Reload(pub std::sync::Arc<dyn Fn() -> anyhow::Result<Config> + Send + Sync>);

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reload")
    }
}

/// What the way the daemon was started hands it: whom to tell that it
/// serves (its socket bound, its jobs and crontabs loaded), and the socket
/// a service manager may have opened for it.
#[derive(Debug, Default)]
pub struct Launch {
    /// The process that started `schedd --daemon`, waiting.
    pub detached: Option<sched_runas::Detached>,
    /// The listening socket from systemd socket activation; used instead
    /// of binding `Config::socket`.
    pub inherited_socket: Option<std::os::unix::net::UnixListener>,
}

impl Launch {
    /// Tells the waiting process and the service manager (sd_notify, when
    /// started by systemd with Type=notify) that the daemon serves.
    pub fn announce(&mut self) {
        if let Some(detached) = self.detached.take()
            && let Err(error) = detached.ready()
        {
            tracing::warn!("cannot tell the starting process that schedd is ready: {error}");
        }
        if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
            tracing::warn!("cannot notify the service manager: {error}");
        }
    }
}
