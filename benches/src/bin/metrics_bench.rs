//! Measures a scrape of the daemon's metrics with many crontab lines: the
//! exposition over the socket (`sched metrics`'s request) and over HTTP,
//! with no per-line series and with one per line, and the daemon's CPU per
//! scrape. Results go in BENCHMARKS.md.
//!
//! Build first: `cargo build --release -p schedd -p sched -p benches`, then
//! `target/release/metrics_bench [LINES] [SCRAPES]` (as root: the lines are
//! a system crontab's).

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use benches::{cpu_ns, rss_kib, sibling};
use sched_proto::{Envelope, MAX_REPLY, MetricsFormat, Request, Response};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let scrapes = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    println!("metrics scrape: {lines} crontab lines, {scrapes} scrapes each");
    println!("| per-line series | via | bytes | series | p50 ms | max ms | daemon CPU ms/scrape |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for per_line in [0, lines] {
        let daemon = Daemon::start(lines, per_line)?;
        let rss = rss_kib(daemon.child.id())?;
        for via in ["socket", "http"] {
            let mut times = Vec::with_capacity(scrapes);
            let mut bytes = 0;
            let mut series = 0;
            let cpu_before = cpu_ns(daemon.child.id())?;
            for _ in 0..scrapes {
                let started = Instant::now();
                let text = match via {
                    "socket" => daemon.scrape_socket()?,
                    _ => daemon.scrape_http()?,
                };
                times.push(started.elapsed());
                bytes = text.len();
                series = text
                    .lines()
                    .filter(|line| !line.starts_with('#') && !line.is_empty())
                    .count();
            }
            let cpu = (cpu_ns(daemon.child.id())? - cpu_before) as f64 / 1e6 / scrapes as f64;
            times.sort();
            println!(
                "| {per_line} | {via} | {bytes} | {series} | {:.1} | {:.1} | {cpu:.1} |",
                ms(times[times.len() / 2]),
                ms(times[times.len() - 1]),
            );
        }
        println!(
            "(resident size with {per_line} per-line series, before the scrapes: {} KiB, peak {} KiB)",
            rss.0, rss.1
        );
    }
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A release schedd on the real clock with `lines` system crontab lines,
/// keeping series for `per_line` of them, serving HTTP on a free port.
struct Daemon {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    port: u16,
    child: Child,
}

impl Daemon {
    fn start(lines: usize, per_line: usize) -> Result<Daemon> {
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("schedd.sock");
        let crontab = dir.path().join("crontab");
        let mut text = String::with_capacity(lines * 48);
        for n in 0..lines {
            // Lines that do not fire during the benchmark (1 January),
            // each with a time of its own.
            text.push_str(&format!(
                "{} {} 1 1 * root true {n}\n",
                n % 60,
                (n / 60) % 24
            ));
        }
        std::fs::write(&crontab, text)?;
        std::fs::set_permissions(&crontab, std::fs::Permissions::from_mode(0o644))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config = dir.path().join("schedd.conf");
        std::fs::write(
            &config,
            format!("metrics_listen = \"{port}\"\nmetrics_entries = {per_line}\n"),
        )?;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))?;
        std::fs::create_dir(dir.path().join("cron.d"))?;
        let child = Command::new(sibling("schedd")?)
            .arg("--socket")
            .arg(&socket)
            .arg("--spool")
            .arg(dir.path().join("spool"))
            .arg("--config")
            .arg(&config)
            .arg("--system-crontab")
            .arg(&crontab)
            .arg("--cron-dir")
            .arg(dir.path().join("cron.d"))
            .arg("--other-cron-root")
            .arg(dir.path().join("host"))
            .env("SCHEDD_LOG", "warn")
            .stderr(Stdio::inherit())
            .spawn()?;
        let daemon = Daemon {
            _dir: dir,
            socket,
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = daemon.scrape_socket()
                && text.contains(&format!("schedd_entries {lines}"))
            {
                return Ok(daemon);
            }
            if Instant::now() > deadline {
                bail!("schedd did not load {lines} lines within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn scrape_socket(&self) -> Result<String> {
        let mut stream = UnixStream::connect(&self.socket)?;
        sched_proto::write_frame(
            &mut stream,
            &Envelope::new(Request::Metrics {
                format: MetricsFormat::Openmetrics,
            }),
        )?;
        let reply: Envelope<Response> = sched_proto::read_frame(&mut stream, MAX_REPLY)?;
        match reply.body {
            Response::Metrics { text } => Ok(text),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    fn scrape_http(&self) -> Result<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept: application/openmetrics-text\r\n\r\n"
        )?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        let Some((head, body)) = reply.split_once("\r\n\r\n") else {
            bail!("no HTTP reply");
        };
        if !head.starts_with("HTTP/1.1 200") {
            bail!("{head}");
        }
        Ok(body.to_owned())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
