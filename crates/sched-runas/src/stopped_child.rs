//! Kills a child stopped before its exec, so that the thread that started
//! it is not held forever.
//!
//! [`spawn`](crate::spawn) suspends the starting thread until its child
//! has exec'd or exited (CLONE_VFORK). Between its change of user and its
//! exec the child is its owner's process: the owner may send it SIGSTOP
//! (or, while the starter traces it, any signal, which stops a traced
//! process), and an exec the owner can make fail late (a shell on their
//! own FUSE mount) returns to the child with the signal pending. Stopped
//! there, the child would hold the starting thread, and every job of every
//! user waiting behind it, until someone killed it. A stop before exec is
//! never legitimate: a child found stopped there for [`STOPPED_LIMIT`] is
//! killed, and its job ends killed by SIGKILL.
//!
//! One thread watches, started with the first start; it sleeps until a
//! start is in progress, then looks every [`STOPPED_LIMIT`] while starts go
//! on, and sleeps again once there are none (an idle daemon: no wake-ups).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a child may be seen stopped before its exec.
pub(crate) const STOPPED_LIMIT: Duration = Duration::from_millis(200);

/// A start in progress: the child's pid once it has written it (0 before),
/// and when the start began.
struct Start {
    id: u64,
    pid: Arc<AtomicI32>,
    since: Instant,
}

#[derive(Default)]
struct Starts {
    in_progress: Vec<Start>,
    next_id: u64,
    /// The watching thread sleeps until a start begins.
    watcher_asleep: bool,
}

struct Watch {
    starts: Mutex<Starts>,
    begun: Condvar,
}

fn watch() -> &'static Watch {
    static WATCH: OnceLock<&'static Watch> = OnceLock::new();
    WATCH.get_or_init(|| {
        let watch: &'static Watch = Box::leak(Box::new(Watch {
            starts: Mutex::new(Starts::default()),
            begun: Condvar::new(),
        }));
        // Without the thread (none can be made) starts go on unwatched,
        // as they did before it existed.
        let _ = std::thread::Builder::new()
            .name("schedd-start-watch".to_owned())
            .spawn(move || watch_starts(watch));
        watch
    })
}

/// A start registered with the watcher until dropped.
pub(crate) struct Watched {
    id: u64,
    /// Where the child writes its pid first thing.
    pub(crate) pid: Arc<AtomicI32>,
}

/// Registers a start about to begin.
pub(crate) fn begin() -> Watched {
    let watch = watch();
    let pid = Arc::new(AtomicI32::new(0));
    let mut starts = watch.starts.lock().unwrap_or_else(|e| e.into_inner());
    let id = starts.next_id;
    starts.next_id += 1;
    starts.in_progress.push(Start {
        id,
        pid: pid.clone(),
        since: Instant::now(),
    });
    if starts.watcher_asleep {
        starts.watcher_asleep = false;
        watch.begun.notify_one();
    }
    Watched { id, pid }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut starts = watch().starts.lock().unwrap_or_else(|e| e.into_inner());
        starts.in_progress.retain(|start| start.id != self.id);
    }
}

fn watch_starts(watch: &'static Watch) {
    loop {
        {
            let mut starts = watch.starts.lock().unwrap_or_else(|e| e.into_inner());
            while starts.in_progress.is_empty() {
                starts.watcher_asleep = true;
                starts = watch.begun.wait(starts).unwrap_or_else(|e| e.into_inner());
            }
        }
        std::thread::sleep(STOPPED_LIMIT);
        // Under the lock: a start ends (and its child can be reaped, its
        // pid reused) only once it has left the list.
        let starts = watch.starts.lock().unwrap_or_else(|e| e.into_inner());
        for start in &starts.in_progress {
            let pid = start.pid.load(Ordering::Acquire);
            if pid > 0 && start.since.elapsed() >= STOPPED_LIMIT && is_stopped(pid) {
                // The pid of a child whose start is still in progress: not
                // reaped, so not reused.
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// Whether process `pid` is stopped (by a signal, or at a trace stop).
fn is_stopped(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name's closing parenthesis.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        .is_some_and(|state| state == 'T' || state == 't')
}
