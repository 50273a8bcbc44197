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
pub(crate) fn parse_field(
    text: &str,
    kind: FieldKind,
    column: usize,
    seed: crate::random::SeedSource<'_>,
) -> Result<FieldSet, ScheduleError> {
    let mut bits = 0u64;
    let plain_number = match text.as_bytes() {
        [d @ b'0'..=b'9'] => Some(u32::from(d - b'0')),
        [t @ b'0'..=b'9', d @ b'0'..=b'9'] => Some(u32::from(t - b'0') * 10 + u32::from(d - b'0')),
        _ => None,
    };
    if text == "*" {
        // Most fields of everyday lines are `*` or one number: those skip
        // the element parser (a third of the parse time).
        bits = range_bits(kind.min(), kind.max());
    } else if let Some(value) = plain_number.filter(|v| (kind.min()..=kind.max()).contains(v)) {
        bits = 1 << value;
    } else {
        let mut parser = Parser {
            text: text.as_bytes(),
            pos: 0,
            kind,
            column,
            seed,
        };
        loop {
            bits |= parser.element()?;
            match parser.peek() {
                None => break,
                Some(b',') => parser.pos += 1,
                Some(_) => return Err(parser.unexpected()),
            }
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
    seed: crate::random::SeedSource<'a>,
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
        let choice = crate::random::pick(self.seed.seed(), self.kind, tilde, low, high);
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
        if step == 1 {
            return Ok(range_bits(start, end));
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
                let names = self.kind.names();
                // Compared as bytes: the word is copied only for an error.
                let found = names
                    .iter()
                    .position(|n| n.as_bytes().eq_ignore_ascii_case(word));
                match found {
                    Some(index) => Ok(self.kind.min() + index as u32),
                    None => {
                        let name = String::from_utf8_lossy(word).into_owned();
                        let field = self.kind;
                        Err(self.error_at(
                            start,
                            if names.is_empty() {
                                ScheduleErrorKind::NameNotAllowed { field, name }
                            } else {
                                ScheduleErrorKind::UnknownName { field, name }
                            },
                        ))
                    }
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

/// The bits of every value from `start` to `end` (both at most 59): one
/// mask rather than a loop over the values.
fn range_bits(start: u32, end: u32) -> u64 {
    (u64::MAX >> (63 - end)) & (u64::MAX << start)
}

/// Decimal digits to a number; `None` when it does not fit in a u32.
fn parse_digits(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_TILDE: crate::random::SeedSource<'static> =
        crate::random::SeedSource { salt: 0, text: "" };

    /// The fast paths (`*`, one or two digits) give what the element
    /// parser gives for the same values spelled so that it must run.
    #[test]
    fn star_and_plain_numbers_parse_as_the_element_parser_reads_them() {
        for kind in FieldKind::ALL {
            let star = parse_field("*", kind, 1, NO_TILDE).unwrap();
            let spelled = format!("{}-{}", kind.min(), kind.max());
            let mut general = parse_field(&spelled, kind, 1, NO_TILDE).unwrap();
            general.star = true;
            assert_eq!(star, general, "{kind:?}");
            let numbers = (0..10)
                .map(|v| format!("{v}"))
                .chain((0..100).map(|v| format!("{v:02}")));
            for text in numbers {
                let fast = parse_field(&text, kind, 7, NO_TILDE);
                let slow = parse_field(&format!("{text},{text}"), kind, 7, NO_TILDE);
                match (fast, slow) {
                    (Ok(fast), Ok(slow)) => assert_eq!(fast, slow, "{kind:?} {text}"),
                    (Err(fast), Err(slow)) => {
                        assert_eq!(fast.column, 7, "{kind:?} {text}");
                        assert_eq!(fast.column, slow.column, "{kind:?} {text}");
                        assert_eq!(fast.to_string(), slow.to_string(), "{kind:?} {text}");
                    }
                    (fast, slow) => panic!("{kind:?} {text}: {fast:?} against {slow:?}"),
                }
            }
        }
    }
}
