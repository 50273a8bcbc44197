//! What a job's policy decides, as pure functions: when a failed run is
//! tried again, whether an occurrence starts while the previous run still
//! runs, what a daemon that was down does with the occurrences it missed,
//! how long an occurrence's random delay is, and when an occurrence is too
//! late to start. The daemon carries the decisions out; `sched next` asks
//! the same functions, so what it prints is what happens.
//!
//! Every "random" choice is a keyed hash (SipHash-2-4 with fixed keys) of
//! the entry's identity and the instant or attempt: the same on every
//! daemon and after every reload, so a printed instant is the real one, and
//! different for each entry, so a fleet of identical entries is spread.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sched_cron::policy::{Backoff, CatchUp, Overlap};
use sched_cron::{Schedule, Zone};
use siphasher::sip::SipHasher24;
use std::hash::Hasher;

pub use sched_cron::policy::{Policy, PolicySpec};

/// The fixed keys of every policy hash. Not a secret: the hash spreads
/// entries, it does not hide anything.
const KEYS: (u64, u64) = (0x7363_6865_6464_2d31, 0x6a69_7474_6572_2d31);

/// An entry's identity for its random choices: its owner and its command
/// (and `%` text), which a reload or a move in the file does not change.
pub fn entry_seed(owner_uid: u32, command: &str, stdin: &str) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(KEYS.0, KEYS.1);
    hasher.write_u32(owner_uid);
    hasher.write(command.as_bytes());
    hasher.write_u8(0);
    hasher.write(stdin.as_bytes());
    hasher.finish()
}

/// A one-shot job's identity for its random choices.
pub fn job_seed(job_id: u64) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(KEYS.0, KEYS.1);
    hasher.write_u64(job_id);
    hasher.finish()
}

fn mix(seed: u64, what: u8, value: i64) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(KEYS.0, KEYS.1);
    hasher.write_u64(seed);
    hasher.write_u8(what);
    hasher.write_i64(value);
    hasher.finish()
}

/// A whole number of seconds from 0 to `max` (inclusive), chosen by `hash`.
fn spread(hash: u64, max: Duration) -> Duration {
    let max = max.as_secs();
    if max == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs(hash % (max + 1))
}

fn after(at: Timestamp, delay: Duration) -> Timestamp {
    let delay = SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX);
    at.checked_add(delay).unwrap_or(Timestamp::MAX)
}

/// The random delay of the occurrence of the entry `seed` due at
/// `instant`: whole seconds from 0 to `jitter`.
pub fn jitter_delay(jitter: Duration, seed: u64, instant: Timestamp) -> Duration {
    spread(mix(seed, b'j', instant.as_second()), jitter)
}

/// When the occurrence due at `instant` really starts: its instant plus
/// its random delay.
pub fn start_instant(jitter: Duration, seed: u64, instant: Timestamp) -> Timestamp {
    after(instant, jitter_delay(jitter, seed, instant))
}

/// The wait before attempt `failed + 1`, after attempt `failed` (1-based)
/// failed: `first`, doubling with each attempt, at most `cap`, less a
/// deterministic jitter of up to a tenth (so a fleet of failing entries
/// does not retry in step), never under one second.
pub fn retry_delay(backoff: Backoff, failed: u32, seed: u64) -> Duration {
    let doublings = failed.saturating_sub(1).min(31);
    let full = backoff
        .first
        .checked_mul(1u32 << doublings)
        .unwrap_or(backoff.cap)
        .min(backoff.cap);
    let jitter = spread(
        mix(seed, b'r', i64::from(failed)),
        Duration::from_secs(full.as_secs() / 10),
    );
    (full - jitter).max(Duration::from_secs(1))
}

/// How a run ended, as far as its policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Exit status 0.
    Succeeded,
    /// A non-zero exit, a signal or a timeout.
    Failed,
    /// The daemon or its host died while it ran: nobody saw it end.
    Lost,
}

/// What follows a run's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRun {
    /// Nothing: it succeeded, or it is not to be retried.
    Done,
    /// Attempt `attempt` starts at `at`.
    Retry { attempt: u32, at: Timestamp },
    /// A retry would still be pending when the entry's next occurrence is
    /// due (`next`): it is dropped, and recorded as superseded.
    Superseded { next: Timestamp },
    /// The last attempt the policy allows failed.
    GaveUp { attempts: u32 },
}

/// What follows attempt `attempt` (1-based) of a run that ended `ending`
/// at `ended`. `next_occurrence` is the periodic entry's next instant
/// (`None` for a one-shot job).
pub fn after_run(
    policy: &Policy,
    attempt: u32,
    ending: Ending,
    ended: Timestamp,
    seed: u64,
    next_occurrence: Option<Timestamp>,
) -> AfterRun {
    let retried = match ending {
        Ending::Succeeded => return AfterRun::Done,
        Ending::Lost if !policy.retry_lost => return AfterRun::Done,
        Ending::Failed | Ending::Lost => policy.retries > 0,
    };
    if !retried {
        return AfterRun::Done;
    }
    if attempt > policy.retries {
        return AfterRun::GaveUp { attempts: attempt };
    }
    let at = after(ended, retry_delay(policy.backoff, attempt, seed));
    match next_occurrence {
        Some(next) if next <= at => AfterRun::Superseded { next },
        _ => AfterRun::Retry {
            attempt: attempt + 1,
            at,
        },
    }
}

/// What happens to an occurrence due while the entry's previous run is
/// still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDue {
    /// Start it now.
    Start,
    /// Do not start it; record it as skipped.
    Skip(SkipReason),
    /// Start it when the running one ends.
    Queue,
    /// Stop the running one; start this one when it has ended.
    Replace,
}

/// Why an occurrence was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Overlap `skip`: the previous run still runs.
    StillRunning,
    /// Overlap `queue`, and another occurrence already waits.
    OneWaiting,
}

/// What the overlap policy does with an occurrence due now, given whether
/// a run of the entry is in progress and whether one already waits.
/// Under `replace`, a newer occurrence takes the place of one waiting
/// (which is then recorded as skipped by the caller).
pub fn on_due(overlap: Overlap, running: bool, waiting: bool) -> OnDue {
    if !running && !waiting {
        return OnDue::Start;
    }
    match overlap {
        Overlap::Allow => OnDue::Start,
        Overlap::Skip => OnDue::Skip(SkipReason::StillRunning),
        Overlap::Queue if waiting => OnDue::Skip(SkipReason::OneWaiting),
        Overlap::Queue => OnDue::Queue,
        Overlap::Replace => OnDue::Replace,
    }
}

/// The longest default grace of the dead-man rule: an hourly or rarer
/// entry is late an hour after its instant.
pub const MAX_DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// The dead-man rule (healthchecks.io's period and grace, on the entry's
/// own schedule): after a success of the occurrence due at `since` (or,
/// with none, since the entry is known), the next success is expected
/// from the next occurrence; it is late once `grace` (default: the
/// smaller of the time to the occurrence after it and an hour) and the
/// random delay `jitter` have passed since that occurrence's instant.
/// Returns (the occurrence expected, the instant it is late from); `None`
/// when the schedule has no occurrence after `since`.
pub fn success_deadline(
    schedule: &Schedule,
    zone: &Zone,
    since: Timestamp,
    grace: Option<Duration>,
    jitter: Duration,
) -> Option<(Timestamp, Timestamp)> {
    let expected = schedule.next_after(zone, since)?;
    let grace = grace.unwrap_or_else(|| {
        let period = schedule
            .next_after(zone, expected)
            .map(|after| after.duration_since(expected))
            .and_then(|period| Duration::try_from(period).ok())
            .unwrap_or(MAX_DEFAULT_GRACE);
        period.min(MAX_DEFAULT_GRACE)
    });
    let late = SignedDuration::try_from(grace.saturating_add(jitter))
        .ok()
        .and_then(|wait| expected.checked_add(wait).ok())
        .unwrap_or(Timestamp::MAX);
    Some((expected, late))
}

/// Whether an occurrence due at `due` may still start at `now` under a
/// starting deadline.
pub fn in_time(deadline: Option<Duration>, due: Timestamp, now: Timestamp) -> bool {
    match deadline {
        None => true,
        Some(deadline) => now <= after(due, deadline),
    }
}

/// The most missed occurrences of one entry recorded one by one in the
/// history after a downtime; the count of the others is in the last one's
/// reason.
pub const MISSED_RECORDED: usize = 100;

/// The most occurrences looked at for one entry after a downtime (a
/// minute-by-minute entry down for a week); beyond it the count is a
/// lower bound.
pub const MISSED_COUNTED: u64 = 10_000;

/// What a daemon that was down from `last` to `now` does for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUpPlan {
    /// How many occurrences fell in the downtime (at most
    /// [`MISSED_COUNTED`]).
    pub missed: u64,
    /// The most recent of them, oldest first, at most [`MISSED_RECORDED`]:
    /// each is recorded as missed unless it is run.
    pub recorded: Vec<Timestamp>,
    /// The occurrences to run now, oldest first, one after another.
    pub run: Vec<Timestamp>,
}

/// The occurrences of `schedule` after `last` (the last instant the daemon
/// fully handled) and up to `now`, and which the policy runs now: none,
/// the latest once, or the most recent `limit`. Occurrences past their
/// starting deadline at `now` are never run.
pub fn catch_up(
    schedule: &Schedule,
    zone: &Zone,
    last: Timestamp,
    now: Timestamp,
    policy: &Policy,
) -> CatchUpPlan {
    let keep = match policy.catch_up {
        CatchUp::All(limit) => (limit as usize).max(MISSED_RECORDED),
        _ => MISSED_RECORDED,
    };
    let mut recent = std::collections::VecDeque::with_capacity(keep.min(1024));
    let mut missed = 0;
    let mut at = last;
    while missed < MISSED_COUNTED {
        match schedule.next_after(zone, at) {
            Some(next) if next <= now => {
                missed += 1;
                if recent.len() == keep {
                    recent.pop_front();
                }
                recent.push_back(next);
                at = next;
            }
            _ => break,
        }
    }
    let recent: Vec<Timestamp> = recent.into();
    let runnable = |at: &&Timestamp| in_time(policy.deadline, **at, now);
    let run: Vec<Timestamp> = match policy.catch_up {
        CatchUp::None => Vec::new(),
        CatchUp::Once => recent
            .last()
            .filter(runnable)
            .copied()
            .into_iter()
            .collect(),
        CatchUp::All(limit) => {
            let from = recent.len().saturating_sub(limit as usize);
            recent[from..].iter().filter(runnable).copied().collect()
        }
    };
    let from = recent.len().saturating_sub(MISSED_RECORDED);
    CatchUpPlan {
        missed,
        recorded: recent[from..].to_vec(),
        run,
    }
}

#[cfg(test)]
mod tests;
