//! Helpers of the table tests: instants are written as wall times in the
//! zone under test (`2026-11-26T16:00:00`, which must exist exactly once
//! there) or with an explicit offset where the wall time is ambiguous.
#![allow(dead_code)]

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use sched_at::{Resolution, TimespecError};

pub const ZONES: [&str; 4] = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"];

pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone in the tz database")
}

/// An instant written as a wall time in `zone`, or with an offset.
pub fn instant(zone: &TimeZone, text: &str) -> Timestamp {
    if let Ok(at) = text.parse::<Timestamp>() {
        return at;
    }
    let wall: DateTime = text.parse().expect("wall time YYYY-MM-DDTHH:MM:SS");
    zone.to_ambiguous_timestamp(wall)
        .unambiguous()
        .unwrap_or_else(|_| panic!("{text} is ambiguous or skipped: write its offset"))
}

pub fn resolve(zone_name: &str, now: &str, spec: &str) -> Result<Resolution, TimespecError> {
    let zone = zone(zone_name);
    sched_at::resolve(spec, instant(&zone, now), &zone)
}

/// Resolves every `(spec, expected)` row in `zone_name` at `now` and fails
/// with the list of every row that differs.
#[track_caller]
pub fn table(zone_name: &str, now: &str, rows: &[(&str, &str)]) {
    let zone = zone(zone_name);
    let now_instant = instant(&zone, now);
    let wrong: Vec<String> = rows
        .iter()
        .filter_map(|&(spec, expected)| {
            let expected = instant(&zone, expected);
            let got = sched_at::resolve(spec, now_instant, &zone).map(|r| r.instant);
            (got != Ok(expected)).then(|| {
                format!(
                    "  {spec:?}: expected {}, got {}",
                    expected.to_zoned_datetime(zone.clone()),
                    match got {
                        Ok(at) => at.to_zoned_datetime(zone.clone()).to_string(),
                        Err(error) => format!("error at column {}: {error}", error.column),
                    }
                )
            })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "in {zone_name} at {now}:\n{}",
        wrong.join("\n")
    );
}

/// The same table in each of the four zones of the issue.
#[track_caller]
pub fn table_in_every_zone(now: &str, rows: &[(&str, &str)]) {
    for zone in ZONES {
        table(zone, now, rows);
    }
}

/// The error a specification gets: `(column, message)`.
pub fn error(zone_name: &str, now: &str, spec: &str) -> (usize, String) {
    match resolve(zone_name, now, spec) {
        Ok(resolution) => panic!("{spec:?} resolved to {}", resolution.instant),
        Err(error) => (error.column, error.to_string()),
    }
}
