//! [`RequestError`]: every way a request can be refused or fail, with the
//! wire code a client acts on ([`RequestError::code`]) and the message it
//! shows. Handlers return it; the dispatcher turns it into the reply, and
//! logs what was the daemon's fault.

use sched_proto::{ErrorCode, ErrorReply, PROTOCOL_VERSION};

use crate::storage::SpoolCallError;

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The frame was not a request of this protocol.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The frame was larger than a request may be.
    #[error("request of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    /// A request begun and not finished in time.
    #[error("request not received within {ms} ms")]
    TooSlow { ms: u128 },
    /// A request of another protocol version.
    #[error(
        "protocol version {found} is not spoken here (this schedd speaks {PROTOCOL_VERSION}): use a sched of the same release"
    )]
    Version { found: u64 },
    /// A request this daemon does not offer to this caller (the mock clock
    /// to anyone but its owner is one).
    #[error("unknown request")]
    UnknownRequest,
    /// A well-formed request with an unacceptable value.
    #[error("{0}")]
    Invalid(String),
    /// A time specification that cannot be resolved, and the 1-based
    /// column it went wrong at when that is known.
    #[error("{message}")]
    Timespec {
        message: String,
        column: Option<usize>,
    },
    /// No pending job of this id that the caller may see.
    #[error("no pending job {0} of yours: see `sched ls`")]
    NoSuchJob(u64),
    /// Something else the caller named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    Denied(String),
    /// The daemon is serving as many connections as it may.
    #[error("{0}")]
    Busy(String),
    /// The spool failed (a full disk, usually); the request may be retried.
    #[error("the daemon failed: {0}")]
    Spool(#[from] SpoolCallError),
    /// The scheduler is gone: the daemon is stopping.
    #[error("the scheduler has stopped")]
    SchedulerGone,
    /// The account database could not be asked.
    #[error("{0}")]
    Lookup(String),
    /// Another failure of the daemon's own.
    #[error("{0}")]
    Internal(String),
}

impl RequestError {
    /// The code a client reads to tell kinds of refusal apart.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::Malformed(_) | RequestError::TooSlow { .. } => ErrorCode::Malformed,
            RequestError::TooLarge { .. } => ErrorCode::TooLarge,
            RequestError::Version { .. } => ErrorCode::Version,
            RequestError::UnknownRequest => ErrorCode::UnknownRequest,
            RequestError::Invalid(_) => ErrorCode::Invalid,
            RequestError::Timespec { .. } => ErrorCode::Timespec,
            RequestError::NoSuchJob(_) | RequestError::NotFound(_) => ErrorCode::NotFound,
            RequestError::Denied(_) => ErrorCode::Denied,
            RequestError::Busy(_) => ErrorCode::Busy,
            RequestError::Spool(_)
            | RequestError::SchedulerGone
            | RequestError::Lookup(_)
            | RequestError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Whether the daemon, not the request, is at fault: logged as an
    /// error when answered.
    pub fn is_the_daemons(&self) -> bool {
        self.code() == ErrorCode::Internal
    }

    /// A task that did the work off the async threads died.
    pub fn task(error: tokio::task::JoinError) -> RequestError {
        RequestError::Internal(error.to_string())
    }
}

impl From<RequestError> for ErrorReply {
    fn from(error: RequestError) -> ErrorReply {
        let column = match &error {
            RequestError::Timespec { column, .. } => *column,
            _ => None,
        };
        ErrorReply {
            code: error.code(),
            message: error.to_string(),
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_code_and_a_timespec_keeps_its_column() {
        let table = [
            (
                RequestError::Malformed("x".into()),
                ErrorCode::Malformed,
                "malformed request: x",
            ),
            (
                RequestError::UnknownRequest,
                ErrorCode::UnknownRequest,
                "unknown request",
            ),
            (
                RequestError::NoSuchJob(7),
                ErrorCode::NotFound,
                "no pending job 7 of yours: see `sched ls`",
            ),
            (RequestError::Denied("no".into()), ErrorCode::Denied, "no"),
            (
                RequestError::SchedulerGone,
                ErrorCode::Internal,
                "the scheduler has stopped",
            ),
            (
                RequestError::Spool(crate::storage::SpoolCallError::Gone(
                    crate::storage::SpoolGone,
                )),
                ErrorCode::Internal,
                "the daemon failed: the spool thread has stopped",
            ),
            (
                RequestError::Version { found: 9 },
                ErrorCode::Version,
                "protocol version 9 is not spoken here (this schedd speaks 4): use a sched of the same release",
            ),
        ];
        for (error, code, message) in table {
            let reply = ErrorReply::from(error);
            assert_eq!(
                (reply.code, reply.message.as_str(), reply.column),
                (code, message, None)
            );
        }
        let reply = ErrorReply::from(RequestError::Timespec {
            message: "bad".into(),
            column: Some(4),
        });
        assert_eq!((reply.code, reply.column), (ErrorCode::Timespec, Some(4)));
    }
}
