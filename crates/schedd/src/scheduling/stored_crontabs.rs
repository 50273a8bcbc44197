//! Users' crontabs as the spool stores them, parsed for the table: at
//! start, and in a fleet whenever another host installs or removes one.

use sched_spool::{StoredCrontab, Uid};

use crate::cron::{Loaded, Zones};

/// The crontabs `stored`, parsed (blocking work: the password database
/// and zone files). A line that no longer loads (its CRON_TZ zone was
/// removed from the system) is logged. The crontab of a uid with no
/// account any more is an orphan, as cronie calls it: kept in the spool,
/// not loaded (it would fail at every one of its times), and logged; so
/// is one whose uid now belongs to another account. In a fleet, a host
/// without the account thus leaves the crontab to the hosts that have it.
pub fn load_stored(stored: Vec<StoredCrontab>, zones: &Zones) -> Vec<Loaded> {
    stored
        .into_iter()
        .filter_map(|crontab| {
            let uid = crontab.owner_uid;
            let name = owner_of(uid, crontab.owner_name.as_deref())?;
            let (loaded, errors) = crate::cron::load_user(uid.0, &name, &crontab.text, zones);
            for error in errors {
                tracing::error!("crontab of {name}:{error}; the line is skipped");
            }
            Some(loaded)
        })
        .collect()
}

/// The owner of a user's crontab stored for `uid` by the account `stored`,
/// if that account still holds the uid (the executor's rule: the name is
/// looked up, so accounts sharing a uid are each themselves); otherwise
/// the crontab is an orphan, logged and not loaded. A failed lookup loads
/// it: the executor checks again before each run.
fn owner_of(uid: Uid, stored: Option<&str>) -> Option<String> {
    let Some(name) = stored else {
        tracing::warn!(
            uid = uid.0,
            "the crontab of uid {uid} has no known owner (its account was gone when names began to be kept): not loaded"
        );
        return None;
    };
    match sched_runas::uid_of_name(name) {
        Ok(Some(holder)) if holder == uid.0 => return Some(name.to_owned()),
        Err(_) => return Some(name.to_owned()),
        Ok(_) => {}
    }
    match crate::system::accounts::account_of(uid) {
        Ok(Some(now)) => tracing::warn!(
            uid = uid.0,
            "the crontab of uid {uid} is an orphan: it was {name}'s, and uid {uid} is now {now}'s: not loaded"
        ),
        _ => tracing::warn!(
            uid = uid.0,
            "the crontab of uid {uid} is an orphan (no such user): not loaded"
        ),
    }
    None
}
