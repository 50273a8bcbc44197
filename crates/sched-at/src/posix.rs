//! `at -t [[CC]YY]MMDDhhmm[.ss]`, the POSIX form (the same as touch -t).
//!
//! As at reads it: 8 digits are in the current year; a 2-digit year is
//! 2000-2068 up to 68 and 1969-1999 from 69 (POSIX, unlike the 70 of the
//! free-form years); every field must exist, so February 30, 24:00, second
//! 60 and a wall time the clock skips are refused (at checks that `mktime`
//! gives back the same fields). The job runs at the start of that minute,
//! so the seconds do not change the instant. A past time is accepted: at
//! queues it and atd runs it at once.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::Resolution;
use crate::calendar::days_in_month;
use crate::error::{TimespecError, TimespecErrorKind as Kind};
use crate::resolve::{wall_to_instant, zone_name};

pub fn resolve(value: &str, now: Timestamp, zone: &TimeZone) -> Result<Resolution, TimespecError> {
    let shape = || TimespecError::new(1, Kind::PosixShape);
    let (digits, seconds) = match value.split_once('.') {
        Some((digits, seconds)) => (digits, Some(seconds)),
        None => (value, None),
    };
    if !matches!(digits.len(), 8 | 10 | 12) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    let seconds = match seconds {
        Some(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) => pair(s, 0),
        Some(_) => return Err(shape()),
        None => 0,
    };
    let year_len = digits.len() - 8;
    let year = match year_len {
        0 => i32::from(zone.to_datetime(now).year()),
        2 => match pair(digits, 0) {
            yy @ 0..=68 => 2000 + yy as i32,
            yy => 1900 + yy as i32,
        },
        _ => (pair(digits, 0) * 100 + pair(digits, 2)) as i32,
    };
    let field = |index: usize| pair(digits, year_len + 2 * index);
    let (month, day, hour, minute) = (field(0), field(1), field(2), field(3));
    let column = |index: usize| year_len + 2 * index + 1;
    let out_of_range = |index: usize, field: &'static str, value: u32, range: &'static str| {
        TimespecError::new(
            column(index),
            Kind::PosixField {
                field,
                value,
                range,
            },
        )
    };
    if !(1..=12).contains(&month) {
        return Err(out_of_range(0, "month", month, "01-12"));
    }
    if !(1..=31).contains(&day) {
        return Err(out_of_range(1, "day", day, "01-31"));
    }
    let days = days_in_month(year, month);
    if day > days {
        return Err(TimespecError::new(
            column(1),
            Kind::NoSuchDay {
                year,
                month,
                day,
                days,
            },
        ));
    }
    if hour > 23 {
        return Err(out_of_range(2, "hour", hour, "00-23"));
    }
    if minute > 59 {
        return Err(out_of_range(3, "minute", minute, "00-59"));
    }
    if seconds > 59 {
        return Err(TimespecError::new(
            digits.len() + 2,
            Kind::PosixField {
                field: "second",
                value: seconds,
                range: "00-59",
            },
        ));
    }
    let wall = i16::try_from(year)
        .ok()
        .and_then(|year| {
            DateTime::new(year, month as i8, day as i8, hour as i8, minute as i8, 0, 0).ok()
        })
        .ok_or_else(|| TimespecError::new(1, Kind::OutOfRange))?;
    if let AmbiguousOffset::Gap { .. } = zone.to_ambiguous_timestamp(wall).offset() {
        return Err(TimespecError::new(
            1,
            Kind::Skipped {
                wall: wall.strftime("%Y-%m-%d %H:%M").to_string(),
                zone: zone_name(zone),
            },
        ));
    }
    let mut notices = Vec::new();
    let instant = wall_to_instant(zone, wall, now, &mut notices)?;
    Ok(Resolution { instant, notices })
}

/// The two digits at `index` as a number.
fn pair(digits: &str, index: usize) -> u32 {
    let bytes = digits.as_bytes();
    u32::from(bytes[index] - b'0') * 10 + u32::from(bytes[index + 1] - b'0')
}
