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
    socket: Option<Arc<UnixDatagram>>,
    tag: Arc<str>,
}

impl Syslog {
    /// Connects to `path` (/dev/log); without it, events are dropped.
    pub fn connect(path: &std::path::Path) -> Syslog {
        let socket = UnixDatagram::unbound()
            .and_then(|socket| socket.connect(path).map(|()| socket))
            .ok()
            .map(Arc::new);
        Syslog {
            socket,
            tag: format!("schedd[{}]", std::process::id()).into(),
        }
    }
}

/// One event's message on its way to the system log.
#[derive(Debug)]
pub struct Message {
    socket: Option<Arc<UnixDatagram>>,
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
        if let Some(socket) = &self.socket {
            while self.buffer.last() == Some(&b'\n') {
                self.buffer.pop();
            }
            // Non-blocking in effect: a full log socket loses the line.
            let _ = socket.send(&self.buffer);
        }
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
            socket: self.socket.clone(),
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
