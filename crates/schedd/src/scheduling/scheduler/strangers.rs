//! In a fleet an at job runs on whichever host claims it, as its owner
//! found by name. A host where that account does not exist, or holds
//! another uid (accounts must have the same uid on every host, as for a
//! shared file system), gives its claim back for another host, records
//! why in the job's history, and claims that job no more.

use std::collections::HashSet;

use jiff::Timestamp;
use sched_spool::{JobRecord, Occurrence, Outcome, RunId, RunKind};

use super::Scheduler;

/// The jobs this host refused, by id: claimed no more here.
#[derive(Debug, Default)]
pub(super) struct Refused(HashSet<u64>);

impl Refused {
    pub(super) fn contains(&self, id: u64) -> bool {
        self.0.contains(&id)
    }
}

impl Scheduler {
    /// The jobs of `claimed` whose owner has an account here; the others
    /// are given back and their refusal recorded.
    pub(super) async fn refuse_strangers(
        &mut self,
        claimed: Vec<(JobRecord, RunId)>,
        now: Timestamp,
    ) -> Vec<(JobRecord, RunId)> {
        let Some(host) = self.fleet_host.clone() else {
            return claimed;
        };
        let owners: Vec<(u32, Option<String>)> = claimed
            .iter()
            .map(|(job, _)| (job.job.owner_uid.0, job.job.owner_name.clone()))
            .collect();
        // A lookup that fails says nothing: the executor decides then.
        let here = host.clone();
        let strangers = tokio::task::spawn_blocking(move || {
            owners
                .into_iter()
                .map(|(uid, name)| {
                    let name = name?;
                    match sched_runas::uid_of_name(&name) {
                        Ok(None) => Some(format!("host {here} has no account {name}")),
                        Ok(Some(other)) if other != uid => Some(format!(
                            "on host {here} the account {name} has uid {other}, not {uid}"
                        )),
                        _ => None,
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let mut kept = Vec::with_capacity(claimed.len());
        let mut given_back = Vec::new();
        let mut records = Vec::new();
        for (claim, stranger) in claimed
            .into_iter()
            .zip(strangers.into_iter().chain(std::iter::repeat(None)))
        {
            let Some(why) = stranger else {
                kept.push(claim);
                continue;
            };
            let (job, _) = &claim;
            let reason = format!("{why}: left to the other hosts of the fleet");
            tracing::warn!(job = job.id.0, "not run here: {reason}");
            self.refused.0.insert(job.id.0);
            records.push(Occurrence {
                kind: RunKind::from(job.job.kind),
                job_id: Some(job.id),
                owner_uid: job.job.owner_uid,
                owner_name: job.job.owner_name.clone(),
                command: job.job.command.clone(),
                origin: None,
                due: job.job.scheduled(),
                attempt: job.job.attempt,
                at: now,
                outcome: Outcome::Skipped(reason),
                host_local: false,
            });
            given_back.push(claim);
        }
        if !given_back.is_empty() {
            if let Err(error) = self.spool.unclaim(given_back).await {
                tracing::error!("cannot give back jobs whose owner has no account here: {error}");
            }
            if let Err(error) = self.spool.record_occurrences(records, None).await {
                tracing::warn!("cannot record why jobs were left to other hosts: {error}");
            }
        }
        kept
    }
}
