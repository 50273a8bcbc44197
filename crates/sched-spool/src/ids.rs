//! The identities the spool gives out: a pending job's id and a run's id.
//! Distinct types, so that a run id is never passed where a job id is
//! meant; on the wire and in SQL both are plain positive integers.

use std::fmt;

/// A one-shot job's id: what `sched ls` shows and `sched rm` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// A run's id (`sched logs` shows it as `rN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
