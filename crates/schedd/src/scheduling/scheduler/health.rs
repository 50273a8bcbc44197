//! The scheduler's side of `sched status`: each crontab line the caller
//! may see, with what the dead-man rule needs (its next instant, pause,
//! skips, grace, and since when it is loaded as it is). The history's side
//! is read from the spool by the server, off the scheduler.

use jiff::Timestamp;
use sched_spool::{Owner, Uid};

use super::Scheduler;
use crate::cron::RunAs;
use crate::scheduling::event::EntryView;

impl Scheduler {
    /// The crontab lines `owner` may see, in no particular order.
    pub(super) fn entry_views(&self, owner: &Owner) -> Vec<EntryView> {
        let visible = |user: &RunAs| owner.matches(Uid(user.uid), Some(&user.name));
        self.cron
            .keys_of(visible)
            .filter_map(|key| {
                let job = self.cron.get(key)?;
                let control = self.controls.of(&job);
                let policy = self.policy_of(&job);
                Some(EntryView {
                    next: self.cron.next_of(key),
                    paused: control
                        .and_then(|control| control.paused.as_ref())
                        .map(|mark| format!("paused by {} at {}", mark.by, mark.at)),
                    skip_through: control
                        .and_then(|control| control.skip_through.as_ref())
                        .map(|(through, _)| *through),
                    grace: policy.grace,
                    jitter: policy.jitter,
                    known_since: self
                        .source_changed
                        .get(job.source_name())
                        .copied()
                        .unwrap_or(self.started_at),
                    job,
                })
            })
            .collect()
    }

    /// Notes that the crontab `source` changed at `now`: its new lines
    /// are expected to succeed from their first occurrence after it.
    pub(super) fn source_changed(&mut self, source: &str, now: Timestamp) {
        self.source_changed.insert(source.to_owned(), now);
    }
}
