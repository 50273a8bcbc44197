//! The scheduler's side of `sched status`: each crontab line the caller
//! may see, with what the dead-man rule needs (its next instant, pause,
//! skips, grace, and since when it is loaded as it is). The history's side
//! is read from the spool by the server, off the scheduler.

use jiff::Timestamp;
use sched_engine::one_shots::Kind;
use sched_spool::{Owner, Uid};

use super::Scheduler;
use crate::cron::RunAs;
use crate::metrics::EntrySeries;
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

    /// Publishes what is loaded, pending and running now to the metrics.
    pub(super) fn publish_state(&self) {
        self.executor.metrics.set_state(
            self.cron.len(),
            self.one_shots.pending(Kind::At),
            self.one_shots.pending(Kind::Batch),
            self.executor.running.count(),
        );
    }

    /// The per-line series of the metrics for the lines `owner` may see:
    /// at most schedd.conf's `metrics_entries` of them (none by default).
    pub(super) fn entry_series(&self, owner: &Owner) -> Vec<EntrySeries> {
        let limit = self.settings.metrics_entries as usize;
        if limit == 0 {
            return Vec::new();
        }
        let visible = |user: &RunAs| owner.matches(Uid(user.uid), Some(&user.name));
        self.cron
            .keys_of(visible)
            .take(limit)
            .filter_map(|key| {
                let job = self.cron.get(key)?;
                let entry = job.origin();
                Some(EntrySeries {
                    last_success: self.last_success.get(&entry).copied(),
                    next: self.cron.next_of(key),
                    paused: self
                        .controls
                        .of(&job)
                        .is_some_and(|control| control.paused.is_some()),
                    owner: job.user.name.to_string(),
                    entry,
                })
            })
            .collect()
    }

    /// Reads when each line with metrics series last succeeded, from the
    /// spool's history (at start, when per-line series are on).
    pub(super) async fn load_last_successes(&mut self) {
        let limit = self.settings.metrics_entries as usize;
        if limit == 0 {
            return;
        }
        let origins: Vec<String> = self
            .cron
            .keys_of(|_| true)
            .take(limit)
            .filter_map(|key| Some(self.cron.get(key)?.origin()))
            .collect();
        match self.spool.entry_health(Owner::Any, origins.clone()).await {
            Ok(health) => {
                for (origin, health) in origins.into_iter().zip(health) {
                    if let Some(at) = health.last_success.and_then(|run| run.finished) {
                        self.last_success.insert(origin, at);
                    }
                }
            }
            Err(error) => tracing::warn!("cannot read the crontab lines' last successes: {error}"),
        }
    }

    /// Notes a successful run of crontab line `origin` ending at `at`, when
    /// per-line series are on.
    pub(super) fn note_success(&mut self, origin: &str, at: Timestamp) {
        if self.settings.metrics_entries > 0 {
            self.last_success.insert(origin.to_owned(), at);
        }
    }

    /// Notes that the crontab `source` changed at `now`: its new lines
    /// are expected to succeed from their first occurrence after it.
    pub(super) fn source_changed(&mut self, source: &str, now: Timestamp) {
        self.source_changed.insert(source.to_owned(), now);
    }
}
