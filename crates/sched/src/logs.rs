//! `sched logs`: runs, newest first, with their output.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use sched_proto::{Outcome, Request, Response, RunInfo};

use crate::cli::LogsArgs;
use crate::client::{Client, unexpected};
use crate::time;

pub fn run(args: &LogsArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let response = Client::connect(socket)?.ask(Request::Logs {
        job: args.id,
        limit: args.count,
    })?;
    let Response::Runs { runs } = response else {
        return Err(unexpected("logs", &response));
    };
    if args.json {
        let runs: Vec<crate::json::Run<'_>> = runs.iter().map(crate::json::Run::from).collect();
        serde_json::to_writer_pretty(&mut *out, &runs)?;
        writeln!(out)?;
        return Ok(());
    }
    let zone = time::local_zone();
    for (index, run) in runs.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        write_run(run, &zone, out)?;
    }
    Ok(())
}

fn write_run(run: &RunInfo, zone: &jiff::tz::TimeZone, out: &mut impl Write) -> Result<()> {
    let ended = match &run.outcome {
        Outcome::Running => "running".to_owned(),
        Outcome::Exited { code } => format!("exit {code}"),
        Outcome::Signalled { name, .. } => format!("killed by {name}"),
        Outcome::Failed { reason } => format!("not run: {reason}"),
        Outcome::Lost => "lost: the daemon stopped while it ran".to_owned(),
    };
    let finished = run
        .finished
        .map_or_else(|| "-".to_owned(), |at| time::format_instant(at, zone));
    let of = match &run.origin {
        Some(origin) => origin.clone(),
        None => format!("job {}", run.job),
    };
    writeln!(
        out,
        "run {} of {} ({}): started {}, ended {}: {}",
        run.id,
        of,
        run.owner,
        time::format_instant(run.started, zone),
        finished,
        ended
    )?;
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
