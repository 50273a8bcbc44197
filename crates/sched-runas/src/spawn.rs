//! Starting a job without copying the daemon: a clone that shares the
//! daemon's memory and suspends the calling thread until the child has
//! exec'd (`CLONE_VM | CLONE_VFORK`, what `posix_spawn` does), with a pidfd
//! to wait on.
//!
//! Why not std's `Command`: with a `pre_exec` step (needed to change
//! credentials) std forks, and a fork copies the daemon's page tables and
//! makes every page copy-on-write, so each start costs time in proportion
//! to the daemon's size, and a burst of jobs starts one after another.
//! Here the child costs a stack and the exec.
//!
//! What the child does between clone and exec is [`ChildPlan::enter`]
//! (raw system calls only) plus the standard streams and signals, all on
//! data prepared here: it allocates nothing, takes no lock, and touches no
//! memory the suspended caller could be using.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::RunAsError;
use crate::child::{ChildPlan, JobCommand, raw};

/// The child's stack: it runs a few short functions on it.
const STACK_SIZE: usize = 64 * 1024;

/// A job's process started by [`spawn`]: its pid, and a pidfd that becomes
/// readable when it ends. [`wait`](Self::wait) for it, which reaps it.
#[derive(Debug)]
pub struct Spawned {
    pid: u32,
    pidfd: OwnedFd,
}

impl Spawned {
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The exit status once the process has ended (it is then reaped and
    /// its pid free for reuse), `None` while it runs.
    fn try_reap(&self) -> io::Result<Option<ExitStatus>> {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid on our own child with a valid out pointer.
        let done = unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, libc::WNOHANG) };
        match done {
            -1 => Err(io::Error::last_os_error()),
            0 => Ok(None),
            _ => Ok(Some(ExitStatus::from_raw(status))),
        }
    }
}

impl Spawned {
    /// Waits for the process to end, and reaps it: on the pidfd, in the
    /// tokio runtime this is called from.
    pub async fn wait(self) -> io::Result<ExitStatus> {
        // SAFETY: the pidfd is owned by `self`, which moves into the
        // AsyncFd and keeps it open, unchanged, until it is dropped.
        let watched = match unsafe { AsyncFd::register_with_interest(self, Interest::READABLE) } {
            Ok(watched) => watched,
            // The reactor refused the descriptor (out of memory): wait in
            // a thread of the blocking pool instead.
            Err(refused) => {
                let (spawned, _) = refused.into_parts();
                return tokio::task::spawn_blocking(move || spawned.wait_blocking())
                    .await
                    .map_err(io::Error::other)?;
            }
        };
        loop {
            let mut ready = watched.readable().await?;
            if let Some(status) = watched.get_ref().try_reap()? {
                return Ok(status);
            }
            ready.clear_ready();
        }
    }

    /// Waits for the process to end and reaps it, blocking the thread.
    pub fn wait_blocking(&self) -> io::Result<ExitStatus> {
        let mut status: libc::c_int = 0;
        loop {
            // SAFETY: waitpid on our own child with a valid out pointer.
            let done = unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, 0) };
            if done != -1 {
                return Ok(ExitStatus::from_raw(status));
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

impl AsRawFd for Spawned {
    fn as_raw_fd(&self) -> RawFd {
        self.pidfd.as_raw_fd()
    }
}

impl AsFd for Spawned {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }
}

/// Whether [`spawn`] works here: the kernel must give pidfds through
/// clone (Linux 5.2; older kernels ignore the flag) and no sandbox may
/// refuse the clone. Tried once, with a child that exits at once. Where it
/// does not, start jobs with [`command`](crate::command).
pub fn spawn_supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        extern "C" fn exit_at_once(_: *mut libc::c_void) -> libc::c_int {
            0
        }
        let mut stack = vec![0u8; 16 * 1024];
        // SAFETY: the child runs a function that returns at once and reads
        // nothing.
        let Ok((pid, pidfd)) =
            (unsafe { clone_vfork(exit_at_once, &mut stack, std::ptr::null_mut()) })
        else {
            return false;
        };
        // SAFETY: our own child; a null status pointer is allowed.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        // Older kernels ignore CLONE_PIDFD and leave it unset.
        pidfd.is_some()
    })
}

/// Clones a child that shares this process's memory and runs `child(arg)`
/// on `stack`, with every signal blocked in this thread meanwhile (no
/// signal handler of the daemon may run in the child), and returns once
/// the child has exec'd or exited: its pid, and its pidfd when the kernel
/// gave one.
///
/// # Safety
/// `child` must run on `stack` only what is safe in a child sharing the
/// caller's memory (raw system calls on data prepared beforehand), and
/// `arg` must be valid for it until this returns. A child that stops
/// before its exec holds this thread until it is killed (see
/// `stopped_child`).
unsafe fn clone_vfork(
    child: extern "C" fn(*mut libc::c_void) -> libc::c_int,
    stack: &mut [u8],
    arg: *mut libc::c_void,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let top = stack_top(stack);
    let mut pidfd: libc::c_int = -1;
    let blocked = block_all_signals();
    // SAFETY: as the caller promises for `child` and `arg`; `stack`
    // outlives the child's use of it (CLONE_VFORK suspends this thread
    // until the child exec'd or exited). CLONE_PIDFD stores the pidfd
    // through the parent-tid argument.
    let pid = unsafe {
        libc::clone(
            child,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
            arg,
            &raw mut pidfd,
        )
    };
    let error = io::Error::last_os_error();
    drop(blocked);
    if pid == -1 {
        return Err(error);
    }
    // SAFETY: a descriptor the kernel gave us, ours alone.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    Ok((pid, pidfd))
}

/// The real-time priorities of a preferred starting thread, and of its
/// child until it has exec'd.
const STARTER_PRIORITY: i32 = 2;
const CHILD_PRIORITY: i32 = 1;

thread_local! {
    /// Tests: children started from this thread stop themselves before
    /// their exec ([`stop_children_before_exec`]).
    static STOP_BEFORE_EXEC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether this thread is a preferred starting thread.
    static PREFERRED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Within [`in_one_burst`]: the children that have exec'd (or are
    /// exec'ing) real-time, to be made ordinary when the burst is started.
    static IN_BURST: std::cell::RefCell<Option<Vec<libc::pid_t>>> =
        const { std::cell::RefCell::new(None) };
}

/// For tests of the watcher of stopped children: the children this thread
/// starts from now on stop themselves (SIGSTOP) right before their exec,
/// as a job's owner could stop them. Nothing else calls it.
#[doc(hidden)]
pub fn stop_children_before_exec(stop: bool) {
    STOP_BEFORE_EXEC.with(|cell| cell.set(stop));
}

/// Runs `start`, which starts jobs with [`spawn`] on this thread, as one
/// burst: from a preferred starting thread, each child finishes its exec
/// real-time while the next ones start, and is held stopped at its end;
/// when `start` returns, each is made ordinary and let go, in the order
/// started. A burst of 100 jobs then takes about 100 clones, not 100
/// clones and execs one after another. (Waiting for each exec's end in
/// `spawn` itself is what a single start does.) Jobs hold no real-time
/// priority once they run their first instruction either way. A job
/// started inside the burst must not be waited for before it returns
/// (the wait would take its trace stop).
pub fn in_one_burst<T>(start: impl FnOnce() -> T) -> T {
    /// Lets the held children go even if `start` panics.
    struct Burst(Option<Vec<libc::pid_t>>);
    impl Drop for Burst {
        fn drop(&mut self) {
            let held = IN_BURST.with(|burst| burst.borrow_mut().take());
            for pid in held.into_iter().flatten() {
                release_after_exec(pid);
            }
            IN_BURST.with(|burst| *burst.borrow_mut() = self.0.take());
        }
    }
    // A burst within a burst joins the outer one's end.
    let outer = IN_BURST.with(|burst| burst.borrow_mut().replace(Vec::new()));
    if let Some(outer) = outer {
        IN_BURST.with(|burst| *burst.borrow_mut() = Some(outer));
        return start();
    }
    let _burst = Burst(None);
    start()
}

/// Gives the calling thread, the one that starts jobs with [`spawn`],
/// priority over the jobs: the lowest real-time priorities (SCHED_FIFO 2
/// for it, 1 for each child until exec; needs CAP_SYS_NICE). Each job
/// leaves real time the moment its exec is complete, before its program's
/// first instruction: the child asks to be traced by the starter
/// (`PTRACE_TRACEME`), so the kernel stops it once the exec is done
/// (the exec's SIGTRAP); the starter waits for that stop, makes the job an
/// ordinary process (SCHED_OTHER, with the niceness the child set itself)
/// and detaches, discarding the SIGTRAP. A child that may not be traced
/// (Yama's `ptrace_scope`, a seccomp filter, a daemon itself traced)
/// makes itself ordinary before its exec instead. A child stopped before
/// its exec (its owner may signal it, and a traced process stops at any
/// signal) is killed by the watcher of `stopped_child`.
///
/// Waking the starter at the exec's start and letting it demote the
/// child, as before, left the job real-time for milliseconds when the
/// kernel woke the starter on an idle virtual CPU: a job saw itself at
/// SCHED_FIFO in 3 to 8 runs of 40 of the test.
///
/// Why: a burst of jobs is a burst of program start-ups (in a VM about a
/// millisecond of CPU each, most of it the dynamic loader); at equal
/// priority each next start waits behind the jobs already started, a
/// time slice at a time, and niceness does not shorten that wait.
/// The starting thread must do nothing but start jobs: it preempts every
/// ordinary process.
pub fn prefer_starting_thread() -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: STARTER_PRIORITY,
    };
    // SAFETY: sched_setscheduler on the calling thread with a valid param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PREFERRED.with(|preferred| preferred.set(true));
    Ok(())
}

/// Waits until `pid`, traced since before its exec, has stopped at the
/// end of it, makes it an ordinary process and lets it go without the
/// exec's SIGTRAP. Another signal stopping it first is passed on, and the
/// wait goes on. A child that died instead is left for its waiter.
fn release_after_exec(pid: libc::pid_t) {
    let mut stops = 0;
    loop {
        // SAFETY: siginfo_t is plain data; all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child into an owned siginfo.
        let peeked = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WSTOPPED | libc::WEXITED | libc::WNOWAIT | libc::__WALL,
            )
        };
        if peeked != 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if info.si_code != libc::CLD_TRAPPED {
            // Exited or killed: its waiter reaps it.
            return;
        }
        // SAFETY: as above; takes the stop just seen.
        let taken = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WSTOPPED | libc::__WALL,
            )
        };
        if taken != 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // Killed meanwhile: its waiter reaps it.
            return;
        }
        // SAFETY: reading the status of a CLD_TRAPPED siginfo.
        let signal = unsafe { info.si_status() };
        stops += 1;
        // The exec's SIGTRAP is synchronous, delivered before any other
        // signal: the first stop is nearly always it. After many others,
        // the job is let go with the signal it stopped for.
        if signal == libc::SIGTRAP || stops >= 64 {
            leave_real_time(pid);
            let passed = if signal == libc::SIGTRAP { 0 } else { signal };
            // SAFETY: detaching our stopped tracee.
            unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, 0, passed) };
            return;
        }
        // SAFETY: resuming our stopped tracee with the signal it stopped for.
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, signal) };
    }
}

/// Makes process `pid` an ordinary one again (SCHED_OTHER, keeping its
/// niceness).
fn leave_real_time(pid: libc::pid_t) {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler on an integer pid with a valid param. A
    // failure means the process is gone.
    unsafe { libc::sched_setscheduler(pid, libc::SCHED_OTHER, &param) };
}

/// The top of `stack` (stacks grow down), aligned to 16 bytes.
fn stack_top(stack: &mut [u8]) -> *mut libc::c_void {
    let end = stack.as_mut_ptr_range().end as usize;
    (end & !15) as *mut libc::c_void
}

/// Everything the child reads, and the one thing it writes (`failed`),
/// shared through the memory the clone shares.
struct Shared<'a> {
    plan: &'a ChildPlan,
    path: &'a CString,
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    stdin: RawFd,
    output: RawFd,
    /// Whether the child runs real-time (a preferred starter's), and must
    /// go below the starter before it execs.
    preferred: bool,
    /// Set by the child once it is traced by the starter (it execs
    /// real-time, and stops when the exec is done).
    traced: std::sync::atomic::AtomicBool,
    /// Where the child writes its pid first, for the watcher that kills
    /// it if it is found stopped before its exec (`stopped_child`).
    pid: &'a AtomicI32,
    /// Tests: the child stops itself before its exec.
    stop_before_exec: bool,
    /// The errno of the step that failed in the child; 0 when it exec'd.
    failed: AtomicI32,
}

/// Starts `job.script` with `job.shell -c` as `job.user` in a new session,
/// as [`command`](crate::command) does, without forking the daemon. Returns
/// once the job's process has exec'd the shell. Only where
/// [`spawn_supported`]. A step that fails in the
/// child is written to the job's output (`schedd: cannot ...`, as with
/// [`command`](crate::command)) and returned as [`RunAsError::Start`].
pub fn spawn(job: JobCommand<'_>) -> Result<Spawned, RunAsError> {
    if !spawn_supported() {
        return Err(RunAsError::Start(io::Error::new(
            io::ErrorKind::Unsupported,
            "this kernel gives no pidfds: start jobs with fork",
        )));
    }
    let plan = ChildPlan::for_job(&job)?;
    let preferred = PREFERRED.with(std::cell::Cell::get);
    let nul = |what| move |_| RunAsError::Nul { what };
    let path = CString::new(job.shell.as_os_str().as_bytes()).map_err(nul("the shell"))?;
    let script = CString::new(job.script).map_err(nul("the command"))?;
    let dash_c = c"-c";
    let argv = [
        path.as_ptr(),
        dash_c.as_ptr(),
        script.as_ptr(),
        std::ptr::null(),
    ];
    let env: Vec<CString> = job
        .env
        .iter()
        .map(|(name, value)| CString::new(format!("{name}={value}")))
        .collect::<Result<_, _>>()
        .map_err(nul("the environment"))?;
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|entry| entry.as_ptr()).collect();
    envp.push(std::ptr::null());
    let stdin: OwnedFd = match job.stdin {
        Some(file) => file.into(),
        None => File::open("/dev/null")
            .map_err(|e| RunAsError::Start(io::Error::new(e.kind(), format!("/dev/null: {e}"))))?
            .into(),
    };
    let output: OwnedFd = job.output.into();
    let watched = crate::stopped_child::begin();
    let pid_slot = watched.pid.clone();
    let shared = Shared {
        pid: &pid_slot,
        stop_before_exec: STOP_BEFORE_EXEC.with(std::cell::Cell::get),
        plan: &plan,
        path: &path,
        argv: &argv,
        envp: &envp,
        stdin: stdin.as_raw_fd(),
        output: output.as_raw_fd(),
        failed: AtomicI32::new(0),
        preferred,
        traced: std::sync::atomic::AtomicBool::new(false),
    };
    let mut stack = vec![0u8; STACK_SIZE];
    // SAFETY: `child_main` makes only the calls `ChildPlan::enter` lists
    // plus getpid, sigaction, dup3, fcntl, ptrace, sched_setscheduler,
    // kill (tests), write (a failure) and execve, on
    // `shared`, which lives on this frame until the clone returns.
    let (pid, pidfd) = unsafe {
        clone_vfork(
            child_main,
            &mut stack,
            (&raw const shared).cast_mut().cast(),
        )
    }
    .map_err(RunAsError::Start)?;
    drop(watched);
    drop(stack);
    let Some(pidfd) = pidfd else {
        // Not after spawn_supported() said yes; but the child cannot be
        // waited for without one: stop it.
        // SAFETY: our own unreaped child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        return Err(RunAsError::Start(io::Error::from(
            io::ErrorKind::Unsupported,
        )));
    };
    let spawned = Spawned {
        pid: pid as u32,
        pidfd,
    };
    match shared.failed.load(Ordering::Acquire) {
        0 => {
            if preferred && shared.traced.load(Ordering::Acquire) {
                let deferred = IN_BURST.with(|burst| match burst.borrow_mut().as_mut() {
                    Some(held) => {
                        held.push(pid);
                        true
                    }
                    None => false,
                });
                if !deferred {
                    release_after_exec(pid);
                }
            }
            Ok(spawned)
        }
        errno => {
            // The child has exited (or is about to): reap it.
            let mut status = 0;
            // SAFETY: our own child, with a valid out pointer.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            Err(RunAsError::Start(io::Error::from_raw_os_error(errno)))
        }
    }
}

/// All signals blocked in this thread until dropped.
struct BlockedSignals(libc::sigset_t);

fn block_all_signals() -> BlockedSignals {
    // SAFETY: sigfillset and pthread_sigmask on valid, owned sets.
    unsafe {
        let mut all = std::mem::zeroed::<libc::sigset_t>();
        let mut before = std::mem::zeroed::<libc::sigset_t>();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut before);
        BlockedSignals(before)
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by block_all_signals.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// The child: runs on its own stack in the daemon's memory, until exec.
extern "C" fn child_main(argument: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `argument` is the `Shared` that `spawn` keeps alive while
    // this thread of execution exists.
    let shared = unsafe { &*(argument as *const Shared<'_>) };
    // SAFETY: getpid has no arguments.
    let pid = unsafe { libc::syscall(libc::SYS_getpid) };
    shared.pid.store(pid as i32, Ordering::Release);
    let errno = match shared.become_job() {
        Ok(never) => match never {},
        Err(error) => error.raw_os_error().unwrap_or(libc::EIO),
    };
    shared.failed.store(errno.max(1), Ordering::Release);
    127
}

impl Shared<'_> {
    /// Becomes the job and execs it; returns only on failure.
    fn become_job(&self) -> io::Result<std::convert::Infallible> {
        reset_signal_handlers();
        self.standard_streams()?;
        // Traced by the starter, the exec stops before the job's first
        // instruction, and the starter makes it ordinary then. Asked while
        // still root: the trace is then a privileged tracer's, under which
        // a set-user-ID shell keeps its meaning.
        // SAFETY: a system call on the calling process.
        let traced = self.preferred
            && unsafe { libc::syscall(libc::SYS_ptrace, libc::PTRACE_TRACEME, 0, 0, 0) } == 0;
        self.plan.enter()?;
        if self.preferred {
            let param = libc::sched_param {
                sched_priority: if traced { CHILD_PRIORITY } else { 0 },
            };
            let policy = if traced {
                libc::SCHED_FIFO
            } else {
                libc::SCHED_OTHER
            };
            // A failure leaves the child at the starter's priority: traced,
            // it is still made ordinary before its first instruction; not
            // traced, it fails here rather than run real-time.
            // SAFETY: a system call on the calling process with a valid
            // param.
            if unsafe { libc::syscall(libc::SYS_sched_setscheduler, 0, policy, &raw const param) }
                != 0
                && !traced
            {
                return Err(io::Error::last_os_error());
            }
            self.traced.store(traced, Ordering::Release);
        }
        if self.stop_before_exec {
            // SAFETY: a signal to the calling process.
            unsafe {
                libc::syscall(
                    libc::SYS_kill,
                    libc::syscall(libc::SYS_getpid),
                    libc::SIGSTOP,
                )
            };
        }
        // SAFETY: NUL-terminated path and NULL-terminated arrays of
        // NUL-terminated strings, all alive (they belong to `spawn`).
        unsafe {
            libc::syscall(
                libc::SYS_execve,
                self.path.as_ptr(),
                self.argv.as_ptr(),
                self.envp.as_ptr(),
            )
        };
        Err(io::Error::last_os_error())
    }

    /// Standard input from `stdin`, standard output and error to `output`.
    /// A source that is itself 0, 1 or 2 (a daemon started with a standard
    /// stream closed) is moved out of the way first.
    fn standard_streams(&self) -> io::Result<()> {
        let away = |fd: RawFd| -> io::Result<RawFd> {
            if fd > 2 {
                return Ok(fd);
            }
            let moved = raw::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
            crate::child::check(moved, b"schedd: cannot set up the standard streams\n")?;
            Ok(moved as RawFd)
        };
        let stdin = away(self.stdin)?;
        let output = away(self.output)?;
        for (from, to) in [(stdin, 0), (output, 1), (output, 2)] {
            crate::child::check(
                raw::dup2(from, to),
                b"schedd: cannot set up the standard streams\n",
            )?;
        }
        Ok(())
    }
}

/// Puts the default action back for every signal with a handler of the
/// daemon's, and for SIGPIPE (which Rust programs ignore), as std does for
/// its children; other ignored signals stay ignored, as exec keeps them.
fn reset_signal_handlers() {
    // Linux has 64 signals.
    for signal in 1..=64 {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: sigaction with valid pointers to owned structures. glibc
        // refuses its two internal signals; they are left as they are.
        unsafe {
            let mut current = std::mem::zeroed::<libc::sigaction>();
            if libc::sigaction(signal, std::ptr::null(), &mut current) != 0 {
                continue;
            }
            let handled =
                current.sa_sigaction != libc::SIG_DFL && current.sa_sigaction != libc::SIG_IGN;
            if handled || signal == libc::SIGPIPE {
                let mut default = std::mem::zeroed::<libc::sigaction>();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
            }
        }
    }
}
