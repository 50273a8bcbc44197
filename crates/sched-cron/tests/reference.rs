//! Property test: the bitset engine against a plain minute-by-minute
//! reference that applies the same cron(8) rules, on random expressions,
//! zones and instants (many of them just before DST changes) over 2020-2032.
//!
//! The reference shares no code with the engine: it builds its value sets
//! from the generated structure, reads wall times, gaps and folds from jiff
//! directly, and tests each whole-minute instant in turn.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;
use sched_cron::{Schedule, Zone};

const ZONES: [&str; 10] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "America/Santiago",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Kolkata",
];

/// How far the reference scans for each instant.
const HORIZON_MINUTES: i64 = 9 * 24 * 60;

#[derive(Debug, Clone)]
enum Element {
    Value(u32),
    Range(u32, u32),
    RangeStep(u32, u32, u32),
}

#[derive(Debug, Clone)]
enum Field {
    Star,
    StarStep(u32),
    List(Vec<Element>),
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "FEB", "Mar", "apr", "May", "jun", "JUL", "aug", "Sep", "oct", "nov", "DEC",
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 7,
    // No name for 7: "sun" always means 0 in cronie, so `sun-sun` is
    // Sunday only while `sun-7` is the whole week.
    names: &["sun", "Mon", "TUE", "wed", "thu", "Fri", "sat"],
};

impl Field {
    fn text(&self, bounds: Bounds, use_names: bool) -> String {
        let value = |v: u32| {
            if use_names && ((v - bounds.min) as usize) < bounds.names.len() {
                bounds.names[(v - bounds.min) as usize].to_string()
            } else {
                v.to_string()
            }
        };
        match self {
            Field::Star => "*".to_string(),
            Field::StarStep(step) => format!("*/{step}"),
            Field::List(elements) => elements
                .iter()
                .map(|e| match *e {
                    Element::Value(v) => value(v),
                    Element::Range(a, b) => format!("{}-{}", value(a), value(b)),
                    Element::RangeStep(a, b, s) => format!("{}-{}/{s}", value(a), value(b)),
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// The values the field selects, computed the plain way.
    fn values(&self, bounds: Bounds, is_dow: bool) -> Vec<bool> {
        let mut set = vec![false; 8.max(bounds.max as usize + 1)];
        let mut add = |from: u32, to: u32, step: u32| {
            let to = if is_dow && to == 0 && from > 0 { 7 } else { to };
            let mut v = from;
            while v <= to {
                set[v as usize] = true;
                v += step;
            }
        };
        match self {
            Field::Star => add(bounds.min, bounds.max, 1),
            Field::StarStep(step) => add(bounds.min, bounds.max, *step),
            Field::List(elements) => {
                for e in elements {
                    match *e {
                        Element::Value(v) => add(v, v, 1),
                        Element::Range(a, b) => add(a, b, 1),
                        Element::RangeStep(a, b, s) => add(a, b, s),
                    }
                }
            }
        }
        if is_dow && set[7] {
            set[0] = true;
        }
        set
    }

    fn starts_with_star(&self) -> bool {
        matches!(self, Field::Star | Field::StarStep(_))
    }
}

fn element(bounds: Bounds, is_dow: bool) -> impl Strategy<Value = Element> {
    let (min, max) = (bounds.min, bounds.max);
    prop_oneof![
        (min..=max).prop_map(Element::Value),
        (min..=max, min..=max).prop_map(move |(a, b)| {
            if is_dow && b == 0 && a > 0 {
                Element::Range(a, 0) // cronie's FRI-SUN form
            } else {
                Element::Range(a.min(b), a.max(b))
            }
        }),
        (min..=max, min..=max, 1..=(max - min + 1)).prop_map(|(a, b, s)| Element::RangeStep(
            a.min(b),
            a.max(b),
            s
        )),
    ]
}

fn field(bounds: Bounds, is_dow: bool, star_weight: u32) -> impl Strategy<Value = Field> {
    prop_oneof![
        star_weight => Just(Field::Star),
        1 => (1..=(bounds.max - bounds.min + 2)).prop_map(Field::StarStep),
        3 => prop::collection::vec(element(bounds, is_dow), 1..=3).prop_map(Field::List),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    fields: [Field; 5],
    names: bool,
    zone: &'static str,
    /// Seconds since the epoch, or an index of a DST change plus an offset.
    start: Start,
}

#[derive(Debug, Clone)]
enum Start {
    Anywhere(i64),
    NearTransition { nth: usize, seconds_before: i64 },
}

fn case() -> impl Strategy<Value = Case> {
    (
        field(MINUTE, false, 2),
        field(HOUR, false, 2),
        field(DOM, false, 6),
        field(MONTH, false, 8),
        field(DOW, true, 6),
        any::<bool>(),
        prop::sample::select(ZONES.to_vec()),
        prop_oneof![
            // 2020-01-01 .. 2032-12-31, any second.
            (1_577_836_800i64..1_988_150_400).prop_map(Start::Anywhere),
            (0usize..24, 0i64..(3 * 24 * 60)).prop_map(|(nth, minutes)| {
                Start::NearTransition {
                    nth,
                    seconds_before: minutes * 60,
                }
            }),
            // The second before, of, and after a transition.
            (0usize..24, -1i64..=1).prop_map(|(nth, seconds_before)| {
                Start::NearTransition {
                    nth,
                    seconds_before,
                }
            }),
        ],
    )
        .prop_map(|(m, h, dom, mon, dow, names, zone, start)| Case {
            fields: [m, h, dom, mon, dow],
            names,
            zone,
            start,
        })
}

struct Reference {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    both_day_fields: bool,
    fixed_time: bool,
    tz: TimeZone,
}

impl Reference {
    fn new(case: &Case, tz: TimeZone) -> Reference {
        let [m, h, dom, mon, dow] = &case.fields;
        Reference {
            minutes: m.values(MINUTE, false),
            hours: h.values(HOUR, false),
            days: dom.values(DOM, false),
            months: mon.values(MONTH, false),
            weekdays: dow.values(DOW, true),
            both_day_fields: dom.starts_with_star() || dow.starts_with_star(),
            fixed_time: !m.starts_with_star() && !h.starts_with_star(),
            tz,
        }
    }

    fn matches(&self, wall: DateTime) -> bool {
        let day = self.days[wall.day() as usize];
        let weekday = self.weekdays[wall.weekday().to_sunday_zero_offset() as usize];
        let day_ok = if self.both_day_fields {
            day && weekday
        } else {
            day || weekday
        };
        self.minutes[wall.minute() as usize]
            && self.hours[wall.hour() as usize]
            && self.months[wall.month() as usize]
            && day_ok
    }

    fn fires_at(&self, at: Timestamp) -> bool {
        let offset = self.tz.to_offset(at).seconds();
        let wall = self.tz.to_datetime(at);
        if self.matches(wall) {
            let second_pass = match self.tz.to_ambiguous_timestamp(wall).offset() {
                AmbiguousOffset::Fold { before, after } => {
                    offset == after.seconds()
                        && (before.seconds() - after.seconds()).abs() < 3 * 3600
                }
                _ => false,
            };
            if !(self.fixed_time && second_pass) {
                return true;
            }
        }
        if self.fixed_time {
            let before = self.tz.to_offset(at - 1.second()).seconds();
            if before < offset && offset - before < 3 * 3600 {
                // Wall minutes skipped by this jump.
                let mut skipped = self.tz.to_datetime(at - 1.second()) + 1.second();
                let end = wall;
                while skipped < end {
                    if self.matches(skipped) {
                        return true;
                    }
                    skipped += 1.minute();
                }
            }
        }
        false
    }
}

fn transitions(tz: &TimeZone) -> Vec<Timestamp> {
    let from: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
    let to: Timestamp = "2033-01-01T00:00:00Z".parse().unwrap();
    tz.following(from)
        .map(|t| t.timestamp())
        .take_while(|&t| t < to)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_minute_scan(case in case()) {
        let expression = [
            case.fields[0].text(MINUTE, false),
            case.fields[1].text(HOUR, false),
            case.fields[2].text(DOM, false),
            case.fields[3].text(MONTH, case.names),
            case.fields[4].text(DOW, case.names),
        ]
        .join(" ");
        let schedule = match Schedule::parse(&expression) {
            Ok(schedule) => schedule,
            Err(error) => {
                // The only generated expressions the engine may refuse are
                // those that can never fire.
                prop_assert!(error.to_string().starts_with("never fires"), "{expression}: {error}");
                return Ok(());
            }
        };
        let tz = TimeZone::get(case.zone).unwrap();
        let start = match case.start {
            Start::Anywhere(second) => Timestamp::from_second(second).unwrap(),
            Start::NearTransition { nth, seconds_before } => {
                let all = transitions(&tz);
                if all.is_empty() {
                    Timestamp::from_second(1_700_000_000).unwrap()
                } else {
                    all[nth % all.len()] - seconds_before.seconds()
                }
            }
        };
        let zone = Zone::new(tz.clone());
        let reference = Reference::new(&case, tz);
        let engine: Vec<Timestamp> = schedule.iter_after(&zone, start).take(6).collect();

        let horizon = start + (HORIZON_MINUTES * 60).seconds();
        let mut expected = Vec::new();
        let mut at = Timestamp::from_second(start.as_second().div_euclid(60) * 60 + 60).unwrap();
        while at <= horizon && expected.len() < 6 {
            if reference.fires_at(at) {
                expected.push(at);
            }
            at += 1.minute();
        }
        // Within the horizon the two lists must be identical; past it the
        // engine may find more.
        let engine_in_horizon: Vec<Timestamp> =
            engine.iter().copied().filter(|&t| t <= horizon).collect();
        prop_assert_eq!(
            &engine_in_horizon, &expected,
            "{} in {} after {}", expression, case.zone, start
        );
        // Past the horizon, the engine's next instant (if any) is beyond it.
        if let Some(first_beyond) = engine.get(engine_in_horizon.len()) {
            prop_assert!(*first_beyond > horizon, "{} in {}", expression, case.zone);
        }
    }
}
