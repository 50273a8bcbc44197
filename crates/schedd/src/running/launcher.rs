//! The thread that starts jobs.
//!
//! Jobs are started from one thread of their own, which runs at the lowest
//! real-time priority where the daemon may (root: CAP_SYS_NICE), through
//! [`sched_runas::spawn`]. A burst of jobs due at one instant is a burst of
//! program start-ups, each about a millisecond of CPU in a VM: started from
//! an ordinary thread, each next job waits in the run queue behind the
//! ones already started (about 0.8 ms a job on 2 CPUs), while this thread
//! preempts them, and each child leaves real time as soon as it has exec'd
//! (see `prefer_starting_thread`). The thread does nothing else: it waits
//! for a batch, starts it, and hands the processes back.
//!
//! Where spawn is not available (kernels without pidfds), jobs are started
//! in the caller's task with std's fork, as ordinary processes.

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc;

use sched_runas::{JobCommand, ResolvedUser};

use crate::clock::Clock;
use crate::running::process::JobProcess;

/// What starting one job needs, owned, to cross to the thread.
#[derive(Debug)]
pub struct LaunchSpec {
    pub user: ResolvedUser,
    pub shell: PathBuf,
    pub script: String,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub umask: u32,
    pub nice: i32,
    pub output: File,
    pub stdin: Option<File>,
}

impl LaunchSpec {
    fn start(self) -> Result<JobProcess, String> {
        JobProcess::start(JobCommand {
            user: &self.user,
            shell: &self.shell,
            script: &self.script,
            env: &self.env,
            nice: self.nice,
            cwd: Some(&self.cwd),
            umask: self.umask,
            output: self.output,
            stdin: self.stdin,
        })
    }
}

/// A job's process, or why it did not start, with the instants it
/// started at on the daemon's clocks (read right after its exec).
#[derive(Debug)]
pub struct Launched {
    pub process: Result<JobProcess, String>,
    pub at: jiff::Timestamp,
    pub monotonic: jiff::SignedDuration,
}

struct Batch {
    jobs: Vec<LaunchSpec>,
    reply: tokio::sync::oneshot::Sender<Vec<Launched>>,
}

/// Starts `jobs` one after another, each stamped as it started.
/// From the real-time thread, as one burst: each job finishes its exec
/// while the next ones start, and all are made ordinary at the end, before
/// their first instruction (`sched_runas::in_one_burst`).
fn start_all(jobs: Vec<LaunchSpec>, clock: &Clock) -> Vec<Launched> {
    sched_runas::in_one_burst(|| {
        jobs.into_iter()
            .map(|job| {
                let process = job.start();
                Launched {
                    process,
                    at: clock.now(),
                    monotonic: clock.monotonic(),
                }
            })
            .collect()
    })
}

/// Where jobs are started; cheap to clone.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The thread's queue; `None`: start in the caller's task.
    thread: Option<mpsc::Sender<Batch>>,
    /// What the start instants are read from.
    clock: Clock,
}

impl Launcher {
    /// Starts the launching thread (where spawn works). The thread ends
    /// when the last `Launcher` is dropped.
    pub fn start(clock: Clock) -> Launcher {
        if !sched_runas::spawn_supported() {
            tracing::debug!("jobs start with fork: this kernel has no pidfds");
            return Launcher {
                thread: None,
                clock,
            };
        }
        let thread_clock = clock.clone();
        let (requests, queue) = mpsc::channel::<Batch>();
        let started = std::thread::Builder::new()
            .name("schedd-launch".to_owned())
            .spawn(move || {
                match sched_runas::prefer_starting_thread() {
                    Ok(()) => tracing::debug!("jobs start from a real-time thread"),
                    Err(error) => tracing::debug!(
                        "jobs start from an ordinary thread: no real-time priority ({error})"
                    ),
                }
                while let Ok(batch) = queue.recv() {
                    let started = start_all(batch.jobs, &thread_clock);
                    // A caller that went away: its processes are reaped by
                    // no one, as with any task dropped mid-way.
                    let _ = batch.reply.send(started);
                }
            });
        match started {
            Ok(_) => Launcher {
                thread: Some(requests),
                clock,
            },
            Err(error) => {
                tracing::warn!(
                    "cannot start the launching thread, jobs start in the scheduler: {error}"
                );
                Launcher {
                    thread: None,
                    clock,
                }
            }
        }
    }

    /// Starts `jobs`, in order; one result per job.
    pub async fn launch(&self, jobs: Vec<LaunchSpec>) -> Vec<Launched> {
        let clock = &self.clock;
        let count = jobs.len();
        if let Some(thread) = &self.thread {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let batch = Batch { jobs, reply };
            match thread.send(batch) {
                Ok(()) => {
                    return match answer.await {
                        Ok(started) => started,
                        Err(_) => (0..count)
                            .map(|_| Launched {
                                process: Err("the launching thread stopped".to_owned()),
                                at: clock.now(),
                                monotonic: clock.monotonic(),
                            })
                            .collect(),
                    };
                }
                // The thread is gone: start them here.
                Err(mpsc::SendError(batch)) => return start_all(batch.jobs, clock),
            }
        }
        start_all(jobs, clock)
    }
}
