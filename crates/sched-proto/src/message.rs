//! Requests, replies and the records they carry.
//!
//! Instants in listings travel as integer microseconds since the Unix
//! epoch: a listing of 100,000 jobs encodes and decodes several times
//! faster than with RFC 3339 strings. Clients print them as they like.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Every message travels in an envelope that names the protocol version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<T> {
    pub version: u32,
    pub body: T,
}

impl<T> Envelope<T> {
    /// `body` in an envelope of the current [`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION).
    pub fn new(body: T) -> Self {
        Self {
            version: crate::PROTOCOL_VERSION,
            body,
        }
    }
}

/// What a client may ask. None of these names the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Queue a one-shot job.
    Submit(Submission),
    /// The caller's pending jobs; root sees everyone's.
    List,
    /// Remove pending jobs; each id gets its own outcome.
    Remove { ids: Vec<u64> },
    /// One pending job and the script it will run.
    Show { id: u64 },
    /// Finished and running runs, newest first: of one job, or of all the
    /// caller may see.
    Logs {
        job: Option<u64>,
        limit: u32,
        /// Only the runs of this crontab line: `FILE:LINE` of a system
        /// crontab, `crontab:LINE` of the caller's own crontab, or for
        /// root `crontab:USER:LINE`.
        #[serde(default)]
        line: Option<String>,
    },
    /// Read, install or remove a user's crontab.
    Crontab(CrontabRequest),
    /// The next runs of the caller's crontab entries and pending jobs, in
    /// time order (root: everyone's): `per_entry` instants of each crontab
    /// entry and each pending job's one, at most `limit` in all.
    Upcoming {
        limit: u32,
        #[serde(default = "one")]
        per_entry: u32,
    },
    /// Stop a running job: SIGTERM to its process group, then SIGKILL
    /// after `grace_ms` if it has not ended.
    Kill { target: RunTarget, grace_ms: u64 },
    /// The health of the caller's crontab lines and pending jobs (root:
    /// everyone's): `sched status`.
    Status,
    /// The daemon's metrics (`sched metrics`): every counter and gauge,
    /// and the per-line series of the caller's crontab lines (root:
    /// everyone's) when the daemon keeps them.
    Metrics {
        #[serde(default)]
        format: MetricsFormat,
    },
    /// Act on crontab lines or a pending job, as their owner or root:
    /// `sched run`, `pause`, `resume`, `skip`. Recorded in the run
    /// history with who asked.
    Control {
        action: ControlAction,
        target: ControlTarget,
    },
    /// Test hooks of a daemon started with `--mock-clock`, accepted only from
    /// the uid that runs it; anyone else gets the reply to an unknown request.
    Mock(MockRequest),
}

fn one() -> u32 {
    1
}

/// An exposition format of the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsFormat {
    /// OpenMetrics 1.0 text.
    #[default]
    Openmetrics,
    /// Prometheus text 0.0.4 (node_exporter's textfile collector,
    /// `promtool check metrics`).
    Prometheus,
}

/// What a control request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum ControlAction {
    /// Start now, outside the schedule: a manual run, under the entry's
    /// or job's policy.
    Run,
    /// Record each occurrence as skipped (paused) until resumed.
    Pause,
    /// Lift a pause, and skips still to come.
    Resume,
    /// Skip the next `count` occurrences.
    Skip { count: u32 },
}

/// What a control request acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case", deny_unknown_fields)]
pub enum ControlTarget {
    /// A crontab line, as listings name it: `crontab:LINE` (the caller's
    /// crontab), `crontab:USER:LINE` (root), `FILE:LINE` (a system
    /// crontab), or `crontab of USER:LINE`.
    Entry { name: String },
    /// Pending job `id`.
    Job { id: u64 },
    /// Every crontab line the caller may act on.
    All,
}

/// Which run a kill request stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case", deny_unknown_fields)]
pub enum RunTarget {
    /// The run in progress of one-shot job `id`.
    Job { id: u64 },
    /// Run `id` (a crontab line's run, as `sched ls` prints it: `r17`).
    Run { id: u64 },
}

/// A request about one user's crontab: the caller's, or for root the
/// named user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum CrontabRequest {
    /// The installed text.
    Get { user: Option<String> },
    /// Check `text` as a user crontab and install it in place of any other.
    Install { user: Option<String>, text: String },
    /// Remove the crontab.
    Remove { user: Option<String> },
    /// The system crontabs as loaded, and the lines and files refused
    /// (root only).
    System,
}

/// Drives the mock clock of a test daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum MockRequest {
    /// The daemon's current (mock) instant.
    Now,
    /// Move time to `to`, stopping at every due instant on the way so that
    /// each job starts exactly when it is due. Moving backwards is a clock
    /// step back, as `date -s` would make.
    Set { to: Timestamp },
    /// Set the wall clock to `to` with no time passing, as `date -s` or an
    /// NTP step does: the daemon sees a clock change.
    Step { to: Timestamp },
    /// Wait until no run is in progress, at most `timeout_ms` milliseconds.
    Settle { timeout_ms: u64 },
}

/// A one-shot job as the client hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub kind: JobKind,
    /// at(1)'s queue (`-q`): `a`-`z` or `A`-`Z`; `a` for at and `b` for
    /// batch when absent. An upper-case queue (and `b`) is a batch queue.
    #[serde(default)]
    pub queue: Option<char>,
    pub when: When,
    /// The submitter's zone (an IANA name or a POSIX TZ string), in which
    /// the time specification is read; the daemon's own zone when absent.
    pub tz: Option<String>,
    /// The shell text to run under /bin/sh.
    pub command: String,
    /// The submitter's environment, kept for the job as at(1) keeps it.
    pub env: Vec<(String, String)>,
    /// The submitter's working directory, entered as the owner before the
    /// command runs.
    pub cwd: String,
    pub umask: u32,
    /// When the job's output is mailed to its owner (at's `-m`, `-M`).
    #[serde(default)]
    pub mail: MailWhen,
    /// The job's policy (`timeout=600s retry=3`), in the words of
    /// schedd.conf's `policy`; empty for the daemon's defaults.
    #[serde(default)]
    pub policy: String,
    /// Run as the owner when the job finally fails, times out or is
    /// missed (`sched at --on-failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
}

/// When a one-shot job's output is mailed to its owner, as atd decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailWhen {
    /// When the job wrote anything (at's default).
    #[default]
    Output,
    /// Even when it wrote nothing (`at -m`).
    Always,
    /// Never (`at -M`).
    Never,
}

/// Whether `name` may name a job's environment variable:
/// `[A-Za-z_][A-Za-z0-9_]*`, a name the shell can export. The daemon refuses
/// other names; `sched` leaves them out of what it sends.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The two kinds of one-shot job: at(1)'s queue `a` and batch's queue `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Runs at its instant.
    At,
    /// Runs at its instant (now, unless given) once the load average is
    /// below the daemon's limit.
    Batch,
}

impl JobKind {
    /// at(1)'s queue letter for the kind.
    pub fn queue(self) -> char {
        match self {
            JobKind::At => 'a',
            JobKind::Batch => 'b',
        }
    }
}

/// When a submitted job is due, as the user wrote it; the daemon resolves it
/// against its own clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case", deny_unknown_fields)]
pub enum When {
    /// An at(1) time specification such as `now + 5 min`.
    Timespec { text: String },
    /// at's `-t [[CC]YY]MMDDhhmm[.ss]`.
    Posix { value: String },
    /// As soon as possible (batch's default).
    Now,
}

/// What the daemon answers.
///
/// Adjacently tagged (`{"type": "jobs", "data": {...}}`) rather than
/// internally: serde reads an internally tagged enum by first buffering the
/// whole body into a generic tree, which for a listing of 100,000 jobs cost
/// more than the rest of decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "data",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Response {
    Submitted {
        job: JobInfo,
        notices: Vec<String>,
    },
    Jobs {
        jobs: Vec<JobInfo>,
        /// Runs in progress the caller may see, oldest first.
        #[serde(default)]
        running: Vec<RunInfo>,
        /// The daemon's clock when it listed (how long each has run).
        #[serde(default)]
        now: Option<Timestamp>,
        /// Set when due batch jobs wait for the load to fall.
        #[serde(default)]
        batch_hold: Option<BatchHold>,
        /// The caller's crontab lines paused (`sched pause`), each as
        /// `LINE: paused by WHO at INSTANT`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        paused: Vec<String>,
    },
    Removed {
        results: Vec<Removal>,
    },
    Script {
        job: JobInfo,
        script: String,
    },
    Runs {
        runs: Vec<RunInfo>,
    },
    Clock {
        now: Timestamp,
    },
    /// A user's crontab; `text` is `None` when none is installed.
    Crontab {
        owner_uid: u32,
        owner: String,
        text: Option<String>,
    },
    /// A crontab was installed with this many job lines.
    CrontabInstalled {
        owner_uid: u32,
        owner: String,
        entries: u32,
    },
    /// `removed` is false when there was no crontab.
    CrontabRemoved {
        owner_uid: u32,
        owner: String,
        removed: bool,
    },
    Upcoming {
        runs: Vec<UpcomingRun>,
        /// Set when due batch jobs wait for the load to fall.
        #[serde(default)]
        batch_hold: Option<BatchHold>,
        /// The daemon's clock when it answered.
        #[serde(default)]
        now: Option<Timestamp>,
    },
    /// The system crontabs' entries as loaded, in file and line order, and
    /// what was refused.
    SystemCrontabs {
        entries: Vec<SystemEntry>,
        refused: Vec<Refused>,
    },
    Settled {
        running: u32,
    },
    /// The health of each crontab line and pending job, in name order.
    Status {
        entries: Vec<EntryStatus>,
        #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
        now: Timestamp,
    },
    /// The metrics' exposition, in the format asked for.
    Metrics {
        text: String,
    },
    /// What a control request did, a line for each entry or job.
    Controlled {
        done: Vec<String>,
    },
    /// The run was sent SIGTERM.
    Killed {
        run: u64,
        pid: u32,
    },
    Error(ErrorReply),
}

/// A pending job.
///
/// On the wire a job is an array, `[id, kind, owner_uid, owner, due,
/// submitted, command, cwd, queue]` (instants in microseconds), not an object: a
/// listing carries up to 100,000 of them, and reading the field names back
/// was a third of the time `sched ls` spent decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: u64,
    pub kind: JobKind,
    /// at(1)'s queue letter.
    pub queue: char,
    pub owner_uid: u32,
    /// The owner's login name, or the uid in decimal when it has none.
    pub owner: String,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: String,
    pub cwd: String,
}

/// A pending job borrowed from wherever it lives, for writing: the daemon
/// encodes listing rows straight from its spool rows with it.
#[derive(Debug, Clone, Copy)]
pub struct JobRef<'a> {
    pub id: u64,
    pub kind: JobKind,
    pub queue: char,
    pub owner_uid: u32,
    pub owner: &'a str,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: &'a str,
    pub cwd: &'a str,
}

impl Serialize for JobRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (
            self.id,
            self.kind,
            self.owner_uid,
            self.owner,
            self.due.as_microsecond(),
            self.submitted.as_microsecond(),
            self.command,
            self.cwd,
            self.queue,
        )
            .serialize(serializer)
    }
}

impl JobInfo {
    pub fn as_ref(&self) -> JobRef<'_> {
        JobRef {
            id: self.id,
            kind: self.kind,
            queue: self.queue,
            owner_uid: self.owner_uid,
            owner: &self.owner,
            due: self.due,
            submitted: self.submitted,
            command: &self.command,
            cwd: &self.cwd,
        }
    }
}

/// [`JobInfo`] as it is read.
#[derive(Deserialize)]
struct OwnedJobRow(u64, JobKind, u32, String, i64, i64, String, String, char);

impl Serialize for JobInfo {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JobInfo {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let OwnedJobRow(id, kind, owner_uid, owner, due, submitted, command, cwd, queue) =
            OwnedJobRow::deserialize(deserializer)?;
        let instant = |micros: i64| {
            Timestamp::from_microsecond(micros).map_err(|_| {
                serde::de::Error::custom(format_args!("instant out of range: {micros} µs"))
            })
        };
        Ok(JobInfo {
            id,
            kind,
            queue,
            owner_uid,
            owner,
            due: instant(due)?,
            submitted: instant(submitted)?,
            command,
            cwd,
        })
    }
}

/// The outcome of removing one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    pub id: u64,
    /// False when no pending job of the caller has that id: it never
    /// existed, already ran, or belongs to someone else (not told apart, so
    /// that other users' job ids stay private).
    pub removed: bool,
    /// Not removed because it is running now (`sched kill` stops it).
    #[serde(default)]
    pub running: bool,
}

/// The health of one crontab line or pending job (`sched status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryStatus {
    /// The crontab line (`crontab of alice:3`, `/etc/cron.d/php:14`), or
    /// `job 42`.
    pub name: String,
    pub kind: RunKind,
    /// The job's id; 0 for a crontab line.
    pub job: u64,
    pub owner_uid: u32,
    pub owner: String,
    pub command: String,
    /// The newest run or occurrence recorded: when it was due, and how it
    /// ended (or that it runs).
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::optional")]
    pub last_due: Option<Timestamp>,
    pub last_outcome: Option<Outcome>,
    /// When the newest successful run ended.
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::optional")]
    pub last_success: Option<Timestamp>,
    /// Runs that failed since the last success.
    pub failures: u32,
    /// Occurrences missed since the last success.
    pub missed: u32,
    /// The next instant it is due.
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::optional")]
    pub next: Option<Timestamp>,
    /// Who paused it and when.
    pub paused: Option<String>,
    /// Set when the success expected has not arrived in time: the instant
    /// of the occurrence it was expected from, and when it became late.
    pub late: Option<Late>,
    /// Neither failing (a failure since the last success) nor late.
    pub healthy: bool,
}

/// A success overdue (the dead-man rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Late {
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub expected: Timestamp,
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub since: Timestamp,
}

/// One run of a job, running or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    pub id: u64,
    /// The job's id; 0 for a run of a crontab entry.
    pub job: u64,
    pub kind: RunKind,
    /// The crontab line of a cron run.
    pub origin: Option<String>,
    pub owner_uid: u32,
    pub owner: String,
    pub command: String,
    /// The instant the job was due.
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub due: Timestamp,
    /// The instant the daemon started it.
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub started: Timestamp,
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::optional")]
    pub finished: Option<Timestamp>,
    pub pid: Option<u32>,
    pub outcome: Outcome,
    /// The start of the output (stdout and stderr interleaved as written).
    pub output_head: String,
    /// The end of the output when the middle was dropped; empty otherwise.
    pub output_tail: String,
    /// Total bytes the job wrote, kept or not.
    pub output_bytes: u64,
    /// What the daemon has to say about the run (why its output was not
    /// mailed, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// 1 for an occurrence's first run, 2 for its first retry, ...
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The host that ran it, when a fleet of hosts shares the spool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

fn first_attempt() -> u32 {
    1
}

/// What a run is a run of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    At,
    Batch,
    /// A line of a crontab.
    Cron,
}

impl From<JobKind> for RunKind {
    fn from(kind: JobKind) -> RunKind {
        match kind {
            JobKind::At => RunKind::At,
            JobKind::Batch => RunKind::Batch,
        }
    }
}

/// A run the daemon will start, if nothing changes before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpcomingRun {
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub due: Timestamp,
    pub kind: RunKind,
    /// The job's id; 0 for a crontab entry.
    pub job: u64,
    /// The crontab line of a crontab entry: `/etc/cron.d/php:14`,
    /// `crontab of alice:3`.
    pub origin: Option<String>,
    pub owner_uid: u32,
    pub owner: String,
    pub command: String,
    /// The occurrence's instant when the run starts later (its random
    /// delay, or a retry): `due` is then when it really starts.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "jiff::fmt::serde::timestamp::microsecond::optional"
    )]
    pub scheduled: Option<Timestamp>,
    /// What the run is: `retry 2 of 4`, when it is not the occurrence's
    /// first run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The entry's policy in words, when it is not cron's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Why it will not run, when its line is paused or this occurrence is
    /// skipped on request (`sched pause`, `sched skip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// Due batch jobs wait: the 1-minute load average is at or above the
/// daemon's limit. In hundredths, as the load is shown (2.31 is 231).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchHold {
    pub load_hundredths: u32,
    pub limit_hundredths: u32,
}

impl BatchHold {
    /// `waiting for the load: 2.31 >= limit 1.50`.
    pub fn describe(&self) -> String {
        format!(
            "waiting for the load: {}.{:02} >= limit {}.{:02}",
            self.load_hundredths / 100,
            self.load_hundredths % 100,
            self.limit_hundredths / 100,
            self.limit_hundredths % 100
        )
    }
}

/// A loaded line of a system crontab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemEntry {
    pub file: String,
    pub line: u32,
    pub user: String,
    /// The time fields as written (`0 4 * * *`, `@daily`).
    pub schedule: String,
    /// The zone it runs in (CRON_TZ, else the daemon's).
    pub zone: String,
    pub next: Option<Timestamp>,
    pub command: String,
}

/// A system crontab file, or one of its lines, that was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refused {
    pub file: String,
    /// The line; absent when the whole file was refused.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub reason: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Running,
    Exited {
        code: i32,
    },
    Signalled {
        signal: i32,
        name: String,
    },
    /// The job could not be started; the reason says why.
    Failed {
        reason: String,
    },
    /// The daemon stopped while the run was in progress and could not see
    /// it end.
    Lost,
    /// Stopped by its timeout at `stopped`; how the process then ended
    /// (an exit status, or the signal that ended it).
    TimedOut {
        #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
        stopped: Timestamp,
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// The occurrence was not started (overlap policy, pause).
    Skipped {
        reason: String,
    },
    /// The occurrence could not start: the daemon was down, or it was past
    /// its starting deadline.
    Missed {
        reason: String,
    },
    /// A retry dropped because the next occurrence came first.
    Superseded {
        reason: String,
    },
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub message: String,
    /// For a time specification error: the 1-based column it points at.
    pub column: Option<usize>,
}

/// The kinds of refusal, for clients that act on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not a message of this protocol.
    Malformed,
    /// The frame was larger than [`MAX_REQUEST`](crate::MAX_REQUEST).
    TooLarge,
    /// A request of a protocol version this daemon does not speak.
    Version,
    /// A request this daemon does not offer to this caller.
    UnknownRequest,
    /// A well-formed request with an unacceptable value.
    Invalid,
    /// A time specification that cannot be resolved.
    Timespec,
    /// No such job, or not the caller's.
    NotFound,
    /// The caller may not use the daemon (allow/deny lists, or a user
    /// daemon asked by another user).
    Denied,
    /// The daemon failed (its spool, usually); the request may be retried.
    Internal,
    /// The daemon is serving as many connections as it may (for all, or
    /// for this caller's uid); the request may be retried.
    Busy,
}

impl ErrorReply {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            column: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobInfo {
        JobInfo {
            id: 7,
            kind: JobKind::Batch,
            queue: 'B',
            owner_uid: 1000,
            owner: "ada".to_owned(),
            due: "2028-02-29T12:00:00.000001Z".parse().unwrap(),
            submitted: "2028-02-28T09:30:00Z".parse().unwrap(),
            command: "echo \"quoted\"\nsecond line".to_owned(),
            cwd: "/home/ada".to_owned(),
        }
    }

    #[test]
    fn a_listing_travels_as_arrays_in_an_adjacently_tagged_reply() {
        let reply = Response::Jobs {
            jobs: vec![job()],
            running: Vec::new(),
            now: None,
            batch_hold: None,
            paused: Vec::new(),
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            text,
            r#"{"type":"jobs","data":{"jobs":[[7,"batch",1000,"ada",1835438400000001,1835343000000000,"echo \"quoted\"\nsecond line","/home/ada","B"]],"running":[],"now":null,"batch_hold":null}}"#
        );
        let back: Response = serde_json::from_str(&text).unwrap();
        assert_eq!(back, reply);
    }

    #[test]
    fn a_job_row_with_an_impossible_instant_or_a_missing_field_is_an_error() {
        let too_late = r#"[1,"at",0,"root",999999999999999999,0,"true","/","a"]"#;
        let error = serde_json::from_str::<JobInfo>(too_late).unwrap_err();
        assert!(
            error.to_string().contains("instant out of range"),
            "{error}"
        );
        let short = r#"[1,"at",0,"root",0,0,"true"]"#;
        assert!(serde_json::from_str::<JobInfo>(short).is_err());
        let unknown_kind = r#"[1,"cron",0,"root",0,0,"true","/","a"]"#;
        assert!(serde_json::from_str::<JobInfo>(unknown_kind).is_err());
    }
}
