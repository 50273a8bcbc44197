//! [`PgSpool`] as a [`Store`]: each operation is the method of the same
//! name in `jobs`, `runs`, `retries` or `crontabs`, and the fleet's
//! operations are the spool's own.

use std::ops::ControlFlow;

use jiff::Timestamp;

use super::PgSpool;
use crate::{
    CronRetry, CronRun, CrontabInstall, EntryControl, EntryHealth, Fleet, JobId, JobRecord, NewJob,
    Occurrence, Outcome, Output, Owner, PendingJob, RunEnd, RunId, RunRecord, SpoolError, Store,
    StoredCrontab, Uid,
};

impl Store for PgSpool {
    fn describe(&self) -> String {
        self.target.describe.clone()
    }

    fn insert_jobs(&mut self, jobs: &[NewJob]) -> Result<Vec<JobId>, SpoolError> {
        PgSpool::insert_jobs(self, jobs)
    }

    fn for_each_pending(
        &self,
        owner: Owner,
        visit: &mut dyn FnMut(PendingJob<'_>) -> ControlFlow<()>,
    ) -> Result<(), SpoolError> {
        PgSpool::for_each_pending(self, owner, visit)
    }

    fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolError> {
        PgSpool::pending_owner_uids(self, owner)
    }

    fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolError> {
        PgSpool::job(self, id, owner)
    }

    fn remove_jobs(
        &mut self,
        ids: &[JobId],
        owner: Owner,
    ) -> Result<Vec<Option<JobRecord>>, SpoolError> {
        PgSpool::remove_jobs(self, ids, owner)
    }

    fn claim(
        &mut self,
        ids: &[JobId],
        now: Timestamp,
    ) -> Result<Vec<(JobRecord, RunId)>, SpoolError> {
        PgSpool::claim(self, ids, now)
    }

    fn unclaim(&mut self, claimed: &[(JobRecord, RunId)]) -> Result<(), SpoolError> {
        PgSpool::unclaim(self, claimed)
    }

    fn unclaim_cron_runs(&mut self, runs: &[RunId]) -> Result<(), SpoolError> {
        PgSpool::unclaim_cron_runs(self, runs)
    }

    fn drop_unreached_cron_runs(&mut self) -> Result<Vec<RunId>, SpoolError> {
        PgSpool::drop_unreached_cron_runs(self)
    }

    fn lose_run(
        &mut self,
        run: RunId,
        now: Timestamp,
        output: &Output,
    ) -> Result<(Option<RunRecord>, Option<JobRecord>), SpoolError> {
        PgSpool::lose_run(self, run, now, output)
    }

    fn requeue_job(&mut self, job: &JobRecord) -> Result<(), SpoolError> {
        PgSpool::requeue_job(self, job)
    }

    fn record_occurrences(
        &mut self,
        occurrences: &[Occurrence],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        PgSpool::record_occurrences(self, occurrences, handled)
    }

    fn last_handled(&self) -> Result<Option<Timestamp>, SpoolError> {
        PgSpool::last_handled(self)
    }

    fn set_last_handled(&mut self, at: Timestamp) -> Result<(), SpoolError> {
        PgSpool::set_last_handled(self, at)
    }

    fn save_cron_retry(&mut self, retry: &CronRetry) -> Result<(), SpoolError> {
        PgSpool::save_cron_retry(self, retry)
    }

    fn drop_cron_retry(&mut self, origin: &str, scheduled: Timestamp) -> Result<bool, SpoolError> {
        PgSpool::drop_cron_retry(self, origin, scheduled)
    }

    fn cron_retries(&self) -> Result<Vec<CronRetry>, SpoolError> {
        PgSpool::cron_retries(self)
    }

    fn set_started(
        &mut self,
        started: &[(RunId, u32, Timestamp)],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        PgSpool::set_started(self, started, handled)
    }

    fn start_cron_runs(
        &mut self,
        runs: &[CronRun],
        now: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolError> {
        PgSpool::start_cron_runs(self, runs, now)
    }

    fn set_cron_runs_kept(&mut self, kept: u32) {
        PgSpool::set_cron_runs_kept(self, kept);
    }

    fn note_run(&mut self, run: RunId, note: &str) -> Result<(), SpoolError> {
        PgSpool::note_run(self, run, note)
    }

    fn finish_run(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError> {
        PgSpool::finish_run(self, run, finished, outcome, output)
    }

    fn finish_runs(&mut self, ends: &[RunEnd]) -> Vec<Result<(), SpoolError>> {
        PgSpool::finish_runs(self, ends)
    }

    fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        PgSpool::runs(self, owner, job, limit)
    }

    fn runs_of_origin(
        &self,
        owner: Owner,
        origin: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        PgSpool::runs_of_origin(self, owner, origin, limit)
    }

    fn entry_health(
        &self,
        owner: Owner,
        origins: &[String],
    ) -> Result<Vec<EntryHealth>, SpoolError> {
        PgSpool::entry_health(self, owner, origins)
    }

    fn runs_in_progress(&self, owner: Owner) -> Result<Vec<RunRecord>, SpoolError> {
        PgSpool::runs_in_progress(self, owner)
    }

    fn running_runs(&self) -> Result<Vec<RunId>, SpoolError> {
        PgSpool::running_runs(self)
    }

    fn entry_controls(&self) -> Result<Vec<EntryControl>, SpoolError> {
        PgSpool::entry_controls(self)
    }

    fn set_entry_controls(&mut self, controls: &[EntryControl]) -> Result<(), SpoolError> {
        PgSpool::set_entry_controls(self, controls)
    }

    fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolError> {
        PgSpool::crontab(self, uid)
    }

    fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError> {
        PgSpool::crontabs(self)
    }

    fn install_crontab(
        &mut self,
        uid: Uid,
        name: Option<&str>,
        text: &str,
        now: Timestamp,
        replace_any: bool,
    ) -> Result<CrontabInstall, SpoolError> {
        PgSpool::install_crontab(self, uid, name, text, now, replace_any)
    }

    fn remove_crontab(&mut self, uid: Uid, only_of: Option<&str>) -> Result<bool, SpoolError> {
        PgSpool::remove_crontab(self, uid, only_of)
    }

    fn uids_without_owner_name(&self) -> Result<Vec<Uid>, SpoolError> {
        PgSpool::uids_without_owner_name(self)
    }

    fn adopt_owner_name(&mut self, uid: Uid, name: &str) -> Result<(), SpoolError> {
        PgSpool::adopt_owner_name(self, uid, name)
    }

    fn state(&self, key: &str) -> Result<Option<String>, SpoolError> {
        PgSpool::state(self, key)
    }

    fn swap_state(&mut self, key: &str, value: &str) -> Result<Option<String>, SpoolError> {
        PgSpool::swap_state(self, key, value)
    }

    fn fleet(&mut self) -> Option<&mut dyn Fleet> {
        Some(self)
    }
}
