//! Answers to requests. The caller is who the socket's peer credentials
//! say; nothing in a request can change that.
//!
//! Policy: a user sees, removes and reads the runs of only their own jobs;
//! root sees everyone's. A daemon run by a user serves only that user. The
//! mock clock requests exist only on a daemon started with `--mock-clock`,
//! and only for the uid running it; to everyone else they are an unknown
//! request, answered exactly as one.

use std::time::Duration;

use sched_proto::{
    Envelope, ErrorCode, ErrorReply, JobInfo, MockRequest, PROTOCOL_VERSION, Removal, Request,
    Response, RunInfo, UpcomingRun,
};
use sched_spool::{JobRecord, Outcome, Owner, RunRecord};
use tokio::sync::{mpsc::UnboundedSender, oneshot};

use crate::clock::Clock;
use crate::listing;
use crate::names::Names;
use crate::scheduler::Event;
use crate::script;
use crate::spool_thread::{SpoolCallError, SpoolHandle};
use crate::submit;

/// The longest a settle request waits.
const MAX_SETTLE: Duration = Duration::from_secs(600);

/// The most ids one remove request names.
const MAX_REMOVE: usize = 10_000;

/// The most output bytes one logs reply carries; older runs past it are
/// left out, so that a reply stays far below what any client can hold.
const MAX_LOGS_OUTPUT: u64 = 64 << 20;

/// The most runs one logs request returns.
const MAX_LOGS: u32 = 10_000;

/// What answering needs from the daemon.
#[derive(Debug, Clone)]
pub struct Context {
    pub spool: SpoolHandle,
    pub events: UnboundedSender<Event>,
    pub clock: Clock,
    /// The uid running the daemon.
    pub daemon_uid: u32,
    /// Time zones for crontabs' CRON_TZ.
    pub zones: crate::cron::Zones,
    /// Who may use at and crontab; `None` for a daemon run by a user.
    /// SIGHUP may replace the lists' paths.
    pub access: std::sync::Arc<std::sync::RwLock<Option<crate::access::Access>>>,
    /// The runs in progress and their processes.
    pub running: crate::running::Running,
}

/// Which command's allow and deny lists a request answers to.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    At,
    Crontab,
}

/// Refuses a caller the allow and deny lists of `command` turn away.
pub async fn check_access(
    context: &Context,
    peer: Peer,
    command: Command,
) -> Result<(), ErrorReply> {
    // Root is always allowed: no lists to read, no name to look up.
    if peer.uid == 0 {
        return Ok(());
    }
    let access = context
        .access
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let Some(access) = access else {
        return Ok(());
    };
    let (lists, what) = match command {
        Command::At => (access.at.clone(), "at and batch"),
        Command::Crontab => (access.cron.clone(), "crontab"),
    };
    let uid = peer.uid;
    // Reads files and may look the name up over NSS: not on a worker.
    let checked = tokio::task::spawn_blocking(move || {
        // A name that cannot be looked up (no account, NSS down) cannot be
        // matched against the lists: refused, as at(1) and crontab(1) do.
        let name = match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
            Ok(Some(user)) => user.name,
            Ok(None) => {
                return Err((
                    uid.to_string(),
                    crate::access::Denied(format!("uid {uid} has no account")),
                ));
            }
            Err(error) => {
                return Err((
                    uid.to_string(),
                    crate::access::Denied(format!("cannot look up uid {uid}: {error}")),
                ));
            }
        };
        lists.check(uid, &name).map_err(|denied| (name, denied))
    })
    .await
    .map_err(|e| ErrorReply::new(ErrorCode::Internal, e.to_string()))?;
    checked.map_err(|(name, denied)| {
        tracing::warn!(uid, "refused {what} to {name}: {}", denied.0);
        ErrorReply::new(
            ErrorCode::Denied,
            format!("you ({name}) may not use {what}: {}", denied.0),
        )
    })
}

/// The caller, from SO_PEERCRED.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    pub pid: Option<i32>,
}

/// A reply: a message to encode, or a frame already encoded (a listing,
/// built row by row).
#[derive(Debug)]
pub enum Reply {
    Message(Response),
    Frame(Vec<u8>),
}

/// The reply to one frame's body.
pub async fn answer(context: &Context, peer: Peer, body: &[u8]) -> Reply {
    // The spool serves the caller's work in turn with everyone else's.
    let context = &Context {
        spool: context.spool.for_uid(peer.uid),
        ..context.clone()
    };
    let answered = match decode(context, peer, body) {
        Ok(request) => match caller(context, peer).await {
            Ok(owner) => serve(context, peer, owner, request).await,
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    answered.unwrap_or_else(|error| Reply::Message(Response::Error(error)))
}

/// Whose jobs `peer` may act on: their own, or everyone's for root. A
/// daemon run by a user serves only that user.
async fn caller(context: &Context, peer: Peer) -> Result<Owner, ErrorReply> {
    if context.daemon_uid != 0 && peer.uid != context.daemon_uid {
        return Err(ErrorReply::new(
            ErrorCode::Denied,
            format!(
                "this schedd runs as uid {} and serves only that user: start your own schedd, or use the system one",
                context.daemon_uid
            ),
        ));
    }
    if peer.uid == 0 {
        return Ok(Owner::Any);
    }
    // Rows are the caller's only if their account stored them: a uid
    // given to a new account does not show it a deleted account's jobs.
    // The lookup may block on NSS: not on a tokio worker.
    let uid = peer.uid;
    let name = crate::names::account_of_async(uid).await?;
    Ok(Owner::Account { uid, name })
}

/// Request type names this daemon knows, for telling an unknown request
/// from a malformed known one.
const KNOWN: &[&str] = &[
    "submit", "list", "remove", "show", "logs", "crontab", "upcoming", "kill", "mock",
];

fn unknown_request() -> ErrorReply {
    ErrorReply::new(ErrorCode::UnknownRequest, "unknown request")
}

fn decode(context: &Context, peer: Peer, body: &[u8]) -> Result<Request, ErrorReply> {
    decode_request(
        body,
        context.clock.is_mock() && peer.uid == context.daemon_uid,
    )
}

/// A request body as the daemon reads it: the version and type first,
/// then the whole envelope. Mock clock requests are unknown requests
/// unless `mock_allowed`. Pure, so that the fuzzer drives this very code.
pub fn decode_request(body: &[u8], mock_allowed: bool) -> Result<Request, ErrorReply> {
    let malformed = |detail: String| {
        ErrorReply::new(ErrorCode::Malformed, format!("malformed request: {detail}"))
    };
    // A first pass reads only the version and the request type, without
    // building a tree of the (up to 4 MiB) body.
    let probe: Probe<'_> = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let version = probe
        .version
        .ok_or_else(|| malformed("no protocol version".to_owned()))?;
    if version != u64::from(PROTOCOL_VERSION) {
        return Err(ErrorReply::new(
            ErrorCode::Version,
            format!(
                "protocol version {version} is not spoken here (this schedd speaks {PROTOCOL_VERSION}): use a sched of the same release"
            ),
        ));
    }
    let kind = probe.body.and_then(|body| body.kind);
    match kind.as_deref() {
        Some("mock") if !mock_allowed => {
            return Err(unknown_request());
        }
        Some(kind) if KNOWN.contains(&kind) => {}
        _ => return Err(unknown_request()),
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
    owner: Owner,
    request: Request,
) -> Result<Reply, ErrorReply> {
    let response = match request {
        Request::Submit(submission) => {
            check_access(context, peer, Command::At).await?;
            let accepted = submit::accept(submission, peer.uid, peer.gid, context.clock.now())?;
            let mut job = accepted.job;
            // The job remembers whose it is by name too: a uid reused by a
            // later account does not inherit it. The lookup may block on
            // NSS: not on a tokio worker.
            let uid = peer.uid;
            job.owner_name = match &owner {
                Owner::Account { name, .. } => name.clone(),
                _ => crate::names::account_of_async(uid).await?,
            };
            let stored = job.clone();
            let id = context.spool.insert(stored).await.map_err(internal)?;
            let record = JobRecord { id, job };
            // Sent before the reply, so that anything the client does next
            // (a mock clock step in tests) reaches the scheduler after it.
            let _ = context.events.send(Event::Added {
                id,
                due: record.job.due,
                kind: record.job.kind,
                queue: record.job.queue,
            });
            tracing::info!(job = id, uid = peer.uid, pid = peer.pid, due = %record.job.due, "queued");
            let owner = record
                .job
                .owner_name
                .clone()
                .unwrap_or_else(|| uid.to_string());
            Ok(Response::Submitted {
                job: job_info(&record, owner),
                notices: accepted.notices,
            })
        }
        Request::List => return listing::frame(context, owner).await.map(Reply::Frame),
        Request::Remove { ids } => {
            if ids.len() > MAX_REMOVE {
                return Err(ErrorReply::new(
                    ErrorCode::Invalid,
                    format!(
                        "{} ids in one request, more than {MAX_REMOVE}: remove them in parts",
                        ids.len()
                    ),
                ));
            }
            let (removed, running) = context
                .spool
                .call(move |spool| {
                    let removed = spool.remove_jobs(&ids, owner.clone())?;
                    // A job that is not pending may be running: say so.
                    let running: std::collections::HashSet<u64> =
                        if removed.iter().all(Option::is_some) {
                            Default::default()
                        } else {
                            spool
                                .runs_in_progress(owner)?
                                .into_iter()
                                .map(|run| run.job_id)
                                .collect()
                        };
                    Ok((ids.into_iter().zip(removed).collect::<Vec<_>>(), running))
                })
                .await
                .map_err(internal)?;
            let mut results = Vec::with_capacity(removed.len());
            for (id, job) in removed {
                if let Some(job) = &job {
                    let _ = context.events.send(Event::Removed {
                        id,
                        due: job.job.due,
                        kind: job.job.kind,
                    });
                    tracing::info!(job = id, uid = peer.uid, "removed");
                }
                results.push(Removal {
                    id,
                    removed: job.is_some(),
                    running: job.is_none() && id != 0 && running.contains(&id),
                });
            }
            Ok(Response::Removed { results })
        }
        Request::Show { id } => {
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
        Request::Logs { job, limit, line } => {
            let limit = limit.min(MAX_LOGS);
            let origin = match line {
                Some(line) => Some(origin_of(&line, &owner, peer)?),
                None => None,
            };
            let runs = context
                .spool
                .call(move |spool| {
                    let runs = match &origin {
                        Some(origin) => spool.runs_of_origin(owner, origin, limit)?,
                        None => spool.runs(owner, job, limit)?,
                    };
                    let mut names = Names::default();
                    let mut budget = MAX_LOGS_OUTPUT;
                    Ok(runs
                        .iter()
                        .take_while(|run| {
                            let size = (run.output.head.len() + run.output.tail.len()) as u64;
                            let fits = size <= budget;
                            budget = budget.saturating_sub(size);
                            fits
                        })
                        .map(|run| run_info(run, &mut names))
                        .collect())
                })
                .await
                .map_err(internal)?;
            Ok(Response::Runs { runs })
        }
        Request::Crontab(request) => crate::crontab_requests::serve(context, peer, request).await,
        Request::Upcoming { limit, per_entry } => upcoming(context, owner, limit, per_entry).await,
        Request::Kill { target, grace_ms } => {
            crate::kill::serve(context, peer, owner, target, grace_ms).await
        }
        Request::Mock(mock) => serve_mock(context, mock).await,
    };
    response.map(Reply::Message)
}

async fn serve_mock(context: &Context, request: MockRequest) -> Result<Response, ErrorReply> {
    let gone = || ErrorReply::new(ErrorCode::Internal, "the scheduler has stopped");
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
                Err(_) => Err(ErrorReply::new(
                    ErrorCode::Internal,
                    format!("runs still in progress after {} ms", timeout.as_millis()),
                )),
            }
        }
    }
}

/// The most upcoming runs one request returns.
const MAX_UPCOMING: u32 = 100_000;

/// The next runs `owner` may see: crontab entries (from the scheduler, which
/// holds when each is next due) and pending jobs (from the spool), merged
/// in time order.
async fn upcoming(
    context: &Context,
    owner: Owner,
    limit: u32,
    per_entry: u32,
) -> Result<Response, ErrorReply> {
    let limit = limit.min(MAX_UPCOMING) as usize;
    let per_entry = per_entry.min(MAX_UPCOMING) as usize;
    let (reply, answer) = oneshot::channel();
    let gone = || ErrorReply::new(ErrorCode::Internal, "the scheduler has stopped");
    context
        .events
        .send(Event::Upcoming {
            owner: owner.clone(),
            limit,
            per_entry,
            reply,
        })
        .map_err(|_| gone())?;
    let cron = answer.await.map_err(|_| gone())?;
    let mut runs: Vec<UpcomingRun> = context
        .spool
        .call(move |spool| {
            let mut jobs = Vec::new();
            spool.for_each_pending(owner, |job| {
                jobs.push((
                    job.due,
                    job.id,
                    job.kind,
                    job.owner_uid,
                    job.command.to_owned(),
                ));
                std::ops::ControlFlow::Continue(())
            })?;
            jobs.sort_unstable_by_key(|job| (job.0, job.1));
            jobs.truncate(limit);
            let mut names = Names::default();
            Ok(jobs
                .into_iter()
                .map(|(due, id, kind, uid, command)| UpcomingRun {
                    due,
                    kind: proto_kind(kind).into(),
                    job: id,
                    origin: None,
                    owner_uid: uid,
                    owner: names.of(uid).to_owned(),
                    command,
                })
                .collect())
        })
        .await
        .map_err(internal)?;
    runs.extend(cron.into_iter().map(|(due, job)| UpcomingRun {
        due,
        kind: sched_proto::RunKind::Cron,
        job: 0,
        origin: Some(job.origin()),
        owner_uid: job.user.uid,
        owner: job.user.name.to_string(),
        command: job.command.to_string(),
    }));
    runs.sort_by(|a, b| (a.due, a.job, &a.origin).cmp(&(b.due, b.job, &b.origin)));
    runs.truncate(limit);
    Ok(Response::Upcoming {
        runs,
        batch_hold: batch_hold(context).await,
        now: Some(context.clock.now()),
    })
}

/// The origin a crontab line's runs are stored under, from the name a
/// user gives it: `crontab:LINE` (the caller's own crontab),
/// `crontab:USER:LINE` (root), or a system crontab's `FILE:LINE`.
fn origin_of(line: &str, owner: &Owner, peer: Peer) -> Result<String, ErrorReply> {
    let invalid = || {
        ErrorReply::new(
            ErrorCode::Invalid,
            format!(
                "{line:?} names no crontab line: expected crontab:LINE (your crontab), FILE:LINE (a system crontab), or for root crontab:USER:LINE"
            ),
        )
    };
    let (source, number) = line.rsplit_once(':').ok_or_else(invalid)?;
    let number: u32 = number.parse().map_err(|_| invalid())?;
    if number == 0 {
        return Err(invalid());
    }
    let user = match source.strip_prefix("crontab") {
        Some("") => match owner {
            Owner::Account {
                name: Some(name), ..
            } => name.clone(),
            _ => Names::default().of(peer.uid).to_owned(),
        },
        Some(rest) => match rest.strip_prefix(':') {
            Some(user) if !user.is_empty() => user.to_owned(),
            _ => return Ok(line.to_owned()),
        },
        None if source.starts_with('/') => return Ok(line.to_owned()),
        None => return Err(invalid()),
    };
    Ok(format!("crontab of {user}:{number}"))
}

/// The load and its limit when due batch jobs wait for the load to fall,
/// as the scheduler sees it now.
pub(crate) async fn batch_hold(context: &Context) -> Option<sched_proto::BatchHold> {
    let (reply, answer) = oneshot::channel();
    context.events.send(Event::BatchHold { reply }).ok()?;
    let (load, limit) = answer.await.ok()??;
    let hundredths = |value: f64| (value * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32;
    Some(sched_proto::BatchHold {
        load_hundredths: hundredths(load),
        limit_hundredths: hundredths(limit),
    })
}

pub(crate) fn internal(error: SpoolCallError) -> ErrorReply {
    tracing::error!("{error}");
    ErrorReply::new(ErrorCode::Internal, format!("the daemon failed: {error}"))
}

pub(crate) fn not_found(id: u64) -> ErrorReply {
    ErrorReply::new(
        ErrorCode::NotFound,
        format!("no pending job {id} of yours: see `sched ls`"),
    )
}

pub(crate) fn proto_kind(kind: sched_spool::JobKind) -> sched_proto::JobKind {
    match kind {
        sched_spool::JobKind::At => sched_proto::JobKind::At,
        sched_spool::JobKind::Batch => sched_proto::JobKind::Batch,
    }
}

fn job_info(record: &JobRecord, owner: String) -> JobInfo {
    let job = &record.job;
    let kind = proto_kind(job.kind);
    JobInfo {
        id: record.id,
        kind,
        queue: job.queue,
        owner_uid: job.owner_uid,
        owner,
        due: job.due,
        submitted: job.submitted,
        command: job.command.clone(),
        cwd: job.cwd.clone(),
    }
}

pub(crate) fn run_info(run: &RunRecord, names: &mut Names) -> RunInfo {
    let outcome = match &run.outcome {
        Outcome::Running => sched_proto::Outcome::Running,
        Outcome::Exited(code) => sched_proto::Outcome::Exited { code: *code },
        Outcome::Signalled(signal) => sched_proto::Outcome::Signalled {
            signal: *signal,
            name: nix::sys::signal::Signal::try_from(*signal)
                .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned()),
        },
        Outcome::Failed(reason) => sched_proto::Outcome::Failed {
            reason: reason.clone(),
        },
        Outcome::Lost => sched_proto::Outcome::Lost,
    };
    RunInfo {
        id: run.id,
        job: run.job_id,
        kind: match run.kind {
            sched_spool::RunKind::At => sched_proto::RunKind::At,
            sched_spool::RunKind::Batch => sched_proto::RunKind::Batch,
            sched_spool::RunKind::Cron => sched_proto::RunKind::Cron,
        },
        origin: run.origin.clone(),
        owner_uid: run.owner_uid,
        owner: names.of(run.owner_uid).to_owned(),
        command: run.command.clone(),
        due: run.due,
        started: run.started,
        finished: run.finished,
        pid: run.pid,
        outcome,
        output_head: String::from_utf8_lossy(&run.output.head).into_owned(),
        output_tail: String::from_utf8_lossy(&run.output.tail).into_owned(),
        output_bytes: run.output.total_bytes,
        note: run.note.clone(),
    }
}
