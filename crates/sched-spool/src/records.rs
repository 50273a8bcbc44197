//! The rows of the spool as Rust values.

use jiff::Timestamp;

use crate::{JobId, RunId, Uid};

/// Whose rows a query may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Everyone's (root, or the daemon itself).
    Any,
    /// Only this uid's, whatever account stored them.
    Uid(Uid),
    /// Only those of this uid stored by the account now named `name`: a
    /// uid given to a new account does not show it a deleted account's
    /// jobs and runs. A row without a name (its account unknown) is
    /// root's to see. `None`: the uid has no account, and sees nothing.
    Account { uid: Uid, name: Option<String> },
}

impl Owner {
    /// Whether a row stored for `uid` under `name` is visible.
    pub fn matches(&self, uid: Uid, name: Option<&str>) -> bool {
        match self {
            Owner::Any => true,
            Owner::Uid(own) => *own == uid,
            Owner::Account {
                uid: own,
                name: own_name,
            } => *own == uid && name.is_some() && name == own_name.as_deref(),
        }
    }

    /// The uid and name for a query's filter `(?uid IS NULL OR (owner_uid
    /// = ?uid AND (?any_name OR owner_name = ?name)))`: (uid, any name,
    /// name). A NULL name equals nothing.
    pub(crate) fn sql(&self) -> (Option<i64>, bool, Option<&str>) {
        match self {
            Owner::Any => (None, true, None),
            Owner::Uid(uid) => (Some(i64::from(uid.0)), true, None),
            Owner::Account { uid, name } => (Some(i64::from(uid.0)), false, name.as_deref()),
        }
    }
}

/// The SQL condition of [`Owner::sql`], over parameters `?1`, `?2`, `?3`
/// plus `offset`.
pub(crate) fn owner_condition(offset: usize) -> String {
    let (uid, any, name) = (offset + 1, offset + 2, offset + 3);
    format!("(?{uid} IS NULL OR (owner_uid = ?{uid} AND (?{any} OR owner_name = ?{name})))")
}

/// The kinds of one-shot job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    At,
    Batch,
}

impl JobKind {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            JobKind::At => "at",
            JobKind::Batch => "batch",
        }
    }

    pub(crate) fn from_sql(text: &str) -> Option<Self> {
        match text {
            "at" => Some(JobKind::At),
            "batch" => Some(JobKind::Batch),
            _ => None,
        }
    }
}

/// When a one-shot job's output is mailed to its owner (at's `-m`, `-M`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mail {
    /// When the job wrote anything.
    #[default]
    Output,
    /// Even when it wrote nothing.
    Always,
    Never,
}

impl Mail {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Mail::Output => "output",
            Mail::Always => "always",
            Mail::Never => "never",
        }
    }

    pub(crate) fn from_sql(text: &str) -> Option<Self> {
        match text {
            "output" => Some(Mail::Output),
            "always" => Some(Mail::Always),
            "never" => Some(Mail::Never),
            _ => None,
        }
    }
}

/// What a run was a run of: a one-shot job, or a crontab line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunKind {
    At,
    Batch,
    Cron,
}

impl RunKind {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            RunKind::At => "at",
            RunKind::Batch => "batch",
            RunKind::Cron => "cron",
        }
    }

    pub(crate) fn from_sql(text: &str) -> Option<Self> {
        match text {
            "at" => Some(RunKind::At),
            "batch" => Some(RunKind::Batch),
            "cron" => Some(RunKind::Cron),
            _ => None,
        }
    }
}

impl From<JobKind> for RunKind {
    fn from(kind: JobKind) -> RunKind {
        match kind {
            JobKind::At => RunKind::At,
            JobKind::Batch => RunKind::Batch,
        }
    }
}

/// A run of a crontab line about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronRun {
    pub owner_uid: Uid,
    /// The owner's account name (see [`NewJob::owner_name`]).
    pub owner_name: Option<String>,
    pub command: String,
    /// The crontab line: `/etc/cron.d/php:14`, `crontab of alice:3`.
    pub origin: String,
    /// The occurrence's instant (a retry keeps the instant of the
    /// occurrence it retries).
    pub due: Timestamp,
    /// 1 for the occurrence's first run, 2 for its first retry, ...
    pub attempt: u32,
    /// A line of this host's own crontabs (`/etc/crontab`, `/etc/cron.d`),
    /// which no other host runs; a user's crontab is the fleet's.
    pub host_local: bool,
}

/// An occurrence that did not run, recorded in the history: skipped by
/// its overlap policy, missed while the daemon was down or past its
/// deadline, or a retry superseded by the next occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: RunKind,
    /// The one-shot job's id; `None` for a crontab line.
    pub job_id: Option<JobId>,
    pub owner_uid: Uid,
    pub owner_name: Option<String>,
    pub command: String,
    /// The crontab line, for a cron occurrence.
    pub origin: Option<String>,
    /// The occurrence's instant.
    pub due: Timestamp,
    pub attempt: u32,
    /// When the daemon decided.
    pub at: Timestamp,
    /// See [`CronRun::host_local`].
    pub host_local: bool,
    /// [`Outcome::Skipped`], [`Outcome::Missed`] or [`Outcome::Superseded`].
    pub outcome: Outcome,
}

/// A retry of a crontab line waiting for its instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronRetry {
    /// The line, `FILE:LINE`, and its command: a retry whose line changed
    /// is dropped.
    pub origin: String,
    pub command: String,
    pub owner_uid: Uid,
    /// The occurrence it retries.
    pub scheduled: Timestamp,
    /// The attempt it will be (2 or more).
    pub attempt: u32,
    /// When it starts.
    pub at: Timestamp,
}

/// A job to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: JobKind,
    /// at(1)'s queue letter: `a`-`z` or `A`-`Z`.
    pub queue: char,
    pub owner_uid: Uid,
    pub owner_gid: u32,
    /// The owner's account name when the job was submitted; the job runs
    /// only while `owner_uid` still has this name. `None` for a job stored
    /// before names were kept, or for a uid that had no account.
    pub owner_name: Option<String>,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: String,
    pub cwd: String,
    pub umask: u32,
    /// Names and values; a name never contains `=` or NUL and a value never
    /// contains NUL (the daemon checks before it gets here).
    pub env: Vec<(String, String)>,
    /// When its output is mailed to the owner.
    pub mail: Mail,
    /// Its policy as written, in the canonical text of
    /// `sched_cron::policy::PolicySpec` (empty: the daemon's defaults).
    /// The spool keeps it; it does not read it.
    pub policy: String,
    /// The attempt it is pending for: 1, or more for a retry.
    pub attempt: u32,
    /// For a retry, the instant the job was first due (`due` is then when
    /// the retry starts).
    pub scheduled: Option<Timestamp>,
}

impl NewJob {
    /// The instant the job's occurrence was due: its first instant, even
    /// for a retry.
    pub fn scheduled(&self) -> Timestamp {
        self.scheduled.unwrap_or(self.due)
    }
}

/// A pending job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: JobId,
    pub job: NewJob,
}

impl JobRecord {
    /// The job pending again for attempt `attempt`, starting at `at`; it
    /// keeps the instant it was first due.
    pub fn retry(&self, attempt: u32, at: Timestamp) -> JobRecord {
        JobRecord {
            id: self.id,
            job: NewJob {
                attempt,
                scheduled: Some(self.job.scheduled()),
                due: at,
                ..self.job.clone()
            },
        }
    }
}

/// A pending job as [`Store::for_each_pending`](crate::Store::for_each_pending)
/// hands it over, borrowed from the row being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingJob<'a> {
    pub id: JobId,
    pub kind: JobKind,
    pub queue: char,
    pub owner_uid: Uid,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: &'a str,
    pub cwd: &'a str,
    /// The attempt it is pending for (more than 1 for a retry).
    pub attempt: u32,
    /// For a retry, the instant the job was first due.
    pub scheduled: Option<Timestamp>,
}

/// How a run ended, or that it has not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Exited(i32),
    Signalled(i32),
    Failed(String),
    Lost,
    /// Stopped by its timeout at `stopped` (SIGTERM, then SIGKILL after
    /// the grace); how the process ended.
    TimedOut {
        stopped: Timestamp,
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// An occurrence not started, and why (overlap, pause).
    Skipped(String),
    /// An occurrence that could not start: the daemon was down, or it was
    /// past its starting deadline.
    Missed(String),
    /// A retry dropped because the next occurrence came first.
    Superseded(String),
}

impl Outcome {
    /// Whether the run succeeded (exit status 0).
    pub fn succeeded(&self) -> bool {
        matches!(self, Outcome::Exited(0))
    }
}

/// A run's kept output: the head, the tail when the middle was dropped, and
/// the total written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    pub total_bytes: u64,
}

/// How one run ended, as [`Store::finish_runs`](crate::Store::finish_runs)
/// records it with others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnd {
    pub run: RunId,
    pub finished: Timestamp,
    pub outcome: Outcome,
    pub output: Output,
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: RunId,
    /// The one-shot job's id; `None` for a cron run.
    pub job_id: Option<JobId>,
    pub kind: RunKind,
    /// The crontab line of a cron run.
    pub origin: Option<String>,
    pub owner_uid: Uid,
    pub command: String,
    pub due: Timestamp,
    pub started: Timestamp,
    pub finished: Option<Timestamp>,
    pub pid: Option<u32>,
    pub outcome: Outcome,
    /// 1 for an occurrence's first run, 2 for its first retry, ...
    pub attempt: u32,
    pub output: Output,
    /// What the daemon has to say about a run that ran (why its output
    /// was not mailed, say); a failed run's reason is in its outcome.
    pub note: Option<String>,
    /// The host that ran it, in a spool shared by a fleet (`None` in a
    /// host's own spool).
    pub host: Option<String>,
}

/// An id as SQLite stores it. Ids are positive `i64`s; one beyond that range
/// maps to -1, which names no row.
pub(crate) fn sql_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(-1)
}

/// Microseconds since the epoch, the spool's instant format.
pub(crate) fn to_micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// The instant stored as microseconds, if it is in jiff's range.
pub(crate) fn from_micros(micros: i64) -> Option<Timestamp> {
    Timestamp::from_microsecond(micros).ok()
}

/// `NAME=VALUE\0` pairs, the spool's environment format.
pub(crate) fn encode_env(env: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in env {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

/// The pairs of [`encode_env`], or `None` if the bytes are not of that form.
pub(crate) fn decode_env(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let mut env = Vec::new();
    let Some(body) = bytes.strip_suffix(&[0]) else {
        return bytes.is_empty().then_some(env);
    };
    for pair in body.split(|&b| b == 0) {
        let text = std::str::from_utf8(pair).ok()?;
        let (name, value) = text.split_once('=')?;
        env.push((name.to_owned(), value.to_owned()));
    }
    Some(env)
}

/// A user's installed crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCrontab {
    pub owner_uid: Uid,
    /// The owner's account name when it was installed (see
    /// [`NewJob::owner_name`]).
    pub owner_name: Option<String>,
    pub text: String,
    pub installed: Timestamp,
}

/// What became of a crontab installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrontabInstall {
    Installed,
    /// Not installed: the uid's crontab was stored under this other
    /// account name (`None`: an account whose name was never known), a
    /// former holder of the uid.
    HeldBy(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_round_trip_including_empty_values_and_equals_signs() {
        for env in [
            vec![],
            vec![("A".to_owned(), String::new())],
            vec![
                ("PATH".to_owned(), "/bin:/usr/bin".to_owned()),
                ("X".to_owned(), "a=b=c".to_owned()),
            ],
        ] {
            assert_eq!(decode_env(&encode_env(&env)), Some(env));
        }
        assert_eq!(decode_env(b"NOEQUALS\0"), None);
        assert_eq!(decode_env(b"A=1"), None);
    }
}

/// What an owner or root asked of one crontab entry, kept across
/// restarts: paused (each occurrence is recorded skipped until it is
/// resumed), or its next occurrences skipped (`sched skip -n N`, kept as
/// the instant of the Nth, so that every host of a fleet skips the same
/// ones and a restart neither forgets nor repeats the count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryControl {
    /// The entry's identity: its source and a hash of its meaning (owner,
    /// schedule, zone, command, input), never its line number, so that a
    /// line moved by an edit keeps what was asked of it.
    pub entry: String,
    /// The line as it was last named (`crontab of alice:3`,
    /// `/etc/cron.d/php:14`), for messages.
    pub origin: String,
    pub owner_uid: Uid,
    /// A line of a host's own crontab files: a fleet keeps it per host.
    pub host_local: bool,
    /// Paused, by whom and since when.
    pub paused: Option<ControlMark>,
    /// Occurrences due up to this instant (included) are skipped; who
    /// asked, and when.
    pub skip_through: Option<(Timestamp, ControlMark)>,
}

impl EntryControl {
    /// Nothing is asked any more: the row goes.
    pub fn is_empty(&self) -> bool {
        self.paused.is_none() && self.skip_through.is_none()
    }
}

/// Who asked for a control (`alice`, `root`), and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlMark {
    pub by: String,
    pub at: Timestamp,
}

/// How many of a crontab line's newest runs [`EntryHealth`] looks at, at
/// most: its failures are counted back to its last success within them.
pub const HEALTH_DEPTH: u32 = 200;

/// What the history says of one crontab line's health (`sched status`,
/// the dead-man alert): its newest run, its last success, and what went
/// wrong since. Runs carry no output here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryHealth {
    /// The newest run or occurrence recorded (one in progress included).
    pub last: Option<RunRecord>,
    /// The newest successful run (exit status 0).
    pub last_success: Option<RunRecord>,
    /// Runs since the last success that failed: a non-zero exit, a
    /// signal, a failure to start, lost, timed out.
    pub failures: u32,
    /// Occurrences since the last success that were missed (the daemon
    /// was down, or past their starting deadline).
    pub missed: u32,
    /// The instant of the oldest occurrence looked at, when no success was
    /// found: how long the line has gone without one, as far as the kept
    /// history tells.
    pub oldest_due: Option<Timestamp>,
}

impl EntryHealth {
    /// The health told by `runs`, newest first (at most [`HEALTH_DEPTH`]).
    pub fn from_newest_first(runs: impl IntoIterator<Item = RunRecord>) -> EntryHealth {
        let mut health = EntryHealth::default();
        for run in runs {
            if health.last.is_none() {
                health.last = Some(run.clone());
            }
            match &run.outcome {
                outcome if outcome.succeeded() => {
                    health.last_success = Some(run);
                    health.oldest_due = None;
                    return health;
                }
                Outcome::Exited(_)
                | Outcome::Signalled(_)
                | Outcome::Failed(_)
                | Outcome::Lost
                | Outcome::TimedOut { .. } => health.failures += 1,
                Outcome::Missed(_) => health.missed += 1,
                Outcome::Running | Outcome::Skipped(_) | Outcome::Superseded(_) => {}
            }
            health.oldest_due = Some(run.due);
        }
        health
    }
}
