//! The signals a running daemon answers: SIGTERM and SIGINT stop it;
//! SIGHUP reads the configuration and the system crontabs again and puts
//! the new [`Live`] settings in force at once.

use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::{Config, Live};
use crate::cron::watch::Reloader;
use crate::scheduling::event::Event;

/// The signals that stop or poke the daemon, registered before the socket
/// exists: a SIGTERM that arrives as soon as clients can connect must stop
/// the daemon cleanly, not kill it.
pub(super) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    pub(super) fn register() -> anyhow::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        })
    }

    /// Waits for SIGTERM or SIGINT. SIGHUP reads the configuration and
    /// the system crontabs again.
    pub(super) async fn wait_for_shutdown(
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

/// The configuration in force, and where to send the settings that change.
pub(super) struct Reloadable {
    pub(super) config: Config,
    pub(super) events: tokio::sync::mpsc::UnboundedSender<Event>,
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
