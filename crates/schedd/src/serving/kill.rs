//! `sched kill`: stops a run in progress as a service manager would,
//! SIGTERM to its process group (each job leads a session of its own, so
//! the group's id is the job's pid), then SIGKILL if it is still running
//! after the grace period; when its main process ends, what is left of the
//! group gets SIGKILL at once (`Running::exited`). A pid is signalled only
//! while the run's process is unreaped, so a reused pid is never hit. The
//! run's history says who ended it.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sched_proto::{Response, RunTarget};
use sched_spool::{JobId, Owner, RunId};

use super::context::{Context, Peer};
use super::error::RequestError;

/// The longest grace period a request may ask for.
const MAX_GRACE: Duration = Duration::from_secs(24 * 3600);

pub async fn serve(
    context: &Context,
    peer: Peer,
    owner: Owner,
    target: RunTarget,
    grace_ms: u64,
) -> Result<Response, RequestError> {
    let grace = Duration::from_millis(grace_ms).min(MAX_GRACE);
    // Who asks, looked up first: nothing may wait between reading the
    // run's pid and signalling it.
    let who = context.accounts.names([peer.uid]).await.of(peer.uid);
    // A job that has not started is told apart from no job at all.
    let job = match target {
        RunTarget::Job { id } => Some(JobId(id)),
        RunTarget::Run { .. } => None,
    };
    let (run, pending) = context
        .spool
        .run_in_progress_or_pending(
            owner,
            move |run| match target {
                RunTarget::Job { id } => run.job_id == Some(JobId(id)),
                RunTarget::Run { id } => run.id == RunId(id),
            },
            job,
        )
        .await?;
    let Some(run) = run else {
        let message = match (target, pending) {
            (RunTarget::Job { id }, Some(due)) => format!(
                "job {id} has not started (it is due at {due}): remove it with `sched rm {id}`"
            ),
            (RunTarget::Job { id }, None) => {
                format!("no running job {id} of yours: see `sched ls`")
            }
            (RunTarget::Run { id }, _) => {
                format!("no run r{id} of yours in progress: see `sched ls`")
            }
        };
        return Err(RequestError::NotFound(message));
    };
    let Some(pid) = context.running.pid_of(run.id) else {
        return Err(RequestError::NotFound(format!(
            "run r{} has just ended",
            run.id
        )));
    };
    let group = group_of(pid)?;
    let note = format!(
        "ended with `sched kill` by {who} (uid {}): SIGTERM, then SIGKILL after {} ms if still running",
        peer.uid,
        grace.as_millis()
    );
    let id = run.id;
    // Kept before the signal: the run may end and be recorded at once.
    context.running.note(id, note.clone());
    context.running.killing(id);
    if let Err(error) = kill(group, Signal::SIGTERM) {
        context.running.take_note(id);
        return Err(RequestError::Internal(format!(
            "cannot signal the job's processes (pid {pid}): {error}"
        )));
    }
    tracing::info!(run = id.0, pid, uid = peer.uid.0, "{note}");
    let running = context.running.clone();
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        // Still the run's unreaped process: the pid cannot belong to
        // anyone else yet.
        if running.pid_of(id) == Some(pid) {
            tracing::warn!(
                run = id.0,
                pid,
                "still running after the grace period: SIGKILL"
            );
            if let Err(error) = kill(group, Signal::SIGKILL) {
                tracing::warn!(run = id.0, pid, "cannot SIGKILL the job: {error}");
            }
        }
    });
    Ok(Response::Killed { run: run.id.0, pid })
}

fn group_of(pid: u32) -> Result<Pid, RequestError> {
    match i32::try_from(pid) {
        Ok(pid) if pid > 1 => Ok(Pid::from_raw(-pid)),
        _ => Err(RequestError::Internal(format!(
            "pid {pid} cannot be signalled"
        ))),
    }
}
