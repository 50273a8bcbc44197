//! Who may do what. The caller is who the socket's peer credentials say;
//! nothing in a request can change that.
//!
//! Policy: a user sees, removes and reads the runs of only their own jobs;
//! root sees everyone's. A daemon run by a user serves only that user.
//! The allow and deny lists (at.allow, cron.deny, ...) are read for at
//! and crontab requests.

use sched_spool::Owner;

use super::context::{Context, Peer};
use super::error::RequestError;

/// Which command's allow and deny lists a request answers to.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    At,
    Crontab,
}

/// Refuses a caller the allow and deny lists of `command` turn away.
pub async fn check_access(
    context: &Context,
    peer: Peer,
    command: Command,
) -> Result<(), RequestError> {
    // Root is always allowed: no lists to read, no name to look up.
    if peer.uid == sched_spool::Uid::ROOT {
        return Ok(());
    }
    let access = context
        .settings
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .access
        .clone();
    let Some(access) = access else {
        return Ok(());
    };
    let (lists, what) = match command {
        Command::At => (access.at.clone(), "at and batch"),
        Command::Crontab => (access.cron.clone(), "crontab"),
    };
    let uid = peer.uid;
    // A name that cannot be looked up (no account, NSS down) cannot be
    // matched against the lists: refused, as at(1) and crontab(1) do.
    let looked_up = context.accounts.name_of(uid).await;
    // Reads the list files: not on a worker.
    let checked = tokio::task::spawn_blocking(move || {
        let name = match looked_up {
            Ok(Some(name)) => name,
            Ok(None) => {
                return Err((
                    uid.to_string(),
                    crate::config::access::Denied(format!("uid {uid} has no account")),
                ));
            }
            Err(error) => {
                return Err((uid.to_string(), crate::config::access::Denied(error)));
            }
        };
        lists.check(uid.0, &name).map_err(|denied| (name, denied))
    })
    .await
    .map_err(RequestError::task)?;
    checked.map_err(|(name, denied)| {
        tracing::warn!(uid = uid.0, "refused {what} to {name}: {}", denied.0);
        RequestError::Denied(format!("you ({name}) may not use {what}: {}", denied.0))
    })
}

/// Whose jobs `peer` may act on: their own, or everyone's for root. A
/// daemon run by a user serves only that user.
pub async fn caller(context: &Context, peer: Peer) -> Result<Owner, RequestError> {
    if context.daemon_uid != sched_spool::Uid::ROOT && peer.uid != context.daemon_uid {
        return Err(RequestError::Denied(format!(
            "this schedd runs as uid {} and serves only that user: start your own schedd, or use the system one",
            context.daemon_uid
        )));
    }
    if peer.uid == sched_spool::Uid::ROOT {
        return Ok(Owner::Any);
    }
    // Rows are the caller's only if their account stored them: a uid
    // given to a new account does not show it a deleted account's jobs.
    // The lookup may block on NSS: not on a tokio worker.
    let uid = peer.uid;
    let name = context
        .accounts
        .name_of(uid)
        .await
        .map_err(RequestError::Lookup)?;
    Ok(Owner::Account { uid, name })
}
