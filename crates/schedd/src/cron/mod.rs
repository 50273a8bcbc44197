//! Periodic jobs: crontab files read, checked and turned into entries the
//! planner can time.
//!
//! - `system` finds and opens /etc/crontab and /etc/cron.d/* safely;
//! - `table` holds the loaded entries and keeps unchanged ones across
//!   reloads;
//! - `environment` is what a cron job's environment is;
//! - `watch` notices changes to the system files;
//! - another cron daemon that would run them too is found by
//!   `system::neighbours`.
//!
//! Loading is blocking work (files, the password database, time zone
//! files) and runs on a blocking thread; the scheduler only applies the
//! result.

pub mod environment;
pub mod system;
pub mod table;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::tz::TimeZone;
use sched_cron::Zone;
use sched_cron::crontab::{self, Crontab, Format, LineError};

pub use table::{CronJob, CronTable, Resolved, RunAs, Source, SourceName};

/// A crontab parsed and resolved, ready for [`CronTable::replace`].
#[derive(Debug)]
pub struct Loaded {
    pub source: Source,
    pub name: SourceName,
    pub crontab: Crontab,
    pub entries: Vec<Resolved>,
}

/// Time zones by name, built once each (a [`Zone`] precomputes three
/// centuries of offset changes).
#[derive(Debug, Clone)]
pub struct Zones {
    default: Arc<Zone>,
    named: Arc<Mutex<HashMap<String, Arc<Zone>>>>,
}

impl Zones {
    /// `default` is the daemon's own zone, for entries with no CRON_TZ.
    pub fn new(default: TimeZone) -> Zones {
        Zones {
            default: Arc::new(Zone::new(default)),
            named: Arc::default(),
        }
    }

    pub fn default_zone(&self) -> Arc<Zone> {
        self.default.clone()
    }

    /// The zone `name` (an IANA name), or why there is none.
    pub fn get(&self, name: &str) -> Result<Arc<Zone>, String> {
        let mut named = self.named.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(zone) = named.get(name) {
            return Ok(zone.clone());
        }
        let tz = TimeZone::get(name).map_err(|e| format!("unknown time zone {name:?}: {e}"))?;
        let zone = Arc::new(Zone::new(tz));
        named.insert(name.to_owned(), zone.clone());
        Ok(zone)
    }
}

/// The zone of each entry of `crontab`, or a line error for an entry whose
/// CRON_TZ names no zone.
fn zone_of(
    crontab: &Crontab,
    entry: &crontab::Entry,
    zones: &Zones,
) -> Result<Arc<Zone>, LineError> {
    match crontab.cron_tz_of(entry) {
        None => Ok(zones.default_zone()),
        Some(var) => zones.get(&var.value).map_err(|message| LineError {
            line: entry.line,
            column: 1,
            message: format!("{message} (CRON_TZ set on line {})", var.line),
        }),
    }
}

/// Parses a user's crontab. Returns what loads and an error for each line
/// that does not.
pub fn load_user(uid: u32, name: &str, text: &str, zones: &Zones) -> (Loaded, Vec<LineError>) {
    let (crontab, mut errors) = crontab::parse_for(text, Format::User, uid);
    let user = RunAs {
        uid,
        name: name.into(),
    };
    let mut entries = Vec::with_capacity(crontab.entries.len());
    for (index, entry) in crontab.entries.iter().enumerate() {
        match zone_of(&crontab, entry, zones) {
            Ok(zone) => entries.push(Resolved {
                index,
                user: user.clone(),
                zone,
            }),
            Err(error) => errors.push(error),
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    let loaded = Loaded {
        source: Source::User(uid),
        name: SourceName(format!("crontab of {name}")),
        crontab,
        entries,
    };
    (loaded, errors)
}

/// Parses a system crontab whose lines may name any user (a daemon not run
/// by root: only its own user). Unknown users are line errors, as cronie
/// reports them.
pub fn load_system(
    file: &system::SystemFile,
    content: &[u8],
    daemon_uid: u32,
    zones: &Zones,
    users: &mut HashMap<String, Option<RunAs>>,
) -> (Loaded, Vec<LineError>) {
    let (crontab, mut errors) = crontab::parse_bytes(content, Format::System);
    let mut entries = Vec::with_capacity(crontab.entries.len());
    for (index, entry) in crontab.entries.iter().enumerate() {
        let name = entry.user.as_deref().unwrap_or_default();
        // One lookup and one shared name per user, not per line.
        if !users.contains_key(name) {
            let user = sched_runas::uid_of_name(name)
                .unwrap_or_else(|error| {
                    tracing::warn!("{error}");
                    None
                })
                .map(|uid| RunAs {
                    uid,
                    name: name.into(),
                });
            users.insert(name.to_owned(), user);
        }
        let error = |message: String| LineError {
            line: entry.line,
            column: 1,
            message,
        };
        let Some(user) = users.get(name).cloned().flatten() else {
            errors.push(error(format!("no such user {name:?}")));
            continue;
        };
        if daemon_uid != 0 && user.uid != daemon_uid {
            errors.push(error(format!(
                "runs as {name}, but this schedd runs as uid {daemon_uid} and runs only that user's jobs"
            )));
            continue;
        }
        match zone_of(&crontab, entry, zones) {
            Ok(zone) => entries.push(Resolved { index, user, zone }),
            Err(error) => errors.push(error),
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    let loaded = Loaded {
        source: Source::System(file.path.clone()),
        name: SourceName(file.path.display().to_string()),
        crontab,
        entries,
    };
    (loaded, errors)
}

/// What a reading of the system crontabs found besides the files'
/// entries (which go one file at a time, [`SystemPiece::File`]): the
/// sources there now, and what was refused.
#[derive(Debug, Default)]
pub struct SystemEnd {
    /// The sources read; a system source loaded before and not among them
    /// (removed, or refused: a file made writable by others must stop
    /// running at once) is dropped.
    pub present: Vec<Source>,
    pub refused: Vec<sched_proto::Refused>,
}

/// A reading of the system crontabs as it is handed over: each file once
/// parsed, then the end. A file at a time, so that a reading holds one
/// parsed file beside the loaded table, not all of them (100,000 parsed
/// lines are about 20 MB, the table that keeps them 10).
#[derive(Debug)]
pub enum SystemPiece {
    /// A file's entries; `applied` is sent once they are loaded, and the
    /// reading waits for it before handing over the next file.
    File {
        loaded: Loaded,
        applied: tokio::sync::oneshot::Sender<()>,
    },
    End(SystemEnd),
}

/// Reads and parses every system crontab, handing each file's entries to
/// `each` as it is parsed; refused files and bad lines are logged and
/// kept in the result (root sees them with `sched crontab --system`).
pub fn read_system(
    paths: &system::SystemPaths,
    daemon_uid: u32,
    zones: &Zones,
    mut each: impl FnMut(Loaded),
) -> SystemEnd {
    let mut users = HashMap::new();
    let mut end = SystemEnd::default();
    system::read_each(paths, daemon_uid, |file| {
        let name = file.path.display().to_string();
        match &file.content {
            Err(reason) => {
                tracing::error!("{name}: refused, its jobs are not loaded: {reason}");
                end.refused.push(sched_proto::Refused {
                    file: name,
                    line: None,
                    column: None,
                    reason: format!("refused, its jobs are not loaded: {reason}"),
                });
            }
            Ok(content) => {
                let (loaded, errors) = load_system(&file, content, daemon_uid, zones, &mut users);
                drop(file);
                for error in errors {
                    tracing::error!(
                        "{name}:{}:{}: {}; the line is skipped",
                        error.line,
                        error.column,
                        error.message
                    );
                    end.refused.push(sched_proto::Refused {
                        file: name.clone(),
                        line: u32::try_from(error.line).ok(),
                        column: u32::try_from(error.column).ok(),
                        reason: error.message,
                    });
                }
                end.present.push(loaded.source.clone());
                each(loaded);
            }
        }
    });
    end
}

/// [`read_system`] on the blocking pool, each file applied by `apply` (on
/// the caller's task) while the next is parsed; a file is handed over only
/// once the one before is applied, so that at most two parsed files exist
/// at a time. `Err` when the reading thread panicked.
pub async fn stream_system<Applied: Future<Output = ()>>(
    paths: &system::SystemPaths,
    daemon_uid: u32,
    zones: &Zones,
    mut apply: impl FnMut(Loaded) -> Applied,
) -> Result<SystemEnd, tokio::task::JoinError> {
    type Handover = (Loaded, tokio::sync::oneshot::Sender<()>);
    let (sender, mut parsed) = tokio::sync::mpsc::channel::<Handover>(1);
    let (paths, zones) = (paths.clone(), zones.clone());
    let reading = tokio::task::spawn_blocking(move || {
        let mut before_applied: Option<tokio::sync::oneshot::Receiver<()>> = None;
        read_system(&paths, daemon_uid, &zones, |loaded| {
            // An error is a receiver gone (the daemon stopping): nothing
            // waits for the rest.
            if let Some(applied) = before_applied.take() {
                let _ = applied.blocking_recv();
            }
            let (done, applied) = tokio::sync::oneshot::channel();
            if sender.blocking_send((loaded, done)).is_ok() {
                before_applied = Some(applied);
            }
        })
    });
    while let Some((loaded, done)) = parsed.recv().await {
        apply(loaded).await;
        let _ = done.send(());
    }
    reading.await
}
