//! `sched status`: one line per crontab line and pending job of the
//! caller (root: everyone's) with its health; exit status 1 when any is
//! failing or late, so that a monitoring check can be
//! `sched status --quiet`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use sched_proto::{EntryStatus, Outcome, Request, Response};

use crate::cli::{MetricsArgs, StatusArgs};
use crate::client::{Client, unexpected};
use crate::time;

/// False (exit status 1) when any entry is failing or late.
pub fn run(args: &StatusArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    let zone = time::local_zone()?;
    let response = Client::connect(socket)?.ask(Request::Status)?;
    let Response::Status { entries, .. } = response else {
        return Err(unexpected("status", &response));
    };
    let healthy = entries.iter().all(|entry| entry.healthy);
    if args.quiet {
        return Ok(healthy);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(healthy);
    }
    let at = |instant: Option<jiff::Timestamp>| {
        instant.map_or_else(|| "-".to_owned(), |at| time::format_instant(at, &zone))
    };
    let rows: Vec<[String; 8]> = entries
        .iter()
        .map(|entry| {
            let last = match (&entry.last_outcome, entry.last_due) {
                (Some(outcome), Some(due)) => {
                    format!("{} {}", outcome_word(outcome), at(Some(due)))
                }
                _ => "-".to_owned(),
            };
            [
                state(entry),
                entry.name.clone(),
                last,
                at(entry.last_success),
                entry.failures.to_string(),
                entry.missed.to_string(),
                at(entry.next),
                entry.command.lines().next().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    let header = [
        "STATE",
        "ENTRY",
        "LAST",
        "LAST SUCCESS",
        "FAILURES",
        "MISSED",
        "NEXT",
        "COMMAND",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut text = String::new();
        for (index, cell) in cells.iter().enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[index]));
            }
        }
        text
    };
    writeln!(out, "{}", line(&header))?;
    for (row, entry) in rows.iter().zip(&entries) {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
        if let Some(late) = &entry.late {
            writeln!(
                out,
                "  late: no success of the run due {} by {}",
                at(Some(late.expected)),
                at(Some(late.since))
            )?;
        }
        if let Some(paused) = &entry.paused {
            writeln!(out, "  {paused}")?;
        }
    }
    Ok(healthy)
}

/// `ok`, `paused`, `failing`, `late`, or `failing, late`.
fn state(entry: &EntryStatus) -> String {
    let mut words = Vec::new();
    if entry.failures > 0 {
        words.push("failing");
    }
    if entry.late.is_some() {
        words.push("late");
    }
    if words.is_empty() {
        words.push(if entry.paused.is_some() {
            "paused"
        } else {
            "ok"
        });
    }
    words.join(", ")
}

/// A run's outcome in a word or two.
fn outcome_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Running => "running".to_owned(),
        Outcome::Exited { code } => format!("exit {code}"),
        Outcome::Signalled { name, .. } => format!("killed by {name}"),
        Outcome::Failed { .. } => "not run".to_owned(),
        Outcome::Lost => "lost".to_owned(),
        Outcome::TimedOut { .. } => "timed out".to_owned(),
        Outcome::Skipped { .. } => "skipped".to_owned(),
        Outcome::Missed { .. } => "missed".to_owned(),
        Outcome::Superseded { .. } => "superseded".to_owned(),
    }
}

/// `sched metrics`: the daemon's metrics, as it encodes them.
pub fn metrics(args: &MetricsArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let format = match args.format.as_str() {
        "prometheus" => sched_proto::MetricsFormat::Prometheus,
        _ => sched_proto::MetricsFormat::Openmetrics,
    };
    let response = Client::connect(socket)?.ask(Request::Metrics { format })?;
    let Response::Metrics { text } = response else {
        return Err(unexpected("metrics", &response));
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
