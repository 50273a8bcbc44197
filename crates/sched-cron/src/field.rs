//! One of the five time fields of a cron schedule, parsed into a bitset.
//!
//! Grammar (crontab(5), as cronie reads it): a comma-separated list of
//! elements; an element is `*`, a value, or a range `a-b`, and `*` or a
//! range may carry a step `/n`. Months and days of the week also take
//! three-letter names in any case. Day-of-week 7 is Sunday like 0, and a
//! day-of-week range ending in 0 (`5-0`, `FRI-SUN`) runs up to 7.
//!
//! A random value, cronie's and OpenBSD cron's `~`: `a~b` is one value
//! from `a` to `b`, `~` alone any value of the field, `a~` and `~b` run to
//! the field's end. The value is chosen when the line is read, by a keyed
//! hash of the line (see [`crate::crontab`]) rather than a random number:
//! the same line gives the same value at every reload, so `sched next`
//! prints what will run. A step after a random value is refused.
//!
//! Deliberately rejected, where cronie is silent or lenient: reversed ranges
//! (cronie accepts `5-2` and never runs it), a step after a single value
//! (`5/15`), and numbers that do not fit (never wrapped: the class of
//! CVE-2024-43688).

use std::fmt;

use crate::error::{Found, ScheduleError, ScheduleErrorKind};

/// The largest step accepted. A step larger than a field's range is fine
/// (`*/32` in the day of month means "day 1"), as in cronie; anything that
/// needs more than this is a typo or an attack, never a schedule.
pub const MAX_STEP: u32 = 1_000_000;

/// Which of the five fields is being parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl FieldKind {
    pub const ALL: [FieldKind; 5] = [
        FieldKind::Minute,
        FieldKind::Hour,
        FieldKind::DayOfMonth,
        FieldKind::Month,
        FieldKind::DayOfWeek,
    ];

    pub fn min(self) -> u32 {
        match self {
            FieldKind::Minute | FieldKind::Hour | FieldKind::DayOfWeek => 0,
            FieldKind::DayOfMonth | FieldKind::Month => 1,
        }
    }

    pub fn max(self) -> u32 {
        match self {
            FieldKind::Minute => 59,
            FieldKind::Hour => 23,
            FieldKind::DayOfMonth => 31,
            FieldKind::Month => 12,
            FieldKind::DayOfWeek => 7,
        }
    }

    /// The names this field accepts, in value order from `min()`.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            FieldKind::Month => &MONTH_NAMES,
            FieldKind::DayOfWeek => &DAY_NAMES,
            _ => &[],
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldKind::Minute => "minute",
            FieldKind::Hour => "hour",
            FieldKind::DayOfMonth => "day-of-month",
            FieldKind::Month => "month",
            FieldKind::DayOfWeek => "day-of-week",
        })
    }
}

/// A parsed field: bit `v` is set when value `v` matches. `star` records
/// whether the field text begins with `*`, which decides the day rule and
/// whether a job is a wildcard job for the DST rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet {
    pub bits: u64,
    pub star: bool,
}

/// Parses `text`, which starts at 1-based character `column` of the input;
/// `seed` chooses the values of `~` elements.
pub fn parse_field(
    text: &str,
    kind: FieldKind,
    column: usize,
    seed: u64,
) -> Result<FieldSet, ScheduleError> {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
        kind,
        column,
        seed,
    };
    let mut bits = 0u64;
    loop {
        bits |= parser.element()?;
        match parser.peek() {
            None => break,
            Some(b',') => parser.pos += 1,
            Some(_) => return Err(parser.unexpected()),
        }
    }
    if kind == FieldKind::DayOfWeek && bits & (1 << 7) != 0 {
        bits = (bits | 1) & !(1 << 7);
    }
    Ok(FieldSet {
        bits,
        star: text.starts_with('*'),
    })
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    kind: FieldKind,
    column: usize,
    seed: u64,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn error_at(&self, pos: usize, kind: ScheduleErrorKind) -> ScheduleError {
        // Fields are ASCII when valid; count characters so a stray UTF-8
        // character still gets the column a user sees.
        let chars_before = String::from_utf8_lossy(&self.text[..pos]).chars().count();
        ScheduleError {
            column: self.column + chars_before,
            kind,
        }
    }

    fn unexpected(&self) -> ScheduleError {
        let found = match std::str::from_utf8(&self.text[self.pos..]) {
            Ok(rest) => rest.chars().next().map_or(Found::End, Found::Char),
            Err(_) => Found::Char(char::REPLACEMENT_CHARACTER),
        };
        self.error_at(
            self.pos,
            ScheduleErrorKind::Expected {
                field: self.kind,
                found,
            },
        )
    }

    /// `a~b`, `~b`, `a~` or `~` (the `~` at `tilde`, after `low` when
    /// given): one value chosen by the seed.
    fn random(&mut self, low: Option<u32>, tilde: usize) -> Result<u64, ScheduleError> {
        self.pos = tilde + 1;
        let low = low.unwrap_or(self.kind.min());
        let high = match self.peek() {
            Some(b) if b.is_ascii_alphanumeric() => self.value()?,
            _ => self.kind.max(),
        };
        if high < low {
            return Err(self.error_at(
                tilde,
                ScheduleErrorKind::Reversed {
                    field: self.kind,
                    start: low,
                    end: high,
                },
            ));
        }
        if self.peek() == Some(b'/') {
            return Err(self.error_at(
                self.pos,
                ScheduleErrorKind::StepAfterRandom { field: self.kind },
            ));
        }
        let choice = crate::random::pick(self.seed, self.kind, tilde, low, high);
        Ok(1 << choice)
    }

    /// `*[/step]`, `value`, `value-value[/step]` or a random `~`; returns
    /// its bits.
    fn element(&mut self) -> Result<u64, ScheduleError> {
        if self.peek() == Some(b'~') {
            return self.random(None, self.pos);
        }
        let (start, end, is_range) = if self.peek() == Some(b'*') {
            self.pos += 1;
            (self.kind.min(), self.kind.max(), true)
        } else {
            let start = self.value()?;
            if self.peek() == Some(b'~') {
                return self.random(Some(start), self.pos);
            }
            if self.peek() == Some(b'-') {
                self.pos += 1;
                let end_pos = self.pos;
                let mut end = self.value()?;
                if self.kind == FieldKind::DayOfWeek && end == 0 && start > 0 {
                    // cronie: a day-of-week range ending in Sunday-as-0
                    // runs to Sunday-as-7 (`FRI-SUN`).
                    end = 7;
                }
                if end < start {
                    return Err(self.error_at(
                        end_pos.saturating_sub(1),
                        ScheduleErrorKind::Reversed {
                            field: self.kind,
                            start,
                            end,
                        },
                    ));
                }
                (start, end, true)
            } else {
                (start, start, false)
            }
        };
        let mut step = 1;
        if self.peek() == Some(b'/') {
            let slash = self.pos;
            self.pos += 1;
            step = self.step()?;
            if !is_range {
                return Err(self.error_at(
                    slash,
                    ScheduleErrorKind::StepAfterValue {
                        field: self.kind,
                        value: start,
                        step: step.to_string(),
                    },
                ));
            }
        }
        let mut bits = 0u64;
        let mut value = start;
        while value <= end {
            bits |= 1 << value;
            value += step;
        }
        Ok(bits)
    }

    /// A number in range, or a name where the field has names.
    fn value(&mut self) -> Result<u32, ScheduleError> {
        let start = self.pos;
        match self.peek() {
            Some(b'0'..=b'9') => {
                let digits = self.take_while(|b| b.is_ascii_digit());
                let value = parse_digits(digits);
                match value {
                    Some(value) if (self.kind.min()..=self.kind.max()).contains(&value) => {
                        Ok(value)
                    }
                    Some(value) => Err(self.error_at(
                        start,
                        ScheduleErrorKind::OutOfRange {
                            field: self.kind,
                            value: u64::from(value),
                        },
                    )),
                    None => Err(self.error_at(
                        start,
                        ScheduleErrorKind::TooLarge {
                            field: self.kind,
                            digits: String::from_utf8_lossy(digits).into_owned(),
                        },
                    )),
                }
            }
            Some(b) if b.is_ascii_alphabetic() => {
                let word = self.take_while(|b| b.is_ascii_alphanumeric());
                let word = String::from_utf8_lossy(word).into_owned();
                let names = self.kind.names();
                if names.is_empty() {
                    return Err(self.error_at(
                        start,
                        ScheduleErrorKind::NameNotAllowed {
                            field: self.kind,
                            name: word,
                        },
                    ));
                }
                match names.iter().position(|n| n.eq_ignore_ascii_case(&word)) {
                    Some(index) => Ok(self.kind.min() + index as u32),
                    None => Err(self.error_at(
                        start,
                        ScheduleErrorKind::UnknownName {
                            field: self.kind,
                            name: word,
                        },
                    )),
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    fn step(&mut self) -> Result<u32, ScheduleError> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.unexpected());
        }
        let digits = self.take_while(|b| b.is_ascii_digit());
        match parse_digits(digits) {
            Some(0) => Err(self.error_at(start, ScheduleErrorKind::StepZero { field: self.kind })),
            Some(step) if step <= MAX_STEP => Ok(step),
            _ => Err(self.error_at(
                start,
                ScheduleErrorKind::StepTooLarge {
                    field: self.kind,
                    digits: String::from_utf8_lossy(digits).into_owned(),
                },
            )),
        }
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        let text = self.text;
        &text[start..self.pos]
    }
}

/// Decimal digits to a number; `None` when it does not fit in a u32.
fn parse_digits(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}
