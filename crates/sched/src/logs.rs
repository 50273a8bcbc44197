//! `sched logs`: runs, newest first, with their output.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use sched_proto::{Outcome, Request, Response, RunInfo};

use crate::cli::LogsArgs;
use crate::client::{Client, DaemonError, unexpected};
use crate::time;

/// False when the job or line asked for has no runs.
pub fn run(args: &LogsArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    let (job, line) = match args.of.as_deref() {
        None => (None, None),
        Some(of) => match of.parse::<u64>() {
            Ok(id) => (Some(id), None),
            Err(_) => (None, Some(of.to_owned())),
        },
    };
    let mut client = Client::connect(socket)?;
    let response = client.ask(Request::Logs {
        job,
        limit: args.count,
        line: line.clone(),
    })?;
    let Response::Runs { runs } = response else {
        return Err(unexpected("logs", &response));
    };
    let zone = time::local_zone()?;
    if runs.is_empty() && args.count > 0 {
        if let Some(id) = job {
            // Not run yet, or not there at all: say which.
            match client.ask(Request::Show { id }) {
                Ok(Response::Script { job, .. }) => eprintln!(
                    "sched: job {id} has not run yet: it is due at {}",
                    time::format_instant(job.due, &zone)
                ),
                Ok(other) => return Err(unexpected("show", &other)),
                Err(error) if error.downcast_ref::<DaemonError>().is_some() => eprintln!(
                    "sched: no job {id} of yours has run: it does not exist, or it is not yours (see `sched ls`)"
                ),
                Err(error) => return Err(error),
            }
            return Ok(false);
        }
        if let Some(line) = line {
            eprintln!(
                "sched: no runs of {line}: it has not run yet, is not yours, or names no crontab line (see `sched next`)"
            );
            return Ok(false);
        }
    }
    if args.json {
        let runs: Vec<crate::json::Run<'_>> = runs.iter().map(crate::json::Run::from).collect();
        serde_json::to_writer_pretty(&mut *out, &runs)?;
        writeln!(out)?;
        return Ok(true);
    }
    for (index, run) in runs.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        write_run(run, &zone, out)?;
    }
    Ok(true)
}

fn write_run(run: &RunInfo, zone: &jiff::tz::TimeZone, out: &mut impl Write) -> Result<()> {
    let ended = match &run.outcome {
        Outcome::Running => "running".to_owned(),
        Outcome::Exited { code } => format!("exit {code}"),
        Outcome::Signalled { name, .. } => format!("killed by {name}"),
        Outcome::Failed { reason } => format!("not run: {reason}"),
        Outcome::Lost => "lost: the daemon stopped while it ran".to_owned(),
        Outcome::TimedOut {
            stopped,
            code,
            signal,
        } => {
            let how = match (code, signal) {
                (Some(code), _) => format!("it exited {code}"),
                (None, Some(signal)) => format!("ended by {}", signal_name(*signal)),
                (None, None) => "ended".to_owned(),
            };
            format!(
                "timed out: stopped at {} after {} s; {how}",
                time::format_instant(*stopped, zone),
                seconds(stopped.duration_since(run.started))
            )
        }
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
        Outcome::Missed { reason } => format!("missed: {reason}"),
        Outcome::Superseded { reason } => format!("superseded: {reason}"),
    };
    let of = match &run.origin {
        Some(origin) => origin.clone(),
        None => format!("job {}", run.job),
    };
    let mut detail = if run.attempt > 1 {
        format!(", attempt {}", run.attempt)
    } else {
        String::new()
    };
    if let Some(host) = &run.host {
        detail.push_str(&format!(", on {host}"));
    }
    writeln!(
        out,
        "run {} of {} ({}{detail}): {}",
        run.id, of, run.owner, ended
    )?;
    if matches!(
        run.outcome,
        Outcome::Skipped { .. } | Outcome::Missed { .. } | Outcome::Superseded { .. }
    ) {
        writeln!(
            out,
            "  due {}, recorded {}",
            time::format_instant(run.due, zone),
            time::format_instant(run.started, zone)
        )?;
        writeln!(
            out,
            "  command: {}",
            crate::jobs::one_line(&run.command, 70)
        )?;
        return Ok(());
    }
    let lag = seconds(run.started.duration_since(run.due));
    write!(
        out,
        "  due {}, started {} ({lag} s late)",
        time::format_instant(run.due, zone),
        time::format_instant(run.started, zone),
    )?;
    match run.finished {
        Some(finished) => writeln!(
            out,
            ", ended {} after {} s",
            time::format_instant(finished, zone),
            seconds(finished.duration_since(run.started))
        )?,
        None => writeln!(out)?,
    }
    writeln!(
        out,
        "  command: {}",
        crate::jobs::one_line(&run.command, 70)
    )?;
    if let Some(note) = &run.note {
        writeln!(out, "  note: {}", crate::jobs::one_line(note, 200))?;
    }
    let kept = run.output_head.len() + run.output_tail.len();
    if run.output_bytes == 0 {
        return Ok(());
    }
    write_indented(&run.output_head, out)?;
    if !run.output_tail.is_empty() {
        let omitted = run.output_bytes.saturating_sub(kept as u64);
        writeln!(out, "  [... {omitted} bytes not kept ...]")?;
        write_indented(&run.output_tail, out)?;
    }
    Ok(())
}

/// `SIGTERM`, or `signal 77` for a number with no name.
fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned())
}

/// Seconds with millisecond precision: `0.003`, `61.250`.
fn seconds(span: jiff::SignedDuration) -> String {
    format!("{:.3}", span.as_secs_f64())
}

fn write_indented(text: &str, out: &mut impl Write) -> Result<()> {
    for line in text.lines() {
        let line: String = line
            .chars()
            .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
            .collect();
        writeln!(out, "  | {line}")?;
    }
    Ok(())
}
