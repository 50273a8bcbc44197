//! `sched at -c`: a pending job's script as at(1) prints it.

use sched_proto::{ErrorReply, Response};
use sched_spool::Owner;

use super::context::Context;
use super::reply::{internal, job_info, not_found};
use super::script;
use crate::system::accounts::Names;

pub async fn serve(context: &Context, owner: Owner, id: u64) -> Result<Response, ErrorReply> {
    let shown = context
        .spool
        .call(move |spool| {
            Ok(spool.job(id, owner)?.map(|job| {
                let owner = Names::default().of(job.job.owner_uid).to_owned();
                let info = job_info(&job, owner);
                let script = script::render(&job, &info.owner);
                (info, script)
            }))
        })
        .await
        .map_err(internal)?;
    let (job, script) = shown.ok_or_else(|| not_found(id))?;
    Ok(Response::Script { script, job })
}
