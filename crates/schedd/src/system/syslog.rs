//! Logging to the system log (/dev/log: journald or a syslog daemon) for a
//! daemon with no terminal: each event is one datagram in syslog's format,
//! `<PRIORITY>schedd[PID]: message`, at the facility cron uses and with
//! the severity of the event's level.
//!
//! With no /dev/log (a container without a log daemon), events are
//! dropped: a daemon must not stop or block because no one listens.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// syslog(3)'s LOG_CRON.
const FACILITY_CRON: u8 = 9;

/// Makes one writer per event, which sends what is written as one
/// datagram when it is dropped.
#[derive(Debug, Clone)]
pub struct Syslog {
    socket: Arc<std::sync::Mutex<Option<UnixDatagram>>>,
    path: Arc<std::path::Path>,
    tag: Arc<str>,
}

/// A non-blocking datagram socket connected to `path`: a log daemon that
/// stops reading must not stall the scheduler.
fn connect(path: &std::path::Path) -> Option<UnixDatagram> {
    let socket = UnixDatagram::unbound().ok()?;
    socket.connect(path).ok()?;
    socket.set_nonblocking(true).ok()?;
    Some(socket)
}

impl Syslog {
    /// Connects to `path` (/dev/log); without it, events are dropped.
    pub fn connect(path: &std::path::Path) -> Syslog {
        Syslog {
            socket: Arc::new(std::sync::Mutex::new(connect(path))),
            path: path.into(),
            tag: format!("schedd[{}]", std::process::id()).into(),
        }
    }

    /// Sends one message; after a log daemon restart (the old socket is
    /// gone) connects again once. A full queue loses the message.
    fn send(&self, message: &[u8]) {
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        let sent = socket.as_ref().map(|s| s.send(message));
        if matches!(sent, None | Some(Err(_)))
            && !matches!(&sent, Some(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock)
        {
            *socket = connect(&self.path);
            if let Some(socket) = socket.as_ref() {
                let _ = socket.send(message);
            }
        }
    }
}

/// One event's message on its way to the system log.
#[derive(Debug)]
pub struct Message {
    log: Syslog,
    buffer: Vec<u8>,
}

impl Write for Message {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        while self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
        }
        self.log.send(&self.buffer);
    }
}

impl Syslog {
    fn message(&self, level: Level) -> Message {
        let severity = match level {
            Level::ERROR => 3,
            Level::WARN => 4,
            Level::INFO => 6,
            Level::DEBUG | Level::TRACE => 7,
        };
        let mut buffer = Vec::with_capacity(256);
        let _ = write!(buffer, "<{}>{}: ", FACILITY_CRON * 8 + severity, self.tag);
        Message {
            log: self.clone(),
            buffer,
        }
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = Message;

    fn make_writer(&'a self) -> Message {
        self.message(Level::INFO)
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Message {
        self.message(*meta.level())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_is_one_datagram_with_cron_facility_and_its_severity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let syslog = Syslog::connect(&path);
        let mut message = syslog.message(Level::WARN);
        message.write_all(b"cannot do it\n").unwrap();
        drop(message);
        let mut received = [0u8; 256];
        let n = server.recv(&mut received).unwrap();
        let expected = format!("<76>schedd[{}]: cannot do it", std::process::id());
        assert_eq!(std::str::from_utf8(&received[..n]).unwrap(), expected);
        // Nothing listening: dropped quietly.
        let nowhere = Syslog::connect(&dir.path().join("none"));
        let mut message = nowhere.message(Level::ERROR);
        message.write_all(b"lost").unwrap();
    }
}
