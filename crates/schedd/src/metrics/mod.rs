//! What the daemon counts, in the style of kube-state-metrics and
//! supercronic: runs by result, their duration and their start lag
//! (histograms), missed and skipped occurrences, retries and timeouts
//! (counters), and what is loaded, pending and running now (gauges). The
//! parts of the daemon that see an event count it here, on atomics; a
//! scrape encodes these, plus (opt-in) one series per crontab line that
//! the scheduler lists at that moment: a scrape costs O(lines with series)
//! and never reads the spool.
//!
//! Labels hold kinds and results, and per-line series the line's name and
//! owner: never a command, an environment or any output.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// A run's kind as a label value.
pub fn kind_label(kind: sched_spool::RunKind) -> &'static str {
    match kind {
        sched_spool::RunKind::At => "at",
        sched_spool::RunKind::Batch => "batch",
        sched_spool::RunKind::Cron => "cron",
    }
}

/// How a started run ended, as `schedd_runs_total`'s `result`.
pub fn result_label(outcome: &sched_spool::Outcome) -> &'static str {
    use sched_spool::Outcome;
    match outcome {
        Outcome::Exited(0) => "success",
        Outcome::Exited(_) | Outcome::Signalled(_) => "failure",
        Outcome::TimedOut { .. } => "timeout",
        Outcome::Lost => "lost",
        Outcome::Failed(_) => "error",
        Outcome::Skipped(_) => "skipped",
        Outcome::Missed(_) => "missed",
        Outcome::Superseded(_) => "superseded",
        Outcome::Running => "running",
    }
}

type KindLabels = [(&'static str, &'static str); 1];
type RunLabels = [(&'static str, &'static str); 2];
type EntryLabels = [(&'static str, String); 2];

/// Buckets of run durations, in seconds: 10 ms to about 12 hours.
const DURATION_BUCKETS: [f64; 14] = [
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0,
];

/// Buckets of start lags, in seconds: 1 ms to 10 minutes.
const LAG_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 10.0, 60.0, 600.0,
];

/// The daemon's counters and gauges, shared by every part that counts.
#[derive(Debug, Clone)]
pub struct Metrics {
    runs: Family<RunLabels, Counter>,
    duration: Family<KindLabels, Histogram>,
    lag: Family<KindLabels, Histogram>,
    missed: Family<KindLabels, Counter>,
    skipped: Family<KindLabels, Counter>,
    retries: Family<KindLabels, Counter>,
    timeouts: Family<KindLabels, Counter>,
    on_failure: Counter,
    pending: Family<KindLabels, Gauge>,
    active: Gauge,
    entries: Gauge,
    started: Gauge<f64, AtomicU64>,
}

/// One crontab line's series, as the scheduler lists them at a scrape.
#[derive(Debug, Clone)]
pub struct EntrySeries {
    /// `crontab of alice:3`, `/etc/cron.d/php:14`.
    pub entry: String,
    pub owner: String,
    pub next: Option<jiff::Timestamp>,
    pub last_success: Option<jiff::Timestamp>,
    pub paused: bool,
}

/// The exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text (`application/openmetrics-text`).
    OpenMetrics,
    /// Prometheus text 0.0.4 (`text/plain`), which node_exporter's
    /// textfile collector and `promtool check metrics` read.
    Prometheus,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        fn durations() -> Histogram {
            Histogram::new(DURATION_BUCKETS)
        }
        fn lags() -> Histogram {
            Histogram::new(LAG_BUCKETS)
        }
        Metrics {
            runs: Family::default(),
            duration: Family::new_with_constructor(durations),
            lag: Family::new_with_constructor(lags),
            missed: Family::default(),
            skipped: Family::default(),
            retries: Family::default(),
            timeouts: Family::default(),
            on_failure: Counter::default(),
            pending: Family::default(),
            active: Gauge::default(),
            entries: Gauge::default(),
            started: Gauge::default(),
        }
    }
}

impl Metrics {
    /// The metrics of a daemon that started at `at`.
    pub fn new(at: jiff::Timestamp) -> Arc<Metrics> {
        let metrics = Metrics::default();
        metrics.started.set(seconds(at));
        for kind in ["at", "batch", "cron"] {
            // Every kind is present from the start: a rate over a counter
            // that appears only with its first event misses that event.
            for result in ["success", "failure", "timeout", "lost", "error"] {
                let _ = metrics
                    .runs
                    .get_or_create(&[("kind", kind), ("result", result)]);
            }
            for family in [
                &metrics.missed,
                &metrics.skipped,
                &metrics.retries,
                &metrics.timeouts,
            ] {
                let _ = family.get_or_create(&[("kind", kind)]);
            }
            let _ = metrics.lag.get_or_create(&[("kind", kind)]);
            let _ = metrics.duration.get_or_create(&[("kind", kind)]);
        }
        for kind in ["at", "batch"] {
            let _ = metrics.pending.get_or_create(&[("kind", kind)]);
        }
        Arc::new(metrics)
    }

    /// A run started `lag_seconds` after its scheduled instant.
    pub fn run_started(&self, kind: &'static str, lag_seconds: f64) {
        self.lag
            .get_or_create(&[("kind", kind)])
            .observe(lag_seconds.max(0.0));
    }

    /// A started run ended after `seconds`.
    pub fn run_ended(&self, kind: &'static str, outcome: &sched_spool::Outcome, seconds: f64) {
        let result = result_label(outcome);
        self.runs
            .get_or_create(&[("kind", kind), ("result", result)])
            .inc();
        if result == "timeout" {
            self.timeouts.get_or_create(&[("kind", kind)]).inc();
        }
        self.duration
            .get_or_create(&[("kind", kind)])
            .observe(seconds.max(0.0));
    }

    /// A run could not start, or was found lost: counted without a
    /// duration.
    pub fn run_not_timed(&self, kind: &'static str, outcome: &sched_spool::Outcome) {
        self.runs
            .get_or_create(&[("kind", kind), ("result", result_label(outcome))])
            .inc();
    }

    /// Occurrences that did not run, by their outcome.
    pub fn not_run(&self, kind: &'static str, outcome: &sched_spool::Outcome) {
        let family = match outcome {
            sched_spool::Outcome::Missed(_) => &self.missed,
            sched_spool::Outcome::Skipped(_) => &self.skipped,
            _ => return,
        };
        family.get_or_create(&[("kind", kind)]).inc();
    }

    /// A retry was scheduled.
    pub fn retry(&self, kind: &'static str) {
        self.retries.get_or_create(&[("kind", kind)]).inc();
    }

    /// An on-failure command was started.
    pub fn on_failure_started(&self) {
        self.on_failure.inc();
    }

    /// What is loaded, pending and running now.
    pub fn set_state(
        &self,
        entries: usize,
        pending_at: usize,
        pending_batch: usize,
        active: usize,
    ) {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.entries.set(count(entries));
        self.pending
            .get_or_create(&[("kind", "at")])
            .set(count(pending_at));
        self.pending
            .get_or_create(&[("kind", "batch")])
            .set(count(pending_batch));
        self.active.set(count(active));
    }

    /// The exposition of every metric and of `entries`' series.
    pub fn encode(&self, entries: &[EntrySeries], format: Format) -> String {
        let mut registry = Registry::with_prefix("schedd");
        registry.register(
            "runs",
            "Runs that ended, by kind and result (success, failure: a non-zero exit or a signal, timeout, lost, error: could not start)",
            self.runs.clone(),
        );
        registry.register_with_unit(
            "run_duration",
            "How long runs ran, from start to end",
            Unit::Seconds,
            self.duration.clone(),
        );
        registry.register_with_unit(
            "start_lag",
            "Actual start minus the scheduled instant (random delays and retries count from the instant they start at)",
            Unit::Seconds,
            self.lag.clone(),
        );
        registry.register(
            "missed",
            "Occurrences missed: the daemon was down, or past their starting deadline",
            self.missed.clone(),
        );
        registry.register(
            "skipped",
            "Occurrences skipped: overlap policy, paused, or sched skip",
            self.skipped.clone(),
        );
        registry.register("retries", "Retries scheduled", self.retries.clone());
        registry.register(
            "timeouts",
            "Runs stopped by their timeout",
            self.timeouts.clone(),
        );
        registry.register(
            "on_failure_commands",
            "On-failure commands started",
            self.on_failure.clone(),
        );
        registry.register(
            "jobs_pending",
            "At and batch jobs pending on this host",
            self.pending.clone(),
        );
        registry.register(
            "runs_active",
            "Runs in progress on this host",
            self.active.clone(),
        );
        registry.register("entries", "Crontab lines loaded", self.entries.clone());
        registry.register_with_unit(
            "start_time",
            "When the daemon started, in seconds since the epoch",
            Unit::Seconds,
            self.started.clone(),
        );
        if !entries.is_empty() {
            let next: Family<EntryLabels, Gauge<f64, AtomicU64>> = Family::default();
            let success: Family<EntryLabels, Gauge<f64, AtomicU64>> = Family::default();
            let paused: Family<EntryLabels, Gauge> = Family::default();
            for series in entries {
                let labels = [
                    ("entry", series.entry.clone()),
                    ("owner", series.owner.clone()),
                ];
                if let Some(at) = series.next {
                    next.get_or_create(&labels).set(seconds(at));
                }
                if let Some(at) = series.last_success {
                    success.get_or_create(&labels).set(seconds(at));
                }
                paused.get_or_create(&labels).set(i64::from(series.paused));
            }
            registry.register_with_unit(
                "entry_next_timestamp",
                "When each crontab line is next due, in seconds since the epoch",
                Unit::Seconds,
                next,
            );
            registry.register_with_unit(
                "entry_last_success_timestamp",
                "When each crontab line's last successful run (on this host) ended, in seconds since the epoch",
                Unit::Seconds,
                success,
            );
            registry.register(
                "entry_paused",
                "1 while a crontab line is paused (sched pause)",
                paused,
            );
        }
        let mut text = String::new();
        let encoded = match format {
            Format::OpenMetrics => text::encode(&mut text, &registry),
            Format::Prometheus => {
                prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
            }
        };
        // Writing to a String cannot fail; an encoder error would leave a
        // partial text, which is still better than none.
        if let Err(error) = encoded {
            tracing::error!("cannot encode the metrics: {error}");
        }
        text
    }
}

/// An instant as Prometheus writes it: seconds since the epoch.
fn seconds(at: jiff::Timestamp) -> f64 {
    at.as_millisecond() as f64 / 1000.0
}
