//! schedd, the daemon: a spool of one-shot jobs and crontabs, a Unix
//! socket that identifies callers by their peer credentials, a scheduler
//! that sleeps until the next due instant, and an executor that runs each
//! job as its owner and keeps what it wrote.
//!
//! The code map is in ARCHITECTURE.md at the repository's root. In short,
//! each folder is one idea, and the arrows only point down:
//! - `startup` wires the parts, runs the daemon and stops it;
//! - `serving`: the socket, and one file per kind of request;
//! - `scheduling`: the loop that sleeps until something is due, and the
//!   [`scheduling::event::Event`]s that wake it;
//! - `cron`: crontabs read, parsed and watched (the timing rules are
//!   `sched_engine`'s);
//! - `running`: starting a run as its owner, its output, its mail;
//! - `storage`: the thread that owns the spool, and its named operations;
//! - `metrics`: what the daemon counts, and its exposition;
//! - `config`, `system`, `clock`: settings, operating-system glue, and the
//!   only source of time.

#![forbid(unsafe_code)]

mod clock;
pub mod config;
mod cron;
pub mod error;
mod metrics;
mod running;
mod scheduling;
mod serving;
mod startup;
mod storage;
pub mod system;
#[cfg(test)]
mod testing;

pub use config::access;
pub use config::{Config, Reload};
pub use sched_spool::Uid;
pub use serving::dispatch::decode_request;
pub use serving::submit::{Accepted, accept as accept_submission};
pub use startup::run;
pub use system::neighbours;

/// What the way the daemon was started hands it: whom to tell that it
/// serves (its socket bound, its jobs and crontabs loaded), and the socket
/// a service manager may have opened for it.
#[derive(Debug, Default)]
pub struct Launch {
    /// The process that started `schedd --daemon`, waiting.
    pub detached: Option<sched_runas::Detached>,
    /// The listening socket from systemd socket activation; used instead
    /// of binding `Config::socket`.
    pub inherited_socket: Option<std::os::unix::net::UnixListener>,
}

impl Launch {
    /// Tells the waiting process and the service manager (sd_notify, when
    /// started by systemd with Type=notify) that the daemon serves.
    pub fn announce(&mut self) {
        if let Some(detached) = self.detached.take()
            && let Err(error) = detached.ready()
        {
            tracing::warn!("cannot tell the starting process that schedd is ready: {error}");
        }
        if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
            tracing::warn!("cannot notify the service manager: {error}");
        }
    }
}
