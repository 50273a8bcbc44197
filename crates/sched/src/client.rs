//! Talking to schedd: finding its socket, one request, one reply, and
//! errors that say what to do.

use std::io::ErrorKind;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, anyhow};
use sched_proto::paths::{self, PathEnv};
use sched_proto::{Envelope, ErrorReply, MAX_REPLY, PROTOCOL_VERSION, Request, Response};

/// How long `sched` waits for the daemon to answer. A mock clock step
/// through many due jobs can take a while; nothing else comes close.
const REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to the daemon.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
}

impl Client {
    /// Connects to `socket`, else to the first daemon found: the user's own,
    /// then the system one.
    pub fn connect(socket: Option<&Path>) -> Result<Client> {
        let candidates = match socket {
            Some(path) => vec![path.to_path_buf()],
            None => {
                paths::client_sockets(nix::unistd::geteuid().as_raw(), &PathEnv::from_process())
            }
        };
        let mut first_error = None;
        for path in &candidates {
            match UnixStream::connect(path) {
                Ok(stream) => {
                    check_server(&stream, path)?;
                    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
                    stream.set_write_timeout(Some(REPLY_TIMEOUT))?;
                    return Ok(Client { stream });
                }
                Err(error) => {
                    first_error.get_or_insert((path.clone(), error));
                }
            }
        }
        let (path, error) = first_error.ok_or_else(|| anyhow!("no socket to connect to"))?;
        Err(connect_error(&path, &candidates, &error))
    }

    /// Sends `request` and returns the reply; an error reply becomes `Err`.
    pub fn ask(&mut self, request: Request) -> Result<Response> {
        sched_proto::write_frame(&mut self.stream, &Envelope::new(request))
            .map_err(|e| anyhow!("cannot send the request to schedd: {e}"))?;
        let reply = self.read_reply()?;
        match reply.body {
            Response::Error(error) => Err(DaemonError(error).into()),
            response => Ok(response),
        }
    }
}

impl Client {
    /// One reply frame. A reply this release cannot read is checked for its
    /// protocol version first, so that a daemon of another release is named
    /// as such rather than as a garbled reply.
    fn read_reply(&mut self) -> Result<Envelope<Response>> {
        let invalid = |e: &dyn std::fmt::Display| anyhow!("no valid reply from schedd: {e}");
        let body = sched_proto::read_body(&mut self.stream, MAX_REPLY).map_err(|e| invalid(&e))?;
        sched_proto::decode(&body).map_err(|error| {
            #[derive(serde::Deserialize)]
            struct Version {
                version: u32,
            }
            match serde_json::from_slice::<Version>(&body) {
                Ok(Version { version }) if version != PROTOCOL_VERSION => anyhow!(
                    "schedd speaks protocol version {version} and this sched speaks {PROTOCOL_VERSION}: use a sched of the same release as the daemon"
                ),
                _ => invalid(&error),
            }
        })
    }
}

/// Refuses a server that is neither root nor the caller: a socket in a
/// directory another user could create (`/tmp/schedd-UID`) must not
/// receive this user's command and environment.
fn check_server(stream: &UnixStream, path: &Path) -> Result<()> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let server = getsockopt(stream, PeerCredentials)
        .map_err(|e| anyhow!("cannot tell who listens on {}: {e}", path.display()))?
        .uid();
    let me = nix::unistd::geteuid().as_raw();
    if server != 0 && server != me {
        return Err(anyhow!(
            "refusing {}: the daemon listening there runs as uid {server}, neither root nor you (uid {me})",
            path.display()
        ));
    }
    Ok(())
}

/// A refusal from the daemon, kept whole so that callers can point at a
/// column.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message)]
pub struct DaemonError(pub ErrorReply);

fn connect_error(path: &Path, candidates: &[PathBuf], error: &std::io::Error) -> anyhow::Error {
    let tried = if candidates.len() > 1 {
        format!(
            " (tried {})",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    // Something that is not a socket: say what it is, not who owns it.
    if let Ok(metadata) = std::fs::metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if !kind.is_socket() {
            let what = if kind.is_dir() {
                "a directory"
            } else if kind.is_file() {
                "a regular file"
            } else {
                "not a socket file"
            };
            return anyhow!(
                "cannot connect to {}: it is not a socket ({what}): pass the socket schedd listens on (schedd --socket)",
                path.display()
            );
        }
    }
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => anyhow!(
            "cannot connect to {}{tried}: is schedd running? start it with `schedd --daemon` \
             (serves your own jobs; as root, every user's), or as root `systemctl start schedd` \
             where it is installed as a service; or pass --socket PATH",
            path.display()
        ),
        ErrorKind::PermissionDenied => anyhow!(
            "cannot connect to {}: permission denied: that socket belongs to another user's schedd",
            path.display()
        ),
        _ => anyhow!("cannot connect to {}: {error}", path.display()),
    }
}

/// Fails with a message naming what came back when a reply is not `what`.
pub fn unexpected(what: &str, response: &Response) -> anyhow::Error {
    anyhow!("schedd sent an unexpected reply to {what}: {response:?}")
}
