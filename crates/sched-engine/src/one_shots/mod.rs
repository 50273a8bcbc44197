//! The queue of one-shot jobs (at and batch) and its clock rules, as a
//! pure value: [`OneShots`] never reads a clock, the load or the spool. The
//! daemon asks it what to do at each wake-up, does it (claims, forks,
//! gives claims back) and tells it what came of it.
//!
//! Rules (README "How schedd runs jobs"):
//! - an at job starts at its instant; one due while the daemon was down,
//!   or passed over by a clock set forward, starts at once (as atd does);
//! - an at job is claimed and made ready [`ARM_AHEAD`] before its instant,
//!   at most [`ARM_LIMIT`] at a time, so that at the instant only the fork
//!   is left; a job made ready whose instant is no longer near (the clock
//!   was set back) is given back, pending as before, and waits for its
//!   instant again;
//! - batch jobs start one per batch interval (atd's `-b`), the lowest
//!   queue letter first, then the oldest job, and only while the load is
//!   below the limit (atd's `-l`; the daemon reads the load when
//!   [`OneShots::batch_turn`] says it is a batch job's turn). After the
//!   clock is set back by more than an interval, the interval counts from
//!   the new time instead of the old limit far ahead;
//! - a claim that fails (a spool error) is tried again [`CLAIM_RETRY`]
//!   later.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};

/// How long before its instant an at job is claimed, its owner looked up
/// and its output file opened: done at the instant, the durable claim and
/// the lookup came before the fork and made up most of the dispatch
/// latency. Long enough to make a burst of [`ARM_LIMIT`] jobs ready (about
/// half a millisecond each on a 2-CPU VM).
pub const ARM_AHEAD: SignedDuration = SignedDuration::from_millis(200);

/// The most jobs made ready at once. Each holds an output file open until
/// it starts; a backlog (thousands due in one minute) waits in the queue
/// and starts at its instant without being made ready ahead, after the
/// ready ones.
pub const ARM_LIMIT: usize = 256;

/// How long a job whose claim failed waits before it is tried again.
pub const CLAIM_RETRY: SignedDuration = SignedDuration::from_secs(60);

/// The two kinds of one-shot job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    At,
    Batch,
}

/// A pending job: its instant and id, ordered by instant, then id.
pub type Due = (Timestamp, u64);

/// A job made ready: its instant and the run its claim created.
pub type Ready = (Timestamp, u64);

/// The pending and ready one-shot jobs, and the batch pace.
#[derive(Debug, Clone)]
pub struct OneShots {
    at: BTreeSet<Due>,
    batch: BTreeSet<Due>,
    /// The queue letter of each pending batch job.
    letters: HashMap<u64, char>,
    /// At jobs claimed and ready: (instant, run) to job id.
    ready: BTreeMap<Ready, u64>,
    /// No batch job starts, and the load is not read, before this instant.
    batch_not_before: Option<Timestamp>,
    batch_interval: SignedDuration,
    /// Runs started and not yet finished.
    running: u32,
}

impl OneShots {
    /// An empty queue starting at most one batch job per `batch_interval`.
    pub fn new(batch_interval: SignedDuration) -> OneShots {
        OneShots {
            at: BTreeSet::new(),
            batch: BTreeSet::new(),
            letters: HashMap::new(),
            ready: BTreeMap::new(),
            batch_not_before: None,
            batch_interval,
            running: 0,
        }
    }

    /// Changes the least time between two batch starts (SIGHUP).
    pub fn set_batch_interval(&mut self, interval: SignedDuration) {
        self.batch_interval = interval;
    }

    /// Adds a pending job (from the spool at start, or a submission);
    /// `queue` is at(1)'s queue letter.
    pub fn add(&mut self, id: u64, due: Timestamp, kind: Kind, queue: char) {
        self.queue(kind).insert((due, id));
        if kind == Kind::Batch {
            self.letters.insert(id, queue);
        }
    }

    /// Forgets a pending job removed before it ran.
    pub fn remove(&mut self, id: u64, due: Timestamp, kind: Kind) {
        self.queue(kind).remove(&(due, id));
        self.letters.remove(&id);
    }

    /// The number of pending jobs of `kind` (not ready ones).
    pub fn pending(&self, kind: Kind) -> usize {
        match kind {
            Kind::At => self.at.len(),
            Kind::Batch => self.batch.len(),
        }
    }

    /// The number of jobs made ready.
    pub fn ready(&self) -> usize {
        self.ready.len()
    }

    fn queue(&mut self, kind: Kind) -> &mut BTreeSet<Due> {
        match kind {
            Kind::At => &mut self.at,
            Kind::Batch => &mut self.batch,
        }
    }

    /// The instant the daemon must next look, if anything is pending.
    pub fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        // With the ready set full, the next job is simply started when due.
        let to_arm = self.at.first().map(|&(due, _)| {
            if self.ready.len() < ARM_LIMIT {
                earlier(due, ARM_AHEAD)
            } else {
                due
            }
        });
        let to_launch = self.ready.first_key_value().map(|(&(due, _), _)| due);
        let batch = self.batch.first().map(|&(due, _)| {
            match self.batch_not_before {
                // A clock set back leaves an old limit far ahead: ignore it.
                Some(not_before) if not_before <= later(now, self.batch_interval) => {
                    due.max(not_before)
                }
                _ => due,
            }
        });
        [to_arm, to_launch, batch].into_iter().flatten().min()
    }

    /// Ready jobs whose instant is past `horizon` (all when `None`): made
    /// ready before the clock was set back, or the daemon stops. They leave
    /// the ready set; the daemon gives their claims back and then calls
    /// [`given_back`](Self::given_back), or [`made_ready`](Self::made_ready)
    /// again when it could not.
    pub fn take_ready_after(&mut self, horizon: Option<Timestamp>) -> Vec<(Ready, u64)> {
        let back = match horizon {
            Some(horizon) => {
                if self
                    .ready
                    .last_key_value()
                    .is_none_or(|(&(due, _), _)| due <= horizon)
                {
                    return Vec::new();
                }
                self.ready
                    .split_off(&(later(horizon, SignedDuration::from_nanos(1)), 0))
            }
            None => std::mem::take(&mut self.ready),
        };
        back.into_iter().collect()
    }

    /// A job whose claim was given back is pending again.
    pub fn given_back(&mut self, due: Timestamp, id: u64) {
        self.at.insert((due, id));
    }

    /// At jobs due by `now`: overdue after a restart or a clock set forward,
    /// or past the ready set's limit. They leave the queue; the daemon
    /// claims and starts them at once.
    pub fn take_due_at(&mut self, now: Timestamp) -> Vec<Due> {
        let mut due = Vec::new();
        while let Some(&(instant, id)) = self.at.first() {
            if instant > now {
                break;
            }
            self.at.pop_first();
            due.push((instant, id));
        }
        due
    }

    /// At jobs due within [`ARM_AHEAD`] of `now`, as many as the ready set
    /// has room for. They leave the queue; the daemon claims each and
    /// reports it with [`made_ready`](Self::made_ready).
    pub fn take_to_arm(&mut self, now: Timestamp) -> Vec<Due> {
        let horizon = later(now, ARM_AHEAD);
        let mut to_arm = Vec::new();
        while let Some(&(due, id)) = self.at.first() {
            if due > horizon || self.ready.len() + to_arm.len() >= ARM_LIMIT {
                break;
            }
            self.at.pop_first();
            to_arm.push((due, id));
        }
        to_arm
    }

    /// Job `id`, due at `due`, was claimed as run `run` and made ready.
    pub fn made_ready(&mut self, due: Timestamp, run: u64, id: u64) {
        self.ready.insert((due, run), id);
    }

    /// Ready jobs due by `now`: the daemon forks them now.
    pub fn take_ready_due(&mut self, now: Timestamp) -> Vec<Ready> {
        let mut due = Vec::new();
        while let Some(entry) = self.ready.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove_entry().0);
        }
        due
    }

    /// Jobs were claimed: a claimed job is no longer pending.
    pub fn claimed(&mut self, ids: impl IntoIterator<Item = u64>) {
        for id in ids {
            self.letters.remove(&id);
        }
    }

    /// The claim of `jobs` of `kind` failed at `now`: each is tried again
    /// [`CLAIM_RETRY`] later (or at its instant, if later still).
    pub fn claim_failed(&mut self, jobs: &[Due], kind: Kind, now: Timestamp) {
        let retry = later(now, CLAIM_RETRY);
        for &(due, id) in jobs {
            self.queue(kind).insert((due.max(retry), id));
        }
    }

    /// The batch job due by `now` to start next: the lowest queue letter,
    /// then the oldest job, as atd picks (upper-case queues before `b`, as
    /// their letters sort).
    pub fn next_batch(&self, now: Timestamp) -> Option<Due> {
        self.batch
            .range(..=(now, u64::MAX))
            .min_by_key(|&&(_, id)| (self.letters.get(&id).copied().unwrap_or('b'), id))
            .copied()
    }

    /// Whether a batch job may start at `now`, and which: one is due and a
    /// batch interval has passed since the last turn (or the clock was set
    /// back past it). A turn is used up whether or not the job starts: the
    /// daemon then reads the load, and calls
    /// [`take_batch`](Self::take_batch) when it is low enough.
    pub fn batch_turn(&mut self, now: Timestamp) -> Option<Due> {
        let candidate = self.next_batch(now)?;
        let allowed = match self.batch_not_before {
            Some(not_before) => now >= not_before || not_before > later(now, self.batch_interval),
            None => true,
        };
        if !allowed {
            return None;
        }
        self.batch_not_before = Some(later(now, self.batch_interval));
        Some(candidate)
    }

    /// The batch job given by [`batch_turn`](Self::batch_turn) leaves the
    /// queue to be claimed and started.
    pub fn take_batch(&mut self, job: Due) {
        self.batch.remove(&job);
    }

    /// `count` runs started.
    pub fn started(&mut self, count: usize) {
        self.running = self
            .running
            .saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
    }

    /// A started run ended; true when no run is left in progress. This is
    /// where what follows a run is decided (a retry, a queued overlap).
    pub fn finished(&mut self) -> bool {
        self.running = self.running.saturating_sub(1);
        self.running == 0
    }

    /// The number of runs in progress.
    pub fn running(&self) -> u32 {
        self.running
    }
}

/// `at + by`, or the last instant there is: a mock clock may be set near
/// the end of time, and the daemon must not panic there.
pub fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// `at - by`, or the first instant there is.
pub fn earlier(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_sub(by).unwrap_or(Timestamp::MIN)
}

#[cfg(test)]
mod tests;
