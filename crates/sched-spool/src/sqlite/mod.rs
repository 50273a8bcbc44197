//! The SQLite backend, the embedded default: one database file in WAL
//! mode, held with an exclusive lock by one daemon.

mod controls;
mod crontabs;
mod inspect;
mod jobs;
mod open;
mod runs;
mod store;

pub use open::{DEFAULT_CRON_RUNS_KEPT, SCHEMA_VERSION, SqliteSpool};

use std::path::Path;

use crate::SpoolError;

/// True when SQLite says the disk (or the database's size limit) is full.
fn is_full(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DiskFull)
    )
}

/// True when SQLite says the database is held by someone else.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// True when SQLite says the file is not a database or is damaged.
fn is_corrupt(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// A SQLite error of the spool at `path` as the backend-neutral error
/// for what it does not say more precisely.
fn failed(path: &Path, source: &rusqlite::Error) -> SpoolError {
    SpoolError::Failed {
        path: path.to_path_buf(),
        detail: source.to_string(),
        transient: matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull)
        ),
    }
}

/// A uid is stored as the integer it is.
impl rusqlite::ToSql for crate::Uid {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(i64::from(self.0)))
    }
}
