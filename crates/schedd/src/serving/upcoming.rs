//! `sched next`: the next runs of crontab entries and pending jobs.

use sched_proto::{Response, UpcomingRun};
use sched_spool::Owner;
use tokio::sync::oneshot;

use super::context::Context;
use super::error::RequestError;
use super::reply::{batch_hold, proto_kind};
use crate::scheduling::event::Event;
use std::ops::ControlFlow;

/// The most upcoming runs one request returns.
const MAX_UPCOMING: u32 = 100_000;

/// The next runs `owner` may see: crontab entries (from the scheduler, which
/// holds when each is next due) and pending jobs (from the spool), merged
/// in time order.
pub async fn serve(
    context: &Context,
    owner: Owner,
    limit: u32,
    per_entry: u32,
) -> Result<Response, RequestError> {
    let limit = limit.min(MAX_UPCOMING) as usize;
    let per_entry = per_entry.min(MAX_UPCOMING) as usize;
    let (reply, answer) = oneshot::channel();
    let gone = || RequestError::SchedulerGone;
    context
        .events
        .send(Event::Upcoming {
            owner: owner.clone(),
            limit,
            per_entry,
            reply,
        })
        .map_err(|_| gone())?;
    let cron = answer.await.map_err(|_| gone())?;
    let mut jobs = context
        .spool
        .fold_pending(owner, Vec::new(), |jobs, job| {
            jobs.push((
                job.due,
                job.id,
                job.kind,
                job.owner_uid,
                job.command.to_owned(),
                (job.attempt > 1).then_some((job.attempt, job.scheduled)),
            ));
            ControlFlow::Continue(())
        })
        .await?;
    jobs.sort_unstable_by_key(|job| (job.0, job.1));
    jobs.truncate(limit);
    let names = context.accounts.names(jobs.iter().map(|job| job.3)).await;
    let mut runs: Vec<UpcomingRun> = jobs
        .into_iter()
        .map(|(due, id, kind, uid, command, retry)| UpcomingRun {
            due,
            kind: proto_kind(kind).into(),
            job: id.0,
            origin: None,
            owner_uid: uid.0,
            owner: names.of(uid),
            command,
            scheduled: retry.and_then(|(_, scheduled)| scheduled),
            attempt: retry.map(|(attempt, _)| attempt),
            policy: None,
            held: None,
        })
        .collect();
    runs.extend(cron.into_iter().map(|run| UpcomingRun {
        due: run.start,
        kind: sched_proto::RunKind::Cron,
        job: 0,
        origin: Some(run.job.origin()),
        owner_uid: run.job.user.uid,
        owner: run.job.user.name.to_string(),
        command: run.job.command.to_string(),
        scheduled: (run.scheduled != run.start).then_some(run.scheduled),
        attempt: (run.attempt > 1).then_some(run.attempt),
        policy: run.policy,
        held: run.held,
    }));
    runs.sort_by(|a, b| (a.due, a.job, &a.origin).cmp(&(b.due, b.job, &b.origin)));
    runs.truncate(limit);
    Ok(Response::Upcoming {
        runs,
        batch_hold: batch_hold(context).await,
        now: Some(context.clock.now()),
    })
}
