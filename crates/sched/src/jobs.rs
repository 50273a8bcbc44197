//! `sched ls`, `sched rm` and `sched show`: pending jobs.

use std::borrow::Cow;
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
    if !jobs.is_empty() {
        write_table(out, &jobs, &time::local_zone())?;
    }
    // The process ends right after this: freeing a listing's strings one
    // by one (three per job, 300,000 at 100,000 jobs) would only delay it.
    std::mem::forget(jobs);
    Ok(())
}

/// `ID  WHEN  Q  USER  COMMAND` with aligned columns. Rows are built by
/// hand in a buffer that is flushed every 64 KiB: a listing may have
/// 100,000 rows, and `format!` padding cost more than the rest.
fn write_table(out: &mut impl Write, jobs: &[JobInfo], zone: &TimeZone) -> std::io::Result<()> {
    const FLUSH_AT: usize = 64 * 1024;
    let id_width = jobs
        .iter()
        .map(|job| decimal_len(job.id))
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
    let mut text = String::with_capacity(FLUSH_AT + 4096);
    push_padded(&mut text, "ID", id_width);
    text.push_str("  ");
    push_padded(&mut text, "WHEN", when_width);
    text.push_str("  Q  ");
    push_padded(&mut text, "USER", user_width);
    text.push_str("  COMMAND\n");
    let mut id = String::new();
    for job in jobs {
        id.clear();
        let _ = write!(id, "{}", job.id);
        push_padded(&mut text, &id, id_width);
        text.push_str("  ");
        when.clear();
        time::write_instant(&mut when, job.due, zone);
        push_padded(&mut text, &when, when_width);
        text.push_str("  ");
        text.push(job.queue);
        text.push_str("  ");
        push_padded(&mut text, &job.owner, user_width);
        text.push_str("  ");
        text.push_str(&one_line(&job.command, 60));
        text.push('\n');
        if text.len() >= FLUSH_AT {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    out.write_all(text.as_bytes())
}

/// `value` then spaces up to `width` characters.
fn push_padded(text: &mut String, value: &str, width: usize) {
    text.push_str(value);
    let len = if value.is_ascii() {
        value.len()
    } else {
        value.chars().count()
    };
    text.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
}

fn decimal_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 10 {
        value /= 10;
        len += 1;
    }
    len
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
pub fn one_line(text: &str, max: usize) -> Cow<'_, str> {
    let trimmed = text.trim_end_matches('\n');
    let (first, more) = match trimmed.split_once('\n') {
        Some((first, _)) => (first, true),
        None => (trimmed, false),
    };
    // The common case, a short printable ASCII line, is borrowed as it is.
    if !more && first.len() <= max && first.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Cow::Borrowed(first);
    }
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
    Cow::Owned(line)
}
