//! `sched ls`: the pending jobs a caller may see, and the runs in
//! progress, as one reply frame.
//!
//! The rows are encoded on the spool thread as the table scan reads them
//! (no owned copy of each job, no second encoding pass) and ordered by due
//! instant at the end; the owners' names are looked up before, elsewhere. At 10,000 pending jobs this halved the daemon's
//! share of a listing; see BENCHMARKS.md.

use std::ops::ControlFlow;

use sched_proto::{JobRef, ListingEncoder};
use sched_spool::Owner;

use super::context::Context;
use super::error::RequestError;
use super::reply::{proto_batch_hold, proto_kind, run_info};
use crate::scheduling::event::{Event, ListingState};
use crate::system::accounts::Names;

/// The scheduler's part of the listing (batch hold, paused lines).
async fn scheduler_state(context: &Context, owner: &Owner) -> ListingState {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sent = context.events.send(Event::Listing {
        owner: owner.clone(),
        reply,
    });
    match sent {
        Ok(()) => answer.await.unwrap_or_default(),
        Err(_) => ListingState::default(),
    }
}

/// The names of the owners whose rows `owner` will see, looked up before
/// the scan, off the spool thread: a slow directory delays this listing
/// only, never the claim of a due job.
async fn owner_names(context: &Context, owner: &Owner) -> Result<Names, RequestError> {
    Ok(match owner {
        // A user's rows are all their own, under the name just looked up.
        Owner::Account {
            uid,
            name: Some(name),
        } => Names::known([(*uid, name.clone())]),
        _ => {
            let uids = context.spool.pending_owner_uids(owner.clone()).await?;
            context.accounts.names(uids).await
        }
    })
}

/// The whole `Jobs` reply frame for `owner`.
///
/// The scheduler's state and the owners' names are asked for at once
/// (they are independent), then the rows are read in one turn of the
/// spool thread: two waits in a row, however many threads answer.
pub async fn frame(context: &Context, owner: Owner) -> Result<Vec<u8>, RequestError> {
    let now = context.clock.now();
    let (state, names) = tokio::join!(
        scheduler_state(context, &owner),
        owner_names(context, &owner)
    );
    let names = names?;
    // The pending jobs and the runs in progress in one turn of the spool
    // thread: a job is listed as one or the other, never neither.
    let ((encoder, failed, mut names), running) = context
        .spool
        .fold_pending_then_running(
            owner,
            (ListingEncoder::new(), None, names),
            |(encoder, failed, names), job| {
                // A job of an owner not seen before the scan (queued since)
                // shows its uid.
                let unnamed;
                let owner = match names.get(job.owner_uid) {
                    Some(name) => name,
                    None => {
                        unnamed = job.owner_uid.to_string();
                        &unnamed
                    }
                };
                let row = JobRef {
                    id: job.id.0,
                    kind: proto_kind(job.kind),
                    queue: job.queue,
                    owner_uid: job.owner_uid.0,
                    owner,
                    due: job.due,
                    submitted: job.submitted,
                    command: job.command,
                    cwd: job.cwd,
                };
                match encoder.push(row) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(error) => {
                        *failed = Some(error);
                        ControlFlow::Break(())
                    }
                }
            },
        )
        .await?;
    let unnamed: Vec<_> = running
        .iter()
        .map(|run| run.owner_uid)
        .filter(|&uid| names.get(uid).is_none())
        .collect();
    if !unnamed.is_empty() {
        names.extend(context.accounts.names(unnamed).await);
    }
    let running = running.iter().map(|run| run_info(run, &names)).collect();
    let jobs = encoder.len();
    let built = match failed {
        Some(error) => Err(error),
        None => encoder.finish_with(
            running,
            Some(now),
            proto_batch_hold(state.batch_hold),
            state.paused,
        ),
    };
    let frame = built.map_err(|error| {
        RequestError::Internal(format!("the listing could not be sent: {error}"))
    })?;
    tracing::debug!(jobs, bytes = frame.len(), "listed");
    Ok(frame)
}
