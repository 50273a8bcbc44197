//! What a spool shared by a fleet of hosts offers beyond [`Store`]: each
//! daemon is a node holding a lease on the database's clock, takes over
//! the work of nodes whose lease ran out, and learns of jobs and crontabs
//! other hosts stored.
//!
//! A node's writes are fenced by its lease: once another node has
//! declared it gone, every write it attempts fails with
//! [`SpoolError::Fenced`] until it renews, which makes it a new node.
//!
//! [`Store`]: crate::Store

use std::time::Duration;

use jiff::Timestamp;

use crate::{CronRetry, JobId, JobKind, RunId, SpoolError};

/// A shared spool's fleet operations; see the module documentation.
pub trait Fleet {
    /// This daemon's host name, as its runs record it.
    fn host(&self) -> &str;

    /// Renews this node's lease, on the database's clock. When the lease
    /// had already run out (the database was unreachable for longer than
    /// the lease, and another node may have taken this node's work over),
    /// the daemon joins again as a new node, and the answer says so.
    fn renew_lease(&mut self) -> Result<Lease, SpoolError>;

    /// Takes over the work of every node whose lease ran out: each is
    /// marked gone, its crontab retries become this node's, and its runs
    /// in progress are returned, to be recorded lost
    /// ([`Store::lose_run`](crate::Store::lose_run)) by the caller.
    fn take_over(&mut self) -> Result<TakenOver, SpoolError>;

    /// The pending jobs due at or before `until`, whichever host stored
    /// them, by instant: the jobs this node may claim when due.
    fn jobs_due_by(&self, until: Timestamp) -> Result<Vec<DueJob>, SpoolError>;

    /// A number that changes whenever any host installs or removes a
    /// user's crontab.
    fn crontabs_version(&self) -> Result<i64, SpoolError>;

    /// The latest instant any host of the fleet fully handled: the
    /// fleet's lines missed nothing before it (a host's own lines follow
    /// its own [`Store::last_handled`](crate::Store::last_handled)).
    fn fleet_handled(&self) -> Result<Option<Timestamp>, SpoolError>;
}

/// This node's lease, as renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The node's number (a new one after rejoining): the fencing token.
    pub node: i64,
    /// The lease had run out and the daemon joined again as `node`.
    pub rejoined: bool,
    /// How long the lease now lasts, on the database's clock.
    pub lasts: Duration,
}

/// The work of nodes gone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakenOver {
    /// The nodes declared gone: (node, host).
    pub nodes: Vec<(i64, String)>,
    /// Their runs recorded as running, oldest first.
    pub runs: Vec<RunId>,
    /// Their crontab retries still waiting, now this node's.
    pub retries: Vec<CronRetry>,
}

/// A pending job as the scheduler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueJob {
    pub id: JobId,
    pub due: Timestamp,
    pub kind: JobKind,
    pub queue: char,
}
