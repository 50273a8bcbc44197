//! The Unix socket: binding it safely, accepting clients, and reading and
//! writing frames with timeouts so that a slow or silent client holds up
//! nobody but itself.

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use sched_proto::{ErrorCode, ErrorReply, FrameError, HEADER_LEN, MAX_REQUEST, Response, body_len};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};

use crate::requests::{self, Context, Peer, Reply};

/// How long a connection may sit idle between requests.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 512;

/// Binds the socket at `path`: a stale socket left by a dead daemon is
/// replaced; a live one, or any other file, is an error. `public` makes it
/// 0666 (the system daemon: every user may ask, and is identified by the
/// kernel); otherwise it is 0600.
pub fn bind(path: &Path, public: bool) -> anyhow::Result<UnixListener> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::dirs::ensure(parent, crate::dirs::socket_dir(public))?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => bail!("another schedd is already listening on {}", path.display()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path).with_context(|| {
                        format!("cannot remove the stale socket {}", path.display())
                    })?
                }
                Err(e) => bail!("cannot tell whether {} is in use: {e}", path.display()),
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a socket: remove it or choose another --socket",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
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
pub async fn serve(
    listener: UnixListener,
    context: Context,
    io_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_uid: PerUid = Arc::default();
    accept_until_shutdown(
        &listener,
        &context,
        io_timeout,
        &mut shutdown,
        &slots,
        &per_uid,
    )
    .await;
    // Stopping: no new clients; the requests in flight are answered (each
    // connection ends after its current request), within a bound.
    drop(listener);
    let all = MAX_CONNECTIONS as u32;
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after {SHUTDOWN_GRACE:?} are dropped");
    }
}

/// How long a stopping daemon waits for the requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn accept_until_shutdown(
    listener: &UnixListener,
    context: &Context,
    io_timeout: Duration,
    shutdown: &mut watch::Receiver<bool>,
    slots: &Arc<Semaphore>,
    per_uid: &PerUid,
) {
    loop {
        let permit = tokio::select! {
            _ = shutdown.changed() => return,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("accept failed: {error}");
                    continue;
                }
            },
        };
        let peer = match stream.peer_cred() {
            Ok(cred) => Peer {
                uid: cred.uid(),
                gid: cred.gid(),
                pid: cred.pid(),
            },
            Err(error) => {
                tracing::warn!("cannot read the peer credentials of a client: {error}");
                continue;
            }
        };
        let Some(slot) = UidSlot::take(per_uid, peer.uid) else {
            tokio::spawn(async move {
                let message = format!(
                    "uid {} already has {MAX_PER_UID} connections open: close some and retry",
                    peer.uid
                );
                let refusal = Response::Error(ErrorReply::new(ErrorCode::Denied, message));
                let mut stream = stream;
                let _ = reply(&mut stream, &refusal, io_timeout).await;
                drop(permit);
            });
            continue;
        };
        let context = context.clone();
        let stopping = shutdown.clone();
        tokio::spawn(async move {
            connection(stream, peer, context, io_timeout, stopping).await;
            drop(slot);
            drop(permit);
        });
    }
}

/// Connections one uid (other than root) may hold at once, so that one user
/// cannot take every slot and lock the others out.
const MAX_PER_UID: usize = 64;

/// Open connections by uid.
type PerUid = Arc<Mutex<HashMap<u32, usize>>>;

/// One uid's claim on a connection, given back on drop.
struct UidSlot {
    per_uid: PerUid,
    uid: u32,
}

impl UidSlot {
    /// A slot for `uid`, unless it already holds [`MAX_PER_UID`]; root is
    /// never limited.
    fn take(per_uid: &PerUid, uid: u32) -> Option<UidSlot> {
        // A poisoned map still holds valid counts.
        let mut counts = per_uid.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(uid).or_insert(0);
        if uid != 0 && *count >= MAX_PER_UID {
            return None;
        }
        *count += 1;
        Some(UidSlot {
            per_uid: per_uid.clone(),
            uid,
        })
    }
}

impl Drop for UidSlot {
    fn drop(&mut self) {
        let mut counts = self.per_uid.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.uid) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.uid);
            }
        }
    }
}

/// Serves one client: requests one after another until it closes, idles,
/// or sends something that breaks the framing.
async fn connection(
    mut stream: UnixStream,
    peer: Peer,
    context: Context,
    io_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
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
        let body = match tokio::time::timeout(io_timeout, rest).await {
            Ok(Ok(Ok(body))) => body,
            Ok(Ok(Err(FrameError::TooLarge { len, limit }))) => {
                let message =
                    format!("request of {len} bytes is larger than the limit of {limit} bytes");
                let _ = reply(
                    &mut stream,
                    &Response::Error(ErrorReply::new(ErrorCode::TooLarge, message)),
                    io_timeout,
                )
                .await;
                return;
            }
            Ok(Ok(Err(_))) | Ok(Err(_)) => return,
            Err(_) => {
                let message = format!("request not received within {} ms", io_timeout.as_millis());
                let _ = reply(
                    &mut stream,
                    &Response::Error(ErrorReply::new(ErrorCode::Malformed, message)),
                    io_timeout,
                )
                .await;
                return;
            }
        };
        let sent = match requests::answer(&context, peer, &body).await {
            Reply::Message(response) => reply(&mut stream, &response, io_timeout).await,
            Reply::Frame(frame) => send(&mut stream, &frame, io_timeout).await,
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
    let frame = match sched_proto::encode(&sched_proto::Envelope::new(response)) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::error!("cannot encode a reply: {error}");
            let fallback = Response::Error(ErrorReply::new(
                ErrorCode::Internal,
                format!("the reply could not be sent: {error}"),
            ));
            sched_proto::encode(&sched_proto::Envelope::new(&fallback)).map_err(|_| ())?
        }
    };
    send(stream, &frame, io_timeout).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_uid_holds_at_most_its_share_of_connections_and_root_is_not_limited() {
        let per_uid: PerUid = Arc::default();
        let held: Vec<UidSlot> = (0..MAX_PER_UID)
            .map(|_| UidSlot::take(&per_uid, 1000).unwrap())
            .collect();
        assert!(UidSlot::take(&per_uid, 1000).is_none());
        assert!(
            UidSlot::take(&per_uid, 1001).is_some(),
            "other users are unaffected"
        );
        let root: Vec<UidSlot> = (0..MAX_PER_UID * 2)
            .map(|_| UidSlot::take(&per_uid, 0).unwrap())
            .collect();
        drop(held.into_iter().next());
        assert!(
            UidSlot::take(&per_uid, 1000).is_some(),
            "a closed connection frees its slot"
        );
        drop(root);
    }
}
