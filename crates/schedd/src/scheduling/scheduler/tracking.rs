//! What the scheduler remembers to carry out the policies' decisions: the
//! runs in progress of each crontab entry and the occurrences waiting for
//! them (overlap), the occurrences waiting for their random delay, the
//! retries waiting for their instant, and the signals due to runs that
//! outlive their timeout or are being replaced. All of it is keyed by
//! instant, so the scheduler's single sleep covers it.
//!
//! Signals are timed on the monotonic clock: a timeout is how long a job
//! really ran, which setting the wall clock does not change. Delays and
//! retries are instants on the wall clock, as every scheduled instant is
//! (a retry kept in the spool must mean the same after a restart).

use std::collections::{BTreeSet, HashMap, VecDeque};

use jiff::{SignedDuration, Timestamp};
use sched_cron::policy::Policy;
use sched_engine::Key;
use sched_spool::{JobRecord, RunId};

/// One occurrence of a crontab entry: the entry, its instant, and which
/// attempt (1 for its first run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Occurrence {
    pub key: Key,
    pub scheduled: Timestamp,
    pub attempt: u32,
}

/// What the scheduler keeps of a crontab entry's run in progress.
#[derive(Debug, Clone)]
pub struct CronRunInfo {
    pub occurrence: Occurrence,
    pub policy: Policy,
    pub seed: u64,
    /// `FILE:LINE` and the command: a retry is of this line only while it
    /// still holds this command.
    pub origin: String,
    pub command: String,
    pub owner_uid: u32,
}

/// What the scheduler keeps of a one-shot job's run in progress.
#[derive(Debug, Clone)]
pub struct JobRunInfo {
    pub record: JobRecord,
    pub policy: Policy,
}

/// Why a run is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStage {
    /// SIGTERM when its timeout comes.
    Timeout,
    /// SIGKILL once the grace after SIGTERM is over.
    Kill,
}

/// An occurrence waiting for the entry's running run to end, and what its
/// history will say about the wait.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub occurrence: Occurrence,
    pub note: String,
}

/// The runs of one entry in progress, and the occurrences waiting.
#[derive(Debug, Default)]
pub struct EntryRuns {
    pub running: Vec<RunId>,
    pub waiting: VecDeque<Waiting>,
}

/// The scheduler's memory of the policies at work.
#[derive(Debug, Default)]
pub struct Tracking {
    pub cron_runs: HashMap<RunId, CronRunInfo>,
    pub job_runs: HashMap<RunId, JobRunInfo>,
    pub entries: HashMap<Key, EntryRuns>,
    /// Signals due, by reading of the monotonic clock.
    stops: BTreeSet<(SignedDuration, RunId)>,
    stop_of: HashMap<RunId, (SignedDuration, StopStage)>,
    /// Occurrences waiting for their random delay, by start instant.
    pub delayed: BTreeSet<(Timestamp, Occurrence)>,
    /// Retries of crontab entries waiting, by start instant.
    pub retries: BTreeSet<(Timestamp, Occurrence)>,
    /// Runs the daemon stopped to replace them: their end is not a
    /// failure to retry.
    pub replaced: std::collections::HashSet<RunId>,
}

impl Tracking {
    /// The earliest instant something here is due, the monotonic clock
    /// reading `monotonic` when the wall clock reads `now`.
    pub fn next_wake(&self, now: Timestamp, monotonic: SignedDuration) -> Option<Timestamp> {
        let stop = self.stops.first().map(|&(at, _)| {
            now.checked_add((at - monotonic).max(SignedDuration::ZERO))
                .unwrap_or(Timestamp::MAX)
        });
        [
            stop,
            self.delayed.first().map(|d| d.0),
            self.retries.first().map(|r| r.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Schedules `stage` for run `run` when the monotonic clock reads
    /// `at`, replacing what was scheduled for it.
    pub fn stop_at(&mut self, run: RunId, at: SignedDuration, stage: StopStage) {
        self.cancel_stop(run);
        self.stops.insert((at, run));
        self.stop_of.insert(run, (at, stage));
    }

    /// Forgets the signal scheduled for run `run`.
    pub fn cancel_stop(&mut self, run: RunId) {
        if let Some((at, _)) = self.stop_of.remove(&run) {
            self.stops.remove(&(at, run));
        }
    }

    /// The signals due when the monotonic clock reads `now`.
    pub fn take_stops(&mut self, now: SignedDuration) -> Vec<(RunId, StopStage)> {
        let mut due = Vec::new();
        while let Some(&(at, run)) = self.stops.first() {
            if at > now {
                break;
            }
            self.stops.pop_first();
            if let Some((_, stage)) = self.stop_of.remove(&run) {
                due.push((run, stage));
            }
        }
        due
    }

    /// Takes the items of `set` due at or before `now`.
    pub fn take_due(
        set: &mut BTreeSet<(Timestamp, Occurrence)>,
        now: Timestamp,
    ) -> Vec<Occurrence> {
        let mut due = Vec::new();
        while set.first().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, occurrence)) = set.pop_first() {
                due.push(occurrence);
            }
        }
        due
    }

    /// Takes the retries waiting for entry `key`.
    pub fn take_retries_of(&mut self, key: Key) -> Vec<(Timestamp, Occurrence)> {
        let of: Vec<(Timestamp, Occurrence)> = self
            .retries
            .iter()
            .filter(|(_, occurrence)| occurrence.key == key)
            .copied()
            .collect();
        for item in &of {
            self.retries.remove(item);
        }
        of
    }

    /// Forgets everything about entry `key` that waits (its line was
    /// removed or changed): its delayed occurrences, retries and queue.
    pub fn forget_entry(&mut self, key: Key) -> (Vec<Occurrence>, Vec<Occurrence>) {
        let delayed: Vec<(Timestamp, Occurrence)> = self
            .delayed
            .iter()
            .filter(|(_, occurrence)| occurrence.key == key)
            .copied()
            .collect();
        for item in &delayed {
            self.delayed.remove(item);
        }
        let retries = self.take_retries_of(key);
        // The key may be given to another entry, of any owner: nothing of
        // this one may look like the newcomer's (its runs in progress are
        // still known by run id in `cron_runs`).
        self.entries.remove(&key);
        (
            delayed.into_iter().map(|d| d.1).collect(),
            retries.into_iter().map(|r| r.1).collect(),
        )
    }

    /// The entry's runs in progress and waiting occurrences.
    pub fn entry(&mut self, key: Key) -> &mut EntryRuns {
        self.entries.entry(key).or_default()
    }

    /// Forgets run `run` of entry `key`; the entry's record goes when
    /// nothing of it is left.
    pub fn run_ended(&mut self, key: Key, run: RunId) {
        self.cancel_stop(run);
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.running.retain(|&r| r != run);
            if entry.running.is_empty() && entry.waiting.is_empty() {
                self.entries.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn stops_are_taken_in_time_order_and_a_cancelled_one_never() {
        let mut tracking = Tracking::default();
        let secs = SignedDuration::from_secs;
        tracking.stop_at(RunId(1), secs(600), StopStage::Timeout);
        tracking.stop_at(RunId(2), secs(300), StopStage::Timeout);
        tracking.stop_at(RunId(3), secs(60), StopStage::Kill);
        tracking.cancel_stop(RunId(3));
        // Rescheduling replaces: run 2's SIGKILL stage after its SIGTERM.
        tracking.stop_at(RunId(2), secs(310), StopStage::Kill);
        // The wall clock reads 10:00 when 100 s have passed: due at 10:03:30,
        // whatever the wall clock was set to before.
        let now = at("2026-01-01T10:00:00Z");
        assert_eq!(
            tracking.next_wake(now, secs(100)),
            Some(at("2026-01-01T10:03:30Z"))
        );
        assert_eq!(tracking.take_stops(secs(309)), vec![]);
        assert_eq!(
            tracking.take_stops(secs(600)),
            vec![(RunId(2), StopStage::Kill), (RunId(1), StopStage::Timeout)]
        );
        assert_eq!(tracking.next_wake(now, secs(600)), None);
    }

    #[test]
    fn retries_and_delays_are_due_by_instant_and_forgotten_with_their_entry() {
        let mut tracking = Tracking::default();
        let occurrence = |key, attempt| Occurrence {
            key,
            scheduled: at("2026-01-01T00:00:00Z"),
            attempt,
        };
        tracking
            .retries
            .insert((at("2026-01-01T00:00:30Z"), occurrence(1, 2)));
        tracking
            .retries
            .insert((at("2026-01-01T00:00:20Z"), occurrence(2, 2)));
        tracking
            .delayed
            .insert((at("2026-01-01T00:00:10Z"), occurrence(1, 1)));
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(
            tracking.next_wake(now, SignedDuration::ZERO),
            Some(at("2026-01-01T00:00:10Z"))
        );
        assert_eq!(
            Tracking::take_due(&mut tracking.retries, at("2026-01-01T00:00:25Z")),
            vec![occurrence(2, 2)]
        );
        assert_eq!(
            tracking.forget_entry(1),
            (vec![occurrence(1, 1)], vec![occurrence(1, 2)])
        );
        assert_eq!(tracking.next_wake(now, SignedDuration::ZERO), None);
    }
}
