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
        Some(name) => zone_named(name).ok_or_else(|| {
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
        _ => Ok(system_zone().unwrap_or(TimeZone::UTC)),
    }
}

/// The zone an IANA name names, as `TimeZone::get` finds it, but read
/// from the one TZif file of that name.
///
/// Why: jiff's system database lists the whole zoneinfo tree (about 40
/// directories and 600 files) on its first lookup, and every `sched`
/// command needs one zone: that listing was a large part of a `sched at`
/// process's time (BENCHMARKS.md, "`sched` start-up"). A name that is not
/// an exact file name there (another letter case, a zone only the bundled
/// copy has) goes to jiff's lookup as before, so what a name means is
/// unchanged.
pub fn zone_named(name: &str) -> Option<TimeZone> {
    // jiff's own special names, whatever the files say.
    if name.eq_ignore_ascii_case("UTC") {
        return Some(TimeZone::UTC);
    }
    if name.eq_ignore_ascii_case("Etc/Unknown") {
        return Some(TimeZone::unknown());
    }
    zone_file(name).or_else(|| TimeZone::get(name).ok())
}

/// The system's zone, as `TimeZone::try_system` reads it with `$TZ`
/// unset: the zone /etc/localtime links to, by name.
pub fn system_zone() -> Option<TimeZone> {
    // Read once per process: `sched at` asks for it twice.
    static SYSTEM: std::sync::OnceLock<Option<TimeZone>> = std::sync::OnceLock::new();
    SYSTEM.get_or_init(read_system_zone).clone()
}

fn read_system_zone() -> Option<TimeZone> {
    let named = std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|target| {
            let target = target.to_str()?;
            let name = &target[target.rfind("zoneinfo/")? + "zoneinfo/".len()..];
            zone_named(name)
        });
    named.or_else(|| TimeZone::try_system().ok())
}

/// The TZif file `name` in the zoneinfo directory jiff would use
/// (`$TZDIR`, else the first of the usual places that exists). Names
/// jiff's listing leaves out (the `posix` and `right` trees) and names that
/// could leave the directory are not looked up here.
fn zone_file(name: &str) -> Option<TimeZone> {
    let plain = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| !matches!(part, "" | "." | ".."))
        && !matches!(name.split('/').next(), Some("posix" | "right"));
    if !plain {
        return None;
    }
    let dir = std::env::var_os("TZDIR")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/share/zoneinfo",
                "/usr/share/lib/zoneinfo",
                "/etc/zoneinfo",
            ]
            .map(std::path::PathBuf::from),
        )
        .find(|dir| dir.is_dir())?;
    let data = std::fs::read(dir.join(name)).ok()?;
    TimeZone::tzif(name, &data).ok()
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
        zone_named(name).or_else(|| TimeZone::posix(name).ok())
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

    /// The offsets of `zone` on the first of every third month, 1901-2099.
    fn offsets(zone: &TimeZone) -> Vec<i32> {
        (1901..2100)
            .flat_map(|year| [1, 4, 7, 10].map(|month| jiff::civil::date(year, month, 1)))
            .map(|day| {
                let at = TimeZone::UTC.to_timestamp(day.at(0, 0, 0, 0)).unwrap();
                zone.to_offset(at).seconds()
            })
            .collect()
    }

    #[test]
    fn every_zone_read_from_its_file_is_the_zone_jiff_finds() {
        let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        assert!(
            names.len() > 300,
            "the zone database lists {} zones",
            names.len()
        );
        for name in names
            .iter()
            .map(String::as_str)
            .chain(["UTC", "utc", "Etc/Unknown"])
        {
            let ours = zone_named(name).unwrap_or_else(|| panic!("{name} not found"));
            let jiffs = TimeZone::get(name).unwrap();
            assert_eq!(ours.iana_name(), jiffs.iana_name(), "{name}");
            assert_eq!(offsets(&ours), offsets(&jiffs), "{name}");
        }
    }

    #[test]
    fn names_that_are_not_plain_file_names_mean_what_jiff_says() {
        for name in [
            "europe/berlin",
            "EUROPE/BERLIN",
            "posix/Europe/Berlin",
            "right/UTC",
            "../zoneinfo/Europe/Berlin",
            "/usr/share/zoneinfo/Europe/Berlin",
            "Europe//Berlin",
            "Europe/./Berlin",
            "zone.tab",
            "",
            "No/Such_Zone",
        ] {
            let ours = zone_named(name);
            let jiffs = TimeZone::get(name).ok();
            assert_eq!(ours.is_some(), jiffs.is_some(), "{name:?}");
            if let (Some(ours), Some(jiffs)) = (ours, jiffs) {
                assert_eq!(ours.iana_name(), jiffs.iana_name(), "{name:?}");
                assert_eq!(offsets(&ours), offsets(&jiffs), "{name:?}");
            }
        }
    }

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
