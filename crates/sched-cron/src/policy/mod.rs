//! What a job's owner may say about how it runs beyond its schedule:
//! a timeout, retries with backoff, what to do when a periodic entry's
//! run overlaps the previous one, what to do with occurrences missed while
//! the daemon was down, a random delay, and a starting deadline.
//!
//! This module is the grammar only: the values people write (in crontab
//! assignments such as `SCHED_TIMEOUT=10m`, in `sched at --timeout 10m`, in
//! schedd.conf) and the canonical text the spool keeps. What the policies
//! decide is in `sched-engine`.
//!
//! A [`PolicySpec`] holds what was written, each part optional; the daemon
//! lays it over its configured defaults ([`PolicySpec::over`]) to get the
//! [`Policy`] a run follows. Nothing here changes what a crontab means to
//! cron: every part defaults to cron's behaviour (no timeout, no retry,
//! overlapping runs allowed, no catch-up, no delay, no deadline).

use std::fmt;
use std::time::Duration;

/// The crontab assignments that set a policy, applying to the lines below
/// them as `CRON_TZ` does.
pub const VARIABLES: [&str; 10] = [
    "SCHED_TIMEOUT",
    "SCHED_KILL_GRACE",
    "SCHED_RETRY",
    "SCHED_RETRY_BACKOFF",
    "SCHED_RETRY_LOST",
    "SCHED_OVERLAP",
    "SCHED_CATCHUP",
    "SCHED_JITTER",
    "SCHED_DEADLINE",
    "SCHED_GRACE",
];

/// The longest duration any policy accepts: a year. Anything longer is a
/// typo, and every instant computed from it stays far inside jiff's range.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// The most retries a policy accepts (Kubernetes' backoffLimit default is 6).
pub const MAX_RETRIES: u32 = 100;

/// The most missed occurrences `SCHED_CATCHUP=all` runs after a downtime.
pub const MAX_CATCH_UP: u32 = 1000;

/// How many missed occurrences `SCHED_CATCHUP=all` runs when no limit is
/// written.
pub const DEFAULT_CATCH_UP_LIMIT: u32 = 100;

/// What happens to a periodic entry's occurrence while its previous run is
/// still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Overlap {
    /// Start it anyway, as cron does.
    #[default]
    Allow,
    /// Do not start it; the history records it as skipped (OpenBSD cron's
    /// `-s`, Kubernetes' Forbid).
    Skip,
    /// Start it when the running one ends; at most one waits.
    Queue,
    /// Stop the running one (SIGTERM, grace, SIGKILL), then start it.
    Replace,
}

/// What a daemon that was down does with the occurrences it missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CatchUp {
    /// Nothing, as cron (they are still recorded as missed).
    #[default]
    None,
    /// One run at start for all of them (systemd's Persistent=).
    Once,
    /// Each of them, oldest first, at most this many (the most recent).
    All(u32),
}

/// Exponential backoff between attempts: `first`, doubling, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

/// Kubernetes' backoff for failed Jobs: 10 s, doubling, capped at 6 min.
pub const DEFAULT_BACKOFF: Backoff = Backoff {
    first: Duration::from_secs(10),
    cap: Duration::from_secs(360),
};

/// The grace between SIGTERM and SIGKILL when a run is stopped by its
/// timeout or replaced (systemd's TimeoutStopSec is 90 s; a job is smaller).
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(10);

/// A policy as written: each part optional, laid over defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PolicySpec {
    /// `Some(None)`: "no timeout" written explicitly (`SCHED_TIMEOUT=none`).
    pub timeout: Option<Option<Duration>>,
    pub kill_grace: Option<Duration>,
    pub retries: Option<u32>,
    pub backoff: Option<Backoff>,
    pub retry_lost: Option<bool>,
    pub overlap: Option<Overlap>,
    pub catch_up: Option<CatchUp>,
    pub jitter: Option<Duration>,
    pub deadline: Option<Option<Duration>>,
    pub grace: Option<Duration>,
}

/// A policy in force: every part decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    /// A run still going this long after it started is stopped and
    /// recorded as timed out.
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL when a run is stopped.
    pub kill_grace: Duration,
    /// Attempts after the first when a run fails (non-zero exit, signal,
    /// timeout; a run that could not start at all is not retried).
    pub retries: u32,
    pub backoff: Backoff,
    /// A run lost because the daemon or host died counts as a failure to
    /// retry (at-least-once) instead of being left lost (at-most-once).
    pub retry_lost: bool,
    pub overlap: Overlap,
    pub catch_up: CatchUp,
    /// Each occurrence starts a deterministic random delay of up to this
    /// after its instant.
    pub jitter: Duration,
    /// An occurrence that cannot start within this of its instant is
    /// recorded as missed instead of started late.
    pub deadline: Option<Duration>,
    /// How long after an occurrence's instant its success may arrive
    /// before the entry counts as late (`sched status`, the dead-man
    /// alert); `None`: the smaller of the entry's period and an hour.
    pub grace: Option<Duration>,
}

impl Default for Policy {
    /// cron's and at's behaviour.
    fn default() -> Policy {
        Policy {
            timeout: None,
            kill_grace: DEFAULT_KILL_GRACE,
            retries: 0,
            backoff: DEFAULT_BACKOFF,
            retry_lost: false,
            overlap: Overlap::Allow,
            catch_up: CatchUp::None,
            jitter: Duration::ZERO,
            deadline: None,
            grace: None,
        }
    }
}

impl Policy {
    /// Whether this is cron's behaviour in every part.
    pub fn is_default(&self) -> bool {
        *self == Policy::default()
    }
}

/// A value that does not fit its setting: where in the value (0-based
/// character index) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub index: usize,
    pub message: String,
}

impl PolicySpec {
    /// The parts of `self` where written, `defaults` elsewhere.
    pub fn over(&self, defaults: &Policy) -> Policy {
        Policy {
            timeout: self.timeout.unwrap_or(defaults.timeout),
            kill_grace: self.kill_grace.unwrap_or(defaults.kill_grace),
            retries: self.retries.unwrap_or(defaults.retries),
            backoff: self.backoff.unwrap_or(defaults.backoff),
            retry_lost: self.retry_lost.unwrap_or(defaults.retry_lost),
            overlap: self.overlap.unwrap_or(defaults.overlap),
            catch_up: self.catch_up.unwrap_or(defaults.catch_up),
            jitter: self.jitter.unwrap_or(defaults.jitter),
            deadline: self.deadline.unwrap_or(defaults.deadline),
            grace: self.grace.or(defaults.grace),
        }
    }

    /// The parts written in `later` replace those of `self`.
    pub fn then(&self, later: &PolicySpec) -> PolicySpec {
        PolicySpec {
            timeout: later.timeout.or(self.timeout),
            kill_grace: later.kill_grace.or(self.kill_grace),
            retries: later.retries.or(self.retries),
            backoff: later.backoff.or(self.backoff),
            retry_lost: later.retry_lost.or(self.retry_lost),
            overlap: later.overlap.or(self.overlap),
            catch_up: later.catch_up.or(self.catch_up),
            jitter: later.jitter.or(self.jitter),
            deadline: later.deadline.or(self.deadline),
            grace: later.grace.or(self.grace),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PolicySpec::default()
    }

    /// Sets the part a crontab variable names (one of [`VARIABLES`]) from
    /// its value. `Ok(false)` when `name` is not a policy variable.
    pub fn assign(&mut self, name: &str, value: &str) -> Result<bool, PolicyError> {
        let Some(key) = name.strip_prefix("SCHED_") else {
            return Ok(false);
        };
        let key = key.to_ascii_lowercase().replace('_', "-");
        let key = match key.as_str() {
            "catchup" => "catch-up",
            "retry-backoff" => "backoff",
            other => other,
        };
        if !KEYS.contains(&key) {
            return Ok(false);
        }
        self.set(key, value)?;
        Ok(true)
    }

    /// Sets the part named `key` (as in the canonical text: `timeout`,
    /// `kill-grace`, `retry`, `backoff`, `retry-lost`, `overlap`,
    /// `catch-up`, `jitter`, `deadline`, `grace`) from `value`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), PolicyError> {
        match key {
            "timeout" => self.timeout = Some(optional_duration(value, "SCHED_TIMEOUT")?),
            "kill-grace" => self.kill_grace = Some(parse_duration(value)?),
            "retry" => self.retries = Some(parse_count(value, MAX_RETRIES, "retries")?),
            "backoff" => self.backoff = Some(parse_backoff(value)?),
            "retry-lost" => self.retry_lost = Some(parse_bool(value)?),
            "overlap" => self.overlap = Some(parse_overlap(value)?),
            "catch-up" => self.catch_up = Some(parse_catch_up(value)?),
            "jitter" => self.jitter = Some(parse_duration(value)?),
            "deadline" => self.deadline = Some(optional_duration(value, "SCHED_DEADLINE")?),
            "grace" => self.grace = Some(parse_duration(value)?),
            other => {
                return Err(PolicyError {
                    index: 0,
                    message: format!(
                        "unknown policy {other:?}: expected one of {}",
                        KEYS.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The canonical text of what was written, which [`PolicySpec::parse`]
    /// reads back: `key=value` words separated by spaces, durations in
    /// whole seconds (`timeout=600s retry=3 backoff=30s..600s`). Empty when
    /// nothing was written.
    pub fn to_text(&self) -> String {
        let mut words = Vec::new();
        let optional = |d: Option<Duration>| d.map_or_else(|| "none".to_owned(), seconds);
        if let Some(timeout) = self.timeout {
            words.push(format!("timeout={}", optional(timeout)));
        }
        if let Some(grace) = self.kill_grace {
            words.push(format!("kill-grace={}", seconds(grace)));
        }
        if let Some(retries) = self.retries {
            words.push(format!("retry={retries}"));
        }
        if let Some(backoff) = self.backoff {
            words.push(format!("backoff={backoff}"));
        }
        if let Some(lost) = self.retry_lost {
            words.push(format!("retry-lost={}", if lost { "yes" } else { "no" }));
        }
        if let Some(overlap) = self.overlap {
            words.push(format!("overlap={overlap}"));
        }
        if let Some(catch_up) = self.catch_up {
            words.push(format!("catch-up={catch_up}"));
        }
        if let Some(jitter) = self.jitter {
            words.push(format!("jitter={}", seconds(jitter)));
        }
        if let Some(deadline) = self.deadline {
            words.push(format!("deadline={}", optional(deadline)));
        }
        if let Some(grace) = self.grace {
            words.push(format!("grace={}", seconds(grace)));
        }
        words.join(" ")
    }

    /// Reads the text of [`PolicySpec::to_text`] (also what schedd.conf's
    /// `policy` setting holds).
    pub fn parse(text: &str) -> Result<PolicySpec, PolicyError> {
        let mut spec = PolicySpec::default();
        let mut offset = 0;
        for word in text.split(' ') {
            if !word.is_empty() {
                let Some((key, value)) = word.split_once('=') else {
                    return Err(PolicyError {
                        index: offset,
                        message: format!("expected key=value, found {word:?}"),
                    });
                };
                spec.set(key, value).map_err(|error| PolicyError {
                    index: offset + key.chars().count() + 1 + error.index,
                    message: error.message,
                })?;
            }
            offset += word.chars().count() + 1;
        }
        Ok(spec)
    }
}

/// The canonical keys, in the order of [`PolicySpec::to_text`].
const KEYS: [&str; 10] = [
    "timeout",
    "kill-grace",
    "retry",
    "backoff",
    "retry-lost",
    "overlap",
    "catch-up",
    "jitter",
    "deadline",
    "grace",
];

fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs())
}

/// Parses a duration: one or more `<number><unit>` with units `s`, `m`,
/// `h`, `d` (`90s`, `10m`, `1h30m`, `2d`), or a bare number of seconds.
/// Whole seconds only; at most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, PolicyError> {
    let expected = |index: usize, what: &str| PolicyError {
        index,
        message: format!(
            "{what}: expected a duration such as 90s, 10m, 1h30m or 2d (units s, m, h, d)"
        ),
    };
    if text.is_empty() {
        return Err(expected(0, "empty value"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(|| too_long(0));
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    let mut number_start = 0;
    for (index, c) in text.chars().enumerate() {
        if let Some(digit) = c.to_digit(10) {
            if number.is_none() {
                number_start = index;
            }
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(digit)))
                    .ok_or_else(|| too_long(number_start))?,
            );
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(expected(index, &format!("unexpected {c:?}"))),
        };
        let Some(value) = number.take() else {
            return Err(expected(index, &format!("no number before {c:?}")));
        };
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| too_long(number_start))?;
    }
    if number.is_some() {
        return Err(expected(
            number_start,
            "a number without a unit after another part",
        ));
    }
    let duration = Duration::from_secs(total);
    if duration > MAX_DURATION {
        return Err(too_long(0));
    }
    Ok(duration)
}

fn too_long(index: usize) -> PolicyError {
    PolicyError {
        index,
        message: "duration too long: at most 366d".to_owned(),
    }
}

/// A duration, or `none` (also `0`: no limit).
fn optional_duration(text: &str, name: &str) -> Result<Option<Duration>, PolicyError> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let duration = parse_duration(text).map_err(|error| PolicyError {
        index: error.index,
        message: format!("{} (or none) for {name}", error.message),
    })?;
    Ok((!duration.is_zero()).then_some(duration))
}

fn parse_count(text: &str, max: u32, what: &str) -> Result<u32, PolicyError> {
    match text.parse::<u32>() {
        Ok(count) if count <= max && !text.starts_with('+') => Ok(count),
        Ok(_) if !text.starts_with('+') => Err(PolicyError {
            index: 0,
            message: format!("at most {max} {what}"),
        }),
        _ => Err(PolicyError {
            index: text.chars().position(|c| !c.is_ascii_digit()).unwrap_or(0),
            message: format!("expected a number of {what} (0 to {max})"),
        }),
    }
}

/// `FIRST..CAP` (`30s..10m`), or a single duration for the first delay
/// with the default cap (or the first, if larger).
fn parse_backoff(text: &str) -> Result<Backoff, PolicyError> {
    let (first, cap) = match text.split_once("..") {
        Some((first, cap)) => {
            let first = parse_duration(first)?;
            let offset = text.find("..").unwrap_or(0) + 2;
            let cap = parse_duration(cap).map_err(|error| PolicyError {
                index: offset + error.index,
                message: error.message,
            })?;
            if cap < first {
                return Err(PolicyError {
                    index: offset,
                    message: "the cap after .. must not be shorter than the first delay".to_owned(),
                });
            }
            (first, cap)
        }
        None => {
            let first = parse_duration(text)?;
            (first, DEFAULT_BACKOFF.cap.max(first))
        }
    };
    if first.is_zero() {
        return Err(PolicyError {
            index: 0,
            message: "the first delay must be at least 1s".to_owned(),
        });
    }
    Ok(Backoff { first, cap })
}

fn parse_bool(text: &str) -> Result<bool, PolicyError> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(PolicyError {
            index: 0,
            message: format!("expected yes or no, found {text:?}"),
        }),
    }
}

fn parse_overlap(text: &str) -> Result<Overlap, PolicyError> {
    match text.to_ascii_lowercase().as_str() {
        "allow" => Ok(Overlap::Allow),
        "skip" | "forbid" => Ok(Overlap::Skip),
        "queue" => Ok(Overlap::Queue),
        "replace" => Ok(Overlap::Replace),
        _ => Err(PolicyError {
            index: 0,
            message: format!("expected allow, skip, queue or replace, found {text:?}"),
        }),
    }
}

/// `none`, `once`, `all` or `all:N`.
fn parse_catch_up(text: &str) -> Result<CatchUp, PolicyError> {
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "none" | "no" => return Ok(CatchUp::None),
        "once" => return Ok(CatchUp::Once),
        "all" => return Ok(CatchUp::All(DEFAULT_CATCH_UP_LIMIT)),
        _ => {}
    }
    if let Some(limit) = lower.strip_prefix("all:") {
        let limit =
            parse_count(limit, MAX_CATCH_UP, "occurrences").map_err(|error| PolicyError {
                index: 4 + error.index,
                message: error.message,
            })?;
        return Ok(CatchUp::All(limit));
    }
    Err(PolicyError {
        index: 0,
        message: format!("expected none, once, all or all:N, found {text:?}"),
    })
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Overlap::Allow => "allow",
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
            Overlap::Replace => "replace",
        })
    }
}

impl fmt::Display for CatchUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatchUp::None => f.write_str("none"),
            CatchUp::Once => f.write_str("once"),
            CatchUp::All(limit) => write!(f, "all:{limit}"),
        }
    }
}

impl fmt::Display for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", seconds(self.first), seconds(self.cap))
    }
}

/// A duration as people read it: `90s`, `10m`, `1h30m`, `2d`.
pub fn human(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

impl fmt::Display for Policy {
    /// One line: `timeout 10m (kill grace 10s), retry 3 (backoff 30s..10m),
    /// overlap skip, catch-up once, jitter 90s, deadline 5m`; parts at
    /// cron's behaviour are left out, and a policy that is all cron's
    /// reads `cron's (no timeout, no retry, overlap allowed, no catch-up)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(timeout) = self.timeout {
            parts.push(format!(
                "timeout {} (kill grace {})",
                human(timeout),
                human(self.kill_grace)
            ));
        }
        if self.retries > 0 {
            parts.push(format!(
                "retry {} (backoff {}..{})",
                self.retries,
                human(self.backoff.first),
                human(self.backoff.cap)
            ));
        }
        if self.retry_lost {
            parts.push("retry lost runs".to_owned());
        }
        if self.overlap != Overlap::Allow {
            parts.push(format!("overlap {}", self.overlap));
        }
        if self.catch_up != CatchUp::None {
            parts.push(format!("catch-up {}", self.catch_up));
        }
        if !self.jitter.is_zero() {
            parts.push(format!("jitter {}", human(self.jitter)));
        }
        if let Some(deadline) = self.deadline {
            parts.push(format!("deadline {}", human(deadline)));
        }
        if let Some(grace) = self.grace {
            parts.push(format!("grace {}", human(grace)));
        }
        if parts.is_empty() {
            f.write_str("cron's (no timeout, no retry, overlap allowed, no catch-up)")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests;
