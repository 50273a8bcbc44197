//! The jobs running now, by run id and process id: what a daemon configured
//! to stop its jobs when it stops (`stop_jobs_on_exit`) signals, and waits
//! for. By default, as cron, a stopping daemon leaves its jobs running.

use sched_spool::RunId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Shared between the executor (which adds and removes runs) and the
/// shutdown.
#[derive(Debug, Clone, Default)]
pub struct Running {
    /// Each run until its end is recorded, with its pid until the pid is
    /// reaped.
    pids: Arc<Mutex<HashMap<RunId, Option<u32>>>>,
    /// Runs `sched kill` is stopping.
    killing: Arc<Mutex<std::collections::HashSet<RunId>>>,
    /// What the run's history is to say about how it ended (who stopped
    /// it), recorded with its outcome.
    notes: Arc<Mutex<HashMap<RunId, String>>>,
    /// Runs stopped by their timeout, and when.
    timed_out: Arc<Mutex<HashMap<RunId, jiff::Timestamp>>>,
    changed: Arc<Notify>,
}

impl Running {
    /// The runs in progress: started, or ended and not yet recorded.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    pub fn started(&self, run: RunId, pid: u32) {
        self.lock().insert(run, Some(pid));
    }

    /// Run `run`'s process `pid` has ended and been reaped; its end is
    /// not recorded yet. If `sched kill` is stopping it, the rest of its
    /// process group gets SIGKILL now: while any member lives the group's
    /// id cannot be reused, so the signal reaches only them.
    pub fn exited(&self, run: RunId, pid: u32) {
        if let Some(entry) = self.lock().get_mut(&run) {
            *entry = None;
        }
        if lock(&self.killing).remove(&run)
            && let Ok(pid) = i32::try_from(pid)
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(-pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }

    /// Marks run `run` as being stopped by `sched kill`.
    pub fn killing(&self, run: RunId) {
        lock(&self.killing).insert(run);
    }

    /// Stops run `run` with `signal` to its process group, if its process
    /// has not been reaped; the rest of the group gets SIGKILL when the
    /// process ends. False when there was nothing to signal.
    pub fn signal(&self, run: RunId, signal: nix::sys::signal::Signal) -> bool {
        let pids = self.lock();
        let Some(pid) = pids.get(&run).copied().flatten() else {
            return false;
        };
        // The pid is unreaped while the lock is held: it is still the run's.
        lock(&self.killing).insert(run);
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        match nix::sys::signal::kill(nix::unistd::Pid::from_raw(-pid), signal) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(run = run.0, pid, "cannot signal the job: {error}");
                false
            }
        }
    }

    /// Marks run `run` as stopped by its timeout at `at`: its outcome is
    /// recorded as timed out.
    pub fn timed_out(&self, run: RunId, at: jiff::Timestamp) {
        lock(&self.timed_out).entry(run).or_insert(at);
    }

    /// When run `run` was stopped by its timeout, if it was.
    pub fn take_timed_out(&self, run: RunId) -> Option<jiff::Timestamp> {
        lock(&self.timed_out).remove(&run)
    }

    /// The process id of run `run`, while it runs.
    pub fn pid_of(&self, run: RunId) -> Option<u32> {
        self.lock().get(&run).copied().flatten()
    }

    /// Keeps `note` to be recorded with run `run`'s outcome.
    pub fn note(&self, run: RunId, note: String) {
        lock(&self.notes).insert(run, note);
    }

    /// The note kept for run `run`, if any.
    pub fn take_note(&self, run: RunId) -> Option<String> {
        lock(&self.notes).remove(&run)
    }

    /// Run `run` has ended and its outcome is recorded.
    pub fn ended(&self, run: RunId) {
        self.lock().remove(&run);
        lock(&self.notes).remove(&run);
        lock(&self.killing).remove(&run);
        lock(&self.timed_out).remove(&run);
        self.changed.notify_waiters();
    }

    /// Sends SIGTERM to every running job's process group (each job leads
    /// a session of its own, so the group is its pid), then waits up to
    /// `grace` for their ends to be recorded. Returns how many were still
    /// running then.
    pub async fn stop_all(&self, grace: Duration) -> usize {
        let pids: Vec<u32> = self.lock().values().copied().flatten().collect();
        for pid in pids {
            let Ok(pid) = i32::try_from(pid) else {
                continue;
            };
            let group = nix::unistd::Pid::from_raw(-pid);
            if let Err(error) = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTERM) {
                tracing::warn!(pid, "cannot stop the job: {error}");
            }
        }
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let waiting = self.changed.notified();
            let left = self.lock().len();
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                return self.lock().len();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RunId, Option<u32>>> {
        lock(&self.pids)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
