//! Whole crontab files: user crontabs (five time fields and a command) and
//! system crontabs (/etc/crontab, /etc/cron.d/*: a user name before the
//! command), read as cronie reads them.
//!
//! A file is a sequence of lines: blank lines, comments (first non-blank
//! character `#`; there are no end-of-line comments), environment
//! assignments (see [`env`]) and job lines. An assignment applies to the
//! job lines after it; `CRON_TZ` among them sets the zone the job's
//! schedule runs in, and the `SCHED_*` variables of [`crate::policy`] its
//! policy (`RANDOM_DELAY`, cronie's random delay in minutes, applies to the
//! whole file as in cronie). A job line may begin with `-` (do not log the
//! run, as cronie) and its command with OpenBSD cron's flags: `-n` (mail
//! output only when the job fails; cronie 1.7 reads it too), `-q` (do not
//! log the run) and `-s` (a single instance: an occurrence due while the
//! previous run still runs is skipped). Bad lines are reported with line
//! and column and do not stop the rest of the file from loading.

mod env;
pub mod header;
mod percent;

use std::fmt;

pub use env::EnvVar;
pub use percent::{CommandText, split_command};

use crate::policy::{Overlap, PolicySpec};
use crate::schedule::{Schedule, Token, tokens};

/// Which crontab format a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A user's crontab: `m h dom mon dow command`.
    User,
    /// /etc/crontab and /etc/cron.d/*: `m h dom mon dow user command`.
    System,
}

/// A parsed crontab file.
#[derive(Debug, Clone, Default)]
pub struct Crontab {
    /// Every assignment, in file order.
    pub env: Vec<EnvVar>,
    /// Every valid job line, in file order.
    pub entries: Vec<Entry>,
    /// The policies its `SCHED_*` assignments and `RANDOM_DELAY` write.
    pub policies: Policies,
}

/// The policies a file's assignments write, by position: each entry's
/// policy is found from how many assignments precede it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    /// From the assignment that changed it on: (the number of assignments
    /// up to and including it, the policy from there).
    changes: Vec<(usize, PolicySpec)>,
    /// cronie's `RANDOM_DELAY` (its last valid value in the file), in
    /// minutes: the largest delay of every job of the file.
    random_delay: Option<u64>,
}

impl Policies {
    /// The policy of an entry that follows `env_count` assignments, with
    /// OpenBSD's `-s` when `single_instance`: the `SCHED_*` assignments
    /// above it, the file's `RANDOM_DELAY` (unless `SCHED_JITTER` says
    /// otherwise), and `-s` as overlap skip whatever `SCHED_OVERLAP` says.
    pub fn at(&self, env_count: usize, single_instance: bool) -> PolicySpec {
        let mut spec = self
            .changes
            .iter()
            .rev()
            .find(|(count, _)| *count <= env_count)
            .map(|(_, spec)| *spec)
            .unwrap_or_default();
        if spec.jitter.is_none()
            && let Some(minutes) = self.random_delay.filter(|&minutes| minutes > 0)
        {
            spec.jitter = Some(std::time::Duration::from_secs(minutes * 60));
        }
        if single_instance {
            spec.overlap = Some(Overlap::Skip);
        }
        spec
    }

    /// Whether no entry of the file has a policy of its own.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.random_delay.is_none_or(|minutes| minutes == 0)
    }
}

/// One job line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based line number.
    pub line: usize,
    pub schedule: Schedule,
    /// The user field of a system crontab.
    pub user: Option<String>,
    /// The command up to the first unescaped `%`, with `\%` unescaped.
    pub command: String,
    /// What cron writes to the job's standard input (empty for none).
    pub stdin: String,
    /// The line began with `-`: the run is not logged.
    pub no_log: bool,
    /// The command began with `-n `: mail output only when the job fails.
    pub mail_only_on_error: bool,
    /// OpenBSD's `-s`: a single instance runs at a time.
    pub single_instance: bool,
    /// How many of the file's assignments precede this line.
    env_count: usize,
}

/// A bad line: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct LineError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Entry {
    /// How many of the file's assignments precede this line.
    pub fn env_count(&self) -> usize {
        self.env_count
    }
}

impl Crontab {
    /// The assignments in effect for `entry`, in file order (a later one of
    /// the same name overrides an earlier one).
    pub fn env_of(&self, entry: &Entry) -> &[EnvVar] {
        &self.env[..entry.env_count]
    }

    /// The value of `name` in effect for `entry`, if assigned.
    pub fn var_of<'a>(&'a self, entry: &Entry, name: &str) -> Option<&'a EnvVar> {
        self.env_of(entry).iter().rev().find(|var| var.name == name)
    }

    /// The policy written for `entry`: the `SCHED_*` assignments above it,
    /// the file's `RANDOM_DELAY` (unless `SCHED_JITTER` says otherwise)
    /// and its `-s` flag (overlap skip, whatever `SCHED_OVERLAP` says).
    pub fn policy_of(&self, entry: &Entry) -> PolicySpec {
        self.policies.at(entry.env_count, entry.single_instance)
    }

    /// The `CRON_TZ` in effect for `entry`; an empty value means none.
    pub fn cron_tz_of<'a>(&'a self, entry: &Entry) -> Option<&'a EnvVar> {
        self.var_of(entry, "CRON_TZ")
            .filter(|var| !var.value.is_empty())
    }
}

/// Parses a crontab file. Returns the valid lines and an error for each
/// bad one.
pub fn parse(text: &str, format: Format) -> (Crontab, Vec<LineError>) {
    parse_for(text, format, 0)
}

/// Parses a crontab file whose `~` values are chosen for `owner` (a user
/// crontab's uid; 0 for system crontabs, whose lines name their user):
/// two users' identical lines get different values, the same user's line
/// always the same.
pub fn parse_for(text: &str, format: Format, owner: u32) -> (Crontab, Vec<LineError>) {
    let mut crontab = Crontab::default();
    let mut errors = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line_number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        // No command or variable can hold a NUL byte (cron's C strings end
        // there); the daemon also relies on its absence to store texts.
        if let Some(at) = line.find('\0') {
            errors.push(LineError {
                line: line_number,
                column: line[..at].chars().count() + 1,
                message: "NUL byte in the line; a command or variable cannot hold one".to_string(),
            });
            continue;
        }
        if let Some(var) = env::parse_env_line(line, line_number) {
            if let Some((index, message)) = header::header_problem(&var.name, &var.value) {
                let column = match index {
                    Some(index) => var.value_column + index,
                    None => line.len() - line.trim_start().len() + 1,
                };
                errors.push(LineError {
                    line: line_number,
                    column,
                    message,
                });
                continue;
            }
            let mut policy = crontab
                .policies
                .changes
                .last()
                .map(|(_, spec)| *spec)
                .unwrap_or_default();
            match policy.assign(&var.name, &var.value) {
                Ok(false) => {
                    if var.name == "RANDOM_DELAY" {
                        // cronie ignores a value that is not a number.
                        if let Ok(minutes) = var.value.trim().parse::<u64>() {
                            crontab.policies.random_delay = Some(minutes.min(MAX_RANDOM_DELAY));
                        }
                    }
                }
                Ok(true) => crontab
                    .policies
                    .changes
                    .push((crontab.env.len() + 1, policy)),
                Err(error) => {
                    errors.push(LineError {
                        line: line_number,
                        column: var.value_column + error.index,
                        message: format!("{}: {}", var.name, error.message),
                    });
                    continue;
                }
            }
            crontab.env.push(var);
            continue;
        }
        match parse_entry(line, format, u64::from(owner)) {
            Ok(mut entry) => {
                entry.line = line_number;
                entry.env_count = crontab.env.len();
                crontab.entries.push(entry);
            }
            Err((column, message)) => errors.push(LineError {
                line: line_number,
                column,
                message,
            }),
        }
    }
    (crontab, errors)
}

/// Parses raw bytes: a line that is not UTF-8 is reported and skipped.
pub fn parse_bytes(bytes: &[u8], format: Format) -> (Crontab, Vec<LineError>) {
    parse_bytes_for(bytes, format, 0)
}

/// [`parse_bytes`] with `~` values chosen for `owner` (see [`parse_for`]).
pub fn parse_bytes_for(bytes: &[u8], format: Format, owner: u32) -> (Crontab, Vec<LineError>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_for(text, format, owner),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len());
            let mut bad_lines = Vec::new();
            for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if index > 0 {
                    text.push('\n');
                }
                match std::str::from_utf8(line) {
                    Ok(line) => text.push_str(line),
                    Err(error) => bad_lines.push(LineError {
                        line: index + 1,
                        column: String::from_utf8_lossy(&line[..error.valid_up_to()])
                            .chars()
                            .count()
                            + 1,
                        message: "line is not valid UTF-8".to_string(),
                    }),
                }
            }
            let (crontab, mut errors) = parse_for(&text, format, owner);
            errors.extend(bad_lines);
            errors.sort_by_key(|e| (e.line, e.column));
            (crontab, errors)
        }
    }
}

/// The largest `RANDOM_DELAY` honoured, in minutes: a day (cronie takes
/// any number; a longer delay is a typo, not a spread).
const MAX_RANDOM_DELAY: u64 = 24 * 60;

type EntryError = (usize, String);

fn parse_entry(line: &str, format: Format, owner: u64) -> Result<Entry, EntryError> {
    let leading = line.len() - line.trim_start_matches([' ', '\t']).len();
    let (no_log, body_start) = match line[leading..].strip_prefix('-') {
        Some(_) => (true, leading + 1),
        None => (false, leading),
    };
    // Columns are counted from the start of the line.
    let offset_column = line[..body_start].chars().count();
    let body = &line[body_start..];
    let mut fields = tokens(body).map(|t| Token {
        text: t.text,
        column: t.column + offset_column,
    });
    let first = fields.next().ok_or_else(|| {
        (
            offset_column + 1,
            "expected a schedule after '-'".to_string(),
        )
    })?;
    let (schedule, last) = if first.text.starts_with('@') {
        let schedule = Schedule::from_macro(first).map_err(schedule_error)?;
        (schedule, first)
    } else {
        let mut five = [first; 5];
        for found in 1..5 {
            match fields.next() {
                Some(token) => five[found] = token,
                None => {
                    Schedule::check_partial(&five[..found]).map_err(schedule_error)?;
                    return Err((
                        line.chars().count() + 1,
                        format!(
                            "expected 5 time fields (minute hour day-of-month month day-of-week) and a command, found {found} field{}",
                            if found == 1 { "" } else { "s" }
                        ),
                    ));
                }
            }
        }
        // `~` values come from the line's owner and whole text.
        let seed = crate::random::SeedSource {
            salt: owner,
            text: body.trim(),
        };
        let schedule = Schedule::from_fields(five, seed).map_err(schedule_error)?;
        (schedule, five[4])
    };
    let mut rest_column = last.column + last.text.chars().count();
    let mut user = None;
    if format == Format::System {
        let Some(token) = fields.next() else {
            return Err((
                rest_column,
                "missing user name and command after the time fields".to_string(),
            ));
        };
        if !is_valid_user_name(token.text) {
            return Err((
                token.column,
                format!(
                    "invalid user name {:?}: a system crontab line needs the user to run as before the command",
                    token.text
                ),
            ));
        }
        user = Some(token.text.to_string());
        rest_column = token.column + token.text.chars().count();
    }
    // The command: everything after the blanks that follow the last field.
    let rest = skip_columns(line, rest_column - 1);
    let trimmed = rest.trim_start_matches([' ', '\t']);
    let mut command_column = rest_column + (rest.len() - trimmed.len());
    let mut command_text = trimmed;
    let mut mail_only_on_error = false;
    let mut single_instance = false;
    let mut quiet = false;
    // OpenBSD's flags, each a word of its own before the command.
    while let Some((flag, after)) = command_text
        .strip_prefix('-')
        .and_then(|rest| rest.split_at_checked(1))
        .filter(|(flag, after)| matches!(*flag, "n" | "q" | "s") && after.starts_with([' ', '\t']))
    {
        match flag {
            "n" => mail_only_on_error = true,
            "q" => quiet = true,
            _ => single_instance = true,
        }
        let after_blanks = after.trim_start_matches([' ', '\t']);
        command_column += command_text[..command_text.len() - after_blanks.len()]
            .chars()
            .count();
        command_text = after_blanks;
    }
    if command_text.trim().is_empty() {
        return Err((command_column, "missing command".to_string()));
    }
    // cronie checks this right after the time fields; in a system crontab
    // the user field comes first, and a `*` there is not a user name.
    if format == Format::User && command_text.starts_with('*') {
        return Err((
            command_column,
            "command starts with '*': cron has 5 time fields (minute hour day-of-month month day-of-week), not 6"
                .to_string(),
        ));
    }
    let CommandText { command, stdin } = split_command(command_text);
    Ok(Entry {
        line: 0,
        schedule,
        user,
        command,
        stdin,
        no_log: no_log || quiet,
        mail_only_on_error,
        single_instance,
        env_count: 0,
    })
}

fn schedule_error(error: crate::ScheduleError) -> EntryError {
    (error.column, error.to_string())
}

/// The text of `line` after its first `columns` characters.
fn skip_columns(line: &str, columns: usize) -> &str {
    match line.char_indices().nth(columns) {
        Some((index, _)) => &line[index..],
        None => "",
    }
}

/// A user name as the shadow tools accept it, plus `@` for the
/// `user@domain` names of SSSD and Active Directory.
fn is_valid_user_name(name: &str) -> bool {
    let name = name.strip_suffix('$').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 256
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@'))
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::User => "user crontab",
            Format::System => "system crontab",
        })
    }
}
