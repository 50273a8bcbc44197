//! What owners and root ask of crontab lines and pending jobs: `sched run`
//! (a manual run now, under the line's or job's policy), `sched pause` and
//! `sched resume` (each occurrence meanwhile is recorded skipped), and
//! `sched skip -n N`.
//!
//! Pauses and skips are kept in the spool by the entry's identity
//! ([`CronJob::identity`]: its source and meaning, not its line number),
//! so a line moved by an edit keeps them, a restart finds them again, and
//! every host of a fleet holds back the same occurrences. A skip is kept as
//! the instant of the Nth occurrence skipped, never as a count that each
//! host would spend on its own.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use sched_engine::Key;
use sched_proto::ControlAction;
use sched_spool::{ControlMark, EntryControl, JobId, Owner, Uid};

use super::Scheduler;
use super::policies::Verdict;
use super::tracking::Occurrence;
use crate::cron::{CronJob, RunAs};
use crate::running::executor::Task;
use crate::scheduling::event::{
    ControlError, ControlRequest, ControlTarget, PAUSED_BY, SKIPPED_BY,
};

/// The most occurrences one `sched skip` may skip.
pub const MAX_SKIP: u32 = 10_000;

/// The entry controls in force, by entry identity: the spool's, as last
/// read or written.
#[derive(Debug, Default)]
pub(super) struct Controls {
    by_entry: HashMap<String, EntryControl>,
}

impl Controls {
    /// Replaces every control with `controls` (read from the spool).
    pub fn replace(&mut self, controls: Vec<EntryControl>) {
        self.by_entry = controls
            .into_iter()
            .map(|control| (control.entry.clone(), control))
            .collect();
    }

    fn get(&self, entry: &str) -> Option<&EntryControl> {
        self.by_entry.get(entry)
    }

    /// The control kept for `job`, if any.
    pub fn of(&self, job: &CronJob) -> Option<&EntryControl> {
        if self.by_entry.is_empty() {
            return None;
        }
        self.by_entry.get(&job.identity())
    }

    fn set(&mut self, control: EntryControl) {
        if control.is_empty() {
            self.by_entry.remove(&control.entry);
        } else {
            self.by_entry.insert(control.entry.clone(), control);
        }
    }

    /// The paused lines `owner` may see, by name, as `LINE: paused by WHO
    /// at INSTANT` (the line as last named).
    pub fn paused_of(&self, owner: &Owner) -> Vec<String> {
        let mut paused: Vec<String> = self
            .by_entry
            .values()
            .filter(|control| match owner {
                Owner::Any => true,
                Owner::Uid(uid) | Owner::Account { uid, .. } => control.owner_uid == *uid,
            })
            .filter_map(|control| {
                let mark = control.paused.as_ref()?;
                Some(format!(
                    "{}: {PAUSED_BY}{} at {}",
                    control.origin, mark.by, mark.at
                ))
            })
            .collect();
        paused.sort();
        paused
    }

    /// Why the occurrence of `job` due at `scheduled` (attempt `attempt`)
    /// is held back, if it is: paused (every attempt), or skipped (first
    /// attempts up to the instant kept).
    pub fn holds(&self, job: &CronJob, scheduled: Timestamp, attempt: u32) -> Option<String> {
        if self.by_entry.is_empty() {
            return None;
        }
        held_by(self.by_entry.get(&job.identity())?, scheduled, attempt)
    }
}

/// Why `control` holds back the occurrence due at `scheduled`, if it does.
fn held_by(control: &EntryControl, scheduled: Timestamp, attempt: u32) -> Option<String> {
    if let Some(mark) = &control.paused {
        return Some(format!(
            "{PAUSED_BY}{} at {} (sched pause; sched resume lets it run again)",
            mark.by, mark.at
        ));
    }
    match &control.skip_through {
        Some((through, mark)) if attempt == 1 && scheduled <= *through => Some(format!(
            "{SKIPPED_BY}{} (sched skip at {})",
            mark.by, mark.at
        )),
        _ => None,
    }
}

/// A crontab line as control replies name it: its origin and the first
/// line of its command.
fn describe(job: &CronJob) -> String {
    let command = job.command.lines().next().unwrap_or_default();
    format!("{} ({command})", job.origin())
}

impl Scheduler {
    /// Reads the controls kept in the spool (at start, and in a fleet
    /// whenever another host changed them).
    pub(super) async fn load_controls(&mut self) {
        match self.spool.entry_controls().await {
            Ok(controls) => self.controls.replace(controls),
            Err(error) => tracing::error!(
                "cannot read the paused and skipped crontab lines: {error}; none is held back"
            ),
        }
    }

    /// Why the occurrence `occurrence` of `job` is held back by a pause or
    /// a skip, as its history records it. A skip kept that is over is
    /// dropped on the way.
    pub(super) fn held_back(&mut self, job: &CronJob, occurrence: Occurrence) -> Option<String> {
        let why = self
            .controls
            .holds(job, occurrence.scheduled, occurrence.attempt);
        if why.is_none() && occurrence.attempt == 1 && !self.controls.by_entry.is_empty() {
            self.drop_skip_over(job, occurrence.scheduled);
        }
        why
    }

    /// Drops the skip of `job` once an occurrence past it is due.
    fn drop_skip_over(&mut self, job: &CronJob, scheduled: Timestamp) {
        let identity = job.identity();
        let Some(control) = self.controls.get(&identity) else {
            return;
        };
        if !matches!(&control.skip_through, Some((through, _)) if *through < scheduled) {
            return;
        }
        let control = EntryControl {
            skip_through: None,
            ..control.clone()
        };
        self.controls.set(control.clone());
        let spool = self.spool.clone();
        tokio::spawn(async move {
            if let Err(error) = spool.set_entry_controls(vec![control]).await {
                tracing::warn!("cannot drop a skip that is over from the spool: {error}");
            }
        });
    }

    /// Carries out a control request.
    pub(super) async fn control(
        &mut self,
        request: ControlRequest,
    ) -> Result<Vec<String>, ControlError> {
        let now = self.clock.now();
        match (request.action, &request.target) {
            (ControlAction::Run, ControlTarget::Job(id)) => {
                self.run_job_now(*id, &request, now).await
            }
            (ControlAction::Run, ControlTarget::Entry(_)) => {
                let (key, job) = self.one_entry(&request)?;
                self.run_entry_now(key, &job, &request.by, now).await
            }
            (ControlAction::Run, ControlTarget::All) => Err(ControlError::Invalid(
                "sched run starts one crontab line or job at a time".to_owned(),
            )),
            (_, ControlTarget::Job(id)) => Err(ControlError::Invalid(format!(
                "job {id} is a one-shot job: pause, resume and skip act on crontab lines (remove a pending job with `sched rm {id}`)"
            ))),
            (ControlAction::Skip { .. }, ControlTarget::All) => Err(ControlError::Invalid(
                "sched skip acts on one crontab line at a time".to_owned(),
            )),
            (ControlAction::Skip { count }, ControlTarget::Entry(_)) => {
                let (key, job) = self.one_entry(&request)?;
                self.skip(key, &job, count, &request.by, now).await
            }
            (ControlAction::Pause, _) => self.pause_or_resume(&request, true, now).await,
            (ControlAction::Resume, _) => self.pause_or_resume(&request, false, now).await,
        }
    }

    /// The loaded crontab lines `request` names that its caller may act
    /// on: their own users' crontab lines, and for root every line
    /// (system crontab lines are root's to control, whoever they run as).
    fn entries_named(&self, request: &ControlRequest) -> Vec<(Key, Arc<CronJob>)> {
        let owner = &request.owner;
        let root = matches!(owner, Owner::Any);
        let visible = |user: &RunAs| owner.matches(Uid(user.uid), Some(&user.name));
        self.cron
            .keys_of(visible)
            .filter_map(|key| {
                let job = self.cron.get(key)?;
                if job.host_local() && !root {
                    return None;
                }
                let named = match &request.target {
                    ControlTarget::Entry(origin) => job.origin() == *origin,
                    ControlTarget::All => true,
                    ControlTarget::Job(_) => false,
                };
                named.then_some((key, job))
            })
            .collect()
    }

    /// The one crontab line `request` names.
    fn one_entry(&self, request: &ControlRequest) -> Result<(Key, Arc<CronJob>), ControlError> {
        self.entries_named(request)
            .into_iter()
            .next()
            .ok_or_else(|| not_found(&request.target))
    }

    /// The control kept for `job`, or an empty one.
    fn control_of(&self, job: &CronJob) -> EntryControl {
        let identity = job.identity();
        let mut control = self
            .controls
            .get(&identity)
            .cloned()
            .unwrap_or(EntryControl {
                entry: identity,
                origin: String::new(),
                owner_uid: Uid(job.user.uid),
                host_local: job.host_local(),
                paused: None,
                skip_through: None,
            });
        control.origin = job.origin();
        control
    }

    /// Keeps `changed` in the spool, then in force; nothing changes when
    /// the spool refuses.
    async fn keep(&mut self, changed: Vec<EntryControl>) -> Result<(), ControlError> {
        if changed.is_empty() {
            return Ok(());
        }
        self.spool
            .set_entry_controls(changed.clone())
            .await
            .map_err(|error| {
                ControlError::Failed(format!(
                    "cannot keep it in the spool ({error}): nothing changed"
                ))
            })?;
        for control in changed {
            self.controls.set(control);
        }
        Ok(())
    }

    async fn pause_or_resume(
        &mut self,
        request: &ControlRequest,
        pause: bool,
        now: Timestamp,
    ) -> Result<Vec<String>, ControlError> {
        let entries = self.entries_named(request);
        if entries.is_empty() {
            return Err(not_found(&request.target));
        }
        let mut changed = Vec::new();
        let mut done = Vec::with_capacity(entries.len());
        for (_, job) in entries {
            let mut control = self.control_of(&job);
            let what = describe(&job);
            if pause {
                if let Some(mark) = &control.paused {
                    done.push(format!(
                        "{what}: already paused by {} at {}",
                        mark.by, mark.at
                    ));
                    continue;
                }
                control.paused = Some(ControlMark {
                    by: request.by.clone(),
                    at: now,
                });
                done.push(format!("{what}: paused"));
            } else {
                if control.is_empty() {
                    done.push(format!("{what}: not paused"));
                    continue;
                }
                control.paused = None;
                control.skip_through = None;
                done.push(format!("{what}: resumed"));
            }
            changed.push(control);
        }
        self.keep(changed).await?;
        for line in &done {
            tracing::info!(by = %request.by, "{line}");
        }
        Ok(done)
    }

    /// Skips the next `count` occurrences of `job` (after those already
    /// skipped: skips add up).
    async fn skip(
        &mut self,
        key: Key,
        job: &CronJob,
        count: u32,
        by: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, ControlError> {
        let what = describe(job);
        if count == 0 || count > MAX_SKIP {
            return Err(ControlError::Invalid(format!(
                "-n {count}: the number of occurrences to skip is from 1 to {MAX_SKIP}"
            )));
        }
        let mut control = self.control_of(job);
        let no_next = || {
            ControlError::Invalid(format!(
                "{what} has no next occurrence to skip (@reboot runs only when the system boots)"
            ))
        };
        let mut at = self.cron.next_of(key).ok_or_else(no_next)?;
        if let Some((through, _)) = &control.skip_through {
            while at <= *through {
                at = job.schedule.next_after(&job.zone, at).ok_or_else(no_next)?;
            }
        }
        let mut skipped = vec![at];
        while skipped.len() < count as usize {
            match job.schedule.next_after(&job.zone, at) {
                Some(next) => {
                    at = next;
                    skipped.push(at);
                }
                None => break,
            }
        }
        control.skip_through = Some((
            at,
            ControlMark {
                by: by.to_owned(),
                at: now,
            },
        ));
        self.keep(vec![control]).await?;
        tracing::info!(origin = %job.origin(), by, through = %at, "occurrences skipped on request");
        let shown: Vec<String> = skipped.iter().take(5).map(Timestamp::to_string).collect();
        let more = match skipped.len() {
            0..=5 => String::new(),
            n => format!(" and {} more, through {at}", n - 5),
        };
        Ok(vec![format!(
            "{what}: skipping {} occurrence{}: {}{more}",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
            shown.join(", ")
        )])
    }

    /// Starts an occurrence of `job` now, outside its schedule: due now,
    /// under its policy (overlap, timeout, retry), paused or not.
    async fn run_entry_now(
        &mut self,
        key: Key,
        job: &CronJob,
        by: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, ControlError> {
        let what = describe(job);
        let occurrence = Occurrence {
            key,
            scheduled: now,
            attempt: 1,
        };
        let (verdict, records) = self.decide(occurrence, now, true, true);
        self.record(records, None).await;
        let note = format!("a manual run, started by {by} with `sched run`");
        match verdict {
            Verdict::Start(occurrence, extra) => {
                let note = match extra {
                    Some(extra) => format!("{note}; {extra}"),
                    None => note,
                };
                let started = self
                    .start_cron(vec![(occurrence, Some(note))], now, true)
                    .await;
                match started.first() {
                    Some(run) => Ok(vec![format!("{what}: started run r{run}")]),
                    None => Err(ControlError::Failed(format!(
                        "{what}: could not start: see `sched logs --line {}`",
                        job.origin()
                    ))),
                }
            }
            Verdict::Record(record) => {
                let why = match &record.outcome {
                    sched_spool::Outcome::Skipped(why)
                    | sched_spool::Outcome::Missed(why)
                    | sched_spool::Outcome::Superseded(why) => why.clone(),
                    other => format!("{other:?}"),
                };
                self.record(vec![record], None).await;
                Err(ControlError::Invalid(format!("{what}: not started: {why}")))
            }
            Verdict::Later => Ok(vec![format!(
                "{what}: waits for its run in progress to end (its overlap policy), then starts"
            )]),
        }
    }

    /// Starts pending job `id` now instead of at its instant: a manual
    /// run, under its policy.
    async fn run_job_now(
        &mut self,
        id: JobId,
        request: &ControlRequest,
        now: Timestamp,
    ) -> Result<Vec<String>, ControlError> {
        let failed = |error: crate::storage::SpoolCallError| {
            ControlError::Failed(format!("cannot read the spool: {error}"))
        };
        let Some(record) = self
            .spool
            .job(id, request.owner.clone())
            .await
            .map_err(failed)?
        else {
            return Err(ControlError::NotFound(format!(
                "no pending job {id} of yours: see `sched ls`"
            )));
        };
        let (due, kind) = (record.job.due, record.job.kind);
        self.one_shots.remove(id.0, due, super::kind_of(kind));
        let claimed = self.claim(&[(due, id.0)], kind, now).await;
        let claimed = self.refuse_strangers(claimed, now).await;
        let Some((mut job, run)) = claimed.into_iter().next() else {
            return Err(ControlError::NotFound(format!(
                "job {id} is no longer pending here: it has just started, was removed, or is left to another host"
            )));
        };
        // Due now: the job sees this instant as SCHED_SCHEDULED_AT.
        job.job.due = now;
        job.job.scheduled = None;
        job.job
            .env
            .retain(|(name, _)| name != crate::running::executor::REASON);
        job.job.env.push((
            crate::running::executor::REASON.to_owned(),
            "manual".to_owned(),
        ));
        self.executor.running.note(
            run,
            format!("a manual run, started by {} with `sched run`", request.by),
        );
        self.track_job_run(run, job.clone());
        match self.executor.start(Task::Job(job), run).await {
            Some(started) => {
                self.one_shots.started(1);
                self.track_started(std::slice::from_ref(&started));
                self.executor.record_started(vec![started], None).await;
                Ok(vec![format!("job {id}: started run r{run}")])
            }
            None => {
                self.tracking.job_runs.remove(&run);
                self.executor.running.take_note(run);
                Err(ControlError::Failed(format!(
                    "job {id} could not start: see `sched logs {id}`"
                )))
            }
        }
    }
}

/// The refusal for a target naming nothing of the caller's.
fn not_found(target: &ControlTarget) -> ControlError {
    ControlError::NotFound(match target {
        ControlTarget::Entry(origin) => {
            format!("no crontab line {origin} of yours is loaded: see `sched next` or `crontab -l`")
        }
        ControlTarget::All => "you have no crontab lines loaded".to_owned(),
        ControlTarget::Job(id) => format!("no pending job {id} of yours: see `sched ls`"),
    })
}
