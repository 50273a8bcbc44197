//! Requests about users' crontabs: read, install, remove.
//!
//! A user acts on their own crontab; root on anyone's (`-u`). An install is
//! checked with the same parser the daemon loads with; a crontab with any
//! bad line is refused whole, with every error, and nothing is stored (as
//! crontab(1) does). The spool write and the scheduler's reload happen in
//! one step on the spool thread, so that two installs can never leave the
//! scheduler running an older text than the spool holds.

use sched_proto::{CrontabRequest, Response};
use sched_spool::{CrontabInstall, Uid};

use super::context::{Context, Peer};
use super::error::RequestError;
use crate::cron;
use crate::scheduling::event::Event;

/// The largest crontab accepted: 1 MiB, far more than any hand-kept
/// crontab, and well inside one request frame.
const MAX_CRONTAB: usize = 1 << 20;

pub async fn serve(
    context: &Context,
    peer: Peer,
    request: CrontabRequest,
) -> Result<Response, RequestError> {
    let user = match &request {
        CrontabRequest::Get { user }
        | CrontabRequest::Install { user, .. }
        | CrontabRequest::Remove { user } => user.clone(),
        CrontabRequest::System => None,
    };
    super::permission::check_access(context, peer, super::permission::Command::Crontab).await?;
    let (uid, name) = target(context, peer, user).await?;
    match request {
        CrontabRequest::System => crate::serving::system_view::serve(context, peer).await,
        CrontabRequest::Get { .. } => {
            let stored = context.spool.crontab(uid).await?;
            // A crontab left by a former holder of the caller's uid is not
            // the caller's: only root reads it.
            let text = stored
                .filter(|crontab| peer.uid == Uid::ROOT || same_owner(crontab, &name))
                .map(|crontab| crontab.text);
            Ok(Response::Crontab {
                owner_uid: uid.0,
                owner: name,
                text,
            })
        }
        CrontabRequest::Install { text, .. } => {
            if text.len() > MAX_CRONTAB {
                return Err(RequestError::Invalid(format!(
                    "the crontab is {} bytes, more than {MAX_CRONTAB}",
                    text.len()
                )));
            }
            let zones = context.zones.clone();
            let (owner, checked) = (name.clone(), text.clone());
            let (loaded, errors) = tokio::task::spawn_blocking(move || {
                cron::load_user(uid.0, &owner, &checked, &zones)
            })
            .await
            .map_err(RequestError::task)?;
            if !errors.is_empty() {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}:{}: {}", e.line, e.column, e.message))
                    .collect();
                return Err(RequestError::Invalid(format!(
                    "the crontab was not installed:\n{}",
                    lines.join("\n")
                )));
            }
            let entries = loaded.crontab.entries.len() as u32;
            let (events, now) = (context.events.clone(), context.clock.now());
            let account = context
                .accounts
                .name_of(uid)
                .await
                .map_err(RequestError::Lookup)?;
            let by_root = peer.uid == Uid::ROOT;
            // The crontab an earlier holder of the uid left is kept for
            // root to see, not replaced by the newcomer. The scheduler
            // hears of installations in the order they are written.
            let installed = context
                .spool
                .install_crontab(uid, account, text, now, by_root, move || {
                    let _ = events.send(Event::UserCrontab(loaded));
                })
                .await?;
            if let CrontabInstall::HeldBy(former) = installed {
                let former = former.unwrap_or_else(|| "an unknown account".to_owned());
                return Err(RequestError::Denied(format!(
                    "uid {uid} still has the crontab of {former}, who held this uid before you: ask root to remove it (sched crontab -u {uid} -r)"
                )));
            }
            tracing::info!(uid = uid.0, by = peer.uid.0, entries, "crontab installed");
            Ok(Response::CrontabInstalled {
                owner_uid: uid.0,
                owner: name,
                entries,
            })
        }
        CrontabRequest::Remove { .. } => {
            let events = context.events.clone();
            // Root removes whoever's crontab the uid has; a user only one
            // stored under their own name.
            let only_of = (peer.uid != Uid::ROOT).then(|| name.clone());
            let removed = context
                .spool
                .remove_crontab(uid, only_of, move || {
                    let _ = events.send(Event::UserCrontabRemoved { uid });
                })
                .await?;
            if removed {
                tracing::info!(uid = uid.0, by = peer.uid.0, "crontab removed");
            }
            Ok(Response::CrontabRemoved {
                owner_uid: uid.0,
                owner: name,
                removed,
            })
        }
    }
}

/// Whose crontab a request is about: the caller's, or for root the named
/// user's. Another user's name from anyone else is refused.
async fn target(
    context: &Context,
    peer: Peer,
    user: Option<String>,
) -> Result<(Uid, String), RequestError> {
    let Some(name) = user else {
        let uid = peer.uid;
        return Ok((uid, context.accounts.names([uid]).await.of(uid)));
    };
    let looked_up = name.clone();
    let uid = tokio::task::spawn_blocking(move || sched_runas::uid_of_name(&looked_up))
        .await
        .map_err(RequestError::task)?
        .map_err(|error| RequestError::Lookup(error.to_string()))?
        .map(Uid);
    match uid {
        Some(uid) if uid == peer.uid || peer.uid == Uid::ROOT => Ok((uid, name)),
        Some(_) => Err(RequestError::Denied(
            "only root may read or change another user's crontab".to_owned(),
        )),
        // A number with no account is a uid: root can still read and
        // remove the crontab of a deleted user (an orphan).
        None if peer.uid == Uid::ROOT && name.parse::<u32>().is_ok() => {
            Ok((Uid(name.parse().unwrap_or_default()), name))
        }
        None if peer.uid == Uid::ROOT => {
            Err(RequestError::NotFound(format!("no such user {name:?}")))
        }
        // Do not tell others which names exist.
        None => Err(RequestError::Denied(
            "only root may read or change another user's crontab".to_owned(),
        )),
    }
}

/// Whether `crontab` was installed by the account now named `name` (one
/// whose account is unknown is root's alone).
fn same_owner(crontab: &sched_spool::StoredCrontab, name: &str) -> bool {
    crontab.owner_name.as_deref() == Some(name)
}
