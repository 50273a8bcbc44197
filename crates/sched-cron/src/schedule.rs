//! A parsed cron schedule: five fields or a macro, with the flags that
//! cron(8)'s day rule and DST rules depend on.
//!
//! Parsing checks everything that can be known without a clock: values,
//! ranges, steps, names, and whether the schedule can ever fire at all.

use std::num::NonZeroU16;
use std::str::FromStr;

use crate::error::{ScheduleError, ScheduleErrorKind};
use crate::field::{FieldKind, FieldSet, parse_field};

/// A cron schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    Periodic(Spec),
    /// `@reboot`: once when the system boots, never at a clock time.
    Reboot,
}

/// The matching sets of a periodic schedule, as bitsets, in 20 bytes
/// aligned to 4: a daemon holds one per crontab line, and at this size its
/// planner slot is 32 bytes. `months` is never zero (a field has at least
/// one value), which leaves room for [`Kind::Reboot`] in the same 20 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Spec {
    /// Bits 0–59, low half first ([`Spec::minutes`]).
    minute_halves: [u32; 2],
    /// Bits 0–23.
    pub hours: u32,
    /// Bits 1–31.
    pub days_of_month: u32,
    /// Bits 1–12.
    months: NonZeroU16,
    /// Bits 0–6, Sunday first. Kept as the field's 7 bits rather than as a
    /// table of day masks per month shape: the mask costs one
    /// multiplication to rebuild ([`Spec::weekday_days`]).
    pub days_of_week: u8,
    /// [`MATCH_BOTH`] and [`FIXED_TIME`].
    flags: u8,
}

/// Vixie cron's day rule: when the day-of-month or the day-of-week field
/// begins with `*`, a day must match both; otherwise either.
const MATCH_BOTH: u8 = 1;
/// Neither the minute nor the hour field begins with `*` (and not
/// `@hourly`): cron(8) runs such a job once for skipped and repeated DST
/// wall times. Every other job is a wildcard job.
const FIXED_TIME: u8 = 2;

impl Spec {
    pub fn minutes(&self) -> u64 {
        u64::from(self.minute_halves[0]) | u64::from(self.minute_halves[1]) << 32
    }

    pub fn months(&self) -> u16 {
        self.months.get()
    }

    pub fn days_must_match_both(&self) -> bool {
        self.flags & MATCH_BOTH != 0
    }

    pub fn fixed_time(&self) -> bool {
        self.flags & FIXED_TIME != 0
    }
}

impl Spec {
    /// For a month whose first day is weekday `first` (0 = Sunday), the
    /// days (bits 1–31) that fall on a weekday of the day-of-week field.
    pub fn weekday_days(&self, first: u32) -> u32 {
        // Bit k of `repeated` is set when weekday k % 7 is selected (the
        // 7-bit pattern copied six times); day d of a month starting on
        // weekday `first` falls on weekday (first + d - 1) % 7.
        let repeated = u64::from(self.days_of_week) * 0x0008_1020_4081;
        (((repeated >> first) << 1) & 0xffff_fffe) as u32
    }
}

/// A token of the input: its text and the 1-based column where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub text: &'a str,
    pub column: usize,
}

/// Splits on spaces and tabs (crontab(5)'s field separators), keeping
/// columns.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = Token<'_>> {
    let mut column = 1;
    let mut rest = text;
    std::iter::from_fn(move || {
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        column += skipped; // spaces and tabs are one byte and one char
        rest = &rest[skipped..];
        if rest.is_empty() {
            return None;
        }
        let len = rest.find([' ', '\t']).unwrap_or(rest.len());
        let token_text = &rest[..len];
        let token = Token {
            text: token_text,
            column,
        };
        // Valid fields are ASCII: counting characters is for the rare
        // token that is not.
        column += if token_text.is_ascii() {
            len
        } else {
            token_text.chars().count()
        };
        rest = &rest[len..];
        Some(token)
    })
}

impl Schedule {
    /// `@reboot`.
    pub const REBOOT: Schedule = Schedule { kind: Kind::Reboot };

    /// Parses a five-field expression or a macro such as `@daily`.
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        let mut found = [Token {
            text: "",
            column: 1,
        }; 6];
        let mut count = 0;
        for token in tokens(expression) {
            if count < found.len() {
                found[count] = token;
            }
            count += 1;
        }
        if count >= 1 && found[0].text.starts_with('@') {
            let schedule = Schedule::from_macro(found[0])?;
            if count == 1 {
                return Ok(schedule);
            }
            return Err(ScheduleError {
                column: found[1].column,
                kind: ScheduleErrorKind::AfterMacro {
                    name: found[0].text.to_string(),
                    found: found[1].text.to_string(),
                },
            });
        }
        if count != 5 {
            let column = match count {
                0 => 1,
                1..=4 => expression.chars().count() + 1,
                _ => found[5].column,
            };
            return Err(ScheduleError {
                column,
                kind: ScheduleErrorKind::FieldCount { found: count },
            });
        }
        // A `~` value is chosen from the expression itself.
        let seed = crate::random::SeedSource {
            salt: 0,
            text: expression,
        };
        Schedule::from_fields([found[0], found[1], found[2], found[3], found[4]], seed)
    }

    /// `@reboot` and friends. Names are lower case, as cronie requires.
    pub(crate) fn from_macro(token: Token<'_>) -> Result<Schedule, ScheduleError> {
        let fields = match token.text {
            "@reboot" => return Ok(Schedule { kind: Kind::Reboot }),
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => {
                return Err(ScheduleError {
                    column: token.column,
                    kind: ScheduleErrorKind::UnknownMacro(other.to_string()),
                });
            }
        };
        let spec = Schedule::parse(fields)
            .map(|s| match s.kind {
                Kind::Periodic(spec) => spec,
                Kind::Reboot => unreachable!("macro expansions are periodic"),
            })
            .expect("macro expansions are valid schedules");
        Ok(Schedule {
            kind: Kind::Periodic(spec),
        })
    }

    /// Five field tokens, in order; `seed` chooses the values of `~`.
    pub(crate) fn from_fields(
        fields: [Token<'_>; 5],
        seed: crate::random::SeedSource<'_>,
    ) -> Result<Schedule, ScheduleError> {
        let mut sets = [FieldSet {
            bits: 0,
            star: false,
        }; 5];
        for ((set, token), kind) in sets.iter_mut().zip(fields).zip(FieldKind::ALL) {
            *set = parse_field(token.text, kind, token.column, seed)?;
        }
        let [minute, hour, dom, month, dow] = sets;
        // The masks keep the casts lossless: each field only sets bits
        // inside its range.
        let days_of_week = (dow.bits & 0x7f) as u8;
        let minutes = minute.bits & ((1 << 60) - 1);
        // A field has at least one value, so some month bit is set.
        let Some(months) = NonZeroU16::new((month.bits & 0x1ffe) as u16) else {
            return Err(ScheduleError {
                column: fields[3].column,
                kind: ScheduleErrorKind::NeverFires("no month selected".to_string()),
            });
        };
        let spec = Spec {
            minute_halves: [minutes as u32, (minutes >> 32) as u32],
            hours: (hour.bits & 0xff_ffff) as u32,
            days_of_month: (dom.bits & 0xffff_fffe) as u32,
            months,
            days_of_week,
            flags: (u8::from(dom.star || dow.star) * MATCH_BOTH)
                | (u8::from(!minute.star && !hour.star) * FIXED_TIME),
        };
        if let Some(reason) = spec.never_fires() {
            return Err(ScheduleError {
                column: fields[2].column,
                kind: ScheduleErrorKind::NeverFires(reason),
            });
        }
        Ok(Schedule {
            kind: Kind::Periodic(spec),
        })
    }

    /// Checks the first fields of an incomplete line, so the error a user
    /// sees is about the field they got wrong rather than the count.
    pub(crate) fn check_partial(fields: &[Token<'_>]) -> Result<(), ScheduleError> {
        for (token, kind) in fields.iter().zip(FieldKind::ALL) {
            let seed = crate::random::SeedSource { salt: 0, text: "" };
            parse_field(token.text, kind, token.column, seed)?;
        }
        Ok(())
    }

    /// True for `@reboot`, which runs at boot and has no clock times.
    pub fn is_reboot(&self) -> bool {
        matches!(self.kind, Kind::Reboot)
    }

    /// True when the minute or hour field begins with `*` (or `@hourly`):
    /// such a job follows the wall clock through DST changes, skipping
    /// wall times that do not exist and running twice in a repeated hour.
    pub fn is_wildcard(&self) -> bool {
        match &self.kind {
            Kind::Periodic(spec) => !spec.fixed_time(),
            Kind::Reboot => false,
        }
    }

    pub(crate) fn spec(&self) -> Option<&Spec> {
        match &self.kind {
            Kind::Periodic(spec) => Some(spec),
            Kind::Reboot => None,
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Schedule, ScheduleError> {
        Schedule::parse(s)
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Spec {
    /// Why no instant can ever match, if that is so. With the "either"
    /// day rule a listed weekday always comes round; with the "both" rule
    /// every weekday eventually falls on every valid date (also on Feb 29
    /// across the 400-year cycle), so only a day of the month that no
    /// selected month has can make the schedule empty.
    fn never_fires(&self) -> Option<String> {
        if !self.days_must_match_both() {
            return None;
        }
        let longest = |month: u32| match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let possible = (1..=12u32).any(|m| {
            self.months() & (1 << m) != 0
                && u64::from(self.days_of_month) & ((1u64 << (longest(m) + 1)) - 2) != 0
        });
        if possible {
            return None;
        }
        let selected: Vec<u32> = (1..=12).filter(|m| self.months() & (1 << m) != 0).collect();
        let days: Vec<String> = (1..=31)
            .filter(|d| self.days_of_month & (1 << d) != 0)
            .map(|d| d.to_string())
            .collect();
        let months: Vec<&str> = selected
            .iter()
            .map(|&m| MONTH_NAMES[m as usize - 1])
            .collect();
        let (months, verb) = match months.as_slice() {
            [one] => (one.to_string(), "has"),
            [init @ .., last] => (format!("{} and {last}", init.join(", ")), "have"),
            [] => unreachable!("a parsed month field selects at least one month"),
        };
        let days = match days.as_slice() {
            [one] => format!("day {one}"),
            many => format!("days {}", many.join(",")),
        };
        Some(format!("{months} {verb} no {days}"))
    }
}
