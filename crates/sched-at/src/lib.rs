//! at(1) time specifications, resolved to the instant Debian's at (3.2)
//! would run the job at.
//!
//! - [`resolve`] reads the free form: `now + 5 min`, `teatime tomorrow`,
//!   `noon Jul 31`, `4pm + 3 days`, `2027-07-31`, `next week`, …
//! - [`resolve_posix`] reads `at -t [[CC]YY]MMDDhhmm[.ss]`.
//!
//! The crate never reads the clock: `now` and the zone are parameters, so
//! `sched when`, the daemon and the tests agree. at works in whole minutes:
//! the seconds of `now` are dropped, and the result is never before that
//! minute.
//!
//! The scanner and grammar are at's own (`lexer.rs`, `parser.rs`), so the
//! same spellings are accepted and refused. Where at has a quirk it keeps
//! on purpose, so do we:
//! - a time of day not later than now means tomorrow (`10:00` at 10:00);
//! - naming today's weekday means a week from today;
//! - a day past the end of its month rolls over (`Feb 30` is March 1 or
//!   2; `Jan 31 + 1 month` is March 2 or 3), reported as a [`Notice`];
//! - `24:00` is the next midnight and `hh:60` the next hour;
//! - a date without a year that is already past means next year, but an
//!   explicit `today` with a past time is refused as past.
//!
//! Where at's behaviour is a bug, we do what it means:
//! - `+ N minutes|hours` is elapsed time, even across a DST change (at adds
//!   or removes an hour when the change is crossed, so `now + 1 hour` can
//!   be now); `+ N days|weeks|months|years`, `tomorrow` and weekdays keep
//!   the wall-clock time exactly;
//! - `HH:MM utc` is that UTC time on the local date, as in at, but whether
//!   it is past is decided by comparing instants (at compares the UTC time
//!   of day with the local one, so it can schedule a day late, or refuse a
//!   time as past and fail);
//! - a wall time shown twice (DST fold) means its first pass, or the
//!   second if only the first is past (at leaves it to glibc's `mktime`,
//!   whose choice depends on the zone's offset from UTC). The "not later
//!   than now means tomorrow" test on the time of day comes first, as in
//!   at: `02:05` at 02:10 in the first pass is tomorrow's;
//! - 4-digit years are taken as written (at reads 0000-1900 as offsets
//!   from 1900 or 2000), and a day of 0 in `MMDDYY` is refused;
//! - a count above 2147483647 is refused (at's `sscanf` wraps it).
//!
//! ```
//! use jiff::{Timestamp, tz::TimeZone};
//!
//! let berlin = TimeZone::get("Europe/Berlin")?;
//! let now: Timestamp = "2026-11-25T19:02:37+01:00".parse()?;
//! let run = sched_at::resolve("teatime tomorrow", now, &berlin)?;
//! assert_eq!(run.instant, "2026-11-26T16:00:00+01:00".parse::<Timestamp>()?);
//! let run = sched_at::resolve("now + 5 min", now, &berlin)?;
//! assert_eq!(run.instant, "2026-11-25T19:07:00+01:00".parse::<Timestamp>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod calendar;
mod error;
mod lexer;
mod parser;
mod posix;
mod resolve;

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub use error::{TimespecError, TimespecErrorKind};

/// A unit of `+ N unit` and `next unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// The instant a specification names, and what was adjusted on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub instant: Timestamp,
    pub notices: Vec<Notice>,
}

/// Something a user may not expect, though at does the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The date as written does not exist; at rolls the extra days over
    /// into the next month.
    RolledOver {
        year: i32,
        month: u32,
        day: u32,
        /// `YYYY-MM-DD` it became.
        became: String,
    },
    /// The wall time is skipped by a DST change; it moves forward by the
    /// length of the jump.
    Skipped {
        /// `YYYY-MM-DD HH:MM`
        wall: String,
        zone: String,
        became: jiff::ZonedDateTime,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::RolledOver {
                year,
                month,
                day,
                became,
            } => write!(
                f,
                "{year:04}-{month:02}-{day:02} does not exist; as in at(1), it rolls over to {became}"
            ),
            Notice::Skipped { wall, zone, became } => write!(
                f,
                "{wall} does not exist in {zone} (the clock jumps forward); it is taken as {became}"
            ),
        }
    }
}

/// Resolves an at(1) time specification against `now` in `zone`.
///
/// Several command-line words are one specification joined by spaces, as
/// at joins them.
pub fn resolve(spec: &str, now: Timestamp, zone: &TimeZone) -> Result<Resolution, TimespecError> {
    let parsed = parser::parse(spec)?;
    resolve::resolve(&parsed, now, zone)
}

/// Checks the grammar of a time specification without resolving it (no
/// clock, no zone): whether `spec` reads as a time at all. `sched at` uses
/// it to tell which of its words are the time and which the command.
pub fn check(spec: &str) -> Result<(), TimespecError> {
    parser::parse(spec).map(drop)
}

/// Whether `word` begins like part of a time specification: a keyword
/// (`now`, `noon`, `tomorrow`, `next`, `utc`, a month or weekday name, a
/// unit), a number, a date, or `+`, `-`, `/`, `,`. `sched at` never takes
/// such a word as the start of a command: `now + 1 huor` must not run
/// `+ 1 huor` now.
pub fn is_time_word(word: &str) -> bool {
    match lexer::tokens(word).first().map(|token| token.kind) {
        None | Some(lexer::TokenKind::End) => false,
        Some(lexer::TokenKind::Char(c)) => matches!(c, '+' | '-' | '/' | ','),
        Some(_) => true,
    }
}

/// Resolves the value of `at -t`: `[[CC]YY]MMDDhhmm[.ss]` in `zone`.
pub fn resolve_posix(
    value: &str,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Resolution, TimespecError> {
    posix::resolve(value, now, zone)
}
