//! The loaded crontab entries, by source, with the keys the planner knows
//! them by.
//!
//! Replacing a source's entries keeps the key of every entry whose meaning
//! did not change (same user, schedule, zone, command, standard input,
//! environment and flags), wherever it moved in the file, so that a reload
//! leaves its place in time alone: it is neither run twice nor skipped.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use sched_cron::crontab::{Crontab, Entry};
use sched_cron::{Schedule, Zone};

/// Where entries come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// /etc/crontab or a file of /etc/cron.d.
    System(PathBuf),
    /// The crontab `sched crontab` installed for this uid.
    User(u32),
}

/// Who an entry runs as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunAs {
    pub uid: u32,
    pub name: Arc<str>,
}

/// One loaded crontab line.
#[derive(Debug)]
pub struct CronJob {
    /// Where it is written, for logs and run records.
    pub source: Arc<SourceName>,
    pub line: u32,
    pub user: RunAs,
    pub schedule: Schedule,
    pub zone: Arc<Zone>,
    pub command: Box<str>,
    /// What cron writes to the job's standard input (`%` lines).
    pub stdin: Box<str>,
    /// The assignments of the file, shared by its entries; this entry sees
    /// the first `env_len`.
    env: Arc<[(String, String)]>,
    env_len: u32,
    pub mail_only_on_error: bool,
    fingerprint: u64,
}

/// A source as people read it: `/etc/cron.d/php`, `crontab of alice`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceName(pub String);

impl CronJob {
    /// The crontab's assignments in effect for this entry, in file order.
    pub fn env(&self) -> &[(String, String)] {
        &self.env[..self.env_len as usize]
    }

    /// `/etc/cron.d/php:14`, `crontab of alice:3`.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.source.0, self.line)
    }
}

/// Entry `index` of a parsed crontab, resolved and ready to be loaded.
#[derive(Debug)]
pub struct Resolved {
    pub index: usize,
    pub user: RunAs,
    pub zone: Arc<Zone>,
}

/// What a replacement changed, for the planner.
#[derive(Debug, Default)]
pub struct Changes {
    pub added: Vec<u64>,
    pub removed: Vec<u64>,
    pub kept: usize,
}

/// Every loaded entry.
#[derive(Debug, Default)]
pub struct CronTable {
    jobs: HashMap<u64, Arc<CronJob>>,
    sources: BTreeMap<Source, Vec<u64>>,
    next_key: u64,
}

impl CronTable {
    pub fn get(&self, key: u64) -> Option<&Arc<CronJob>> {
        self.jobs.get(&key)
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &Arc<CronJob>)> {
        self.jobs.iter().map(|(&key, job)| (key, job))
    }

    /// The sources loaded now.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.keys()
    }

    /// Replaces the entries of `source` with `entries` of `crontab` (none
    /// removes the source).
    pub fn replace(
        &mut self,
        source: Source,
        name: SourceName,
        crontab: &Crontab,
        entries: Vec<Resolved>,
    ) -> Changes {
        let old = self.sources.remove(&source).unwrap_or_default();
        let mut unclaimed: HashMap<u64, Vec<u64>> = HashMap::new();
        for key in old {
            if let Some(job) = self.jobs.get(&key) {
                unclaimed.entry(job.fingerprint).or_default().push(key);
            }
        }
        let env: Arc<[(String, String)]> = crontab
            .env
            .iter()
            .map(|var| (var.name.clone(), var.value.clone()))
            .collect();
        let name = Arc::new(name);
        let mut changes = Changes::default();
        let mut keys = Vec::with_capacity(entries.len());
        for resolved in entries {
            let entry = &crontab.entries[resolved.index];
            let env_len = crontab.env_of(entry).len() as u32;
            let fingerprint = fingerprint(entry, &resolved, &env[..env_len as usize]);
            let job = Arc::new(CronJob {
                source: name.clone(),
                line: entry.line as u32,
                user: resolved.user,
                schedule: entry.schedule.clone(),
                zone: resolved.zone,
                command: entry.command.as_str().into(),
                stdin: entry.stdin.as_str().into(),
                env: env.clone(),
                env_len,
                mail_only_on_error: entry.mail_only_on_error,
                fingerprint,
            });
            let reused = unclaimed.get_mut(&fingerprint).and_then(|keys| keys.pop());
            let key = match reused {
                Some(key) => {
                    changes.kept += 1;
                    key
                }
                None => {
                    self.next_key += 1;
                    changes.added.push(self.next_key);
                    self.next_key
                }
            };
            self.jobs.insert(key, job);
            keys.push(key);
        }
        for key in unclaimed.into_values().flatten() {
            self.jobs.remove(&key);
            changes.removed.push(key);
        }
        if !keys.is_empty() {
            self.sources.insert(source, keys);
        }
        changes
    }

    /// Removes every entry of `source`.
    pub fn remove_source(&mut self, source: &Source) -> Vec<u64> {
        let keys = self.sources.remove(source).unwrap_or_default();
        for key in &keys {
            self.jobs.remove(key);
        }
        keys
    }
}

/// What makes two entries the same job. SipHash with fixed keys over the
/// whole meaning: a collision between two different lines of one file is
/// as likely as guessing a 64-bit key.
fn fingerprint(entry: &Entry, resolved: &Resolved, env: &[(String, String)]) -> u64 {
    let mut hasher = DefaultHasher::new();
    entry.schedule.hash(&mut hasher);
    resolved.user.hash(&mut hasher);
    resolved.zone.time_zone().iana_name().hash(&mut hasher);
    entry.command.hash(&mut hasher);
    entry.stdin.hash(&mut hasher);
    entry.mail_only_on_error.hash(&mut hasher);
    env.hash(&mut hasher);
    hasher.finish()
}
