//! The Unix socket: binding it safely, accepting clients, and reading and
//! writing frames with timeouts so that a slow or silent client holds up
//! nobody but itself.

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use sched_proto::{FrameError, HEADER_LEN, MAX_REQUEST, Response, body_len};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, watch};

use super::context::{Context, Peer, Reply};
use super::dispatch;
use super::error::RequestError;
use crate::error::DaemonError;
use crate::serving::admission::{Admission, Admit, ConnectionId, Limits};

/// How long a connection may sit idle between requests.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Binds the socket at `path`: a stale socket left by a dead daemon is
/// replaced; a live one, or any other file, is an error. `public` makes it
/// 0666 (the system daemon: every user may ask, and is identified by the
/// kernel); otherwise it is 0600.
pub fn bind(path: &Path, public: bool) -> Result<UnixListener, DaemonError> {
    bind_checked(path, public).map_err(|error| match error {
        Bind::Taken(error) => DaemonError::Taken(error),
        Bind::Other(error) => DaemonError::Files(error),
    })
}

/// Why a socket could not be bound.
enum Bind {
    /// Another daemon listens on it.
    Taken(anyhow::Error),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Bind {
    fn from(error: anyhow::Error) -> Bind {
        Bind::Other(error)
    }
}

fn bind_checked(path: &Path, public: bool) -> Result<UnixListener, Bind> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::system::dirs::ensure(parent, crate::system::dirs::socket_dir(public))?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => {
                    return Err(Bind::Taken(anyhow::anyhow!(
                        "another schedd is already listening on {}",
                        path.display()
                    )));
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path).with_context(|| {
                        format!("cannot remove the stale socket {}", path.display())
                    })?
                }
                Err(e) => {
                    return Err(Bind::Other(anyhow::anyhow!(
                        "cannot tell whether {} is in use: {e}",
                        path.display()
                    )));
                }
            }
        }
        Ok(_) => {
            return Err(Bind::Other(anyhow::anyhow!(
                "{} exists and is not a socket: remove it or choose another --socket",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Bind::Other(
                anyhow::Error::new(e).context(format!("cannot inspect {}", path.display())),
            ));
        }
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
    let mode = if public { 0o666 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    Ok(listener)
}

/// Accepts clients until `shutdown` changes. `io_timeout` bounds how long a
/// client may take to send a request it has begun, or to read a reply.
///
/// Every client is accepted at once, so none waits in the kernel's backlog;
/// [`Admission`] then decides whether it is served, refused as busy, or
/// served in place of a flooder's waiting connection.
pub async fn serve(
    listener: UnixListener,
    context: Context,
    io_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let table = Table::new(LIMITS);
    accept_until_shutdown(&listener, &context, io_timeout, &mut shutdown, &table).await;
    // Stopping: no new clients; the requests in flight are answered (each
    // connection ends after its current request), within a bound.
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, table.all_closed())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after {SHUTDOWN_GRACE:?} are dropped");
    }
}

/// How many connections are served at once: all of them, and per uid
/// (root is not limited).
const LIMITS: Limits = Limits {
    total: 512,
    per_uid: 64,
};

/// How long a stopping daemon waits for the requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop rests after accept(2) fails (out of
/// descriptors, say), so that a persistent failure does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

async fn accept_until_shutdown(
    listener: &UnixListener,
    context: &Context,
    io_timeout: Duration,
    shutdown: &mut watch::Receiver<bool>,
    table: &Table,
) {
    loop {
        let stream = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("accept failed: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let peer = match stream.peer_cred() {
            Ok(cred) => Peer {
                uid: sched_spool::Uid(cred.uid()),
                gid: cred.gid(),
                pid: cred.pid(),
            },
            Err(error) => {
                tracing::warn!("cannot read the peer credentials of a client: {error}");
                continue;
            }
        };
        let slot = match table.admit(peer.uid.0) {
            Ok(slot) => slot,
            Err(reason) => {
                // Answered without waiting on the client: a refused
                // client that does not read its reply costs nothing.
                let refusal = Response::Error(RequestError::Busy(reason).into());
                if let Ok(frame) = sched_proto::encode(&sched_proto::Envelope::new(&refusal)) {
                    let _ = stream.try_write(&frame);
                }
                continue;
            }
        };
        let context = context.clone();
        let stopping = shutdown.clone();
        tokio::spawn(async move {
            connection(stream, peer, context, io_timeout, stopping, &slot).await;
        });
    }
}

/// The admission table with a way to close each connection it evicts.
#[derive(Clone)]
struct Table {
    inner: Arc<Mutex<TableInner>>,
    /// Signalled whenever a connection closes (for the shutdown wait).
    closed: Arc<Notify>,
}

struct TableInner {
    admission: Admission,
    /// Each open connection's eviction signal.
    evict: HashMap<ConnectionId, Arc<Notify>>,
}

/// An admitted connection's place in the table, given back on drop.
struct Slot {
    table: Table,
    id: ConnectionId,
    /// Fires when the connection is closed to make room for another.
    evicted: Arc<Notify>,
}

impl Table {
    fn new(limits: Limits) -> Table {
        Table {
            inner: Arc::new(Mutex::new(TableInner {
                admission: Admission::new(limits),
                evict: HashMap::new(),
            })),
            closed: Arc::new(Notify::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TableInner> {
        // A poisoned table still holds valid entries.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(&self, uid: u32) -> Result<Slot, String> {
        let mut inner = self.lock();
        match inner.admission.admit(uid, std::time::Instant::now()) {
            Admit::Refused(reason) => Err(reason),
            Admit::Admitted { id, evicted } => {
                if let Some(victim) = evicted
                    && let Some(signal) = inner.evict.remove(&victim)
                {
                    tracing::debug!(uid, "closing a waiting connection to make room");
                    signal.notify_one();
                }
                let signal = Arc::new(Notify::new());
                inner.evict.insert(id, signal.clone());
                Ok(Slot {
                    table: self.clone(),
                    id,
                    evicted: signal,
                })
            }
        }
    }

    async fn all_closed(&self) {
        loop {
            let closed = self.closed.notified();
            if self.lock().admission.is_empty() {
                return;
            }
            closed.await;
        }
    }
}

impl Slot {
    /// Marks the connection as being answered; false when it was closed to
    /// make room meanwhile.
    fn answering(&self) -> bool {
        let mut inner = self.table.lock();
        if !inner.admission.contains(self.id) {
            return false;
        }
        inner.admission.answering(self.id);
        true
    }

    fn waiting(&self) {
        self.table
            .lock()
            .admission
            .waiting(self.id, std::time::Instant::now());
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.table.lock();
        inner.admission.remove(self.id);
        inner.evict.remove(&self.id);
        drop(inner);
        self.table.closed.notify_waiters();
    }
}

/// Serves one client: requests one after another until it closes, idles,
/// sends something that breaks the framing, or is closed to make room.
async fn connection(
    mut stream: UnixStream,
    peer: Peer,
    context: Context,
    io_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
    slot: &Slot,
) {
    loop {
        let mut header = [0u8; HEADER_LEN];
        // The first byte may take as long as the client idles; once a
        // request has begun, all of it must arrive within `io_timeout`.
        // A daemon that is stopping takes no new request on the connection.
        if *stopping.borrow() {
            return;
        }
        let first = tokio::select! {
            _ = stopping.changed() => return,
            _ = slot.evicted.notified() => return,
            first = tokio::time::timeout(IDLE_TIMEOUT, stream.read_exact(&mut header[..1])) => first,
        };
        match first {
            Ok(Ok(_)) => {}
            // Closed, failed or idle too long: nothing to answer.
            _ => return,
        }
        let rest = async {
            stream.read_exact(&mut header[1..]).await?;
            let len = match body_len(header, MAX_REQUEST) {
                Ok(len) => len,
                Err(error) => return Ok(Err(error)),
            };
            let mut body = vec![0u8; len];
            stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Ok(body))
        };
        let read = tokio::select! {
            // A half-sent request is waiting on its client too.
            _ = slot.evicted.notified() => return,
            read = tokio::time::timeout(io_timeout, rest) => read,
        };
        let body = match read {
            Ok(Ok(Ok(body))) => body,
            Ok(Ok(Err(FrameError::TooLarge { len, limit }))) => {
                let _ = reply(
                    &mut stream,
                    &Response::Error(RequestError::TooLarge { len, limit }.into()),
                    io_timeout,
                )
                .await;
                return;
            }
            Ok(Ok(Err(_))) | Ok(Err(_)) => return,
            Err(_) => {
                let ms = io_timeout.as_millis();
                let _ = reply(
                    &mut stream,
                    &Response::Error(RequestError::TooSlow { ms }.into()),
                    io_timeout,
                )
                .await;
                return;
            }
        };
        // Closed to make room while its request was still arriving: not
        // answered (the table no longer counts it).
        if !slot.answering() {
            return;
        }
        let frame = match dispatch::answer(&context, peer, &body).await {
            Reply::Message(response) => encode_reply(&response),
            Reply::Frame(frame) => Ok(frame),
        };
        // The answer is ready: from here the connection waits on its
        // client to read it, and a client that does not read may be closed
        // to make room like any other that keeps the daemon waiting.
        slot.waiting();
        let sent = match frame {
            Ok(frame) => tokio::select! {
                _ = slot.evicted.notified() => return,
                sent = send(&mut stream, &frame, io_timeout) => sent,
            },
            Err(()) => Err(()),
        };
        if sent.is_err() {
            return;
        }
    }
}

async fn reply(
    stream: &mut UnixStream,
    response: &Response,
    io_timeout: Duration,
) -> Result<(), ()> {
    let frame = encode_reply(response)?;
    send(stream, &frame, io_timeout).await
}

/// The frame of `response`, or of an error saying it could not be encoded.
fn encode_reply(response: &Response) -> Result<Vec<u8>, ()> {
    match sched_proto::encode(&sched_proto::Envelope::new(response)) {
        Ok(frame) => Ok(frame),
        Err(error) => {
            tracing::error!("cannot encode a reply: {error}");
            let fallback = Response::Error(
                RequestError::Internal(format!("the reply could not be sent: {error}")).into(),
            );
            sched_proto::encode(&sched_proto::Envelope::new(&fallback)).map_err(|_| ())
        }
    }
}

/// Writes a whole frame, within `io_timeout`.
async fn send(stream: &mut UnixStream, frame: &[u8], io_timeout: Duration) -> Result<(), ()> {
    let started = std::time::Instant::now();
    let written = tokio::time::timeout(io_timeout, stream.write_all(frame)).await;
    tracing::trace!(bytes = frame.len(), sent = ?started.elapsed(), "reply");
    match written {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}
