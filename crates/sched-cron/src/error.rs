//! Errors of schedule expressions, with the column they point at.
//!
//! Every message says what was found and what was expected, so `sched check`
//! can print `FILE:LINE:COL: message` and a user can fix the line without
//! reading crontab(5).

use std::fmt;

use crate::field::FieldKind;

/// An invalid schedule expression. `column` is 1-based and counts
/// characters of the text that was parsed (the expression, or the crontab
/// line it came from).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ScheduleError {
    pub column: usize,
    pub kind: ScheduleErrorKind,
}

/// What is wrong with a schedule expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleErrorKind {
    #[error(
        "expected 5 fields (minute hour day-of-month month day-of-week) or a @macro, found {found}"
    )]
    FieldCount { found: usize },
    #[error(
        "unknown macro {0:?}: expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot"
    )]
    UnknownMacro(String),
    #[error("{field} field: expected {}, found {found}", expected_value(*.field))]
    Expected { field: FieldKind, found: Found },
    #[error("{field} {value} out of range {}-{}", .field.min(), .field.max())]
    OutOfRange { field: FieldKind, value: u64 },
    #[error("{field} number {digits} is too large (range {}-{})", .field.min(), .field.max())]
    TooLarge { field: FieldKind, digits: String },
    #[error("step {digits} in the {field} field is too large (at most {max})", max = crate::field::MAX_STEP)]
    StepTooLarge { field: FieldKind, digits: String },
    #[error("unknown {field} name {name:?}: expected one of {}", .field.names().join(" "))]
    UnknownName { field: FieldKind, name: String },
    #[error("the {field} field takes numbers {}-{}, not names: found {name:?}", .field.min(), .field.max())]
    NameNotAllowed { field: FieldKind, name: String },
    #[error(
        "{field} range {start}-{end} is reversed, so cron would never run it: write {start}-{},{}-{end} for a range that wraps",
        .field.max(), .field.min()
    )]
    Reversed {
        field: FieldKind,
        start: u32,
        end: u32,
    },
    #[error("{field} step after a random value (~): a random value is one value, with no step")]
    StepAfterRandom { field: FieldKind },
    #[error("{field} step 0: a step must be at least 1")]
    StepZero { field: FieldKind },
    #[error(
        "{field} step after the single value {value}: write {value}-{}/{step} or */{step}",
        .field.max()
    )]
    StepAfterValue {
        field: FieldKind,
        value: u32,
        step: String,
    },
    #[error("{name} replaces all 5 time fields: unexpected {found:?} after it")]
    AfterMacro { name: String, found: String },
    #[error("never fires: {0}")]
    NeverFires(String),
}

/// What the parser found where it expected a value: a character or the end
/// of the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Char(char),
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Char(c) => write!(f, "{c:?}"),
            Found::End => f.write_str("end of field"),
        }
    }
}

fn expected_value(field: FieldKind) -> String {
    let names = match field {
        FieldKind::Month => " or a month name (jan-dec)",
        FieldKind::DayOfWeek => " or a day name (sun-sat)",
        _ => "",
    };
    format!("a number {}-{}{names}, or '*'", field.min(), field.max())
}
