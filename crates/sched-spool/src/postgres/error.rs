//! PostgreSQL's errors as the spool's: which say the server cannot be
//! reached (the call may succeed once it is back), which may pass with
//! time (a serialization failure, a deadlock, a lock wait that timed out),
//! and which are refusals.

use std::path::Path;

use crate::SpoolError;

use super::url::chain;

/// Why a call failed, before the spool's name is put on it.
#[derive(Debug)]
pub(crate) enum Fail {
    Db(postgres::Error),
    Spool(SpoolError),
}

impl From<postgres::Error> for Fail {
    fn from(error: postgres::Error) -> Fail {
        Fail::Db(error)
    }
}

impl From<SpoolError> for Fail {
    fn from(error: SpoolError) -> Fail {
        Fail::Spool(error)
    }
}

/// What kind of failure a PostgreSQL error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The connection is refused, timed out, closed or shut down.
    Unreachable,
    /// The disk of the database is full.
    Full,
    /// The same call may succeed later.
    Transient,
    Other,
}

fn kind(error: &postgres::Error) -> Kind {
    if let Some(db) = error.as_db_error() {
        let code = db.code().code();
        return match code {
            // connection_exception, admin/crash shutdown, cannot connect
            // now (starting or stopping), too many connections.
            _ if code.starts_with("08") => Kind::Unreachable,
            "57P01" | "57P02" | "57P03" | "53300" => Kind::Unreachable,
            "53100" => Kind::Full,
            // serialization_failure, deadlock_detected, lock_not_available,
            // query_canceled (a timeout), out of memory.
            "40001" | "40P01" | "55P03" | "57014" | "53200" => Kind::Transient,
            _ => Kind::Other,
        };
    }
    if error.is_closed() || has_io_cause(error) || error.to_string() == "timeout waiting for server"
    {
        return Kind::Unreachable;
    }
    Kind::Other
}

/// Whether an I/O error is among the causes: the socket failed.
fn has_io_cause(error: &postgres::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Whether `error` means the connection is lost (it is then dropped, and
/// the next call connects again).
pub(crate) fn is_unreachable(error: &postgres::Error) -> bool {
    kind(error) == Kind::Unreachable
}

/// The text of `error`: the server's message, or the client's with its
/// causes.
fn detail(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.to_string().replace('\n', "; "),
        None => chain(error),
    }
}

/// A failure of a call on the spool named `path`.
pub(crate) fn spool(path: &Path, fail: Fail) -> SpoolError {
    let error = match fail {
        Fail::Spool(error) => return error,
        Fail::Db(error) => error,
    };
    let path = path.to_path_buf();
    match kind(&error) {
        Kind::Unreachable => SpoolError::Unreachable {
            path,
            detail: detail(&error),
        },
        Kind::Full => SpoolError::Full { path },
        kind => SpoolError::Failed {
            path,
            detail: detail(&error),
            transient: kind == Kind::Transient,
        },
    }
}

/// A failure to connect to the spool named `path`: unreachable, or a
/// refusal (TLS, authentication, no such database) that time will not mend.
pub(crate) fn connecting(path: &Path, error: postgres::Error) -> SpoolError {
    match kind(&error) {
        Kind::Unreachable | Kind::Full | Kind::Transient => spool(path, Fail::Db(error)),
        Kind::Other => SpoolError::Open {
            path: path.to_path_buf(),
            reason: detail(&error),
        },
    }
}
