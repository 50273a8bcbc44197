//! A job's process, started and waited for.
//!
//! Where the kernel has pidfds (Linux 5.3), a job starts through
//! [`sched_runas::spawn`]: a clone that shares the daemon's memory instead
//! of a fork that copies it, so a start costs the same however large the
//! daemon is, and a burst of jobs starts in a fraction of the time. Its end
//! is awaited on the pidfd. Elsewhere std's fork through tokio.

use std::io;
use std::process::ExitStatus;

use sched_runas::{JobCommand, Spawned};

/// A started job's process.
#[derive(Debug)]
pub enum JobProcess {
    Spawned(Spawned),
    Forked(tokio::process::Child),
}

impl JobProcess {
    /// Starts `job`; a job that could not start says why (the step that
    /// failed in the child has also written to the job's output).
    pub fn start(job: JobCommand<'_>) -> Result<JobProcess, String> {
        if sched_runas::spawn_supported() {
            return sched_runas::spawn(job)
                .map(JobProcess::Spawned)
                .map_err(|error| error.to_string());
        }
        let command = sched_runas::command(job).map_err(|error| error.to_string())?;
        tokio::process::Command::from(command)
            .spawn()
            .map(JobProcess::Forked)
            .map_err(|error| format!("cannot start: {error}"))
    }

    pub fn id(&self) -> u32 {
        match self {
            JobProcess::Spawned(spawned) => spawned.id(),
            // A child not yet reaped always has its pid.
            JobProcess::Forked(child) => child.id().unwrap_or_default(),
        }
    }

    /// Waits for the process to end, and reaps it.
    pub async fn wait(self) -> io::Result<ExitStatus> {
        match self {
            JobProcess::Forked(mut child) => child.wait().await,
            JobProcess::Spawned(spawned) => spawned.wait().await,
        }
    }
}
