//! Zones, `--now` and the instant format shared by the commands that print
//! times (`next`, and later `when` and listings).

use anyhow::{Context, Result, anyhow};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// The zone and the instant `--tz` and `--now` name.
pub fn clock(args: &crate::cli::ClockArgs) -> Result<(TimeZone, Timestamp)> {
    let tz = zone(args.tz.as_deref())?;
    let now = now(args.now.as_deref(), &tz)?;
    Ok((tz, now))
}

/// The zone named by `--tz`, else `$TZ`, else /etc/localtime.
pub fn zone(name: Option<&str>) -> Result<TimeZone> {
    match name {
        Some(name) => TimeZone::get(name).map_err(|_| {
            anyhow!(
                "unknown time zone {name:?}: expected an IANA name such as Europe/Berlin or UTC"
            )
        }),
        None => TimeZone::try_system()
            .context("cannot tell the local time zone from $TZ or /etc/localtime: pass --tz ZONE"),
    }
}

/// The instant `--now` names in `zone`, or the current time.
///
/// A wall time in a gap is moved forward by the gap's length and one in a
/// fold means its first pass (RFC 5545 and Temporal's "compatible" rule);
/// an explicit offset or `Z` names an instant directly.
pub fn now(text: Option<&str>, zone: &TimeZone) -> Result<Timestamp> {
    let Some(text) = text else {
        return Ok(Timestamp::now());
    };
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    let wall: DateTime = text.parse().map_err(|_| {
        anyhow!(
            "invalid --now {text:?}: expected a wall time such as 2026-11-24T19:02:00, optionally with an offset such as +01:00"
        )
    })?;
    zone.to_timestamp(wall)
        .map_err(|e| anyhow!("invalid --now {text:?}: {e}"))
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM`: a numeric offset, `+00:00` for UTC (never
/// `Z`), and seconds in the offset only for the rare zone that has them.
pub fn format_instant(at: Timestamp, zone: &TimeZone) -> String {
    let offset = zone.to_offset(at);
    let pattern = if offset.seconds() % 60 == 0 {
        "%Y-%m-%dT%H:%M:%S%:z"
    } else {
        "%Y-%m-%dT%H:%M:%S%::z"
    };
    at.to_zoned_datetime(zone.clone())
        .strftime(pattern)
        .to_string()
}

/// The zone listings are printed in: `$TZ`, else /etc/localtime, else UTC.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// [`format_instant`] for many instants in one zone: the same text, written
/// with integer formatting instead of strftime, for listings of 100,000
/// jobs.
pub fn write_instant(out: &mut String, at: Timestamp, zone: &TimeZone) {
    use std::fmt::Write;
    let offset = zone.to_offset(at);
    let seconds = offset.seconds();
    if seconds % 60 != 0 {
        out.push_str(&format_instant(at, zone));
        return;
    }
    let wall = offset.to_datetime(at);
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        wall.year(),
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second(),
        minutes / 60,
        minutes % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_writer_matches_format_instant() {
        for zone in [
            "Europe/Berlin",
            "America/St_Johns",
            "Asia/Kolkata",
            "UTC",
            "Africa/Monrovia",
        ] {
            let zone = TimeZone::get(zone).unwrap();
            for instant in [
                "2026-11-25T22:58:00Z",
                "2026-03-29T01:00:00Z",
                "1960-06-01T12:00:00Z",
                "0003-01-01T00:00:00Z",
            ] {
                let at: Timestamp = instant.parse().unwrap();
                let mut fast = String::new();
                write_instant(&mut fast, at, &zone);
                assert_eq!(fast, format_instant(at, &zone));
            }
        }
    }
}
