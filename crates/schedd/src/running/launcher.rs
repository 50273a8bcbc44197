//! The threads that start jobs.
//!
//! Jobs are started from threads of their own (one per CPU, up to four;
//! a large batch is shared among them), which run at the lowest
//! real-time priority where the daemon may (root: CAP_SYS_NICE), through
//! [`sched_runas::spawn`]. A burst of jobs due at one instant is a burst of
//! program start-ups, each about a millisecond of CPU in a VM: started from
//! an ordinary thread, each next job waits in the run queue behind the
//! ones already started (about 0.8 ms a job on 2 CPUs), while a starting
//! thread preempts them, and each child leaves real time as soon as it has exec'd
//! (see `prefer_starting_thread`). A thread does nothing else: it waits
//! for a batch, starts it, and hands the processes back.
//!
//! Where spawn is not available (kernels without pidfds), jobs are started
//! in the caller's task with std's fork, as ordinary processes.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

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
/// From a real-time starting thread, as one burst: each job finishes its exec
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
    /// The starting threads' queues; empty: start in the caller's task.
    threads: Vec<mpsc::Sender<Batch>>,
    /// The thread the next batch (or its first part) goes to: batches
    /// handed over at once go to different threads.
    next: Arc<AtomicUsize>,
    /// What the start instants are read from.
    clock: Clock,
}

/// At most this many starting threads, one per CPU below it.
const MOST_STARTERS: usize = 4;

/// A batch is shared between starting threads only in parts of at least
/// this many jobs: handing a part to another thread costs a wake-up on
/// another CPU, which a few serial starts (about 0.2 ms each) do not
/// repay.
const LEAST_SHARE: usize = 8;

/// Into how many parts a batch of `jobs` is shared among `threads`.
fn parts_for(jobs: usize, threads: usize) -> usize {
    (jobs / LEAST_SHARE).clamp(1, threads.max(1))
}

/// Splits `jobs` into `parts` runs of consecutive jobs, the first ones
/// one longer where they do not divide evenly; each run keeps its order.
fn share(mut jobs: Vec<LaunchSpec>, parts: usize) -> Vec<Vec<LaunchSpec>> {
    let mut runs = Vec::with_capacity(parts);
    for left in (1..=parts).rev() {
        let size = jobs.len().div_ceil(left);
        let rest = jobs.split_off(size);
        runs.push(std::mem::replace(&mut jobs, rest));
    }
    runs
}

impl Launcher {
    /// Starts the launching threads, one per CPU up to
    /// [`MOST_STARTERS`] (where spawn works). The threads end when the
    /// last `Launcher` is dropped.
    pub fn start(clock: Clock) -> Launcher {
        if !sched_runas::spawn_supported() {
            tracing::debug!("jobs start with fork: this kernel has no pidfds");
            return Launcher {
                threads: Vec::new(),
                next: Arc::default(),
                clock,
            };
        }
        let wanted = std::thread::available_parallelism()
            .map_or(1, |cpus| cpus.get())
            .min(MOST_STARTERS);
        let mut threads = Vec::with_capacity(wanted);
        for index in 0..wanted {
            match start_thread(index, clock.clone()) {
                Ok(queue) => threads.push(queue),
                Err(error) => {
                    tracing::warn!("cannot start launching thread {index}: {error}");
                    break;
                }
            }
        }
        if threads.is_empty() {
            tracing::warn!("no launching thread: jobs start in the scheduler");
        }
        Launcher {
            threads,
            next: Arc::default(),
            clock,
        }
    }

    /// Starts `jobs`; one result per job, in the order of `jobs`. A large
    /// batch is shared among the starting threads, each starting its part
    /// in order on its own CPU, the parts at the same time: the starts are
    /// serial within a thread, so sharing divides the wait of the batch's
    /// last job. A part whose thread is gone goes to the next thread, and
    /// is started here when none is left.
    pub async fn launch(&self, jobs: Vec<LaunchSpec>) -> Vec<Launched> {
        if self.threads.is_empty() {
            return start_all(jobs, &self.clock);
        }
        let count = jobs.len();
        let parts = share(jobs, parts_for(count, self.threads.len()));
        let threads = self.threads.len();
        let first = self.next.fetch_add(parts.len(), Ordering::Relaxed);
        let mut answers = Vec::with_capacity(parts.len());
        for (index, part) in parts.into_iter().enumerate() {
            let size = part.len();
            let (reply, answer) = tokio::sync::oneshot::channel();
            let mut unsent = Some(Batch { jobs: part, reply });
            for offset in 0..threads {
                let thread = &self.threads[(first + index + offset) % threads];
                if let Some(batch) = unsent.take()
                    && let Err(mpsc::SendError(back)) = thread.send(batch)
                {
                    unsent = Some(back);
                }
            }
            answers.push(match unsent {
                None => Handed::ToThread(answer, size),
                // Every thread is gone: start them here.
                Some(batch) => Handed::Started(start_all(batch.jobs, &self.clock)),
            });
        }
        let mut launched = Vec::with_capacity(count);
        for handed in answers {
            match handed {
                Handed::Started(started) => launched.extend(started),
                Handed::ToThread(answer, size) => match answer.await {
                    Ok(started) => launched.extend(started),
                    Err(_) => launched.extend((0..size).map(|_| Launched {
                        process: Err("the launching thread stopped".to_owned()),
                        at: self.clock.now(),
                        monotonic: self.clock.monotonic(),
                    })),
                },
            }
        }
        launched
    }
}

/// A part of a batch: being started by a thread (its reply, its size), or
/// started already.
enum Handed {
    ToThread(tokio::sync::oneshot::Receiver<Vec<Launched>>, usize),
    Started(Vec<Launched>),
}

/// Starts starting thread `index`: it takes the lowest real-time priority
/// where it may, then starts the batches sent to it, one at a time.
fn start_thread(index: usize, clock: Clock) -> std::io::Result<mpsc::Sender<Batch>> {
    let (requests, queue) = mpsc::channel::<Batch>();
    std::thread::Builder::new()
        .name(format!("schedd-launch{index}"))
        .spawn(move || {
            match sched_runas::prefer_starting_thread() {
                Ok(()) => tracing::debug!("launching thread {index} is real-time"),
                Err(error) => tracing::debug!(
                    "launching thread {index} is an ordinary thread: no real-time priority ({error})"
                ),
            }
            while let Ok(batch) = queue.recv() {
                let started = start_all(batch.jobs, &clock);
                // A caller that went away: its processes are reaped by
                // no one, as with any task dropped mid-way.
                let _ = batch.reply.send(started);
            }
        })?;
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(count: usize) -> Vec<LaunchSpec> {
        let user = sched_runas::resolve_uid(0).unwrap();
        (0..count)
            .map(|index| LaunchSpec {
                user: user.clone(),
                shell: PathBuf::from("/bin/sh"),
                script: format!("job {index}"),
                env: Vec::new(),
                cwd: PathBuf::from("/"),
                umask: 0o022,
                nice: 0,
                output: tempfile::tempfile().unwrap(),
                stdin: None,
            })
            .collect()
    }

    #[test]
    fn only_batches_with_a_full_share_for_each_thread_are_shared() {
        // (jobs, threads) -> parts
        let table = [
            (0, 2, 1),
            (1, 2, 1),
            (7, 2, 1),
            (15, 2, 1),
            (16, 2, 2),
            (100, 2, 2),
            (100, 1, 1),
            (100, 0, 1),
            (23, 4, 2),
            (24, 4, 3),
            (100, 4, 4),
        ];
        for (jobs, threads, parts) in table {
            assert_eq!(
                parts_for(jobs, threads),
                parts,
                "{jobs} jobs, {threads} threads"
            );
        }
    }

    #[test]
    fn a_shared_batch_keeps_every_job_once_in_order() {
        for (count, parts, sizes) in [
            (100, 2, vec![50, 50]),
            (17, 2, vec![9, 8]),
            (26, 3, vec![9, 9, 8]),
            (3, 1, vec![3]),
        ] {
            let runs = share(specs(count), parts);
            assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), sizes);
            let scripts: Vec<String> = runs.into_iter().flatten().map(|job| job.script).collect();
            let expected: Vec<String> = (0..count).map(|index| format!("job {index}")).collect();
            assert_eq!(scripts, expected);
        }
    }
}
