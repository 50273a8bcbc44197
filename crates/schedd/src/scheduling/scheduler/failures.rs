//! When a run finally fails (no retry left), times out, or an occurrence
//! is missed, the job's on-failure command runs as its owner
//! (`running::on_failure`); this finds the command (the job's own, else
//! schedd.conf's) and describes the failure.

use jiff::Timestamp;
use nix::sys::signal::Signal;
use sched_spool::{JobRecord, Outcome, Output, RunId};

use super::Scheduler;
use crate::cron::CronJob;
use crate::running::on_failure::{Failure, Hook, command_of};

/// A run's end in words, and its exit status when it exited.
pub(super) fn describe(outcome: &Outcome) -> (String, Option<i32>) {
    match outcome {
        Outcome::Exited(code) => (format!("exit {code}"), Some(*code)),
        Outcome::Signalled(signal) => (
            format!(
                "killed by {}",
                Signal::try_from(*signal)
                    .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned())
            ),
            None,
        ),
        Outcome::TimedOut { code, .. } => ("timed out".to_owned(), *code),
        Outcome::Lost => (
            "lost: the daemon or its host stopped while it ran".to_owned(),
            None,
        ),
        Outcome::Failed(reason) => (format!("not run: {reason}"), None),
        Outcome::Missed(reason) => (format!("missed: {reason}"), None),
        Outcome::Skipped(reason) => (format!("skipped: {reason}"), None),
        Outcome::Superseded(reason) => (format!("superseded: {reason}"), None),
        Outcome::Running => ("running".to_owned(), None),
    }
}

impl Scheduler {
    /// The on-failure command of crontab line `job`, if it has one.
    fn cron_hook(&self, job: &CronJob) -> Option<Hook> {
        let command = command_of(job.env(), self.settings.on_failure.as_deref())?;
        Some(Hook {
            command,
            uid: job.user.uid,
            name: job.user.name.to_string(),
            env: job.env().to_vec(),
            cron: true,
        })
    }

    /// The on-failure command of one-shot job `record`, if it has one.
    fn job_hook(&self, record: &JobRecord) -> Option<Hook> {
        let command = command_of(&record.job.env, self.settings.on_failure.as_deref())?;
        Some(Hook {
            command,
            uid: record.job.owner_uid.0,
            name: record.job.owner_name.clone()?,
            env: record.job.env.clone(),
            cron: false,
        })
    }

    /// Runs the on-failure command of crontab line `job`, if any, for the
    /// occurrence due at `scheduled` (attempt `attempt`) that ended
    /// `outcome`.
    pub(super) fn cron_failed(
        &self,
        job: &CronJob,
        scheduled: Timestamp,
        attempt: u32,
        run: Option<RunId>,
        outcome: &Outcome,
        output: Output,
    ) {
        let Some(hook) = self.cron_hook(job) else {
            return;
        };
        let (outcome, exit_status) = describe(outcome);
        self.executor.on_failure(
            hook,
            Failure {
                entry: job.origin(),
                scheduled,
                attempt,
                outcome,
                exit_status,
                run,
                output,
            },
        );
    }

    /// Runs the on-failure command of one-shot job `record`, if any.
    pub(super) fn job_failed(
        &self,
        record: &JobRecord,
        run: Option<RunId>,
        outcome: &Outcome,
        output: Output,
    ) {
        let Some(hook) = self.job_hook(record) else {
            return;
        };
        let (outcome, exit_status) = describe(outcome);
        self.executor.on_failure(
            hook,
            Failure {
                entry: format!("job {}", record.id),
                scheduled: record.job.scheduled(),
                attempt: record.job.attempt,
                outcome,
                exit_status,
                run,
                output,
            },
        );
    }

    /// Runs the on-failure command of each crontab line among `records`
    /// with missed occurrences: once per line, for the newest.
    pub(super) fn missed(&self, records: &[sched_spool::Occurrence]) {
        let mut newest: std::collections::HashMap<&str, &sched_spool::Occurrence> =
            std::collections::HashMap::new();
        for record in records {
            if let (Outcome::Missed(_), Some(origin)) = (&record.outcome, record.origin.as_deref())
            {
                let slot = newest.entry(origin).or_insert(record);
                if record.due > slot.due {
                    *slot = record;
                }
            }
        }
        if newest.is_empty() {
            return;
        }
        for key in self.cron.keys_of(|_| true) {
            let Some(job) = self.cron.get(key) else {
                continue;
            };
            if let Some(record) = newest.get(job.origin().as_str())
                && *record.command == *job.command
            {
                self.cron_failed(
                    &job,
                    record.due,
                    record.attempt,
                    None,
                    &record.outcome,
                    Output::default(),
                );
            }
        }
    }
}
