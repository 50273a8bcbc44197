//! Spool errors, each naming the database file.

use std::path::PathBuf;

/// Why the spool failed. "Not found" is not an error: lookups return
/// `Option` or `bool`.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("cannot open spool {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "spool {path} is corrupt: {detail}; it was left untouched: restore it from a backup or move it away"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("spool {path} is locked by another process{}: is another schedd using it? it was left untouched", holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    Locked { path: PathBuf, holder: Option<i32> },
    #[error(
        "spool {path} is not a schedd spool (another program's database); it was left untouched"
    )]
    Foreign { path: PathBuf },
    #[error(
        "spool {path} is not an SQLite database; it was left untouched: move it away or choose another --spool"
    )]
    NotDatabase { path: PathBuf },
    #[error(
        "spool {path} has schema {found}, newer than this schedd's {known}: run a newer schedd"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "spool {path}: its filesystem is full, so nothing was written: free some space and retry"
    )]
    Full { path: PathBuf },
    #[error("spool {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("spool {path}: row {id} of {table} is invalid: {detail}")]
    BadRow {
        path: PathBuf,
        table: &'static str,
        id: i64,
        detail: String,
    },
}

impl SpoolError {
    /// Whether the same call may succeed later with nothing changed but
    /// time: the disk was full, the database locked, or an I/O failed.
    pub fn is_transient(&self) -> bool {
        match self {
            SpoolError::Full { .. } | SpoolError::Locked { .. } => true,
            SpoolError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull)
            ),
            _ => false,
        }
    }
}

/// True when SQLite says the disk (or the database's size limit) is full.
pub(crate) fn is_full(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DiskFull)
    )
}

/// True when SQLite says the database is held by someone else.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// True when SQLite says the file is not a database or is damaged.
pub(crate) fn is_corrupt(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}
