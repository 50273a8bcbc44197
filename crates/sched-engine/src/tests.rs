//! The clock-change rules, each tested on a simulated day: time passes
//! (both clocks move) or the clock is set (only the wall clock moves), and
//! the daemon's loop is played by waking at each next instant.

use std::sync::Arc;

use jiff::tz::TimeZone;

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn utc() -> Arc<Zone> {
    Arc::new(Zone::new(TimeZone::UTC))
}

/// One run: (entry index, instant it started, instant it was due).
type Run = (usize, Timestamp, Timestamp);

struct Sim {
    planner: Planner,
    now: Reading,
    runs: Vec<Run>,
    wakeups: Vec<Wakeup>,
}

impl Sim {
    fn new(start: &str, entries: &[&str], zone: Arc<Zone>) -> Sim {
        let now = Reading {
            wall: at(start),
            monotonic: SignedDuration::from_secs(1_000),
        };
        let mut planner = Planner::new(now);
        for (index, entry) in entries.iter().enumerate() {
            planner.insert(index as Key, entry.parse().unwrap(), zone.clone(), now.wall);
        }
        Sim {
            planner,
            now,
            runs: Vec::new(),
            wakeups: Vec::new(),
        }
    }

    fn look(&mut self) {
        let advance = self.planner.advance(self.now);
        self.wakeups.push(advance.wakeup);
        for (key, due) in advance.due {
            self.runs.push((key as usize, self.now.wall, due));
        }
    }

    /// Lets time pass until `until`, waking at each due instant.
    fn pass_until(&mut self, until: &str) {
        let until = at(until);
        while let Some(next) = self.planner.next_wake() {
            if next > until {
                break;
            }
            self.move_both(next);
            self.look();
        }
        self.move_both(until);
    }

    fn move_both(&mut self, to: Timestamp) {
        let by = to.duration_since(self.now.wall);
        self.now = Reading {
            wall: to,
            monotonic: self.now.monotonic + by,
        };
    }

    /// Sets the wall clock by `by` with no time passing, and wakes at once
    /// (as the timerfd's cancel-on-set makes the daemon do).
    fn set_clock(&mut self, by: SignedDuration) {
        self.now.wall = self.now.wall.checked_add(by).unwrap();
        self.look();
    }

    fn runs_of(&self, entry: usize) -> Vec<(Timestamp, Timestamp)> {
        self.runs
            .iter()
            .filter(|run| run.0 == entry)
            .map(|run| (run.1, run.2))
            .collect()
    }

    fn started(&self, entry: usize) -> Vec<Timestamp> {
        self.runs_of(entry).into_iter().map(|run| run.0).collect()
    }
}

const MIN: SignedDuration = SignedDuration::from_mins(1);
const HOUR: SignedDuration = SignedDuration::from_hours(1);

#[test]
fn steps_are_classified_at_the_documented_limits() {
    let ms = SignedDuration::from_millis;
    let s = SignedDuration::from_secs;
    let table = [
        (ms(0), Wakeup::Normal),
        (ms(999), Wakeup::Normal),
        (ms(-999), Wakeup::Normal),
        (s(1), Wakeup::Late),
        (5 * MIN, Wakeup::Late),
        (5 * MIN + ms(1), Wakeup::Forward),
        (3 * HOUR - ms(1), Wakeup::Forward),
        (3 * HOUR, Wakeup::Reset),
        (s(-1), Wakeup::Back),
        (-3 * HOUR + ms(1), Wakeup::Back),
        (-3 * HOUR, Wakeup::Reset),
        (SignedDuration::from_hours(24 * 365), Wakeup::Reset),
    ];
    for (step, expected) in table {
        assert_eq!(Wakeup::of_step(step), expected, "step {step:?}");
    }
}

#[test]
fn time_passing_runs_every_time_of_every_entry() {
    let mut sim = Sim::new(
        "2026-06-01T00:00:00Z",
        &["*/15 * * * *", "30 2 * * *", "0 0 * * *"],
        utc(),
    );
    sim.pass_until("2026-06-02T00:00:00Z");
    assert_eq!(sim.started(0).len(), 96);
    assert_eq!(sim.started(0)[0], at("2026-06-01T00:15:00Z"));
    assert_eq!(sim.started(1), vec![at("2026-06-01T02:30:00Z")]);
    // Strictly after the start: midnight of the first day is not run.
    assert_eq!(sim.started(2), vec![at("2026-06-02T00:00:00Z")]);
    assert!(sim.wakeups.iter().all(|w| *w == Wakeup::Normal));
    // Each run starts at its due instant.
    assert!(sim.runs.iter().all(|run| run.1 == run.2));
}

#[test]
fn a_late_wake_up_runs_everything_due_in_the_gap_once() {
    let mut sim = Sim::new(
        "2026-06-01T10:00:30Z",
        &["* * * * *", "2 10 * * *", "10 10 * * *"],
        utc(),
    );
    sim.set_clock(3 * MIN);
    assert_eq!(sim.wakeups, vec![Wakeup::Late]);
    let now = at("2026-06-01T10:03:30Z");
    // Three minutes of the wildcard entry: one run, for the first of them.
    assert_eq!(sim.runs_of(0), vec![(now, at("2026-06-01T10:01:00Z"))]);
    assert_eq!(sim.runs_of(1), vec![(now, at("2026-06-01T10:02:00Z"))]);
    assert!(sim.runs_of(2).is_empty());
    sim.pass_until("2026-06-01T10:10:00Z");
    assert_eq!(
        sim.started(0)[1..],
        [
            at("2026-06-01T10:04:00Z"),
            at("2026-06-01T10:05:00Z"),
            at("2026-06-01T10:06:00Z"),
            at("2026-06-01T10:07:00Z"),
            at("2026-06-01T10:08:00Z"),
            at("2026-06-01T10:09:00Z"),
            at("2026-06-01T10:10:00Z"),
        ]
    );
    assert_eq!(sim.started(2), vec![at("2026-06-01T10:10:00Z")]);
}

#[test]
fn a_forward_step_runs_jumped_over_fixed_times_once_and_wildcards_follow_the_clock() {
    for (by, fixed_runs) in [(HOUR, true), (2 * HOUR, true), (4 * HOUR, false)] {
        let mut sim = Sim::new(
            "2026-06-01T10:00:30Z",
            &[
                "15 10 * * *",
                "20,40 10 * * *",
                "*/10 * * * *",
                "0 * * * *",
                "0 13 * * *",
            ],
            utc(),
        );
        sim.set_clock(by);
        let landed = at("2026-06-01T10:00:30Z").checked_add(by).unwrap();
        let expected_kind = if fixed_runs {
            Wakeup::Forward
        } else {
            Wakeup::Reset
        };
        assert_eq!(sim.wakeups, vec![expected_kind], "step {by:?}");
        if fixed_runs {
            assert_eq!(
                sim.runs_of(0),
                vec![(landed, at("2026-06-01T10:15:00Z"))],
                "step {by:?}"
            );
            // Two jumped-over times, one run.
            assert_eq!(sim.runs_of(1), vec![(landed, at("2026-06-01T10:20:00Z"))]);
        } else {
            assert!(sim.runs_of(0).is_empty(), "step {by:?}");
            assert!(sim.runs_of(1).is_empty(), "step {by:?}");
        }
        // Wildcards do not catch up: they run only for the minute the
        // clock landed in (cron runs the minute it wakes in).
        let landing_minute = Timestamp::from_second(landed.as_second() / 60 * 60).unwrap();
        assert_eq!(
            sim.runs_of(2),
            vec![(landed, landing_minute)],
            "step {by:?}"
        );
        assert_eq!(
            sim.runs_of(3),
            vec![(landed, landing_minute)],
            "step {by:?}"
        );
        // Then everything follows the new clock.
        let until = landed.checked_add(HOUR).unwrap();
        sim.pass_until(&until.to_string());
        let tens: Vec<Timestamp> = (1..=6)
            .map(|k| {
                let minutes = (landed.as_second() / 600 + k) * 600;
                Timestamp::from_second(minutes).unwrap()
            })
            .collect();
        assert_eq!(sim.started(2)[1..], tens[..], "step {by:?}");
        let next_hour = Timestamp::from_second((landed.as_second() / 3600 + 1) * 3600).unwrap();
        assert_eq!(sim.started(3), vec![landed, next_hour], "step {by:?}");
        // A fixed time still ahead of the new clock runs at it, once; one
        // a reset passed over is lost.
        sim.pass_until("2026-06-01T15:00:00Z");
        if fixed_runs {
            assert_eq!(sim.started(4), vec![at("2026-06-01T13:00:00Z")]);
        } else {
            assert!(sim.started(4).is_empty());
        }
    }
}

#[test]
fn a_forward_step_of_a_day_is_a_reset() {
    let mut sim = Sim::new(
        "2026-06-01T10:00:30Z",
        &["30 10 * * *", "0 12 * * *"],
        utc(),
    );
    sim.set_clock(24 * HOUR);
    assert_eq!(sim.wakeups, vec![Wakeup::Reset]);
    assert!(sim.runs.is_empty());
    sim.pass_until("2026-06-03T00:00:00Z");
    assert_eq!(
        sim.started(0),
        vec![at("2026-06-02T10:30:00Z")],
        "next by the new clock"
    );
    assert_eq!(sim.started(1), vec![at("2026-06-02T12:00:00Z")]);
}

#[test]
fn a_backward_step_does_not_repeat_fixed_times_and_wildcards_follow_the_clock() {
    for by in [MIN, HOUR, 2 * HOUR] {
        let mut sim = Sim::new(
            "2026-06-01T07:00:00Z",
            &["0 10 * * *", "*/15 * * * *", "45 10 * * *"],
            utc(),
        );
        sim.pass_until("2026-06-01T10:30:30Z");
        assert_eq!(sim.started(0), vec![at("2026-06-01T10:00:00Z")]);
        let before_step = sim.started(1).len();
        sim.set_clock(-by);
        assert_eq!(*sim.wakeups.last().unwrap(), Wakeup::Back, "step {by:?}");
        sim.pass_until("2026-06-01T11:00:30Z");
        // 10:00 ran; the clock passing 10:00 again does not run it again.
        assert_eq!(
            sim.started(0),
            vec![at("2026-06-01T10:00:00Z")],
            "step {by:?}"
        );
        // 10:45 had not come yet: it runs once.
        assert_eq!(
            sim.started(2),
            vec![at("2026-06-01T10:45:00Z")],
            "step {by:?}"
        );
        // The wildcard runs at every quarter of the new clock, repeats
        // included, from the minute the clock landed in (run at once).
        let landed = at("2026-06-01T10:30:30Z").checked_sub(by).unwrap();
        let landing_minute = landed.as_second() / 60 * 60;
        let quarters: Vec<Timestamp> = (0..)
            .map(|k| Timestamp::from_second(((landing_minute + 899) / 900 + k) * 900).unwrap())
            .take_while(|t| *t <= at("2026-06-01T11:00:30Z"))
            .map(|t| t.max(landed))
            .collect();
        assert_eq!(sim.started(1)[before_step..], quarters[..], "step {by:?}");
        // The next day, all is normal again.
        sim.pass_until("2026-06-02T10:00:00Z");
        assert_eq!(sim.started(0)[1..], [at("2026-06-02T10:00:00Z")]);
    }
}

#[test]
fn a_backward_step_of_four_hours_takes_the_new_time_as_it_is() {
    let mut sim = Sim::new("2026-06-01T07:00:00Z", &["0 10 * * *"], utc());
    sim.pass_until("2026-06-01T10:30:30Z");
    sim.set_clock(-4 * HOUR);
    assert_eq!(*sim.wakeups.last().unwrap(), Wakeup::Reset);
    sim.pass_until("2026-06-01T12:00:00Z");
    // The clock reads 10:00 again, and with no virtual time kept the job
    // runs again, as cron does after a reset.
    assert_eq!(
        sim.started(0),
        vec![at("2026-06-01T10:00:00Z"), at("2026-06-01T10:00:00Z")]
    );
}

#[test]
fn a_step_landing_exactly_on_a_time_runs_the_entries_of_that_time() {
    // Forward by an hour at 10:00:00, after the 10:00 runs: wildcard
    // entries of 11:00 run, as cron runs the minute it lands in.
    let mut sim = Sim::new("2026-06-01T09:59:00Z", &["0 * * * *", "0 11 * * *"], utc());
    sim.pass_until("2026-06-01T10:00:00Z");
    assert_eq!(sim.started(0), vec![at("2026-06-01T10:00:00Z")]);
    sim.set_clock(HOUR);
    assert_eq!(
        sim.started(0),
        vec![at("2026-06-01T10:00:00Z"), at("2026-06-01T11:00:00Z")]
    );
    assert_eq!(
        sim.runs_of(1),
        vec![(at("2026-06-01T11:00:00Z"), at("2026-06-01T11:00:00Z"))]
    );
    // A reset landing on a time runs it too.
    let mut sim = Sim::new("2026-06-01T07:00:00Z", &["0 11 * * *"], utc());
    sim.set_clock(4 * HOUR);
    assert_eq!(sim.wakeups, vec![Wakeup::Reset]);
    assert_eq!(sim.started(0), vec![at("2026-06-01T11:00:00Z")]);
    sim.pass_until("2026-06-01T12:00:00Z");
    assert_eq!(sim.started(0).len(), 1, "not twice");
}

#[test]
fn a_suspend_is_a_step_of_the_length_of_the_suspend() {
    // CLOCK_MONOTONIC does not count a suspend: the wall clock moves, the
    // monotonic clock does not, as for cron's minute count.
    let mut sim = Sim::new("2026-06-01T10:00:30Z", &["30 10 * * *", "* * * * *"], utc());
    sim.set_clock(8 * HOUR);
    assert_eq!(sim.wakeups, vec![Wakeup::Reset]);
    // Only the minute the clock landed in runs.
    assert!(sim.runs_of(0).is_empty());
    assert_eq!(
        sim.runs_of(1),
        vec![(at("2026-06-01T18:00:30Z"), at("2026-06-01T18:00:00Z"))]
    );
}

#[test]
fn entries_removed_and_replaced_leave_the_queue() {
    let now = Reading {
        wall: at("2026-06-01T10:00:00Z"),
        monotonic: SignedDuration::ZERO,
    };
    let mut planner = Planner::new(now);
    planner.insert(1, "30 10 * * *".parse().unwrap(), utc(), now.wall);
    planner.insert(2, "0 11 * * *".parse().unwrap(), utc(), now.wall);
    assert_eq!(planner.next_wake(), Some(at("2026-06-01T10:30:00Z")));
    assert!(planner.remove(1));
    assert!(!planner.remove(1));
    assert_eq!(planner.next_wake(), Some(at("2026-06-01T11:00:00Z")));
    planner.insert(2, "5 10 * * *".parse().unwrap(), utc(), now.wall);
    assert_eq!(planner.len(), 1);
    assert_eq!(planner.next_wake(), Some(at("2026-06-01T10:05:00Z")));
    planner.insert(3, "@reboot".parse().unwrap(), utc(), now.wall);
    assert_eq!(planner.next_of(3), None);
    assert_eq!(planner.next_wake(), Some(at("2026-06-01T10:05:00Z")));
}

#[test]
fn a_late_wake_up_across_a_dst_change_runs_the_skipped_time_once() {
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT. The daemon wakes
    // two minutes late, after the jump.
    let zone = Arc::new(Zone::new(TimeZone::get("America/New_York").unwrap()));
    let mut sim = Sim::new(
        "2026-03-08T01:59:30-05:00",
        &["30 2 * * *", "0 3 * * *"],
        zone,
    );
    sim.set_clock(2 * MIN);
    assert_eq!(sim.wakeups, vec![Wakeup::Late]);
    let now = at("2026-03-08T03:01:30-04:00");
    // 02:30 does not exist; cron runs it at the jump, which the late wake
    // passed; 03:00 EDT is the same instant: one run each.
    assert_eq!(sim.runs_of(0), vec![(now, at("2026-03-08T03:00:00-04:00"))]);
    assert_eq!(sim.runs_of(1), vec![(now, at("2026-03-08T03:00:00-04:00"))]);
}

/// Sleeps through `until` without looking (a stopped daemon, a paused VM),
/// then looks once.
fn sleep_through(sim: &mut Sim, until: &str) {
    sim.move_both(at(until));
    sim.look();
}

#[test]
fn waking_late_with_no_clock_change_is_judged_by_how_late() {
    let entries = [
        "*/10 * * * *",
        "20 10 * * *",
        "40,50 10 * * *",
        "0 13 * * *",
    ];
    // Two minutes late: a late wake-up, everything due in the gap runs once.
    let mut sim = Sim::new("2026-06-01T10:09:30Z", &entries, utc());
    sleep_through(&mut sim, "2026-06-01T10:12:00Z");
    assert_eq!(sim.wakeups, vec![Wakeup::Late]);
    let woke = at("2026-06-01T10:12:00Z");
    assert_eq!(sim.runs_of(0), vec![(woke, at("2026-06-01T10:10:00Z"))]);

    // Two hours late (the first due instant was 10:10): fixed-time times
    // passed run once; wildcard entries run only for the minute woken in.
    let mut sim = Sim::new("2026-06-01T10:09:30Z", &entries, utc());
    sleep_through(&mut sim, "2026-06-01T12:10:20Z");
    assert_eq!(sim.wakeups, vec![Wakeup::Forward]);
    let woke = at("2026-06-01T12:10:20Z");
    assert_eq!(sim.runs_of(0), vec![(woke, at("2026-06-01T12:10:00Z"))]);
    assert_eq!(sim.runs_of(1), vec![(woke, at("2026-06-01T10:20:00Z"))]);
    assert_eq!(sim.runs_of(2), vec![(woke, at("2026-06-01T10:40:00Z"))]);
    assert!(sim.runs_of(3).is_empty());
    sim.pass_until("2026-06-01T13:30:00Z");
    assert_eq!(sim.started(3), vec![at("2026-06-01T13:00:00Z")]);

    // Four hours late: a reset, only the minute woken in.
    let mut sim = Sim::new("2026-06-01T10:09:30Z", &entries, utc());
    sleep_through(&mut sim, "2026-06-01T14:10:20Z");
    assert_eq!(sim.wakeups, vec![Wakeup::Reset]);
    let woke = at("2026-06-01T14:10:20Z");
    assert_eq!(sim.runs, vec![(0, woke, at("2026-06-01T14:10:00Z"))]);
}

#[test]
fn many_entries_come_due_in_time_order_through_the_heap() {
    // Entries inserted, replaced and removed in a scrambled order: the
    // queue hands them out by instant, then key, exactly once each.
    let now = Reading {
        wall: at("2026-06-01T00:00:00Z"),
        monotonic: SignedDuration::ZERO,
    };
    let mut planner = Planner::new(now);
    for key in 0..500u32 {
        let minute = (key * 37) % 60;
        let hour = (key * 11) % 24;
        planner.insert(
            key,
            format!("{minute} {hour} * * *").parse().unwrap(),
            utc(),
            now.wall,
        );
    }
    for key in (0..500u32).step_by(3) {
        assert!(planner.remove(key));
    }
    for key in (1..500u32).step_by(5) {
        planner.insert(key, "59 23 * * *".parse().unwrap(), utc(), now.wall);
    }
    let mut expected: Vec<(Timestamp, Key)> = (0..500u32)
        .filter(|key| key % 3 != 0 || key % 5 == 1)
        .map(|key| {
            let (minute, hour) = if key % 5 == 1 {
                (59, 23)
            } else {
                ((key * 37) % 60, (key * 11) % 24)
            };
            let second = i64::from(hour * 3600 + minute * 60);
            (
                Timestamp::from_second(at("2026-06-01T00:00:00Z").as_second() + second).unwrap(),
                key,
            )
        })
        .filter(|(t, _)| *t > at("2026-06-01T00:00:00Z"))
        .collect();
    expected.sort();
    assert_eq!(planner.len(), expected.len());
    let mut got = Vec::new();
    let mut reading = now;
    while let Some(next) = planner
        .next_wake()
        .filter(|t| *t < at("2026-06-02T00:00:00Z"))
    {
        let by = next.duration_since(reading.wall);
        reading = Reading {
            wall: next,
            monotonic: reading.monotonic + by,
        };
        let advance = planner.advance(reading);
        assert_eq!(advance.wakeup, Wakeup::Normal);
        got.extend(advance.due.into_iter().map(|(key, due)| (due, key)));
    }
    assert_eq!(got, expected);
}

#[test]
fn a_slot_is_32_bytes_and_holds_every_instant_from_1900_to_the_end_of_time() {
    // The daemon's memory per crontab line depends on it (BENCHMARKS.md).
    assert_eq!(std::mem::size_of::<Slot>(), 32);
    assert_eq!(std::mem::size_of::<Schedule>(), 20);
    let mut slot = Slot {
        schedule: Schedule::REBOOT,
        next_minute: NEVER,
        heap_pos: queue::ABSENT,
        zone: 0,
        next_second: 0,
        live: true,
    };
    for text in [
        "1900-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:44:30Z",
        "2026-03-08T07:00:00Z",
        "9999-12-30T21:59:00Z",
    ] {
        slot.set_next(Some(at(text)));
        assert_eq!(slot.next(), Some(at(text)), "{text}");
    }
    slot.set_next(Some(at("1899-12-31T23:59:59Z")));
    assert_eq!(slot.next(), None, "before 1900 is out of range");
    slot.set_next(None);
    assert_eq!(slot.next(), None);
    assert!(!slot.has_next());
}

/// `first_due` names what an on-time wake-up at the next instant takes,
/// whatever the heap's shape: played over a day of mixed schedules (many
/// entries sharing instants, others alone), it equals `advance`'s due
/// set at every wake-up, and takes nothing out.
#[test]
fn first_due_is_what_an_on_time_wake_up_takes() {
    let schedules = [
        "* * * * *",
        "*/5 * * * *",
        "*/7 * * * *",
        "0 * * * *",
        "30 10 * * *",
        "15,45 * * * *",
        "*/3 9-17 * * *",
        "@reboot",
    ];
    let entries: Vec<&str> = (0..200)
        .map(|i| schedules[(i * 7) % schedules.len()])
        .collect();
    let mut sim = Sim::new("2026-06-01T00:00:00Z", &entries, utc());
    let until = at("2026-06-02T00:00:00Z");
    let mut wakes = 0;
    while let Some((next, mut keys)) = sim.planner.first_due() {
        if next > until {
            break;
        }
        assert_eq!(sim.planner.first_due(), Some((next, keys.clone())));
        sim.move_both(next);
        let advance = sim.planner.advance(sim.now);
        assert_eq!(advance.wakeup, Wakeup::Normal);
        let mut due: Vec<Key> = advance.due.iter().map(|&(key, _)| key).collect();
        due.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, due, "at {next}");
        assert!(advance.due.iter().all(|&(_, at)| at == next));
        wakes += 1;
    }
    // Every minute of the day has a wildcard entry due.
    assert_eq!(wakes, 24 * 60);
}
