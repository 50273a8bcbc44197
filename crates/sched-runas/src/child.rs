//! A command that starts as a resolved user, and the child side of the
//! fork that gets it there.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{ResolvedUser, RunAsError, current_euid};

/// What to start, and as whom.
#[derive(Debug)]
pub struct JobCommand<'a> {
    pub user: &'a ResolvedUser,
    /// The shell that runs `script` with `-c` (cron and at use /bin/sh).
    pub shell: &'a Path,
    pub script: &'a str,
    /// The whole environment of the job; nothing of the daemon's is added.
    pub env: &'a [(String, String)],
    /// Entered as the user, after the credentials changed, so that root's
    /// access never lets a job start in a directory its owner cannot enter.
    pub cwd: Option<&'a Path>,
    pub umask: u32,
    /// How much nicer than the daemon the job runs (atd's queue niceness);
    /// 0 for none.
    pub nice: i32,
    /// Where stdout and stderr both go.
    pub output: File,
    /// The job's standard input (cron's `%` text); /dev/null when `None`.
    pub stdin: Option<File>,
}

/// A `Command` that runs `job.script` as `job.user` in a new session.
///
/// As root the child switches to the user; as any other uid it may only
/// start jobs of that same uid and keeps its credentials. A step that fails
/// in the child is written to the job's output (`schedd: cannot ...`) and
/// makes `spawn` return the step's OS error; the job never runs then.
pub fn command(job: JobCommand<'_>) -> Result<Command, RunAsError> {
    let plan = ChildPlan::for_job(&job)?;
    let stderr = job.output.try_clone().map_err(|e| RunAsError::Lookup {
        uid: job.user.uid,
        reason: format!("cannot duplicate the output file: {e}"),
    })?;
    let mut command = Command::new(job.shell);
    command
        .arg("-c")
        .arg(job.script)
        .env_clear()
        .envs(job.env.iter().map(|(name, value)| (name, value)))
        .stdin(job.stdin.map_or_else(Stdio::null, Stdio::from))
        .stdout(Stdio::from(job.output))
        .stderr(Stdio::from(stderr));
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (setsid, setgroups, setgid, setuid, umask,
    // chdir, nice, syscall, fcntl, write) on data prepared before the fork; it
    // allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || plan.enter());
    }
    Ok(command)
}

/// Everything the child needs to become the job's user, prepared before
/// the fork (or the clone of [`spawn`](crate::spawn)).
pub(crate) struct ChildPlan {
    switch: bool,
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    umask: u32,
    nice: i32,
    cwd: Option<CString>,
    cwd_failed: Vec<u8>,
}

impl ChildPlan {
    /// Checks that the daemon may start jobs of `job.user`, and prepares
    /// what the child will need without allocating.
    pub(crate) fn for_job(job: &JobCommand<'_>) -> Result<ChildPlan, RunAsError> {
        let daemon = current_euid();
        let switch = daemon == 0;
        if !switch && daemon != job.user.uid {
            return Err(RunAsError::NotPermitted {
                daemon,
                uid: job.user.uid,
            });
        }
        Ok(ChildPlan {
            switch,
            uid: job.user.uid,
            gid: job.user.gid,
            groups: job.user.groups.clone(),
            umask: job.umask & 0o777,
            nice: job.nice,
            cwd: job
                .cwd
                .map(|dir| CString::new(dir.as_os_str().as_bytes()))
                .transpose()
                .map_err(|_| RunAsError::Nul {
                    what: "the working directory",
                })?,
            cwd_failed: job
                .cwd
                .map(|dir| {
                    format!(
                        "schedd: cannot enter the working directory {}\n",
                        dir.display()
                    )
                    .into_bytes()
                })
                .unwrap_or_default(),
        })
    }

    /// Runs in the child between fork (or clone) and exec. Every call is
    /// a raw system call: in the child of a clone that shares the daemon's
    /// memory, glibc's `setuid` and friends would change the credentials of
    /// every daemon thread (they signal all threads they know of).
    pub(crate) fn enter(&self) -> io::Result<()> {
        check(raw::setsid(), b"schedd: cannot start a new session\n")?;
        if self.nice != 0 {
            // As atd, a failure (already at the lowest priority) does not
            // stop the job.
            raw::renice(self.nice);
        }
        if self.switch {
            check(
                raw::setgroups(&self.groups),
                b"schedd: cannot set the supplementary groups\n",
            )?;
            check(raw::setgid(self.gid), b"schedd: cannot set the group id\n")?;
            check(raw::setuid(self.uid), b"schedd: cannot set the user id\n")?;
            if self.uid != 0 && raw::setuid(0) == 0 {
                say(b"schedd: root privileges could be regained after dropping them\n");
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
        }
        // umask cannot fail.
        raw::umask(self.umask);
        if let Some(cwd) = &self.cwd {
            check(raw::chdir(cwd), &self.cwd_failed)?;
        }
        close_other_descriptors_on_exec();
        // The job starts with no signal blocked, whatever the starting
        // thread had blocked.
        raw::unblock_all_signals();
        Ok(())
    }
}

/// Raw system calls, for the child of a clone that shares the daemon's
/// memory (see [`ChildPlan::enter`]); each returns what the kernel did,
/// -1 with errno set on failure.
pub(crate) mod raw {
    use std::ffi::CStr;

    use libc::{c_long, gid_t};

    /// The calls that take 32-bit ids: on 32-bit x86 and ARM the plain
    /// numbers are the old 16-bit ones.
    #[cfg(any(target_arch = "x86", target_arch = "arm"))]
    const IDS: (c_long, c_long, c_long) = (
        libc::SYS_setuid32,
        libc::SYS_setgid32,
        libc::SYS_setgroups32,
    );
    #[cfg(not(any(target_arch = "x86", target_arch = "arm")))]
    const IDS: (c_long, c_long, c_long) = (libc::SYS_setuid, libc::SYS_setgid, libc::SYS_setgroups);

    pub(crate) fn setsid() -> c_long {
        // SAFETY: a system call without arguments.
        unsafe { libc::syscall(libc::SYS_setsid) }
    }

    /// Makes the process `increment` nicer (clamped to the kernel's range).
    pub(crate) fn renice(increment: i32) {
        let nicer = (nice_of(0) + c_long::from(increment)).clamp(-20, 19);
        set_nice(0, nicer);
    }

    /// The niceness of thread `tid` (0: the calling thread).
    pub(crate) fn nice_of(tid: i32) -> c_long {
        // SAFETY: a system call on integers. The raw getpriority returns
        // 20 - nice.
        20 - unsafe { libc::syscall(libc::SYS_getpriority, libc::PRIO_PROCESS, tid) }
    }

    /// Sets the niceness of thread `tid` (0: the calling thread).
    pub(crate) fn set_nice(tid: i32, nice: c_long) -> c_long {
        // SAFETY: a system call on integers.
        unsafe { libc::syscall(libc::SYS_setpriority, libc::PRIO_PROCESS, tid, nice) }
    }

    pub(crate) fn setgroups(groups: &[gid_t]) -> c_long {
        // SAFETY: `groups` is valid for its length.
        unsafe { libc::syscall(IDS.2, groups.len(), groups.as_ptr()) }
    }

    pub(crate) fn setgid(gid: u32) -> c_long {
        // SAFETY: a system call on an integer.
        unsafe { libc::syscall(IDS.1, gid) }
    }

    pub(crate) fn setuid(uid: u32) -> c_long {
        // SAFETY: a system call on an integer.
        unsafe { libc::syscall(IDS.0, uid) }
    }

    pub(crate) fn umask(mask: u32) -> c_long {
        // SAFETY: a system call on an integer.
        unsafe { libc::syscall(libc::SYS_umask, mask) }
    }

    pub(crate) fn chdir(dir: &CStr) -> c_long {
        // SAFETY: `dir` is NUL-terminated.
        unsafe { libc::syscall(libc::SYS_chdir, dir.as_ptr()) }
    }

    pub(crate) fn fcntl(fd: i32, command: i32, argument: i32) -> c_long {
        // SAFETY: fcntl on integers; a descriptor that does not exist
        // fails with EBADF.
        unsafe { libc::syscall(libc::SYS_fcntl, fd, command, argument) }
    }

    /// dup2 (there is only dup3 on some architectures; `from` != `to`).
    pub(crate) fn dup2(from: i32, to: i32) -> c_long {
        // SAFETY: a system call on integers.
        unsafe { libc::syscall(libc::SYS_dup3, from, to, 0) }
    }

    pub(crate) fn unblock_all_signals() {
        let empty: u64 = 0;
        // SAFETY: rt_sigprocmask with a valid 8-byte kernel set.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &raw const empty,
                std::ptr::null::<u64>(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    pub(crate) fn write(fd: i32, bytes: &[u8]) -> c_long {
        // SAFETY: `bytes` is valid for its length.
        unsafe { libc::syscall(libc::SYS_write, fd, bytes.as_ptr(), bytes.len()) }
    }
}

/// Marks every descriptor above 2 close-on-exec, so that only the job's
/// standard streams reach it, whatever the daemon (or a library in it)
/// left open. Closing them outright would also close the pipe through
/// which std learns that exec failed.
fn close_other_descriptors_on_exec() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if done {
        return;
    }
    // Kernels before 5.11: walk the descriptor table.
    // SAFETY: sysconf is async-signal-safe in practice (it reads a limit).
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };
    let max = if max > 0 {
        max.min(1 << 20) as libc::c_int
    } else {
        1024
    };
    for fd in 3..max {
        raw::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
    }
}

/// `Ok` unless a system call returned -1; then writes `message` to the
/// job's output and returns the OS error.
pub(crate) fn check(result: libc::c_long, message: &[u8]) -> io::Result<()> {
    if result != -1 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    say(message);
    Err(error)
}

/// Writes `message` to standard error (the job's output) from the child.
fn say(message: &[u8]) {
    // A failure is ignored: nothing more can be done about it in the child.
    raw::write(2, message);
}
