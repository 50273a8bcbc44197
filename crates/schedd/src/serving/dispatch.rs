//! The dispatcher: decodes a request, decides whose jobs the caller may
//! act on, and hands it to the handler of its kind (one file each).

use sched_proto::{Envelope, PROTOCOL_VERSION, Request, Response};

use super::context::{Context, Peer, Reply};
use super::error::RequestError;
use super::permission::caller;
use super::{
    control, crontab, kill, list, logs, metrics, mock, remove, show, status, submit, upcoming,
};

/// The reply to one frame's body.
pub async fn answer(context: &Context, peer: Peer, body: &[u8]) -> Reply {
    // The spool serves the caller's work in turn with everyone else's;
    // the caller's name is looked up once for the whole request.
    let context = &Context {
        spool: context.spool.for_uid(peer.uid.0),
        accounts: context.accounts.for_request(peer.uid),
        ..context.clone()
    };
    let answered = match decode(context, peer, body) {
        Ok(request) => match caller(context, peer).await {
            Ok(owner) => serve(context, peer, owner, request).await,
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    answered.unwrap_or_else(|error| {
        if error.is_the_daemons() {
            tracing::error!("{error}");
        }
        Reply::Message(Response::Error(error.into()))
    })
}

/// Request type names this daemon knows, for telling an unknown request
/// from a malformed known one.
const KNOWN: &[&str] = &[
    "submit", "list", "remove", "show", "logs", "crontab", "upcoming", "kill", "control", "status",
    "metrics", "mock",
];

fn decode(context: &Context, peer: Peer, body: &[u8]) -> Result<Request, RequestError> {
    decode_request(
        body,
        context.clock.is_mock() && peer.uid == context.daemon_uid,
    )
}

/// A request body as the daemon reads it: the version and type first,
/// then the whole envelope. Mock clock requests are unknown requests
/// unless `mock_allowed`. Pure, so that the fuzzer drives this very code.
pub fn decode_request(body: &[u8], mock_allowed: bool) -> Result<Request, RequestError> {
    let malformed = RequestError::Malformed;
    // A first pass reads only the version and the request type, without
    // building a tree of the (up to 4 MiB) body.
    let probe: Probe<'_> = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let version = probe
        .version
        .ok_or_else(|| malformed("no protocol version".to_owned()))?;
    if version != u64::from(PROTOCOL_VERSION) {
        return Err(RequestError::Version { found: version });
    }
    let kind = probe.body.and_then(|body| body.kind);
    match kind.as_deref() {
        Some("mock") if !mock_allowed => {
            return Err(RequestError::UnknownRequest);
        }
        Some(kind) if KNOWN.contains(&kind) => {}
        _ => return Err(RequestError::UnknownRequest),
    }
    let envelope: Envelope<Request> =
        serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    Ok(envelope.body)
}

/// The parts of a request read before the rest; other fields are skipped.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    version: Option<u64>,
    #[serde(borrow)]
    body: Option<KindProbe<'a>>,
}

#[derive(serde::Deserialize)]
struct KindProbe<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

async fn serve(
    context: &Context,
    peer: Peer,
    owner: sched_spool::Owner,
    request: Request,
) -> Result<Reply, RequestError> {
    let response = match request {
        Request::Submit(submission) => submit::serve(context, peer, owner, submission).await,
        Request::List => return list::frame(context, owner).await.map(Reply::Frame),
        Request::Remove { ids } => remove::serve(context, peer, owner, ids).await,
        Request::Show { id } => show::serve(context, owner, id).await,
        Request::Logs { job, limit, line } => {
            logs::serve(context, peer, owner, job, limit, line).await
        }
        Request::Crontab(request) => crontab::serve(context, peer, request).await,
        Request::Upcoming { limit, per_entry } => {
            upcoming::serve(context, owner, limit, per_entry).await
        }
        Request::Kill { target, grace_ms } => {
            kill::serve(context, peer, owner, target, grace_ms).await
        }
        Request::Status => status::serve(context, owner).await,
        Request::Metrics { format } => metrics::serve(context, owner, format).await,
        Request::Control { action, target } => {
            control::serve(context, peer, owner, action, target).await
        }
        Request::Mock(mock) => mock::serve(context, mock).await,
    };
    response.map(Reply::Message)
}
