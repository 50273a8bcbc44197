use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use sched_cron::policy::{Backoff, CatchUp, Overlap};
use sched_cron::{Schedule, Zone};

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn retrying(retries: u32) -> Policy {
    Policy {
        retries,
        backoff: Backoff {
            first: secs(10),
            cap: secs(360),
        },
        ..Policy::default()
    }
}

#[test]
fn backoff_doubles_from_the_first_delay_up_to_the_cap_less_a_tenth_at_most() {
    let backoff = Backoff {
        first: secs(10),
        cap: secs(360),
    };
    let full = [10, 20, 40, 80, 160, 320, 360, 360, 360];
    for seed in 0..200u64 {
        for (index, &full) in full.iter().enumerate() {
            let delay = retry_delay(backoff, index as u32 + 1, seed).as_secs();
            assert!(
                delay <= full && delay >= full - full / 10,
                "attempt {} seed {seed}: {delay} s for {full} s",
                index + 1
            );
        }
    }
    // The jitter really varies with the entry, and is the same each time.
    let delays: std::collections::HashSet<u64> = (0..50)
        .map(|seed| retry_delay(backoff, 6, seed).as_secs())
        .collect();
    assert!(delays.len() > 10, "{delays:?}");
    assert_eq!(
        retry_delay(backoff, 6, 7),
        PINNED_RETRY,
        "pinned: the same on every daemon"
    );
    // Huge attempt numbers stay at the cap.
    assert!(retry_delay(backoff, u32::MAX, 1) <= secs(360));
    let tiny = Backoff {
        first: secs(1),
        cap: secs(1),
    };
    assert_eq!(retry_delay(tiny, 1, 3), secs(1));
}

#[test]
fn after_a_run_retries_give_up_or_are_superseded() {
    let ended = at("2026-12-05T10:00:00Z");
    let policy = retrying(2);
    assert_eq!(
        after_run(&policy, 1, Ending::Succeeded, ended, 1, None),
        AfterRun::Done
    );
    let AfterRun::Retry { attempt, at: when } =
        after_run(&policy, 1, Ending::Failed, ended, 1, None)
    else {
        panic!("a first failure is retried");
    };
    assert_eq!(attempt, 2);
    let waited = when.duration_since(ended).as_secs();
    assert!((9..=10).contains(&waited), "{waited}");
    assert!(matches!(
        after_run(&policy, 2, Ending::Failed, ended, 1, None),
        AfterRun::Retry { attempt: 3, .. }
    ));
    assert_eq!(
        after_run(&policy, 3, Ending::Failed, ended, 1, None),
        AfterRun::GaveUp { attempts: 3 }
    );
    // No retry policy: a failure is the end, as in cron.
    assert_eq!(
        after_run(&Policy::default(), 1, Ending::Failed, ended, 1, None),
        AfterRun::Done
    );
    // A lost run is retried only when asked.
    assert_eq!(
        after_run(&policy, 1, Ending::Lost, ended, 1, None),
        AfterRun::Done
    );
    let lost = Policy {
        retry_lost: true,
        ..policy
    };
    assert!(matches!(
        after_run(&lost, 1, Ending::Lost, ended, 1, None),
        AfterRun::Retry { attempt: 2, .. }
    ));
    // The next occurrence comes first: the retry is superseded.
    let next = at("2026-12-05T10:00:05Z");
    assert_eq!(
        after_run(&policy, 1, Ending::Failed, ended, 1, Some(next)),
        AfterRun::Superseded { next }
    );
    let later = at("2026-12-05T10:01:00Z");
    assert!(matches!(
        after_run(&policy, 1, Ending::Failed, ended, 1, Some(later)),
        AfterRun::Retry { .. }
    ));
}

#[test]
fn overlap_decisions_for_every_policy_and_state() {
    use OnDue::*;
    let table = [
        (Overlap::Allow, [Start, Start, Start, Start]),
        (
            Overlap::Skip,
            [
                Start,
                Skip(SkipReason::StillRunning),
                Skip(SkipReason::StillRunning),
                Skip(SkipReason::StillRunning),
            ],
        ),
        (
            Overlap::Queue,
            [
                Start,
                Queue,
                Skip(SkipReason::OneWaiting),
                Skip(SkipReason::OneWaiting),
            ],
        ),
        (Overlap::Replace, [Start, Replace, Replace, Replace]),
    ];
    for (overlap, expected) in table {
        let states = [(false, false), (true, false), (true, true), (false, true)];
        for ((running, waiting), expected) in states.into_iter().zip(expected) {
            assert_eq!(
                on_due(overlap, running, waiting),
                expected,
                "{overlap} running {running} waiting {waiting}"
            );
        }
    }
}

#[test]
fn a_starting_deadline_counts_from_the_instant() {
    let due = at("2026-12-05T10:00:00Z");
    assert!(in_time(None, due, at("2027-01-01T00:00:00Z")));
    assert!(in_time(Some(secs(300)), due, at("2026-12-05T10:05:00Z")));
    assert!(!in_time(Some(secs(300)), due, at("2026-12-05T10:05:01Z")));
}

#[test]
fn jitter_is_within_its_bound_stable_and_spread() {
    let instant = at("2026-12-05T10:00:00Z");
    let seed = entry_seed(1000, "backup", "");
    let delay = jitter_delay(secs(90), seed, instant);
    assert!(delay <= secs(90));
    assert_eq!(jitter_delay(Duration::ZERO, seed, instant), Duration::ZERO);
    assert_eq!(
        start_instant(secs(90), seed, instant),
        instant
            .checked_add(jiff::SignedDuration::try_from(delay).unwrap())
            .unwrap()
    );
    // Other owners, commands and instants get other delays.
    let spread: std::collections::HashSet<Duration> = (0..60)
        .map(|uid| jitter_delay(secs(3600), entry_seed(uid, "backup", ""), instant))
        .collect();
    assert!(spread.len() > 50, "{}", spread.len());
    assert_ne!(entry_seed(1, "a", ""), entry_seed(2, "a", ""));
    assert_ne!(entry_seed(1, "a", "b"), entry_seed(1, "ab", ""));
    // The hash is fixed: the same on every daemon and release.
    assert_eq!(entry_seed(1000, "backup", ""), PINNED_SEED);
    assert_eq!(jitter_delay(secs(3600), PINNED_SEED, instant), PINNED_DELAY);
}

/// The hash of an entry and its delay, pinned: a change of the hash would
/// move every jittered entry at the upgrade.
const PINNED_SEED: u64 = 15_467_003_003_558_977_771;
const PINNED_DELAY: Duration = Duration::from_secs(240);
const PINNED_RETRY: Duration = Duration::from_secs(307);

fn utc() -> Zone {
    Zone::new(TimeZone::UTC)
}

#[test]
fn catch_up_after_a_downtime() {
    let zone = utc();
    let hourly: Schedule = "0 * * * *".parse().unwrap();
    let last = at("2026-12-05T01:30:00Z");
    let now = at("2026-12-05T06:00:00Z");
    let missed: Vec<Timestamp> = ["02", "03", "04", "05", "06"]
        .iter()
        .map(|h| at(&format!("2026-12-05T{h}:00:00Z")))
        .collect();
    let plan = |policy: CatchUp, deadline: Option<Duration>| {
        catch_up(
            &hourly,
            &zone,
            last,
            now,
            &Policy {
                catch_up: policy,
                deadline,
                ..Policy::default()
            },
        )
    };
    let none = plan(CatchUp::None, None);
    assert_eq!(
        (none.missed, &none.recorded, &none.run),
        (5, &missed, &vec![])
    );
    assert_eq!(plan(CatchUp::Once, None).run, vec![missed[4]]);
    assert_eq!(plan(CatchUp::All(3), None).run, missed[2..].to_vec());
    assert_eq!(plan(CatchUp::All(100), None).run, missed);
    // Only those still within their deadline run.
    assert_eq!(
        plan(CatchUp::All(100), Some(secs(2 * 3600))).run,
        missed[2..].to_vec()
    );
    assert_eq!(plan(CatchUp::Once, Some(secs(60))).run, vec![missed[4]]);
    let late = catch_up(
        &hourly,
        &zone,
        last,
        at("2026-12-05T06:01:01Z"),
        &Policy {
            catch_up: CatchUp::Once,
            deadline: Some(secs(60)),
            ..Policy::default()
        },
    );
    assert_eq!(late.run, vec![]);
    // No downtime, nothing missed.
    let quiet = catch_up(&hourly, &zone, now, now, &Policy::default());
    assert_eq!((quiet.missed, quiet.recorded.len()), (0, 0));
    // A long downtime of a minutely entry: counted, the last 100 recorded.
    let minutely: Schedule = "* * * * *".parse().unwrap();
    let long = catch_up(
        &minutely,
        &zone,
        at("2026-12-01T00:00:00Z"),
        at("2026-12-05T00:00:00Z"),
        &Policy::default(),
    );
    assert_eq!(long.missed, 4 * 24 * 60);
    assert_eq!(long.recorded.len(), MISSED_RECORDED);
    assert_eq!(long.recorded.last(), Some(&at("2026-12-05T00:00:00Z")));
}

/// Every occurrence in (last, now], the simple way.
fn reference_occurrences(
    schedule: &Schedule,
    zone: &Zone,
    last: Timestamp,
    now: Timestamp,
) -> Vec<Timestamp> {
    let mut all = Vec::new();
    let mut at = last;
    while let Some(next) = schedule.next_after(zone, at) {
        if next > now {
            break;
        }
        all.push(next);
        at = next;
    }
    all
}

const SCHEDULES: [&str; 8] = [
    "* * * * *",
    "*/7 * * * *",
    "0 * * * *",
    "30 2 * * *",
    "15 1,2,3 * * *",
    "0 0 1 * *",
    "*/20 9-17 * * 1-5",
    "0 12 29 2 *",
];

fn catch_up_policy() -> impl Strategy<Value = Policy> {
    (
        prop_oneof![
            Just(CatchUp::None),
            Just(CatchUp::Once),
            (0u32..300).prop_map(CatchUp::All)
        ],
        proptest::option::of(0u64..20_000),
    )
        .prop_map(|(catch_up, deadline)| Policy {
            catch_up,
            deadline: deadline.map(secs),
            ..Policy::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// catch_up keeps a window of the occurrences and applies the policy
    /// as it goes; the reference lists them all, then applies the policy.
    #[test]
    fn catch_up_matches_a_simple_reference(
        schedule in 0..SCHEDULES.len(),
        zone in prop_oneof![Just("UTC"), Just("America/New_York"), Just("Europe/London"), Just("Australia/Lord_Howe")],
        start in 1_700_000_000i64..1_900_000_000,
        gap in 0i64..3 * 86_400,
        policy in catch_up_policy(),
    ) {
        let schedule: Schedule = SCHEDULES[schedule].parse().unwrap();
        let zone = Zone::new(TimeZone::get(zone).unwrap());
        let last = Timestamp::from_second(start).unwrap();
        let now = Timestamp::from_second(start + gap).unwrap();
        let all = reference_occurrences(&schedule, &zone, last, now);
        let plan = catch_up(&schedule, &zone, last, now, &policy);
        prop_assert_eq!(plan.missed, all.len() as u64);
        prop_assert_eq!(&plan.recorded[..], &all[all.len().saturating_sub(MISSED_RECORDED)..]);
        let in_time = |t: &Timestamp| policy.deadline.is_none_or(|d| now.duration_since(*t) <= jiff::SignedDuration::try_from(d).unwrap());
        let expected: Vec<Timestamp> = match policy.catch_up {
            CatchUp::None => vec![],
            CatchUp::Once => all.last().copied().filter(in_time).into_iter().collect(),
            CatchUp::All(limit) => all[all.len().saturating_sub(limit as usize)..].iter().copied().filter(in_time).collect(),
        };
        prop_assert_eq!(plan.run, expected);
    }

    /// A run retried under its policy: attempts follow one another by the
    /// backoff (within its jitter), stop at the first success or after
    /// `retries` more attempts, and a lost run counts only when asked.
    #[test]
    fn retries_follow_a_simple_reference(
        retries in 0u32..8,
        first in 1u64..120,
        cap_extra in 0u64..1000,
        retry_lost in any::<bool>(),
        endings in proptest::collection::vec(0u8..3, 1..12),
        seed in any::<u64>(),
    ) {
        let policy = Policy {
            retries,
            retry_lost,
            backoff: Backoff { first: secs(first), cap: secs(first + cap_extra) },
            ..Policy::default()
        };
        let mut now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut attempt = 1;
        let mut runs = 0;
        for &ending in &endings {
            runs += 1;
            let ending = [Ending::Succeeded, Ending::Failed, Ending::Lost][ending as usize];
            let decision = after_run(&policy, attempt, ending, now, seed, None);
            let retryable = ending == Ending::Failed || (ending == Ending::Lost && retry_lost);
            if ending == Ending::Succeeded || !retryable || retries == 0 {
                prop_assert_eq!(decision, AfterRun::Done);
                break;
            }
            if attempt > retries {
                prop_assert_eq!(decision, AfterRun::GaveUp { attempts: attempt });
                break;
            }
            let AfterRun::Retry { attempt: next, at } = decision else {
                return Err(TestCaseError::fail(format!("{decision:?}")));
            };
            prop_assert_eq!(next, attempt + 1);
            let full = (first << (attempt - 1).min(40)).min(first + cap_extra);
            let waited = at.duration_since(now).as_secs() as u64;
            prop_assert!(waited <= full && waited >= (full - full / 10).max(1), "{} for {}", waited, full);
            attempt = next;
            now = at;
        }
        prop_assert!(runs <= retries as usize + 1 || runs <= endings.len());
        prop_assert!(attempt <= retries + 1);
    }
}

/// The dead-man rule: the success expected is the first occurrence's
/// after the last success, late after the grace (by default the period,
/// at most an hour) and the random delay.
#[test]
fn a_success_is_late_after_the_next_occurrence_plus_its_grace() {
    let zone = Zone::new(TimeZone::UTC);
    let every_ten = Schedule::parse("*/10 * * * *").unwrap();
    let daily = Schedule::parse("30 2 * * *").unwrap();
    let since = at("2026-12-05T10:00:00Z");
    // Every 10 minutes: the grace defaults to the period.
    assert_eq!(
        success_deadline(&every_ten, &zone, since, None, Duration::ZERO),
        Some((at("2026-12-05T10:10:00Z"), at("2026-12-05T10:20:00Z")))
    );
    // Daily: an hour at most; a random delay comes on top.
    assert_eq!(
        success_deadline(&daily, &zone, since, None, secs(300)),
        Some((at("2026-12-06T02:30:00Z"), at("2026-12-06T03:35:00Z")))
    );
    // A grace written is taken as it is.
    assert_eq!(
        success_deadline(&daily, &zone, since, Some(secs(6 * 3600)), Duration::ZERO),
        Some((at("2026-12-06T02:30:00Z"), at("2026-12-06T08:30:00Z")))
    );
    // The occurrence at `since` itself is not the one expected.
    assert_eq!(
        success_deadline(
            &daily,
            &zone,
            at("2026-12-06T02:30:00Z"),
            None,
            Duration::ZERO
        )
        .map(|(expected, _)| expected),
        Some(at("2026-12-07T02:30:00Z"))
    );
    // @reboot has no instant to expect a success at.
    let reboot = Schedule::parse("@reboot").unwrap();
    assert_eq!(
        success_deadline(&reboot, &zone, since, None, Duration::ZERO),
        None
    );
}
