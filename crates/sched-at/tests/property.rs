//! For random valid specifications, zones and clocks: the result is never
//! before now's minute, is always a whole minute, and only a specification
//! that names a calendar day (which may be today, or a past year) can be
//! refused as past.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use sched_at::TimespecErrorKind;

const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
];

const UNITS: [&str; 10] = [
    "min", "minutes", "hour", "hours", "day", "days", "weeks", "month", "months", "years",
];
const WEEKDAYS: [&str; 8] = [
    "sun",
    "monday",
    "tue",
    "wednesday",
    "thu",
    "friday",
    "sat",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "jan", "February", "mar", "april", "may", "june", "jul", "aug", "sep", "october", "nov",
    "December",
];

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..=24, 0u32..=60).prop_map(|(h, m)| format!("{h}:{m:02}")),
        (0u32..=24, 0u32..=60).prop_map(|(h, m)| format!("{h:02}{m:02}")),
        (1u32..=12, prop::bool::ANY)
            .prop_map(|(h, pm)| format!("{h}{}", if pm { "pm" } else { "am" })),
        (1u32..=12, 0u32..=59, prop::bool::ANY)
            .prop_map(|(h, m, pm)| format!("{h}:{m:02} {}", if pm { "PM" } else { "am" })),
        Just("noon".to_owned()),
        Just("midnight".to_owned()),
        Just("teatime".to_owned()),
    ]
    .prop_flat_map(|time| {
        prop::bool::weighted(0.15).prop_map(move |utc| {
            if utc {
                format!("{time} utc")
            } else {
                time.clone()
            }
        })
    })
}

/// A date, and whether it names a calendar day (so may be past).
fn date() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        prop::sample::select(&WEEKDAYS[..]).prop_map(|d| (d.to_owned(), false)),
        prop::sample::select(&WEEKDAYS[..]).prop_map(|d| (format!("next {d}"), false)),
        prop::sample::select(&UNITS[..])
            .prop_map(|u| (format!("next {}", u.trim_end_matches('s')), false)),
        Just(("tomorrow".to_owned(), false)),
        Just(("today".to_owned(), true)),
        (prop::sample::select(&MONTHS[..]), 1u32..=31)
            .prop_map(|(m, d)| (format!("{m} {d}"), true)),
        (1u32..=31, prop::sample::select(&MONTHS[..]), 2026u32..2100)
            .prop_map(|(d, m, y)| (format!("{d} {m} {y}"), true)),
        (1u32..=12, 1u32..=28, 26u32..70).prop_map(|(m, d, y)| (format!("{m}/{d}/{y}"), true)),
        (2026u32..2100, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| (format!("{y}-{m:02}-{d:02}"), true)),
        (1u32..=28, 1u32..=12, 2026u32..2100).prop_map(|(d, m, y)| (format!("{d}.{m}.{y}"), true)),
    ]
}

/// A valid specification, and whether it may be refused as past.
fn spec() -> impl Strategy<Value = (String, bool)> {
    // The base, whether it may be past, and whether it is a time alone.
    let base = prop_oneof![
        Just(("now".to_owned(), false, false)),
        time().prop_map(|t| (t, false, true)),
        date().prop_map(|(d, past)| (d, past, false)),
        // `noon next hour` is noon today plus an hour, which can be past
        // (at refuses it too); `noon next day` cannot. A UTC time on a
        // local date can be past: `midnight utc tomorrow` at 20:01 in New
        // York is 20:00 today.
        (time(), date()).prop_map(|(t, (d, past))| {
            let elapsed = d.starts_with("next min") || d.starts_with("next hour");
            let utc = t.ends_with("utc");
            (format!("{t} {d}"), past || elapsed || utc, false)
        }),
    ];
    let shift = prop::option::of((0u32..2000, prop::sample::select(&UNITS[..])));
    (base, shift).prop_map(|((base, may_be_past, time_alone), shift)| match shift {
        Some((n, unit)) => {
            // A shift by days or more ends "a past time means tomorrow", so
            // `0:00 + 0 days` is today's midnight, past (at refuses it too),
            // and so can a UTC time of day be a day on.
            let by_days = !unit.starts_with("min") && !unit.starts_with("hour");
            let past_today = time_alone && by_days && (n == 0 || base.ends_with("utc"));
            (format!("{base} + {n} {unit}"), may_be_past || past_today)
        }
        None => (base, may_be_past),
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_before_now(
        (spec, may_be_past) in spec(),
        zone in prop::sample::select(&ZONES[..]),
        // 2000-01-01 to 2090-01-01, with seconds.
        now in 946_684_800i64..3_786_825_600,
        // Half the time, move now to within 3 hours of the zone's next
        // offset change, where the gap and fold rules are at work.
        near_transition in prop::option::of(-3 * 3600i64..3 * 3600),
    ) {
        let tz = TimeZone::get(zone).unwrap();
        let mut now = Timestamp::from_second(now).unwrap();
        if let (Some(delta), Some(transition)) = (near_transition, tz.following(now).next()) {
            now = transition.timestamp() + jiff::SignedDuration::from_secs(delta);
        }
        let wall = tz.to_datetime(now);
        let minute = now - jiff::SignedDuration::from_secs(wall.second().into());
        match sched_at::resolve(&spec, now, &tz) {
            Ok(resolution) => {
                prop_assert!(
                    resolution.instant >= minute,
                    "{spec:?} in {zone} at {}: {} is before now's minute",
                    now.to_zoned_datetime(tz.clone()),
                    resolution.instant.to_zoned_datetime(tz.clone())
                );
                prop_assert_eq!(tz.to_datetime(resolution.instant).second(), 0);
            }
            Err(error) => prop_assert!(
                may_be_past && matches!(error.kind, TimespecErrorKind::Past { .. }),
                "{spec:?} in {zone} at {}: {error}",
                now.to_zoned_datetime(tz.clone())
            ),
        }
    }
}
