//! The spool: a SQLite database that holds pending one-shot jobs, users'
//! crontabs, the history of runs and a little daemon state.
//!
//! Everything durable goes through here, synchronously; the daemon gives the
//! [`Spool`] to one thread. Writes use `BEGIN IMMEDIATE` and the database
//! runs in WAL mode with `synchronous=FULL`, so a job is on disk when
//! [`Spool::insert_jobs`] returns. A spool that cannot be opened, is
//! corrupt, belongs to something else or is held by another daemon is
//! reported with its path and never recreated or deleted.
//!
//! Deliberately absent: async, scheduling decisions, users and permissions.
//! Callers say whose jobs they mean with an [`Owner`] filter.

mod crontabs;
mod error;
mod inspect;
mod jobs;
mod open;
mod records;
mod runs;

pub use crontabs::StoredCrontab;
pub use error::SpoolError;
pub use open::{DEFAULT_CRON_RUNS_KEPT, SCHEMA_VERSION, Spool};
pub use records::{
    CronRun, JobKind, JobRecord, Mail, NewJob, Outcome, Output, Owner, PendingJob, RunKind,
    RunRecord,
};
