//! Around both DST changes of 2026 in Berlin (02:00 → 03:00 on March 29,
//! 03:00 → 02:00 on October 25) and New York (March 8, November 1).
//!
//! Minutes and hours are elapsed time; days, weeks, `tomorrow` and weekday
//! names keep the wall-clock time. A skipped wall time moves forward by the
//! length of the jump (as at does); a repeated one means its first pass,
//! or the second when the first is already past. Comments give at's own
//! result where it differs: its `add_seconds` adds or removes an hour when
//! a DST change is crossed, and its `mktime` picks a pass by the zone's
//! offset from UTC.

mod common;

use common::table;

#[test]
fn berlin_spring_forward() {
    table(
        "Europe/Berlin",
        "2026-03-29T01:30:00",
        &[
            ("now + 1 hour", "2026-03-29T03:30:00+02:00"), // at: 01:30+01:00
            ("now + 60 minutes", "2026-03-29T03:30:00+02:00"), // at: 01:30+01:00
            ("now + 30 min", "2026-03-29T03:00:00+02:00"), // at: refused as past
            ("02:30", "2026-03-29T03:30:00+02:00"),
            ("2am", "2026-03-29T03:00:00+02:00"),
            ("03:00", "2026-03-29T03:00:00+02:00"),
            ("04:00", "2026-03-29T04:00:00+02:00"),
            ("02:30 + 1 hour", "2026-03-29T04:30:00+02:00"),
            ("now + 1 day", "2026-03-30T01:30:00+02:00"),
            ("tomorrow", "2026-03-30T01:30:00+02:00"),
        ],
    );
    table(
        "Europe/Berlin",
        "2026-03-28T02:30:00",
        &[
            ("now + 1 day", "2026-03-29T03:30:00+02:00"), // at: 01:30+01:00
            ("02:30 tomorrow", "2026-03-29T03:30:00+02:00"), // at: 01:30+01:00
            ("sunday", "2026-03-29T03:30:00+02:00"),      // at: 01:30+01:00
            ("2:30am sun", "2026-03-29T03:30:00+02:00"),  // at: 01:30+01:00
            ("Mar 29", "2026-03-29T03:30:00+02:00"),
            ("now + 24 hours", "2026-03-29T03:30:00+02:00"),
            ("noon tomorrow", "2026-03-29T12:00:00+02:00"),
        ],
    );
}

#[test]
fn berlin_fall_back() {
    table(
        "Europe/Berlin",
        "2026-10-25T01:30:00",
        &[
            ("now + 1 hour", "2026-10-25T02:30:00+02:00"),
            ("now + 2 hours", "2026-10-25T02:30:00+01:00"), // at: 03:30+01:00
            ("now + 3 hours", "2026-10-25T03:30:00+01:00"), // at: 04:30+01:00
            ("02:30", "2026-10-25T02:30:00+02:00"),         // at: 02:30+01:00
            ("02:59", "2026-10-25T02:59:00+02:00"),         // at: 02:59+01:00
            ("03:00", "2026-10-25T03:00:00+01:00"),
            ("now + 1 day", "2026-10-26T01:30:00+01:00"),
        ],
    );
    // In the second pass, the first pass of 02:50 is past.
    table(
        "Europe/Berlin",
        "2026-10-25T02:40:00+01:00",
        &[
            ("now", "2026-10-25T02:40:00+01:00"),
            ("02:30", "2026-10-26T02:30:00+01:00"),
            ("02:50", "2026-10-25T02:50:00+01:00"),
            ("now + 10 min", "2026-10-25T02:50:00+01:00"),
            ("now + 30 min", "2026-10-25T03:10:00+01:00"),
        ],
    );
    table(
        "Europe/Berlin",
        "2026-10-25T02:10:00+01:00",
        &[("02:30", "2026-10-25T02:30:00+01:00")],
    );
    table(
        "Europe/Berlin",
        "2026-10-25T02:10:00+02:00",
        &[("02:30", "2026-10-25T02:30:00+02:00")], // at: 02:30+01:00
    );
    table(
        "Europe/Berlin",
        "2026-10-24T02:30:00",
        &[
            ("now + 1 day", "2026-10-25T02:30:00+02:00"),
            ("tomorrow", "2026-10-25T02:30:00+02:00"),
            ("02:30 tomorrow", "2026-10-25T02:30:00+02:00"),
            ("sunday", "2026-10-25T02:30:00+02:00"),
            ("now + 24 hours", "2026-10-25T02:30:00+02:00"),
            ("now + 25 hours", "2026-10-25T02:30:00+01:00"), // at: 03:30+01:00
        ],
    );
}

#[test]
fn new_york_spring_forward() {
    table(
        "America/New_York",
        "2026-03-08T01:30:00",
        &[
            ("now + 1 hour", "2026-03-08T03:30:00-04:00"), // at: 01:30-05:00
            ("02:30", "2026-03-08T03:30:00-04:00"),
            ("2am", "2026-03-08T03:00:00-04:00"),
            ("now + 1 day", "2026-03-09T01:30:00-04:00"),
        ],
    );
    table(
        "America/New_York",
        "2026-03-07T02:30:00",
        &[
            ("2am sun", "2026-03-08T03:00:00-04:00"), // at: 01:00-05:00
            ("2:30am + 1 day", "2026-03-08T03:30:00-04:00"), // at: 01:30-05:00
            ("tomorrow", "2026-03-08T03:30:00-04:00"), // at: 01:30-05:00
            ("now + 24 hours", "2026-03-08T03:30:00-04:00"), // at: 01:30-05:00
        ],
    );
}

#[test]
fn new_york_fall_back() {
    table(
        "America/New_York",
        "2026-11-01T00:30:00",
        &[
            ("01:30", "2026-11-01T01:30:00-04:00"),
            ("now + 1 hour", "2026-11-01T01:30:00-04:00"),
            ("now + 2 hours", "2026-11-01T01:30:00-05:00"), // at: 02:30-05:00
            ("1:30am + 1 hour", "2026-11-01T01:30:00-05:00"), // at: 02:30-05:00
            ("now + 1 day", "2026-11-02T00:30:00-05:00"),
        ],
    );
    table(
        "America/New_York",
        "2026-10-31T01:30:00",
        &[
            ("now + 1 day", "2026-11-01T01:30:00-04:00"),
            ("01:30 tomorrow", "2026-11-01T01:30:00-04:00"),
            ("now + 24 hours", "2026-11-01T01:30:00-04:00"),
        ],
    );
}

#[test]
fn a_skipped_wall_time_is_noted() {
    let resolution = common::resolve("Europe/Berlin", "2026-03-29T01:30:00", "02:30").unwrap();
    assert_eq!(
        resolution
            .notices
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "2026-03-29 02:30 does not exist in Europe/Berlin (the clock jumps forward); it is taken as 2026-03-29T03:30:00+02:00[Europe/Berlin]"
        ]
    );
}

/// A skipped base time is noted only when the result is on that day.
/// (02:30 is 03:30 that day, two hours later 05:30: not later than now,
/// so tomorrow.)
#[test]
fn a_skipped_base_moved_to_tomorrow_is_not_noted() {
    let resolution =
        common::resolve("Europe/Berlin", "2026-03-29T05:30:00", "2:30 + 2 hours").unwrap();
    assert_eq!(
        resolution.instant,
        common::instant(&common::zone("Europe/Berlin"), "2026-03-30T05:30:00")
    );
    assert_eq!(resolution.notices, []);
    let resolution =
        common::resolve("Europe/Berlin", "2026-03-29T01:30:00", "02:30 + 1 hour").unwrap();
    assert_eq!(resolution.notices.len(), 1);
}
