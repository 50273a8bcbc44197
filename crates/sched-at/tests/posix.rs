//! `at -t [[CC]YY]MMDDhhmm[.ss]`: each accepted value resolves to the
//! minute Debian's at queues the job for (checked with its `-v`), and each
//! value it refuses ("invalid date format") is refused with the reason.

mod common;

use common::{instant, zone};

const NOW: &str = "2026-11-25T19:02:37";

fn posix(zone_name: &str, now: &str, value: &str) -> Result<String, (usize, String)> {
    let tz = zone(zone_name);
    sched_at::resolve_posix(value, instant(&tz, now), &tz)
        .map(|r| r.instant.to_zoned_datetime(tz).to_string())
        .map_err(|e| (e.column, e.to_string()))
}

#[test]
fn accepted_values() {
    let rows = [
        // 8 digits: the current year, even when that is past.
        ("11261530", "2026-11-26T15:30:00+01:00[Europe/Berlin]"),
        ("01011200", "2026-01-01T12:00:00+01:00[Europe/Berlin]"),
        ("2611261530", "2026-11-26T15:30:00+01:00[Europe/Berlin]"),
        ("202611261530", "2026-11-26T15:30:00+01:00[Europe/Berlin]"),
        // The job runs at the start of the minute.
        (
            "202611261530.45",
            "2026-11-26T15:30:00+01:00[Europe/Berlin]",
        ),
        // POSIX years: 00-68 are 20xx, 69-99 are 19xx.
        ("6812311200", "2068-12-31T12:00:00+01:00[Europe/Berlin]"),
        ("6901011200", "1969-01-01T12:00:00+01:00[Europe/Berlin]"),
        ("202802290000", "2028-02-29T00:00:00+01:00[Europe/Berlin]"),
        // A repeated wall time: its first pass.
        ("202610250230", "2026-10-25T02:30:00+02:00[Europe/Berlin]"),
    ];
    for (value, expected) in rows {
        assert_eq!(
            posix("Europe/Berlin", NOW, value),
            Ok(expected.to_owned()),
            "{value}"
        );
    }
    // The second pass when the first is already past.
    assert_eq!(
        posix("Europe/Berlin", "2026-10-25T02:40:00+01:00", "202610250250"),
        Ok("2026-10-25T02:50:00+01:00[Europe/Berlin]".to_owned())
    );
    assert_eq!(
        posix("America/New_York", NOW, "11261530"),
        Ok("2026-11-26T15:30:00-05:00[America/New_York]".to_owned())
    );
}

#[test]
fn refused_values() {
    let shape = "expected [[CC]YY]MMDDhhmm[.ss]: 8, 10 or 12 digits, then optionally '.' and 2 digits of seconds";
    let rows: [(&str, usize, &str); 12] = [
        ("", 1, shape),
        ("1126153", 1, shape),
        ("2026-11-26", 1, shape),
        ("1126153O", 1, shape),
        ("202611261530.5", 1, shape),
        ("202611261530.", 1, shape),
        ("2026112615", 3, "month 26 is out of range 01-12"),
        ("00261530", 1, "month 0 is out of range 01-12"),
        (
            "202702301200",
            7,
            "2027-02-30 does not exist: that month has 28 days",
        ),
        ("202611262400", 9, "hour 24 is out of range 00-23"),
        ("202611261560", 11, "minute 60 is out of range 00-59"),
        ("202611261530.60", 14, "second 60 is out of range 00-59"),
    ];
    for (value, column, message) in rows {
        assert_eq!(
            posix("Europe/Berlin", NOW, value),
            Err((column, message.to_owned())),
            "{value}"
        );
    }
    assert_eq!(
        posix("Europe/Berlin", NOW, "202603290230"),
        Err((
            1,
            "2026-03-29 02:30 does not exist in Europe/Berlin: the clock skips it (daylight saving time)".to_owned()
        ))
    );
    assert_eq!(
        posix("America/New_York", NOW, "202603080230"),
        Err((
            1,
            "2026-03-08 02:30 does not exist in America/New_York: the clock skips it (daylight saving time)".to_owned()
        ))
    );
}
