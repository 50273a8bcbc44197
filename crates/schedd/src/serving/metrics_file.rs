//! The metrics written to a file for node_exporter's textfile collector
//! (`metrics_textfile`): Prometheus text, every [`PERIOD`] and when the
//! daemon stops, each time whole (written beside it, then renamed), so
//! the collector never reads half a file.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sched_spool::Owner;
use tokio::sync::watch;

use super::context::Context;
use crate::metrics::{EntrySeries, Format};

/// How often the file is written again.
pub const PERIOD: Duration = Duration::from_secs(15);

/// Writes the file every [`PERIOD`] until `shutdown` changes, then once
/// more.
pub async fn run(path: PathBuf, context: Context, mut shutdown: watch::Receiver<bool>) {
    let mut failing = false;
    // The per-line series last listed: the last write, once the scheduler
    // has stopped, keeps them.
    let mut series = Vec::new();
    loop {
        write(&path, &context, &mut series, &mut failing).await;
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(PERIOD) => {}
        }
    }
    write(&path, &context, &mut series, &mut failing).await;
}

/// Writes the file once; a failure is logged once until it succeeds.
async fn write(path: &Path, context: &Context, series: &mut Vec<EntrySeries>, failing: &mut bool) {
    if let Some(listed) = super::metrics::entry_series(context, Owner::Any).await {
        *series = listed;
    }
    let text = context.metrics.encode(series, Format::Prometheus);
    let target = path.to_owned();
    let written = tokio::task::spawn_blocking(move || replace(&target, text.as_bytes()))
        .await
        .unwrap_or_else(|error| Err(std::io::Error::other(error.to_string())));
    match written {
        Ok(()) if *failing => {
            tracing::info!("the metrics are written to {} again", path.display());
            *failing = false;
        }
        Ok(()) => {}
        Err(error) if !*failing => {
            tracing::warn!("cannot write the metrics to {}: {error}", path.display());
            *failing = true;
        }
        Err(_) => {}
    }
}

/// Replaces `path` with `bytes`: a temporary file in the same directory,
/// readable by all (node_exporter runs as its own user), renamed over it.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".schedd-metrics")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
