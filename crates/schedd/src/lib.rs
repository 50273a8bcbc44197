//! schedd, the daemon: a SQLite spool of one-shot jobs, a Unix socket that
//! identifies callers by their peer credentials, a scheduler that sleeps
//! until the next due instant, and an executor that runs each job as its
//! owner and keeps what it wrote.
//!
//! Layout: [`run`] wires the parts; `listener` owns the socket, `requests`
//! answers (policy lives there), `submit` checks submissions, `scheduler`
//! decides when, `executor` starts and waits, `output` keeps bounded output,
//! `spool_thread` owns the database, `clock` is the only source of time.

mod clock;
mod dirs;
mod executor;
mod listener;
mod listing;
mod names;
mod output;
mod requests;
mod scheduler;
mod script;
mod spool_thread;
mod startup;
mod submit;

use std::path::PathBuf;

use jiff::Timestamp;

pub use startup::run;

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
    /// Batch jobs start only while the 1-minute load average is below this.
    pub batch_load_limit: f64,
    /// How long a client may take to send a request it has begun, or to
    /// read a reply.
    pub io_timeout: std::time::Duration,
}
