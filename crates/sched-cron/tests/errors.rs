//! Every rejected schedule, with its column and message.

use sched_cron::Schedule;

#[track_caller]
fn check(expression: &str, column: usize, message: &str) {
    match Schedule::parse(expression) {
        Ok(_) => panic!("{expression:?} was accepted"),
        Err(error) => {
            assert_eq!(
                (error.column, error.to_string().as_str()),
                (column, message),
                "schedule {expression:?}"
            );
        }
    }
}

#[test]
fn wrong_field_count() {
    let message = |n: usize| {
        format!(
            "expected 5 fields (minute hour day-of-month month day-of-week) or a @macro, found {n}"
        )
    };
    check("", 1, &message(0));
    check("* * * *", 8, &message(4));
    check("0 0 * * * *", 11, &message(6));
    check("* * * * * * *", 11, &message(7));
}

#[test]
fn out_of_range_values() {
    check("60 * * * *", 1, "minute 60 out of range 0-59");
    check("0 24 * * *", 3, "hour 24 out of range 0-23");
    check("0 0 0 * *", 5, "day-of-month 0 out of range 1-31");
    check("0 0 32 * *", 5, "day-of-month 32 out of range 1-31");
    check("0 0 * 13 *", 7, "month 13 out of range 1-12");
    check("0 0 * 0 *", 7, "month 0 out of range 1-12");
    check("0 0 * * 8", 9, "day-of-week 8 out of range 0-7");
    check("1,2,99 * * * *", 5, "minute 99 out of range 0-59");
    check("50-70 * * * *", 4, "minute 70 out of range 0-59");
    check("*  */2  1-40 * *", 11, "day-of-month 40 out of range 1-31");
}

#[test]
fn reversed_ranges() {
    check(
        "0 5-2 * * *",
        4,
        "hour range 5-2 is reversed, so cron would never run it: write 5-23,0-2 for a range that wraps",
    );
    check(
        "0 0 * * FRI-MON",
        12,
        "day-of-week range 5-1 is reversed, so cron would never run it: write 5-7,0-1 for a range that wraps",
    );
    check(
        "30-10 * * * *",
        3,
        "minute range 30-10 is reversed, so cron would never run it: write 30-59,0-10 for a range that wraps",
    );
    check(
        "0 0 * nov-feb *",
        10,
        "month range 11-2 is reversed, so cron would never run it: write 11-12,1-2 for a range that wraps",
    );
}

#[test]
fn bad_steps() {
    check("*/0 * * * *", 3, "minute step 0: a step must be at least 1");
    check(
        "0 0-23/0 * * *",
        8,
        "hour step 0: a step must be at least 1",
    );
    check(
        "5/15 * * * *",
        2,
        "minute step after the single value 5: write 5-59/15 or */15",
    );
    check(
        "0 0 * * 1/2",
        10,
        "day-of-week step after the single value 1: write 1-7/2 or */2",
    );
    check(
        "*/ * * * *",
        3,
        "minute field: expected a number 0-59, or '*', found end of field",
    );
    check(
        "*/x * * * *",
        3,
        "minute field: expected a number 0-59, or '*', found 'x'",
    );
}

#[test]
fn numbers_too_large_never_wrap() {
    // CVE-2024-43688 class: a huge step must not wrap to a small one.
    check(
        "*/2147483648 * * * *",
        3,
        "step 2147483648 in the minute field is too large (at most 1000000)",
    );
    check(
        "*/4294967297 * * * *",
        3,
        "step 4294967297 in the minute field is too large (at most 1000000)",
    );
    check(
        "0 0 */99999999999999999999 * *",
        7,
        "step 99999999999999999999 in the day-of-month field is too large (at most 1000000)",
    );
    check(
        "4294967296 * * * *",
        1,
        "minute number 4294967296 is too large (range 0-59)",
    );
    check(
        "4294967295 * * * *",
        1,
        "minute 4294967295 out of range 0-59",
    );
}

#[test]
fn large_steps_within_bounds_are_fine() {
    for expression in [
        "*/32 * * * *",
        "0 0 */32 * *",
        "*/1000000 * * * *",
        "0 */24 * * *",
    ] {
        assert!(Schedule::parse(expression).is_ok(), "{expression}");
    }
}

#[test]
fn names() {
    check(
        "0 0 * * MOX",
        9,
        "unknown day-of-week name \"MOX\": expected one of sun mon tue wed thu fri sat",
    );
    check(
        "0 0 * * monday",
        9,
        "unknown day-of-week name \"monday\": expected one of sun mon tue wed thu fri sat",
    );
    check(
        "0 0 * janu *",
        7,
        "unknown month name \"janu\": expected one of jan feb mar apr may jun jul aug sep oct nov dec",
    );
    check(
        "0 0 mon * *",
        5,
        "the day-of-month field takes numbers 1-31, not names: found \"mon\"",
    );
    check(
        "jan * * * *",
        1,
        "the minute field takes numbers 0-59, not names: found \"jan\"",
    );
    check(
        "0 0 * * */mon",
        11,
        "day-of-week field: expected a number 0-7 or a day name (sun-sat), or '*', found 'm'",
    );
}

#[test]
fn unexpected_characters() {
    check(
        "1,,2 * * * *",
        3,
        "minute field: expected a number 0-59, or '*', found ','",
    );
    check(
        "1, * * * *",
        3,
        "minute field: expected a number 0-59, or '*', found end of field",
    );
    check(
        "? * * * *",
        1,
        "minute field: expected a number 0-59, or '*', found '?'",
    );
    check(
        "0 0 L * *",
        5,
        "the day-of-month field takes numbers 1-31, not names: found \"L\"",
    );
    check(
        "0 0 * * 5#3",
        10,
        "day-of-week field: expected a number 0-7 or a day name (sun-sat), or '*', found '#'",
    );
    check(
        "*-5 * * * *",
        2,
        "minute field: expected a number 0-59, or '*', found '-'",
    );
    check(
        "1-2-3 * * * *",
        4,
        "minute field: expected a number 0-59, or '*', found '-'",
    );
    check(
        "*/2/3 * * * *",
        4,
        "minute field: expected a number 0-59, or '*', found '/'",
    );
    check(
        "-5 * * * *",
        1,
        "minute field: expected a number 0-59, or '*', found '-'",
    );
    check(
        "0 0 1^5 * *",
        6,
        "day-of-month field: expected a number 1-31, or '*', found '^'",
    );
    check(
        "é * * * *",
        1,
        "minute field: expected a number 0-59, or '*', found 'é'",
    );
}

#[test]
fn macros() {
    check(
        "@fortnightly",
        1,
        "unknown macro \"@fortnightly\": expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot",
    );
    // cronie compares macro names case-sensitively.
    check(
        "@DAILY",
        1,
        "unknown macro \"@DAILY\": expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot",
    );
    check(
        "@daily *",
        8,
        "@daily replaces all 5 time fields: unexpected \"*\" after it",
    );
}

#[test]
fn schedules_that_never_fire() {
    check("0 0 30 2 *", 5, "never fires: February has no day 30");
    check(
        "0 0 30,31 2 *",
        5,
        "never fires: February has no days 30,31",
    );
    check(
        "0 0 31 4,6,9,11 *",
        5,
        "never fires: April, June, September and November have no day 31",
    );
    check(
        "0 0 31 feb,apr *",
        5,
        "never fires: February and April have no day 31",
    );
    // A star day of the week keeps the "both" rule.
    check("0 0 30 2 */2", 5, "never fires: February has no day 30");
}

#[test]
fn schedules_that_look_empty_but_fire() {
    // Both day fields restricted: either matches, so Mondays in February.
    for expression in ["0 0 30 2 MON", "0 0 31 4 1", "0 0 29 2 *", "0 0 */31 2 *"] {
        assert!(Schedule::parse(expression).is_ok(), "{expression}");
    }
}

#[test]
fn columns_count_characters_and_tabs() {
    check("0\t0\t*\t*\t8", 9, "day-of-week 8 out of range 0-7");
    check("  0 99 * * *", 5, "hour 99 out of range 0-23");
}
