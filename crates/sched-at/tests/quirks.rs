//! at(1)'s quirks: the ones we keep because at means them, and the ones
//! we refuse because they are bugs (each with at's own result in a
//! comment). lib.rs lists the same choices.

mod common;

use common::{error, resolve, table};
use sched_at::Notice;

/// Tuesday 2027-01-05, noon UTC.
const NOW: &str = "2027-01-05T12:00:00";

#[test]
fn kept_quirks() {
    table(
        "UTC",
        NOW,
        &[
            // Today's own weekday means a week from today.
            ("tuesday", "2027-01-12T12:00:00"),
            ("wednesday", "2027-01-06T12:00:00"),
            // A time of day not later than now means tomorrow.
            ("12:00", "2027-01-06T12:00:00"),
            ("12:01", "2027-01-05T12:01:00"),
            // Minute 60 is the next hour, hour 24 the next day.
            ("10:60", "2027-01-06T11:00:00"),
            ("12:60", "2027-01-05T13:00:00"),
            ("23:60", "2027-01-06T00:00:00"),
            ("24:00", "2027-01-06T00:00:00"),
            ("24:30", "2027-01-06T00:30:00"),
            // A month and day already past this year mean next year; today
            // is not past.
            ("Jan 4", "2028-01-04T12:00:00"),
            ("Jan 5", "2027-01-05T12:00:00"),
            ("noon Jan 5", "2027-01-05T12:00:00"),
            ("today", "2027-01-05T12:00:00"),
            ("now + 0 min", "2027-01-05T12:00:00"),
            // A day past the month's end rolls over, as mktime does.
            ("Feb 30 2028", "2028-03-01T12:00:00"),
            ("02/30/27", "2027-03-02T12:00:00"),
            ("2/31/2027", "2027-03-03T12:00:00"),
            ("Jan 31 + 1 month", "2027-03-03T12:00:00"),
            ("31 Jan 2028 + 1 month", "2028-03-02T12:00:00"),
            ("Feb 29 2028 + 1 year", "2029-03-01T12:00:00"),
            // Months first, then whole years: Feb 31 2027 is March 3, a
            // year later March 3 2028 (not Feb 31 2028, March 2).
            ("Jan 31 2027 + 13 months", "2028-03-03T12:00:00"),
        ],
    );
}

#[test]
fn rolled_over_dates_are_noted() {
    let resolution = resolve("UTC", NOW, "Feb 30 2028").unwrap();
    assert_eq!(
        resolution.notices,
        [Notice::RolledOver {
            year: 2028,
            month: 2,
            day: 30,
            became: "2028-03-01".into()
        }]
    );
    assert_eq!(
        resolution.notices[0].to_string(),
        "2028-02-30 does not exist; as in at(1), it rolls over to 2028-03-01"
    );
    assert_eq!(resolve("UTC", NOW, "Feb 28 2028").unwrap().notices, []);
    assert_eq!(resolve("UTC", NOW, "Jan 31 + 1 day").unwrap().notices, []);
}

#[test]
fn an_explicit_today_in_the_past_is_refused() {
    assert_eq!(
        error("UTC", NOW, "11:00 today"),
        (
            1,
            "2027-01-05T11:00:00+00:00[UTC] is in the past (now is 2027-01-05T12:00:00+00:00[UTC])"
                .into()
        )
    );
}

#[test]
fn refused_bugs() {
    table(
        "UTC",
        NOW,
        // at compares only the day of the month: 2027-02-06.
        &[("10:00 + 744 hours", "2027-02-05T10:00:00")],
    );
    // at reads the 4-digit year 0050 as 2050.
    assert_eq!(
        error("UTC", NOW, "Jul 31 0050").1,
        "0050-07-31T12:00:00+00:00[UTC] is in the past (now is 2027-01-05T12:00:00+00:00[UTC])"
    );
    // at reads day 00 of MMDDYYYY as the last day of the month before.
    assert_eq!(
        error("UTC", NOW, "1002027"),
        (2, "day 0 is out of range 1-31".into())
    );
}

/// at compares a UTC time of day with the local one to decide whether it
/// is past. We compare the instants.
#[test]
fn utc_times_past_by_their_instant() {
    // at: 2026-11-26T15:30+05:30, a day late.
    table(
        "Asia/Kolkata",
        "2026-11-25T12:00:00",
        &[("10:00 UTC", "2026-11-25T15:30:00")],
    );
    // at: 2026-11-26T20:02+01:00, a day late.
    table(
        "Europe/Berlin",
        "2026-11-25T19:02:37",
        &[("19:02 UTC", "2026-11-25T20:02:00")],
    );
    // at: "refusing to create job destined in the past". 00:00 UTC on the
    // local date (Oct 31) and the day after are both past; the next is
    // Nov 2 00:00 UTC.
    table(
        "America/New_York",
        "2026-10-31T23:00:00",
        &[
            ("12am UTC", "2026-11-01T19:00:00-05:00"),
            ("midnight utc", "2026-11-01T19:00:00-05:00"),
        ],
    );
    // `+ N minutes` can move the UTC date past the local one: at sees no
    // time of today and refuses 20:01 as past; the next is a day later.
    table(
        "America/New_York",
        "2021-11-06T23:20:13",
        &[("12:00 PM utc + 721 min", "2021-11-07T19:01:00-05:00")],
    );
    // The equal minute is past, as for local times.
    table(
        "UTC",
        "2026-11-25T19:02:37",
        &[
            ("19:02 UTC", "2026-11-26T19:02:00"),
            ("19:03 UTC", "2026-11-25T19:03:00"),
        ],
    );
}

/// Moving a past time of day to tomorrow at the end of a month is no
/// roll-over of a date that does not exist.
#[test]
fn tomorrow_at_a_month_end_is_not_noted() {
    let resolution = resolve("UTC", "2026-01-31T11:00:00", "10:00").unwrap();
    assert_eq!(
        resolution.instant,
        "2026-02-01T10:00:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(resolution.notices, []);
    let resolution = resolve("Asia/Kolkata", "2026-01-31T12:00:00", "06:00 UTC").unwrap();
    assert_eq!(
        resolution.instant,
        "2026-02-01T06:00:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(resolution.notices, []);
}
