//! `sched ls`, `sched rm` and `sched show`: pending jobs.

use std::io::Write;
use std::path::Path;

use std::fmt::Write as _;

use anyhow::{Result, bail};
use jiff::tz::TimeZone;
use sched_proto::{JobInfo, Request, Response};

use crate::cli::{ListArgs, RemoveArgs, ShowArgs};
use crate::client::{Client, unexpected};
use crate::{json, time};

pub fn list(args: &ListArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let response = Client::connect(socket)?.ask(Request::List)?;
    let Response::Jobs { jobs } = response else {
        return Err(unexpected("a listing", &response));
    };
    if args.json {
        let jobs: Vec<json::Job<'_>> = jobs.iter().map(json::Job::from).collect();
        serde_json::to_writer_pretty(&mut *out, &jobs)?;
        writeln!(out)?;
        return Ok(());
    }
    if jobs.is_empty() {
        return Ok(());
    }
    out.write_all(table(&jobs, &time::local_zone()).as_bytes())?;
    Ok(())
}

/// `ID  WHEN  Q  USER  COMMAND` with aligned columns, built in one buffer:
/// a listing may have 100,000 rows.
fn table(jobs: &[JobInfo], zone: &TimeZone) -> String {
    let id_width = jobs
        .iter()
        .map(|job| job.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max(2);
    let user_width = jobs
        .iter()
        .map(|job| job.owner.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut when = String::new();
    time::write_instant(&mut when, jobs[0].due, zone);
    let when_width = when.len().max(4);
    let mut text = String::with_capacity(jobs.len() * (id_width + when_width + user_width + 70));
    let _ = writeln!(
        text,
        "{:<id_width$}  {:<when_width$}  Q  {:<user_width$}  COMMAND",
        "ID", "WHEN", "USER"
    );
    for job in jobs {
        when.clear();
        time::write_instant(&mut when, job.due, zone);
        let _ = writeln!(
            text,
            "{:<id_width$}  {when:<when_width$}  {}  {:<user_width$}  {}",
            job.id,
            job.queue,
            job.owner,
            one_line(&job.command, 60)
        );
    }
    text
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
