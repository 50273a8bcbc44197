//! `sched rm`: removes pending jobs; a job that already runs is said to.

use sched_proto::{Removal, Response};
use sched_spool::{JobId, Owner};

use super::context::{Context, Peer};
use super::error::RequestError;
use crate::scheduling::event::Event;

/// The most ids one remove request names.
const MAX_REMOVE: usize = 10_000;

pub async fn serve(
    context: &Context,
    peer: Peer,
    owner: Owner,
    ids: Vec<u64>,
) -> Result<Response, RequestError> {
    if ids.len() > MAX_REMOVE {
        return Err(RequestError::Invalid(format!(
            "{} ids in one request, more than {MAX_REMOVE}: remove them in parts",
            ids.len()
        )));
    }
    let ids: Vec<JobId> = ids.into_iter().map(JobId).collect();
    // A job that is not pending may be running: say so.
    let (removed, running) = context
        .spool
        .remove_jobs_noting_running(ids.clone(), owner)
        .await?;
    let running: std::collections::HashSet<JobId> = running.into_iter().collect();
    let removed = ids.into_iter().zip(removed);
    let mut results = Vec::with_capacity(removed.len());
    for (id, job) in removed {
        if let Some(job) = &job {
            let _ = context.events.send(Event::Removed {
                id,
                due: job.job.due,
                kind: job.job.kind,
            });
            tracing::info!(job = id.0, uid = peer.uid.0, "removed");
        }
        results.push(Removal {
            id: id.0,
            removed: job.is_some(),
            running: job.is_none() && running.contains(&id),
        });
    }
    Ok(Response::Removed { results })
}
