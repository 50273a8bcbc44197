//! Start-up, the life of the daemon, and shutdown.

use std::path::Path;

use anyhow::Context as _;
use sched_spool::{Outcome, Owner, SpoolError, SqliteSpool, Store};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::Launch;
use crate::clock::Clock;
use crate::error::DaemonError;
use std::sync::{Arc, RwLock};

use crate::config::{Config, Live};
use crate::cron::system::SystemPaths;
use crate::cron::watch::{Deliver, Reloader};
use crate::cron::{self, Zones};
use crate::running::executor::{Executor, Report};
use crate::running::output;
use crate::scheduling::event::Event;
use crate::scheduling::scheduler::{BatchPolicy, Scheduler};
use crate::serving::context::Context;
use crate::serving::listener;
use crate::storage::SpoolHandle;
use crate::system::dirs;

/// How long a daemon configured to stop its jobs waits for them to end.
const JOB_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The spool database's file name in the spool directory.
pub const SPOOL_FILE: &str = "spool.db";
/// The directory of running jobs' output files in the spool directory.
pub const OUTPUT_DIR: &str = "output";

/// Runs the daemon until SIGTERM or SIGINT. Errors are start-up failures
/// (an unusable spool or socket), each naming its path.
pub fn run(config: Config, launch: &mut Launch) -> Result<(), DaemonError> {
    // The spool holds every job's environment: private to the daemon.
    dirs::ensure(&config.spool_dir, dirs::PRIVATE).map_err(DaemonError::Files)?;
    let output_dir = config.spool_dir.join(OUTPUT_DIR);
    dirs::ensure(&output_dir, dirs::PRIVATE).map_err(DaemonError::Files)?;
    let mut spool = SqliteSpool::open(&config.spool_dir.join(SPOOL_FILE))?;
    spool.set_cron_runs_kept(config.live.cron_runs_kept);
    adopt_owner_names(&mut spool)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(DaemonError::System)?;
    runtime.block_on(serve(config, spool, output_dir, launch))
}

/// Jobs and crontabs stored before owners' names were kept (schema 5)
/// take the name of the account holding their uid now, once: from then on
/// a reused uid is told apart. A uid with no account is left without a
/// name (its jobs fail for want of an owner anyway).
fn adopt_owner_names(spool: &mut dyn Store) -> Result<(), SpoolError> {
    const DONE: &str = "owner_names_adopted";
    // Once only: a uid whose account was gone then keeps rows without a
    // name (root's alone), which a later holder of the uid must not adopt.
    if spool.state(DONE)?.is_some() {
        return Ok(());
    }
    let mut complete = true;
    for uid in spool.uids_without_owner_name()? {
        match crate::system::accounts::account_of(uid) {
            Ok(Some(name)) => spool.adopt_owner_name(uid, &name)?,
            Ok(None) => {}
            Err(error) => {
                tracing::warn!("{error}: its jobs get their owner's name at the next start");
                complete = false;
            }
        }
    }
    if complete {
        spool.swap_state(DONE, "1")?;
    }
    Ok(())
}

async fn serve(
    config: Config,
    spool: SqliteSpool,
    output_dir: std::path::PathBuf,
    launch: &mut Launch,
) -> Result<(), DaemonError> {
    let mut signals = Signals::register().map_err(DaemonError::System)?;
    let clock = match config.mock_clock {
        Some(start) => {
            tracing::warn!(%start, "running on a MOCK CLOCK: for tests only, time moves only when its owner sets it");
            Clock::mock(start)
        }
        None => Clock::system(),
    };
    let (spool, mut spool_ended) = SpoolHandle::start(Box::new(spool))
        .context("cannot start the spool thread")
        .map_err(DaemonError::System)?;
    recover_lost_runs(&spool, &clock, &output_dir, config.live.output_limit).await?;
    // The scheduler needs only each job's id, instant, kind and queue.
    let pending = spool
        .fold_pending(Owner::Any, Vec::new(), |pending, job| {
            pending.push((job.id, job.due, job.kind, job.queue));
            std::ops::ControlFlow::Continue(())
        })
        .await?;

    let euid = sched_runas::current_euid();
    let zones = Zones::new(jiff::tz::TimeZone::system());
    let user_crontabs = load_user_crontabs(&spool, &zones).await?;
    let system_paths = SystemPaths {
        crontab: config.system_crontab.clone(),
        dir: config.cron_dir.clone(),
    };
    // Watching first: a file changed while the crontabs are first read is
    // then reported, not missed.
    let watched = crate::cron::watch::start_watching(&system_paths);
    let system_crontabs = {
        let (paths, zones) = (system_paths.clone(), zones.clone());
        tokio::task::spawn_blocking(move || cron::load_all_system(&paths, euid, &zones))
            .await
            .context("reading the system crontabs failed")
            .map_err(DaemonError::Stopped)?
    };
    let socket_inherited = launch.inherited_socket.is_some();
    let listener = match launch.inherited_socket.take() {
        Some(socket) => {
            tracing::info!("listening on the socket the service manager opened");
            tokio::net::UnixListener::from_std(socket)
                .context("cannot use the socket from the service manager")
                .map_err(DaemonError::System)?
        }
        None => listener::bind(&config.socket, euid == 0)?,
    };
    // Recorded once nothing can stop this start any more: a start that
    // fails (the socket taken) must leave @reboot to the next one.
    let new_boot = is_new_boot(&spool, &config.boot_id_file).await?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let running = crate::running::in_progress::Running::default();
    let output_limit =
        std::sync::Arc::new(std::sync::atomic::AtomicU64::new(config.live.output_limit));
    tokio::spawn(crate::running::output_trim::run(
        output_dir.clone(),
        output_limit.clone(),
    ));
    let executor = Executor {
        spool: spool.clone(),
        clock: clock.clone(),
        output_dir,
        output_limit,
        report: {
            let events = events_tx.clone();
            Report(std::sync::Arc::new(move |finished| {
                let _ = events.send(Event::RunFinished(finished));
            }))
        },
        sendmail: config.live.sendmail.clone(),
        running: running.clone(),
    };
    let mut scheduler = Scheduler::new(
        clock.clone(),
        spool.clone(),
        executor,
        BatchPolicy {
            load_limit: config.live.batch_load_limit,
            interval: config.live.batch_interval(),
            loadavg: config.loadavg_file.clone(),
        },
    );
    for &(id, due, kind, queue) in &pending {
        scheduler.add(id, due, kind, queue);
    }
    for loaded in user_crontabs {
        scheduler.load_crontab(loaded);
    }
    scheduler.load_system_crontabs(system_crontabs);
    if new_boot {
        scheduler.run_reboot_entries();
    }
    let cron_entries = scheduler.cron_entries();
    let deliver = {
        let events = events_tx.clone();
        Deliver(std::sync::Arc::new(move |load| {
            let _ = events.send(Event::SystemCrontabs(load));
        }))
    };
    let reloader = Reloader::new(system_paths, euid, zones.clone(), deliver);
    let context = Context {
        spool: spool.clone(),
        events: events_tx,
        clock,
        daemon_uid: euid,
        zones,
        settings: std::sync::Arc::new(std::sync::RwLock::new(config.live.clone())),
        accounts: crate::system::accounts::Accounts::system(),
        running: running.clone(),
    };
    let live_settings = context.settings.clone();
    let reconfigure = context.events.clone();
    let mut in_force = Reloadable {
        config: config.clone(),
        events: reconfigure,
    };
    let scheduler_task = tokio::spawn(scheduler.run(events_rx, shutdown_rx.clone()));
    let listener_task = tokio::spawn(listener::serve(
        listener,
        context,
        config.io_timeout,
        shutdown_rx,
    ));
    tracing::info!(
        socket = %config.socket.display(),
        spool = %config.spool_dir.display(),
        pending = pending.len(),
        cron_entries,
        "schedd {} ready",
        env!("CARGO_PKG_VERSION")
    );
    launch.announce();

    let mut scheduler_task = scheduler_task;
    let mut listener_task = listener_task;
    // The scheduler and the listener run until shutdown; one that ends
    // before (a panic, a failed timer) stops the daemon with an error
    // rather than leaving it half alive.
    let watch_task = tokio::spawn(reloader.clone().watch(watched));
    let stopped = tokio::select! {
        () = signals.wait_for_shutdown(&reloader, &mut in_force, &live_settings) => None,
        result = &mut scheduler_task => Some(("scheduler", result)),
        result = &mut listener_task => Some(("listener", result)),
        _ = &mut spool_ended => Some(("spool thread", Ok(()))),
    };
    let _ = shutdown_tx.send(true);
    watch_task.abort();
    // A socket the service manager opened is its to remove.
    let remove_socket = || {
        if !socket_inherited {
            let _ = std::fs::remove_file(&config.socket);
        }
    };
    if let Some((part, result)) = stopped {
        remove_socket();
        // A scheduler still running gives its ready jobs back to the spool
        // before the daemon goes.
        if part == "listener" {
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(10), &mut scheduler_task).await;
        }
        let why = match result {
            Ok(()) => "it stopped".to_owned(),
            Err(error) => error.to_string(),
        };
        return Err(DaemonError::Stopped(anyhow::anyhow!(
            "the {part} stopped unexpectedly ({why}); see the log above"
        )));
    }
    let _ = listener_task.await;
    let _ = scheduler_task.await;
    if config.stop_jobs_on_exit {
        tracing::info!("shutting down; stopping the running jobs (SIGTERM to each)");
        let left = running.stop_all(JOB_STOP_GRACE).await;
        if left > 0 {
            tracing::warn!(
                "{left} jobs did not end within {JOB_STOP_GRACE:?}; they are left running and recorded as lost at the next start"
            );
        }
    } else {
        tracing::info!(
            "shutting down; running jobs keep running and are recorded as lost at the next start"
        );
    }
    remove_socket();
    // The spool thread ends once every handle is gone; in-flight run tasks
    // hold handles until the runtime drops them.
    drop(spool);
    Ok(())
}

/// The signals that stop or poke the daemon, registered before the socket
/// exists: a SIGTERM that arrives as soon as clients can connect must stop
/// the daemon cleanly, not kill it.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> anyhow::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        })
    }

    /// Waits for SIGTERM or SIGINT. SIGHUP reads the configuration and
    /// the system crontabs again.
    async fn wait_for_shutdown(
        &mut self,
        reloader: &Reloader,
        running: &mut Reloadable,
        settings: &Arc<RwLock<Live>>,
    ) {
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = self.hup.recv() => {
                    if let Some(reload) = &running.config.reload {
                        let reload = reload.clone();
                        match tokio::task::spawn_blocking(move || (reload.0)()).await {
                            Ok(Ok(new)) => apply_reloaded(running, new, settings),
                            Ok(Err(error)) => tracing::error!(
                                "SIGHUP: {error:#}; the configuration in force is kept"
                            ),
                            Err(error) => tracing::error!("SIGHUP: {error}"),
                        }
                    }
                    tracing::info!("SIGHUP: reading the system crontabs again");
                    let reloader = reloader.clone();
                    tokio::spawn(async move { reloader.reload().await });
                }
            }
        }
    }
}

/// Every user's crontab from the spool, parsed. A line that no longer
/// loads (its CRON_TZ zone was removed from the system) is logged. The
/// crontab of a uid with no account any more is an orphan, as cronie calls
/// it: kept in the spool, not loaded (it would fail at every one of its
/// times), and logged; so is one whose uid now belongs to another account.
async fn load_user_crontabs(
    spool: &SpoolHandle,
    zones: &Zones,
) -> Result<Vec<cron::Loaded>, DaemonError> {
    let stored = spool.crontabs().await?;
    let zones = zones.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        stored
            .into_iter()
            .filter_map(|crontab| {
                let uid = crontab.owner_uid;
                let name = owner_of(uid, crontab.owner_name.as_deref())?;
                let (loaded, errors) = cron::load_user(uid, &name, &crontab.text, &zones);
                for error in errors {
                    tracing::error!("crontab of {name}:{error}; the line is skipped");
                }
                Some(loaded)
            })
            .collect()
    })
    .await
    .context("reading the users' crontabs failed")
    .map_err(DaemonError::Stopped)?;
    Ok(loaded)
}

/// The owner of a user's crontab stored for `uid` by the account `stored`,
/// if that account still holds the uid (the executor's rule: the name is
/// looked up, so accounts sharing a uid are each themselves); otherwise
/// the crontab is an orphan, logged and not loaded. A failed lookup loads
/// it: the executor checks again before each run.
fn owner_of(uid: u32, stored: Option<&str>) -> Option<String> {
    let Some(name) = stored else {
        tracing::warn!(
            uid,
            "the crontab of uid {uid} has no known owner (its account was gone when names began to be kept): not loaded"
        );
        return None;
    };
    match sched_runas::uid_of_name(name) {
        Ok(Some(holder)) if holder == uid => return Some(name.to_owned()),
        Err(_) => return Some(name.to_owned()),
        Ok(_) => {}
    }
    match crate::system::accounts::account_of(uid) {
        Ok(Some(now)) => tracing::warn!(
            uid,
            "the crontab of uid {uid} is an orphan: it was {name}'s, and uid {uid} is now {now}'s: not loaded"
        ),
        _ => tracing::warn!(
            uid,
            "the crontab of uid {uid} is an orphan (no such user): not loaded"
        ),
    }
    None
}

/// Whether this is the first daemon since the system booted: the boot id
/// differs from the one the spool remembers. The new id is remembered.
async fn is_new_boot(spool: &SpoolHandle, boot_id_file: &Path) -> Result<bool, DaemonError> {
    let boot_id = match std::fs::read_to_string(boot_id_file) {
        Ok(text) => text.trim().to_owned(),
        Err(error) => {
            tracing::warn!(
                "cannot read the boot id from {} ({error}): @reboot entries do not run",
                boot_id_file.display()
            );
            return Ok(false);
        }
    };
    let before = spool.swap_state(BOOT_ID_KEY, boot_id.clone()).await?;
    Ok(before.as_deref() != Some(boot_id.as_str()))
}

/// The spool state key of the boot whose @reboot entries ran.
const BOOT_ID_KEY: &str = "boot_id";

/// Runs a previous daemon started and never saw end are recorded as lost,
/// with whatever output they left; each output file is removed only after
/// its run is recorded.
async fn recover_lost_runs(
    spool: &SpoolHandle,
    clock: &Clock,
    output_dir: &Path,
    limit: u64,
) -> Result<(), DaemonError> {
    let now = clock.now();
    let lost = spool.running_runs().await?;
    for run in lost {
        let path = output::path(output_dir, run);
        let kept = output::read(&path, limit).unwrap_or_default();
        spool.finish_run(run, now, Outcome::Lost, kept).await?;
        output::remove(&path)
            .with_context(|| format!("cannot remove {}", path.display()))
            .map_err(DaemonError::Files)?;
        tracing::warn!(
            run = run.0,
            "a run of the previous daemon was lost: it may still be running"
        );
    }
    Ok(())
}

/// The configuration in force, and where to send the settings that change.
struct Reloadable {
    config: Config,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
}

/// Puts a configuration read again on SIGHUP in force: its [`Live`]
/// settings (the access lists, the output limit, the runs kept, the mailer
/// and the batch policy) at once, as one value; what needs a restart (the
/// socket, the spool, the system crontab paths, logging) is named in the
/// log and stays as it runs.
fn apply_reloaded(running: &mut Reloadable, new: Config, settings: &Arc<RwLock<Live>>) {
    *settings
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = new.live.clone();
    let _ = running.events.send(Event::Reconfigure(new.live.clone()));
    let pending = running.config.needs_restart(&new);
    if pending.is_empty() {
        tracing::info!("SIGHUP: configuration read again and in force");
    } else {
        tracing::warn!(
            "SIGHUP: configuration read again and in force, but a restart is needed for: {}",
            pending.join(", ")
        );
    }
    running.config.live = new.live;
}
