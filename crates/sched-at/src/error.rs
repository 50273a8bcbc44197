//! Errors of time specifications, with the column they point at.

/// An invalid or unusable time specification. `column` is 1-based and
/// counts characters of the specification (the `-t` value for
/// [`crate::resolve_posix`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct TimespecError {
    pub column: usize,
    pub kind: TimespecErrorKind,
}

impl TimespecError {
    pub(crate) fn new(column: usize, kind: TimespecErrorKind) -> Self {
        Self { column, kind }
    }

    /// True when the error is about the instant the specification names
    /// (past, outside the years jiff can represent, or skipped by a DST
    /// change), not about a place in its text.
    pub fn is_about_the_result(&self) -> bool {
        matches!(
            self.kind,
            TimespecErrorKind::Past { .. }
                | TimespecErrorKind::OutOfRange
                | TimespecErrorKind::Skipped { .. }
        )
    }
}

/// What is wrong with a time specification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimespecErrorKind {
    /// The grammar wanted something else here.
    #[error("expected {expected}, found {found}")]
    Expected {
        expected: &'static str,
        found: String,
    },
    #[error(
        "found the time {found} after the date: at(1) wants the time of day first (10am tomorrow, noon Jul 31)"
    )]
    TimeAfterDate { found: String },
    #[error("hour {0} is out of range 0-24")]
    Hour(u32),
    #[error("minute {0} is out of range 0-60")]
    Minute(u32),
    #[error("hour {hour} is too large for {meridiem}: expected 0-12")]
    Meridiem { hour: u32, meridiem: &'static str },
    #[error("day {0} is out of range 1-31")]
    Day(u32),
    #[error("month {0} is out of range 1-12")]
    Month(u32),
    #[error("{year:04}-{month:02}-{day:02} does not exist: that month has {days} days")]
    NoSuchDay {
        year: i32,
        month: u32,
        day: u32,
        days: u32,
    },
    #[error("count {0} is too large: at most 2147483647")]
    Count(String),
    #[error("{resolved} is in the past (now is {now})")]
    Past {
        resolved: jiff::ZonedDateTime,
        now: jiff::ZonedDateTime,
    },
    #[error("the time is outside the years -9999 to 9999")]
    OutOfRange,
    #[error("the time specification is {len} characters long: at most {max}", max = crate::parser::MAX_LEN)]
    TooLong { len: usize },
    /// A `-t` value of the wrong shape.
    #[error(
        "expected [[CC]YY]MMDDhhmm[.ss]: 8, 10 or 12 digits, then optionally '.' and 2 digits of seconds"
    )]
    PosixShape,
    #[error("{field} {value} is out of range {range}")]
    PosixField {
        field: &'static str,
        value: u32,
        range: &'static str,
    },
    #[error("{wall} does not exist in {zone}: the clock skips it (daylight saving time)")]
    Skipped { wall: String, zone: String },
}
