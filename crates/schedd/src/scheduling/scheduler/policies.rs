//! The scheduler carrying out each job's policy: the engine
//! (`sched_engine::policy`) decides, this records and does it — random
//! delays, starting deadlines, overlap (skip, queue, replace), timeouts,
//! retries, superseded retries, and catch-up after a downtime.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use nix::sys::signal::Signal;
use sched_cron::policy::{Policy, PolicySpec, human};
use sched_engine::Key;
use sched_engine::policy::{
    AfterRun, Ending, OnDue, SkipReason, after_run, catch_up, entry_seed, in_time, job_seed,
    on_due, start_instant,
};
use sched_spool::{CronRetry, JobRecord, Outcome, RunId, RunKind, Uid};

use super::Scheduler;
use super::tracking::{CronRunInfo, JobRunInfo, Occurrence, StopStage, Tracking, Waiting};
use crate::cron::CronJob;
use crate::running::executor::{RunFinished, Started};

/// What becomes of an occurrence that is due.
#[derive(Debug)]
pub(super) enum Verdict {
    /// Start it now; its history notes `note`.
    Start(Occurrence, Option<String>),
    /// It did not run: recorded with this outcome.
    Record(sched_spool::Occurrence),
    /// Nothing now (it waits: random delay, queue; or its line is gone).
    Later,
}

/// The monotonic clock reading `duration` after `at`.
fn later(at: SignedDuration, duration: Duration) -> SignedDuration {
    SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| at.checked_add(d))
        .unwrap_or(SignedDuration::MAX)
}

/// The record of an occurrence of `job` that did not run.
fn not_run(job: &CronJob, occurrence: Occurrence, now: Timestamp, outcome: Outcome) -> Verdict {
    Verdict::Record(record_of(job, occurrence, now, outcome))
}

/// The history row of an occurrence of `job` that did not run.
fn record_of(
    job: &CronJob,
    occurrence: Occurrence,
    now: Timestamp,
    outcome: Outcome,
) -> sched_spool::Occurrence {
    sched_spool::Occurrence {
        kind: RunKind::Cron,
        job_id: None,
        owner_uid: Uid(job.user.uid),
        owner_name: Some(job.user.name.to_string()),
        command: job.command.to_string(),
        origin: Some(job.origin()),
        due: occurrence.scheduled,
        attempt: occurrence.attempt,
        at: now,
        outcome,
        host_local: job.host_local(),
    }
}

impl Scheduler {
    /// The policy entry `job` runs under: its own over the daemon's
    /// defaults.
    pub(super) fn policy_of(&self, job: &CronJob) -> Policy {
        job.policy.over(&self.settings.policy)
    }

    /// What becomes of `occurrence`, due now. `delayed`: its random delay
    /// is already over. `manual`: started with `sched run`, paused or not,
    /// leaving the retries of earlier occurrences alone.
    pub(super) fn decide(
        &mut self,
        occurrence: Occurrence,
        now: Timestamp,
        delayed: bool,
        manual: bool,
    ) -> (Verdict, Vec<sched_spool::Occurrence>) {
        let mut records = Vec::new();
        let Some(job) = self.cron.get(occurrence.key) else {
            return (Verdict::Later, records);
        };
        if !manual && let Some(why) = self.held_back(&job, occurrence) {
            return (
                not_run(&job, occurrence, now, Outcome::Skipped(why)),
                records,
            );
        }
        let policy = self.policy_of(&job);
        let seed = entry_seed(job.user.uid, &job.command, &job.stdin);
        if occurrence.attempt == 1 && !delayed && !policy.jitter.is_zero() {
            let start = start_instant(policy.jitter, seed, occurrence.scheduled);
            if start > now {
                self.tracking.delayed.insert((start, occurrence));
                return (Verdict::Later, records);
            }
        }
        if occurrence.attempt == 1 && !manual {
            // A retry of an earlier occurrence still waiting is dropped.
            for (at, retry) in self.tracking.take_retries_of(occurrence.key) {
                records.push(superseded(&job, retry, at, occurrence.scheduled, now));
                self.forget_saved_retry(&job, retry);
            }
        }
        // The starting deadline is the occurrence's: its retries start
        // later by design.
        if occurrence.attempt == 1 && !in_time(policy.deadline, occurrence.scheduled, now) {
            let late = now.duration_since(occurrence.scheduled);
            let deadline = policy.deadline.map(human).unwrap_or_default();
            return (
                not_run(
                    &job,
                    occurrence,
                    now,
                    Outcome::Missed(format!(
                        "it could not start within its starting deadline of {deadline} ({:.0} s late)",
                        late.as_secs_f64()
                    )),
                ),
                records,
            );
        }
        let entry = self.tracking.entry(occurrence.key);
        let running = entry.running.first().copied();
        if running.is_none() {
            // Occurrences waiting for a run that never started (the start
            // failed): they are not left blocking the entry.
            for stale in entry.waiting.drain(..).collect::<Vec<_>>() {
                records.push(record_of(
                    &job,
                    stale.occurrence,
                    now,
                    Outcome::Missed("the run it waited for could not start".to_owned()),
                ));
            }
        }
        let entry = self.tracking.entry(occurrence.key);
        let waiting = !entry.waiting.is_empty();
        let run_name = running.map_or_else(String::new, |run| format!("run r{run}"));
        let verdict = match on_due(policy.overlap, running.is_some(), waiting) {
            OnDue::Start => Verdict::Start(occurrence, None),
            OnDue::Skip(SkipReason::StillRunning) => not_run(
                &job,
                occurrence,
                now,
                Outcome::Skipped(format!(
                    "{run_name} of an earlier occurrence still runs (overlap skip)"
                )),
            ),
            OnDue::Skip(SkipReason::OneWaiting) => not_run(
                &job,
                occurrence,
                now,
                Outcome::Skipped(format!(
                    "an earlier occurrence already waits for {run_name} to end (overlap queue)"
                )),
            ),
            OnDue::Queue => {
                entry.waiting.push_back(Waiting {
                    occurrence,
                    note: format!("queued: waited for {run_name} to end (overlap queue)"),
                });
                tracing::info!(origin = %job.origin(), "occurrence queued behind {run_name}");
                Verdict::Later
            }
            OnDue::Replace => {
                let dropped: Vec<Waiting> = entry.waiting.drain(..).collect();
                entry.waiting.push_back(Waiting {
                    occurrence,
                    note: format!("replaced {run_name} (overlap replace)"),
                });
                let runs = entry.running.clone();
                for waiting in dropped {
                    records.push(record_of(
                        &job,
                        waiting.occurrence,
                        now,
                        Outcome::Skipped(format!(
                            "replaced before it started by the occurrence due at {} (overlap replace)",
                            occurrence.scheduled
                        )),
                    ));
                }
                for run in runs {
                    self.stop_replaced(run, occurrence.scheduled, &policy, now);
                }
                Verdict::Later
            }
        };
        (verdict, records)
    }

    /// Stops run `run`, replaced by the occurrence due at `by`: SIGTERM
    /// now, SIGKILL after the grace.
    fn stop_replaced(&mut self, run: RunId, by: Timestamp, policy: &Policy, now: Timestamp) {
        let running = &self.executor.running;
        running.note(
            run,
            format!(
                "stopped at {now}: replaced by the occurrence due at {by} (overlap replace): SIGTERM, then SIGKILL after {}",
                human(policy.kill_grace)
            ),
        );
        self.tracking.replaced.insert(run);
        if running.signal(run, Signal::SIGTERM) {
            tracing::info!(run = run.0, "replaced: SIGTERM sent");
            let kill_at = later(self.clock.monotonic(), policy.kill_grace);
            self.tracking.stop_at(run, kill_at, StopStage::Kill);
        }
    }

    /// Sends the signals due at `now`: SIGTERM to runs past their timeout
    /// (SIGKILL follows after the grace), SIGKILL to those still running
    /// after it.
    pub(super) fn send_due_stops(&mut self, now: Timestamp) {
        let monotonic = self.clock.monotonic();
        for (run, stage) in self.tracking.take_stops(monotonic) {
            let running = &self.executor.running;
            match stage {
                StopStage::Timeout => {
                    let grace = self
                        .policy_of_run(run)
                        .map_or(sched_cron::policy::DEFAULT_KILL_GRACE, |p| p.kill_grace);
                    // Marked first: the process may end as soon as it is
                    // signalled.
                    running.timed_out(run, now);
                    if running.signal(run, Signal::SIGTERM) {
                        tracing::info!(run = run.0, "timed out: SIGTERM sent");
                        self.tracking
                            .stop_at(run, later(monotonic, grace), StopStage::Kill);
                    } else {
                        // It had already ended: not a timeout.
                        running.take_timed_out(run);
                    }
                }
                StopStage::Kill => {
                    if running.signal(run, Signal::SIGKILL) {
                        tracing::info!(run = run.0, "still running after the grace: SIGKILL sent");
                    }
                }
            }
        }
    }

    fn policy_of_run(&self, run: RunId) -> Option<Policy> {
        self.tracking
            .cron_runs
            .get(&run)
            .map(|info| info.policy)
            .or_else(|| self.tracking.job_runs.get(&run).map(|info| info.policy))
    }

    /// Remembers runs just started: their entry's runs in progress, and
    /// their timeouts.
    pub(super) fn track_started(&mut self, started: &[Started]) {
        // Just after the forks: a timeout counts from here.
        let monotonic = self.clock.monotonic();
        for run in started {
            let Some(policy) = self.policy_of_run(run.run) else {
                continue;
            };
            if let Some(info) = self.tracking.cron_runs.get(&run.run) {
                let key = info.occurrence.key;
                self.tracking.entry(key).running.push(run.run);
            }
            if let Some(timeout) = policy.timeout {
                self.tracking
                    .stop_at(run.run, later(monotonic, timeout), StopStage::Timeout);
            }
        }
    }

    /// What a crontab entry's run about to start needs kept.
    pub(super) fn cron_run_info(&self, job: &CronJob, occurrence: Occurrence) -> CronRunInfo {
        CronRunInfo {
            occurrence,
            policy: self.policy_of(job),
            seed: entry_seed(job.user.uid, &job.command, &job.stdin),
            origin: job.origin(),
            command: job.command.to_string(),
            owner_uid: job.user.uid,
        }
    }

    /// The policy of a one-shot job: as submitted, over the defaults. A
    /// text the daemon cannot read (written by a later version) counts as
    /// none, and says so.
    pub(super) fn job_policy(&self, record: &JobRecord) -> Policy {
        match PolicySpec::parse(&record.job.policy) {
            Ok(spec) => spec.over(&self.settings.policy),
            Err(error) => {
                tracing::warn!(
                    job = record.id.0,
                    "cannot read the job's policy {:?} ({error}): the defaults apply",
                    record.job.policy
                );
                self.settings.policy
            }
        }
    }

    /// Remembers a one-shot job's run about to start.
    pub(super) fn track_job_run(&mut self, run: RunId, record: JobRecord) {
        let policy = self.job_policy(&record);
        self.tracking
            .job_runs
            .insert(run, JobRunInfo { record, policy });
    }

    /// Carries out what follows the end of run `run`: a retry, a
    /// superseded retry, the next occurrence waiting for it.
    pub(super) async fn after_run_ended(&mut self, finished: RunFinished) {
        let RunFinished {
            run,
            outcome,
            output,
        } = finished;
        let outcome = &outcome;
        let now = self.clock.now();
        let ending = match outcome {
            Outcome::Exited(0) => Ending::Succeeded,
            Outcome::Lost => Ending::Lost,
            // Stopped by the daemon for a newer occurrence: not a failure.
            _ if self.tracking.replaced.remove(&run) => Ending::Succeeded,
            _ => Ending::Failed,
        };
        self.tracking.replaced.remove(&run);
        if let Some(info) = self.tracking.cron_runs.remove(&run) {
            self.tracking.run_ended(info.occurrence.key, run);
            if outcome.succeeded() {
                self.note_success(&info.origin, now);
            }
            let occurrence = info.occurrence;
            let (origin, command) = (info.origin.clone(), info.command.clone());
            if self.after_cron_run(run, info, ending, now).await
                && let Some(job) = self
                    .cron
                    .get(occurrence.key)
                    .filter(|job| job.origin() == origin && *job.command == *command)
            {
                self.cron_failed(
                    &job,
                    occurrence.scheduled,
                    occurrence.attempt,
                    Some(run),
                    outcome,
                    output,
                );
            }
        } else if let Some(info) = self.tracking.job_runs.remove(&run) {
            self.tracking.cancel_stop(run);
            let record = info.record.clone();
            if self.after_job_run(info, ending, now).await {
                self.job_failed(&record, Some(run), outcome, output);
            }
        }
    }

    /// What follows a crontab line's run: a retry, or none. True when the
    /// run failed for good (no retry follows).
    async fn after_cron_run(
        &mut self,
        run: RunId,
        info: CronRunInfo,
        ending: Ending,
        now: Timestamp,
    ) -> bool {
        let occurrence = info.occurrence;
        // The line still holds this job (a reload may have changed it).
        let job = self
            .cron
            .get(occurrence.key)
            .filter(|job| job.origin() == info.origin && *job.command == *info.command);
        let next = job.as_ref().and_then(|_| self.cron.next_of(occurrence.key));
        let verdict = after_run(
            &info.policy,
            occurrence.attempt,
            ending,
            now,
            info.seed,
            next,
        );
        let failed_for_good =
            ending != Ending::Succeeded && !matches!(verdict, AfterRun::Retry { .. });
        match verdict {
            AfterRun::Done => {}
            AfterRun::GaveUp { attempts } => {
                tracing::warn!(run = run.0, origin = %info.origin, attempts, "failed; no retry left");
            }
            AfterRun::Retry { attempt, at } => {
                if job.is_some() {
                    let retry = Occurrence {
                        attempt,
                        ..occurrence
                    };
                    self.tracking.retries.insert((at, retry));
                    let saved = CronRetry {
                        origin: info.origin.clone(),
                        command: info.command.clone(),
                        owner_uid: Uid(info.owner_uid),
                        scheduled: occurrence.scheduled,
                        attempt,
                        at,
                    };
                    tracing::info!(run = run.0, origin = %info.origin, attempt, %at, "failed; retry scheduled");
                    self.executor.metrics.retry("cron");
                    if let Err(error) = self.spool.save_cron_retry(saved).await {
                        tracing::warn!(
                            "cannot keep the retry in the spool (it is lost if the daemon stops first): {error}"
                        );
                    }
                }
            }
            AfterRun::Superseded { next } => {
                if let Some(job) = &job {
                    let retry = Occurrence {
                        attempt: occurrence.attempt + 1,
                        ..occurrence
                    };
                    let record = superseded(job, retry, now, next, now);
                    self.record(vec![record], None).await;
                }
            }
        }
        self.start_waiting(occurrence.key, now).await;
        failed_for_good
    }

    /// What follows a one-shot job's run: a retry, or none. True when the
    /// run failed for good.
    async fn after_job_run(&mut self, info: JobRunInfo, ending: Ending, now: Timestamp) -> bool {
        let record = info.record;
        let attempt = record.job.attempt;
        let verdict = after_run(
            &info.policy,
            attempt,
            ending,
            now,
            job_seed(record.id.0),
            None,
        );
        let failed_for_good =
            ending != Ending::Succeeded && !matches!(verdict, AfterRun::Retry { .. });
        match verdict {
            AfterRun::Retry { attempt, at } => {
                let retry = record.retry(attempt, at);
                match self.spool.requeue_job(retry.clone()).await {
                    Ok(()) => {
                        tracing::info!(job = record.id.0, attempt, %at, "failed; retry scheduled");
                        self.executor
                            .metrics
                            .retry(crate::metrics::kind_label(record.job.kind.into()));
                        self.add(retry.id, at, retry.job.kind, retry.job.queue);
                    }
                    Err(error) => tracing::error!(
                        job = record.id.0,
                        "cannot queue the job's retry; it is not retried: {error}"
                    ),
                }
            }
            AfterRun::GaveUp { attempts } => {
                tracing::warn!(job = record.id.0, attempts, "failed; no retry left");
            }
            AfterRun::Done | AfterRun::Superseded { .. } => {}
        }
        failed_for_good
    }

    /// Starts the occurrence of entry `key` waiting for its runs to end,
    /// once none runs.
    async fn start_waiting(&mut self, key: Key, now: Timestamp) {
        let Some(entry) = self.tracking.entries.get_mut(&key) else {
            return;
        };
        if !entry.running.is_empty() {
            return;
        }
        let Some(waiting) = entry.waiting.pop_front() else {
            return;
        };
        let Some(job) = self.cron.get(key) else {
            self.tracking.entries.remove(&key);
            return;
        };
        let policy = self.policy_of(&job);
        if waiting.occurrence.attempt == 1
            && !in_time(policy.deadline, waiting.occurrence.scheduled, now)
        {
            let deadline = policy.deadline.map(human).unwrap_or_default();
            let record = record_of(
                &job,
                waiting.occurrence,
                now,
                Outcome::Missed(format!(
                    "it waited past its starting deadline of {deadline} ({})",
                    waiting.note
                )),
            );
            self.record(vec![record], None).await;
            // The next one waiting, if any, gets its turn.
            Box::pin(self.start_waiting(key, now)).await;
            return;
        }
        let mut records = Vec::new();
        if waiting.occurrence.attempt == 1 {
            // A retry of an earlier occurrence still waiting is dropped.
            for (at, retry) in self.tracking.take_retries_of(key) {
                records.push(superseded(
                    &job,
                    retry,
                    at,
                    waiting.occurrence.scheduled,
                    now,
                ));
                self.forget_saved_retry(&job, retry);
            }
        }
        self.record(records, None).await;
        self.start_cron(vec![(waiting.occurrence, Some(waiting.note))], now, false)
            .await;
    }

    /// Records occurrences that did not run; `handled` as the last instant
    /// fully handled.
    pub(super) async fn record(
        &mut self,
        records: Vec<sched_spool::Occurrence>,
        handled: Option<Timestamp>,
    ) {
        if records.is_empty() {
            return;
        }
        for record in &records {
            tracing::info!(origin = ?record.origin, due = %record.due, outcome = ?record.outcome, "occurrence not run");
            self.executor
                .metrics
                .not_run(crate::metrics::kind_label(record.kind), &record.outcome);
        }
        self.missed(&records);
        if let Err(error) = self.spool.record_occurrences(records, handled).await {
            tracing::error!("cannot record occurrences that did not run: {error}");
        }
    }

    /// Drops the spool's copy of a retry that will not run.
    fn forget_saved_retry(&self, job: &CronJob, retry: Occurrence) {
        let spool = self.spool.clone();
        let origin = job.origin();
        tokio::spawn(async move {
            if let Err(error) = spool.drop_cron_retry(origin, retry.scheduled).await {
                tracing::warn!("cannot drop a retry from the spool: {error}");
            }
        });
    }

    /// Decides each of `occurrences`, due now, and carries the verdicts
    /// out: the ones to start are started together, the ones that do not
    /// run recorded, with `now` as the last instant handled.
    pub(super) async fn start_occurrences(
        &mut self,
        occurrences: Vec<Occurrence>,
        now: Timestamp,
        delayed: bool,
    ) {
        let mut to_start = Vec::new();
        let mut records = Vec::new();
        for occurrence in occurrences {
            let (verdict, mut more) = self.decide(occurrence, now, delayed, false);
            records.append(&mut more);
            match verdict {
                Verdict::Start(occurrence, note) => to_start.push((occurrence, note)),
                Verdict::Record(record) => records.push(record),
                Verdict::Later => {}
            }
        }
        self.record(records, Some(now)).await;
        if !to_start.is_empty() {
            self.start_cron(to_start, now, false).await;
        }
    }

    /// Starts the retries and delayed occurrences due at `now`.
    pub(super) async fn start_policy_due(&mut self, now: Timestamp) {
        self.send_due_stops(now);
        let mut due = Tracking::take_due(&mut self.tracking.delayed, now);
        let retries = Tracking::take_due(&mut self.tracking.retries, now);
        for &retry in &retries {
            if let Some(job) = self.cron.get(retry.key) {
                self.forget_saved_retry(&job, retry);
            }
        }
        due.extend(retries);
        // Both have waited already: no random delay again.
        self.start_occurrences(due, now, true).await;
    }

    /// Takes back the retries of crontab lines a previous daemon left in
    /// the spool: each whose line still holds its command waits for its
    /// instant again; the others are dropped.
    pub async fn restore_cron_retries(&mut self) {
        let retries = match self.spool.cron_retries().await {
            Ok(retries) => retries,
            Err(error) => {
                tracing::error!("cannot read the retries kept in the spool: {error}");
                return;
            }
        };
        self.take_cron_retries(retries).await;
    }

    /// Takes over crontab retries kept in the spool (at start, or a gone
    /// host's): each waits for its instant, unless its line changed or
    /// the line's next occurrence came first.
    pub async fn take_cron_retries(&mut self, retries: Vec<sched_spool::CronRetry>) {
        for retry in retries {
            let key = self
                .cron
                .keys_of(|user| user.uid == retry.owner_uid.0)
                .find(|&key| {
                    self.cron.get(key).is_some_and(|job| {
                        job.origin() == retry.origin && *job.command == *retry.command
                    })
                });
            // The entry's next occurrence after the one retried came while
            // the daemon was down: the retry is superseded, as it would
            // have been had the daemon run.
            let next = key
                .and_then(|key| self.cron.get(key))
                .and_then(|job| job.schedule.next_after(&job.zone, retry.scheduled))
                .filter(|&next| next <= self.clock.now());
            if let (Some(key), Some(next)) = (key, next)
                && let Some(job) = self.cron.get(key)
            {
                let occurrence = Occurrence {
                    key,
                    scheduled: retry.scheduled,
                    attempt: retry.attempt,
                };
                let now = self.clock.now();
                self.record(
                    vec![superseded(&job, occurrence, retry.at, next, now)],
                    None,
                )
                .await;
                if let Err(error) = self
                    .spool
                    .drop_cron_retry(retry.origin, retry.scheduled)
                    .await
                {
                    tracing::warn!("cannot drop a retry from the spool: {error}");
                }
                continue;
            }
            match key {
                Some(key) => {
                    self.tracking.retries.insert((
                        retry.at,
                        Occurrence {
                            key,
                            scheduled: retry.scheduled,
                            attempt: retry.attempt,
                        },
                    ));
                }
                None => {
                    tracing::info!(origin = %retry.origin, "a retry kept in the spool is dropped: its crontab line changed");
                    if let Err(error) = self
                        .spool
                        .drop_cron_retry(retry.origin, retry.scheduled)
                        .await
                    {
                        tracing::warn!("cannot drop a retry from the spool: {error}");
                    }
                }
            }
        }
    }

    /// Retries the runs of crontab lines the previous daemon lost, where
    /// the line (still holding the same command) retries lost runs and has
    /// attempts left.
    pub(super) async fn retry_lost(&mut self, lost: Vec<sched_spool::RunRecord>) {
        let now = self.clock.now();
        for run in lost {
            let Some(origin) = run.origin.clone() else {
                continue;
            };
            let found = self
                .cron
                .keys_of(|user| user.uid == run.owner_uid.0)
                .find_map(|key| {
                    let job = self.cron.get(key)?;
                    (job.origin() == origin && *job.command == *run.command).then_some((key, job))
                });
            let Some((key, job)) = found else {
                continue;
            };
            let occurrence = Occurrence {
                key,
                scheduled: run.due,
                attempt: run.attempt,
            };
            let info = self.cron_run_info(&job, occurrence);
            if self.after_cron_run(run.id, info, Ending::Lost, now).await {
                self.cron_failed(
                    &job,
                    run.due,
                    run.attempt,
                    Some(run.id),
                    &sched_spool::Outcome::Lost,
                    run.output.clone(),
                );
            }
        }
    }

    /// After a downtime (the spool's last instant handled is before now):
    /// records each entry's missed occurrences, and runs those its
    /// catch-up policy asks for, oldest first, one after another.
    pub async fn catch_up(&mut self) {
        let last = match self.spool.last_handled().await {
            Ok(Some(last)) => last,
            Ok(None) => return,
            Err(error) => {
                tracing::error!("cannot read when the daemon last ran: {error}");
                return;
            }
        };
        // In a fleet, the other hosts ran the fleet's lines while this
        // one was down: those missed nothing before the latest instant any
        // host handled (and their old claims may be pruned by now).
        let fleet_last = match self.spool.fleet_handled().await {
            Ok(handled) => handled.flatten(),
            Err(error) => {
                tracing::error!("cannot read when the fleet last ran: {error}");
                return;
            }
        };
        let now = self.clock.now();
        if last >= now {
            return;
        }
        let mut records = Vec::new();
        let mut to_start = Vec::new();
        let mut missed_entries = 0;
        let keys: Vec<Key> = self.cron.keys_of(|_| true).collect();
        for key in keys {
            // Most entries missed nothing: one look at the schedule each.
            if !self.cron.missed_between(key, last, now) {
                continue;
            }
            let Some(job) = self.cron.get(key) else {
                continue;
            };
            let last = match fleet_last {
                Some(fleet_last) if !job.host_local() && fleet_last > last => {
                    if fleet_last >= now || !self.cron.missed_between(key, fleet_last, now) {
                        continue;
                    }
                    fleet_last
                }
                _ => last,
            };
            let policy = self.policy_of(&job);
            // The planner runs the entry from its next instant on: the
            // downtime ends just before it.
            let until = match self.cron.next_of(key) {
                Some(next) if next <= now => next
                    .checked_sub(SignedDuration::from_nanos(1))
                    .unwrap_or(next),
                _ => now,
            };
            let plan = catch_up(&job.schedule, &job.zone, last, until, &policy);
            missed_entries += 1;
            let counted = plan.recorded.len() as u64;
            for (index, &instant) in plan.recorded.iter().enumerate() {
                if plan.run.contains(&instant) {
                    continue;
                }
                let mut reason = format!("the daemon was not running (from {last} to {now})");
                if index + 1 == plan.recorded.len() && plan.missed > counted {
                    reason.push_str(&format!(
                        "; {} occurrences missed in all, the last {counted} recorded",
                        plan.missed
                    ));
                }
                let occurrence = Occurrence {
                    key,
                    scheduled: instant,
                    attempt: 1,
                };
                records.push(record_of(&job, occurrence, now, Outcome::Missed(reason)));
            }
            let mut runs = plan.run.into_iter().map(|scheduled| Occurrence {
                key,
                scheduled,
                attempt: 1,
            });
            if let Some(first) = runs.next() {
                let note = format!(
                    "caught up after the downtime (catch-up {})",
                    policy.catch_up
                );
                to_start.push((first, Some(note.clone())));
                let entry = self.tracking.entry(key);
                entry.waiting.extend(runs.map(|occurrence| Waiting {
                    occurrence,
                    note: note.clone(),
                }));
            }
        }
        if missed_entries > 0 {
            tracing::warn!(
                entries = missed_entries,
                since = %last,
                "crontab entries missed occurrences while the daemon was not running"
            );
        }
        self.record(records, Some(now)).await;
        if !to_start.is_empty() {
            self.start_cron(to_start, now, false).await;
        }
    }

    /// The overlap policy as the listing shows it, when it is not cron's.
    pub(super) fn describe_policy(&self, job: &Arc<CronJob>) -> Option<String> {
        let policy = self.policy_of(job);
        (!policy.is_default()).then(|| policy.to_string())
    }

    /// When an occurrence due at `instant` really starts (its random
    /// delay).
    pub(super) fn start_of(&self, job: &CronJob, instant: Timestamp) -> Timestamp {
        let policy = self.policy_of(job);
        start_instant(
            policy.jitter,
            entry_seed(job.user.uid, &job.command, &job.stdin),
            instant,
        )
    }
}

/// The record of a retry dropped for the next occurrence, due at `next`.
fn superseded(
    job: &CronJob,
    retry: Occurrence,
    retry_at: Timestamp,
    next: Timestamp,
    now: Timestamp,
) -> sched_spool::Occurrence {
    record_of(
        job,
        retry,
        now,
        Outcome::Superseded(format!(
            "the retry (attempt {}, at {retry_at}) would not start before the next occurrence, due at {next}",
            retry.attempt
        )),
    )
}
