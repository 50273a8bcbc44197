//! `sched ls`: the pending jobs a caller may see, and the runs in
//! progress, as one reply frame.
//!
//! The rows are encoded on the spool thread as the table scan reads them
//! (no owned copy of each job, no second encoding pass) and ordered by due
//! instant at the end. At 10,000 pending jobs this halved the daemon's
//! share of a listing; see BENCHMARKS.md.

use std::ops::ControlFlow;

use sched_proto::{ErrorCode, ErrorReply, JobRef, ListingEncoder};
use sched_spool::Owner;

use super::context::Context;
use super::reply::{batch_hold, internal, proto_kind, run_info};
use crate::system::accounts::Names;

/// The whole `Jobs` reply frame for `owner`.
pub async fn frame(context: &Context, owner: Owner) -> Result<Vec<u8>, ErrorReply> {
    let now = context.clock.now();
    let batch_hold = batch_hold(context).await;
    let built = context
        .spool
        .call(move |spool| {
            let mut encoder = ListingEncoder::new();
            let mut names = Names::default();
            let mut failed = None;
            spool.for_each_pending(owner.clone(), |job| {
                let row = JobRef {
                    id: job.id,
                    kind: proto_kind(job.kind),
                    queue: job.queue,
                    owner_uid: job.owner_uid,
                    owner: names.of(job.owner_uid),
                    due: job.due,
                    submitted: job.submitted,
                    command: job.command,
                    cwd: job.cwd,
                };
                match encoder.push(row) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(error) => {
                        failed = Some(error);
                        ControlFlow::Break(())
                    }
                }
            })?;
            let running = spool
                .runs_in_progress(owner)?
                .iter()
                .map(|run| run_info(run, &mut names))
                .collect();
            let jobs = encoder.len();
            Ok(match failed {
                Some(error) => Err(error),
                None => encoder
                    .finish_with(running, Some(now), batch_hold)
                    .map(|frame| (jobs, frame)),
            })
        })
        .await
        .map_err(internal)?;
    let (jobs, frame) = built.map_err(|error| {
        tracing::error!("cannot encode a listing: {error}");
        ErrorReply::new(
            ErrorCode::Internal,
            format!("the listing could not be sent: {error}"),
        )
    })?;
    tracing::debug!(jobs, bytes = frame.len(), "listed");
    Ok(frame)
}
