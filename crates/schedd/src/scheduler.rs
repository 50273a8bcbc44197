//! The scheduler: pending one-shot jobs by due instant, one sleep until the
//! earliest, and nothing else. It reacts to one closed set of [`Event`]s and
//! to its timer, so every reason it wakes is listed here.
//!
//! Rules (documented in README "How schedd runs jobs"):
//! - an at job starts at its instant; one due while the daemon was down, or
//!   skipped by a clock set forward, starts at once (as atd does);
//! - after the clock is set back, jobs wait for their instants again;
//! - batch jobs start one per [`BATCH_INTERVAL`], and only while the load
//!   average is below the limit (as atd's `-b` and `-l`).

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use sched_spool::JobKind;
use tokio::sync::{mpsc, oneshot, watch};

use crate::clock::{Clock, Timer, Wake};
use crate::executor::Executor;

/// The least time between two batch job starts, and between two load
/// checks while batch jobs wait (atd's default `-b 60`).
pub const BATCH_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

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
                _ = shutdown.changed() => return,
                event = events.recv() => match event {
                    Some(event) => self.handle(event).await,
                    None => return,
                },
                woke = timer.sleep_until(wake_at) => match woke {
                    Ok(Wake::Due) => {}
                    Ok(Wake::ClockSet) => tracing::info!("the system clock was set; looking at due jobs again"),
                    Err(error) => {
                        tracing::error!("the scheduler's timer failed: {error}");
                        return;
                    }
                },
            }
        }
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
        let at = self.at_queue.first().map(|&(due, _)| due);
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

    /// Starts every at job due at `now` and at most one batch job.
    async fn start_due(&mut self, now: Timestamp) {
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

    /// Claims the jobs `due` (due instant, id) in one spool transaction and
    /// starts each.
    async fn start(&mut self, due: &[(Timestamp, u64)], kind: JobKind, now: Timestamp) {
        let ids: Vec<u64> = due.iter().map(|&(_, id)| id).collect();
        let claimed = self
            .executor
            .spool
            .call(move |spool| spool.claim(&ids, now))
            .await;
        match claimed {
            // A job missing from the claim was removed after the scheduler
            // last heard of it.
            Ok(claimed) => {
                for (job, run) in claimed {
                    if self.executor.start(job, run).await {
                        self.running += 1;
                    }
                }
            }
            Err(error) => {
                tracing::error!(
                    jobs = due.len(),
                    "cannot claim due jobs, retrying in a minute: {error}"
                );
                for &(instant, id) in due {
                    self.queue(kind)
                        .insert((instant.max(later(now, CLAIM_RETRY)), id));
                }
            }
        }
    }
}

/// `at + by`, or the last instant there is: a mock clock may be set near
/// the end of time, and the scheduler must not panic there.
fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// The 1-minute load average, from /proc/loadavg.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
