//! Length-prefixed frames: a 4-byte big-endian body length, then a JSON
//! body of at most [`MAX_FRAME`] bytes.
//!
//! Encoding and decoding are pure over bytes; the blocking helpers serve the
//! CLI, and the daemon does its own async reads with [`body_len`] and
//! [`decode`] so that it can time out a slow client.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes in a frame header.
pub const HEADER_LEN: usize = 4;

/// The largest body accepted, in bytes. A job's script and environment must
/// fit in one request; at(1) has no such limit, but a 4 MiB shell script is
/// a mistake, and the bound keeps one client from making the daemon allocate
/// without limit.
pub const MAX_FRAME: usize = 4 << 20;

/// Why a frame could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes is larger than the limit of {MAX_FRAME} bytes")]
    TooLarge { len: usize },
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("connection closed")]
    Closed,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The body length a header announces, refused when it is over the limit.
pub fn body_len(header: [u8; HEADER_LEN]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge { len });
    }
    Ok(len)
}

/// One message as a whole frame, header included.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let body = serde_json::to_vec(message)?;
    if body.len() > MAX_FRAME {
        return Err(FrameError::TooLarge { len: body.len() });
    }
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    // The length fits: it is at most MAX_FRAME, far below u32::MAX.
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// A message from a frame's body.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    Ok(serde_json::from_slice(body)?)
}

/// Reads one frame and decodes it; [`FrameError::Closed`] when the peer
/// closed the connection before a header.
pub fn read_frame<T: DeserializeOwned>(reader: &mut impl Read) -> Result<T, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let mut body = vec![0u8; body_len(header)?];
    reader.read_exact(&mut body)?;
    decode(&body)
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
        let len = body_len(frame[..4].try_into().unwrap()).unwrap();
        assert_eq!(len, frame.len() - 4);
        let back: Envelope<Request> = decode(&frame[4..]).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn an_oversized_header_is_refused_before_any_allocation() {
        let header = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert!(
            matches!(body_len(header), Err(FrameError::TooLarge { len }) if len == MAX_FRAME + 1)
        );
        assert_eq!(
            body_len((MAX_FRAME as u32).to_be_bytes()).unwrap(),
            MAX_FRAME
        );
    }

    #[test]
    fn an_unknown_request_is_malformed_not_a_panic() {
        let result: Result<Envelope<Request>, _> =
            decode(br#"{"version":1,"body":{"type":"format_disk"}}"#);
        assert!(matches!(result, Err(FrameError::Malformed(_))));
        let result: Result<Envelope<Request>, _> = decode(b"\xff\x00garbage");
        assert!(matches!(result, Err(FrameError::Malformed(_))));
    }

    #[test]
    fn a_closed_stream_before_a_header_is_closed() {
        let mut empty: &[u8] = &[];
        assert!(matches!(
            read_frame::<Envelope<Request>>(&mut empty),
            Err(FrameError::Closed)
        ));
    }
}
