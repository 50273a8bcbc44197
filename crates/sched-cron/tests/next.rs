//! Exact fire instants: fields, lists, ranges, steps, names, the day rule,
//! macros, month and year ends, leap days.

mod common;
use common::check;

#[test]
fn issue_example_berlin_weekday_quarter_hours() {
    check(
        "*/15 9-17 * * MON-FRI",
        "Europe/Berlin",
        "2026-11-24T19:02:00",
        &["2026-11-25T09:00:00+01:00", "2026-11-25T09:15:00+01:00"],
    );
}

#[test]
fn every_minute_is_strictly_after_now() {
    check(
        "* * * * *",
        "UTC",
        "2026-11-24T19:02:00",
        &["2026-11-24T19:03:00+00:00", "2026-11-24T19:04:00+00:00"],
    );
    // Seconds above zero: the next whole minute is the first candidate.
    check(
        "* * * * *",
        "UTC",
        "2026-11-24T19:02:37",
        &["2026-11-24T19:03:00+00:00"],
    );
    check(
        "* * * * *",
        "UTC",
        "2026-11-24T19:02:59",
        &["2026-11-24T19:03:00+00:00"],
    );
}

#[test]
fn minute_hour_lists_ranges_and_steps() {
    check(
        "5-55/10 * * * *",
        "UTC",
        "2026-01-01T00:50:00",
        &[
            "2026-01-01T00:55:00+00:00",
            "2026-01-01T01:05:00+00:00",
            "2026-01-01T01:15:00+00:00",
        ],
    );
    check(
        "09,39 * * * *",
        "UTC",
        "2026-01-01T00:10:00",
        &["2026-01-01T00:39:00+00:00", "2026-01-01T01:09:00+00:00"],
    );
    check(
        "0 */12 * * *",
        "UTC",
        "2026-01-01T00:00:00",
        &["2026-01-01T12:00:00+00:00", "2026-01-02T00:00:00+00:00"],
    );
    check(
        "0 0-23/7 * * *",
        "UTC",
        "2026-01-01T22:00:00",
        &["2026-01-02T00:00:00+00:00", "2026-01-02T07:00:00+00:00"],
    );
    check(
        "1,2-4,*/30 * * * *",
        "UTC",
        "2026-01-01T00:00:00",
        &[
            "2026-01-01T00:01:00+00:00",
            "2026-01-01T00:02:00+00:00",
            "2026-01-01T00:03:00+00:00",
            "2026-01-01T00:04:00+00:00",
            "2026-01-01T00:30:00+00:00",
            "2026-01-01T01:00:00+00:00",
        ],
    );
    // A step larger than the field keeps only its first value (cronie).
    check(
        "*/61 * * * *",
        "UTC",
        "2026-01-01T00:00:00",
        &["2026-01-01T01:00:00+00:00"],
    );
    check(
        "0 0 */32 * *",
        "UTC",
        "2026-01-05T00:00:00",
        &["2026-02-01T00:00:00+00:00"],
    );
}

#[test]
fn names_in_any_case_and_numbers_agree() {
    for months in ["jan,JUL", "Jan,Jul", "1,7"] {
        check(
            &format!("0 0 1 {months} *"),
            "UTC",
            "2026-01-01T00:00:00",
            &["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"],
        );
    }
    for days in ["sat,Sun", "6,0", "6,7", "6-7", "SAT-SUN"] {
        check(
            &format!("0 12 * * {days}"),
            "UTC",
            "2026-11-25T00:00:00", // a Wednesday
            &[
                "2026-11-28T12:00:00+00:00",
                "2026-11-29T12:00:00+00:00",
                "2026-12-05T12:00:00+00:00",
            ],
        );
    }
}

#[test]
fn weekday_range_ending_in_zero_runs_to_sunday() {
    // FRI-SUN and 5-0 mean Friday, Saturday, Sunday (cronie).
    for days in ["FRI-SUN", "5-0", "fri-sun", "5-7"] {
        check(
            &format!("0 8 * * {days}"),
            "UTC",
            "2026-11-25T00:00:00",
            &[
                "2026-11-27T08:00:00+00:00",
                "2026-11-28T08:00:00+00:00",
                "2026-11-29T08:00:00+00:00",
                "2026-12-04T08:00:00+00:00",
            ],
        );
    }
}

#[test]
fn weekday_star_steps_cover_zero_to_seven() {
    // `*` in the day of week is 0-7, so */2 is 0,2,4,6: Sun, Tue, Thu, Sat.
    check(
        "0 0 * * */2",
        "UTC",
        "2026-11-22T12:00:00", // a Sunday
        &[
            "2026-11-24T00:00:00+00:00",
            "2026-11-26T00:00:00+00:00",
            "2026-11-28T00:00:00+00:00",
            "2026-11-29T00:00:00+00:00",
        ],
    );
    // 1-7/2 is Mon, Wed, Fri, Sun.
    check(
        "0 0 * * 1-7/2",
        "UTC",
        "2026-11-22T12:00:00",
        &[
            "2026-11-23T00:00:00+00:00",
            "2026-11-25T00:00:00+00:00",
            "2026-11-27T00:00:00+00:00",
            "2026-11-29T00:00:00+00:00",
        ],
    );
}

#[test]
fn day_rule_star_dom_means_both_must_match() {
    // Odd days (*/2 begins with '*') that are Mondays.
    check(
        "0 0 */2 * MON",
        "UTC",
        "2026-11-01T00:00:00",
        &[
            "2026-11-09T00:00:00+00:00",
            "2026-11-23T00:00:00+00:00",
            "2026-12-07T00:00:00+00:00",
        ],
    );
    // A star weekday field with a step still means "both".
    check(
        "0 0 13 * */1",
        "UTC",
        "2026-11-01T00:00:00",
        &["2026-11-13T00:00:00+00:00", "2026-12-13T00:00:00+00:00"],
    );
}

#[test]
fn day_rule_both_restricted_means_either() {
    // The 13th, or any Friday.
    check(
        "0 0 13 * FRI",
        "UTC",
        "2026-11-01T00:00:00",
        &[
            "2026-11-06T00:00:00+00:00",
            "2026-11-13T00:00:00+00:00",
            "2026-11-20T00:00:00+00:00",
            "2026-11-27T00:00:00+00:00",
            "2026-12-04T00:00:00+00:00",
            "2026-12-11T00:00:00+00:00",
            "2026-12-13T00:00:00+00:00",
        ],
    );
    // 15 OR every weekday = every day; 1-31 OR Monday = every day.
    for expression in ["0 0 15 * 0-6", "0 0 1-31 * MON"] {
        check(
            expression,
            "UTC",
            "2026-11-29T00:00:00",
            &[
                "2026-11-30T00:00:00+00:00",
                "2026-12-01T00:00:00+00:00",
                "2026-12-02T00:00:00+00:00",
            ],
        );
    }
}

#[test]
fn macros() {
    let now = "2026-11-24T19:02:00";
    check("@yearly", "UTC", now, &["2027-01-01T00:00:00+00:00"]);
    check("@annually", "UTC", now, &["2027-01-01T00:00:00+00:00"]);
    check("@monthly", "UTC", now, &["2026-12-01T00:00:00+00:00"]);
    check("@weekly", "UTC", now, &["2026-11-29T00:00:00+00:00"]);
    check("@daily", "UTC", now, &["2026-11-25T00:00:00+00:00"]);
    check("@midnight", "UTC", now, &["2026-11-25T00:00:00+00:00"]);
    check(
        "@hourly",
        "UTC",
        now,
        &["2026-11-24T20:00:00+00:00", "2026-11-24T21:00:00+00:00"],
    );
}

#[test]
fn reboot_has_no_clock_time() {
    let schedule = sched_cron::Schedule::parse("@reboot").unwrap();
    assert!(schedule.is_reboot());
    let zone = common::zone("UTC");
    assert_eq!(
        schedule.next_after(&zone, jiff::Timestamp::UNIX_EPOCH),
        None
    );
}

#[test]
fn leap_days() {
    check(
        "0 0 29 2 *",
        "UTC",
        "2025-01-01T00:00:00",
        &["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"],
    );
    // 2100 is not a leap year: from 2096 the next is 2104.
    check(
        "0 0 29 2 *",
        "UTC",
        "2096-03-01T00:00:00",
        &["2104-02-29T00:00:00+00:00"],
    );
    // 2000 was.
    check(
        "0 0 29 2 *",
        "UTC",
        "1997-01-01T00:00:00",
        &["2000-02-29T00:00:00+00:00"],
    );
    // Feb 29 that is a Tuesday (both fields restricted: either matches).
    check(
        "0 0 29 2 *",
        "Europe/Berlin",
        "2028-02-29T00:00:00",
        &["2032-02-29T00:00:00+01:00"],
    );
}

#[test]
fn month_and_year_ends() {
    check(
        "0 0 31 * *",
        "UTC",
        "2026-01-31T00:00:00",
        &[
            "2026-03-31T00:00:00+00:00",
            "2026-05-31T00:00:00+00:00",
            "2026-07-31T00:00:00+00:00",
        ],
    );
    check(
        "59 23 31 12 *",
        "UTC",
        "2026-12-31T23:59:00",
        &["2027-12-31T23:59:00+00:00"],
    );
    check(
        "0 0 1 1 *",
        "Asia/Kolkata",
        "2026-12-31T23:59:59",
        &["2027-01-01T00:00:00+05:30"],
    );
    check(
        "30 23 28-31 * *",
        "UTC",
        "2027-02-28T23:30:00",
        &["2027-03-28T23:30:00+00:00"],
    );
    check(
        "0 0 30 * *",
        "UTC",
        "2028-01-30T00:00:00",
        &["2028-03-30T00:00:00+00:00"],
    );
}

#[test]
fn crontab_5_examples() {
    // "run five minutes after midnight, every day"
    check(
        "5 0 * * *",
        "UTC",
        "2026-11-24T19:02:00",
        &["2026-11-25T00:05:00+00:00"],
    );
    // "run at 2:15pm on the first of every month"
    check(
        "15 14 1 * *",
        "UTC",
        "2026-11-24T19:02:00",
        &["2026-12-01T14:15:00+00:00"],
    );
    // "run at 10 pm on weekdays"
    check(
        "0 22 * * 1-5",
        "UTC",
        "2026-11-27T22:00:00",
        &["2026-11-30T22:00:00+00:00"],
    );
    // "run 23 minutes after midn, 2am, 4am ..., everyday"
    check(
        "23 0-23/2 * * *",
        "UTC",
        "2026-11-24T19:02:00",
        &[
            "2026-11-24T20:23:00+00:00",
            "2026-11-24T22:23:00+00:00",
            "2026-11-25T00:23:00+00:00",
        ],
    );
    // "run at 5 after 4 every sunday"
    check(
        "5 4 * * sun",
        "UTC",
        "2026-11-24T19:02:00",
        &["2026-11-29T04:05:00+00:00"],
    );
    // "run at midnight and noon on the 1st-7th and on Mondays... (either)"
    check(
        "0 4 8-14 * *",
        "UTC",
        "2026-11-24T19:02:00",
        &["2026-12-08T04:00:00+00:00"],
    );
    // "Run on every second Saturday of the month" (the day rule makes this
    // every Saturday AND the 8th-14th only with a test; here: either).
    check(
        "0 4 8-14 * 6",
        "UTC",
        "2026-11-24T19:02:00",
        &[
            "2026-11-28T04:00:00+00:00",
            "2026-12-05T04:00:00+00:00",
            "2026-12-08T04:00:00+00:00",
        ],
    );
}

#[test]
fn far_future_stops_at_year_9999() {
    let zone = common::zone("UTC");
    let schedule = sched_cron::Schedule::parse("0 0 29 2 *").unwrap();
    let after = common::wall(&zone, "9996-03-01T00:00:00");
    assert_eq!(schedule.next_after(&zone, after), None);
}

#[test]
fn sun_is_always_day_zero() {
    // cronie looks names up in order, so "sun" is 0: sun-sun is Sunday only
    // and sun-7 the whole week.
    check(
        "0 0 * * sun-SUN",
        "UTC",
        "2026-11-25T00:00:00",
        &["2026-11-29T00:00:00+00:00", "2026-12-06T00:00:00+00:00"],
    );
    check(
        "0 0 * * sun-7",
        "UTC",
        "2026-11-25T00:00:00",
        &["2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00"],
    );
}

#[test]
fn fractional_instants_before_1970_round_down() {
    let zone = common::zone("UTC");
    let schedule = sched_cron::Schedule::parse("* * * * *").unwrap();
    let after: jiff::Timestamp = "1969-12-31T23:58:59.5Z".parse().unwrap();
    assert_eq!(
        common::format(&zone, schedule.next_after(&zone, after).unwrap()),
        "1969-12-31T23:59:00+00:00"
    );
    let after: jiff::Timestamp = "2026-11-24T19:02:59.999Z".parse().unwrap();
    assert_eq!(
        common::format(&zone, schedule.next_after(&zone, after).unwrap()),
        "2026-11-24T19:03:00+00:00"
    );
}

#[test]
fn matches_wall_time_rejects_impossible_times() {
    let schedule = sched_cron::Schedule::parse("* * * * *").unwrap();
    assert!(schedule.matches_wall_time(2026, 2, 28, 23, 59));
    assert!(!schedule.matches_wall_time(2026, 2, 29, 0, 0));
    assert!(!schedule.matches_wall_time(2026, 16, 1, 0, 0));
    assert!(!schedule.matches_wall_time(2026, 1, 1, 24, 0));
    assert!(!schedule.matches_wall_time(2026, 1, 1, 0, 60));
}
