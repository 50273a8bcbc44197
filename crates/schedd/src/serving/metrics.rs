//! The metrics' exposition, wherever it is read: `sched metrics` over the
//! socket (the caller's own per-line series; root: everyone's), the HTTP
//! endpoint and the textfile (everyone's). Counters and gauges are read
//! from their atomics; per-line series, when schedd.conf's
//! `metrics_entries` asks for them, are listed by the scheduler. Nothing
//! reads the spool.

use sched_proto::{MetricsFormat, Response};
use sched_spool::Owner;
use tokio::sync::oneshot;

use super::context::Context;
use super::error::RequestError;
use crate::metrics::{EntrySeries, Format};
use crate::scheduling::event::Event;

pub async fn serve(
    context: &Context,
    owner: Owner,
    format: MetricsFormat,
) -> Result<Response, RequestError> {
    let format = match format {
        MetricsFormat::Openmetrics => Format::OpenMetrics,
        MetricsFormat::Prometheus => Format::Prometheus,
    };
    let text = exposition(context, owner, format).await?;
    Ok(Response::Metrics { text })
}

/// The exposition of the metrics, with the per-line series of `owner`'s
/// crontab lines.
pub async fn exposition(
    context: &Context,
    owner: Owner,
    format: Format,
) -> Result<String, RequestError> {
    // A scheduler gone (the daemon stopping) leaves the counters, which
    // are still worth writing.
    let series = entry_series(context, owner).await.unwrap_or_default();
    Ok(context.metrics.encode(&series, format))
}

/// The per-line series of `owner`'s crontab lines, as the scheduler lists
/// them now; `None` once the scheduler has stopped.
pub async fn entry_series(context: &Context, owner: Owner) -> Option<Vec<EntrySeries>> {
    let (reply, answer) = oneshot::channel();
    context
        .events
        .send(Event::EntrySeries { owner, reply })
        .ok()?;
    answer.await.ok()
}
