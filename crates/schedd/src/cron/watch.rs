//! Reloading the system crontabs: on SIGHUP, and when inotify reports a
//! change in the directories that hold them.
//!
//! The directories are watched, not the files: editors and package tools
//! replace a file by renaming another over it, which ends a watch on the
//! file itself. Events are gathered until the directory has been quiet for
//! [`QUIET`] (a package upgrade touches many files), then everything is
//! read again; the table keeps the entries that did not change.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

use super::system::SystemPaths;
use super::{SystemPiece, Zones};

/// Where each new reading of the system crontabs goes, a piece at a time:
/// the scheduler, in the daemon. A function, so that this module knows
/// nothing of who listens.
#[derive(Clone)]
pub struct Deliver(pub Arc<dyn Fn(SystemPiece) + Send + Sync>);

impl std::fmt::Debug for Deliver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deliver")
    }
}

/// How long the directories must be quiet before they are read again.
const QUIET: Duration = Duration::from_millis(200);

/// The longest a reload waits for quiet.
const MOST: Duration = Duration::from_secs(2);

/// Reads the system crontabs again and hands them to the scheduler. One
/// reload at a time, so that an older read never lands after a newer one.
#[derive(Debug, Clone)]
pub struct Reloader {
    paths: SystemPaths,
    daemon_uid: u32,
    zones: Zones,
    deliver: Deliver,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Reloader {
    pub fn new(paths: SystemPaths, daemon_uid: u32, zones: Zones, deliver: Deliver) -> Reloader {
        Reloader {
            paths,
            daemon_uid,
            zones,
            deliver,
            lock: Arc::default(),
        }
    }

    /// Reads every system crontab and sends it to the scheduler, a file at
    /// a time (each applied before the one after the next is parsed), then
    /// the end of the reading.
    pub async fn reload(&self) {
        let _one_at_a_time = self.lock.lock().await;
        let read = super::stream_system(&self.paths, self.daemon_uid, &self.zones, |loaded| {
            let (applied, done) = tokio::sync::oneshot::channel();
            (self.deliver.0)(SystemPiece::File { loaded, applied });
            async {
                // A scheduler gone (the daemon stopping) leaves nothing to
                // wait for.
                let _ = done.await;
            }
        })
        .await;
        match read {
            Ok(end) => (self.deliver.0)(SystemPiece::End(end)),
            Err(error) => tracing::error!("reading the system crontabs failed: {error}"),
        }
    }

    /// Reloads after each change `watched` reports, until the daemon
    /// stops. Without a watch only SIGHUP reloads.
    pub async fn watch(self, watched: Option<Watch>) {
        let Some(mut watched) = watched else {
            return;
        };
        loop {
            match watched.changed().await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::error!("watching the system crontabs failed: {error}");
                    return;
                }
            }
            // Gather the rest of a burst of changes.
            let started = tokio::time::Instant::now();
            while started.elapsed() < MOST {
                match tokio::time::timeout(QUIET, watched.changed()).await {
                    Ok(Ok(_)) => continue,
                    Ok(Err(_)) | Err(_) => break,
                }
            }
            tracing::info!("the system crontabs changed; reading them again");
            self.reload().await;
        }
    }
}

/// Starts watching the directories of the system crontabs. Called before
/// they are first read, so that a change made during that read is reported
/// (and read again) rather than missed. `None`, logged, without inotify or
/// with no directory to watch.
pub fn start_watching(paths: &SystemPaths) -> Option<Watch> {
    match Watch::new(paths) {
        Ok(watch) => watch,
        Err(error) => {
            tracing::warn!(
                "cannot watch the system crontabs ({error}); they are read again on SIGHUP only"
            );
            None
        }
    }
}

/// The inotify watches on the system crontabs' directories.
pub struct Watch {
    fd: AsyncFd<InotifyHandle>,
    /// The file name of the single crontab in its directory, and that
    /// directory's watch.
    crontab: Option<(nix::sys::inotify::WatchDescriptor, std::ffi::OsString)>,
    /// The cron.d directory's watch, while it exists.
    dir: Option<nix::sys::inotify::WatchDescriptor>,
    /// The cron.d directory, and its name in the crontab's directory when
    /// it lives there (as /etc/cron.d beside /etc/crontab): created or
    /// re-created after the start, it is watched from then on.
    cron_d: Option<std::path::PathBuf>,
    cron_d_name: Option<std::ffi::OsString>,
}

/// What cron.d's watch reports.
fn watch_mask() -> AddWatchFlags {
    AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_ONLYDIR
}

struct InotifyHandle(Inotify);

impl AsRawFd for InotifyHandle {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Watch {
    fn new(paths: &SystemPaths) -> std::io::Result<Option<Watch>> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        let mask = watch_mask();
        let add = |dir: &Path| match inotify.add_watch(dir, mask) {
            Ok(wd) => Some(wd),
            Err(error) => {
                tracing::warn!("cannot watch {}: {error}", dir.display());
                None
            }
        };
        let crontab = paths.crontab.as_ref().and_then(|file| {
            let dir = file.parent().filter(|d| !d.as_os_str().is_empty())?;
            Some((add(dir)?, file.file_name()?.to_owned()))
        });
        let dir = paths.dir.as_deref().and_then(add);
        if crontab.is_none() && dir.is_none() {
            return Ok(None);
        }
        let cron_d_name = paths.dir.as_deref().and_then(|cron_d| {
            let crontab_dir = paths.crontab.as_deref()?.parent()?;
            (cron_d.parent()? == crontab_dir)
                .then(|| cron_d.file_name())?
                .map(ToOwned::to_owned)
        });
        // See clock.rs: the AsyncFd owns the descriptor for as long as it is
        // registered.
        #[allow(deprecated)]
        let fd = AsyncFd::new(InotifyHandle(inotify))?;
        Ok(Some(Watch {
            fd,
            crontab,
            dir,
            cron_d: paths.dir.clone(),
            cron_d_name,
        }))
    }

    /// cron.d appeared in the crontab's directory (created, or moved
    /// there): watches it, and counts as a change.
    fn rewatch_cron_d(&mut self) {
        let Some(cron_d) = &self.cron_d else {
            return;
        };
        match self
            .fd
            .get_ref()
            .0
            .add_watch(cron_d.as_path(), watch_mask())
        {
            Ok(wd) => self.dir = Some(wd),
            Err(error) => tracing::warn!("cannot watch {}: {error}", cron_d.display()),
        }
    }

    /// Waits for events; true when one concerns a crontab (anything in
    /// the cron.d directory, or the crontab's own name in its directory;
    /// an overflowed queue counts, since anything may have changed).
    async fn changed(&mut self) -> std::io::Result<bool> {
        loop {
            let mut guard = self.fd.readable().await?;
            let events = match guard.try_io(|inner| {
                inner
                    .get_ref()
                    .0
                    .read_events()
                    .map_err(std::io::Error::from)
            }) {
                Ok(Ok(events)) => events,
                Ok(Err(error)) => return Err(error),
                Err(_would_block) => continue,
            };
            drop(guard);
            let mut changed = false;
            for event in &events {
                let in_crontab_dir = self.crontab.as_ref().is_some_and(|(wd, _)| event.wd == *wd);
                let named = |name: Option<&std::ffi::OsString>| {
                    name.is_some_and(|name| event.name.as_deref() == Some(name.as_os_str()))
                };
                if in_crontab_dir
                    && named(self.cron_d_name.as_ref())
                    && event
                        .mask
                        .intersects(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
                {
                    self.rewatch_cron_d();
                    changed = true;
                }
                changed |= event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                    || (self.dir.is_some() && Some(event.wd) == self.dir)
                    || (in_crontab_dir && named(self.crontab.as_ref().map(|(_, name)| name)))
                    || (in_crontab_dir && named(self.cron_d_name.as_ref()));
            }
            return Ok(changed);
        }
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watch")
    }
}
