//! `sched ls`, `sched rm` and `sched show`: pending jobs.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use sched_proto::{Request, Response};

use crate::cli::{ListArgs, RemoveArgs, ShowArgs};
use crate::client::{Client, unexpected};
use crate::time;

pub fn list(args: &ListArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let response = Client::connect(socket)?.ask(Request::List)?;
    let Response::Jobs { jobs } = response else {
        return Err(unexpected("a listing", &response));
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &jobs)?;
        writeln!(out)?;
        return Ok(());
    }
    let zone = time::local_zone();
    let rows: Vec<[String; 5]> = jobs
        .iter()
        .map(|job| {
            [
                job.id.to_string(),
                time::format_instant(job.due, &zone),
                job.queue.to_string(),
                job.owner.clone(),
                one_line(&job.command, 60),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let header = ["ID", "WHEN", "Q", "USER", "COMMAND"].map(str::to_owned);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in [&header].into_iter().chain(&rows) {
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )?;
    }
    Ok(())
}

pub fn remove(args: &RemoveArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let response = Client::connect(socket)?.ask(Request::Remove {
        ids: args.ids.clone(),
    })?;
    let Response::Removed { results } = response else {
        return Err(unexpected("a removal", &response));
    };
    let mut missing = Vec::new();
    for result in results {
        if result.removed {
            writeln!(out, "removed job {}", result.id)?;
        } else {
            missing.push(result.id.to_string());
        }
    }
    if !missing.is_empty() {
        out.flush()?;
        bail!(
            "no pending job {} of yours: see `sched ls`",
            missing.join(", ")
        );
    }
    Ok(())
}

pub fn show(args: &ShowArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let response = Client::connect(socket)?.ask(Request::Show { id: args.id })?;
    let Response::Script { script, .. } = response else {
        return Err(unexpected("show", &response));
    };
    out.write_all(script.as_bytes())?;
    Ok(())
}

/// The first line of `text`, control characters as `?`, cut to `max`
/// characters with an ellipsis; `…` marks a cut or a dropped line.
pub fn one_line(text: &str, max: usize) -> String {
    let trimmed = text.trim_end_matches('\n');
    let (first, more) = match trimmed.split_once('\n') {
        Some((first, _)) => (first, true),
        None => (trimmed, false),
    };
    let mut line: String = first
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if line.chars().count() > max {
        line = line.chars().take(max.saturating_sub(1)).collect();
        line.push('…');
    } else if more {
        line.push_str(" …");
    }
    line
}
