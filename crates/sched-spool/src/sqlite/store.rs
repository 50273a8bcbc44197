//! [`SqliteSpool`] as a [`Store`]: each operation is the inherent method
//! of the same name.

use std::ops::ControlFlow;

use jiff::Timestamp;

use super::SqliteSpool;
use crate::{
    CronRetry, CronRun, CrontabInstall, EntryControl, EntryHealth, JobId, JobRecord, NewJob,
    Occurrence, Outcome, Output, Owner, PendingJob, RunEnd, RunId, RunRecord, SpoolError, Store,
    StoredCrontab, Uid,
};

impl Store for SqliteSpool {
    fn describe(&self) -> String {
        self.path().display().to_string()
    }

    fn insert_jobs(&mut self, jobs: &[NewJob]) -> Result<Vec<JobId>, SpoolError> {
        SqliteSpool::insert_jobs(self, jobs)
    }

    fn for_each_pending(
        &self,
        owner: Owner,
        visit: &mut dyn FnMut(PendingJob<'_>) -> ControlFlow<()>,
    ) -> Result<(), SpoolError> {
        SqliteSpool::for_each_pending(self, owner, visit)
    }

    fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolError> {
        SqliteSpool::pending_owner_uids(self, owner)
    }

    fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolError> {
        SqliteSpool::job(self, id, owner)
    }

    fn remove_jobs(
        &mut self,
        ids: &[JobId],
        owner: Owner,
    ) -> Result<Vec<Option<JobRecord>>, SpoolError> {
        SqliteSpool::remove_jobs(self, ids, owner)
    }

    fn claim(
        &mut self,
        ids: &[JobId],
        now: Timestamp,
    ) -> Result<Vec<(JobRecord, RunId)>, SpoolError> {
        SqliteSpool::claim(self, ids, now)
    }

    fn unclaim(&mut self, claimed: &[(JobRecord, RunId)]) -> Result<(), SpoolError> {
        SqliteSpool::unclaim(self, claimed)
    }

    fn unclaim_cron_runs(&mut self, runs: &[RunId]) -> Result<(), SpoolError> {
        SqliteSpool::unclaim_cron_runs(self, runs)
    }

    fn drop_unreached_cron_runs(&mut self) -> Result<Vec<RunId>, SpoolError> {
        SqliteSpool::drop_unreached_cron_runs(self)
    }

    fn lose_run(
        &mut self,
        run: RunId,
        now: Timestamp,
        output: &Output,
    ) -> Result<(Option<RunRecord>, Option<JobRecord>), SpoolError> {
        SqliteSpool::lose_run(self, run, now, output)
    }

    fn requeue_job(&mut self, job: &JobRecord) -> Result<(), SpoolError> {
        SqliteSpool::requeue_job(self, job)
    }

    fn record_occurrences(
        &mut self,
        occurrences: &[Occurrence],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        SqliteSpool::record_occurrences(self, occurrences, handled)
    }

    fn last_handled(&self) -> Result<Option<Timestamp>, SpoolError> {
        SqliteSpool::last_handled(self)
    }

    fn set_last_handled(&mut self, at: Timestamp) -> Result<(), SpoolError> {
        SqliteSpool::set_last_handled(self, at)
    }

    fn save_cron_retry(&mut self, retry: &CronRetry) -> Result<(), SpoolError> {
        SqliteSpool::save_cron_retry(self, retry)
    }

    fn drop_cron_retry(&mut self, origin: &str, scheduled: Timestamp) -> Result<bool, SpoolError> {
        SqliteSpool::drop_cron_retry(self, origin, scheduled)
    }

    fn cron_retries(&self) -> Result<Vec<CronRetry>, SpoolError> {
        SqliteSpool::cron_retries(self)
    }

    fn set_started(
        &mut self,
        started: &[(RunId, u32, Timestamp)],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        SqliteSpool::set_started(self, started, handled)
    }

    fn start_cron_runs(
        &mut self,
        runs: &[CronRun],
        now: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolError> {
        SqliteSpool::start_cron_runs(self, runs, now)
    }

    fn set_cron_runs_kept(&mut self, kept: u32) {
        SqliteSpool::set_cron_runs_kept(self, kept);
    }

    fn note_run(&mut self, run: RunId, note: &str) -> Result<(), SpoolError> {
        SqliteSpool::note_run(self, run, note)
    }

    fn finish_run(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError> {
        SqliteSpool::finish_run(self, run, finished, outcome, output)
    }

    fn finish_runs(&mut self, ends: &[RunEnd]) -> Vec<Result<(), SpoolError>> {
        SqliteSpool::finish_runs(self, ends)
    }

    fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        SqliteSpool::runs(self, owner, job, limit)
    }

    fn runs_of_origin(
        &self,
        owner: Owner,
        origin: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        SqliteSpool::runs_of_origin(self, owner, origin, limit)
    }

    fn entry_health(
        &self,
        owner: Owner,
        origins: &[String],
    ) -> Result<Vec<EntryHealth>, SpoolError> {
        SqliteSpool::entry_health(self, owner, origins)
    }

    fn runs_in_progress(&self, owner: Owner) -> Result<Vec<RunRecord>, SpoolError> {
        SqliteSpool::runs_in_progress(self, owner)
    }

    fn running_runs(&self) -> Result<Vec<RunId>, SpoolError> {
        SqliteSpool::running_runs(self)
    }

    fn entry_controls(&self) -> Result<Vec<EntryControl>, SpoolError> {
        SqliteSpool::entry_controls(self)
    }

    fn set_entry_controls(&mut self, controls: &[EntryControl]) -> Result<(), SpoolError> {
        SqliteSpool::set_entry_controls(self, controls)
    }

    fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolError> {
        SqliteSpool::crontab(self, uid)
    }

    fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError> {
        SqliteSpool::crontabs(self)
    }

    fn install_crontab(
        &mut self,
        uid: Uid,
        name: Option<&str>,
        text: &str,
        now: Timestamp,
        replace_any: bool,
    ) -> Result<CrontabInstall, SpoolError> {
        SqliteSpool::install_crontab(self, uid, name, text, now, replace_any)
    }

    fn remove_crontab(&mut self, uid: Uid, only_of: Option<&str>) -> Result<bool, SpoolError> {
        SqliteSpool::remove_crontab(self, uid, only_of)
    }

    fn uids_without_owner_name(&self) -> Result<Vec<Uid>, SpoolError> {
        SqliteSpool::uids_without_owner_name(self)
    }

    fn adopt_owner_name(&mut self, uid: Uid, name: &str) -> Result<(), SpoolError> {
        SqliteSpool::adopt_owner_name(self, uid, name)
    }

    fn state(&self, key: &str) -> Result<Option<String>, SpoolError> {
        SqliteSpool::state(self, key)
    }

    fn swap_state(&mut self, key: &str, value: &str) -> Result<Option<String>, SpoolError> {
        SqliteSpool::swap_state(self, key, value)
    }
}
