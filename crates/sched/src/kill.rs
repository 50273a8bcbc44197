//! `sched kill`: stop running jobs (SIGTERM, then SIGKILL after a grace).

use std::io::Write;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use sched_proto::{Request, Response, RunTarget};

use crate::cli::KillArgs;
use crate::client::{Client, DaemonError, unexpected};

/// False when some id was not a running job of the caller's.
pub fn run(args: &KillArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    if args.grace.is_negative() {
        bail!(
            "--grace {:#}: a grace period cannot be negative",
            args.grace
        );
    }
    let grace_ms = u64::try_from(args.grace.as_millis()).unwrap_or(u64::MAX);
    let targets = args
        .ids
        .iter()
        .map(|word| target(word))
        .collect::<Result<Vec<_>>>()?;
    let mut client = Client::connect(socket)?;
    let mut all = true;
    for (word, target) in args.ids.iter().zip(targets) {
        match client.ask(Request::Kill { target, grace_ms }) {
            Ok(Response::Killed { run, pid }) => writeln!(
                out,
                "{word}: sent SIGTERM to run r{run} (pid {pid}); SIGKILL after {:#} if it is still running",
                args.grace
            )?,
            Ok(other) => return Err(unexpected("kill", &other)),
            Err(error) if error.downcast_ref::<DaemonError>().is_some() => {
                out.flush()?;
                // A pending job: say when it is due, in the caller's zone.
                let pending = match target {
                    RunTarget::Job { id } => match client.ask(Request::Show { id }) {
                        Ok(Response::Script { job, .. }) => Some((id, job.due)),
                        _ => None,
                    },
                    RunTarget::Run { .. } => None,
                };
                match pending {
                    Some((id, due)) => eprintln!(
                        "sched: job {id} has not started: it is due at {}; remove it with `sched rm {id}`",
                        crate::time::format_instant(due, &crate::time::local_zone()?)
                    ),
                    None => eprintln!("sched: {error}"),
                }
                all = false;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(all)
}

/// `42` (a job) or `r17` (a run).
fn target(word: &str) -> Result<RunTarget> {
    let bad = || {
        anyhow!("expected a job id (42) or a run (r17), as `sched ls` prints them, found {word:?}")
    };
    match word.strip_prefix('r') {
        Some(run) => Ok(RunTarget::Run {
            id: run.parse().map_err(|_| bad())?,
        }),
        None => Ok(RunTarget::Job {
            id: word.parse().map_err(|_| bad())?,
        }),
    }
}
