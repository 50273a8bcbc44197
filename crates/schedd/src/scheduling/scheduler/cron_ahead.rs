//! Crontab occurrences made ready ahead of their instant, as at jobs are:
//! [`ARM_AHEAD`] before the next instant any line is due, the lines due
//! then are claimed in one spool transaction, their owners looked up and
//! their output files opened, so that at the instant only the forks are
//! left (the claim and the lookups made up most of a burst's dispatch
//! latency).
//!
//! Making ready decides nothing: at the instant the planner and the
//! policies decide as they always do, and a run made ready is used only
//! for an occurrence they start (same line, same instant, first attempt,
//! the line unchanged). Whatever was made ready and is not used then (the
//! line was paused, removed or edited, the clock was set back, a run of
//! the line still runs) is given back: its run is deleted unstarted, so
//! that its occurrence can be claimed again, and its output file removed.
//! After a change of the crontabs that close to the instant, its lines
//! are claimed at the instant, as without this module.
//! A daemon that dies before the instant leaves its runs unstarted and
//! due after the last instant it handled: the next one drops them
//! (`Store::drop_unreached_cron_runs`), and its catch-up finds the
//! occurrences missed, not lost.
//!
//! Only with a spool of the host's own: in a fleet a line is claimed at
//! its instant, so that another host runs what this one cannot.

use std::collections::HashMap;

use jiff::Timestamp;
use sched_engine::Key;
use sched_engine::one_shots::{ARM_AHEAD, later};
use sched_spool::{CronRun, RunId};

use super::Scheduler;
use super::tracking::Occurrence;
use crate::cron::CronJob;
use crate::running::executor::{Ready, Task};
use sched_runas::ResolvedUser;

/// The most crontab runs made ready at once: each holds its output file
/// (and its standard input's) open until it starts; the lines of a larger
/// burst beyond these start at the instant without being made ready.
pub(super) const CRON_ARM_LIMIT: usize = 128;

/// The runs made ready for the next instant crontab lines are due.
#[derive(Debug, Default)]
pub(super) struct CronAhead {
    /// The instant they were made ready for (also when none could be).
    at: Option<Timestamp>,
    /// By line: the line's identity when made ready, and its run.
    made: HashMap<Key, (String, Made)>,
    /// The crontabs changed since: what was made ready is given back.
    stale: bool,
}

/// A line's run made ready ahead, or recorded failed while it was.
#[derive(Debug)]
pub(super) enum Made {
    Ready(Box<Ready>),
    Failed,
}

impl CronAhead {
    /// A crontab was loaded or removed: what was made ready may no longer
    /// be what the lines say.
    pub(super) fn crontabs_changed(&mut self) {
        self.stale = true;
    }
}

impl Scheduler {
    /// When the scheduler must wake to make the next instant's crontab
    /// runs ready, if that is still to be done.
    pub(super) fn cron_ahead_wake(&self, now: Timestamp) -> Option<Timestamp> {
        if self.fleet_host.is_some() {
            return None;
        }
        let due = self.cron.next_wake()?;
        if due <= now || (self.cron_ahead.at == Some(due) && !self.cron_ahead.stale) {
            return None;
        }
        Some(due.checked_sub(ARM_AHEAD).map_or(now, |arm| arm.max(now)))
    }

    /// Gives back what was made ready for an instant that is not the next
    /// one any more or no longer within [`ARM_AHEAD`], or before the
    /// crontabs changed, then makes the lines due at the next instant
    /// ready if it is within [`ARM_AHEAD`].
    pub(super) async fn make_cron_ready(&mut self, now: Timestamp) {
        // The instant alone first: the lines due then are looked up only
        // when they are to be made ready (this runs at every turn of the
        // scheduler's loop).
        let next_at = self.cron.next_wake();
        // Still for the next instant, and that instant still close (the
        // clock set back leaves a fixed-time line's next instant alone).
        let current = !self.cron_ahead.stale
            && self.cron_ahead.at == next_at
            && next_at.is_some_and(|at| at > now && at <= later(now, ARM_AHEAD));
        let changed = self.cron_ahead.stale;
        if !current {
            self.give_back_cron_ready().await;
        }
        let Some(due) = next_at else {
            return;
        };
        // The crontabs changed within ARM_AHEAD of the instant: its lines
        // start as claimed at the instant. Made ready again, a reading of
        // many files arriving file by file would claim and give back the
        // same runs once per file.
        if changed && due > now && due <= later(now, ARM_AHEAD) {
            self.cron_ahead.at = Some(due);
            return;
        }
        // In a fleet the claim at the instant is what makes another host
        // run an occurrence this one cannot: claimed 200 ms ahead, a
        // crash, stall or clock step of this host meanwhile would lose it
        // for every host.
        if self.fleet_host.is_some() {
            return;
        }
        if due <= now || due > later(now, ARM_AHEAD) || self.cron_ahead.at == Some(due) {
            return;
        }
        self.cron_ahead.at = Some(due);
        let Some((_, keys)) = self.cron.first_due() else {
            return;
        };
        // Only lines that would start as they stand: a paused or skipped
        // line, one with a random delay, or one with a run in progress is
        // left to the instant.
        let jobs: Vec<(Key, std::sync::Arc<CronJob>)> =
            keys.into_iter()
                .filter_map(|key| Some((key, self.cron.get(key)?)))
                .filter(|(key, job)| {
                    self.policy_of(job).jitter.is_zero()
                        && self.controls.holds(job, due, 1).is_none()
                        && self.tracking.entries.get(key).is_none_or(|entry| {
                            entry.running.is_empty() && entry.waiting.is_empty()
                        })
                })
                .take(CRON_ARM_LIMIT)
                .collect();
        if jobs.is_empty() {
            return;
        }
        // A line whose owner is gone is left to the instant, which records
        // it failed as ever.
        let tasks: Vec<(Key, Task)> = jobs
            .into_iter()
            .map(|(key, job)| {
                let task = Task::Cron {
                    job,
                    scheduled: due,
                    attempt: 1,
                    manual: false,
                };
                (key, task)
            })
            .collect();
        let owners = self
            .executor
            .look_up_owners(tasks.iter().map(|(_, task)| task))
            .await;
        let owned: Vec<(Key, Task, ResolvedUser)> = tasks
            .into_iter()
            .zip(owners)
            .filter_map(|((key, task), owner)| Some((key, task, owner.ok()?)))
            .collect();
        let runs: Vec<CronRun> = owned
            .iter()
            .filter_map(|(_, task, _)| match task {
                Task::Cron { job, .. } => Some(Self::cron_run(job, due, 1, false)),
                Task::Job(_) => None,
            })
            .collect();
        if runs.is_empty() {
            return;
        }
        let ids = match self.spool.start_cron_runs(runs, now).await {
            Ok(ids) => ids,
            Err(error) => {
                // Nothing lost: the lines start at the instant, claimed then.
                tracing::debug!(
                    runs = owned.len(),
                    "crontab runs not made ready ahead: {error}"
                );
                return;
            }
        };
        for ((key, task, user), run) in owned.into_iter().zip(ids) {
            // Claimed by another host of the fleet: it is not made ready
            // here, and the instant finds it claimed again.
            let Some(run) = run else { continue };
            let identity = match &task {
                Task::Cron { job, .. } => job.identity(),
                Task::Job(_) => continue,
            };
            let made = match self.executor.prepare_as(task, run, user).await {
                Some(ready) => Made::Ready(Box::new(ready)),
                // Recorded failed by the executor (its output file could
                // not be opened): the occurrence's outcome, which the
                // instant does not record again.
                None => Made::Failed,
            };
            self.cron_ahead.made.insert(key, (identity, made));
        }
    }

    /// The run made ready for `occurrence` of `job`, if one was: the same
    /// line unchanged, its first attempt, due at the instant made ready for.
    pub(super) fn take_cron_ready(
        &mut self,
        occurrence: Occurrence,
        job: &CronJob,
    ) -> Option<Made> {
        if occurrence.attempt != 1
            || self.cron_ahead.stale
            || self.cron_ahead.at != Some(occurrence.scheduled)
        {
            return None;
        }
        let (identity, _) = self.cron_ahead.made.get(&occurrence.key)?;
        if *identity != job.identity() {
            return None;
        }
        self.cron_ahead
            .made
            .remove(&occurrence.key)
            .map(|(_, made)| made)
    }

    /// Gives back every run made ready and not started: deleted unstarted
    /// in the spool, their output files removed.
    pub(super) async fn give_back_cron_ready(&mut self) {
        self.cron_ahead.at = None;
        self.cron_ahead.stale = false;
        let ready: Vec<Ready> = self
            .cron_ahead
            .made
            .drain()
            .filter_map(|(_, (_, made))| match made {
                Made::Ready(ready) => Some(*ready),
                Made::Failed => None,
            })
            .collect();
        if ready.is_empty() {
            return;
        }
        let runs: Vec<RunId> = ready.iter().map(|ready| ready.run).collect();
        match self.spool.unclaim_cron_runs(runs).await {
            Ok(()) => tracing::debug!(
                runs = ready.len(),
                "crontab runs made ready and not started are given back"
            ),
            // Left as unstarted runs: the next daemon records them lost.
            Err(error) => tracing::error!(
                runs = ready.len(),
                "cannot give back crontab runs made ready and not started: {error}"
            ),
        }
        for ready in ready {
            self.executor.abandon(ready);
        }
    }

    /// The spool's record of a run of `job`'s occurrence at `due`.
    pub(super) fn cron_run(job: &CronJob, due: Timestamp, attempt: u32, manual: bool) -> CronRun {
        CronRun {
            owner_uid: sched_spool::Uid(job.user.uid),
            owner_name: Some(job.user.name.to_string()),
            command: job.command.to_string(),
            origin: job.origin(),
            due,
            attempt,
            // Each host boots on its own: @reboot is each host's; a
            // manual run is the host's that was asked.
            host_local: job.host_local() || job.schedule.is_reboot() || manual,
        }
    }
}
