//! Fuzz harnesses for every parser that reads outside input: crontab
//! files, single schedules (and their next fire instants), at(1) time
//! specifications, the daemon's configuration file, and the socket's
//! frames and requests.
//!
//! Each harness takes arbitrary bytes and must never panic: a panic is a
//! bug found in the code under test (or an invariant it broke). Besides
//! "does not crash", each one asserts cheap invariants: a schedule's next
//! instant is strictly after `now` and its wall time matches the schedule
//! (or is a clock jump), an accepted frame length is within the limit, a
//! decoded request encodes back to itself, error positions are inside the
//! text, and so on.
//!
//! The harnesses are driven by the coverage-guided fuzzer in `fuzz/` (a
//! cargo-fuzz project outside the workspace, run by `scripts/fuzz.sh`) and,
//! in every `cargo test`, by `tests/replay.rs`, which replays the fuzzer's
//! corpus, the regression inputs and a few thousand pseudo-random inputs.
//!
//! Inputs that are text are read with [`String::from_utf8_lossy`], so that
//! every byte string reaches the parser. Where a harness needs a zone or a
//! current instant, it picks one from a fixed list by a hash of the input:
//! the same input always runs the same way.

use std::path::Path;
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use sched_cron::crontab::{self, Format};
use sched_cron::{Schedule, Zone};
use sched_proto::{CrontabRequest, Envelope, HEADER_LEN, MAX_REQUEST, Request};

/// A harness: takes any bytes, panics only on a bug.
pub type Harness = fn(&[u8]);

/// Every fuzz target, by the name of its directory under `fuzz/corpus/`
/// and of its binary in `fuzz/fuzz_targets/`.
pub const TARGETS: &[(&str, Harness)] = &[
    ("crontab", crontab),
    ("schedule", schedule),
    ("at_timespec", at_timespec),
    ("at_posix", at_posix),
    ("conf", conf),
    ("request", request),
];

/// The harness of target `name`.
pub fn harness(name: &str) -> Option<Harness> {
    TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .map(|&(_, harness)| harness)
}

/// Zones with unusual rules: half-hour and 45-minute offsets, negative
/// DST, a skipped day, a two-hour DST, many transitions, and a POSIX rule.
const ZONE_NAMES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Asia/Kathmandu",
    "America/Santiago",
    "Antarctica/Troll",
    "Europe/Dublin",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "Pacific/Kwajalein",
    "Africa/Monrovia",
];

/// A POSIX TZ string, as a submitter may send instead of a name.
const POSIX_ZONE: &str = "EST5EDT,M3.2.0,M11.1.0";

/// Instants a harness takes as "now" (UTC seconds): ordinary days, the
/// edges of DST changes in several zones, the epoch, the year 2038, a
/// leap day, and the last years jiff can represent.
const NOWS: &[i64] = &[
    1_764_111_757,   // 2025-11-25T22:22:37Z
    1_772_953_199,   // 2026-03-08T06:59:59Z, a second before New York skips 02:00
    1_793_512_800,   // 2026-11-01T06:00:00Z, New York repeats 01:00
    1_774_746_000,   // 2026-03-29T01:00:00Z, Berlin skips 02:00
    1_775_314_800,   // 2026-04-04T15:00:00Z, Lord Howe falls back half an hour
    1_325_239_200,   // 2011-12-30T10:00:00Z, Apia skipped this day
    0,               // the epoch
    -1,              // a second before it
    2_147_483_647,   // 2038-01-19T03:14:07Z
    4_107_542_399,   // 2100-02-28T23:59:59Z, not a leap year
    1_709_164_800,   // 2024-02-29T00:00:00Z
    253_402_207_199, // 9999-12-30T21:59:59Z, near the last instant jiff has
    253_370_764_800, // 9999-01-01T00:00:00Z
    -2_208_988_800,  // 1900-01-01T00:00:00Z
];

static ZONES: [OnceLock<Zone>; ZONE_NAMES.len() + 1] =
    [const { OnceLock::new() }; ZONE_NAMES.len() + 1];

/// The time zone at `index` of the list ([`ZONE_NAMES`], then
/// [`POSIX_ZONE`]), from the database (see [`time_zone`] for a cached one).
fn load_time_zone(index: usize) -> TimeZone {
    match ZONE_NAMES.get(index) {
        Some(name) => TimeZone::get(name).expect("the bundled database has every listed zone"),
        None => TimeZone::posix(POSIX_ZONE).expect("the POSIX zone is valid"),
    }
}

/// The prepared zone at `index`, built once (a zone table spans 300 years).
fn zone(index: usize) -> &'static Zone {
    let index = index % ZONES.len();
    ZONES[index].get_or_init(|| Zone::new(load_time_zone(index)))
}

/// The time zone at `index` of the list (a cheap copy of a cached one).
fn time_zone(index: usize) -> TimeZone {
    zone(index).time_zone().clone()
}

/// A 64-bit FNV-1a hash: the input's choice of zone and instant.
fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The zone index and the "now" an input runs with.
fn setting(data: &[u8]) -> (usize, Timestamp) {
    let h = hash(data);
    let zone = (h % ZONES.len() as u64) as usize;
    let now = NOWS[((h >> 16) % NOWS.len() as u64) as usize];
    // Half the inputs have a fraction of a second, to exercise rounding.
    let nanos = if h & (1 << 40) != 0 { 500_000_000 } else { 0 };
    let now = Timestamp::new(now, nanos).expect("every listed instant is valid");
    (zone, now)
}

/// Checks a 1-based column against the text it points into: at most one
/// past its last character.
fn check_column(what: &str, column: usize, text: &str) {
    let chars = text.chars().count();
    assert!(
        (1..=chars + 1).contains(&column),
        "{what}: column {column} outside a text of {chars} characters: {text:?}"
    );
}

/// The next few fire instants of `schedule` after `now` in `zone`, checked:
/// each strictly after the one before, and each either a wall time the
/// schedule matches or the instant of an offset change (a fixed-time job
/// whose time was skipped runs right after the jump).
fn check_next(schedule: &Schedule, zone: &Zone, now: Timestamp, count: usize) {
    let mut after = now;
    for fire in schedule.iter_after(zone, now).take(count) {
        assert!(
            fire > after,
            "next instant {fire} is not after {after} ({schedule:?})"
        );
        let wall = zone.time_zone().to_datetime(fire);
        let second = fire.as_second();
        let matches = schedule.matches_wall_time(
            i32::from(wall.year()),
            wall.month() as u32,
            wall.day() as u32,
            wall.hour() as u32,
            wall.minute() as u32,
        );
        let at_jump = zone.offset_at(second - 1) != zone.offset_at(second);
        assert!(
            matches || at_jump,
            "next instant {fire} (wall {wall}) does not match {schedule:?} and is no offset change"
        );
        after = fire;
    }
    if schedule.is_reboot() {
        assert_eq!(
            schedule.next_after(zone, now),
            None,
            "@reboot has no instant"
        );
    }
}

/// A crontab file, read both as a user crontab and as a system one; the
/// first few jobs' next instants are computed in their `CRON_TZ` (when it
/// names one of the listed zones) or in the input's zone.
pub fn crontab(data: &[u8]) {
    let (zone_index, now) = setting(data);
    let lines = data.split(|&b| b == b'\n').count();
    for format in [Format::User, Format::System] {
        let (crontab, errors) = crontab::parse_bytes(data, format);
        let mut previous = 0;
        for entry in &crontab.entries {
            assert!(
                entry.line > previous && entry.line <= lines,
                "entry line {} after {previous}, of {lines} lines",
                entry.line
            );
            previous = entry.line;
            assert_eq!(entry.user.is_some(), format == Format::System);
            assert!(!entry.command.contains('\0') && !entry.stdin.contains('\0'));
            let env = crontab.env_of(entry);
            assert!(env.iter().all(|var| var.line < entry.line));
        }
        for var in &crontab.env {
            assert!(var.line >= 1 && var.line <= lines);
            assert!(var.value_column >= 1);
        }
        for error in &errors {
            assert!(error.line >= 1 && error.line <= lines, "{error:?}");
            assert!(error.column >= 1, "{error:?}");
            let _ = error.to_string();
        }
        for entry in crontab.entries.iter().take(4) {
            let zone = match crontab.cron_tz_of(entry) {
                Some(var) => match ZONE_NAMES.iter().position(|name| *name == var.value) {
                    Some(index) => self::zone(index),
                    None => self::zone(zone_index),
                },
                None => self::zone(zone_index),
            };
            check_next(&entry.schedule, zone, now, 2);
        }
    }
}

/// One schedule (`m h dom mon dow` or a macro): parsed, compared with the
/// same text parsed again, and its next three instants checked.
pub fn schedule(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (zone_index, now) = setting(data);
    match Schedule::parse(&text) {
        Ok(schedule) => {
            assert_eq!(text.parse::<Schedule>().ok().as_ref(), Some(&schedule));
            check_next(&schedule, zone(zone_index), now, 3);
        }
        Err(error) => {
            check_column("schedule", error.column, &text);
            let _ = error.to_string();
        }
    }
}

/// Whether an at(1) result starts in the minute of `now` or later (at
/// drops the seconds of now; a minute of slack covers zones whose offset
/// is not whole minutes).
fn not_before_now(instant: Timestamp, now: Timestamp) -> bool {
    // Whole seconds rounded down (as_second rounds toward zero).
    let now = now.as_second() - i64::from(now.subsec_nanosecond() < 0);
    instant.as_second() > now - 60
}

/// An at(1) free-form time specification (`now + 1 hour`, `teatime`, …).
pub fn at_timespec(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (zone_index, now) = setting(data);
    let tz = time_zone(zone_index);
    match sched_at::resolve(&text, now, &tz) {
        Ok(resolution) => {
            assert!(
                not_before_now(resolution.instant, now),
                "{text:?} at {now} resolved to the past: {}",
                resolution.instant
            );
            for notice in &resolution.notices {
                let _ = notice.to_string();
            }
        }
        Err(error) => {
            if !error.is_about_the_result() {
                check_column("timespec", error.column, &text);
            }
            let _ = error.to_string();
        }
    }
}

/// The value of `at -t` (`[[CC]YY]MMDDhhmm[.ss]`). A past time is
/// accepted, as at accepts it; the instant is the start of its minute.
pub fn at_posix(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (zone_index, now) = setting(data);
    let tz = time_zone(zone_index);
    match sched_at::resolve_posix(&text, now, &tz) {
        Ok(resolution) => {
            let wall = tz.to_datetime(resolution.instant);
            assert_eq!(
                wall.second(),
                0,
                "{text:?} resolved to {wall}, not the start of a minute"
            );
            for notice in &resolution.notices {
                let _ = notice.to_string();
            }
        }
        Err(error) => {
            if !error.is_about_the_result() {
                check_column("posix", error.column, &text);
            }
            let _ = error.to_string();
        }
    }
}

/// The daemon's configuration file (TOML).
pub fn conf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match schedd::config::file::parse(Path::new("/etc/schedd.conf"), &text) {
        Ok(config) => {
            if let Some(load) = config.batch_load {
                assert!(load.is_finite() && load > 0.0, "batch_load {load} accepted");
            }
        }
        Err(error) => {
            let lines = text.split('\n').count();
            assert!(error.line >= 1 && error.line <= lines, "{error:?}");
            let line = text.split('\n').nth(error.line - 1).unwrap_or("");
            check_column("conf", error.column, line);
            let _ = error.to_string();
        }
    }
}

/// Bytes from a client's socket: a frame header (its length checked
/// against several limits), then the frame read as the CLI reads it and
/// its body decoded as the daemon decodes a request; the whole input is
/// also decoded as a body, so that the fuzzer reaches the decoder without
/// first guessing a length.
pub fn request(data: &[u8]) {
    let mut header = [0u8; HEADER_LEN];
    let n = data.len().min(HEADER_LEN);
    header[..n].copy_from_slice(&data[..n]);
    let announced = u32::from_be_bytes(header) as usize;
    for limit in [0, 1, 4096, MAX_REQUEST, u32::MAX as usize] {
        match sched_proto::body_len(header, limit) {
            Ok(len) => assert!(len <= limit && len == announced, "{len} of limit {limit}"),
            Err(_) => assert!(announced > limit, "{announced} refused at limit {limit}"),
        }
    }
    let (_, now) = setting(data);
    let mut reader = data;
    match sched_proto::read_body(&mut reader, MAX_REQUEST) {
        Ok(body) => {
            assert!(body.len() <= MAX_REQUEST);
            assert_eq!(body.len(), announced);
            assert_eq!(body, data[HEADER_LEN..HEADER_LEN + body.len()]);
            request_body(&body, now);
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    request_body(data, now);
}

/// A request body, decoded by the daemon's own decoder. A decoded request
/// must encode back to itself; a submission is then checked and its time
/// resolved by the daemon's own submission code, and a crontab to install
/// is parsed.
fn request_body(body: &[u8], now: Timestamp) {
    let request = match schedd::decode_request(body, true) {
        Ok(request) => request,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let envelope = Envelope::new(request);
    let frame = sched_proto::encode(&envelope).expect("a decoded request encodes");
    let header = frame[..HEADER_LEN]
        .try_into()
        .expect("a frame has a header");
    let len = sched_proto::body_len(header, usize::MAX).expect("no limit");
    assert_eq!(len, frame.len() - HEADER_LEN);
    let back: Envelope<Request> =
        sched_proto::decode(&frame[HEADER_LEN..]).expect("an encoded request decodes");
    assert_eq!(back, envelope, "a request does not survive encoding");

    match envelope.body {
        Request::Submit(submission) => {
            // Any answer will do; what is checked is that none panics.
            // (A `-t` time may lie in the past: at queues it at once.)
            match schedd::accept_submission(submission, schedd::Uid(1000), 1000, now) {
                Ok(accepted) => {
                    for notice in &accepted.notices {
                        let _ = notice.len();
                    }
                }
                Err(error) => {
                    let _ = error.to_string();
                }
            }
        }
        Request::Crontab(CrontabRequest::Install { text, .. }) => {
            let _ = crontab::parse(&text, Format::User);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_and_instant_of_the_lists_is_valid() {
        for index in 0..ZONES.len() {
            let _ = zone(index);
        }
        for &now in NOWS {
            Timestamp::new(now, 500_000_000).unwrap();
        }
    }

    #[test]
    fn every_target_has_a_harness() {
        for (name, _) in TARGETS {
            assert!(harness(name).is_some());
        }
        assert!(harness("nothing").is_none());
    }
}
