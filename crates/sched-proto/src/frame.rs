//! Length-prefixed frames: a 4-byte big-endian body length, then a JSON
//! body. Requests are at most [`MAX_REQUEST`] bytes; replies, which may list
//! a hundred thousand jobs, at most [`MAX_REPLY`].
//!
//! Encoding and decoding are pure over bytes; the blocking helpers serve the
//! CLI, and the daemon does its own async reads with [`body_len`] and
//! [`decode`] so that it can time out a slow client.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes in a frame header.
pub const HEADER_LEN: usize = 4;

/// The largest request body the daemon accepts, in bytes. A job's command
/// and environment must fit in one request; the bound keeps one client from
/// making the daemon allocate without limit.
pub const MAX_REQUEST: usize = 4 << 20;

/// The largest reply body a client accepts, in bytes.
pub const MAX_REPLY: usize = 1 << 30;

/// Why a frame could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("connection closed")]
    Closed,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The body length a header announces, refused when it is over `limit`.
pub fn body_len(header: [u8; HEADER_LEN], limit: usize) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > limit {
        return Err(FrameError::TooLarge { len, limit });
    }
    Ok(len)
}

/// One message as a whole frame, header included.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    // The body is written after a placeholder header, then the header is
    // filled in: no second copy of a large body.
    let mut frame = vec![0u8; HEADER_LEN];
    serde_json::to_writer(&mut frame, message)?;
    let len = frame.len() - HEADER_LEN;
    let Ok(header) = u32::try_from(len) else {
        return Err(FrameError::TooLarge {
            len,
            limit: u32::MAX as usize,
        });
    };
    frame[..HEADER_LEN].copy_from_slice(&header.to_be_bytes());
    Ok(frame)
}

/// A message from a frame's body.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    // The whole body is checked as UTF-8 once, so that the parser need not
    // check each string on its own (several times faster on a listing).
    match std::str::from_utf8(body) {
        Ok(text) => Ok(serde_json::from_str(text)?),
        // Let the parser say where: its error names line and column.
        Err(_) => Ok(serde_json::from_slice(body)?),
    }
}

/// Reads one frame of at most `limit` bytes and decodes it;
/// [`FrameError::Closed`] when the peer closed the connection before a
/// header.
pub fn read_frame<T: DeserializeOwned>(
    reader: &mut impl Read,
    limit: usize,
) -> Result<T, FrameError> {
    decode(&read_body(reader, limit)?)
}

/// Reads one frame of at most `limit` bytes and returns its body
/// undecoded; [`FrameError::Closed`] when the peer closed the connection
/// before a header.
pub fn read_body(reader: &mut impl Read, limit: usize) -> Result<Vec<u8>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let mut body = vec![0u8; body_len(header, limit)?];
    reader.read_exact(&mut body)?;
    Ok(body)
}

/// Encodes and writes one frame.
pub fn write_frame<T: Serialize>(writer: &mut impl Write, message: &T) -> Result<(), FrameError> {
    writer.write_all(&encode(message)?)?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Envelope, Request};

    #[test]
    fn a_frame_round_trips() {
        let request = Envelope::new(Request::Show { id: 42 });
        let frame = encode(&request).unwrap();
        let len = body_len(frame[..4].try_into().unwrap(), MAX_REQUEST).unwrap();
        assert_eq!(len, frame.len() - 4);
        let back: Envelope<Request> = decode(&frame[4..]).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn an_oversized_header_is_refused_before_any_allocation() {
        let header = ((MAX_REQUEST + 1) as u32).to_be_bytes();
        let refused = body_len(header, MAX_REQUEST);
        assert!(
            matches!(refused, Err(FrameError::TooLarge { len, limit }) if len == MAX_REQUEST + 1 && limit == MAX_REQUEST)
        );
        let at_limit = (MAX_REQUEST as u32).to_be_bytes();
        assert_eq!(body_len(at_limit, MAX_REQUEST).unwrap(), MAX_REQUEST);
    }

    #[test]
    fn an_unknown_request_is_malformed_not_a_panic() {
        let result: Result<Envelope<Request>, _> =
            decode(br#"{"version":2,"body":{"type":"format_disk"}}"#);
        assert!(matches!(result, Err(FrameError::Malformed(_))));
        let result: Result<Envelope<Request>, _> = decode(b"\xff\x00garbage");
        assert!(matches!(result, Err(FrameError::Malformed(_))));
    }

    #[test]
    fn a_closed_stream_before_a_header_is_closed() {
        let mut empty: &[u8] = &[];
        assert!(matches!(
            read_frame::<Envelope<Request>>(&mut empty, MAX_REQUEST),
            Err(FrameError::Closed)
        ));
    }
}
