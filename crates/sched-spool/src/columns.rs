//! How values that are not plain numbers or text are kept in columns,
//! the same in every backend: a run's outcome spread over its columns,
//! and a queue letter.

use crate::Outcome;
use crate::records::{from_micros, to_micros};

/// An outcome as the columns store it: the state's name, the exit code,
/// the signal, the reason and the instant stopped.
pub(crate) struct OutcomeColumns<'a> {
    pub(crate) state: &'static str,
    pub(crate) code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) stopped: Option<i64>,
}

impl<'a> OutcomeColumns<'a> {
    pub(crate) fn of(outcome: &'a Outcome) -> OutcomeColumns<'a> {
        let (state, code, signal, reason, stopped) = match outcome {
            Outcome::Running => ("running", None, None, None, None),
            Outcome::Exited(code) => ("exited", Some(*code), None, None, None),
            Outcome::Signalled(signal) => ("signalled", None, Some(*signal), None, None),
            Outcome::Failed(reason) => ("failed", None, None, Some(reason.as_str()), None),
            Outcome::Lost => ("lost", None, None, None, None),
            Outcome::TimedOut {
                stopped,
                code,
                signal,
            } => ("timed out", *code, *signal, None, Some(to_micros(*stopped))),
            Outcome::Skipped(reason) => ("skipped", None, None, Some(reason.as_str()), None),
            Outcome::Missed(reason) => ("missed", None, None, Some(reason.as_str()), None),
            Outcome::Superseded(reason) => ("superseded", None, None, Some(reason.as_str()), None),
        };
        OutcomeColumns {
            state,
            code,
            signal,
            reason,
            stopped,
        }
    }

    /// Whether the reason column holds the outcome's reason, not a note.
    pub(crate) fn reason_is_outcome(state: &str) -> bool {
        matches!(state, "failed" | "skipped" | "missed" | "superseded")
    }

    /// The outcome the columns hold, or what is wrong with them. `reason`
    /// is the reason column, whether it holds a reason or a note.
    pub(crate) fn decode(
        state: &str,
        code: Option<i32>,
        signal: Option<i32>,
        reason: Option<String>,
        stopped: Option<i64>,
    ) -> Result<Outcome, &'static str> {
        Ok(match state {
            "running" => Outcome::Running,
            "exited" => Outcome::Exited(code.ok_or("exit code missing")?),
            "signalled" => Outcome::Signalled(signal.ok_or("signal missing")?),
            "failed" => Outcome::Failed(reason.unwrap_or_default()),
            "lost" => Outcome::Lost,
            "timed out" => Outcome::TimedOut {
                stopped: from_micros(stopped.ok_or("instant stopped missing")?)
                    .ok_or("instant out of range")?,
                code,
                signal,
            },
            "skipped" => Outcome::Skipped(reason.unwrap_or_default()),
            "missed" => Outcome::Missed(reason.unwrap_or_default()),
            "superseded" => Outcome::Superseded(reason.unwrap_or_default()),
            _ => return Err("unknown outcome"),
        })
    }
}

/// A stored queue letter.
pub(crate) fn queue_of(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let letter = chars.next()?;
    (chars.next().is_none() && letter.is_ascii_alphabetic()).then_some(letter)
}
