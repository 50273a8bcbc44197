//! Every clock rule of the daemon, as pure values: the planner of periodic
//! jobs (this module: at each wake-up, which crontab entries are due, with
//! cron(8)'s rules for late wake-ups and clock changes) and the queue of
//! one-shot jobs ([`one_shots`]: when at and batch jobs are made ready and
//! started, and what a clock set back does to them), and what each job's
//! policy decides ([`policy`]: retries, overlap, catch-up after a
//! downtime, random delays, starting deadlines).
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
//! A daemon that wakes late with no change of the clock (stopped, starved,
//! a paused VM) is judged the same way, as cron.c judges it: how far the
//! clock is past the first instant that was due counts as a step forward,
//! so two hours late is `Forward` and three hours late is `Reset`.
//!
//! "The new time" of a step is the minute the clock lands in: entries
//! whose time falls between the start of that minute and now run, as cron,
//! which looks at whole minutes, runs the entries of the minute it wakes in.
//!
//! DST is not a step: the wall time of a zone changes, the clock does not.
//! [`Schedule::next_after`] applies cron(8)'s DST rules.
//!
//! The planner is built to hold hundreds of thousands of entries in little
//! memory: a slot is 32 bytes (the schedule's bitsets, the next instant as
//! minutes since 1900 and a second, an index into the few distinct zones,
//! the entry's place in the queue), and the queue is an indexed binary heap
//! of 4-byte keys.

pub mod one_shots;
pub mod policy;
mod queue;

use std::collections::HashMap;
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

/// The caller's name for an entry: small integers, reused after removal
/// (a slab index), so the planner can keep its slots in a vector.
pub type Key = u32;

/// What one wake-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    pub wakeup: Wakeup,
    /// How far the wall clock moved beyond (or short of) the time that passed.
    pub step: SignedDuration,
    /// How far past the first due instant the daemon woke, on the clock as
    /// it would read had it not been set (zero when on time).
    pub lateness: SignedDuration,
    /// The entries to run now, each once, with the instant each was due at,
    /// in (instant, key) order.
    pub due: Vec<(Key, Timestamp)>,
}

/// The origin of a slot's next instant: 1900-01-01T00:00:00Z. A `u32` of
/// minutes from it reaches past the year 10000, where schedules end.
const EPOCH: i64 = -2_208_988_800;

/// `next_minute` of a slot with no instant left (or `@reboot`, or free).
const NEVER: u32 = u32::MAX;

/// One entry, in 32 bytes.
#[derive(Debug, Clone)]
struct Slot {
    schedule: Schedule,
    /// The next instant the entry is due at, as minutes since [`EPOCH`]
    /// and a second within the minute (whole seconds: zones have offsets
    /// in whole seconds); [`NEVER`] for none.
    next_minute: u32,
    /// The entry's place in the heap; [`queue::ABSENT`] when not queued.
    heap_pos: u32,
    /// Index into [`Planner::zones`].
    zone: u16,
    next_second: u8,
    live: bool,
}

impl Slot {
    fn next(&self) -> Option<Timestamp> {
        if self.next_minute == NEVER {
            return None;
        }
        let second = EPOCH + i64::from(self.next_minute) * 60 + i64::from(self.next_second);
        Timestamp::from_second(second).ok()
    }

    /// Sets the next instant; one before [`EPOCH`] or too far ahead to
    /// hold (past the year 10000) counts as none.
    fn set_next(&mut self, next: Option<Timestamp>) {
        let since = next.map(|next| next.as_second() - EPOCH);
        match since.and_then(|since| u32::try_from(since.div_euclid(60)).ok()) {
            Some(minute) if minute != NEVER => {
                self.next_minute = minute;
                self.next_second = since.unwrap_or_default().rem_euclid(60) as u8;
            }
            _ => {
                self.next_minute = NEVER;
                self.next_second = 0;
            }
        }
    }

    /// What the heap orders by: earlier first, [`NEVER`] last.
    fn order(&self) -> u64 {
        u64::from(self.next_minute) << 6 | u64::from(self.next_second)
    }

    fn has_next(&self) -> bool {
        self.next_minute != NEVER
    }
}

/// The periodic entries and when each is next due.
///
/// Keys are the caller's: the daemon gives each crontab entry a key that
/// stays the same while the entry is unchanged, so that a reload keeps the
/// entry's place in time.
#[derive(Debug, Clone)]
pub struct Planner {
    slots: Vec<Slot>,
    /// The distinct zones of the entries (a handful: the system's and each
    /// CRON_TZ), so that a slot holds a 2-byte index, not a pointer.
    zones: Vec<Arc<Zone>>,
    /// `zones` by address: a zone is shared by all the entries that use it.
    zone_index: HashMap<usize, u16>,
    /// Keys of the slots with a next instant, a min-heap on (next, key).
    heap: Vec<Key>,
    live: usize,
    last: Reading,
}

impl Planner {
    /// An empty planner whose last look at the clocks was `now`.
    pub fn new(now: Reading) -> Planner {
        Planner {
            slots: Vec::new(),
            zones: Vec::new(),
            zone_index: HashMap::new(),
            heap: Vec::new(),
            live: 0,
            last: now,
        }
    }

    /// Makes room for `additional` more keys beyond the highest in use,
    /// with little slack: a daemon loading 100,000 entries should not hold
    /// room for 131,072.
    pub fn reserve(&mut self, additional: usize) {
        let slack = self.slots.len() / 8;
        self.slots.reserve_exact(additional.max(slack));
        self.heap.reserve_exact(additional.max(slack));
    }

    /// Adds (or replaces) entry `key`, next due at its first time after
    /// `now`.
    pub fn insert(&mut self, key: Key, schedule: Schedule, zone: Arc<Zone>, now: Timestamp) {
        self.remove(key);
        let zone = self.intern(zone);
        let index = key as usize;
        if index >= self.slots.len() {
            if index >= self.slots.capacity() {
                self.reserve(index + 1 - self.slots.len());
            }
            self.slots.resize(
                index + 1,
                Slot {
                    schedule: Schedule::REBOOT,
                    next_minute: NEVER,
                    heap_pos: queue::ABSENT,
                    zone: 0,
                    next_second: 0,
                    live: false,
                },
            );
        }
        let slot = &mut self.slots[index];
        slot.schedule = schedule;
        slot.zone = zone;
        slot.live = true;
        self.live += 1;
        self.reschedule(key, now);
    }

    /// Removes entry `key`; false if there was none.
    pub fn remove(&mut self, key: Key) -> bool {
        let Some(slot) = self.slots.get_mut(key as usize).filter(|slot| slot.live) else {
            return false;
        };
        slot.live = false;
        slot.set_next(None);
        slot.schedule = Schedule::REBOOT;
        self.live -= 1;
        queue::remove(&mut self.heap, &mut self.slots, key);
        // Trailing free slots are given back, so the vector does not keep the
        // size of the largest crontab ever loaded.
        while self.slots.last().is_some_and(|slot| !slot.live) {
            self.slots.pop();
        }
        true
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The schedule of entry `key`.
    pub fn schedule(&self, key: Key) -> Option<&Schedule> {
        self.slot(key).map(|slot| &slot.schedule)
    }

    /// The zone entry `key` runs in.
    pub fn zone(&self, key: Key) -> Option<&Arc<Zone>> {
        self.slot(key).map(|slot| &self.zones[slot.zone as usize])
    }

    /// When entry `key` is next due.
    pub fn next_of(&self, key: Key) -> Option<Timestamp> {
        self.slot(key).and_then(Slot::next)
    }

    /// The earliest instant any entry is due: the daemon sleeps until then.
    pub fn next_wake(&self) -> Option<Timestamp> {
        let &first = self.heap.first()?;
        self.slots[first as usize].next()
    }

    /// The entries due at the earliest instant any is ([`next_wake`](Self::next_wake)),
    /// and that instant, left in the queue: what a wake-up then on time
    /// would take, for the daemon to make ready ahead.
    pub fn first_due(&self) -> Option<(Timestamp, Vec<Key>)> {
        Some((self.next_wake()?, queue::first(&self.heap, &self.slots)))
    }

    /// Looks at the clocks `now`: classifies the wake-up against the last
    /// one, returns the entries due, and moves each entry's next instant on.
    pub fn advance(&mut self, now: Reading) -> Advance {
        let elapsed = now.monotonic - self.last.monotonic;
        let moved = now.wall.duration_since(self.last.wall);
        let step = moved - elapsed;
        // The wall time the clock would show had it not been set.
        let expected = self.last.wall.checked_add(elapsed).unwrap_or(now.wall);
        // Woken after the first due instant by more than noise, with or
        // without a step: cron.c counts the minutes its virtual time is
        // behind the clock, whatever the cause.
        let first_due = self.next_wake();
        let lateness = match first_due {
            Some(due) if due < expected => expected.duration_since(due),
            _ => SignedDuration::ZERO,
        };
        let late = lateness >= NOISE;
        let wakeup = Wakeup::of_step(step + if late { lateness } else { SignedDuration::ZERO });
        // Wildcard entries run for the time that passed on time: up to the
        // unset clock, or, woken late, only up to the first due instant.
        let on_time_until = match first_due {
            Some(due) if late => due
                .checked_sub(SignedDuration::from_nanos(1))
                .unwrap_or(due),
            _ => expected,
        };
        self.last = now;
        let now = now.wall;
        let mut due = match wakeup {
            Wakeup::Normal | Wakeup::Late => self.take_due_by(now, |_, _| true, now),
            Wakeup::Forward => {
                // Fixed-time entries jumped over run once; wildcard entries
                // run only for time that really passed, or in the minute the
                // clock landed in.
                let mut due = self.take_due_by(
                    now,
                    |slot, next| !slot.schedule.is_wildcard() || next <= on_time_until,
                    now,
                );
                due.extend(self.take_landing(now, |slot| slot.schedule.is_wildcard()));
                due
            }
            Wakeup::Back => {
                // What came due while time really passed runs. Fixed-time
                // entries then wait until the clock is back where it was.
                let mut due = self.take_due_by(now, |_, _| true, expected.max(now));
                due.extend(self.take_landing(now, |slot| slot.schedule.is_wildcard()));
                self.follow(now, |slot| slot.schedule.is_wildcard());
                due
            }
            Wakeup::Reset => {
                let due = self.take_landing(now, |_| true);
                self.follow(now, |_| true);
                due
            }
        };
        // Once each, at its earliest instant, in time order.
        due.sort_unstable_by_key(|a| (a.0, a.1));
        due.dedup_by(|later, first| later.0 == first.0);
        due.sort_unstable_by_key(|a| (a.1, a.0));
        Advance {
            wakeup,
            step,
            lateness: if late { lateness } else { SignedDuration::ZERO },
            due,
        }
    }

    fn slot(&self, key: Key) -> Option<&Slot> {
        self.slots.get(key as usize).filter(|slot| slot.live)
    }

    /// The index of `zone` in `zones`, added if new.
    fn intern(&mut self, zone: Arc<Zone>) -> u16 {
        let address = Arc::as_ptr(&zone) as usize;
        if let Some(&index) = self.zone_index.get(&address) {
            return index;
        }
        if self.zones.len() > usize::from(u16::MAX) {
            self.compact_zones();
        }
        // Fewer than 65,536 zones in use: there are about 600 IANA names,
        // and the daemon builds each once.
        let index = u16::try_from(self.zones.len()).unwrap_or(u16::MAX);
        self.zones.push(zone);
        self.zone_index.insert(address, index);
        index
    }

    /// Drops the zones no live entry uses any more.
    fn compact_zones(&mut self) {
        let mut used: HashMap<u16, u16> = HashMap::new();
        let mut zones = Vec::new();
        for slot in self.slots.iter_mut().filter(|slot| slot.live) {
            let new = *used.entry(slot.zone).or_insert_with(|| {
                zones.push(self.zones[slot.zone as usize].clone());
                (zones.len() - 1) as u16
            });
            slot.zone = new;
        }
        self.zone_index = zones
            .iter()
            .enumerate()
            .map(|(index, zone)| (Arc::as_ptr(zone) as usize, index as u16))
            .collect();
        self.zones = zones;
    }

    /// Takes every entry due at or before `now` out of the queue; those
    /// `runs` accepts are returned as due. Each is rescheduled after
    /// `resume` (the instant its times count from again).
    fn take_due_by(
        &mut self,
        now: Timestamp,
        runs: impl Fn(&Slot, Timestamp) -> bool,
        resume: Timestamp,
    ) -> Vec<(Key, Timestamp)> {
        let mut due = Vec::new();
        while let Some(&key) = self.heap.first() {
            let slot = &self.slots[key as usize];
            let Some(next) = slot.next().filter(|&next| next <= now) else {
                break;
            };
            if runs(slot, next) {
                due.push((key, next));
            }
            self.reschedule(key, resume);
        }
        due
    }

    /// Entries accepted by `which` with a time in the minute the clock
    /// landed in, up to `now`.
    fn take_landing(&self, now: Timestamp, which: impl Fn(&Slot) -> bool) -> Vec<(Key, Timestamp)> {
        let second = now.as_second();
        let minute_start = second - second.rem_euclid(60);
        let Ok(before) = Timestamp::from_second(minute_start - 1) else {
            return Vec::new();
        };
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.live && which(slot))
            .filter_map(|(key, slot)| {
                let zone = &self.zones[slot.zone as usize];
                let at = slot.schedule.next_after(zone, before)?;
                (at <= now).then_some((key as Key, at))
            })
            .collect()
    }

    /// Reschedules every entry accepted by `which` at its first time after
    /// `now`.
    fn follow(&mut self, now: Timestamp, which: impl Fn(&Slot) -> bool) {
        for key in 0..self.slots.len() {
            let slot = &self.slots[key];
            if slot.live && which(slot) {
                self.reschedule(key as Key, now);
            }
        }
    }

    /// Sets entry `key`'s next instant to its first time after `after`.
    fn reschedule(&mut self, key: Key, after: Timestamp) {
        let slot = &mut self.slots[key as usize];
        let zone = &self.zones[slot.zone as usize];
        slot.set_next(slot.schedule.next_after(zone, after));
        queue::update(&mut self.heap, &mut self.slots, key);
    }
}

#[cfg(test)]
mod tests;
