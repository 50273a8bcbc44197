//! The one-shot rules, each on a simulated clock: the daemon's loop is
//! played by waking at each instant the queue asks for, claiming and
//! starting what it says, exactly as the scheduler does.

use std::collections::HashMap;

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const MIN: SignedDuration = SignedDuration::from_mins(1);

/// A start: (job id, instant it started, instant it was due).
type Start = (u64, Timestamp, Timestamp);

struct Sim {
    queue: OneShots,
    now: Timestamp,
    /// The load is above the batch limit.
    load_high: bool,
    /// Claims fail (the spool is full).
    claims_fail: bool,
    starts: Vec<Start>,
    /// (job id, instant it was made ready).
    made_ready: Vec<(u64, Timestamp)>,
    given_back: Vec<u64>,
    /// Ready runs: run id to (job id, instant due).
    ready: HashMap<u64, (u64, Timestamp)>,
    next_run: u64,
}

impl Sim {
    fn new(start: &str) -> Sim {
        Sim {
            queue: OneShots::new(MIN),
            now: at(start),
            load_high: false,
            claims_fail: false,
            starts: Vec::new(),
            made_ready: Vec::new(),
            given_back: Vec::new(),
            ready: HashMap::new(),
            next_run: 1,
        }
    }

    fn add_at(&mut self, id: u64, due: &str) {
        self.queue.add(id, at(due), Kind::At, 'a');
    }

    fn add_batch(&mut self, id: u64, due: &str, queue: char) {
        self.queue.add(id, at(due), Kind::Batch, queue);
    }

    /// One wake-up of the scheduler at `self.now`.
    fn look(&mut self) {
        let now = self.now;
        for ((due, run), id) in self.queue.take_ready_after(Some(later(now, ARM_AHEAD))) {
            self.ready.remove(&run);
            self.queue.given_back(due, id);
            self.given_back.push(id);
        }
        let due_now = self.queue.take_due_at(now);
        for (due, id) in self.claim(&due_now, Kind::At) {
            self.start(id, due);
        }
        let to_arm = self.queue.take_to_arm(now);
        for (due, id) in self.claim(&to_arm, Kind::At) {
            let run = self.next_run;
            self.next_run += 1;
            self.ready.insert(run, (id, due));
            self.queue.made_ready(due, run, id);
            self.made_ready.push((id, now));
        }
        for (_, run) in self.queue.take_ready_due(now) {
            let (id, due) = self.ready.remove(&run).unwrap();
            self.start(id, due);
        }
        if let Some(job) = self.queue.batch_turn(now)
            && !self.load_high
        {
            self.queue.take_batch(job);
            for (due, id) in self.claim(&[job], Kind::Batch) {
                self.start(id, due);
            }
        }
    }

    fn claim(&mut self, jobs: &[Due], kind: Kind) -> Vec<Due> {
        if self.claims_fail {
            self.queue.claim_failed(jobs, kind, self.now);
            return Vec::new();
        }
        self.queue.claimed(jobs.iter().map(|&(_, id)| id));
        jobs.to_vec()
    }

    fn start(&mut self, id: u64, due: Timestamp) {
        self.starts.push((id, self.now, due));
        self.queue.started(1);
    }

    /// Lets time pass until `until`, waking at each instant asked for.
    fn pass_until(&mut self, until: &str) {
        let until = at(until);
        for _ in 0..100_000 {
            match self.queue.next_wake(self.now) {
                Some(wake) if wake <= until => {
                    self.now = self.now.max(wake);
                    self.look();
                }
                _ => break,
            }
        }
        self.now = until;
        self.look();
    }

    /// Sets the clock to `to` and wakes at once.
    fn set_clock(&mut self, to: &str) {
        self.now = at(to);
        self.look();
    }

    fn started(&self) -> Vec<(u64, Timestamp)> {
        self.starts.iter().map(|&(id, at, _)| (id, at)).collect()
    }
}

#[test]
fn an_at_job_is_made_ready_just_before_its_instant_and_starts_at_it() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_at(1, "2026-03-01T12:05:00Z");
    sim.add_at(2, "2026-03-01T12:05:00.020Z");
    assert_eq!(
        sim.queue.next_wake(sim.now),
        Some(at("2026-03-01T12:05:00Z") - ARM_AHEAD)
    );
    sim.pass_until("2026-03-01T12:10:00Z");
    // Each is made ready ARM_AHEAD before its own instant.
    assert_eq!(
        sim.made_ready,
        [
            (1, at("2026-03-01T12:05:00Z") - ARM_AHEAD),
            (2, at("2026-03-01T12:05:00.020Z") - ARM_AHEAD)
        ]
    );
    assert_eq!(
        sim.started(),
        [
            (1, at("2026-03-01T12:05:00Z")),
            (2, at("2026-03-01T12:05:00.020Z"))
        ]
    );
    assert_eq!(sim.queue.next_wake(sim.now), None);
}

#[test]
fn a_job_due_while_the_daemon_was_down_starts_at_once() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_at(1, "2026-03-01T09:00:00Z");
    sim.look();
    assert_eq!(
        sim.starts,
        [(1, at("2026-03-01T12:00:00Z"), at("2026-03-01T09:00:00Z"))]
    );
    assert!(sim.made_ready.is_empty());
}

#[test]
fn a_clock_set_forward_past_jobs_starts_them_at_once_in_order() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_at(2, "2026-03-01T13:00:00Z");
    sim.add_at(1, "2026-03-01T12:30:00Z");
    sim.add_at(3, "2026-03-01T15:00:00Z");
    sim.set_clock("2026-03-01T14:00:00Z");
    assert_eq!(
        sim.starts,
        [
            (1, at("2026-03-01T14:00:00Z"), at("2026-03-01T12:30:00Z")),
            (2, at("2026-03-01T14:00:00Z"), at("2026-03-01T13:00:00Z")),
        ]
    );
    sim.pass_until("2026-03-01T16:00:00Z");
    assert_eq!(sim.started()[2], (3, at("2026-03-01T15:00:00Z")));
}

#[test]
fn a_ready_job_is_given_back_when_the_clock_is_set_back_and_starts_at_its_instant() {
    let mut sim = Sim::new("2026-03-01T12:04:59.960Z");
    sim.add_at(1, "2026-03-01T12:05:00Z");
    sim.look();
    assert_eq!(sim.made_ready, [(1, at("2026-03-01T12:04:59.960Z"))]);
    assert_eq!(sim.queue.ready(), 1);
    // Set back an hour before it started: given back, pending again.
    sim.set_clock("2026-03-01T11:05:00Z");
    assert_eq!(sim.given_back, [1]);
    assert_eq!(sim.queue.ready(), 0);
    assert_eq!(sim.queue.pending(Kind::At), 1);
    assert!(sim.starts.is_empty());
    // It waits for its instant again, and runs once.
    sim.pass_until("2026-03-01T12:10:00Z");
    assert_eq!(sim.started(), [(1, at("2026-03-01T12:05:00Z"))]);
    assert_eq!(
        sim.made_ready.len(),
        2,
        "made ready again before its instant"
    );
}

#[test]
fn a_clock_set_back_a_little_keeps_ready_jobs_due_within_the_horizon() {
    let mut sim = Sim::new("2026-03-01T12:04:59.960Z");
    sim.add_at(1, "2026-03-01T12:05:00Z");
    sim.look();
    // Back by 5 ms: the instant is still within ARM_AHEAD.
    sim.set_clock("2026-03-01T12:04:59.955Z");
    assert!(sim.given_back.is_empty());
    sim.pass_until("2026-03-01T12:06:00Z");
    assert_eq!(sim.started(), [(1, at("2026-03-01T12:05:00Z"))]);
}

#[test]
fn past_the_ready_limit_jobs_start_at_their_instant_without_being_made_ready() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    for id in 0..(ARM_LIMIT as u64 + 36) {
        sim.add_at(id, "2026-03-01T12:01:00Z");
    }
    sim.pass_until("2026-03-01T12:02:00Z");
    assert_eq!(sim.made_ready.len(), ARM_LIMIT);
    assert_eq!(sim.starts.len(), ARM_LIMIT + 36);
    assert!(
        sim.started()
            .iter()
            .all(|&(_, started)| started == at("2026-03-01T12:01:00Z")),
        "every job starts at its instant: {:?}",
        sim.started()
    );
    let mut ids: Vec<u64> = sim.started().iter().map(|&(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ARM_LIMIT + 36, "each once");
}

#[test]
fn batch_jobs_start_one_per_interval_lowest_queue_first_then_oldest() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_batch(5, "2026-03-01T12:00:00Z", 'b');
    sim.add_batch(3, "2026-03-01T12:00:00Z", 'c');
    sim.add_batch(9, "2026-03-01T12:00:00Z", 'B');
    sim.add_batch(4, "2026-03-01T12:00:00Z", 'b');
    sim.pass_until("2026-03-01T12:10:00Z");
    assert_eq!(
        sim.started(),
        [
            (9, at("2026-03-01T12:00:00Z")),
            (4, at("2026-03-01T12:01:00Z")),
            (5, at("2026-03-01T12:02:00Z")),
            (3, at("2026-03-01T12:03:00Z")),
        ]
    );
}

#[test]
fn a_high_load_holds_batch_jobs_and_each_turn_looks_again_an_interval_later() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_batch(1, "2026-03-01T12:00:00Z", 'b');
    sim.load_high = true;
    sim.pass_until("2026-03-01T12:02:30Z");
    assert!(sim.starts.is_empty());
    assert_eq!(
        sim.queue.next_batch(sim.now),
        Some((at("2026-03-01T12:00:00Z"), 1))
    );
    assert_eq!(
        sim.queue.next_wake(sim.now),
        Some(at("2026-03-01T12:03:00Z"))
    );
    sim.load_high = false;
    sim.pass_until("2026-03-01T12:10:00Z");
    assert_eq!(sim.started(), [(1, at("2026-03-01T12:03:00Z"))]);
}

#[test]
fn after_the_clock_is_set_back_the_batch_interval_counts_from_the_new_time() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_batch(1, "2026-03-01T12:00:00Z", 'b');
    sim.add_batch(2, "2026-03-01T12:00:00Z", 'b');
    sim.look();
    assert_eq!(sim.started(), [(1, at("2026-03-01T12:00:00Z"))]);
    // An hour back: the old limit (12:01) is far ahead, and ignored.
    sim.set_clock("2026-03-01T11:00:00Z");
    assert_eq!(sim.starts.len(), 1, "job 2 is not due at 11:00");
    sim.add_batch(3, "2026-03-01T11:00:00Z", 'a');
    sim.look();
    assert_eq!(sim.started()[1], (3, at("2026-03-01T11:00:00Z")));
    // A step back by less than the time since that start keeps the pace:
    // the next batch job waits for 11:01.
    sim.pass_until("2026-03-01T11:00:40Z");
    sim.set_clock("2026-03-01T11:00:20Z");
    sim.add_batch(4, "2026-03-01T10:59:00Z", 'a');
    sim.look();
    assert_eq!(sim.starts.len(), 2);
    sim.pass_until("2026-03-01T11:05:00Z");
    assert_eq!(sim.started()[2], (4, at("2026-03-01T11:01:00Z")));
}

#[test]
fn a_failed_claim_is_tried_again_a_minute_later() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_at(1, "2026-03-01T12:00:00Z");
    sim.add_batch(2, "2026-03-01T12:00:00Z", 'b');
    sim.claims_fail = true;
    sim.look();
    assert!(sim.starts.is_empty());
    assert_eq!(
        sim.queue.next_wake(sim.now),
        Some(at("2026-03-01T12:01:00Z") - ARM_AHEAD)
    );
    sim.claims_fail = false;
    sim.pass_until("2026-03-01T12:05:00Z");
    assert_eq!(
        sim.started(),
        [
            (1, at("2026-03-01T12:01:00Z")),
            (2, at("2026-03-01T12:01:00Z"))
        ]
    );
}

#[test]
fn a_removed_job_never_starts_and_the_queue_counts_runs_in_progress() {
    let mut sim = Sim::new("2026-03-01T12:00:00Z");
    sim.add_at(1, "2026-03-01T12:01:00Z");
    sim.add_at(2, "2026-03-01T12:02:00Z");
    sim.queue.remove(2, at("2026-03-01T12:02:00Z"), Kind::At);
    sim.pass_until("2026-03-01T12:05:00Z");
    assert_eq!(sim.started(), [(1, at("2026-03-01T12:01:00Z"))]);
    assert_eq!(sim.queue.running(), 1);
    sim.queue.started(2);
    assert!(!sim.queue.finished());
    assert!(!sim.queue.finished());
    assert!(sim.queue.finished(), "the last run ended");
    assert_eq!(sim.queue.running(), 0);
}

#[test]
fn the_end_of_time_does_not_overflow() {
    let end = Timestamp::MAX.to_string();
    let mut sim = Sim::new("9999-12-30T21:59:59.990Z");
    sim.add_at(1, "9999-12-30T21:59:59.999Z");
    sim.add_batch(2, "9999-12-30T21:59:59.990Z", 'b');
    sim.add_batch(3, "9999-12-30T21:59:59.990Z", 'b');
    sim.pass_until(&end);
    assert_eq!(
        sim.started(),
        [
            (2, at("9999-12-30T21:59:59.990Z")),
            (1, at("9999-12-30T21:59:59.999Z")),
            (3, Timestamp::MAX),
        ],
        "the second batch job's turn is the last instant there is"
    );
}
