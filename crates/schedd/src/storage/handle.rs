//! [`SpoolHandle`]: the daemon's way to its spool. Each method is one
//! named operation of the [`Store`], run on the spool thread in turn with
//! everyone else's (submissions and run ends grouped, see
//! [`thread`](super::thread)); nothing outside this module sees the store
//! itself.

use std::ops::ControlFlow;
use std::sync::mpsc;

use jiff::Timestamp;
use sched_spool::{
    CronRun, CrontabInstall, DueJob, Fleet, JobId, JobRecord, Lease, NewJob, Outcome, Output,
    Owner, PendingJob, RunEnd, RunId, RunRecord, SpoolError, Store, StoredCrontab, TakenOver, Uid,
};
use tokio::sync::oneshot;

use super::thread::{Call, Party, Work, serve};

/// A cheap handle to the spool thread.
#[derive(Clone, Debug)]
pub struct SpoolHandle {
    sender: mpsc::Sender<Work>,
    party: Party,
}

/// The spool thread is gone (the daemon is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the spool thread has stopped")]
pub struct SpoolGone;

/// A failure of a spool call: the spool's own error, or no spool thread.
#[derive(Debug, thiserror::Error)]
pub enum SpoolCallError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Gone(#[from] SpoolGone),
}

/// Ids of claimed runs, with the job each runs.
pub type Claims = Vec<(JobRecord, RunId)>;

impl SpoolHandle {
    /// Starts the thread that owns `store`. It ends when every handle is
    /// dropped, after finishing the work already sent, or when a call
    /// panics; the receiver returned completes then.
    pub fn start(store: Box<dyn Store>) -> std::io::Result<(SpoolHandle, oneshot::Receiver<()>)> {
        let (sender, receiver) = mpsc::channel();
        let (alive, ended) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("spool".to_owned())
            .spawn(move || {
                // Dropped when the thread ends, however it ends.
                let _alive = alive;
                serve(store, receiver);
            })?;
        Ok((
            SpoolHandle {
                sender,
                party: Party::Daemon,
            },
            ended,
        ))
    }

    /// A handle for the fleet's heartbeat, whose calls are served before
    /// any other call and any group of run ends, after at most the commit
    /// of submissions in progress (they are few and short: a lease must be
    /// renewed on time whatever the daemon's backlog).
    pub fn for_lease(&self) -> SpoolHandle {
        SpoolHandle {
            sender: self.sender.clone(),
            party: Party::Lease,
        }
    }

    /// A handle whose calls are served as `uid`'s, in turn with every
    /// other party's.
    pub fn for_uid(&self, uid: u32) -> SpoolHandle {
        SpoolHandle {
            sender: self.sender.clone(),
            party: Party::Uid(uid),
        }
    }

    /// Runs `f` on the spool thread and returns its result.
    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> Result<R, SpoolError> + Send + 'static,
    ) -> Result<R, SpoolCallError> {
        let party = self.party;
        self.request(move |reply| {
            let call: Call = Box::new(move |store| {
                // The caller may have gone away; its answer is then unneeded.
                let _ = reply.send(f(store));
            });
            Work::Call(party, call)
        })
        .await
    }

    /// Sends the work `make` builds around a reply channel, and waits for
    /// the answer.
    async fn request<R>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<R, SpoolError>>) -> Work,
    ) -> Result<R, SpoolCallError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(make(reply)).map_err(|_| SpoolGone)?;
        Ok(answer.await.map_err(|_| SpoolGone)??)
    }

    /// Queues one job durably and returns its id. Submissions waiting
    /// together are written in one transaction (group commit).
    pub async fn insert(&self, job: NewJob) -> Result<JobId, SpoolCallError> {
        self.request(|reply| Work::Insert(job, reply)).await
    }

    /// Folds `visit` over the pending jobs `owner` may see, starting from
    /// `state`, on the spool thread: a listing encodes each row as the
    /// scan reads it, without copying it first. `visit` must not block
    /// (no account lookups): it holds up the thread that claims due jobs.
    pub async fn fold_pending<S: Send + 'static>(
        &self,
        owner: Owner,
        state: S,
        mut visit: impl FnMut(&mut S, PendingJob<'_>) -> ControlFlow<()> + Send + 'static,
    ) -> Result<S, SpoolCallError> {
        self.call(move |store| {
            let mut state = state;
            store.for_each_pending(owner, &mut |job| visit(&mut state, job))?;
            Ok(state)
        })
        .await
    }

    /// [`fold_pending`](Self::fold_pending), and then the runs in
    /// progress `owner` may see, in the same turn of the spool thread: a
    /// listing shows a job either pending or running, never neither.
    pub async fn fold_pending_then_running<S: Send + 'static>(
        &self,
        owner: Owner,
        state: S,
        mut visit: impl FnMut(&mut S, PendingJob<'_>) -> ControlFlow<()> + Send + 'static,
    ) -> Result<(S, Vec<RunRecord>), SpoolCallError> {
        self.call(move |store| {
            let mut state = state;
            store.for_each_pending(owner.clone(), &mut |job| visit(&mut state, job))?;
            Ok((state, store.runs_in_progress(owner)?))
        })
        .await
    }

    /// Removes the jobs `ids` `owner` may remove (see
    /// [`Store::remove_jobs`]) and, in the same turn of the spool thread,
    /// says which of the others are running now.
    pub async fn remove_jobs_noting_running(
        &self,
        ids: Vec<JobId>,
        owner: Owner,
    ) -> Result<(Vec<Option<JobRecord>>, Vec<JobId>), SpoolCallError> {
        self.call(move |store| {
            let removed = store.remove_jobs(&ids, owner.clone())?;
            let running = if removed.iter().all(Option::is_some) {
                Vec::new()
            } else {
                store
                    .runs_in_progress(owner)?
                    .into_iter()
                    .filter_map(|run| run.job_id)
                    .collect()
            };
            Ok((removed, running))
        })
        .await
    }

    /// The run in progress `owner` may see that `matches`, or else, when
    /// `job` is given, that job's instant if it is still pending: in one
    /// turn of the spool thread.
    pub async fn run_in_progress_or_pending(
        &self,
        owner: Owner,
        matches: impl Fn(&RunRecord) -> bool + Send + 'static,
        job: Option<JobId>,
    ) -> Result<(Option<RunRecord>, Option<Timestamp>), SpoolCallError> {
        self.call(move |store| {
            let run = store
                .runs_in_progress(owner.clone())?
                .into_iter()
                .find(|run| matches(run));
            let pending = match (&run, job) {
                (None, Some(id)) => store.job(id, owner)?.map(|job| job.job.due),
                _ => None,
            };
            Ok((run, pending))
        })
        .await
    }

    /// See [`Store::pending_owner_uids`].
    pub async fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolCallError> {
        self.call(move |store| store.pending_owner_uids(owner))
            .await
    }

    /// See [`Store::job`].
    pub async fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolCallError> {
        self.call(move |store| store.job(id, owner)).await
    }

    /// See [`Store::claim`].
    pub async fn claim(&self, ids: Vec<JobId>, now: Timestamp) -> Result<Claims, SpoolCallError> {
        self.call(move |store| store.claim(&ids, now)).await
    }

    /// See [`Store::unclaim`].
    pub async fn unclaim(&self, claims: Claims) -> Result<(), SpoolCallError> {
        self.call(move |store| store.unclaim(&claims)).await
    }

    /// See [`Store::unclaim_cron_runs`].
    pub async fn unclaim_cron_runs(&self, runs: Vec<RunId>) -> Result<(), SpoolCallError> {
        self.call(move |store| store.unclaim_cron_runs(&runs)).await
    }

    /// See [`Store::drop_unreached_cron_runs`].
    pub async fn drop_unreached_cron_runs(&self) -> Result<Vec<RunId>, SpoolCallError> {
        self.call(|store| store.drop_unreached_cron_runs()).await
    }

    /// See [`Store::lose_run`].
    pub async fn lose_run(
        &self,
        run: RunId,
        now: Timestamp,
        output: Output,
    ) -> Result<(Option<sched_spool::RunRecord>, Option<JobRecord>), SpoolCallError> {
        self.call(move |store| store.lose_run(run, now, &output))
            .await
    }

    /// See [`Store::requeue_job`].
    pub async fn requeue_job(&self, job: JobRecord) -> Result<(), SpoolCallError> {
        self.call(move |store| store.requeue_job(&job)).await
    }

    /// See [`Store::record_occurrences`].
    pub async fn record_occurrences(
        &self,
        occurrences: Vec<sched_spool::Occurrence>,
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolCallError> {
        self.call(move |store| store.record_occurrences(&occurrences, handled))
            .await
    }

    /// See [`Store::last_handled`].
    pub async fn last_handled(&self) -> Result<Option<Timestamp>, SpoolCallError> {
        self.call(|store| store.last_handled()).await
    }

    /// See [`Store::set_last_handled`].
    pub async fn set_last_handled(&self, at: Timestamp) -> Result<(), SpoolCallError> {
        self.call(move |store| store.set_last_handled(at)).await
    }

    /// See [`Store::save_cron_retry`].
    pub async fn save_cron_retry(
        &self,
        retry: sched_spool::CronRetry,
    ) -> Result<(), SpoolCallError> {
        self.call(move |store| store.save_cron_retry(&retry)).await
    }

    /// See [`Store::drop_cron_retry`].
    pub async fn drop_cron_retry(
        &self,
        origin: String,
        scheduled: Timestamp,
    ) -> Result<bool, SpoolCallError> {
        self.call(move |store| store.drop_cron_retry(&origin, scheduled))
            .await
    }

    /// See [`Store::cron_retries`].
    pub async fn cron_retries(&self) -> Result<Vec<sched_spool::CronRetry>, SpoolCallError> {
        self.call(|store| store.cron_retries()).await
    }

    /// See [`Store::entry_controls`].
    pub async fn entry_controls(&self) -> Result<Vec<sched_spool::EntryControl>, SpoolCallError> {
        self.call(|store| store.entry_controls()).await
    }

    /// See [`Store::set_entry_controls`].
    pub async fn set_entry_controls(
        &self,
        controls: Vec<sched_spool::EntryControl>,
    ) -> Result<(), SpoolCallError> {
        self.call(move |store| store.set_entry_controls(&controls))
            .await
    }

    /// See [`Store::set_started`].
    pub async fn set_started(
        &self,
        started: Vec<(RunId, u32, Timestamp)>,
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolCallError> {
        self.call(move |store| store.set_started(&started, handled))
            .await
    }

    /// See [`Store::start_cron_runs`].
    pub async fn start_cron_runs(
        &self,
        runs: Vec<CronRun>,
        now: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolCallError> {
        self.call(move |store| store.start_cron_runs(&runs, now))
            .await
    }

    /// See [`Store::set_cron_runs_kept`].
    pub async fn set_cron_runs_kept(&self, kept: u32) -> Result<(), SpoolCallError> {
        self.call(move |store| {
            store.set_cron_runs_kept(kept);
            Ok(())
        })
        .await
    }

    /// See [`Store::note_run`].
    pub async fn note_run(&self, run: RunId, note: String) -> Result<(), SpoolCallError> {
        self.call(move |store| store.note_run(run, &note)).await
    }

    /// See [`Store::finish_run`]. Ends waiting together are recorded
    /// together ([`Store::finish_runs`]).
    pub async fn finish_run(
        &self,
        run: RunId,
        finished: Timestamp,
        outcome: Outcome,
        output: Output,
    ) -> Result<(), SpoolCallError> {
        let end = RunEnd {
            run,
            finished,
            outcome,
            output,
        };
        self.request(|reply| Work::Finish(end, reply)).await
    }

    /// See [`Store::runs`].
    pub async fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolCallError> {
        self.call(move |store| store.runs(owner, job, limit)).await
    }

    /// See [`Store::entry_health`].
    pub async fn entry_health(
        &self,
        owner: Owner,
        origins: Vec<String>,
    ) -> Result<Vec<sched_spool::EntryHealth>, SpoolCallError> {
        self.call(move |store| store.entry_health(owner, &origins))
            .await
    }

    /// See [`Store::runs_of_origin`].
    pub async fn runs_of_origin(
        &self,
        owner: Owner,
        origin: String,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolCallError> {
        self.call(move |store| store.runs_of_origin(owner, &origin, limit))
            .await
    }

    /// See [`Store::running_runs`].
    pub async fn running_runs(&self) -> Result<Vec<RunId>, SpoolCallError> {
        self.call(|store| store.running_runs()).await
    }

    /// See [`Store::crontab`].
    pub async fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolCallError> {
        self.call(move |store| store.crontab(uid)).await
    }

    /// See [`Store::crontabs`].
    pub async fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolCallError> {
        self.call(|store| store.crontabs()).await
    }

    /// See [`Store::install_crontab`]. `then` runs on the spool thread
    /// right after an installation, so that whoever it tells (the
    /// scheduler) hears of installations in the order they were written.
    pub async fn install_crontab(
        &self,
        uid: Uid,
        name: Option<String>,
        text: String,
        now: Timestamp,
        replace_any: bool,
        then: impl FnOnce() + Send + 'static,
    ) -> Result<CrontabInstall, SpoolCallError> {
        self.call(move |store| {
            let installed = store.install_crontab(uid, name.as_deref(), &text, now, replace_any)?;
            if installed == CrontabInstall::Installed {
                then();
            }
            Ok(installed)
        })
        .await
    }

    /// See [`Store::remove_crontab`]. `then` runs on the spool thread right
    /// after a removal, in order with installations.
    pub async fn remove_crontab(
        &self,
        uid: Uid,
        only_of: Option<String>,
        then: impl FnOnce() + Send + 'static,
    ) -> Result<bool, SpoolCallError> {
        self.call(move |store| {
            let removed = store.remove_crontab(uid, only_of.as_deref())?;
            if removed {
                then();
            }
            Ok(removed)
        })
        .await
    }

    /// See [`Store::swap_state`].
    pub async fn swap_state(
        &self,
        key: String,
        value: String,
    ) -> Result<Option<String>, SpoolCallError> {
        self.call(move |store| store.swap_state(&key, &value)).await
    }

    /// Runs `f` with the spool's fleet operations; `Ok(None)` when the
    /// spool is a host's own, with no fleet.
    async fn fleet_call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Fleet) -> Result<R, SpoolError> + Send + 'static,
    ) -> Result<Option<R>, SpoolCallError> {
        self.call(move |store| store.fleet().map(f).transpose())
            .await
    }

    /// See [`Fleet::host`]: this daemon's name in the fleet, if the spool
    /// is shared.
    pub async fn fleet_host(&self) -> Result<Option<String>, SpoolCallError> {
        self.fleet_call(|fleet| Ok(fleet.host().to_owned())).await
    }

    /// See [`Fleet::renew_lease`].
    pub async fn renew_lease(&self) -> Result<Option<Lease>, SpoolCallError> {
        self.fleet_call(|fleet| fleet.renew_lease()).await
    }

    /// See [`Fleet::take_over`].
    pub async fn take_over(&self) -> Result<Option<TakenOver>, SpoolCallError> {
        self.fleet_call(|fleet| fleet.take_over()).await
    }

    /// See [`Fleet::jobs_due_by`].
    pub async fn jobs_due_by(
        &self,
        until: Timestamp,
    ) -> Result<Option<Vec<DueJob>>, SpoolCallError> {
        self.fleet_call(move |fleet| fleet.jobs_due_by(until)).await
    }

    /// See [`Fleet::fleet_handled`].
    pub async fn fleet_handled(&self) -> Result<Option<Option<Timestamp>>, SpoolCallError> {
        self.fleet_call(|fleet| fleet.fleet_handled()).await
    }

    /// See [`Fleet::crontabs_version`].
    pub async fn crontabs_version(&self) -> Result<Option<i64>, SpoolCallError> {
        self.fleet_call(|fleet| fleet.crontabs_version()).await
    }
}

/// A spool call of the running daemon that failed: the spool's own error,
/// or its thread gone (a part stopped).
impl From<SpoolCallError> for crate::error::DaemonError {
    fn from(error: SpoolCallError) -> crate::error::DaemonError {
        match error {
            SpoolCallError::Spool(error) => crate::error::DaemonError::Spool(error),
            gone => crate::error::DaemonError::Stopped(gone.into()),
        }
    }
}
