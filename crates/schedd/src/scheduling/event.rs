//! The closed set of events that wake the scheduler besides its timer.
//! Request handlers, the crontab watcher and the executor send them;
//! none of them needs the scheduler itself.

use std::sync::Arc;

use jiff::Timestamp;
use sched_spool::{JobId, JobKind, Owner};
use tokio::sync::oneshot;

use crate::cron::{CronJob, Loaded, SystemPiece};
use crate::running::executor::RunFinished;

/// Everything that can wake the scheduler besides its timer.
#[derive(Debug)]
pub enum Event {
    /// A job was queued.
    Added {
        id: JobId,
        due: Timestamp,
        kind: JobKind,
        /// at(1)'s queue letter: due batch jobs start by queue, then id.
        queue: char,
    },
    /// Jobs pending in a shared spool and due soon, whichever host stored
    /// them: each not known yet is claimed here too when due (the spool
    /// gives it to one host only).
    FleetJobs(Vec<sched_spool::DueJob>),
    /// The work of hosts gone from the fleet: their lost runs of crontab
    /// lines (retried under the line's policy) and their waiting retries.
    TakenOver {
        lost: Vec<sched_spool::RunRecord>,
        retries: Vec<sched_spool::CronRetry>,
    },
    /// A job was removed before it ran.
    Removed {
        id: JobId,
        due: Timestamp,
        kind: JobKind,
    },
    /// A started run ended, and how.
    RunFinished(RunFinished),
    /// A test moves the mock clock to `to`; the reply is sent once every job
    /// due on the way has been started at its own instant.
    SetMockClock {
        to: Timestamp,
        reply: oneshot::Sender<Timestamp>,
    },
    /// A test sets the mock clock's wall time to `to` with no time passing
    /// (a clock step); the reply is sent once the daemon has looked.
    StepMockClock {
        to: Timestamp,
        reply: oneshot::Sender<Timestamp>,
    },
    /// A test waits until no run is in progress; the reply carries the
    /// number still running (0).
    Settle { reply: oneshot::Sender<u32> },
    /// The system crontabs were read again: a file's entries replace its
    /// source's; the end drops the system sources not read.
    SystemCrontabs(SystemPiece),
    /// The system crontabs' entries as loaded, and what was refused.
    SystemView {
        reply: oneshot::Sender<(Vec<SystemRow>, Vec<sched_proto::Refused>)>,
    },
    /// Whether due batch jobs wait for the load to fall: (load, limit).
    BatchHold {
        reply: oneshot::Sender<Option<(f64, f64)>>,
    },
    /// Settings read again on SIGHUP, in force from the next run on.
    Reconfigure(crate::config::Live),
    /// A user's crontab was installed (replacing any other).
    UserCrontab(Loaded),
    /// A user's crontab was removed.
    UserCrontabRemoved { uid: sched_spool::Uid },
    /// An owner or root acts on crontab lines or a pending job (`sched
    /// run`, `pause`, `resume`, `skip`); the reply says what was done, a
    /// line each.
    Control {
        request: ControlRequest,
        reply: oneshot::Sender<Result<Vec<String>, ControlError>>,
    },
    /// The entry controls as the spool holds them now (in a fleet, after
    /// another host changed them).
    Controls(Vec<sched_spool::EntryControl>),
    /// The per-line metrics series of the crontab lines `owner` may see
    /// (none unless schedd.conf's `metrics_entries` asks for them).
    EntrySeries {
        owner: Owner,
        reply: oneshot::Sender<Vec<crate::metrics::EntrySeries>>,
    },
    /// What `sched ls` shows of the scheduler's own state for `owner`:
    /// one round trip for both parts, since every hop between threads
    /// is part of the time the user waits for a listing.
    Listing {
        owner: Owner,
        reply: oneshot::Sender<ListingState>,
    },
    /// The crontab lines `owner` may see, for `sched status`.
    Status {
        owner: Owner,
        reply: oneshot::Sender<Vec<EntryView>>,
    },
    /// The next runs of crontab entries `owner` may see, at most `limit`.
    Upcoming {
        owner: Owner,
        limit: usize,
        per_entry: usize,
        reply: oneshot::Sender<Vec<UpcomingCron>>,
    },
}

/// A loaded crontab line as `sched status` judges it.
/// The scheduler's part of a `sched ls` reply.
#[derive(Debug, Clone, Default)]
pub struct ListingState {
    /// Whether due batch jobs wait for the load to fall: (load, limit).
    pub batch_hold: Option<(f64, f64)>,
    /// The crontab lines of the owner that are paused.
    pub paused: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EntryView {
    pub job: Arc<CronJob>,
    /// The next instant it is due.
    pub next: Option<Timestamp>,
    /// Who paused it and when.
    pub paused: Option<String>,
    /// Its occurrences are skipped on request up to this instant.
    pub skip_through: Option<Timestamp>,
    /// Its policy's dead-man grace and random delay.
    pub grace: Option<std::time::Duration>,
    pub jitter: std::time::Duration,
    /// Since when the line has been loaded as it is (a success is expected
    /// from its first occurrence after that, when the history has none).
    pub known_since: Timestamp,
}

/// How the history names an occurrence paused on request: the start of
/// its skipped reason.
pub const PAUSED_BY: &str = "paused by ";

/// How the history names an occurrence skipped on request (`sched skip`).
pub const SKIPPED_BY: &str = "skipped at the request of ";

/// Whether a skipped occurrence's reason says it was held back on request
/// (`sched pause`, `sched skip`), not by its policy.
pub fn held_on_request(reason: &str) -> bool {
    reason.starts_with(PAUSED_BY) || reason.starts_with(SKIPPED_BY)
}

/// A control request, as the scheduler carries it out.
#[derive(Debug)]
pub struct ControlRequest {
    /// Whose lines and jobs the caller may act on.
    pub owner: Owner,
    /// Who asks, as the history records it: `alice (uid 1000)`.
    pub by: String,
    pub action: sched_proto::ControlAction,
    pub target: ControlTarget,
}

/// What a control request acts on, resolved by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlTarget {
    /// The crontab line stored under this origin (`crontab of alice:3`,
    /// `/etc/cron.d/php:14`).
    Entry(String),
    Job(JobId),
    All,
}

/// Why a control request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlError {
    /// Nothing of the caller's has that name.
    NotFound(String),
    /// The request makes no sense for its target.
    Invalid(String),
    /// The spool refused to keep it: nothing changed.
    Failed(String),
}

/// An upcoming run of a crontab entry, as the scheduler will start it.
#[derive(Debug, Clone)]
pub struct UpcomingCron {
    /// When it starts (its instant, plus its random delay; or a retry's
    /// instant).
    pub start: Timestamp,
    /// The occurrence's instant.
    pub scheduled: Timestamp,
    /// 1 for the first run, more for a retry.
    pub attempt: u32,
    /// The entry's policy in words, when it is not cron's.
    pub policy: Option<String>,
    /// Why it will not run, when it is paused or skipped on request.
    pub held: Option<String>,
    pub job: Arc<CronJob>,
}

/// A loaded line of a system crontab, as the scheduler holds it.
#[derive(Debug, Clone)]
pub struct SystemRow {
    /// `FILE:LINE`.
    pub origin: String,
    pub user: String,
    pub zone: String,
    pub next: Option<Timestamp>,
    pub command: String,
}
