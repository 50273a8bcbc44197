//! The spool: pending one-shot jobs, users' crontabs, the history of runs
//! and a little daemon state.
//!
//! [`Store`] is the seam: every operation the daemon performs, named, with
//! an error type ([`SpoolError`]) that carries no backend's types. The
//! SQLite backend ([`SqliteSpool`]) is the embedded default: writes use
//! `BEGIN IMMEDIATE` and the database runs in WAL mode with
//! `synchronous=FULL`, so a job is on disk when
//! [`Store::insert_jobs`] returns. A spool that cannot be opened, is
//! corrupt, belongs to something else or is held by another daemon is
//! reported with its path and never recreated or deleted.
//!
//! The PostgreSQL backend ([`PgSpool`]) is the spool a fleet of hosts
//! shares: each daemon is a node with a lease on the database's clock,
//! every write is fenced by that lease, each crontab occurrence and each
//! at job is claimed by one node, and it offers the [`Fleet`] operations
//! (its schema: `spool/postgres/`).
//!
//! Deliberately absent: async, scheduling decisions, users and permissions.
//! Callers say whose jobs they mean with an [`Owner`] filter. The suite
//! every backend must pass is `tests/conformance`.

mod columns;
mod error;
mod fleet;
mod ids;
mod postgres;
mod records;
mod sqlite;
mod store;

pub use error::SpoolError;
pub use fleet::{DueJob, Fleet, Lease, TakenOver};
pub use ids::{JobId, RunId, Uid};
pub use postgres::{PG_SCHEMA_VERSION, PgOptions, PgSpool};
pub use records::{
    ControlMark, CronRetry, CronRun, CrontabInstall, EntryControl, EntryHealth, HEALTH_DEPTH,
    JobKind, JobRecord, Mail, NewJob, Occurrence, Outcome, Output, Owner, PendingJob, RunEnd,
    RunKind, RunRecord, StoredCrontab,
};
pub use sqlite::{DEFAULT_CRON_RUNS_KEPT, SCHEMA_VERSION, SqliteSpool};
pub use store::Store;
