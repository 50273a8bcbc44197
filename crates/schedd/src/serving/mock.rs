//! The mock clock's requests: tests move time and wait for runs. They
//! exist only on a daemon started with `--mock-clock`, and only for the
//! uid running it (`dispatch::decode_request` makes them unknown to
//! everyone else).

use std::time::Duration;

use sched_proto::{MockRequest, Response};
use tokio::sync::oneshot;

use super::context::Context;
use super::error::RequestError;
use crate::scheduling::event::Event;

/// The longest a settle request waits.
const MAX_SETTLE: Duration = Duration::from_secs(600);

pub async fn serve(context: &Context, request: MockRequest) -> Result<Response, RequestError> {
    let gone = || RequestError::SchedulerGone;
    match request {
        MockRequest::Now => Ok(Response::Clock {
            now: context.clock.now(),
        }),
        MockRequest::Set { to } => {
            let (reply, answer) = oneshot::channel();
            context
                .events
                .send(Event::SetMockClock { to, reply })
                .map_err(|_| gone())?;
            let now = answer.await.map_err(|_| gone())?;
            Ok(Response::Clock { now })
        }
        MockRequest::Step { to } => {
            let (reply, answer) = oneshot::channel();
            context
                .events
                .send(Event::StepMockClock { to, reply })
                .map_err(|_| gone())?;
            let now = answer.await.map_err(|_| gone())?;
            Ok(Response::Clock { now })
        }
        MockRequest::Settle { timeout_ms } => {
            let (reply, answer) = oneshot::channel();
            context
                .events
                .send(Event::Settle { reply })
                .map_err(|_| gone())?;
            let timeout = Duration::from_millis(timeout_ms).min(MAX_SETTLE);
            match tokio::time::timeout(timeout, answer).await {
                Ok(Ok(running)) => Ok(Response::Settled { running }),
                Ok(Err(_)) => Err(gone()),
                Err(_) => Err(RequestError::Internal(format!(
                    "runs still in progress after {} ms",
                    timeout.as_millis()
                ))),
            }
        }
    }
}
