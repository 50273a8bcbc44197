//! `sched at -c`: a pending job's script as at(1) prints it.

use sched_proto::{ErrorReply, Response};
use sched_spool::Owner;

use super::context::Context;
use super::reply::{internal, job_info, not_found};
use super::script;

pub async fn serve(context: &Context, owner: Owner, id: u64) -> Result<Response, ErrorReply> {
    let job = context
        .spool
        .job(id, owner)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found(id))?;
    let uid = job.job.owner_uid;
    let owner = context.accounts.names([uid]).await.of(uid);
    let info = job_info(&job, owner);
    let script = script::render(&job, &info.owner);
    Ok(Response::Script { script, job: info })
}
