//! `sched ls`, `sched rm` and `sched show`: pending jobs.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use std::fmt::Write as _;

use anyhow::{Result, bail};
use jiff::tz::TimeZone;
use sched_proto::{JobInfo, Request, Response, RunInfo, RunKind};

use crate::cli::{ListArgs, RemoveArgs, ShowArgs};
use crate::client::{Client, DaemonError, unexpected};
use crate::compat::Style;
use crate::{json, time};

pub fn list(args: &ListArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    list_queue(None, args.json, socket, out, Style::Sched)
}

/// The caller's jobs (root: everyone's), of `queue` only when given: as
/// a table, as JSON, or in atq's format.
pub fn list_queue(
    queue: Option<char>,
    as_json: bool,
    socket: Option<&Path>,
    out: &mut impl Write,
    style: Style,
) -> Result<()> {
    // Checked first, JSON or not: a $TZ naming no zone is refused everywhere.
    let zone = time::local_zone()?;
    let response = Client::connect(socket)?.ask(Request::List)?;
    let Response::Jobs {
        mut jobs,
        running,
        now,
        batch_hold,
        paused,
    } = response
    else {
        return Err(unexpected("a listing", &response));
    };
    if let Some(queue) = queue {
        jobs.retain(|job| job.queue == queue);
    }
    // Runs in progress are at's queue `=`; -q = lists only them.
    let running: Vec<RunInfo> = match queue {
        Some(queue) if queue != '=' => Vec::new(),
        _ => running,
    };
    if as_json {
        let mut rows: Vec<serde_json::Value> = Vec::with_capacity(jobs.len() + running.len());
        for run in &running {
            rows.push(serde_json::to_value(json::RunningJob::new(run, now))?);
        }
        for job in &jobs {
            let mut row = json::Job::from(job);
            row.waiting_for_load =
                waiting(job.kind, job.due, now, batch_hold).map(json::LoadWait::from);
            rows.push(serde_json::to_value(row)?);
        }
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    match style {
        Style::Sched => {
            // A due batch job held back by the load says so.
            for job in &mut jobs {
                if let Some(hold) = waiting(job.kind, job.due, now, batch_hold) {
                    job.command = format!("[{}] {}", hold.describe(), job.command);
                }
            }
            let rows: Vec<JobInfo> = running
                .iter()
                .map(|run| running_row(run, now))
                .chain(jobs.drain(..))
                .collect();
            if !rows.is_empty() {
                write_table(out, &rows, &zone)?;
            }
            if queue.is_none() {
                for line in &paused {
                    writeln!(out, "{line}")?;
                }
            }
            jobs = rows;
        }
        Style::At => {
            let rows: Vec<JobInfo> = running
                .iter()
                .filter(|run| run.kind != RunKind::Cron)
                .map(|run| JobInfo {
                    due: run.due,
                    ..running_row(run, now)
                })
                .chain(jobs.drain(..))
                .collect();
            write_atq(out, &rows, &zone)?;
            jobs = rows;
        }
    }
    // The process ends right after this: freeing a listing's strings one
    // by one (three per job, 300,000 at 100,000 jobs) would only delay it.
    std::mem::forget(jobs);
    Ok(())
}

/// The hold on a batch job due at `due`, when the daemon holds due batch
/// jobs back for the load.
pub fn waiting(
    kind: sched_proto::JobKind,
    due: jiff::Timestamp,
    now: Option<jiff::Timestamp>,
    hold: Option<sched_proto::BatchHold>,
) -> Option<sched_proto::BatchHold> {
    let due_now = now.is_some_and(|now| due <= now);
    (kind == sched_proto::JobKind::Batch && due_now).then_some(hold?)
}

/// A run in progress as a listing row: queue `=`, its start as the time,
/// its pid and how long it has run before the command. A crontab line's
/// run has no job id: it is named `rRUN`, which `sched kill` takes, and
/// its id in the row is 0.
fn running_row(run: &RunInfo, now: Option<jiff::Timestamp>) -> JobInfo {
    let pid = run
        .pid
        .map_or_else(|| "?".to_owned(), |pid| pid.to_string());
    let elapsed = now.map_or_else(String::new, |now| {
        format!(", for {}", time::elapsed(now.duration_since(run.started)))
    });
    let what = match &run.origin {
        Some(origin) => format!("r{} {origin}: ", run.id),
        None => String::new(),
    };
    JobInfo {
        id: run.job,
        kind: match run.kind {
            RunKind::Batch => sched_proto::JobKind::Batch,
            _ => sched_proto::JobKind::At,
        },
        queue: '=',
        owner_uid: run.owner_uid,
        owner: run.owner.clone(),
        due: run.started,
        submitted: run.started,
        command: format!("[running, pid {pid}{elapsed}] {what}{}", run.command),
        cwd: String::new(),
    }
}

/// atq's lines: `ID<TAB>Fri Dec  4 13:00:00 2026 Q USER`.
fn write_atq(out: &mut impl Write, jobs: &[JobInfo], zone: &TimeZone) -> std::io::Result<()> {
    for job in jobs {
        writeln!(
            out,
            "{}\t{} {} {}",
            job.id,
            time::format_at_style(job.due, zone),
            job.queue,
            job.owner
        )?;
    }
    Ok(())
}

/// Job ids as the user typed them.
pub fn parse_ids(words: &[String]) -> Result<Vec<u64>> {
    if words.is_empty() {
        bail!("which jobs? give their ids, as `sched ls` prints them");
    }
    words
        .iter()
        .map(|word| {
            word.parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "expected a job id (a number, as `sched ls` prints), found {word:?}"
                )
            })
        })
        .collect()
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
        if job.id == 0 {
            // A crontab line's run: its name `rRUN` is in the command.
            id.push('-');
        } else {
            let _ = write!(id, "{}", job.id);
        }
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

pub fn remove(args: &RemoveArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    remove_ids(&args.ids, socket, out, Style::Sched)
}

/// Removes the jobs; false when one of them was not the caller's pending
/// job. atrm's style prints nothing for a removed job and `Cannot find
/// jobid N` for another.
pub fn remove_ids(
    ids: &[u64],
    socket: Option<&Path>,
    out: &mut impl Write,
    style: Style,
) -> Result<bool> {
    let response = Client::connect(socket)?.ask(Request::Remove { ids: ids.to_vec() })?;
    let Response::Removed { results } = response else {
        return Err(unexpected("a removal", &response));
    };
    let mut missing = Vec::new();
    let mut running = false;
    for result in results {
        running |= result.running;
        match (result.removed, style) {
            (true, Style::Sched) => writeln!(out, "removed job {}", result.id)?,
            (true, Style::At) => {}
            (false, Style::At) => eprintln!("Cannot find jobid {}", result.id),
            (false, Style::Sched) if result.running => eprintln!(
                "sched: job {0} is running: stop it with `sched kill {0}`",
                result.id
            ),
            (false, Style::Sched) => {}
        }
        if !result.removed && !result.running {
            missing.push(result.id.to_string());
        }
    }
    out.flush()?;
    if !missing.is_empty() && style == Style::Sched {
        eprintln!(
            "sched: no pending job {} of yours: see `sched ls`",
            missing.join(", ")
        );
    }
    Ok(missing.is_empty() && !running)
}

pub fn show(args: &ShowArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    show_ids(&[args.id], socket, out)
}

/// Each job's script, one after the other (`at -c 4 5`). An id that is
/// not a pending job of the caller's is reported and the others are still
/// printed, as at(1) does; the result is then false.
pub fn show_ids(ids: &[u64], socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    let mut client = Client::connect(socket)?;
    let mut all = true;
    for &id in ids {
        match client.ask(Request::Show { id }) {
            Ok(Response::Script { script, .. }) => out.write_all(script.as_bytes())?,
            Ok(other) => return Err(unexpected("show", &other)),
            Err(error) if ids.len() > 1 && error.downcast_ref::<DaemonError>().is_some() => {
                out.flush()?;
                eprintln!("sched: {error}");
                all = false;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(all)
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
