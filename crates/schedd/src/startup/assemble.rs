//! Wiring the daemon's parts together: the executor, the scheduler and the
//! context every request handler shares, around one spool handle and one
//! event channel. The daemon and the in-process test daemon (testing.rs)
//! are wired by this same code.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::Live;
use crate::cron::Zones;
use crate::running::executor::{Executor, Report};
use crate::running::in_progress::Running;
use crate::scheduling::event::Event;
use crate::scheduling::scheduler::Scheduler;
use crate::serving::context::Context;
use crate::storage::SpoolHandle;
use crate::system::accounts::Accounts;

/// What the parts are made of.
#[derive(Debug)]
pub struct Ingredients {
    pub clock: Clock,
    pub spool: SpoolHandle,
    /// Where running jobs' output files are.
    pub output_dir: PathBuf,
    /// The settings SIGHUP may change, as they are at start.
    pub live: Live,
    /// Where the load average is read.
    pub loadavg: PathBuf,
    /// The uid running the daemon.
    pub daemon_uid: sched_spool::Uid,
    pub zones: Zones,
    pub accounts: Accounts,
    /// What the daemon counts (from before the parts exist: lost runs
    /// found at start count too).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The daemon's parts, wired, not yet running.
#[derive(Debug)]
pub struct Parts {
    pub scheduler: Scheduler,
    /// What the scheduler reacts to besides its timer.
    pub events: mpsc::UnboundedReceiver<Event>,
    pub context: Context,
    /// Bytes of output kept per run, shared with the output trimmer.
    pub output_limit: Arc<std::sync::atomic::AtomicU64>,
}

/// Wires the executor, the scheduler and the request context.
pub fn assemble(ingredients: Ingredients) -> Parts {
    let Ingredients {
        clock,
        spool,
        output_dir,
        live,
        loadavg,
        daemon_uid,
        zones,
        accounts,
        metrics,
    } = ingredients;
    let (events_tx, events) = mpsc::unbounded_channel();
    let running = Running::default();
    let output_limit = Arc::new(std::sync::atomic::AtomicU64::new(live.output_limit));
    let executor = Executor {
        spool: spool.clone(),
        clock: clock.clone(),
        output_dir,
        output_limit: output_limit.clone(),
        report: {
            let events = events_tx.clone();
            Report(Arc::new(move |finished| {
                let _ = events.send(Event::RunFinished(finished));
            }))
        },
        sendmail: live.sendmail.clone(),
        running: running.clone(),
        metrics: metrics.clone(),
        launcher: crate::running::launcher::Launcher::start(clock.clone()),
    };
    let scheduler = Scheduler::new(
        clock.clone(),
        spool.clone(),
        executor,
        live.clone(),
        loadavg,
    );
    let context = Context {
        spool,
        events: events_tx,
        clock,
        daemon_uid,
        zones,
        settings: Arc::new(RwLock::new(live)),
        accounts,
        running,
        metrics,
    };
    Parts {
        scheduler,
        events,
        context,
        output_limit,
    }
}
