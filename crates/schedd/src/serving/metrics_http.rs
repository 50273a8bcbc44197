//! The metrics over HTTP, for Prometheus to scrape: opt-in
//! (`metrics_listen`, `--metrics-listen`), on the loopback address unless
//! another is configured. One request per connection: `GET /metrics`
//! (or `HEAD`); the exposition is OpenMetrics when the scraper accepts
//! it, Prometheus text otherwise. It shows what every `sched metrics`
//! shows root (counters, gauges, per-line series when kept): names and
//! counts, never a command, an environment or any output.
//!
//! A slow or hostile client cannot hold the daemon: a request must arrive
//! whole, in at most 8 KiB, within 5 s, and at most 16 connections are
//! served at once (others are closed at once).

use std::sync::Arc;
use std::time::Duration;

use sched_spool::Owner;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::context::Context;
use crate::metrics::Format;

/// The longest request head read.
const MAX_REQUEST: usize = 8 * 1024;

/// How long a client has to send its request, and to read the reply.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections served at once.
const MAX_CONNECTIONS: usize = 16;

/// Serves scrapes on `listener` until `shutdown` changes.
pub async fn run(listener: TcpListener, context: Context, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        // Busy: the scraper tries again at its next interval.
                        continue;
                    };
                    let context = context.clone();
                    tokio::spawn(async move {
                        if let Err(error) = answer(stream, &context).await {
                            tracing::debug!("metrics request: {error}");
                        }
                        drop(permit);
                    });
                }
                Err(error) => {
                    tracing::warn!("cannot accept a metrics connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Reads one request from `stream` and answers it.
async fn answer(mut stream: TcpStream, context: &Context) -> std::io::Result<()> {
    let head = match tokio::time::timeout(IO_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(Some(head))) => head,
        Ok(Ok(None)) => {
            return reply(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                b"bad request\n",
                true,
            )
            .await;
        }
        Ok(Err(error)) => return Err(error),
        Err(_) => return Ok(()),
    };
    let (status, content_type, body, with_body) = respond(&head, context).await;
    tokio::time::timeout(
        IO_TIMEOUT,
        reply(
            &mut stream,
            status,
            content_type,
            body.as_bytes(),
            with_body,
        ),
    )
    .await
    .unwrap_or(Ok(()))
}

/// The request's head (up to the blank line), or `None` when it is too
/// long or not text.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut head = Vec::with_capacity(512);
    let mut buffer = [0u8; 1024];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buffer[..read]);
        if let Some(end) = find(&head, b"\r\n\r\n").or_else(|| find(&head, b"\n\n")) {
            head.truncate(end);
            return Ok(String::from_utf8(head).ok());
        }
        if head.len() > MAX_REQUEST {
            return Ok(None);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The status, content type, body and whether to send the body, for a
/// request whose head is `head`.
async fn respond(head: &str, context: &Context) -> (&'static str, &'static str, String, bool) {
    let mut lines = head.lines();
    let request = lines.next().unwrap_or_default();
    let mut words = request.split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let with_body = method != "HEAD";
    if method != "GET" && method != "HEAD" {
        return (
            "405 Method Not Allowed",
            "text/plain",
            "GET /metrics\n".to_owned(),
            true,
        );
    }
    let path = target.split('?').next().unwrap_or_default();
    if path != "/metrics" {
        return (
            "404 Not Found",
            "text/plain",
            "the metrics are at /metrics\n".to_owned(),
            with_body,
        );
    }
    let openmetrics = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("accept")
                && value.contains("application/openmetrics-text")
        })
    });
    let format = if openmetrics {
        Format::OpenMetrics
    } else {
        Format::Prometheus
    };
    match super::metrics::exposition(context, Owner::Any, format).await {
        Ok(text) => ("200 OK", format.content_type(), text, with_body),
        Err(error) => (
            "503 Service Unavailable",
            "text/plain",
            format!("{error}\n"),
            with_body,
        ),
    }
}

async fn reply(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if with_body {
        stream.write_all(body).await?;
    }
    stream.shutdown().await
}
