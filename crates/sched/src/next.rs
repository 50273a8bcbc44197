//! `sched next EXPR`: the next instants a schedule fires, computed by the
//! same engine the daemon uses. `sched next` alone: the caller's next runs,
//! as the daemon plans them.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use sched_cron::{Schedule, Zone};

use sched_proto::{Request, Response, RunKind};

use crate::cli::NextArgs;
use crate::client::{Client, unexpected};
use crate::time;

pub fn run(args: &NextArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    if args.expression.is_empty() {
        return installed(args, socket, out);
    }
    let count = args.count.unwrap_or(1);
    let expression = args.expression.join(" ");
    let schedule = Schedule::parse(&expression)
        .map_err(|error| crate::report::schedule_error(&expression, &error))?;
    if schedule.is_reboot() {
        bail!("@reboot runs once when the system boots; it has no next time");
    }
    let (tz, now) = time::clock(&args.clock)?;
    let zone = Zone::new(tz);
    let mut printed = 0;
    for at in schedule.iter_after(&zone, now).take(count) {
        writeln!(out, "{}", time::format_instant(at, zone.time_zone()))?;
        printed += 1;
    }
    if printed == 0 && count > 0 {
        bail!("{expression:?} does not fire again before the year 10000");
    }
    Ok(())
}

/// The caller's next runs, from the daemon: one line each, the instant, the
/// owner, what it is and the command.
fn installed(args: &NextArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    if args.clock.now.is_some() || args.clock.tz.is_some() {
        bail!("--now and --tz go with EXPR; your next runs are as the daemon plans them");
    }
    // Checked first, JSON or not: a $TZ naming no zone is refused everywhere.
    let zone = time::local_zone()?;
    let per_entry = u32::try_from(args.count.unwrap_or(1)).unwrap_or(u32::MAX);
    let response = Client::connect(socket)?.ask(Request::Upcoming {
        limit: u32::MAX,
        per_entry,
    })?;
    let Response::Upcoming {
        runs,
        batch_hold,
        now,
    } = response
    else {
        return Err(unexpected("next", &response));
    };
    if args.json {
        let runs: Vec<crate::json::Upcoming<'_>> =
            runs.iter().map(crate::json::Upcoming::from).collect();
        serde_json::to_writer_pretty(&mut *out, &runs)?;
        writeln!(out)?;
        return Ok(());
    }
    for run in &runs {
        let what = match (&run.origin, run.kind) {
            (Some(origin), _) => origin.clone(),
            (None, RunKind::Batch) => format!("batch job {}", run.job),
            (None, _) => format!("at job {}", run.job),
        };
        let command = run.command.lines().next().unwrap_or_default();
        let kind = match run.kind {
            RunKind::Batch => sched_proto::JobKind::Batch,
            _ => sched_proto::JobKind::At,
        };
        let mut command = match crate::jobs::waiting(kind, run.due, now, batch_hold) {
            Some(hold) => format!("[{}] {command}", hold.describe()),
            None => command.to_owned(),
        };
        // What the policy does to this run: a retry, a random delay.
        let occurrence = run
            .scheduled
            .map(|at| time::format_instant(at, &zone))
            .unwrap_or_default();
        let effect = match (run.attempt, run.scheduled) {
            (Some(attempt), _) => Some(format!("attempt {attempt} of the run due {occurrence}")),
            (None, Some(_)) => Some(format!("random delay from {occurrence}")),
            (None, None) => None,
        };
        if let Some(effect) = effect {
            command = format!("[{effect}] {command}");
        }
        if let Some(held) = &run.held {
            command = format!("[not run: {held}] {command}");
        }
        if let Some(policy) = &run.policy {
            command = format!("{command}  [policy: {policy}]");
        }
        writeln!(
            out,
            "{}  {}  {}  {}",
            time::format_instant(run.due, &zone),
            run.owner,
            what,
            command
        )?;
    }
    Ok(())
}
