//! Every rejected form, with the column and the message. Debian's at
//! rejects each of these too (its messages say only "syntax error" or
//! "Error in day of month"); the two it accepts are in quirks.rs.

mod common;

use common::error;

const NOW: &str = "2026-11-25T19:02:37";

#[test]
fn rejected_forms() {
    let rows: &[(&str, usize, &str)] = &[
        (
            "",
            1,
            r#"expected a time (16:00, 4pm, noon, midnight, teatime), a date (today, tomorrow, friday, Jul 31, 2027-07-31) or now, found the end"#,
        ),
        (
            "tomorrow 10am",
            10,
            r#"found the time "10" after the date: at(1) wants the time of day first (10am tomorrow, noon Jul 31)"#,
        ),
        (
            "tomorrow noon",
            10,
            r#"found the time "noon" after the date: at(1) wants the time of day first (10am tomorrow, noon Jul 31)"#,
        ),
        ("now + 5 mins", 12, r#"expected the end, found "s""#),
        (
            "now + 5",
            8,
            r#"expected minutes, hours, days, weeks, months or years, found the end"#,
        ),
        (
            "now +",
            6,
            r#"expected a number after '+' or '-', found the end"#,
        ),
        (
            "now + 1 day + 2 hours",
            13,
            r#"expected the end: at(1) allows one '+ N unit' or '- N unit', found "+""#,
        ),
        (
            "now + 5 sec",
            9,
            r#"expected minutes, hours, days, weeks, months or years, found "sec""#,
        ),
        (
            "now utc",
            5,
            r#"expected '+ N unit', '- N unit' or the end, found "utc""#,
        ),
        (
            "now tomorrow",
            5,
            r#"expected '+ N unit', '- N unit' or the end, found "tomorrow""#,
        ),
        (
            "9",
            2,
            r#"expected am, pm, a month name or '/' after the number, found the end"#,
        ),
        (
            "9 foo",
            3,
            r#"expected am, pm, a month name or '/' after the number, found "foo""#,
        ),
        ("25:00", 1, r#"hour 25 is out of range 0-24"#),
        ("10:61", 4, r#"minute 61 is out of range 0-60"#),
        ("29:30", 1, r#"hour 29 is out of range 0-24"#),
        ("13pm", 1, r#"hour 13 is too large for pm: expected 0-12"#),
        (
            "13:30 pm",
            1,
            r#"hour 13 is too large for pm: expected 0-12"#,
        ),
        ("24am", 1, r#"hour 24 is too large for am: expected 0-12"#),
        ("Jul 32", 5, r#"day 32 is out of range 1-31"#),
        ("Jul 0", 5, r#"day 0 is out of range 1-31"#),
        (
            "Jul",
            4,
            r#"expected a day of the month (1-31), found the end"#,
        ),
        (
            "Jul x",
            5,
            r#"expected a day of the month (1-31), found "x""#,
        ),
        (
            "Jul 31,",
            8,
            r#"expected a year of 2 or 4 digits, found the end"#,
        ),
        (
            "Jul 31, 123",
            9,
            r#"expected a year of 2 or 4 digits, found "123""#,
        ),
        ("13/01/27", 1, r#"month 13 is out of range 1-12"#),
        ("07/32/27", 4, r#"day 32 is out of range 1-31"#),
        (
            "07/31",
            6,
            r#"expected '/' and a year (MM/DD/YY or MM/DD/YYYY), found the end"#,
        ),
        (
            "07/31/",
            7,
            r#"expected a year of 2 or 4 digits, found the end"#,
        ),
        (
            "07/31/7",
            7,
            r#"expected a year of 2 or 4 digits, found "7""#,
        ),
        ("2027-13-01", 6, r#"month 13 is out of range 1-12"#),
        (
            "2027-02-29",
            9,
            r#"2027-02-29 does not exist: that month has 28 days"#,
        ),
        (
            "2027-04-31",
            9,
            r#"2027-04-31 does not exist: that month has 30 days"#,
        ),
        ("2027-00-10", 6, r#"month 0 is out of range 1-12"#),
        (
            "31.04.27",
            1,
            r#"2027-04-31 does not exist: that month has 30 days"#,
        ),
        ("32.01.27", 1, r#"day 32 is out of range 1-31"#),
        (
            "29.02.27",
            1,
            r#"2027-02-29 does not exist: that month has 28 days"#,
        ),
        ("13012027", 1, r#"month 13 is out of range 1-12"#),
        (
            "next",
            5,
            r#"expected a unit (minute, hour, day, week, month, year) or a weekday after 'next', found the end"#,
        ),
        (
            "next 5",
            6,
            r#"expected a unit (minute, hour, day, week, month, year) or a weekday after 'next', found "5""#,
        ),
        (
            "next noon",
            6,
            r#"expected a unit (minute, hour, day, week, month, year) or a weekday after 'next', found "noon""#,
        ),
        (
            "noon noon",
            6,
            r#"expected a date, '+ N unit', '- N unit' or the end, found "noon""#,
        ),
        (
            "noon 5",
            6,
            r#"expected a date, '+ N unit', '- N unit' or the end, found "5""#,
        ),
        (
            "yesterday",
            1,
            r#"expected a time (16:00, 4pm, noon, midnight, teatime), a date (today, tomorrow, friday, Jul 31, 2027-07-31) or now, found "yesterday""#,
        ),
        (
            "mondays",
            7,
            r#"expected '+ N unit', '- N unit' or the end, found "s""#,
        ),
        (
            "tues",
            4,
            r#"expected '+ N unit', '- N unit' or the end, found "s""#,
        ),
        (
            "sept 5",
            4,
            r#"expected a day of the month (1-31), found "t""#,
        ),
        (
            "Jul 1,2027",
            5,
            r#"expected a day of the month (1-31), found "1,20""#,
        ),
        (
            "930",
            1,
            r#"expected a time of 4 digits (HHMM: 0930 for 9:30), found "930""#,
        ),
        (
            "0930am",
            5,
            r#"expected a date, '+ N unit', '- N unit' or the end, found "am""#,
        ),
        (
            "noon + 99999999999 minutes",
            8,
            r#"count 99999999999 is too large: at most 2147483647"#,
        ),
        (
            "now + x min",
            7,
            r#"expected a number after '+' or '-', found "x""#,
        ),
        (
            "now * 2",
            5,
            r#"expected '+ N unit', '- N unit' or the end, found "*""#,
        ),
        (
            "1030am",
            5,
            r#"expected a date, '+ N unit', '- N unit' or the end, found "am""#,
        ),
        (
            "@",
            1,
            r#"expected a time (16:00, 4pm, noon, midnight, teatime), a date (today, tomorrow, friday, Jul 31, 2027-07-31) or now, found "@""#,
        ),
        (
            "noon tomorrow today",
            15,
            r#"expected '+ N unit', '- N unit' or the end, found "today""#,
        ),
    ];
    let wrong: Vec<String> = rows
        .iter()
        .filter(|&&(spec, column, message)| error("UTC", NOW, spec) != (column, message.to_owned()))
        .map(|&(spec, ..)| {
            let (column, message) = error("UTC", NOW, spec);
            format!("  {spec:?}: column {column}: {message}")
        })
        .collect();
    assert!(wrong.is_empty(), "unexpected errors:\n{}", wrong.join("\n"));
}

#[test]
fn past_instants_are_refused() {
    assert_eq!(
        error("Europe/Berlin", NOW, "now - 1 min"),
        (
            1,
            "2026-11-25T19:01:00+01:00[Europe/Berlin] is in the past (now is 2026-11-25T19:02:00+01:00[Europe/Berlin])".into()
        )
    );
    assert_eq!(
        error("UTC", NOW, "noon today").1,
        "2026-11-25T12:00:00+00:00[UTC] is in the past (now is 2026-11-25T19:02:00+00:00[UTC])"
    );
    assert_eq!(
        error("UTC", NOW, "Jul 31 1999").1,
        "1999-07-31T19:02:00+00:00[UTC] is in the past (now is 2026-11-25T19:02:00+00:00[UTC])"
    );
    assert_eq!(
        error("UTC", NOW, "2026-11-24").1,
        "2026-11-24T19:02:00+00:00[UTC] is in the past (now is 2026-11-25T19:02:00+00:00[UTC])"
    );
}

#[test]
fn instants_outside_jiffs_years_are_refused() {
    for spec in [
        "now + 2147483647 years",
        "now - 20000 years",
        "now + 8000 years",
        "Dec 31 9999 + 1 day",
        "now + 2147483647 weeks",
    ] {
        assert_eq!(
            error("UTC", NOW, spec),
            (1, "the time is outside the years -9999 to 9999".into()),
            "{spec}"
        );
    }
}

#[test]
fn a_time_after_a_date_gets_a_hint() {
    let hint = "after the date: at(1) wants the time of day first (10am tomorrow, noon Jul 31)";
    assert_eq!(
        error("UTC", NOW, "tomorrow 10am"),
        (10, format!("found the time \"10\" {hint}"))
    );
    // at reads the 10 as the year 2010, then fails at "am".
    assert_eq!(
        error("UTC", NOW, "Jul 31 10am"),
        (8, format!("found the time \"10am\" {hint}"))
    );
}

#[test]
fn long_input_is_refused_and_long_words_are_cut() {
    let long = "now ".repeat(300);
    assert_eq!(
        error("UTC", NOW, &long),
        (
            1001,
            "the time specification is 1200 characters long: at most 1000".into()
        )
    );
    let word = format!("now + 1 x{}", "y".repeat(100));
    assert_eq!(
        error("UTC", NOW, &word),
        (
            9,
            format!(
                "expected minutes, hours, days, weeks, months or years, found \"x{}\"…",
                "y".repeat(39)
            )
        )
    );
}
