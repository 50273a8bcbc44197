//! `sched logs`: the history of runs, of a job or of a crontab line.

use sched_proto::Response;
use sched_spool::{JobId, Owner};

use super::context::{Context, Peer};
use super::entry_name::origin_of;
use super::error::RequestError;
use super::reply::run_info;

/// The most output bytes one logs reply carries; older runs past it are
/// left out, so that a reply stays far below what any client can hold.
const MAX_LOGS_OUTPUT: u64 = 64 << 20;

/// The most runs one logs request returns.
const MAX_LOGS: u32 = 10_000;

pub async fn serve(
    context: &Context,
    peer: Peer,
    owner: Owner,
    job: Option<u64>,
    limit: u32,
    line: Option<String>,
) -> Result<Response, RequestError> {
    let limit = limit.min(MAX_LOGS);
    let origin = match line {
        Some(line) => Some(origin_of(context, &line, &owner, peer).await?),
        None => None,
    };
    let mut runs = match origin {
        Some(origin) => context.spool.runs_of_origin(owner, origin, limit).await,
        None => context.spool.runs(owner, job.map(JobId), limit).await,
    }?;
    let mut budget = MAX_LOGS_OUTPUT;
    let fitting = runs
        .iter()
        .take_while(|run| {
            let size = (run.output.head.len() + run.output.tail.len()) as u64;
            let fits = size <= budget;
            budget = budget.saturating_sub(size);
            fits
        })
        .count();
    runs.truncate(fitting);
    let names = context
        .accounts
        .names(runs.iter().map(|run| run.owner_uid))
        .await;
    let runs = runs.iter().map(|run| run_info(run, &names)).collect();
    Ok(Response::Runs { runs })
}
