//! Opening the spool: pragmas, the integrity check, the owner check and the
//! migrations. A database this code cannot vouch for is reported, never
//! repaired by recreating it.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{failed, is_busy, is_corrupt, is_full};
use crate::SpoolError;

/// Migrations in order; migration `i` takes the schema from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../../spool/0001_init.sql"),
    include_str!("../../../../spool/0002_crontabs.sql"),
    include_str!("../../../../spool/0003_runs_by_origin.sql"),
    include_str!("../../../../spool/0004_queues.sql"),
    include_str!("../../../../spool/0005_owner_names.sql"),
    include_str!("../../../../spool/0006_job_mail.sql"),
    include_str!("../../../../spool/0007_policies.sql"),
    include_str!("../../../../spool/0008_entry_controls.sql"),
];

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of a schedd spool ("SCHD"), so that a database
/// of another program is recognised and left alone.
pub(crate) const APPLICATION_ID: i64 = 0x5343_4844;

/// How long a write waits for a lock before the spool reports it locked.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open spool. Not `Sync`: one thread owns it.
#[derive(Debug)]
pub struct SqliteSpool {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// Finished runs kept per crontab entry ([`SqliteSpool::set_cron_runs_kept`]).
    pub(crate) cron_runs_kept: u32,
}

/// Finished runs kept per crontab entry unless set otherwise: a
/// `* * * * *` line would otherwise add 525,600 rows a year.
pub const DEFAULT_CRON_RUNS_KEPT: u32 = 100;

impl SqliteSpool {
    /// Opens the spool at `path`, creating it (mode 0600) only when no file
    /// is there. The directory must exist; its permissions are the caller's
    /// business.
    ///
    /// The connection holds an exclusive lock for its whole life, so a
    /// second daemon on the same spool is told at once that it is locked.
    pub fn open(path: &Path) -> Result<SqliteSpool, SpoolError> {
        let path = path.to_path_buf();
        let fail = |reason: String| SpoolError::Open {
            path: path.clone(),
            reason,
        };
        // Refusals are decided before anything is written: a damaged,
        // foreign, locked or too new spool is left as it was found.
        super::inspect::inspect(&path)?;
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::symlink_metadata(&path)
                    .map_err(|e| fail(e.to_string()))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(fail(format!(
                        "it is open to other users (mode {:o}): chmod 600 it",
                        mode & 0o777
                    )));
                }
            }
            Err(e) => return Err(fail(e.to_string())),
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| fail(e.to_string()))?;
        let mut spool = SqliteSpool {
            conn,
            path,
            cron_runs_kept: DEFAULT_CRON_RUNS_KEPT,
        };
        spool.configure()?;
        spool.migrate()?;
        Ok(spool)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Maps a SQLite error to the spool error that names the cause.
    pub(crate) fn error(&self, source: rusqlite::Error) -> SpoolError {
        Self::error_of(&self.path, source)
    }

    /// [`SqliteSpool::error`] for use while a transaction borrows the connection.
    pub(crate) fn error_of(path: &Path, source: rusqlite::Error) -> SpoolError {
        let path = path.to_path_buf();
        if is_full(&source) {
            SpoolError::Full { path }
        } else if is_busy(&source) {
            SpoolError::Locked { path, holder: None }
        } else if is_corrupt(&source) {
            SpoolError::Corrupt {
                path,
                detail: source.to_string(),
            }
        } else {
            failed(&path, &source)
        }
    }

    fn configure(&mut self) -> Result<(), SpoolError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.error(e))?;
        // Exclusive before WAL: in exclusive mode WAL keeps its index in
        // the process instead of a -shm file, and the lock is taken by the
        // first read below and held until the connection closes.
        self.conn
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| self.error(e))?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| self.error(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SpoolError::Open {
                path: self.path.clone(),
                reason: format!("cannot switch to WAL journaling (SQLite kept {mode:?})"),
            });
        }
        // FULL: the WAL is synced at every commit, so a reply to `sched`
        // means the job survives a power cut.
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.error(e))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), SpoolError> {
        let pragma = |conn: &Connection, name: &str| -> rusqlite::Result<i64> {
            conn.pragma_query_value(None, name, |row| row.get(0))
        };
        let version = pragma(&self.conn, "user_version").map_err(|e| self.error(e))?;
        let application = pragma(&self.conn, "application_id").map_err(|e| self.error(e))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|e| self.error(e))?;
        let fresh = version == 0 && application == 0 && tables == 0;
        if !fresh && application != APPLICATION_ID {
            return Err(SpoolError::Foreign {
                path: self.path.clone(),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(SpoolError::TooNew {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let target = index as i64 + 1;
            let path = self.path.clone();
            let tx = self
                .conn
                .transaction()
                .map_err(|source| failed(&path, &source))?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
                .and_then(|()| tx.pragma_update(None, "user_version", target))
                .and_then(|()| tx.commit())
                .map_err(|source| failed(&path, &source))?;
        }
        Ok(())
    }
}
