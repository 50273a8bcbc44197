//! Pieces several replies share: records in their wire form, and the
//! usual errors.

use sched_proto::{JobInfo, RunInfo};
use sched_spool::{JobRecord, Outcome, RunRecord};
use tokio::sync::oneshot;

use super::context::Context;
use crate::scheduling::event::Event;
use crate::system::accounts::Names;

/// The load and its limit when due batch jobs wait for the load to fall,
/// as the scheduler sees it now.
pub(crate) async fn batch_hold(context: &Context) -> Option<sched_proto::BatchHold> {
    let (reply, answer) = oneshot::channel();
    context.events.send(Event::BatchHold { reply }).ok()?;
    proto_batch_hold(answer.await.ok()?)
}

/// The scheduler's (load, limit) as the protocol carries it.
pub(crate) fn proto_batch_hold(hold: Option<(f64, f64)>) -> Option<sched_proto::BatchHold> {
    let (load, limit) = hold?;
    let hundredths = |value: f64| (value * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32;
    Some(sched_proto::BatchHold {
        load_hundredths: hundredths(load),
        limit_hundredths: hundredths(limit),
    })
}

pub(crate) fn proto_kind(kind: sched_spool::JobKind) -> sched_proto::JobKind {
    match kind {
        sched_spool::JobKind::At => sched_proto::JobKind::At,
        sched_spool::JobKind::Batch => sched_proto::JobKind::Batch,
    }
}

pub(crate) fn job_info(record: &JobRecord, owner: String) -> JobInfo {
    let job = &record.job;
    let kind = proto_kind(job.kind);
    JobInfo {
        id: record.id.0,
        kind,
        queue: job.queue,
        owner_uid: job.owner_uid.0,
        owner,
        due: job.due,
        submitted: job.submitted,
        command: job.command.clone(),
        cwd: job.cwd.clone(),
    }
}

/// A run's outcome on the wire.
pub(crate) fn proto_outcome(outcome: &Outcome) -> sched_proto::Outcome {
    match outcome {
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
        Outcome::TimedOut {
            stopped,
            code,
            signal,
        } => sched_proto::Outcome::TimedOut {
            stopped: *stopped,
            code: *code,
            signal: *signal,
        },
        Outcome::Skipped(reason) => sched_proto::Outcome::Skipped {
            reason: reason.clone(),
        },
        Outcome::Missed(reason) => sched_proto::Outcome::Missed {
            reason: reason.clone(),
        },
        Outcome::Superseded(reason) => sched_proto::Outcome::Superseded {
            reason: reason.clone(),
        },
    }
}

pub(crate) fn run_info(run: &RunRecord, names: &Names) -> RunInfo {
    let outcome = proto_outcome(&run.outcome);
    RunInfo {
        id: run.id.0,
        // Cron runs have no job: 0 on the wire.
        job: run.job_id.map_or(0, |job| job.0),
        kind: match run.kind {
            sched_spool::RunKind::At => sched_proto::RunKind::At,
            sched_spool::RunKind::Batch => sched_proto::RunKind::Batch,
            sched_spool::RunKind::Cron => sched_proto::RunKind::Cron,
        },
        origin: run.origin.clone(),
        owner_uid: run.owner_uid.0,
        owner: names.of(run.owner_uid),
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
        attempt: run.attempt,
        host: run.host.clone(),
    }
}
