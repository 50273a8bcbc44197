//! Starting a claimed job as its owner and recording how it ends.
//!
//! The scheduler hands over a job already claimed in the spool (consumed,
//! with a `running` row). Starting resolves the owner again, so a deleted
//! user's job is recorded as failed instead of run; waiting happens in a
//! task of its own, so a long job never delays the scheduler.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sched_runas::{JobCommand, ResolvedUser};
use sched_spool::{JobRecord, Outcome, Output};
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::Clock;
use crate::output;
use crate::scheduler::Event;
use crate::spool_thread::SpoolHandle;

/// The shell that runs every job, as cron and at use.
pub const SHELL: &str = "/bin/sh";

/// What running jobs needs from the daemon.
#[derive(Debug, Clone)]
pub struct Executor {
    pub spool: SpoolHandle,
    pub clock: Clock,
    pub output_dir: PathBuf,
    pub output_limit: u64,
    pub events: UnboundedSender<Event>,
}

/// A claimed job made ready to start: its owner looked up again and its
/// output file open. Starting it is then only the fork and exec.
#[derive(Debug)]
pub struct Ready {
    pub job: JobRecord,
    pub run: u64,
    user: ResolvedUser,
    output: std::fs::File,
}

/// A run whose process started.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    pub run: u64,
    pub pid: u32,
    pub at: Timestamp,
}

impl Executor {
    /// Starts `job` (claimed as run `run`) at once; see [`launch`](Self::launch).
    pub async fn start(&self, job: JobRecord, run: u64) -> Option<Started> {
        let ready = self.prepare(job, run).await?;
        self.launch(ready).await
    }

    /// Records the pid and start instant of runs just started, in one
    /// transaction: after the forks, so that no job waits for the write,
    /// and before the scheduler goes on, so that `sched logs` shows each
    /// started run from then on.
    pub async fn record_started(&self, started: Vec<Started>) {
        if started.is_empty() {
            return;
        }
        let rows: Vec<_> = started
            .iter()
            .map(|run| (run.run, run.pid, run.at))
            .collect();
        if let Err(error) = self.spool.call(move |spool| spool.set_started(&rows)).await {
            tracing::warn!(runs = started.len(), "cannot record started runs: {error}");
        }
    }

    /// Looks up the owner of `job` and opens its output file. A job that
    /// cannot start (its owner is gone, the output directory refuses) is
    /// recorded as a failed run here, and `None` is returned.
    pub async fn prepare(&self, job: JobRecord, run: u64) -> Option<Ready> {
        let uid = job.job.owner_uid;
        let user = match tokio::task::spawn_blocking(move || sched_runas::resolve_uid(uid)).await {
            Ok(Ok(user)) => user,
            Ok(Err(error)) => {
                self.record_failure(run, error.to_string(), Output::default())
                    .await;
                return None;
            }
            Err(join) => {
                self.record_failure(
                    run,
                    format!("cannot look up user {uid}: {join}"),
                    Output::default(),
                )
                .await;
                return None;
            }
        };
        let output = match output::create(&self.output_dir, run) {
            Ok(file) => file,
            Err(error) => {
                let reason = format!(
                    "cannot create the output file in {}: {error}",
                    self.output_dir.display()
                );
                self.record_failure(run, reason, Output::default()).await;
                return None;
            }
        };
        Some(Ready {
            job,
            run,
            user,
            output,
        })
    }

    /// Gives back a job made ready but not started, unopened output file
    /// and all; the caller returns the claim to the spool.
    pub fn abandon(&self, ready: Ready) -> (JobRecord, u64) {
        let path = output::path(&self.output_dir, ready.run);
        drop(ready.output);
        if let Err(error) = output::remove(&path) {
            tracing::warn!(run = ready.run, "cannot remove {}: {error}", path.display());
        }
        (ready.job, ready.run)
    }

    /// Forks and execs a ready job. Returns the started process, to be
    /// recorded with [`record_started`](Self::record_started); a run that
    /// failed to start is recorded as failed here, and no
    /// [`Event::RunFinished`] follows.
    pub async fn launch(&self, ready: Ready) -> Option<Started> {
        let Ready {
            job,
            run,
            user,
            output,
        } = ready;
        let uid = job.job.owner_uid;
        let env = job_environment(&user, &job.job.env);
        let cwd = PathBuf::from(&job.job.cwd);
        let spec = JobCommand {
            user: &user,
            shell: Path::new(SHELL),
            script: &job.job.command,
            env: &env,
            cwd: Some(&cwd),
            umask: job.job.umask,
            output,
        };
        let spawned = sched_runas::command(spec)
            .map_err(|e| e.to_string())
            .and_then(|command| {
                tokio::process::Command::from(command)
                    .spawn()
                    .map_err(|e| format!("cannot start: {e}"))
            });
        let at = self.clock.now();
        let mut child = match spawned {
            Ok(child) => child,
            Err(reason) => {
                tracing::warn!(run, "not run: {reason}");
                self.conclude(run, Outcome::Failed(reason)).await;
                return None;
            }
        };
        // A child not yet reaped always has its pid.
        let pid = child.id().unwrap_or_default();
        tracing::info!(run, job = job.id, uid, "started");
        let executor = self.clone();
        tokio::spawn(async move {
            let outcome = match child.wait().await {
                Ok(status) => outcome_of(status),
                Err(error) => Outcome::Failed(format!("cannot wait for the job: {error}")),
            };
            tracing::info!(run, job = job.id, ?outcome, "finished");
            executor.conclude(run, outcome).await;
            let _ = executor.events.send(Event::RunFinished);
        });
        Some(Started { run, pid, at })
    }

    /// Records how run `run` ended with the output it wrote, then removes
    /// its output file (only once recorded: a crash in between loses
    /// nothing).
    async fn conclude(&self, run: u64, outcome: Outcome) {
        let path = output::path(&self.output_dir, run);
        let limit = self.output_limit;
        let reading = path.clone();
        let output = match tokio::task::spawn_blocking(move || output::read(&reading, limit)).await
        {
            Ok(Ok(output)) => output,
            Ok(Err(error)) => {
                tracing::warn!(run, "cannot read the job's output: {error}");
                Output::default()
            }
            Err(_) => Output::default(),
        };
        let recorded = self.record(run, self.clock.now(), outcome, output).await;
        if recorded && let Err(error) = output::remove(&path) {
            tracing::warn!(run, "cannot remove {}: {error}", path.display());
        }
    }

    async fn record_failure(&self, run: u64, reason: String, output: Output) {
        tracing::warn!(run, "not run: {reason}");
        self.record(run, self.clock.now(), Outcome::Failed(reason), output)
            .await;
    }

    /// Records the end of a run; false when the spool refused.
    async fn record(
        &self,
        run: u64,
        finished: Timestamp,
        outcome: Outcome,
        output: Output,
    ) -> bool {
        let result = self
            .spool
            .call(move |spool| spool.finish_run(run, finished, &outcome, &output))
            .await;
        match result {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(run, "cannot record the end of the run: {error}");
                false
            }
        }
    }
}

/// The job's environment: HOME, LOGNAME, USER, SHELL and PATH from the
/// owner's account, then what the submitter's environment held (at(1) keeps
/// it), which wins. Nothing of the daemon's own environment.
fn job_environment(user: &ResolvedUser, submitted: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("HOME".to_owned(), user.home().display().to_string()),
        ("LOGNAME".to_owned(), user.name().to_owned()),
        ("USER".to_owned(), user.name().to_owned()),
        ("SHELL".to_owned(), SHELL.to_owned()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ];
    for (name, value) in submitted {
        match env.iter_mut().find(|(existing, _)| existing == name) {
            Some(slot) => slot.1 = value.clone(),
            None => env.push((name.clone(), value.clone())),
        }
    }
    env
}

fn outcome_of(status: std::process::ExitStatus) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Exited(code),
        (None, Some(signal)) => Outcome::Signalled(signal),
        (None, None) => Outcome::Failed(format!("ended with status {status}")),
    }
}
