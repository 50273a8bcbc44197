//! `sched status`: the health of the caller's crontab lines and pending
//! jobs (root: everyone's). The scheduler says what is loaded (next
//! instant, pause, skips, grace); the spool's history says how each line
//! last ran; the dead-man rule (`sched_engine::policy::success_deadline`)
//! says whether its success is overdue. A line is healthy when no run
//! failed since its last success and its success is not overdue.

use std::ops::ControlFlow;

use jiff::{SignedDuration, Timestamp};
use sched_engine::policy::{MAX_DEFAULT_GRACE, success_deadline};
use sched_proto::{EntryStatus, Late, Response, RunKind};
use sched_spool::{EntryHealth, Outcome, Owner};
use tokio::sync::oneshot;

use super::context::Context;
use super::error::RequestError;
use super::reply::{proto_kind, proto_outcome};
use crate::scheduling::event::{EntryView, Event, held_on_request};

pub async fn serve(context: &Context, owner: Owner) -> Result<Response, RequestError> {
    let (reply, answer) = oneshot::channel();
    let gone = || RequestError::SchedulerGone;
    context
        .events
        .send(Event::Status {
            owner: owner.clone(),
            reply,
        })
        .map_err(|_| gone())?;
    let mut views = answer.await.map_err(|_| gone())?;
    views.sort_by(|a, b| (a.job.source_name(), a.job.line).cmp(&(b.job.source_name(), b.job.line)));
    let origins: Vec<String> = views.iter().map(|view| view.job.origin()).collect();
    let health = context
        .spool
        .entry_health(owner.clone(), origins.clone())
        .await?;
    let now = context.clock.now();
    let mut entries: Vec<EntryStatus> = views
        .iter()
        .zip(health)
        .zip(origins)
        .map(|((view, health), origin)| entry_status(view, &health, origin, now))
        .collect();
    let jobs = context
        .spool
        .fold_pending(owner, Vec::new(), |jobs, job| {
            jobs.push((
                job.id,
                job.kind,
                job.owner_uid,
                job.command.to_owned(),
                job.due,
            ));
            ControlFlow::Continue(())
        })
        .await?;
    let names = context
        .accounts
        .names(jobs.iter().map(|&(_, _, uid, _, _)| uid))
        .await;
    let mut jobs: Vec<EntryStatus> = jobs
        .into_iter()
        .map(|(id, kind, uid, command, due)| {
            // A pending job is late when it has not started an hour after
            // its instant (a batch job: after it was queued).
            let since = later(due, MAX_DEFAULT_GRACE);
            let late = (now > since).then_some(Late {
                expected: due,
                since,
            });
            EntryStatus {
                name: format!("job {id}"),
                kind: RunKind::from(proto_kind(kind)),
                job: id.0,
                owner_uid: uid.0,
                owner: names.of(uid),
                command,
                last_due: None,
                last_outcome: None,
                last_success: None,
                failures: 0,
                missed: 0,
                next: Some(due),
                paused: None,
                healthy: late.is_none(),
                late,
            }
        })
        .collect();
    jobs.sort_by_key(|job| job.job);
    entries.append(&mut jobs);
    Ok(Response::Status { entries, now })
}

/// `at` plus `duration`, or the end of time.
fn later(at: Timestamp, duration: std::time::Duration) -> Timestamp {
    SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX)
}

/// One crontab line's status at `now`.
fn entry_status(
    view: &EntryView,
    health: &EntryHealth,
    name: String,
    now: Timestamp,
) -> EntryStatus {
    let job = &view.job;
    // A success is expected from the first occurrence after the last
    // success (or, with none, since the oldest occurrence kept, else since
    // the line is loaded as it is); occurrences held back on request do
    // not count against it.
    let mut since = health
        .last_success
        .as_ref()
        .map(|run| run.due)
        .or(health.oldest_due)
        .unwrap_or(view.known_since);
    if let Some(last) = &health.last
        && matches!(&last.outcome, Outcome::Skipped(reason) if held_on_request(reason))
    {
        since = since.max(last.due);
    }
    if let Some(through) = view.skip_through {
        since = since.max(through);
    }
    let late = if view.paused.is_some() {
        None
    } else {
        success_deadline(&job.schedule, &job.zone, since, view.grace, view.jitter)
            .filter(|&(_, late)| now > late)
            .map(|(expected, since)| Late { expected, since })
    };
    EntryStatus {
        name,
        kind: RunKind::Cron,
        job: 0,
        owner_uid: job.user.uid,
        owner: job.user.name.to_string(),
        command: job.command.to_string(),
        last_due: health.last.as_ref().map(|run| run.due),
        last_outcome: health.last.as_ref().map(|run| proto_outcome(&run.outcome)),
        last_success: health.last_success.as_ref().and_then(|run| run.finished),
        failures: health.failures,
        missed: health.missed,
        next: view.next,
        paused: view.paused.clone(),
        healthy: late.is_none() && health.failures == 0,
        late,
    }
}
