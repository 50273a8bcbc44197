//! Spool errors, each naming the spool. No backend's own error type
//! appears here: callers decide on the kind (locked, full, transient,
//! not found), whatever the backend.

use std::path::PathBuf;

/// Why the spool failed. A lookup that may find nothing returns `Option`
/// or `bool`; [`SpoolError::NotFound`] is for a call that names a row
/// which must exist.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// The backend failed for another reason; `transient` when the same
    /// call may succeed later with nothing changed but time (an I/O
    /// error).
    #[error("spool {path}: {detail}")]
    Failed {
        path: PathBuf,
        detail: String,
        transient: bool,
    },
    /// The spool's database server cannot be reached (a shared spool):
    /// nothing was written; the call may succeed once it is back.
    #[error("spool {path} is unreachable: {detail}")]
    Unreachable { path: PathBuf, detail: String },
    /// This daemon's lease on a shared spool ran out (it could not renew
    /// it in time, and other hosts may have taken its work over): nothing
    /// was written.
    #[error("spool {path}: this host's lease ran out, so nothing was written: {detail}")]
    Fenced { path: PathBuf, detail: String },
    /// A row the call names does not exist (a lookup that may find
    /// nothing returns `Option` instead).
    #[error("spool {path}: no {what}")]
    NotFound { path: PathBuf, what: String },
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
            SpoolError::Full { .. }
            | SpoolError::Locked { .. }
            | SpoolError::Unreachable { .. }
            | SpoolError::Fenced { .. } => true,
            SpoolError::Failed { transient, .. } => *transient,
            _ => false,
        }
    }
}
