//! at(1)'s grammar (Debian at 3.2, `parsetime.y`) as a recursive descent
//! over the scanner's tokens, producing a [`Spec`] whose numbers are
//! already range-checked.
//!
//! ```text
//! timespec  = base [ ("+" | "-") count unit ]
//! base      = "now" | time [ date ] | date
//! time      = ( HHMM | H[H]:MM [am|pm] | H[H] (am|pm) | noon | midnight | teatime ) [ utc ]
//! date      = month-name D[D] [ [","] year ] | D[D] month-name [ year ]
//!           | M[M]/D[D]/year | [M]MDDYY[YY] | YY[YY]-M[M]-D[D] | D[D].M[M].YY[YY]
//!           | weekday | today | tomorrow | "next" (unit | weekday)
//! ```
//!
//! Notably absent, because at rejects them too: a date before the time
//! (`tomorrow 10am`), more than one `+`, `mins`, `sec`, a bare hour (`9`).

use crate::Unit;
use crate::calendar::days_in_month;
use crate::error::{TimespecError, TimespecErrorKind as ErrorKind};
use crate::lexer::{self, Token, TokenKind};

/// A parsed specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub base: Base,
    pub shift: Option<Shift>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    Now,
    Time(TimeOfDay),
    TimeDate(TimeOfDay, Date),
    Date(Date),
}

/// A time of day as written: hour 0-24 and minute 0-60 (at reads 24:00 as
/// the next midnight and hh:60 as the next hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    pub hour: u32,
    pub minute: u32,
    /// Followed by `utc`: the specification is read in UTC.
    pub utc: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Date {
    /// A month and day, with the year if one was written. Day 1-31 for any
    /// month: at rolls a day past the month's end over (`Feb 30`).
    Calendar {
        year: Option<i32>,
        month: u32,
        day: u32,
    },
    /// A weekday name (0 = Sunday), with or without `next`.
    Weekday(u32),
    Today,
    Tomorrow,
    /// `next minute|hour|day|week|month|year`.
    Next(Unit),
}

/// `+ N unit` or `- N unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    pub count: i64,
    pub unit: Unit,
}

const EXPECTED_BASE: &str = "a time (16:00, 4pm, noon, midnight, teatime), \
     a date (today, tomorrow, friday, Jul 31, 2027-07-31) or now";
const EXPECTED_UNIT: &str = "minutes, hours, days, weeks, months or years";

/// The longest specification read: at's own are a few words, and the
/// daemon reads specifications from any user.
pub const MAX_LEN: usize = 1000;

/// How much of an unexpected word an error message quotes.
const QUOTED_LEN: usize = 40;

pub fn parse(spec: &str) -> Result<Spec, TimespecError> {
    let len = spec.chars().count();
    if len > MAX_LEN {
        return Err(TimespecError::new(MAX_LEN + 1, ErrorKind::TooLong { len }));
    }
    let tokens = lexer::tokens(spec);
    let mut parser = Parser {
        spec,
        tokens,
        at: 0,
    };
    parser.timespec()
}

struct Parser<'a> {
    spec: &'a str,
    tokens: Vec<Token<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Token<'a> {
        self.tokens[self.at]
    }

    fn peek_second(&self) -> TokenKind {
        self.tokens
            .get(self.at + 1)
            .map_or(TokenKind::End, |token| token.kind)
    }

    fn bump(&mut self) -> Token<'a> {
        let token = self.peek();
        if token.kind != TokenKind::End {
            self.at += 1;
        }
        token
    }

    fn expected(&self, expected: &'static str) -> TimespecError {
        let token = self.peek();
        TimespecError::new(
            token.column,
            ErrorKind::Expected {
                expected,
                found: self.found(&token),
            },
        )
    }

    /// How an error names `token`: quoted, a stray letter with the rest of
    /// its word (`"yesterday"`, not `"y"`), cut short if long.
    fn found(&self, token: &Token) -> String {
        let text = match token.kind {
            TokenKind::End => return "the end".to_owned(),
            TokenKind::Char(c) if c.is_alphabetic() => {
                let rest = &self.spec[token.start..];
                &rest[..rest
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(rest.len())]
            }
            _ => token.text,
        };
        match text.char_indices().nth(QUOTED_LEN) {
            Some((cut, _)) => format!("{:?}…", &text[..cut]),
            None => format!("{text:?}"),
        }
    }

    fn timespec(&mut self) -> Result<Spec, TimespecError> {
        let base = match self.peek().kind {
            TokenKind::Now => {
                self.bump();
                Base::Now
            }
            _ if self.at_time() => {
                let time = self.time()?;
                if self.at_date() {
                    Base::TimeDate(time, self.date()?)
                } else {
                    Base::Time(time)
                }
            }
            _ if self.at_date() => Base::Date(self.date()?),
            TokenKind::Int1 | TokenKind::Int2 => {
                self.bump();
                return Err(self.expected("am, pm, a month name or '/' after the number"));
            }
            TokenKind::Int if self.peek().text.len() == 3 => {
                return Err(self.expected("a time of 4 digits (HHMM: 0930 for 9:30)"));
            }
            _ => return Err(self.expected(EXPECTED_BASE)),
        };
        let shift = match self.peek().kind {
            TokenKind::Char('+' | '-') => Some(self.shift()?),
            _ => None,
        };
        if self.peek().kind != TokenKind::End {
            return Err(self.expected(match (&base, shift) {
                (_, Some(_)) if matches!(self.peek().kind, TokenKind::Char('+' | '-')) => {
                    "the end: at(1) allows one '+ N unit' or '- N unit'"
                }
                (_, Some(_)) => "the end",
                (Base::Time(_), None) => "a date, '+ N unit', '- N unit' or the end",
                (Base::Date(_), None) if self.at_time() => {
                    let token = self.peek();
                    return Err(TimespecError::new(
                        token.column,
                        ErrorKind::TimeAfterDate {
                            found: self.found(&token),
                        },
                    ));
                }
                (Base::Date(_), None)
                    if matches!(self.peek().kind, TokenKind::Am | TokenKind::Pm) =>
                {
                    // `Jul 31 10am`: the 10 was read as the year 2010.
                    let year = self.tokens[self.at - 1];
                    let meridiem = self.peek();
                    let end = meridiem.start + meridiem.text.len();
                    return Err(TimespecError::new(
                        year.column,
                        ErrorKind::TimeAfterDate {
                            found: format!("{:?}", &self.spec[year.start..end]),
                        },
                    ));
                }
                _ => "'+ N unit', '- N unit' or the end",
            }));
        }
        Ok(Spec { base, shift })
    }

    fn at_time(&self) -> bool {
        match self.peek().kind {
            TokenKind::Int4
            | TokenKind::HourMin
            | TokenKind::Noon
            | TokenKind::Midnight
            | TokenKind::Teatime => true,
            TokenKind::Int1 | TokenKind::Int2 => {
                matches!(self.peek_second(), TokenKind::Am | TokenKind::Pm)
            }
            _ => false,
        }
    }

    fn at_date(&self) -> bool {
        match self.peek().kind {
            TokenKind::Month(_)
            | TokenKind::Weekday(_)
            | TokenKind::Today
            | TokenKind::Tomorrow
            | TokenKind::Next
            | TokenKind::HyphenDate
            | TokenKind::DottedDate
            | TokenKind::Int5To8 => true,
            TokenKind::Int1 | TokenKind::Int2 => {
                matches!(
                    self.peek_second(),
                    TokenKind::Month(_) | TokenKind::Char('/')
                )
            }
            _ => false,
        }
    }

    fn time(&mut self) -> Result<TimeOfDay, TimespecError> {
        let token = self.bump();
        let (hour, minute) = match token.kind {
            TokenKind::Int4 => hour_minute(&token, 2, 2)?,
            TokenKind::HourMin => {
                let hour_len = token.text.len() - 3;
                let (hour, minute) = hour_minute(&token, hour_len, hour_len + 1)?;
                (self.meridiem(&token, hour)?.unwrap_or(hour), minute)
            }
            TokenKind::Int1 | TokenKind::Int2 => {
                let hour = number(token.text);
                if hour > 24 {
                    return Err(TimespecError::new(token.column, ErrorKind::Hour(hour)));
                }
                let hour = self.meridiem(&token, hour)?.unwrap_or(hour);
                (hour, 0)
            }
            TokenKind::Noon => (12, 0),
            TokenKind::Midnight => (0, 0),
            TokenKind::Teatime => (16, 0),
            _ => {
                self.at -= 1;
                return Err(self.expected(EXPECTED_BASE));
            }
        };
        let utc = self.peek().kind == TokenKind::Utc;
        if utc {
            self.bump();
        }
        Ok(TimeOfDay { hour, minute, utc })
    }

    /// An `am` or `pm` after `hour`, if there is one: 12am is 0, 1pm-11pm
    /// add 12, an hour above 12 is an error.
    fn meridiem(&mut self, hour_token: &Token, hour: u32) -> Result<Option<u32>, TimespecError> {
        let meridiem = match self.peek().kind {
            TokenKind::Am => "am",
            TokenKind::Pm => "pm",
            _ => return Ok(None),
        };
        self.bump();
        if hour > 12 {
            return Err(TimespecError::new(
                hour_token.column,
                ErrorKind::Meridiem { hour, meridiem },
            ));
        }
        Ok(Some(match (meridiem, hour) {
            ("am", 12) => 0,
            ("pm", h) if h < 12 => h + 12,
            (_, h) => h,
        }))
    }

    fn date(&mut self) -> Result<Date, TimespecError> {
        let token = self.bump();
        match token.kind {
            TokenKind::Month(month) => {
                let day = self.day_number()?;
                let year = match self.peek().kind {
                    TokenKind::Int2 | TokenKind::Int4 => Some(self.year_number()?),
                    TokenKind::Char(',') => {
                        self.bump();
                        Some(self.year_number()?)
                    }
                    _ => None,
                };
                Ok(Date::Calendar {
                    year,
                    month: month.into(),
                    day,
                })
            }
            TokenKind::Weekday(day) => Ok(Date::Weekday(day.into())),
            TokenKind::Today => Ok(Date::Today),
            TokenKind::Tomorrow => Ok(Date::Tomorrow),
            TokenKind::Next => {
                let date = match self.peek().kind {
                    TokenKind::Unit(unit) => Date::Next(unit),
                    TokenKind::Weekday(day) => Date::Weekday(day.into()),
                    _ => {
                        return Err(self.expected(
                            "a unit (minute, hour, day, week, month, year) or a weekday after 'next'",
                        ));
                    }
                };
                self.bump();
                Ok(date)
            }
            TokenKind::HyphenDate => {
                let [year, month, day] = parts(&token, '-');
                exact_date(year, month, day)
            }
            TokenKind::DottedDate => {
                let [day, month, year] = parts(&token, '.');
                exact_date(year, month, day)
            }
            TokenKind::Int5To8 => concatenated_date(&token),
            TokenKind::Int1 | TokenKind::Int2 => {
                let first = number(token.text);
                if let TokenKind::Month(month) = self.peek().kind {
                    check_day(token.column, first)?;
                    self.bump();
                    let year = match self.peek().kind {
                        TokenKind::Int2 | TokenKind::Int4 => Some(self.year_number()?),
                        _ => None,
                    };
                    return Ok(Date::Calendar {
                        year,
                        month: month.into(),
                        day: first,
                    });
                }
                if self.peek().kind != TokenKind::Char('/') {
                    return Err(self.expected("a month name or '/' after the day"));
                }
                check_month(token.column, first)?;
                self.bump();
                let day = self.day_number()?;
                if self.peek().kind != TokenKind::Char('/') {
                    return Err(self.expected("'/' and a year (MM/DD/YY or MM/DD/YYYY)"));
                }
                self.bump();
                let year = self.year_number()?;
                Ok(Date::Calendar {
                    year: Some(year),
                    month: first,
                    day,
                })
            }
            _ => Err(TimespecError::new(
                token.column,
                ErrorKind::Expected {
                    expected: EXPECTED_BASE,
                    found: format!("{:?}", token.text),
                },
            )),
        }
    }

    fn day_number(&mut self) -> Result<u32, TimespecError> {
        match self.peek().kind {
            TokenKind::Int1 | TokenKind::Int2 => {
                let token = self.bump();
                let day = number(token.text);
                check_day(token.column, day)?;
                Ok(day)
            }
            _ => Err(self.expected("a day of the month (1-31)")),
        }
    }

    fn year_number(&mut self) -> Result<i32, TimespecError> {
        match self.peek().kind {
            TokenKind::Int2 | TokenKind::Int4 => Ok(year(self.bump().text)),
            _ => Err(self.expected("a year of 2 or 4 digits")),
        }
    }

    fn shift(&mut self) -> Result<Shift, TimespecError> {
        let sign = if self.bump().text == "-" { -1 } else { 1 };
        let token = self.peek();
        let count = match token.kind {
            TokenKind::Int1
            | TokenKind::Int2
            | TokenKind::Int4
            | TokenKind::Int5To8
            | TokenKind::Int => {
                self.bump();
                token.text.parse::<i32>().map_err(|_| {
                    TimespecError::new(token.column, ErrorKind::Count(token.text.into()))
                })?
            }
            _ => return Err(self.expected("a number after '+' or '-'")),
        };
        match self.peek().kind {
            TokenKind::Unit(unit) => {
                self.bump();
                Ok(Shift {
                    count: sign * i64::from(count),
                    unit,
                })
            }
            _ => Err(self.expected(EXPECTED_UNIT)),
        }
    }
}

/// Digits the scanner has already checked, as a number.
fn number(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0, |n, digit| n * 10 + u32::from(digit - b'0'))
}

/// at's years: 2 digits are 2000-2069 below 70 and 1970-1999 from 70
/// (POSIX); 4 digits are the year as written.
fn year(digits: &str) -> i32 {
    full_year(number(digits), digits.len())
}

fn full_year(value: u32, digits: usize) -> i32 {
    // At most 4 digits: the cast cannot wrap.
    let value = value as i32;
    match (digits, value) {
        (2, 0..=69) => 2000 + value,
        (2, _) => 1900 + value,
        _ => value,
    }
}

/// Hour and minute of `HHMM` or `H[H]<sep>MM`, checked as at checks them
/// (minute first, 0-60; hour 0-24).
fn hour_minute(
    token: &Token,
    hour_len: usize,
    minute_at: usize,
) -> Result<(u32, u32), TimespecError> {
    let hour = number(&token.text[..hour_len]);
    let minute = number(&token.text[minute_at..minute_at + 2]);
    if minute > 60 {
        return Err(TimespecError::new(
            token.column + minute_at,
            ErrorKind::Minute(minute),
        ));
    }
    if hour > 24 {
        return Err(TimespecError::new(token.column, ErrorKind::Hour(hour)));
    }
    Ok((hour, minute))
}

/// The three numbers of a hyphenated or dotted date in the order written,
/// each as `(value, digits, column)`. The scanner matched exactly three
/// runs of digits.
fn parts(token: &Token, separator: char) -> [(u32, usize, usize); 3] {
    let mut parts = [(0, 0, 0); 3];
    let mut column = token.column;
    for (slot, digits) in parts.iter_mut().zip(token.text.split(separator)) {
        *slot = (number(digits), digits.len(), column);
        column += digits.len() + 1;
    }
    parts
}

/// `YY[YY]-M[M]-D[D]` and `D[D].M[M].YY[YY]`: at checks these against the
/// month's length, leap years included.
fn exact_date(
    (year, year_digits, _): (u32, usize, usize),
    (month, _, month_column): (u32, usize, usize),
    (day, _, day_column): (u32, usize, usize),
) -> Result<Date, TimespecError> {
    let year = full_year(year, year_digits);
    check_month(month_column, month)?;
    check_day(day_column, day)?;
    let days = days_in_month(year, month);
    if day > days {
        return Err(TimespecError::new(
            day_column,
            ErrorKind::NoSuchDay {
                year,
                month,
                day,
                days,
            },
        ));
    }
    Ok(Date::Calendar {
        year: Some(year),
        month,
        day,
    })
}

/// `MMDDYY`, `MMDDYYYY`, and with a one-digit month `MDDYY`, `MDDYYYY`.
fn concatenated_date(token: &Token) -> Result<Date, TimespecError> {
    let text = token.text;
    let month_len = if text.len() % 2 == 1 { 1 } else { 2 };
    let month = number(&text[..month_len]);
    let day = number(&text[month_len..month_len + 2]);
    let year_digits = &text[month_len + 2..];
    check_month(token.column, month)?;
    check_day(token.column + month_len, day)?;
    Ok(Date::Calendar {
        year: Some(year(year_digits)),
        month,
        day,
    })
}

fn check_month(column: usize, month: u32) -> Result<(), TimespecError> {
    check(column, month, 12, ErrorKind::Month)
}

fn check_day(column: usize, day: u32) -> Result<(), TimespecError> {
    check(column, day, 31, ErrorKind::Day)
}

/// `value` in 1..=`max`, else the error `kind` makes of it at `column`.
fn check(
    column: usize,
    value: u32,
    max: u32,
    kind: fn(u32) -> ErrorKind,
) -> Result<(), TimespecError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(TimespecError::new(column, kind(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(hour: u32, minute: u32) -> TimeOfDay {
        TimeOfDay {
            hour,
            minute,
            utc: false,
        }
    }

    fn calendar(year: Option<i32>, month: u32, day: u32) -> Date {
        Date::Calendar { year, month, day }
    }

    #[track_caller]
    fn base(spec: &str, expected: Base) {
        assert_eq!(
            parse(spec),
            Ok(Spec {
                base: expected,
                shift: None
            }),
            "{spec}"
        );
    }

    #[test]
    fn times_of_day() {
        base("1030", Base::Time(time(10, 30)));
        base("10:30", Base::Time(time(10, 30)));
        base("9h05", Base::Time(time(9, 5)));
        base("10:30pm", Base::Time(time(22, 30)));
        base("12am", Base::Time(time(0, 0)));
        base("12 pm", Base::Time(time(12, 0)));
        base("0am", Base::Time(time(0, 0)));
        base("00:30 PM", Base::Time(time(12, 30)));
        base("24:00", Base::Time(time(24, 0)));
        base("10:60", Base::Time(time(10, 60)));
        base("noon", Base::Time(time(12, 0)));
        base("midnight", Base::Time(time(0, 0)));
        base("TEATIME", Base::Time(time(16, 0)));
        base(
            "4pm utc",
            Base::Time(TimeOfDay {
                hour: 16,
                minute: 0,
                utc: true,
            }),
        );
    }

    #[test]
    fn dates() {
        base("Jul 31", Base::Date(calendar(None, 7, 31)));
        base("july 31 2027", Base::Date(calendar(Some(2027), 7, 31)));
        base("Jul 31, 27", Base::Date(calendar(Some(2027), 7, 31)));
        base("31 Jul", Base::Date(calendar(None, 7, 31)));
        base("31 Jul 2027", Base::Date(calendar(Some(2027), 7, 31)));
        base("7/31/27", Base::Date(calendar(Some(2027), 7, 31)));
        base("07/31/2027", Base::Date(calendar(Some(2027), 7, 31)));
        base("73127", Base::Date(calendar(Some(2027), 7, 31)));
        base("07312027", Base::Date(calendar(Some(2027), 7, 31)));
        base("2027-07-31", Base::Date(calendar(Some(2027), 7, 31)));
        base("27-7-31", Base::Date(calendar(Some(2027), 7, 31)));
        base("31.7.27", Base::Date(calendar(Some(2027), 7, 31)));
        base("31.07.1999", Base::Date(calendar(Some(1999), 7, 31)));
        base("Feb 30", Base::Date(calendar(None, 2, 30)));
        base("fri", Base::Date(Date::Weekday(5)));
        base("next friday", Base::Date(Date::Weekday(5)));
        base("next week", Base::Date(Date::Next(Unit::Week)));
        base("today", Base::Date(Date::Today));
        base("noon tomorrow", Base::TimeDate(time(12, 0), Date::Tomorrow));
        base("5pmtomorrow", Base::TimeDate(time(17, 0), Date::Tomorrow));
    }

    #[test]
    fn shifts() {
        assert_eq!(
            parse("now + 5 min").map(|spec| spec.shift),
            Ok(Some(Shift {
                count: 5,
                unit: Unit::Minute
            }))
        );
        assert_eq!(
            parse("noon tomorrow - 90 minutes").map(|spec| spec.shift),
            Ok(Some(Shift {
                count: -90,
                unit: Unit::Minute
            }))
        );
    }
}
