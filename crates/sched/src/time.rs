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
