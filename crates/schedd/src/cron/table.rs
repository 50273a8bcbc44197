//! The loaded crontab entries, by source, and when each is next due.
//!
//! Replacing a source's entries keeps the key of every entry whose meaning
//! did not change (same user, schedule, zone, command, standard input,
//! environment and flags), wherever it moved in the file, so that a reload
//! leaves its place in time alone: it is neither run twice nor skipped.
//!
//! Memory is the design constraint: a server may carry 100,000 lines of
//! cron.d files, and cron keeps them in about 30 MB. An entry here is the
//! planner's 32-byte slot (schedule bitsets, next instant, zone index, heap
//! place), a 24-byte record of integers and 4 bytes in the heap; its
//! command and `%` text live in one string per source with no per-entry
//! allocation; users and zones are stored once. A [`CronJob`] with owned
//! strings is built only for an entry that runs or is listed.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use sched_cron::crontab::{Crontab, Policies};
use sched_cron::policy::PolicySpec;
use sched_cron::{Schedule, Zone};
use sched_engine::{Advance, Key, Planner, Reading};

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

/// A source as people read it: `/etc/cron.d/php`, `crontab of alice`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceName(pub String);

/// One crontab line, with owned text: built for an entry that runs or is
/// listed.
#[derive(Debug)]
pub struct CronJob {
    /// Where it is written, and the file's assignments.
    source: Arc<SourceText>,
    pub line: u32,
    pub user: RunAs,
    pub schedule: Schedule,
    pub zone: Arc<Zone>,
    pub command: Box<str>,
    /// What cron writes to the job's standard input (`%` lines).
    pub stdin: Box<str>,
    /// This entry sees the first `env_len` assignments of its file.
    env_len: u32,
    pub mail_only_on_error: bool,
    /// The line began with `-`: its runs are not logged (cronie).
    pub no_log: bool,
    /// Its policy as written (SCHED_* assignments, RANDOM_DELAY, `-s`),
    /// laid over the daemon's defaults when it runs.
    pub policy: PolicySpec,
}

impl CronJob {
    /// The crontab's assignments in effect for this entry, in file order.
    pub fn env(&self) -> &[(String, String)] {
        self.source
            .env
            .get(..self.env_len as usize)
            .unwrap_or(&self.source.env)
    }

    /// Whether it is a line of this host's own crontab files, which runs
    /// on this host only; a user's crontab is shared by a fleet.
    pub fn host_local(&self) -> bool {
        self.source.host_local
    }

    /// `/etc/cron.d/php`, `crontab of alice`.
    pub fn source_name(&self) -> &str {
        &self.source.name.0
    }

    /// `/etc/cron.d/php:14`, `crontab of alice:3`.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.source.name.0, self.line)
    }

    /// The entry's identity across edits and restarts, for what owners
    /// ask of it (`sched pause`, `sched skip`): its source and a fixed-key
    /// hash of its meaning (owner, schedule, zone, command, input), not
    /// its line number, so that a line moved by an edit keeps it, and a
    /// line whose meaning changed is another entry.
    pub fn identity(&self) -> String {
        let mut hasher =
            siphasher::sip::SipHasher24::new_with_keys(IDENTITY_KEYS.0, IDENTITY_KEYS.1);
        self.user.uid.hash(&mut hasher);
        self.schedule.hash(&mut hasher);
        self.zone
            .time_zone()
            .iana_name()
            .unwrap_or_default()
            .hash(&mut hasher);
        self.command.hash(&mut hasher);
        self.stdin.hash(&mut hasher);
        format!("{}#{:016x}", self.source.name.0, hasher.finish())
    }
}

/// The fixed keys of entry identities: an identity is kept in the spool,
/// so it must be the same on every daemon and after every restart. Not a
/// secret.
const IDENTITY_KEYS: (u64, u64) = (0x7363_6865_6464_2d69, 0x6465_6e74_6974_792d);

/// Entry `index` of a parsed crontab, resolved and ready to be loaded.
#[derive(Debug)]
pub struct Resolved {
    pub index: usize,
    pub user: RunAs,
    pub zone: Arc<Zone>,
}

/// What a replacement changed.
#[derive(Debug, Default)]
pub struct Changes {
    pub added: usize,
    pub removed: usize,
    pub kept: usize,
    /// The keys of the removed entries (what waits for them must go).
    pub removed_keys: Vec<Key>,
}

/// Every loaded entry, and the planner that times them.
#[derive(Debug)]
pub struct CronTable {
    planner: Planner,
    /// By key, the same keys as the planner's.
    entries: Vec<Stored>,
    free_keys: Vec<Key>,
    /// The id of each loaded source's text; its entries are found by
    /// scanning `entries` for the id (a reload of one file scans 24 bytes
    /// per entry, where a key list would hold 4 per entry for good).
    sources: BTreeMap<Source, u32>,
    /// The loaded sources' texts by id ([`Stored::source`]).
    texts: Vec<Option<Arc<SourceText>>>,
    free_ids: Vec<u32>,
    /// The distinct users entries run as.
    users: Vec<RunAs>,
    user_index: HashMap<RunAs, u32>,
    /// Seeds the fingerprints (random per daemon).
    fingerprints: foldhash::quality::RandomState,
}

/// What a source's entries share: its name, its assignments, and the
/// commands and `%` texts of all its entries, one after the other.
#[derive(Debug)]
struct SourceText {
    name: SourceName,
    /// A file of this host's (`/etc/crontab`, `/etc/cron.d`), not a
    /// user's crontab (which a fleet shares).
    host_local: bool,
    env: Vec<(String, String)>,
    text: String,
    /// The policies its assignments write, by position.
    policies: Policies,
}

/// One entry, as 24 bytes of integers: the rest is in the planner, the
/// source's text and the user table.
#[derive(Debug, Clone, Copy)]
struct Stored {
    /// Id of the source's text; [`FREE`] for a free key.
    source: u32,
    line: u32,
    user: u32,
    /// The command is `text[text_at..][..command_len]`; the `%` text
    /// follows it up to a NUL byte (a crontab line cannot hold one).
    text_at: u32,
    command_len: u32,
    /// How many of the file's assignments this entry sees (the low 29
    /// bits), and the flags (the high 3).
    env_len_and_flags: u32,
}

const FREE: u32 = u32::MAX;
const MAIL_ONLY_ON_ERROR: u32 = 1 << 31;
const NO_LOG: u32 = 1 << 30;
/// OpenBSD's `-s`: a single instance at a time.
const SINGLE_INSTANCE: u32 = 1 << 29;
const ENV_LEN: u32 = (1 << 29) - 1;

const FREE_ENTRY: Stored = Stored {
    source: FREE,
    line: 0,
    user: 0,
    text_at: 0,
    command_len: 0,
    env_len_and_flags: 0,
};

impl Stored {
    fn env_len(&self) -> usize {
        (self.env_len_and_flags & ENV_LEN) as usize
    }

    fn has(&self, flag: u32) -> bool {
        self.env_len_and_flags & flag != 0
    }
}

impl CronTable {
    /// An empty table whose last look at the clocks was `now`.
    pub fn new(now: Reading) -> CronTable {
        CronTable {
            planner: Planner::new(now),
            entries: Vec::new(),
            free_keys: Vec::new(),
            sources: BTreeMap::new(),
            texts: Vec::new(),
            free_ids: Vec::new(),
            users: Vec::new(),
            user_index: HashMap::new(),
            fingerprints: foldhash::quality::RandomState::default(),
        }
    }

    /// Entry `key` with owned text, if it is loaded.
    pub fn get(&self, key: Key) -> Option<Arc<CronJob>> {
        let stored = self
            .entries
            .get(key as usize)
            .filter(|s| s.source != FREE)?;
        let source = self.texts.get(stored.source as usize)?.as_ref()?;
        let (command, stdin) = split_text(source, stored);
        Some(Arc::new(CronJob {
            source: source.clone(),
            line: stored.line,
            user: self.users[stored.user as usize].clone(),
            schedule: self.planner.schedule(key)?.clone(),
            zone: self.planner.zone(key)?.clone(),
            command: command.into(),
            stdin: stdin.into(),
            env_len: stored.env_len() as u32,
            mail_only_on_error: stored.has(MAIL_ONLY_ON_ERROR),
            no_log: stored.has(NO_LOG),
            policy: source
                .policies
                .at(stored.env_len(), stored.has(SINGLE_INSTANCE)),
        }))
    }

    pub fn len(&self) -> usize {
        self.planner.len()
    }

    /// The keys of the loaded entries whose owner `keep` accepts.
    pub fn keys_of<F: Fn(&RunAs) -> bool>(
        &self,
        keep: F,
    ) -> impl Iterator<Item = Key> + use<'_, F> {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, stored)| {
                stored.source != FREE && keep(&self.users[stored.user as usize])
            })
            .map(|(key, _)| key as Key)
    }

    /// The keys of the `@reboot` entries.
    pub fn reboot_keys(&self) -> Vec<Key> {
        self.keys_of(|_| true)
            .filter(|&key| self.planner.schedule(key).is_some_and(Schedule::is_reboot))
            .collect()
    }

    /// When entry `key` is next due.
    pub fn next_of(&self, key: Key) -> Option<Timestamp> {
        self.planner.next_of(key)
    }

    /// The earliest instant an entry is due.
    pub fn next_wake(&self) -> Option<Timestamp> {
        self.planner.next_wake()
    }

    /// The earliest instant an entry is due and the entries due then,
    /// left due (see [`Planner::first_due`]).
    pub fn first_due(&self) -> Option<(Timestamp, Vec<Key>)> {
        self.planner.first_due()
    }

    /// The entries due at a wake-up, with cron's rules for clock changes.
    pub fn advance(&mut self, now: Reading) -> Advance {
        self.planner.advance(now)
    }

    /// The sources loaded now.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.keys()
    }

    /// Replaces the entries of `source` with `entries` of `crontab` (none
    /// removes the source); new entries are due from `now` on.
    pub fn replace(
        &mut self,
        source: Source,
        name: SourceName,
        crontab: &Crontab,
        entries: Vec<Resolved>,
        now: Timestamp,
    ) -> Changes {
        if entries.is_empty() {
            let removed_keys = self.remove_source(&source);
            return Changes {
                removed: removed_keys.len(),
                removed_keys,
                ..Changes::default()
            };
        }
        let old = self.sources.remove(&source);
        let old_keys = old.map(|id| self.keys_of_source(id)).unwrap_or_default();
        let mut unclaimed: HashMap<u64, Vec<Key>> = HashMap::new();
        for &key in &old_keys {
            if let Some(fingerprint) = self.fingerprint_of(key) {
                unclaimed.entry(fingerprint).or_default().push(key);
            }
        }
        let mut changes = Changes::default();
        let text_len: usize = entries
            .iter()
            .map(|r| {
                crontab.entries[r.index].command.len() + crontab.entries[r.index].stdin.len() + 1
            })
            .sum();
        let mut text = String::with_capacity(text_len);
        let env: Vec<(String, String)> = crontab
            .env
            .iter()
            .map(|var| (var.name.clone(), var.value.clone()))
            .collect();
        let id = match old {
            Some(id) => id,
            None => self.free_ids.pop().unwrap_or_else(|| {
                self.texts.push(None);
                (self.texts.len() - 1) as u32
            }),
        };
        let mut added = Vec::new();
        let new_keys = entries.len().saturating_sub(old_keys.len());
        self.planner.reserve(new_keys);
        self.entries
            .reserve_exact(new_keys.max(self.entries.len() / 8));
        for resolved in entries {
            let entry = &crontab.entries[resolved.index];
            let env_len = crontab.env_of(entry).len();
            let fingerprint = fingerprint(
                &self.fingerprints,
                &entry.schedule,
                &resolved.user,
                &resolved.zone,
                &entry.command,
                &entry.stdin,
                entry.mail_only_on_error,
                &env[..env_len],
                &crontab.policy_of(entry),
            );
            let text_at = text.len();
            text.push_str(&entry.command);
            text.push_str(&entry.stdin);
            text.push('\0');
            let flags = (u32::from(entry.mail_only_on_error) * MAIL_ONLY_ON_ERROR)
                | (u32::from(entry.no_log) * NO_LOG)
                | (u32::from(entry.single_instance) * SINGLE_INSTANCE);
            let stored = Stored {
                source: id,
                line: entry.line as u32,
                user: self.intern_user(resolved.user),
                text_at: text_at as u32,
                command_len: entry.command.len() as u32,
                env_len_and_flags: (env_len as u32).min(ENV_LEN) | flags,
            };
            let reused = unclaimed.get_mut(&fingerprint).and_then(|keys| keys.pop());
            let key = match reused {
                Some(key) => {
                    changes.kept += 1;
                    key
                }
                None => {
                    let key = self.allocate_key();
                    added.push((key, entry.schedule.clone(), resolved.zone));
                    key
                }
            };
            self.entries[key as usize] = stored;
        }
        let removed: Vec<Key> = unclaimed.into_values().flatten().collect();
        changes.removed = removed.len();
        changes.removed_keys = removed.clone();
        self.drop_keys(removed);
        changes.added = added.len();
        for (key, schedule, zone) in added {
            self.planner.insert(key, schedule, zone, now);
        }
        self.texts[id as usize] = Some(Arc::new(SourceText {
            name,
            host_local: matches!(source, Source::System(_)),
            env,
            text,
            policies: crontab.policies.clone(),
        }));
        self.sources.insert(source, id);
        changes
    }

    /// Removes every entry of `source`; returns their keys.
    pub fn remove_source(&mut self, source: &Source) -> Vec<Key> {
        let Some(id) = self.sources.remove(source) else {
            return Vec::new();
        };
        let keys = self.keys_of_source(id);
        self.drop_keys(keys.clone());
        self.texts[id as usize] = None;
        self.free_ids.push(id);
        keys
    }

    /// Whether entry `key` had an instant after `last` and up to `now`
    /// (one look at its schedule, without building the entry).
    pub fn missed_between(&self, key: Key, last: Timestamp, now: Timestamp) -> bool {
        match (self.planner.schedule(key), self.planner.zone(key)) {
            (Some(schedule), Some(zone)) if !schedule.is_reboot() => schedule
                .next_after(zone, last)
                .is_some_and(|next| next <= now),
            _ => false,
        }
    }

    fn keys_of_source(&self, id: u32) -> Vec<Key> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, stored)| stored.source == id)
            .map(|(key, _)| key as Key)
            .collect()
    }

    fn allocate_key(&mut self) -> Key {
        if let Some(key) = self.free_keys.pop() {
            return key;
        }
        self.entries.push(FREE_ENTRY);
        (self.entries.len() - 1) as Key
    }

    /// Frees `keys`, and gives back the room of free keys at the end.
    fn drop_keys(&mut self, keys: Vec<Key>) {
        for key in keys {
            self.planner.remove(key);
            self.entries[key as usize] = FREE_ENTRY;
            self.free_keys.push(key);
        }
        let used = self
            .entries
            .iter()
            .rposition(|stored| stored.source != FREE)
            .map_or(0, |last| last + 1);
        if used < self.entries.len() {
            self.entries.truncate(used);
            self.free_keys.retain(|&key| (key as usize) < used);
            if used < self.entries.capacity() / 2 {
                self.entries.shrink_to_fit();
                self.free_keys.shrink_to_fit();
            }
        }
    }

    fn intern_user(&mut self, user: RunAs) -> u32 {
        if let Some(&index) = self.user_index.get(&user) {
            return index;
        }
        self.users.push(user.clone());
        let index = (self.users.len() - 1) as u32;
        self.user_index.insert(user, index);
        index
    }

    /// The fingerprint of loaded entry `key`, for comparing it with a new
    /// line.
    fn fingerprint_of(&self, key: Key) -> Option<u64> {
        let stored = self.entries.get(key as usize)?;
        let source = self.texts.get(stored.source as usize)?.as_ref()?;
        let (command, stdin) = split_text(source, stored);
        Some(fingerprint(
            &self.fingerprints,
            self.planner.schedule(key)?,
            &self.users[stored.user as usize],
            self.planner.zone(key)?,
            command,
            stdin,
            stored.has(MAIL_ONLY_ON_ERROR),
            source.env.get(..stored.env_len()).unwrap_or_default(),
            &source
                .policies
                .at(stored.env_len(), stored.has(SINGLE_INSTANCE)),
        ))
    }
}

/// The command and `%` text of `stored` (empty if its offsets were cut
/// short, which only a source of more than 4 GiB of text could do).
fn split_text<'a>(source: &'a SourceText, stored: &Stored) -> (&'a str, &'a str) {
    let start = stored.text_at as usize;
    let command_end = start + stored.command_len as usize;
    let command = source.text.get(start..command_end).unwrap_or_default();
    let rest = source.text.get(command_end..).unwrap_or_default();
    let stdin = rest.split('\0').next().unwrap_or_default();
    (command, stdin)
}

/// What makes two entries the same job: a 64-bit hash of the whole
/// meaning, seeded at random per daemon, so that two different lines of one
/// file collide by chance only (2^-64), never by design. (foldhash, not
/// SipHash: loading 100,000 lines spent a tenth of its time hashing.)
#[allow(clippy::too_many_arguments)]
fn fingerprint(
    state: &foldhash::quality::RandomState,
    schedule: &Schedule,
    user: &RunAs,
    zone: &Zone,
    command: &str,
    stdin: &str,
    mail_only_on_error: bool,
    env: &[(String, String)],
    policy: &PolicySpec,
) -> u64 {
    let mut hasher = state.build_hasher();
    schedule.hash(&mut hasher);
    user.hash(&mut hasher);
    zone.time_zone().iana_name().hash(&mut hasher);
    command.hash(&mut hasher);
    stdin.hash(&mut hasher);
    mail_only_on_error.hash(&mut hasher);
    env.hash(&mut hasher);
    policy.hash(&mut hasher);
    hasher.finish()
}
