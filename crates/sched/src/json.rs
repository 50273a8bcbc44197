//! The `--json` output of `sched ls`, `sched logs` and `sched next`: the daemon's records
//! with instants as RFC 3339 strings (the wire carries microseconds).

use jiff::Timestamp;
use sched_proto::{JobInfo, JobKind, Outcome, RunInfo, RunKind, UpcomingRun};
use serde::Serialize;

/// A pending job in `sched ls --json`.
#[derive(Debug, Serialize)]
pub struct Job<'a> {
    /// `pending`, to tell it from a [`RunningJob`].
    pub state: &'static str,
    pub id: u64,
    pub kind: JobKind,
    pub queue: char,
    pub owner_uid: u32,
    pub owner: &'a str,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: &'a str,
    pub cwd: &'a str,
    /// A due batch job waiting for the load to fall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for_load: Option<LoadWait>,
}

/// The load a batch job waits for to fall below its limit.
#[derive(Debug, Serialize)]
pub struct LoadWait {
    pub load: f64,
    pub limit: f64,
}

impl From<sched_proto::BatchHold> for LoadWait {
    fn from(hold: sched_proto::BatchHold) -> Self {
        LoadWait {
            load: f64::from(hold.load_hundredths) / 100.0,
            limit: f64::from(hold.limit_hundredths) / 100.0,
        }
    }
}

impl<'a> From<&'a JobInfo> for Job<'a> {
    fn from(job: &'a JobInfo) -> Self {
        Job {
            state: "pending",
            id: job.id,
            kind: job.kind,
            queue: job.queue,
            owner_uid: job.owner_uid,
            owner: &job.owner,
            due: job.due,
            submitted: job.submitted,
            command: &job.command,
            cwd: &job.cwd,
            waiting_for_load: None,
        }
    }
}

/// A run in progress in `sched ls --json`.
#[derive(Debug, Serialize)]
pub struct RunningJob<'a> {
    /// `running`.
    pub state: &'static str,
    /// The one-shot job's id; absent for a crontab line's run.
    pub id: Option<u64>,
    /// The run's id (`sched kill rRUN`).
    pub run: u64,
    pub kind: RunKind,
    /// at's queue letter for a running job.
    pub queue: char,
    /// The crontab line of a cron run.
    pub origin: Option<&'a str>,
    pub owner_uid: u32,
    pub owner: &'a str,
    pub due: Timestamp,
    pub started: Timestamp,
    pub pid: Option<u32>,
    /// Seconds since it started, by the daemon's clock.
    pub running_seconds: Option<f64>,
    pub command: &'a str,
}

impl<'a> RunningJob<'a> {
    pub fn new(run: &'a RunInfo, now: Option<Timestamp>) -> Self {
        RunningJob {
            state: "running",
            id: (run.kind != RunKind::Cron).then_some(run.job),
            run: run.id,
            kind: run.kind,
            queue: '=',
            origin: run.origin.as_deref(),
            owner_uid: run.owner_uid,
            owner: &run.owner,
            due: run.due,
            started: run.started,
            pid: run.pid,
            running_seconds: now.map(|now| {
                let elapsed = now.duration_since(run.started).as_secs_f64();
                (elapsed * 1000.0).round() / 1000.0
            }),
            command: &run.command,
        }
    }
}

/// A run in `sched logs --json`.
#[derive(Debug, Serialize)]
pub struct Run<'a> {
    pub id: u64,
    pub job: u64,
    pub kind: RunKind,
    /// The crontab line of a cron run.
    pub origin: Option<&'a str>,
    pub owner_uid: u32,
    pub owner: &'a str,
    pub command: &'a str,
    pub due: Timestamp,
    pub started: Timestamp,
    pub finished: Option<Timestamp>,
    pub pid: Option<u32>,
    pub outcome: &'a Outcome,
    /// 1 for the occurrence's first run, 2 for its first retry, ...
    pub attempt: u32,
    pub output_head: &'a str,
    pub output_tail: &'a str,
    pub output_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
    /// The host that ran it, in a fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    /// From the instant it was due to its start.
    pub lag_seconds: f64,
    /// From its start to its end; absent while it runs.
    pub duration_seconds: Option<f64>,
}

impl<'a> From<&'a RunInfo> for Run<'a> {
    fn from(run: &'a RunInfo) -> Self {
        Run {
            id: run.id,
            job: run.job,
            kind: run.kind,
            origin: run.origin.as_deref(),
            owner_uid: run.owner_uid,
            owner: &run.owner,
            command: &run.command,
            due: run.due,
            started: run.started,
            finished: run.finished,
            pid: run.pid,
            outcome: &run.outcome,
            attempt: run.attempt,
            output_head: &run.output_head,
            output_tail: &run.output_tail,
            output_bytes: run.output_bytes,
            note: run.note.as_deref(),
            host: run.host.as_deref(),
            lag_seconds: run.started.duration_since(run.due).as_secs_f64(),
            duration_seconds: run
                .finished
                .map(|finished| finished.duration_since(run.started).as_secs_f64()),
        }
    }
}

/// An upcoming run in `sched next --json`.
#[derive(Debug, Serialize)]
pub struct Upcoming<'a> {
    pub due: Timestamp,
    pub kind: RunKind,
    /// The job id of a one-shot job; absent for a crontab entry.
    pub job: Option<u64>,
    /// The crontab line of a crontab entry.
    pub origin: Option<&'a str>,
    pub owner_uid: u32,
    pub owner: &'a str,
    pub command: &'a str,
    /// The occurrence's instant, when the run starts later (random delay,
    /// retry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<Timestamp>,
    /// The attempt, for a retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The policy in words, when it is not cron's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'a str>,
    /// Why it will not run: its line is paused, or this occurrence is
    /// skipped on request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<&'a str>,
}

impl<'a> From<&'a UpcomingRun> for Upcoming<'a> {
    fn from(run: &'a UpcomingRun) -> Self {
        Upcoming {
            due: run.due,
            kind: run.kind,
            job: (run.kind != RunKind::Cron).then_some(run.job),
            origin: run.origin.as_deref(),
            owner_uid: run.owner_uid,
            owner: &run.owner,
            command: &run.command,
            scheduled: run.scheduled,
            attempt: run.attempt,
            policy: run.policy.as_deref(),
            held: run.held.as_deref(),
        }
    }
}
