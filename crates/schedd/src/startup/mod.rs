//! Start-up, the life of the daemon, and shutdown: [`run`] opens the
//! spool, takes over what it holds ([`restore`]), wires the parts
//! ([`assemble`]), serves until a signal or a failed part stops it
//! ([`signals`]), and stops cleanly.

pub mod assemble;
mod restore;
mod signals;

use anyhow::Context as _;
use sched_spool::{Owner, PgOptions, PgSpool, SpoolError, SqliteSpool, Store};
use tokio::net::UnixListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::assemble::{Ingredients, Parts, assemble};
use self::signals::{Reloadable, Signals};
use crate::Launch;
use crate::clock::Clock;
use crate::config::Config;
use crate::cron::system::SystemPaths;
use crate::cron::watch::{Deliver, Reloader};
use crate::cron::{self, Zones};
use crate::error::DaemonError;
use crate::scheduling::event::Event;
use crate::scheduling::fleet::Heartbeat;
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
    let mut spool = open_spool(&config)?;
    spool.set_cron_runs_kept(config.live.cron_runs_kept);
    restore::adopt_owner_names(&mut *spool)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(DaemonError::System)?;
    runtime.block_on(serve(config, spool, output_dir, launch))
}

/// The spool the configuration names: the SQLite database in the spool
/// directory, or the PostgreSQL database a fleet shares. A database out
/// of reach at start is waited for (a fleet's hosts may boot before it),
/// saying so once; any other refusal stops the daemon.
fn open_spool(config: &Config) -> Result<Box<dyn Store>, DaemonError> {
    let Some(fleet) = &config.fleet else {
        return Ok(Box::new(SqliteSpool::open(
            &config.spool_dir.join(SPOOL_FILE),
        )?));
    };
    let options = PgOptions {
        host: fleet.host_name.clone(),
        lease: fleet.lease,
    };
    let mut wait = std::time::Duration::from_secs(1);
    let mut said = false;
    loop {
        match PgSpool::open(fleet.url.secret(), options.clone()) {
            Ok(spool) => {
                if said {
                    tracing::info!("the spool database is reachable: starting");
                }
                return Ok(Box::new(spool));
            }
            Err(error @ SpoolError::Unreachable { .. }) => {
                if !said {
                    tracing::error!(
                        "{error}; waiting for it (retrying with backoff up to a minute)"
                    );
                    said = true;
                }
                std::thread::sleep(wait);
                wait = (wait * 2).min(std::time::Duration::from_secs(60));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

async fn serve(
    config: Config,
    spool: Box<dyn Store>,
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
    let described = spool.describe();
    let (spool, mut spool_ended) = SpoolHandle::start(spool)
        .context("cannot start the spool thread")
        .map_err(DaemonError::System)?;
    let metrics = crate::metrics::Metrics::new(clock.now());
    let lost_cron_runs = restore::recover_lost_runs(
        &spool,
        &clock,
        &output_dir,
        config.live.output_limit,
        &config.live.policy,
        &metrics,
    )
    .await?;
    // The scheduler needs only each job's id, instant, kind and queue.
    let pending = spool
        .fold_pending(Owner::Any, Vec::new(), |pending, job| {
            pending.push((job.id, job.due, job.kind, job.queue));
            std::ops::ControlFlow::Continue(())
        })
        .await?;
    let euid = sched_runas::current_euid();
    let zones = Zones::new(jiff::tz::TimeZone::system());
    let (stored_crontabs, user_crontabs) = restore::load_user_crontabs(&spool, &zones).await?;
    let system_paths = SystemPaths {
        crontab: config.system_crontab.clone(),
        dir: config.cron_dir.clone(),
    };
    // Watching first, a file changed while they are first read is
    // reported, not missed.
    let watched = crate::cron::watch::start_watching(&system_paths);
    let socket_inherited = launch.inherited_socket.is_some();
    let listener = listen(&config, launch, euid)?;
    let metrics_listener = match config.metrics_listen {
        Some(address) => Some(listen_metrics(address).await?),
        None => None,
    };
    // Recorded once nothing can stop this start any more: a start that
    // fails (the socket taken) must leave @reboot to the next one.
    let new_boot = restore::is_new_boot(&spool, &config.boot_id_file).await?;
    let Parts {
        mut scheduler,
        events,
        context,
        output_limit,
    } = assemble(Ingredients {
        clock: clock.clone(),
        spool: spool.clone(),
        output_dir: output_dir.clone(),
        live: config.live.clone(),
        loadavg: config.loadavg_file.clone(),
        daemon_uid: sched_spool::Uid(euid),
        zones: zones.clone(),
        accounts: crate::system::accounts::Accounts::system(),
        metrics: metrics.clone(),
    });
    tokio::spawn(crate::running::output_trim::run(output_dir, output_limit));
    for &(id, due, kind, queue) in &pending {
        scheduler.add(id, due, kind, queue);
    }
    for loaded in user_crontabs {
        scheduler.load_crontab(loaded);
    }
    let system_read = cron::stream_system(&system_paths, euid, &zones, |loaded| {
        scheduler.load_crontab(loaded);
        std::future::ready(())
    })
    .await
    .context("reading the system crontabs failed")
    .map_err(DaemonError::Stopped)?;
    scheduler.end_system_reading(system_read);
    if new_boot {
        scheduler.run_reboot_entries();
    }
    scheduler.retry_lost_runs(lost_cron_runs);
    let cron_entries = scheduler.cron_entries();
    let deliver = {
        let events = context.events.clone();
        Deliver(std::sync::Arc::new(move |load| {
            let _ = events.send(Event::SystemCrontabs(load));
        }))
    };
    let reloader = Reloader::new(system_paths, euid, zones.clone(), deliver);
    let live_settings = context.settings.clone();
    let mut in_force = Reloadable {
        config: config.clone(),
        events: context.events.clone(),
    };
    let running = context.running.clone();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let heartbeat = config.fleet.as_ref().map(|fleet| {
        tokio::spawn(
            Heartbeat {
                spool: spool.for_lease(),
                clock,
                events: context.events.clone(),
                zones: zones.clone(),
                defaults: config.live.policy,
                lease: fleet.lease,
                crontabs: stored_crontabs,
                metrics: metrics.clone(),
            }
            .run(shutdown_rx.clone()),
        )
    });
    if let Some(metrics_listener) = metrics_listener {
        tokio::spawn(crate::serving::metrics_http::run(
            metrics_listener,
            context.clone(),
            shutdown_rx.clone(),
        ));
    }
    // The textfile is written a last time before the scheduler stops, so
    // that it keeps the per-line series.
    let (textfile_stop, textfile_stopping) = watch::channel(false);
    let textfile = config.metrics_textfile.clone().map(|path| {
        tokio::spawn(crate::serving::metrics_file::run(
            path,
            context.clone(),
            textfile_stopping,
        ))
    });
    let mut scheduler_task = tokio::spawn(scheduler.run(events, shutdown_rx.clone()));
    let mut listener_task = tokio::spawn(listener::serve(
        listener,
        context,
        config.io_timeout,
        shutdown_rx,
    ));
    tracing::info!(
        socket = %config.socket.display(),
        spool = %described,
        pending = pending.len(),
        cron_entries,
        "schedd {} ready",
        env!("CARGO_PKG_VERSION")
    );
    launch.announce();

    // The scheduler, the listener and the spool thread run until shutdown;
    // one that ends before (a panic, a failed timer) stops the daemon with
    // an error rather than leaving it half alive.
    let watch_task = tokio::spawn(reloader.clone().watch(watched));
    let stopped = tokio::select! {
        () = signals.wait_for_shutdown(&reloader, &mut in_force, &live_settings) => None,
        result = &mut scheduler_task => Some(("scheduler", result)),
        result = &mut listener_task => Some(("listener", result)),
        _ = &mut spool_ended => Some(("spool thread", Ok(()))),
    };
    let _ = textfile_stop.send(true);
    if let Some(textfile) = textfile {
        let _ = textfile.await;
    }
    let _ = shutdown_tx.send(true);
    watch_task.abort();
    if let Some(heartbeat) = heartbeat {
        let _ = heartbeat.await;
    }
    // A socket the service manager opened is its to remove.
    let remove_socket = || {
        if !socket_inherited {
            let _ = std::fs::remove_file(&config.socket);
        }
    };
    if let Some((part, result)) = stopped {
        remove_socket();
        return Err(stopped_unexpectedly(part, result, &mut scheduler_task).await);
    }
    let _ = listener_task.await;
    let _ = scheduler_task.await;
    stop_jobs(&config, &running).await;
    remove_socket();
    // The spool thread ends once every handle is gone; in-flight run tasks
    // hold handles until the runtime drops them.
    drop(spool);
    Ok(())
}

/// Binds the metrics' HTTP endpoint. Off the loopback address it is
/// reachable from other hosts: said once, as it was asked for.
async fn listen_metrics(
    address: std::net::SocketAddr,
) -> Result<tokio::net::TcpListener, DaemonError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot serve the metrics at {address}"))
        .map_err(DaemonError::Taken)?;
    if !address.ip().is_loopback() {
        tracing::warn!(%address, "the metrics are served beyond this host (metrics_listen)");
    }
    tracing::info!(%address, "serving the metrics at http://{address}/metrics");
    Ok(listener)
}

/// The listening socket: the one the service manager opened, or the
/// configured one, bound now.
fn listen(config: &Config, launch: &mut Launch, euid: u32) -> Result<UnixListener, DaemonError> {
    match launch.inherited_socket.take() {
        Some(socket) => {
            tracing::info!("listening on the socket the service manager opened");
            UnixListener::from_std(socket)
                .context("cannot use the socket from the service manager")
                .map_err(DaemonError::System)
        }
        None => listener::bind(&config.socket, euid == 0),
    }
}

/// The error of a part that ended before shutdown. A scheduler still
/// running gives its ready jobs back to the spool before the daemon goes.
async fn stopped_unexpectedly(
    part: &str,
    result: Result<(), tokio::task::JoinError>,
    scheduler: &mut JoinHandle<()>,
) -> DaemonError {
    if part != "scheduler" {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), scheduler).await;
    }
    let why = match result {
        Ok(()) => "it stopped".to_owned(),
        Err(error) => error.to_string(),
    };
    DaemonError::Stopped(anyhow::anyhow!(
        "the {part} stopped unexpectedly ({why}); see the log above"
    ))
}

/// Running jobs keep running when the daemon stops, as cron's do, unless
/// the configuration says to stop them (SIGTERM to each, then they are
/// left and recorded as lost at the next start).
async fn stop_jobs(config: &Config, running: &crate::running::in_progress::Running) {
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
}
