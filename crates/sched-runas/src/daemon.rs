//! Becoming a classic daemon: fork, setsid, fork, so that the process is
//! in a session of its own with no controlling terminal and can never gain
//! one; the first process waits until the daemon says it serves, so that
//! `schedd --daemon && sched ls` works, and exits with its status.
//!
//! Until then the daemon's standard error is a pipe to the waiting process,
//! which copies what comes through to its own standard error: a daemon
//! that fails to start (another one running, a bad spool) says why on the
//! terminal that started it. [`Detached::ready`] ends that.
//!
//! Must be called before any thread exists (before the async runtime is
//! built): after a fork only the calling thread lives on.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use nix::fcntl::OFlag;
use nix::unistd::ForkResult;

/// What the daemon writes last on the pipe when it serves.
const READY: &[u8] = b"\0schedd-ready\n";

/// What a daemon that cannot start writes last on the pipe, before its
/// exit status (one byte) and a newline.
const FAILED: &[u8] = b"\0schedd-exit:";

/// The detached daemon's end of the pipe to the process that started it.
#[derive(Debug)]
pub struct Detached {
    pipe: OwnedFd,
    /// /dev/null, opened when detaching, for standard error afterwards.
    null: std::fs::File,
}

impl Detached {
    /// Tells the waiting process that the daemon serves; from now on
    /// standard error goes to /dev/null. Whatever fails here, the pipe is
    /// closed, so the waiting process never waits for ever.
    pub fn ready(self) -> std::io::Result<()> {
        let mut pipe = std::fs::File::from(self.pipe);
        // A starter that is gone makes this fail (EPIPE): nothing to tell.
        let told = pipe.write_all(READY);
        let redirected = nix::unistd::dup2_stderr(&self.null);
        drop(pipe);
        told?;
        redirected?;
        Ok(())
    }

    /// Tells the waiting process that the daemon could not start and will
    /// exit with `status`, which the waiting process then exits with.
    pub fn failed(self, status: u8) {
        let mut pipe = std::fs::File::from(self.pipe);
        let mut mark = FAILED.to_vec();
        mark.extend_from_slice(&[status, b'\n']);
        // A starter that is gone makes this fail: nothing to tell.
        let _ = pipe.write_all(&mark);
    }
}

/// Detaches the process as a daemon and returns in the daemon. The
/// process that called it never returns: it exits 0 once the daemon calls
/// [`Detached::ready`], with the status given to [`Detached::failed`], or
/// 1 if the daemon ends first without a word.
///
/// # Safety
///
/// No other thread may exist in the process: after `fork` only the
/// calling thread lives on, and a lock another thread held (the
/// allocator's, stdio's) would stay locked for ever in the daemon. Call it
/// first thing in `main`, before any runtime, logger thread or library
/// that starts threads.
#[allow(unsafe_code)]
pub unsafe fn detach() -> std::io::Result<Detached> {
    // Descriptors 0-2 taken first: a pipe end landing on one of them would
    // be overwritten when they are pointed at /dev/null.
    let mut placeholders = Vec::new();
    loop {
        let null = std::fs::File::open("/dev/null")?;
        if std::os::fd::AsRawFd::as_raw_fd(&null) > 2 {
            break;
        }
        placeholders.push(std::os::fd::OwnedFd::from(null));
    }
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    // The descriptors 0-2 that were closed stay on /dev/null until the
    // daemon points them there for good.
    std::mem::forget(placeholders);
    // SAFETY: no other thread exists (this function's contract), so the
    // child is a complete copy of this single-threaded process.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Parent { .. } => {
            drop(write);
            std::process::exit(wait_for_ready(read));
        }
        ForkResult::Child => {}
    }
    drop(read);
    nix::unistd::setsid()?;
    // SAFETY: still single-threaded, as above.
    match unsafe { nix::unistd::fork() }? {
        // The session leader goes: the daemon, not a leader, can never
        // acquire a controlling terminal.
        ForkResult::Parent { .. } => std::process::exit(0),
        ForkResult::Child => {}
    }
    std::env::set_current_dir("/")?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&write)?;
    Ok(Detached { pipe: write, null })
}

/// In the starting process: copies what the daemon writes to standard
/// error, and returns the exit status: 0 if it ended with the ready mark,
/// the daemon's own if it ended with the failed mark, else 1.
fn wait_for_ready(read: OwnedFd) -> i32 {
    let mut pipe = std::fs::File::from(read);
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut stderr = std::io::stderr();
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                received.extend_from_slice(&chunk[..n]);
                // Pass lines through as they come, keeping back what could
                // be the start of a mark.
                let keep = READY.len().max(FAILED.len() + 2).min(received.len());
                let (pass, rest) = received.split_at(received.len() - keep);
                let _ = stderr.write_all(pass);
                received = rest.to_vec();
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let (status, shown) = status_of(&received);
    let _ = stderr.write_all(shown);
    status
}

/// The exit status the end of the daemon's output says, and what of it is
/// the daemon's words.
fn status_of(received: &[u8]) -> (i32, &[u8]) {
    if let Some(words) = received.strip_suffix(READY) {
        return (0, words);
    }
    let failed = FAILED.len() + 2;
    if received.len() >= failed
        && received.ends_with(b"\n")
        && received[received.len() - failed..].starts_with(FAILED)
    {
        let status = received[received.len() - 2];
        return (i32::from(status), &received[..received.len() - failed]);
    }
    (1, received)
}

/// The listening Unix socket the service manager handed over (systemd
/// socket activation: `LISTEN_PID` is this process and `LISTEN_FDS` at
/// least 1, the socket at descriptor 3), made non-blocking; `None` when
/// there is none. The variables are removed, so that no job inherits them.
///
/// # Safety
///
/// No other thread may exist in the process: the environment is changed,
/// and a thread reading it meanwhile (getenv in a library, a resolver)
/// would read freed memory.
#[allow(unsafe_code)]
pub unsafe fn inherited_listener() -> std::io::Result<Option<std::os::unix::net::UnixListener>> {
    use std::os::fd::FromRawFd;
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.parse::<u32>().ok())
        == Some(std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    // SAFETY: no other thread exists (this function's contract), so no one
    // reads the environment while it changes.
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    if !for_us || count == 0 {
        return Ok(None);
    }
    const SD_LISTEN_FDS_START: i32 = 3;
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    if unsafe { libc::fcntl(SD_LISTEN_FDS_START, libc::F_GETFD) } == -1 {
        return Err(std::io::Error::other(
            "LISTEN_FDS is set for this process but descriptor 3 is not open",
        ));
    }
    // SAFETY: by the socket activation protocol, descriptor 3 was opened
    // for this process (LISTEN_PID names it) and nothing else owns it.
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(SD_LISTEN_FDS_START) };
    let listening = nix::sys::socket::getsockopt(&owned, nix::sys::socket::sockopt::AcceptConn)
        .map_err(std::io::Error::from)?;
    let listener = std::os::unix::net::UnixListener::from(owned);
    // Not a Unix socket, or not listening: a unit file mistake.
    if listener.local_addr().is_err() || !listening {
        return Err(std::io::Error::other(
            "descriptor 3 from the service manager is not a listening Unix socket",
        ));
    }
    listener.set_nonblocking(true)?;
    Ok(Some(listener))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_exits_with_what_the_end_of_the_daemons_words_say() {
        assert_eq!(
            status_of(b"starting\n\0schedd-ready\n"),
            (0, &b"starting\n"[..])
        );
        assert_eq!(
            status_of(b"schedd: spool locked\n\0schedd-exit:\x45\n"),
            (69, &b"schedd: spool locked\n"[..])
        );
        assert_eq!(
            status_of(b"schedd: killed\n"),
            (1, &b"schedd: killed\n"[..])
        );
        assert_eq!(status_of(b""), (1, &b""[..]));
        assert_eq!(status_of(b"\0schedd-exit:"), (1, &b"\0schedd-exit:"[..]));
    }
}
