//! Helpers shared by the integration tests: zones, wall times and the
//! output format of `sched next`.
#![allow(dead_code)]

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use sched_cron::{Schedule, Zone};

pub fn zone(name: &str) -> Zone {
    Zone::new(TimeZone::get(name).unwrap_or_else(|e| panic!("zone {name}: {e}")))
}

/// A wall time in `zone`; gaps and folds resolve as `sched next --now`
/// does (a gap moves forward by its length, a fold takes the first pass).
pub fn wall(zone: &Zone, text: &str) -> Timestamp {
    let datetime: DateTime = text.parse().unwrap();
    zone.time_zone().to_timestamp(datetime).unwrap()
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM`, as `sched next` prints.
pub fn format(zone: &Zone, at: Timestamp) -> String {
    at.to_zoned_datetime(zone.time_zone().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The next `count` fire instants of `expression` after wall time `now` in
/// zone `tz`, formatted.
pub fn next_n(expression: &str, tz: &str, now: &str, count: usize) -> Vec<String> {
    let zone = zone(tz);
    let schedule = Schedule::parse(expression)
        .unwrap_or_else(|e| panic!("{expression}: column {}: {e}", e.column));
    schedule
        .iter_after(&zone, wall(&zone, now))
        .take(count)
        .map(|at| format(&zone, at))
        .collect()
}

/// Asserts the next instants exactly.
#[track_caller]
pub fn check(expression: &str, tz: &str, now: &str, expected: &[&str]) {
    let found = next_n(expression, tz, now, expected.len());
    assert_eq!(
        found, expected,
        "schedule {expression:?} in {tz} after {now}"
    );
}
