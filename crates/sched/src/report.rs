//! How errors reach the user: messages and exit codes, decided here and
//! nowhere else.

use std::process::ExitCode;

use sched_cron::ScheduleError;

/// A schedule error with the expression and a caret under the column.
pub fn schedule_error(expression: &str, error: &ScheduleError) -> anyhow::Error {
    let pad = " ".repeat(error.column.saturating_sub(1));
    anyhow::anyhow!(
        "invalid schedule, column {}: {error}\n  {expression}\n  {pad}^",
        error.column
    )
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
