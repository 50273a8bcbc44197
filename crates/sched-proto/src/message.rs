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
    Logs { job: Option<u64>, limit: u32 },
    /// Test hooks of a daemon started with `--mock-clock`, accepted only from
    /// the uid that runs it; anyone else gets the reply to an unknown request.
    Mock(MockRequest),
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
    /// Wait until no run is in progress, at most `timeout_ms` milliseconds.
    Settle { timeout_ms: u64 },
}

/// A one-shot job as the client hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub kind: JobKind,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Response {
    Submitted { job: JobInfo, notices: Vec<String> },
    Jobs { jobs: Vec<JobInfo> },
    Removed { results: Vec<Removal> },
    Script { job: JobInfo, script: String },
    Runs { runs: Vec<RunInfo> },
    Clock { now: Timestamp },
    Settled { running: u32 },
    Error(ErrorReply),
}

/// A pending job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobInfo {
    pub id: u64,
    pub kind: JobKind,
    pub queue: char,
    pub owner_uid: u32,
    /// The owner's login name, or the uid in decimal when it has none.
    pub owner: String,
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub due: Timestamp,
    #[serde(with = "jiff::fmt::serde::timestamp::microsecond::required")]
    pub submitted: Timestamp,
    pub command: String,
    pub cwd: String,
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
}

/// One run of a job, running or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    pub id: u64,
    pub job: u64,
    pub kind: JobKind,
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
