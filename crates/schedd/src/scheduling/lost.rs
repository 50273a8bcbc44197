//! Runs recorded as running that no daemon will see end: those a previous
//! daemon on this host left at its start, and, in a fleet, those of a
//! host whose lease ran out. Each is recorded lost; a lost at job whose
//! policy retries lost runs is queued again for its next attempt, and a
//! lost run of a crontab line is handed back for the scheduler to retry
//! under its line's policy.

use sched_cron::policy::{Policy, PolicySpec};
use sched_engine::policy::{AfterRun, Ending, after_run};
use sched_spool::{JobRecord, Output, RunId, RunKind, RunRecord};

use crate::storage::{SpoolCallError, SpoolHandle};

/// What became of a lost run.
#[derive(Debug, Default)]
pub struct Lost {
    /// The run, when it was a crontab line's (for the scheduler to retry).
    pub cron: Option<RunRecord>,
    /// Its at job, queued again for its next attempt.
    pub requeued: Option<JobRecord>,
}

/// Records run `run` lost at `now` with the output it left, and queues its
/// at job's next attempt when its policy says to.
pub async fn lose(
    spool: &SpoolHandle,
    run: RunId,
    now: jiff::Timestamp,
    output: Output,
    defaults: &Policy,
    metrics: &crate::metrics::Metrics,
) -> Result<Lost, SpoolCallError> {
    let (record, held) = spool.lose_run(run, now, output).await?;
    if let Some(record) = &record {
        metrics.run_not_timed(crate::metrics::kind_label(record.kind), &record.outcome);
    }
    let requeued = match held {
        Some(job) => retry_lost_job(spool, job, now, defaults).await?,
        None => None,
    };
    Ok(Lost {
        cron: record.filter(|record| {
            record.kind == RunKind::Cron && record.outcome == sched_spool::Outcome::Lost
        }),
        requeued,
    })
}

/// Queues a lost at job's next attempt when its policy retries lost runs
/// (and has attempts left), and returns it as queued.
async fn retry_lost_job(
    spool: &SpoolHandle,
    job: JobRecord,
    now: jiff::Timestamp,
    defaults: &Policy,
) -> Result<Option<JobRecord>, SpoolCallError> {
    let policy = match PolicySpec::parse(&job.job.policy) {
        Ok(spec) => spec.over(defaults),
        Err(_) => *defaults,
    };
    let seed = sched_engine::policy::job_seed(job.id.0);
    match after_run(&policy, job.job.attempt, Ending::Lost, now, seed, None) {
        AfterRun::Retry { attempt, at } => {
            tracing::warn!(job = job.id.0, attempt, %at, "the lost job is retried (its policy retries lost runs)");
            let retry = job.retry(attempt, at);
            spool.requeue_job(retry.clone()).await?;
            return Ok(Some(retry));
        }
        AfterRun::GaveUp { attempts } => {
            tracing::warn!(
                job = job.id.0,
                attempts,
                "the lost job is not retried: no attempt left"
            );
        }
        AfterRun::Done | AfterRun::Superseded { .. } => {}
    }
    Ok(None)
}
