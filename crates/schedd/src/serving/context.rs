//! What every request handler shares: the daemon's [`Context`], the
//! caller ([`Peer`]) and the [`Reply`] it gets.

use sched_proto::Response;
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::Clock;
use crate::scheduling::event::Event;
use crate::storage::SpoolHandle;

/// What answering needs from the daemon.
#[derive(Debug, Clone)]
pub struct Context {
    pub spool: SpoolHandle,
    pub events: UnboundedSender<Event>,
    pub clock: Clock,
    /// The uid running the daemon.
    pub daemon_uid: sched_spool::Uid,
    /// Time zones for crontabs' CRON_TZ.
    pub zones: crate::cron::Zones,
    /// The settings SIGHUP may change (the access lists, read here),
    /// replaced whole on SIGHUP.
    pub settings: std::sync::Arc<std::sync::RwLock<crate::config::Live>>,
    /// Account names, looked up off the spool thread and the workers.
    pub accounts: crate::system::accounts::Accounts,
    /// The runs in progress and their processes.
    pub running: crate::running::in_progress::Running,
    /// What the daemon counts.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// The caller, from SO_PEERCRED.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: sched_spool::Uid,
    pub gid: u32,
    pub pid: Option<i32>,
}

/// A reply: a message to encode, or a frame already encoded (a listing,
/// built row by row).
#[derive(Debug)]
pub enum Reply {
    Message(Response),
    Frame(Vec<u8>),
}
