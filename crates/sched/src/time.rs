//! Zones, `--now` and the instant format shared by the commands that print
//! times (`next`, and later `when` and listings).

use anyhow::{Result, anyhow};
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
        None => local_zone(),
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
    let mut text = String::with_capacity(25);
    write_instant(&mut text, at, zone);
    text
}

/// at(1)'s way of printing an instant: `Fri Dec  4 13:00:00 2026`, in
/// `zone`, as `asctime` does.
pub fn format_at_style(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone())
        .strftime("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// A span of time for people: `45s`, `12m 05s`, `3h 02m`, `2d 04h`.
pub fn elapsed(span: jiff::SignedDuration) -> String {
    let seconds = span.as_secs().max(0);
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, _) => format!("{minutes}m {secs:02}s"),
        (0, _, _) => format!("{hours}h {minutes:02}m"),
        _ => format!("{days}d {hours:02}h"),
    }
}

/// The zone instants are read and printed in: `$TZ`, else
/// /etc/localtime, else UTC. A `$TZ` that names no zone is refused, naming
/// it, rather than quietly read as UTC.
pub fn local_zone() -> Result<TimeZone> {
    match std::env::var("TZ") {
        Ok(tz) if !tz.is_empty() => zone_of_tz(&tz),
        _ => Ok(TimeZone::try_system().unwrap_or(TimeZone::UTC)),
    }
}

/// The zone a `$TZ` value names: `Europe/Berlin` or `:Europe/Berlin`, a
/// TZif file by absolute path, or a POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`).
fn zone_of_tz(tz: &str) -> Result<TimeZone> {
    let name = tz.strip_prefix(':').unwrap_or(tz);
    let zone = if name.starts_with('/') {
        std::fs::read(name)
            .ok()
            .and_then(|data| TimeZone::tzif(name, &data).ok())
    } else {
        TimeZone::get(name).or_else(|_| TimeZone::posix(name)).ok()
    };
    zone.ok_or_else(|| {
        anyhow!(
            "unknown time zone in $TZ: {tz:?}: expected an IANA name such as Europe/Berlin, a zone file or a POSIX TZ string; unset TZ for the system's zone"
        )
    })
}

/// Appends [`format_instant`]'s text to `out`. The digits are pushed by
/// hand rather than through `format!`: listings print 100,000 instants, and
/// the formatting machinery cost more than the time zone conversion.
pub fn write_instant(out: &mut String, at: Timestamp, zone: &TimeZone) {
    let offset = zone.to_offset(at);
    let wall = offset.to_datetime(at);
    let year = wall.year();
    if year < 0 {
        out.push('-');
    }
    push_digits(out, u32::from(year.unsigned_abs()), 4);
    out.push('-');
    push_digits(out, wall.month() as u32, 2);
    out.push('-');
    push_digits(out, wall.day() as u32, 2);
    out.push('T');
    push_digits(out, wall.hour() as u32, 2);
    out.push(':');
    push_digits(out, wall.minute() as u32, 2);
    out.push(':');
    push_digits(out, wall.second() as u32, 2);
    let seconds = offset.seconds();
    out.push(if seconds < 0 { '-' } else { '+' });
    let magnitude = seconds.unsigned_abs();
    push_digits(out, magnitude / 3600, 2);
    out.push(':');
    push_digits(out, magnitude / 60 % 60, 2);
    if !magnitude.is_multiple_of(60) {
        out.push(':');
        push_digits(out, magnitude % 60, 2);
    }
}

/// `value` in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut start = digits.len();
    let mut rest = value;
    while rest > 0 {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    start = start.min(digits.len() - width.min(digits.len()));
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_as_strftime_would_with_offset_seconds_only_when_present() {
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
                let pattern = if zone.to_offset(at).seconds() % 60 == 0 {
                    "%Y-%m-%dT%H:%M:%S%:z"
                } else {
                    "%Y-%m-%dT%H:%M:%S%::z"
                };
                let reference = at
                    .to_zoned_datetime(zone.clone())
                    .strftime(pattern)
                    .to_string();
                assert_eq!(format_instant(at, &zone), reference);
            }
        }
        // Monrovia before 1972 is -00:44:30; Berlin is +01:00.
        let monrovia = TimeZone::get("Africa/Monrovia").unwrap();
        let at: Timestamp = "1960-06-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            format_instant(at, &monrovia),
            "1960-06-01T11:15:30-00:44:30"
        );
    }
}
