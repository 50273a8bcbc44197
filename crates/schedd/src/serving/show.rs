//! `sched at -c`: a pending job's script as at(1) prints it.

use sched_proto::Response;
use sched_spool::{JobId, Owner};

use super::context::Context;
use super::error::RequestError;
use super::reply::job_info;
use super::script;

pub async fn serve(context: &Context, owner: Owner, id: u64) -> Result<Response, RequestError> {
    let job = context
        .spool
        .job(JobId(id), owner)
        .await?
        .ok_or(RequestError::NoSuchJob(id))?;
    let uid = job.job.owner_uid;
    let owner = context.accounts.names([uid]).await.of(uid);
    let info = job_info(&job, owner);
    let script = script::render(&job, &info.owner);
    Ok(Response::Script { script, job: info })
}
