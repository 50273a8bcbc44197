//! The fleet's heartbeat, for a daemon on a shared spool: every third of
//! the lease (real time, whatever the scheduler's clock says) it renews
//! this host's lease, takes over the work of hosts whose lease ran out,
//! and tells the scheduler of the jobs and crontabs other hosts stored.
//!
//! Claims need none of this: each occurrence is claimed in the spool, so
//! a host that dies leaves its due work to the others at once. What the
//! heartbeat adds is what only a live host can do for a dead one: record
//! its runs in progress lost (retried under their policy) and run its
//! waiting retries, and it keeps each host's view of the fleet's jobs and
//! crontabs current.
//!
//! When the database cannot be reached the heartbeat says so once, keeps
//! beating (each beat retries the connection), and says when it is back;
//! the scheduler's claims fail meanwhile, so nothing new starts here,
//! while runs already started go on and have their ends recorded once
//! the database is back.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sched_cron::policy::Policy;
use sched_spool::{DueJob, Output, StoredCrontab, Uid};
use tokio::sync::{mpsc::UnboundedSender, watch};

use super::event::Event;
use crate::clock::Clock;
use crate::cron::Zones;
use crate::storage::{SpoolCallError, SpoolHandle};

/// What the heartbeat needs.
#[derive(Debug)]
pub struct Heartbeat {
    pub spool: SpoolHandle,
    pub clock: Clock,
    pub events: UnboundedSender<Event>,
    pub zones: Zones,
    /// The daemon's default policy (a lost at job without one of its own).
    pub defaults: Policy,
    /// How long a lease lasts: the heartbeat beats every third of it.
    pub lease: Duration,
    /// The users' crontabs as the daemon loaded them at start.
    pub crontabs: Vec<StoredCrontab>,
    /// Runs lost by hosts gone are counted here.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// The heartbeat's memory between beats.
#[derive(Debug, Default)]
struct Seen {
    /// The crontabs' version last read, and each crontab read then.
    crontabs_version: Option<i64>,
    crontabs: HashMap<Uid, (Option<String>, String)>,
    /// Whether the last beat reached the database.
    reachable: bool,
}

impl Heartbeat {
    /// Beats until `shutdown` changes.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut seen = Seen {
            crontabs: self
                .crontabs
                .iter()
                .map(|c| (c.owner_uid, (c.owner_name.clone(), c.text.clone())))
                .collect(),
            reachable: true,
            ..Seen::default()
        };
        let mut ticks = tokio::time::interval(self.lease / 3);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.changed() => return,
            }
            match self.beat(&mut seen).await {
                Ok(()) if !seen.reachable => {
                    seen.reachable = true;
                    tracing::info!(
                        "the spool database is reachable again: claiming due work again"
                    );
                }
                Ok(()) => {}
                Err(SpoolCallError::Gone(_)) => return,
                Err(error) if seen.reachable => {
                    seen.reachable = false;
                    tracing::error!(
                        "{error}: runs in progress go on; nothing new starts on this host until the spool database is back (retrying every {:?})",
                        self.lease / 3
                    );
                }
                Err(_) => {}
            }
        }
    }

    async fn beat(&self, seen: &mut Seen) -> Result<(), SpoolCallError> {
        if let Some(lease) = self.spool.renew_lease().await?
            && lease.rejoined
        {
            tracing::warn!(
                node = lease.node,
                "this host's lease had run out (the spool database was out of reach for longer than the lease), so other hosts may have recorded its runs in progress lost; it joined the fleet again"
            );
        }
        self.take_over().await?;
        let until = self
            .clock
            .now()
            .saturating_add(SignedDuration::try_from(self.lease).unwrap_or(SignedDuration::MAX))
            .unwrap_or(Timestamp::MAX);
        if let Some(jobs) = self.spool.jobs_due_by(until).await?
            && !jobs.is_empty()
        {
            let _ = self.events.send(Event::FleetJobs(jobs));
        }
        self.follow_crontabs(seen).await
    }

    /// Records the runs in progress of hosts gone as lost, and hands their
    /// waiting retries and lost crontab runs to the scheduler.
    async fn take_over(&self) -> Result<(), SpoolCallError> {
        let Some(taken) = self.spool.take_over().await? else {
            return Ok(());
        };
        for (node, host) in &taken.nodes {
            tracing::warn!(
                node,
                host,
                runs = taken.runs.len(),
                "host {host} stopped renewing its lease: its runs in progress are recorded lost, and its waiting retries run here"
            );
        }
        let now = self.clock.now();
        let mut lost = Vec::new();
        let mut requeued = Vec::new();
        for run in taken.runs {
            // Its output is on the host that ran it.
            let record = super::lost::lose(
                &self.spool,
                run,
                now,
                Output::default(),
                &self.defaults,
                &self.metrics,
            )
            .await?;
            lost.extend(record.cron);
            requeued.extend(record.requeued.map(|job| DueJob {
                id: job.id,
                due: job.job.due,
                kind: job.job.kind,
                queue: job.job.queue,
            }));
        }
        if !requeued.is_empty() {
            let _ = self.events.send(Event::FleetJobs(requeued));
        }
        if !lost.is_empty() || !taken.retries.is_empty() {
            let _ = self.events.send(Event::TakenOver {
                lost,
                retries: taken.retries,
            });
        }
        Ok(())
    }

    /// Loads the crontabs another host installed and drops those it
    /// removed, and reads the entry controls again (paused and skipped
    /// lines), when the crontabs' version has changed.
    async fn follow_crontabs(&self, seen: &mut Seen) -> Result<(), SpoolCallError> {
        let Some(version) = self.spool.crontabs_version().await? else {
            return Ok(());
        };
        if seen.crontabs_version == Some(version) {
            return Ok(());
        }
        let stored = self.spool.crontabs().await?;
        let mut now_stored = HashMap::with_capacity(stored.len());
        let mut changed = Vec::new();
        for crontab in stored {
            let value = (crontab.owner_name.clone(), crontab.text.clone());
            if seen.crontabs.get(&crontab.owner_uid) != Some(&value) {
                changed.push(crontab.clone());
            }
            now_stored.insert(crontab.owner_uid, value);
        }
        for uid in seen.crontabs.keys() {
            if !now_stored.contains_key(uid) {
                let _ = self.events.send(Event::UserCrontabRemoved { uid: *uid });
            }
        }
        if !changed.is_empty() {
            let zones = self.zones.clone();
            let loaded = tokio::task::spawn_blocking(move || {
                super::stored_crontabs::load_stored(changed, &zones)
            })
            .await
            .unwrap_or_default();
            for loaded in loaded {
                let _ = self.events.send(Event::UserCrontab(loaded));
            }
        }
        let controls = self.spool.entry_controls().await?;
        let _ = self.events.send(Event::Controls(controls));
        seen.crontabs = now_stored;
        seen.crontabs_version = Some(version);
        Ok(())
    }
}
