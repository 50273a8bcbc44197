//! How errors reach the user: messages and exit codes, decided here and
//! nowhere else.

use std::process::ExitCode;

use sched_at::TimespecError;
use sched_cron::ScheduleError;

/// A schedule error with the expression and a caret under the column.
pub fn schedule_error(expression: &str, error: &ScheduleError) -> anyhow::Error {
    pointed("invalid schedule", expression, error.column, error)
}

/// An at(1) time specification error (`what` says which: the free form
/// or the `-t` value), with a caret under the column.
pub fn timespec_error(what: &str, spec: &str, error: &TimespecError) -> anyhow::Error {
    if error.is_about_the_result() {
        anyhow::anyhow!("{what} {spec:?}: {error}")
    } else {
        pointed(what, spec, error.column, error)
    }
}

/// The message, the text and a caret under `column`. Control characters
/// in the text print as `?`, one column each, so the caret stays in place
/// and a terminal never receives them.
pub fn pointed(
    what: &str,
    text: &str,
    column: usize,
    message: &dyn std::fmt::Display,
) -> anyhow::Error {
    let pad = " ".repeat(column.saturating_sub(1));
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    anyhow::anyhow!("{what}, column {column}: {message}\n  {text}\n  {pad}^")
}

/// Exit status: 0 success, 1 invalid input or a failed check, 2 bad usage
/// (clap's own). A closed standard output (`sched next | head -1`) is not
/// an error.
pub fn exit_code(result: anyhow::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sched: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
