//! The protocol between `sched` and `schedd`: what can be asked, what comes
//! back, and how each message is framed on the Unix socket.
//!
//! The types here are the wire format and nothing else: the daemon and the
//! CLI convert them to and from their own types, so a change elsewhere never
//! silently changes what goes over the socket. Identity is deliberately
//! absent from every request: the daemon learns who is asking from the
//! socket's peer credentials.

mod frame;
mod listing;
mod message;
pub mod paths;

pub use frame::{
    FrameError, HEADER_LEN, MAX_REPLY, MAX_REQUEST, body_len, decode, encode, read_body,
    read_frame, write_frame,
};
pub use listing::ListingEncoder;
pub use message::*;

/// Bumped whenever a request or reply changes shape; a daemon answers a
/// request of another version with [`ErrorCode::Version`].
pub const PROTOCOL_VERSION: u32 = 4;
