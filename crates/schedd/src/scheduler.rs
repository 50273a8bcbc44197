//! The scheduler: pending one-shot jobs by due instant, one sleep until the
//! earliest, and nothing else. It reacts to one closed set of [`Event`]s and
//! to its timer, so every reason it wakes is listed here.
//!
//! Rules (documented in README "How schedd runs jobs"):
//! - an at job starts at its instant; one due while the daemon was down, or
//!   skipped by a clock set forward, starts at once (as atd does);
//! - an at job is claimed and made ready [`ARM_AHEAD`] before its instant,
//!   so that at the instant only the fork is left; a job made ready but not
//!   started when the daemon stops or the clock is set back is given back
//!   to the spool, pending as before;
//! - after the clock is set back, jobs wait for their instants again;
//! - batch jobs start one per [`BATCH_INTERVAL`], and only while the load
//!   average is below the limit (as atd's `-b` and `-l`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use sched_spool::JobKind;
use tokio::sync::{mpsc, oneshot, watch};

use crate::clock::{Clock, Timer, Wake};
use crate::executor::{Executor, Ready};

/// The least time between two batch job starts, and between two load
/// checks while batch jobs wait (atd's default `-b 60`).
pub const BATCH_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

/// How long before its instant an at job is claimed, its owner looked up
/// and its output file opened. The claim is a durable (fsync'd) transaction
/// and the lookup may read NSS: done at the instant, they came before the
/// fork and made up most of the dispatch latency.
pub const ARM_AHEAD: SignedDuration = SignedDuration::from_millis(50);

/// The most jobs made ready at once. Each holds its output file open until
/// it starts; a backlog (thousands due in one minute) waits in the queue and
/// starts at its instant without being made ready ahead.
const ARM_LIMIT: usize = 64;

/// How long a job whose claim failed (a spool error) waits before the
/// scheduler tries again.
const CLAIM_RETRY: SignedDuration = SignedDuration::from_secs(60);

/// Everything that can wake the scheduler besides its timer.
#[derive(Debug)]
pub enum Event {
    /// A job was queued.
    Added {
        id: u64,
        due: Timestamp,
        kind: JobKind,
    },
    /// A job was removed before it ran.
    Removed {
        id: u64,
        due: Timestamp,
        kind: JobKind,
    },
    /// A started run ended.
    RunFinished,
    /// A test moves the mock clock to `to`; the reply is sent once every job
    /// due on the way has been started at its own instant.
    SetMockClock {
        to: Timestamp,
        reply: oneshot::Sender<Timestamp>,
    },
    /// A test waits until no run is in progress; the reply carries the
    /// number still running (0).
    Settle { reply: oneshot::Sender<u32> },
}

/// Where the scheduler reads the load average.
#[derive(Debug, Clone)]
pub struct BatchPolicy {
    /// Batch jobs start only while the 1-minute load average is below this.
    pub load_limit: f64,
}

/// The scheduler's state.
#[derive(Debug)]
pub struct Scheduler {
    clock: Clock,
    executor: Executor,
    batch_policy: BatchPolicy,
    at_queue: BTreeSet<(Timestamp, u64)>,
    batch_queue: BTreeSet<(Timestamp, u64)>,
    /// At jobs claimed and ready, by (due, run id).
    armed: BTreeMap<(Timestamp, u64), Ready>,
    /// No batch job starts, and the load is not read, before this instant.
    batch_not_before: Option<Timestamp>,
    running: u32,
    settle_waiters: Vec<oneshot::Sender<u32>>,
}

impl Scheduler {
    pub fn new(clock: Clock, executor: Executor, batch_policy: BatchPolicy) -> Scheduler {
        Scheduler {
            clock,
            executor,
            batch_policy,
            at_queue: BTreeSet::new(),
            batch_queue: BTreeSet::new(),
            armed: BTreeMap::new(),
            batch_not_before: None,
            running: 0,
            settle_waiters: Vec::new(),
        }
    }

    /// Adds a pending job (from the spool at start, or a submission).
    pub fn add(&mut self, id: u64, due: Timestamp, kind: JobKind) {
        self.queue(kind).insert((due, id));
    }

    fn queue(&mut self, kind: JobKind) -> &mut BTreeSet<(Timestamp, u64)> {
        match kind {
            JobKind::At => &mut self.at_queue,
            JobKind::Batch => &mut self.batch_queue,
        }
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
        loop {
            let now = self.clock.now();
            self.start_due(now).await;
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
        self.disarm_after(None).await;
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Added { id, due, kind } => self.add(id, due, kind),
            Event::Removed { id, due, kind } => {
                self.queue(kind).remove(&(due, id));
            }
            Event::RunFinished => {
                self.running = self.running.saturating_sub(1);
                if self.running == 0 {
                    for waiter in self.settle_waiters.drain(..) {
                        let _ = waiter.send(0);
                    }
                }
            }
            Event::SetMockClock { to, reply } => {
                self.set_mock_clock(to).await;
                let _ = reply.send(self.clock.now());
            }
            Event::Settle { reply } => {
                if self.running == 0 {
                    let _ = reply.send(0);
                } else {
                    self.settle_waiters.push(reply);
                }
            }
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
        // With the ready set full, the next job is simply started when due.
        let to_arm = self.at_queue.first().map(|&(due, _)| {
            if self.armed.len() < ARM_LIMIT {
                earlier(due, ARM_AHEAD)
            } else {
                due
            }
        });
        let to_launch = self.armed.first_key_value().map(|(&(due, _), _)| due);
        let at = match (to_arm, to_launch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let batch = self
            .batch_queue
            .first()
            .map(|&(due, _)| match self.batch_not_before {
                // A clock set back leaves an old limit far ahead: ignore it then.
                Some(not_before) if not_before <= later(now, BATCH_INTERVAL) => due.max(not_before),
                _ => due,
            });
        match (at, batch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Makes ready every at job due within [`ARM_AHEAD`] of `now`, starts
    /// every ready job due at `now`, and at most one batch job.
    async fn start_due(&mut self, now: Timestamp) {
        let horizon = later(now, ARM_AHEAD);
        // Ready jobs beyond the horizon were made ready before the clock
        // was set back: pending again until their instants come closer.
        self.disarm_after(Some(horizon)).await;
        // Jobs already due (overdue after a restart, or past the ready
        // set's limit) start now, one after another.
        let mut due_now = Vec::new();
        while let Some(&(due, id)) = self.at_queue.first() {
            if due > now {
                break;
            }
            self.at_queue.pop_first();
            due_now.push((due, id));
        }
        if !due_now.is_empty() {
            self.start(&due_now, JobKind::At, now).await;
        }
        let mut to_arm = Vec::new();
        while let Some(&(due, id)) = self.at_queue.first() {
            if due > horizon || self.armed.len() + to_arm.len() >= ARM_LIMIT {
                break;
            }
            self.at_queue.pop_first();
            to_arm.push((due, id));
        }
        if !to_arm.is_empty() {
            self.arm(&to_arm, now).await;
        }
        // Making jobs ready took time: what is due is read again.
        let launch_at = self.clock.now().max(now);
        let mut started = Vec::new();
        while let Some(entry) = self.armed.first_entry() {
            if entry.key().0 > launch_at {
                break;
            }
            started.extend(self.executor.launch(entry.remove()).await);
        }
        self.running += started.len() as u32;
        self.executor.record_started(started).await;
        let Some(&(due, id)) = self.batch_queue.first() else {
            return;
        };
        let allowed = match self.batch_not_before {
            Some(not_before) => now >= not_before || not_before > later(now, BATCH_INTERVAL),
            None => true,
        };
        if due > now || !allowed {
            return;
        }
        self.batch_not_before = Some(later(now, BATCH_INTERVAL));
        match load_average() {
            Some(load) if load >= self.batch_policy.load_limit => {
                tracing::debug!(
                    load,
                    limit = self.batch_policy.load_limit,
                    "batch jobs wait for a lower load"
                );
            }
            _ => {
                self.batch_queue.pop_first();
                self.start(&[(due, id)], JobKind::Batch, now).await;
            }
        }
    }

    /// Claims the at jobs `due` (due instant, id) in one spool transaction
    /// and makes each ready to start at its instant.
    async fn arm(&mut self, due: &[(Timestamp, u64)], now: Timestamp) {
        for (job, run) in self.claim(due, JobKind::At, now).await {
            let instant = job.job.due;
            if let Some(ready) = self.executor.prepare(job, run).await {
                self.armed.insert((instant, run), ready);
            }
        }
    }

    /// Gives the ready jobs due after `after` (all of them when `None`)
    /// back to the spool, pending again.
    async fn disarm_after(&mut self, after: Option<Timestamp>) {
        let back = match after {
            Some(after) => {
                if self
                    .armed
                    .last_key_value()
                    .is_none_or(|(&(due, _), _)| due <= after)
                {
                    return;
                }
                // Everything from the first key past `after` on.
                self.armed
                    .split_off(&(later(after, SignedDuration::from_nanos(1)), 0))
            }
            None => std::mem::take(&mut self.armed),
        };
        if back.is_empty() {
            return;
        }
        let claims: Vec<(sched_spool::JobRecord, u64)> = back
            .values()
            .map(|ready| (ready.job.clone(), ready.run))
            .collect();
        let returned = self
            .executor
            .spool
            .call(move |spool| spool.unclaim(&claims))
            .await;
        match returned {
            Ok(()) => {
                tracing::info!(jobs = back.len(), "jobs made ready are pending again");
                for ((due, _), ready) in back {
                    let (job, _) = self.executor.abandon(ready);
                    self.at_queue.insert((due, job.id));
                }
            }
            // Still claimed: they stay ready and start at their instants.
            Err(error) => {
                tracing::error!(
                    jobs = back.len(),
                    "cannot give jobs made ready back to the spool: {error}"
                );
                self.armed.extend(back);
            }
        }
    }

    /// Claims the jobs `due` (due instant, id) in one spool transaction and
    /// starts each.
    async fn start(&mut self, due: &[(Timestamp, u64)], kind: JobKind, now: Timestamp) {
        let mut started = Vec::new();
        for (job, run) in self.claim(due, kind, now).await {
            started.extend(self.executor.start(job, run).await);
        }
        self.running += started.len() as u32;
        self.executor.record_started(started).await;
    }

    /// Claims the jobs `due` of `kind` in one transaction. A job missing
    /// from the result was removed after the scheduler last heard of it; on
    /// a spool error every job waits [`CLAIM_RETRY`] and is tried again.
    async fn claim(
        &mut self,
        due: &[(Timestamp, u64)],
        kind: JobKind,
        now: Timestamp,
    ) -> Vec<(sched_spool::JobRecord, u64)> {
        let ids: Vec<u64> = due.iter().map(|&(_, id)| id).collect();
        let claimed = self
            .executor
            .spool
            .call(move |spool| spool.claim(&ids, now))
            .await;
        match claimed {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(
                    jobs = due.len(),
                    "cannot claim due jobs, retrying in a minute: {error}"
                );
                for &(instant, id) in due {
                    self.queue(kind)
                        .insert((instant.max(later(now, CLAIM_RETRY)), id));
                }
                Vec::new()
            }
        }
    }
}

/// `at + by`, or the last instant there is: a mock clock may be set near
/// the end of time, and the scheduler must not panic there.
fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// `at - by`, or the first instant there is.
fn earlier(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_sub(by).unwrap_or(Timestamp::MIN)
}

/// The 1-minute load average, from /proc/loadavg.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
