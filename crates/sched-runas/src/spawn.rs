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
/// `arg` must be valid for it until this returns.
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
/// child until it has exec'd: lower, so that the starter, woken by the
/// exec, preempts the child at once and takes real time away from it.
const STARTER_PRIORITY: i32 = 2;
const CHILD_PRIORITY: i32 = 1;

thread_local! {
    /// Whether this thread is a preferred starting thread.
    static PREFERRED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The CPUs a preferred starting thread could run on before it was
    /// kept to one: what its children get back once ordinary.
    static STARTER_CPUS: std::cell::Cell<Option<libc::cpu_set_t>> = const { std::cell::Cell::new(None) };
}

/// Gives the calling thread, the one that starts jobs with [`spawn`],
/// priority over the jobs: the lowest real-time priorities (SCHED_FIFO 2
/// for it, 1 for each child until exec; needs CAP_SYS_NICE). Each job
/// leaves real time as soon as it has exec'd: the starter, woken by the
/// exec, preempts it and makes it an ordinary process (SCHED_OTHER, with
/// the niceness the child set itself) before its program's first
/// instructions can do more than begin loading.
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
    // Kept to one CPU, where each child waits for its exec: the exec wakes
    // the starter there, above the child, so the child is preempted before
    // its program's first instruction. The kernel places a woken real-time
    // task on another CPU when it can (and a child kept to one CPU makes it
    // look for one); an idle virtual CPU can then take milliseconds to run
    // it, while the job's code runs real-time on its own.
    let cpus = thread_cpus();
    let here = current_cpu_set();
    // SAFETY: sched_setaffinity on the calling thread with a valid set.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &here) } != 0 {
        let error = io::Error::last_os_error();
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: as above; back to an ordinary thread.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) };
        return Err(error);
    }
    STARTER_CPUS.with(|saved| saved.set(cpus));
    PREFERRED.with(|preferred| preferred.set(true));
    Ok(())
}

/// Makes process `pid` an ordinary one again (SCHED_OTHER, keeping its
/// niceness).
fn leave_real_time(pid: libc::pid_t) {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler on an integer pid with a valid param. A
    // failure means the process is gone.
    unsafe { libc::sched_setscheduler(pid, libc::SCHED_OTHER, &param) };
}

/// A CPU set with no CPU.
fn empty_cpu_set() -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    unsafe { std::mem::zeroed() }
}

/// The set of the one CPU the calling thread runs on now (all of them if
/// that cannot be told).
fn current_cpu_set() -> libc::cpu_set_t {
    // SAFETY: sched_getcpu has no arguments.
    let cpu = unsafe { libc::sched_getcpu() };
    if cpu < 0 {
        return thread_cpus().unwrap_or_else(empty_cpu_set);
    }
    let mut set = empty_cpu_set();
    // SAFETY: CPU_SET on a set we own, with a CPU number the kernel gave.
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    set
}

/// The CPUs the calling thread may run on.
fn thread_cpus() -> Option<libc::cpu_set_t> {
    let mut set = empty_cpu_set();
    // SAFETY: sched_getaffinity on the calling thread into a set we own.
    let got =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    (got == 0).then_some(set)
}

/// Lets process `pid` run on `cpus`.
fn set_cpus(pid: libc::pid_t, cpus: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity on an integer pid with a valid set. A
    // failure means the process is gone.
    unsafe { libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), cpus) };
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
    /// A preferred starter's child runs on the starter's one CPU until the
    /// starter has made it ordinary (see [`prefer_starting_thread`]).
    starter_cpu: libc::cpu_set_t,
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
    let shared = Shared {
        plan: &plan,
        path: &path,
        argv: &argv,
        envp: &envp,
        stdin: stdin.as_raw_fd(),
        output: output.as_raw_fd(),
        failed: AtomicI32::new(0),
        preferred,
        starter_cpu: if preferred {
            current_cpu_set()
        } else {
            empty_cpu_set()
        },
    };
    // What the child gets back once ordinary: the CPUs the starter had.
    let starter_cpus = if preferred {
        STARTER_CPUS.with(std::cell::Cell::get)
    } else {
        None
    };
    let mut stack = vec![0u8; STACK_SIZE];
    // SAFETY: `child_main` makes only the calls `ChildPlan::enter` lists
    // plus sigaction, dup3, fcntl, sched_setaffinity, sched_setscheduler
    // and execve, on
    // `shared`, which lives on this frame until the clone returns.
    let (pid, pidfd) = unsafe {
        clone_vfork(
            child_main,
            &mut stack,
            (&raw const shared).cast_mut().cast(),
        )
    }
    .map_err(RunAsError::Start)?;
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
            if preferred {
                leave_real_time(pid);
                if let Some(cpus) = &starter_cpus {
                    set_cpus(pid, cpus);
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
        self.plan.enter()?;
        if self.preferred {
            // On the starter's CPU, below the starter, which the exec wakes:
            // it preempts this process at once and makes it an ordinary
            // one. SAFETY: a system call on the calling process with a
            // valid set; a failure leaves the child free to run anywhere.
            unsafe {
                libc::syscall(
                    libc::SYS_sched_setaffinity,
                    0,
                    std::mem::size_of::<libc::cpu_set_t>(),
                    &raw const self.starter_cpu,
                )
            };
            let param = libc::sched_param {
                sched_priority: CHILD_PRIORITY,
            };
            // SAFETY: a system call on the calling process with a valid
            // param. A failure leaves the child at the starter's priority:
            // the starter, on another CPU, still demotes it.
            unsafe {
                libc::syscall(
                    libc::SYS_sched_setscheduler,
                    0,
                    libc::SCHED_FIFO,
                    &raw const param,
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
