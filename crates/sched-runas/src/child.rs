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
    let daemon = current_euid();
    let switch = daemon == 0;
    if !switch && daemon != job.user.uid {
        return Err(RunAsError::NotPermitted {
            daemon,
            uid: job.user.uid,
        });
    }
    let plan = ChildPlan {
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
    };
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

/// Everything the child needs, prepared before the fork.
struct ChildPlan {
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
    /// Runs in the child between fork and exec.
    fn enter(&self) -> io::Result<()> {
        // SAFETY: setsid takes no arguments and is async-signal-safe.
        let session = unsafe { libc::setsid() };
        check(session, b"schedd: cannot start a new session\n")?;
        if self.nice != 0 {
            // SAFETY: a plain system call on an integer. As atd, a failure
            // (already at the lowest priority) does not stop the job.
            unsafe { libc::nice(self.nice) };
        }
        if self.switch {
            let groups: &[libc::gid_t] = &self.groups;
            // SAFETY: `groups` is a valid slice for its length, owned by
            // `self`, which lives until exec.
            let set_groups = unsafe { libc::setgroups(groups.len(), groups.as_ptr()) };
            check(set_groups, b"schedd: cannot set the supplementary groups\n")?;
            // SAFETY: a plain system call on an integer.
            let set_gid = unsafe { libc::setgid(self.gid) };
            check(set_gid, b"schedd: cannot set the group id\n")?;
            // SAFETY: a plain system call on an integer.
            let set_uid = unsafe { libc::setuid(self.uid) };
            check(set_uid, b"schedd: cannot set the user id\n")?;
            // SAFETY: plain system call on an integer.
            if self.uid != 0 && unsafe { libc::setuid(0) } == 0 {
                say(b"schedd: root privileges could be regained after dropping them\n");
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
        }
        // SAFETY: umask cannot fail.
        unsafe { libc::umask(self.umask as libc::mode_t) };
        if let Some(cwd) = &self.cwd {
            // SAFETY: `cwd` is a NUL-terminated string owned by `self`.
            check(unsafe { libc::chdir(cwd.as_ptr()) }, &self.cwd_failed)?;
        }
        close_other_descriptors_on_exec();
        Ok(())
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
        // SAFETY: fcntl on a descriptor that may not exist fails with EBADF.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

/// `Ok` unless a system call returned -1; then writes `message` to the
/// job's output and returns the OS error.
fn check(result: libc::c_int, message: &[u8]) -> io::Result<()> {
    if result != -1 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    say(message);
    Err(error)
}

/// Writes `message` to standard error (the job's output) from the child.
fn say(message: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer; a failure is ignored
    // because nothing more can be done about it in the child.
    unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
}
