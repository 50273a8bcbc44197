//! The storage seam: every operation the daemon performs on its spool,
//! named, whatever the backend. The SQLite backend ([`SqliteSpool`]) is
//! the embedded default; a backend for a fleet of hosts implements the
//! same trait and passes the same conformance suite
//! (`crates/sched-spool/tests/conformance`).
//!
//! Contract of every implementation:
//! - each call is one transaction: it happens whole or not at all, and a
//!   write is durable when the call returns (a submitter's reply means the
//!   job survives a power cut); [`Store::finish_runs`] is the exception,
//!   each of its ends whole or not at all;
//! - an [`Owner`] filter decides which rows a call sees or changes: rows of
//!   a uid are an account's only if stored under its name;
//! - a lookup that may find nothing returns `Option` (or `bool`); the end
//!   of a run ([`Store::finish_run`]) names a row that must exist and fails
//!   with [`SpoolError::NotFound`] when it does not; updates that only add
//!   to a row (a pid, a note) change nothing when it is gone;
//! - errors say what kind of failure it was ([`SpoolError::is_transient`])
//!   and carry no backend type.
//!
//! The trait is synchronous: the daemon gives the store to one thread of
//! its own and sends it work.
//!
//! [`SqliteSpool`]: crate::SqliteSpool

use std::ops::ControlFlow;

use jiff::Timestamp;

use crate::{
    CronRetry, CronRun, CrontabInstall, EntryControl, EntryHealth, Fleet, JobId, JobRecord, NewJob,
    Occurrence, Outcome, Output, Owner, PendingJob, RunEnd, RunId, RunRecord, SpoolError,
    StoredCrontab, Uid,
};

/// A spool backend.
pub trait Store: Send {
    /// What the spool is, for messages: a file's path, a database's name.
    fn describe(&self) -> String;

    // Pending one-shot jobs.

    /// Queues `jobs` in one transaction and returns their ids, in order.
    fn insert_jobs(&mut self, jobs: &[NewJob]) -> Result<Vec<JobId>, SpoolError>;

    /// Calls `visit` with each pending job `owner` may see, in no
    /// particular order, until it breaks. The row is borrowed: a listing
    /// encodes it without copying.
    fn for_each_pending(
        &self,
        owner: Owner,
        visit: &mut dyn FnMut(PendingJob<'_>) -> ControlFlow<()>,
    ) -> Result<(), SpoolError>;

    /// The uids owning a pending job `owner` may see, each once, in
    /// order: whose names a listing needs.
    fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolError>;

    /// The pending job `id`, if `owner` may see it.
    fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolError>;

    /// Removes the pending jobs `ids` that `owner` may remove; each id gets
    /// the removed job, or `None` when there was none to remove.
    fn remove_jobs(
        &mut self,
        ids: &[JobId],
        owner: Owner,
    ) -> Result<Vec<Option<JobRecord>>, SpoolError>;

    /// Claims the pending jobs `ids`: each is consumed and gets a run in
    /// progress (not yet started) as of `now`. A job no longer pending is
    /// left out of the result. Returns (job, run id) pairs.
    fn claim(
        &mut self,
        ids: &[JobId],
        now: Timestamp,
    ) -> Result<Vec<(JobRecord, RunId)>, SpoolError>;

    /// Gives claimed jobs back: each is pending again under its id and its
    /// unstarted run is gone.
    fn unclaim(&mut self, claimed: &[(JobRecord, RunId)]) -> Result<(), SpoolError>;

    /// Gives back the claims of crontab lines' runs that were recorded
    /// (by [`Store::start_cron_runs`]) but never started: each run is gone,
    /// as if never claimed, and its occurrence can be claimed again. A run
    /// that started (has a pid) is left alone.
    fn unclaim_cron_runs(&mut self, runs: &[RunId]) -> Result<(), SpoolError>;

    /// Deletes this host's unstarted runs of crontab lines due after the
    /// last instant it handled: runs made ready ahead of an instant the
    /// daemon never reached (it died first). Their occurrences were not
    /// lost but missed, for the catch-up to decide. Returns their ids.
    fn drop_unreached_cron_runs(&mut self) -> Result<Vec<RunId>, SpoolError>;

    /// Queues `job` again under its own id (a retry: its attempt, new due
    /// instant and first instant as given).
    fn requeue_job(&mut self, job: &JobRecord) -> Result<(), SpoolError>;

    // Runs.

    /// Records the pid and start instant of runs just started, and
    /// `handled`, if given, as the last instant fully handled, in one
    /// transaction (crontab runs made ready ahead were recorded before
    /// their instant: it is handled once they started).
    fn set_started(
        &mut self,
        started: &[(RunId, u32, Timestamp)],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError>;

    /// Claims and records runs of crontab lines started at `now`, and
    /// `now` as the last instant the daemon fully handled. A run gets its
    /// id, or `None` when its occurrence was already claimed and must not
    /// start here. In a spool shared by a fleet each occurrence (line,
    /// instant, attempt) is claimed at most once across the fleet, a
    /// host-local line's once per host; a host's own spool claims every
    /// run, its one daemon's planner deciding alone (which repeats a
    /// wildcard line's occurrences after the clock is set back, as cron
    /// does).
    fn start_cron_runs(
        &mut self,
        runs: &[CronRun],
        now: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolError>;

    /// Records occurrences that did not run (skipped, missed, superseded),
    /// and `handled`, if given, as the last instant fully handled. In a
    /// shared spool a crontab line's occurrence is claimed as
    /// [`Store::start_cron_runs`] claims it, and left out when another
    /// host claimed it.
    fn record_occurrences(
        &mut self,
        occurrences: &[Occurrence],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError>;

    /// The last instant the daemon fully handled, if any: where a
    /// downtime began.
    fn last_handled(&self) -> Result<Option<Timestamp>, SpoolError>;

    /// Notes `at` as the last instant fully handled (a clean stop).
    fn set_last_handled(&mut self, at: Timestamp) -> Result<(), SpoolError>;

    /// Keeps a retry of a crontab line, replacing one of the same
    /// occurrence (origin, scheduled instant).
    fn save_cron_retry(&mut self, retry: &CronRetry) -> Result<(), SpoolError>;

    /// Drops the retry of the occurrence of `origin` due at `scheduled`;
    /// false if there was none.
    fn drop_cron_retry(&mut self, origin: &str, scheduled: Timestamp) -> Result<bool, SpoolError>;

    /// Every retry of a crontab line waiting, by instant.
    fn cron_retries(&self) -> Result<Vec<CronRetry>, SpoolError>;

    /// Sets how many finished runs are kept per crontab line (at least 1).
    fn set_cron_runs_kept(&mut self, kept: u32);

    /// Adds a note (who ended it, why nothing was mailed) to a run that
    /// ended without failing.
    fn note_run(&mut self, run: RunId, note: &str) -> Result<(), SpoolError>;

    /// Records how run `run` ended and what it wrote; the oldest finished
    /// runs of its crontab line beyond the number kept go in the same
    /// transaction. [`SpoolError::NotFound`] when there is no such run.
    fn finish_run(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError>;

    /// Records the ends of several runs, each as [`Store::finish_run`]
    /// would, and answers for each in the order given. Each end is whole
    /// or not at all and durable when the call returns; a backend may
    /// write them together (one commit for a burst of run ends) as long
    /// as one run's failure leaves the others' answers their own.
    fn finish_runs(&mut self, ends: &[RunEnd]) -> Vec<Result<(), SpoolError>> {
        ends.iter()
            .map(|end| self.finish_run(end.run, end.finished, &end.outcome, &end.output))
            .collect()
    }

    /// Runs `owner` may see, newest first, at most `limit`; only those of
    /// job `job` when given. Runs claimed but not started are left out.
    fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError>;

    /// Runs of the crontab line `origin` that `owner` may see, newest
    /// first, at most `limit`.
    fn runs_of_origin(
        &self,
        owner: Owner,
        origin: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError>;

    /// The health of each crontab line `origins` names, as the runs
    /// `owner` may see tell it (the newest [`HEALTH_DEPTH`] of each), in
    /// the order given.
    ///
    /// [`HEALTH_DEPTH`]: crate::HEALTH_DEPTH
    fn entry_health(
        &self,
        owner: Owner,
        origins: &[String],
    ) -> Result<Vec<EntryHealth>, SpoolError>;

    /// Started runs in progress that `owner` may see, oldest first.
    fn runs_in_progress(&self, owner: Owner) -> Result<Vec<RunRecord>, SpoolError>;

    /// Records run `run` (one a previous daemon never saw end) as lost at
    /// `now` with the output it left, and takes the copy of its one-shot
    /// job kept since the claim (for a job with a policy), in one
    /// transaction; returns the run as recorded and that job.
    fn lose_run(
        &mut self,
        run: RunId,
        now: Timestamp,
        output: &Output,
    ) -> Result<(Option<RunRecord>, Option<JobRecord>), SpoolError>;

    /// Ids of every run recorded as running, oldest first (at start-up:
    /// those a previous daemon never saw end).
    fn running_runs(&self) -> Result<Vec<RunId>, SpoolError>;

    // What owners and root asked of crontab entries.

    /// Every entry control kept (in a fleet: the fleet's, and this host's
    /// own for its host-local lines), by entry.
    fn entry_controls(&self) -> Result<Vec<EntryControl>, SpoolError>;

    /// Keeps each of `controls` in place of the one of the same entry, in
    /// one transaction; an empty control ([`EntryControl::is_empty`])
    /// removes it.
    fn set_entry_controls(&mut self, controls: &[EntryControl]) -> Result<(), SpoolError>;

    // Users' crontabs.

    /// The crontab of `uid`, if one is installed.
    fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolError>;

    /// Every installed crontab, by uid.
    fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError>;

    /// Installs `text` as the crontab of `uid`, whose account is `name`.
    /// Unless `replace_any`, a crontab stored under another account's name
    /// (a former holder of the uid) is kept and reported instead.
    fn install_crontab(
        &mut self,
        uid: Uid,
        name: Option<&str>,
        text: &str,
        now: Timestamp,
        replace_any: bool,
    ) -> Result<CrontabInstall, SpoolError>;

    /// Removes the crontab of `uid`: any (`only_of` is `None`), or only one
    /// stored under the account name `only_of`. False when none was.
    fn remove_crontab(&mut self, uid: Uid, only_of: Option<&str>) -> Result<bool, SpoolError>;

    // Owners' names, and the daemon's state.

    /// The uids that own a job, crontab or run stored without a name.
    fn uids_without_owner_name(&self) -> Result<Vec<Uid>, SpoolError>;

    /// Records `name` as the owner's name of the rows of `uid` without one.
    fn adopt_owner_name(&mut self, uid: Uid, name: &str) -> Result<(), SpoolError>;

    /// A value of the daemon's state.
    fn state(&self, key: &str) -> Result<Option<String>, SpoolError>;

    /// Sets a value of the daemon's state and returns the one it replaced.
    fn swap_state(&mut self, key: &str, value: &str) -> Result<Option<String>, SpoolError>;

    // A spool shared by a fleet of hosts.

    /// The fleet operations of a shared spool; `None` for a host's own.
    fn fleet(&mut self) -> Option<&mut dyn Fleet> {
        None
    }
}
