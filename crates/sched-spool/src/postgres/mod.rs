//! The PostgreSQL backend: one database shared by a fleet of hosts, each
//! daemon a node holding a lease (see [`Fleet`](crate::Fleet)).
//!
//! - `url`: the `postgresql://` URL, TLS as libpq's `sslmode` says, and
//!   the spool's name without the password;
//! - `error`: PostgreSQL's errors as [`SpoolError`]s;
//! - `session`: the connection, made again after it broke, its prepared
//!   statements, and the fenced write transaction;
//! - `open`: connecting, the migrations (`spool/postgres/`), joining as a
//!   node;
//! - `rows`: rows as records, and the column lists;
//! - `jobs`, `runs`, `retries`, `crontabs`: the store's operations;
//! - `fleet`: the lease, the take-over, jobs due, the crontabs' version;
//! - `store`: [`PgSpool`] as a [`Store`](crate::Store).
//!
//! Every write checks this node's fencing token in its transaction: most
//! are a transaction that takes it first; an at job's end (alone or a
//! batch of them) is one statement that takes it itself. Statements are
//! prepared once per connection, except those that join a batch's arrays
//! to a table (the claim, the start and the end of runs): those are planned
//! per call, still one round trip, as a plan cached while the table was
//! nearly empty scans it whole. Rows go in by arrays (`unnest`), one
//! statement for a whole batch.

mod controls;
mod crontabs;
mod error;
mod fleet;
mod jobs;
mod open;
mod retries;
mod rows;
mod runs;
mod session;
mod store;
mod url;

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

pub use open::PG_SCHEMA_VERSION;

/// How a daemon joins the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// This daemon's host name, as its runs record it.
    pub host: String,
    /// How long its lease lasts after each renewal, on the database's
    /// clock: another node may take its work over once it runs out.
    pub lease: Duration,
}

impl PgOptions {
    /// The lease unless set otherwise.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(6);

    /// Options for the host `host`, with the default lease.
    pub fn new(host: impl Into<String>) -> PgOptions {
        PgOptions {
            host: host.into(),
            lease: PgOptions::DEFAULT_LEASE,
        }
    }
}

/// A spool in a PostgreSQL database. Not `Sync`: one thread owns it.
pub struct PgSpool {
    target: url::Target,
    /// The spool's name as errors give it (without the password).
    path: PathBuf,
    options: PgOptions,
    /// The connection; `None` after it broke, until the next call.
    session: RefCell<Option<session::Session>>,
    /// This daemon's node: its fencing token.
    node: i64,
    /// Finished runs kept per crontab line.
    cron_runs_kept: u32,
}

impl std::fmt::Debug for PgSpool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSpool")
            .field("database", &self.target.describe)
            .field("options", &self.options)
            .field("node", &self.node)
            .field("cron_runs_kept", &self.cron_runs_kept)
            .finish_non_exhaustive()
    }
}

impl PgSpool {
    /// This daemon's node in the fleet (a new one after it rejoined).
    pub fn node(&self) -> i64 {
        self.node
    }

    /// The key of the last instant this host fully handled: a host's
    /// downtime is its own.
    fn handled_key(&self) -> String {
        format!("handled@{}", self.options.host)
    }

    /// The key under which an occurrence of the crontab line `origin` is
    /// claimed: fleet-wide, or per host for a line of the host's own files.
    fn claim_key(&self, origin: &str, host_local: bool) -> String {
        if host_local {
            format!("{} {origin}", self.options.host)
        } else {
            origin.to_owned()
        }
    }
}
