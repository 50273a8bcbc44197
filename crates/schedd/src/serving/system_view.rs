//! `sched crontab --system`: root's view of the system crontabs as the
//! daemon loaded them (file, line, user, schedule, zone, next instant,
//! command) and of the files and lines it refused, with the reasons.
//!
//! The scheduler keeps entries compactly, without their time fields as
//! written; those are read back from the files, which the daemon watches
//! and reloads on any change. A line that no longer holds the loaded
//! command (the file changed, and the reload is under way) shows "(file
//! changed since loaded)" rather than another line's fields.

use std::collections::HashMap;

use sched_proto::{Response, SystemEntry};
use tokio::sync::oneshot;

use super::context::{Context, Peer};
use super::error::RequestError;
use crate::scheduling::event::Event;

pub async fn serve(context: &Context, peer: Peer) -> Result<Response, RequestError> {
    if peer.uid != sched_spool::Uid::ROOT {
        return Err(RequestError::Denied(
            "only root may see the system crontabs as loaded".to_owned(),
        ));
    }
    let gone = || RequestError::SchedulerGone;
    let (reply, answer) = oneshot::channel();
    context
        .events
        .send(Event::SystemView { reply })
        .map_err(|_| gone())?;
    let (rows, refused) = answer.await.map_err(|_| gone())?;
    let entries = tokio::task::spawn_blocking(move || {
        let mut files: HashMap<String, Vec<String>> = HashMap::new();
        rows.into_iter()
            .filter_map(|row| {
                let (file, line) = row.origin.rsplit_once(':')?;
                let line: u32 = line.parse().ok()?;
                let lines = files.entry(file.to_owned()).or_insert_with(|| {
                    std::fs::read(file)
                        .map(|bytes| {
                            String::from_utf8_lossy(&bytes)
                                .lines()
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default()
                });
                let text = (line as usize)
                    .checked_sub(1)
                    .and_then(|index| lines.get(index))
                    .map_or("", String::as_str);
                // The file changed since it was loaded (the watch reloads
                // it in a moment): its line is not this entry's any more.
                let schedule = if text.contains(row.command.trim()) {
                    time_fields(text)
                } else {
                    "(file changed since loaded)".to_owned()
                };
                Some(SystemEntry {
                    file: file.to_owned(),
                    line,
                    user: row.user,
                    schedule,
                    zone: row.zone,
                    next: row.next,
                    command: row.command,
                })
            })
            .collect()
    })
    .await
    .map_err(RequestError::task)?;
    Ok(Response::SystemCrontabs { entries, refused })
}

/// The time fields of a crontab line as written: the five fields, or the
/// `@` word (a leading `-`, cronie's "do not log", is not part of them).
fn time_fields(line: &str) -> String {
    let line = line.trim_start();
    let line = line.strip_prefix('-').unwrap_or(line);
    let count = if line.starts_with('@') { 1 } else { 5 };
    line.split_whitespace()
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_fields_are_the_first_five_words_or_the_macro() {
        assert_eq!(
            time_fields("0  4 * * 1-5  root  /usr/bin/x -y"),
            "0 4 * * 1-5"
        );
        assert_eq!(
            time_fields("@daily root run-parts /etc/cron.daily"),
            "@daily"
        );
        assert_eq!(time_fields("  -*/5 * * * * root true"), "*/5 * * * *");
    }
}
