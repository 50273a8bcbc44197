//! The scheduler: one sleep until the earliest due instant, and nothing
//! else. It reacts to one closed set of [`Event`]s and to its timer, so
//! every reason it wakes is listed there.
//!
//! It decides nothing about time itself: the one-shot queue
//! ([`OneShots`]) and the crontab planner (`sched_engine::Planner`, in the
//! [`CronTable`]) hold every rule for instants, late wake-ups and clock
//! changes, as pure values tested in `sched-engine`. The scheduler reads
//! the clock, asks them what is due, and does it: claims in the spool,
//! forks through the executor, gives claims back.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;
use sched_engine::one_shots::{self, ARM_AHEAD, Kind, OneShots, later};
use sched_engine::{Key, Wakeup};
use sched_spool::{CronRun, JobId, JobKind, Owner, RunId};
use tokio::sync::{mpsc, oneshot, watch};

mod controls;
mod cron_ahead;
mod failures;
mod health;
mod policies;
mod strangers;
mod tracking;

use super::event::{Event, ListingState, SystemRow, UpcomingCron};
use crate::clock::{Clock, Timer, Wake};
use crate::config::Live;
use crate::cron::{CronJob, CronTable, Loaded, Source};
use crate::running::executor::{Executor, Ready, Task};
use crate::storage::SpoolHandle;
use tracking::{Occurrence, Tracking};

/// The scheduler's state.
#[derive(Debug)]
pub struct Scheduler {
    clock: Clock,
    /// The scheduler's own handle on the spool: claims, cron runs, and
    /// giving claims back.
    spool: SpoolHandle,
    executor: Executor,
    /// The settings SIGHUP changes, as one value (the batch load limit is
    /// read from here; the executor and the queue get theirs on change).
    settings: Live,
    /// Where the load average is read: /proc/loadavg (tests give a file
    /// of their own).
    loadavg: std::path::PathBuf,
    /// Pending and ready at and batch jobs, and their rules.
    one_shots: OneShots,
    /// What the executor made ready for each ready run.
    prepared: HashMap<RunId, Ready>,
    settle_waiters: Vec<oneshot::Sender<u32>>,
    /// Crontab entries, and when each is next due.
    cron: CronTable,
    /// This is the first daemon since the system booted: @reboot entries
    /// run once the scheduler starts.
    run_reboot_entries: bool,
    /// The system crontab files and lines refused at their last reading.
    system_refused: Vec<sched_proto::Refused>,
    /// What the jobs' policies have the scheduler remember: runs in
    /// progress per entry, occurrences waiting, retries, signals due.
    tracking: Tracking,
    /// Runs of crontab lines the previous daemon lost, to be retried once
    /// the scheduler starts where their line's policy says so.
    lost_cron_runs: Vec<sched_spool::RunRecord>,
    /// This host's name when the spool is a fleet's.
    fleet_host: Option<String>,
    /// The at jobs this host left to others (their owner has no account
    /// here).
    refused: strangers::Refused,
    /// The crontab lines paused or skipped on request.
    controls: controls::Controls,
    /// The runs of crontab lines made ready for their next instant.
    cron_ahead: cron_ahead::CronAhead,
    /// When each crontab source last changed (by its name), and when the
    /// scheduler started: since when a line is known, for the dead-man
    /// rule when its history is empty.
    source_changed: HashMap<String, Timestamp>,
    started_at: Timestamp,
    /// When each crontab line last succeeded here, by origin: kept only
    /// while per-line metrics are on.
    last_success: HashMap<String, Timestamp>,
}

impl Scheduler {
    pub fn new(
        clock: Clock,
        spool: SpoolHandle,
        executor: Executor,
        settings: Live,
        loadavg: std::path::PathBuf,
    ) -> Scheduler {
        let cron = CronTable::new(clock.reading());
        let started_at = clock.now();
        Scheduler {
            clock,
            spool,
            executor,
            one_shots: OneShots::new(settings.batch_interval()),
            settings,
            loadavg,
            prepared: HashMap::new(),
            settle_waiters: Vec::new(),
            cron,
            run_reboot_entries: false,
            system_refused: Vec::new(),
            tracking: Tracking::default(),
            lost_cron_runs: Vec::new(),
            fleet_host: None,
            refused: strangers::Refused::default(),
            controls: controls::Controls::default(),
            cron_ahead: cron_ahead::CronAhead::default(),
            source_changed: HashMap::new(),
            last_success: HashMap::new(),
            started_at,
        }
    }

    /// Runs of crontab lines the previous daemon lost: each is retried
    /// when the scheduler starts if its line's policy retries lost runs.
    pub fn retry_lost_runs(&mut self, runs: Vec<sched_spool::RunRecord>) {
        self.lost_cron_runs = runs;
    }

    /// Runs the @reboot entries when the scheduler starts.
    pub fn run_reboot_entries(&mut self) {
        self.run_reboot_entries = true;
    }

    /// Loads (or reloads) one crontab's entries. Unchanged entries keep
    /// their next instant; new ones are due from now on.
    pub fn load_crontab(&mut self, loaded: Loaded) {
        let now = self.clock.now();
        let source = loaded.source.clone();
        let name = loaded.name.0.clone();
        let changes = self.cron.replace(
            loaded.source,
            loaded.name,
            &loaded.crontab,
            loaded.entries,
            now,
        );
        if changes.added > 0 || changes.removed > 0 {
            self.source_changed(&name, now);
            self.cron_ahead.crontabs_changed();
            tracing::info!(
                source = ?source,
                added = changes.added,
                removed = changes.removed,
                unchanged = changes.kept,
                "crontab loaded"
            );
        }
        self.forget_entries(changes.removed_keys);
    }

    /// Forgets what waits for entries that were removed or changed: their
    /// delayed occurrences, retries and queues (a retry kept in the spool
    /// is dropped at the next start, its line no longer matching). Their
    /// runs in progress go on and are recorded.
    fn forget_entries(&mut self, keys: Vec<Key>) {
        for key in keys {
            self.tracking.forget_entry(key);
        }
    }

    /// Applies a piece of a reading of the system crontabs.
    pub fn load_system_piece(&mut self, piece: crate::cron::SystemPiece) {
        match piece {
            crate::cron::SystemPiece::File { loaded, applied } => {
                self.load_crontab(loaded);
                let _ = applied.send(());
            }
            crate::cron::SystemPiece::End(end) => self.end_system_reading(end),
        }
    }

    /// Ends a reading of the system crontabs whose files were loaded one
    /// by one: system sources not read (removed or refused files) are
    /// dropped.
    pub fn end_system_reading(&mut self, end: crate::cron::SystemEnd) {
        let crate::cron::SystemEnd { present, refused } = end;
        self.system_refused = refused;
        let present: HashSet<Source> = present.into_iter().collect();
        let gone: Vec<Source> = self
            .cron
            .sources()
            .filter(|source| matches!(source, Source::System(_)) && !present.contains(source))
            .cloned()
            .collect();
        for source in gone {
            self.drop_source(&source);
        }
        // The parsed files are dropped: their memory goes back to the system.
        sched_runas::release_free_memory();
        // Refusals are each logged where they happen; counted here only
        // when there are some.
        match self.system_refused.len() {
            0 => tracing::info!(
                files = present.len(),
                cron_entries = self.cron.len(),
                "system crontabs read"
            ),
            refused => tracing::info!(
                files = present.len(),
                refused,
                cron_entries = self.cron.len(),
                "system crontabs read"
            ),
        }
    }

    fn drop_source(&mut self, source: &Source) {
        let removed = self.cron.remove_source(source);
        if !removed.is_empty() {
            self.cron_ahead.crontabs_changed();
            tracing::info!(source = ?source, removed = removed.len(), "crontab unloaded");
        }
        self.forget_entries(removed);
    }

    /// The number of crontab entries loaded.
    pub fn cron_entries(&self) -> usize {
        self.cron.len()
    }

    /// Adds a pending job (from the spool at start, or a submission).
    pub fn add(&mut self, id: JobId, due: Timestamp, kind: JobKind, queue: char) {
        self.one_shots.add(id.0, due, kind_of(kind), queue);
    }

    /// Runs until `shutdown` changes, starting each job when it is due.
    pub async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<Event>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut timer = match Timer::new(self.clock.clone()) {
            Ok(timer) => timer,
            Err(error) => {
                tracing::error!("cannot create the scheduler's timer: {error}");
                return;
            }
        };
        self.fleet_host = match self.spool.fleet_host().await {
            Ok(host) => host,
            Err(error) => {
                tracing::error!("cannot read the spool: {error}");
                return;
            }
        };
        self.load_controls().await;
        self.load_last_successes().await;
        if std::mem::take(&mut self.run_reboot_entries) {
            self.start_reboot_entries().await;
        }
        self.restore_cron_retries().await;
        let lost = std::mem::take(&mut self.lost_cron_runs);
        self.retry_lost(lost).await;
        self.catch_up().await;
        // The last instant whose due work was all done: where a downtime
        // begins if the daemon stops now.
        let mut handled;
        loop {
            let now = self.clock.now();
            self.start_due(now).await;
            handled = now;
            self.publish_state();
            let wake_at = self.next_wake(now);
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                event = events.recv() => match event {
                    Some(event) => self.handle(event).await,
                    None => break,
                },
                woke = timer.sleep_until(wake_at) => match woke {
                    Ok(Wake::Due) => {}
                    Ok(Wake::ClockSet) => tracing::info!("the system clock was set; looking at due jobs again"),
                    Err(error) => {
                        tracing::error!("the scheduler's timer failed: {error}");
                        break;
                    }
                },
            }
        }
        // Jobs made ready but not started are pending again for the next
        // daemon, instead of being lost runs.
        let ready = self.one_shots.take_ready_after(None);
        self.give_back(ready).await;
        self.give_back_cron_ready().await;
        // Everything due until then was handled, but for occurrences still
        // waiting for their random delay or for a run to end: a downtime
        // starts just before the earliest of them, so that the next daemon
        // counts them as missed.
        let pending = self
            .tracking
            .delayed
            .iter()
            .map(|(_, occurrence)| occurrence.scheduled)
            .chain(
                self.tracking
                    .entries
                    .values()
                    .flat_map(|entry| entry.waiting.iter().map(|w| w.occurrence.scheduled)),
            )
            .min();
        let handled = match pending {
            Some(earliest) if earliest <= handled => earliest
                .checked_sub(jiff::SignedDuration::from_nanos(1))
                .unwrap_or(earliest),
            _ => handled,
        };
        if let Err(error) = self.spool.set_last_handled(handled).await {
            tracing::warn!("cannot record when the daemon stopped: {error}");
        }
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Added {
                id,
                due,
                kind,
                queue,
            } => self.add(id, due, kind, queue),
            Event::Removed { id, due, kind } => self.one_shots.remove(id.0, due, kind_of(kind)),
            Event::FleetJobs(jobs) => {
                for job in jobs {
                    if !self.refused.contains(job.id.0) {
                        self.add(job.id, job.due, job.kind, job.queue);
                    }
                }
            }
            Event::TakenOver { lost, retries } => {
                self.retry_lost(lost).await;
                self.take_cron_retries(retries).await;
            }
            Event::RunFinished(finished) => {
                tracing::debug!(run = finished.run.0, outcome = ?finished.outcome, "run finished");
                self.after_run_ended(finished).await;
                if self.one_shots.finished() {
                    for waiter in self.settle_waiters.drain(..) {
                        let _ = waiter.send(0);
                    }
                }
            }
            Event::SetMockClock { to, reply } => {
                self.set_mock_clock(to).await;
                let _ = reply.send(self.clock.now());
            }
            Event::StepMockClock { to, reply } => {
                self.clock.step(to);
                self.start_due(to).await;
                let _ = reply.send(self.clock.now());
            }
            Event::Settle { reply } => {
                if self.one_shots.running() == 0 {
                    let _ = reply.send(0);
                } else {
                    self.settle_waiters.push(reply);
                }
            }
            Event::SystemCrontabs(piece) => self.load_system_piece(piece),
            Event::Reconfigure(live) => {
                self.executor
                    .reconfigure(live.output_limit, live.sendmail.clone());
                self.one_shots.set_batch_interval(live.batch_interval());
                if let Err(error) = self.spool.set_cron_runs_kept(live.cron_runs_kept).await {
                    tracing::warn!("cannot set the runs kept per crontab line: {error}");
                }
                self.settings = live;
            }
            Event::UserCrontab(loaded) => self.load_crontab(loaded),
            Event::Control { request, reply } => {
                let _ = reply.send(self.control(request).await);
            }
            Event::Controls(controls) => self.controls.replace(controls),
            Event::Listing { owner, reply } => {
                let _ = reply.send(ListingState {
                    batch_hold: self.batch_hold(),
                    paused: self.controls.paused_of(&owner),
                });
            }
            Event::Status { owner, reply } => {
                let _ = reply.send(self.entry_views(&owner));
            }
            Event::EntrySeries { owner, reply } => {
                self.publish_state();
                let _ = reply.send(self.entry_series(&owner));
            }
            Event::UserCrontabRemoved { uid } => self.drop_source(&Source::User(uid.0)),
            Event::Upcoming {
                owner,
                limit,
                per_entry,
                reply,
            } => {
                let _ = reply.send(self.upcoming(owner, limit, per_entry));
            }
            Event::SystemView { reply } => {
                let _ = reply.send((self.system_rows(), self.system_refused.clone()));
            }
            Event::BatchHold { reply } => {
                let _ = reply.send(self.batch_hold());
            }
        }
    }

    /// The next runs of the crontab entries `owner` may see, in time
    /// order: each entry's next `per_entry` instants (the first as the
    /// planner holds it) at the instants they really start (their random
    /// delay), with the occurrences waiting for their delay and the
    /// retries waiting, at most `limit` in all.
    fn upcoming(&self, owner: Owner, limit: usize, per_entry: usize) -> Vec<UpcomingCron> {
        if per_entry == 0 {
            return Vec::new();
        }
        let visible =
            |user: &crate::cron::RunAs| owner.matches(sched_spool::Uid(user.uid), Some(&user.name));
        let mut heap: BinaryHeap<Reverse<(Timestamp, Key, usize)>> = self
            .cron
            .keys_of(visible)
            .filter_map(|key| Some(Reverse((self.cron.next_of(key)?, key, 1))))
            .collect();
        let mut runs = Vec::with_capacity(limit.min(heap.len()));
        let waiting = self
            .tracking
            .delayed
            .iter()
            .chain(self.tracking.retries.iter());
        for &(start, occurrence) in waiting {
            let Some(job) = self
                .cron
                .get(occurrence.key)
                .filter(|job| visible(&job.user))
            else {
                continue;
            };
            runs.push(UpcomingCron {
                start,
                scheduled: occurrence.scheduled,
                attempt: occurrence.attempt,
                policy: self.describe_policy(&job),
                held: self
                    .controls
                    .holds(&job, occurrence.scheduled, occurrence.attempt),
                job,
            });
        }
        // A random delay moves a start by less than the time between an
        // entry's instants, almost always: a few more are taken, then all
        // are sorted by start.
        let wanted = limit.saturating_add(limit / 4).saturating_add(16);
        while runs.len() < wanted {
            let Some(Reverse((at, key, taken))) = heap.pop() else {
                break;
            };
            let Some(job) = self.cron.get(key) else {
                continue;
            };
            if taken < per_entry
                && let Some(next) = job.schedule.next_after(&job.zone, at)
            {
                heap.push(Reverse((next, key, taken + 1)));
            }
            runs.push(UpcomingCron {
                start: self.start_of(&job, at),
                scheduled: at,
                attempt: 1,
                policy: self.describe_policy(&job),
                held: self.controls.holds(&job, at, 1),
                job,
            });
        }
        runs.sort_by_key(|run| (run.start, run.scheduled));
        runs.truncate(limit);
        runs
    }

    /// The loaded lines of the system crontabs, in file and line order.
    fn system_rows(&self) -> Vec<SystemRow> {
        let files: HashSet<String> = self
            .cron
            .sources()
            .filter_map(|source| match source {
                Source::System(path) => Some(path.display().to_string()),
                Source::User(_) => None,
            })
            .collect();
        let mut rows: Vec<(String, u32, SystemRow)> = self
            .cron
            .keys_of(|_| true)
            .filter_map(|key| {
                let job = self.cron.get(key)?;
                let origin = job.origin();
                let (file, _) = origin.rsplit_once(':')?;
                files.contains(file).then(|| {
                    let row = SystemRow {
                        user: job.user.name.to_string(),
                        zone: job
                            .zone
                            .time_zone()
                            .iana_name()
                            .unwrap_or("the daemon's zone")
                            .to_owned(),
                        next: self.cron.next_of(key),
                        command: job.command.to_string(),
                        origin: origin.clone(),
                    };
                    (file.to_owned(), job.line, row)
                })
            })
            .collect();
        // As cron reads them: /etc/crontab, then the files of /etc/cron.d
        // (one level deeper) by name.
        let depth = |file: &str| std::path::Path::new(file).components().count();
        rows.sort_by(|a, b| (depth(&a.0), &a.0, a.1).cmp(&(depth(&b.0), &b.0, b.1)));
        rows.into_iter().map(|(_, _, row)| row).collect()
    }

    /// The load and its limit, when a batch job is due and waits for the
    /// load to fall below the limit.
    fn batch_hold(&self) -> Option<(f64, f64)> {
        let now = self.clock.now();
        self.one_shots.next_batch(now)?;
        let load = load_average(&self.loadavg)?;
        let limit = self.settings.batch_load_limit;
        (load >= limit).then_some((load, limit))
    }

    /// Starts every @reboot entry, once.
    async fn start_reboot_entries(&mut self) {
        let now = self.clock.now();
        let due: Vec<(Occurrence, Option<String>)> = self
            .cron
            .reboot_keys()
            .into_iter()
            .map(|key| {
                let occurrence = Occurrence {
                    key,
                    scheduled: now,
                    attempt: 1,
                };
                (occurrence, None)
            })
            .collect();
        if !due.is_empty() {
            tracing::info!(
                entries = due.len(),
                "the system booted: running @reboot entries"
            );
            self.start_cron(due, now, false).await;
        }
    }

    /// Starts the crontab entries' occurrences `due`, each with what its
    /// history is to note: those made ready ahead first, in one batch;
    /// the others' runs are then recorded in one transaction, and they
    /// start in a second batch. `manual`: started with `sched run`, on this
    /// host only. Returns the runs started.
    async fn start_cron(
        &mut self,
        due: Vec<(Occurrence, Option<String>)>,
        now: Timestamp,
        manual: bool,
    ) -> Vec<RunId> {
        let mut made_ready = Vec::new();
        let mut made_ahead = false;
        let mut jobs: Vec<(Arc<CronJob>, Occurrence, Option<String>)> = Vec::new();
        for (occurrence, note) in due {
            let Some(job) = self.cron.get(occurrence.key) else {
                continue;
            };
            let made = (!manual)
                .then(|| self.take_cron_ready(occurrence, &job))
                .flatten();
            made_ahead |= made.is_some();
            match made {
                Some(cron_ahead::Made::Ready(ready)) => {
                    self.track_cron_run(ready.run, &job, occurrence, note);
                    made_ready.push(*ready);
                }
                // Recorded failed while it was made ready.
                Some(cron_ahead::Made::Failed) => {}
                None => jobs.push((job, occurrence, note)),
            }
        }
        // Their runs were recorded before the instant: that it was handled
        // is recorded with their start (the others' claim records it too).
        let handled = (made_ahead && jobs.is_empty()).then_some(now);
        let mut started = self.launch_batch(made_ready, handled).await;
        if jobs.is_empty() {
            return started;
        }
        let runs: Vec<CronRun> = jobs
            .iter()
            .map(|(job, occurrence, _)| {
                Self::cron_run(job, occurrence.scheduled, occurrence.attempt, manual)
            })
            .collect();
        let ids = match self.spool.start_cron_runs(runs, now).await {
            Ok(ids) => ids,
            Err(error) => {
                // As cron: a run that cannot start is not retried later.
                // A database out of reach is said once, by the heartbeat.
                if out_of_reach(&error) {
                    tracing::debug!(runs = jobs.len(), "cron runs skipped: {error}");
                } else {
                    tracing::error!(
                        runs = jobs.len(),
                        "cannot record cron runs; they are skipped: {error}"
                    );
                }
                return started;
            }
        };
        let mut tasks = Vec::with_capacity(jobs.len());
        for ((job, occurrence, note), run) in jobs.into_iter().zip(ids) {
            // Claimed already: another host of the fleet runs it (or ran
            // it while this one was down). It must not start here too.
            let Some(run) = run else {
                tracing::debug!(origin = %job.origin(), scheduled = %occurrence.scheduled, attempt = occurrence.attempt, "claimed by another host");
                continue;
            };
            self.track_cron_run(run, &job, occurrence, note);
            let task = Task::Cron {
                job,
                scheduled: occurrence.scheduled,
                attempt: occurrence.attempt,
                manual,
            };
            tasks.push((task, run));
        }
        let runs: Vec<RunId> = tasks.iter().map(|&(_, run)| run).collect();
        let mut ready = Vec::with_capacity(tasks.len());
        for (run, prepared) in runs.into_iter().zip(self.executor.prepare_all(tasks).await) {
            match prepared {
                Some(prepared) => ready.push(prepared),
                // Recorded as failed by the executor; not retried (nothing
                // a retry does would find the owner or the disk again).
                None => {
                    self.tracking.cron_runs.remove(&run);
                    self.executor.running.take_note(run);
                }
            }
        }
        // Started in one batch, once all are ready.
        started.extend(self.launch_batch(ready, None).await);
        started
    }

    /// Tracks run `run` of `job`'s `occurrence`, about to start, with the
    /// note its history is to keep.
    fn track_cron_run(
        &mut self,
        run: RunId,
        job: &Arc<CronJob>,
        occurrence: Occurrence,
        note: Option<String>,
    ) {
        let info = self.cron_run_info(job, occurrence);
        self.tracking.cron_runs.insert(run, info);
        if let Some(note) = note {
            self.executor.running.note(run, note);
        }
    }

    /// Moves the mock clock to `to`, stopping at each instant something is
    /// due on the way so that every job starts at its own instant.
    async fn set_mock_clock(&mut self, to: Timestamp) {
        loop {
            let now = self.clock.now();
            match self.next_wake(now) {
                Some(wake) if wake <= to => {
                    self.clock.set(wake.max(now));
                    self.start_due(self.clock.now()).await;
                }
                _ => break,
            }
        }
        self.clock.set(to);
        self.start_due(to).await;
    }

    /// The instant the scheduler must next look, if anything is pending.
    fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        [
            self.one_shots.next_wake(now),
            self.cron.next_wake(),
            self.cron_ahead_wake(now),
            self.tracking.next_wake(now, self.clock.monotonic()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Makes ready every at job due within [`ARM_AHEAD`] of `now`, starts
    /// every ready job due at `now`, the due crontab entries, and at most
    /// one batch job.
    async fn start_due(&mut self, now: Timestamp) {
        // Ready jobs beyond the horizon were made ready before the clock
        // was set back: pending again until their instants come closer.
        let back = self.one_shots.take_ready_after(Some(later(now, ARM_AHEAD)));
        self.give_back(back).await;
        // Jobs made ready first: only their exec is left, so nothing else
        // (a backlog past the ready set's limit being claimed) delays them.
        self.launch_ready_due(now).await;
        let due_now = self.one_shots.take_due_at(now);
        if !due_now.is_empty() {
            self.start(&due_now, JobKind::At, now).await;
        }
        let to_arm = self.one_shots.take_to_arm(now);
        if !to_arm.is_empty() {
            self.arm(&to_arm, now).await;
        }
        // Making jobs ready took time: what is due is read again.
        self.launch_ready_due(self.clock.now().max(now)).await;
        self.start_due_cron().await;
        self.start_policy_due(now).await;
        self.make_cron_ready(self.clock.now().max(now)).await;
        let Some(job) = self.one_shots.batch_turn(now) else {
            return;
        };
        match load_average(&self.loadavg) {
            Some(load) if load >= self.settings.batch_load_limit => {
                tracing::debug!(
                    load,
                    limit = self.settings.batch_load_limit,
                    "batch jobs wait for a lower load"
                );
            }
            _ => {
                self.one_shots.take_batch(job);
                self.start(&[job], JobKind::Batch, now).await;
            }
        }
    }

    /// Starts the ready jobs due by `at`, as one batch.
    async fn launch_ready_due(&mut self, at: Timestamp) {
        let ready: Vec<_> = self
            .one_shots
            .take_ready_due(at)
            .into_iter()
            .filter_map(|(_, run)| self.prepared.remove(&RunId(run)))
            .collect();
        if !ready.is_empty() {
            self.launch_batch(ready, None).await;
        }
    }

    /// Starts runs made ready as one batch (the launching threads start
    /// them back to back), tracks those that started and records their
    /// pids and instants in one transaction (with `handled` as the last
    /// instant handled, if given); a run that could not start is recorded
    /// failed by the executor and forgotten here. Returns the runs started.
    async fn launch_batch(&mut self, ready: Vec<Ready>, handled: Option<Timestamp>) -> Vec<RunId> {
        if ready.is_empty() {
            self.executor.record_started(Vec::new(), handled).await;
            return Vec::new();
        }
        let runs: Vec<RunId> = ready.iter().map(|ready| ready.run).collect();
        let mut started = Vec::with_capacity(ready.len());
        for (run, launched) in runs.into_iter().zip(self.executor.launch_all(ready).await) {
            match launched {
                Some(launched) => started.push(launched),
                None => {
                    self.tracking.job_runs.remove(&run);
                    self.tracking.cron_runs.remove(&run);
                    self.executor.running.take_note(run);
                }
            }
        }
        self.one_shots.started(started.len());
        self.track_started(&started);
        let ids = started.iter().map(|run| run.run).collect();
        self.executor.record_started(started, handled).await;
        ids
    }

    /// Asks the planner what crontab entries are due, with cron's rules for
    /// clock changes, and starts them.
    async fn start_due_cron(&mut self) {
        let reading = self.clock.reading();
        let advance = self.cron.advance(reading);
        match advance.wakeup {
            Wakeup::Normal => {}
            Wakeup::Late => tracing::info!(
                step = %advance.step,
                late = %advance.lateness,
                "late wake-up: crontab entries due meanwhile run now, once"
            ),
            Wakeup::Forward => tracing::info!(
                step = %advance.step,
                late = %advance.lateness,
                "the clock was set forward, or the daemon woke late by over 5 minutes: fixed-time entries passed over run now, once; the others follow the clock"
            ),
            Wakeup::Back => tracing::info!(
                step = %advance.step,
                "the clock was set back: fixed-time entries that ran do not run again; the others follow the clock"
            ),
            Wakeup::Reset => tracing::warn!(
                step = %advance.step,
                late = %advance.lateness,
                "the clock changed, or the daemon woke late, by 3 hours or more: the new time is taken as it is, with no catch-up"
            ),
        }
        if advance.due.is_empty() {
            return;
        }
        let occurrences = advance
            .due
            .into_iter()
            .map(|(key, scheduled)| Occurrence {
                key,
                scheduled,
                attempt: 1,
            })
            .collect();
        self.start_occurrences(occurrences, reading.wall, false)
            .await;
    }

    /// Claims the at jobs `due` (due instant, id) in one spool transaction
    /// and makes each ready to start at its instant.
    async fn arm(&mut self, due: &[(Timestamp, u64)], now: Timestamp) {
        let claimed = self.claim(due, JobKind::At, now).await;
        let claimed = self.refuse_strangers(claimed, now).await;
        let records: Vec<_> = claimed
            .iter()
            .map(|(job, run)| (job.clone(), *run))
            .collect();
        let tasks = claimed
            .into_iter()
            .map(|(job, run)| (Task::Job(job), run))
            .collect();
        for ((record, run), prepared) in records
            .into_iter()
            .zip(self.executor.prepare_all(tasks).await)
        {
            if let Some(ready) = prepared {
                let (instant, id) = (record.job.due, record.id);
                self.prepared.insert(run, ready);
                self.track_job_run(run, record);
                self.one_shots.made_ready(instant, run.0, id.0);
            }
        }
    }

    /// Gives the claims of ready jobs `back` to the spool: pending again.
    /// When the spool refuses, they stay ready and start at their instants.
    async fn give_back(&mut self, back: Vec<(one_shots::Ready, u64)>) {
        if back.is_empty() {
            return;
        }
        let claims: Vec<(sched_spool::JobRecord, RunId)> = back
            .iter()
            .filter_map(
                |&((_, run), _)| match &self.prepared.get(&RunId(run))?.task {
                    Task::Job(job) => Some((job.clone(), RunId(run))),
                    Task::Cron { .. } => None,
                },
            )
            .collect();
        match self.spool.unclaim(claims).await {
            Ok(()) => {
                tracing::info!(jobs = back.len(), "jobs made ready are pending again");
                for ((due, run), id) in back {
                    if let Some(ready) = self.prepared.remove(&RunId(run)) {
                        self.executor.abandon(ready);
                    }
                    self.tracking.job_runs.remove(&RunId(run));
                    self.one_shots.given_back(due, id);
                }
            }
            Err(error) => {
                tracing::error!(
                    jobs = back.len(),
                    "cannot give jobs made ready back to the spool: {error}"
                );
                for ((due, run), id) in back {
                    self.one_shots.made_ready(due, run, id);
                }
            }
        }
    }

    /// Claims the jobs `due` (due instant, id) in one spool transaction and
    /// starts each.
    async fn start(&mut self, due: &[(Timestamp, u64)], kind: JobKind, now: Timestamp) {
        let mut tasks = Vec::new();
        let claimed = self.claim(due, kind, now).await;
        for (job, run) in self.refuse_strangers(claimed, now).await {
            let policy = self.job_policy(&job);
            let scheduled = job.job.scheduled();
            // A retry starts later by design: the deadline is the first
            // attempt's.
            if job.job.attempt == 1
                && !sched_engine::policy::in_time(policy.deadline, scheduled, now)
            {
                let late = now.duration_since(scheduled).as_secs_f64();
                let deadline = policy
                    .deadline
                    .map(sched_cron::policy::human)
                    .unwrap_or_default();
                let outcome = sched_spool::Outcome::Missed(format!(
                    "it could not start within its starting deadline of {deadline} ({late:.0} s late)"
                ));
                tracing::info!(job = job.id.0, "not started: past its starting deadline");
                if let Err(error) = self
                    .spool
                    .finish_run(run, now, outcome.clone(), sched_spool::Output::default())
                    .await
                {
                    tracing::error!(job = job.id.0, "cannot record the missed job: {error}");
                }
                self.executor
                    .metrics
                    .not_run(crate::metrics::kind_label(job.job.kind.into()), &outcome);
                self.job_failed(&job, Some(run), &outcome, sched_spool::Output::default());
                continue;
            }
            self.track_job_run(run, job.clone());
            tasks.push((Task::Job(job), run));
        }
        let runs: Vec<RunId> = tasks.iter().map(|&(_, run)| run).collect();
        let mut ready = Vec::with_capacity(tasks.len());
        for (run, prepared) in runs.into_iter().zip(self.executor.prepare_all(tasks).await) {
            match prepared {
                Some(prepared) => ready.push(prepared),
                None => {
                    self.tracking.job_runs.remove(&run);
                }
            }
        }
        // Started in one batch, once all are ready.
        self.launch_batch(ready, None).await;
    }

    /// Claims the jobs `due` of `kind` in one transaction. A job missing
    /// from the result was removed after the scheduler last heard of it; on
    /// a spool error every job waits [`CLAIM_RETRY`] and is tried again.
    async fn claim(
        &mut self,
        due: &[(Timestamp, u64)],
        kind: JobKind,
        now: Timestamp,
    ) -> Vec<(sched_spool::JobRecord, RunId)> {
        let ids: Vec<JobId> = due.iter().map(|&(_, id)| JobId(id)).collect();
        let claimed = self.spool.claim(ids, now).await;
        match claimed {
            Ok(claimed) => {
                // A claimed job is no longer pending (a failed claim keeps
                // its queue letter for the retry).
                self.one_shots
                    .claimed(claimed.iter().map(|(record, _)| record.id.0));
                claimed
            }
            Err(error) => {
                if out_of_reach(&error) {
                    tracing::debug!(jobs = due.len(), "claims retried in a minute: {error}");
                } else {
                    tracing::error!(
                        jobs = due.len(),
                        "cannot claim due jobs, retrying in a minute: {error}"
                    );
                }
                self.one_shots.claim_failed(due, kind_of(kind), now);
                Vec::new()
            }
        }
    }
}

/// The engine's kind of a stored job.
fn kind_of(kind: JobKind) -> Kind {
    match kind {
        JobKind::At => Kind::At,
        JobKind::Batch => Kind::Batch,
    }
}

/// The 1-minute load average, from /proc/loadavg (or the file given).
fn load_average(path: &std::path::Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Whether a spool call failed because a shared spool's database is out
/// of reach (or this host's lease ran out meanwhile): the fleet's
/// heartbeat says so once, and says when it is back.
fn out_of_reach(error: &crate::storage::SpoolCallError) -> bool {
    matches!(
        error,
        crate::storage::SpoolCallError::Spool(
            sched_spool::SpoolError::Unreachable { .. } | sched_spool::SpoolError::Fenced { .. }
        )
    )
}
