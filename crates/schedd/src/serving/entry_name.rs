//! Crontab lines as users name them (`sched logs --line`, `sched run`,
//! `pause`, `resume`, `skip`), to the origin the daemon keeps them under.

use sched_spool::Owner;

use super::context::{Context, Peer};
use super::error::RequestError;

/// The origin a crontab line's runs are stored under, from the name a
/// user gives it: `crontab:LINE` (the caller's own crontab),
/// `crontab:USER:LINE` (root), a system crontab's `FILE:LINE`, or the
/// origin itself as listings print it (`crontab of alice:3`). Whether the
/// caller may see that line is decided where it is looked up.
pub async fn origin_of(
    context: &Context,
    line: &str,
    owner: &Owner,
    peer: Peer,
) -> Result<String, RequestError> {
    let invalid = || {
        RequestError::Invalid(format!(
            "{line:?} names no crontab line: expected crontab:LINE (your crontab), FILE:LINE (a system crontab), or for root crontab:USER:LINE"
        ))
    };
    let (source, number) = line.rsplit_once(':').ok_or_else(invalid)?;
    let number: u32 = number.parse().map_err(|_| invalid())?;
    if number == 0 {
        return Err(invalid());
    }
    if let Some(user) = source.strip_prefix("crontab of ")
        && !user.is_empty()
    {
        return Ok(line.to_owned());
    }
    let user = match source.strip_prefix("crontab") {
        Some("") => match owner {
            Owner::Account {
                name: Some(name), ..
            } => name.clone(),
            _ => context.accounts.names([peer.uid]).await.of(peer.uid),
        },
        Some(rest) => match rest.strip_prefix(':') {
            Some(user) if !user.is_empty() => user.to_owned(),
            _ => return Ok(line.to_owned()),
        },
        None if source.starts_with('/') => return Ok(line.to_owned()),
        None => return Err(invalid()),
    };
    Ok(format!("crontab of {user}:{number}"))
}
