//! `sched run`, `sched pause`, `sched resume`, `sched skip`: the caller's
//! own crontab lines and jobs (root: anyone's, and the system crontabs'),
//! carried out by the scheduler, which records who asked.

use sched_proto::{ControlAction, ControlTarget, Response};
use sched_spool::{JobId, Owner};
use tokio::sync::oneshot;

use super::context::{Context, Peer};
use super::entry_name::origin_of;
use super::error::RequestError;
use crate::scheduling::event::{self, ControlError, ControlRequest, Event};

pub async fn serve(
    context: &Context,
    peer: Peer,
    owner: Owner,
    action: ControlAction,
    target: ControlTarget,
) -> Result<Response, RequestError> {
    let target = match target {
        ControlTarget::Entry { name } => {
            event::ControlTarget::Entry(origin_of(context, &name, &owner, peer).await?)
        }
        ControlTarget::Job { id } => event::ControlTarget::Job(JobId(id)),
        ControlTarget::All => event::ControlTarget::All,
    };
    let name = context.accounts.names([peer.uid]).await.of(peer.uid);
    let request = ControlRequest {
        owner,
        by: format!("{name} (uid {})", peer.uid),
        action,
        target,
    };
    let (reply, answer) = oneshot::channel();
    let gone = || RequestError::SchedulerGone;
    context
        .events
        .send(Event::Control { request, reply })
        .map_err(|_| gone())?;
    match answer.await.map_err(|_| gone())? {
        Ok(done) => Ok(Response::Controlled { done }),
        Err(ControlError::NotFound(message)) => Err(RequestError::NotFound(message)),
        Err(ControlError::Invalid(message)) => Err(RequestError::Invalid(message)),
        Err(ControlError::Failed(message)) => Err(RequestError::Internal(message)),
    }
}
