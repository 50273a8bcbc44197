//! The planner of periodic jobs: at each wake-up, which crontab entries are
//! due, with cron(8)'s rules for late wake-ups and clock changes.
//!
//! This is the virtual-time model of Vixie and OpenBSD cron (cron.c) as a
//! pure value: the [`Planner`] never reads a clock. The daemon hands it the
//! wall time and a monotonic reading at each wake-up; the difference
//! between how far the wall clock moved and how much time really passed is
//! a *step* of the clock (`date -s`, an NTP step, a suspend), and the step
//! decides what runs:
//!
//! | step                        | [`Wakeup`] | fixed-time entries              | wildcard entries            |
//! |-----------------------------|------------|---------------------------------|-----------------------------|
//! | under 1 s                   | `Normal`   | due ones run                    | due ones run                |
//! | 1 s to 5 min forward        | `Late`     | every one due in the gap, once  | every one due in the gap, once |
//! | over 5 min, under 3 h fwd   | `Forward`  | jumped-over ones run, once      | follow the new clock        |
//! | under 3 h back              | `Back`     | do not run again until the clock is back where it was | follow the new clock |
//! | 3 h or more either way      | `Reset`    | the new time is taken as it is  | the new time is taken as it is |
//!
//! A *wildcard* entry has `*` at the start of its minute or hour field
//! ([`Schedule::is_wildcard`]); every other entry is *fixed-time*. "Follow
//! the new clock" means the entry's next run is its first time after the new
//! wall time, and it runs right away only when the new time is exactly one
//! of its times (cron, which looks at whole minutes, runs the entries of
//! the minute it lands in). Each entry runs at most once per wake-up, however
//! many of its times were passed over: the catch-up is a single run, never a
//! storm.
//!
//! DST is not a step: the wall time of a zone changes, the clock does not.
//! [`Schedule::next_after`] applies cron(8)'s DST rules.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
pub use sched_cron::{Schedule, Zone};

/// Steps smaller than this are measurement noise between the two clock
/// readings, not a change of the clock.
pub const NOISE: SignedDuration = SignedDuration::from_secs(1);

/// The largest forward step that is still a late wake-up: every job due in
/// the gap runs, once.
pub const LATE_LIMIT: SignedDuration = SignedDuration::from_mins(5);

/// Steps of this size or larger, either way, are a reset: no catch-up.
pub const RESET_LIMIT: SignedDuration = SignedDuration::from_hours(3);

/// A reading of the daemon's clocks at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The wall clock (CLOCK_REALTIME, or the mock clock).
    pub wall: Timestamp,
    /// Time really elapsed since an arbitrary origin (CLOCK_MONOTONIC, which
    /// does not count a suspend: waking from one is a step, as for cron).
    pub monotonic: SignedDuration,
}

/// How a wake-up relates to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wakeup {
    /// The clock moved as time passed.
    Normal,
    /// The clock moved forward by up to [`LATE_LIMIT`] more than time passed.
    Late,
    /// Forward by more than [`LATE_LIMIT`] and less than [`RESET_LIMIT`].
    Forward,
    /// Backward by less than [`RESET_LIMIT`].
    Back,
    /// [`RESET_LIMIT`] or more either way.
    Reset,
}

impl Wakeup {
    /// Classifies a step of the wall clock (wall movement minus elapsed time).
    pub fn of_step(step: SignedDuration) -> Wakeup {
        if step >= RESET_LIMIT || step <= -RESET_LIMIT {
            Wakeup::Reset
        } else if step > LATE_LIMIT {
            Wakeup::Forward
        } else if step >= NOISE {
            Wakeup::Late
        } else if step <= -NOISE {
            Wakeup::Back
        } else {
            Wakeup::Normal
        }
    }
}

/// What one wake-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance<K> {
    pub wakeup: Wakeup,
    /// How far the wall clock moved beyond (or short of) the time that passed.
    pub step: SignedDuration,
    /// The entries to run now, each once, with the instant each was due at,
    /// in (instant, key) order.
    pub due: Vec<(K, Timestamp)>,
}

#[derive(Debug, Clone)]
struct Slot {
    schedule: Schedule,
    zone: Arc<Zone>,
    wildcard: bool,
    /// The next instant the entry is due at; `None` for `@reboot` and for a
    /// schedule with no time left before the year 10000.
    next: Option<Timestamp>,
}

/// The periodic entries and when each is next due.
///
/// Keys are the caller's: the daemon gives each crontab entry a key that
/// stays the same while the entry is unchanged, so that a reload keeps the
/// entry's place in time.
#[derive(Debug, Clone)]
pub struct Planner<K> {
    slots: HashMap<K, Slot>,
    queue: BTreeSet<(Timestamp, K)>,
    last: Reading,
}

impl<K: Copy + Ord + Hash> Planner<K> {
    /// An empty planner whose last look at the clocks was `now`.
    pub fn new(now: Reading) -> Planner<K> {
        Planner {
            slots: HashMap::new(),
            queue: BTreeSet::new(),
            last: now,
        }
    }

    /// Adds (or replaces) entry `key`, next due at its first time after
    /// `now`.
    pub fn insert(&mut self, key: K, schedule: Schedule, zone: Arc<Zone>, now: Timestamp) {
        self.remove(key);
        let next = schedule.next_after(&zone, now);
        let wildcard = schedule.is_wildcard();
        if let Some(next) = next {
            self.queue.insert((next, key));
        }
        self.slots.insert(
            key,
            Slot {
                schedule,
                zone,
                wildcard,
                next,
            },
        );
    }

    /// Removes entry `key`; false if there was none.
    pub fn remove(&mut self, key: K) -> bool {
        match self.slots.remove(&key) {
            Some(slot) => {
                if let Some(next) = slot.next {
                    self.queue.remove(&(next, key));
                }
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// When entry `key` is next due.
    pub fn next_of(&self, key: K) -> Option<Timestamp> {
        self.slots.get(&key).and_then(|slot| slot.next)
    }

    /// The earliest instant any entry is due: the daemon sleeps until then.
    pub fn next_wake(&self) -> Option<Timestamp> {
        self.queue.first().map(|&(at, _)| at)
    }

    /// Looks at the clocks `now`: classifies the wake-up against the last
    /// one, returns the entries due, and moves each entry's next instant on.
    pub fn advance(&mut self, now: Reading) -> Advance<K> {
        let elapsed = now.monotonic - self.last.monotonic;
        let moved = now.wall.duration_since(self.last.wall);
        let step = moved - elapsed;
        let wakeup = Wakeup::of_step(step);
        // The wall time the clock would show had it not been set.
        let expected = self.last.wall.checked_add(elapsed).unwrap_or(now.wall);
        self.last = now;
        let now = now.wall;
        let due = match wakeup {
            Wakeup::Normal | Wakeup::Late => self.take_due_by(now, |_, _| true, now),
            Wakeup::Forward => {
                // Fixed-time entries jumped over run once; wildcard entries
                // run only for time that really passed, or at the new time.
                let mut due =
                    self.take_due_by(now, |slot, next| !slot.wildcard || next <= expected, now);
                due.extend(self.take_landing(now, |slot| slot.wildcard));
                due
            }
            Wakeup::Back => {
                // What came due while time really passed runs. Fixed-time
                // entries then wait until the clock is back where it was.
                let mut due = self.take_due_by(now, |_, _| true, expected.max(now));
                due.extend(self.take_landing(now, |slot| slot.wildcard));
                self.follow(now, |slot| slot.wildcard);
                due
            }
            Wakeup::Reset => {
                let due = self.take_landing(now, |_| true);
                self.follow(now, |_| true);
                due
            }
        };
        // Once each, at its earliest instant, in time order.
        let mut due = due;
        due.sort_unstable_by_key(|a| (a.0, a.1));
        due.dedup_by(|later, first| later.0 == first.0);
        due.sort_unstable_by_key(|a| (a.1, a.0));
        Advance { wakeup, step, due }
    }

    /// Takes every entry due at or before `now` out of the queue; those
    /// `runs` accepts are returned as due. Each is rescheduled after
    /// `resume` (the instant its times count from again).
    fn take_due_by(
        &mut self,
        now: Timestamp,
        runs: impl Fn(&Slot, Timestamp) -> bool,
        resume: Timestamp,
    ) -> Vec<(K, Timestamp)> {
        let mut due = Vec::new();
        while let Some(&(next, key)) = self.queue.first() {
            if next > now {
                break;
            }
            self.queue.pop_first();
            if let Some(slot) = self.slots.get(&key)
                && runs(slot, next)
            {
                due.push((key, next));
            }
            self.reschedule(key, resume);
        }
        due
    }

    /// Entries accepted by `which` that are due exactly at `now` (the new
    /// time a step landed on) but not in the queue for it.
    fn take_landing(&self, now: Timestamp, which: impl Fn(&Slot) -> bool) -> Vec<(K, Timestamp)> {
        // Fire instants are whole seconds.
        if now.subsec_nanosecond() != 0 {
            return Vec::new();
        }
        let Some(before) = now.checked_sub(SignedDuration::from_secs(1)).ok() else {
            return Vec::new();
        };
        self.slots
            .iter()
            .filter(|(_, slot)| which(slot))
            .filter(|(_, slot)| slot.schedule.next_after(&slot.zone, before) == Some(now))
            .map(|(&key, _)| (key, now))
            .collect()
    }

    /// Reschedules every entry accepted by `which` at its first time after
    /// `now`.
    fn follow(&mut self, now: Timestamp, which: impl Fn(&Slot) -> bool) {
        let keys: Vec<K> = self
            .slots
            .iter()
            .filter(|(_, slot)| which(slot))
            .map(|(&key, _)| key)
            .collect();
        for key in keys {
            self.reschedule(key, now);
        }
    }

    fn reschedule(&mut self, key: K, after: Timestamp) {
        let Some(slot) = self.slots.get_mut(&key) else {
            return;
        };
        if let Some(old) = slot.next {
            self.queue.remove(&(old, key));
        }
        slot.next = slot.schedule.next_after(&slot.zone, after);
        if let Some(next) = slot.next {
            self.queue.insert((next, key));
        }
    }
}

#[cfg(test)]
mod tests;
