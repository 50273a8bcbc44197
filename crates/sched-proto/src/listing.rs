//! The `Jobs` reply built row by row.
//!
//! A listing of 100,000 jobs would otherwise be read into owned records,
//! converted, and encoded in one more pass. The daemon instead encodes each
//! row as it reads it from the spool and lets the encoder put them in
//! listing order at the end, copying bytes rather than records. The frame
//! it yields decodes as [`Response::Jobs`](crate::Response::Jobs), like any
//! other reply.

use crate::frame::{FrameError, HEADER_LEN, MAX_REPLY};
use crate::{Envelope, JobRef, Response};

/// Collects encoded rows; [`finish`](Self::finish) orders them by due
/// instant, then id, and frames the reply.
#[derive(Debug, Default)]
pub struct ListingEncoder {
    rows: Vec<u8>,
    /// (due in microseconds, id, start, end) of each row in `rows`:
    /// integers, which sort several times faster than instants.
    index: Vec<(i64, u64, usize, usize)>,
}

impl ListingEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes `job` as one row of the listing.
    pub fn push(&mut self, job: JobRef<'_>) -> Result<(), FrameError> {
        let start = self.rows.len();
        serde_json::to_writer(&mut self.rows, &job)?;
        if self.rows.len() > MAX_REPLY {
            return Err(FrameError::TooLarge {
                len: self.rows.len(),
                limit: MAX_REPLY,
            });
        }
        self.index
            .push((job.due.as_microsecond(), job.id, start, self.rows.len()));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The whole reply frame, header included, rows ordered by due instant
    /// and then id, with no runs in progress.
    pub fn finish(self) -> Result<Vec<u8>, FrameError> {
        self.finish_with(Vec::new(), None, None, Vec::new())
    }

    /// The whole reply frame, with the runs in progress and the daemon's
    /// clock beside the rows.
    pub fn finish_with(
        mut self,
        running: Vec<crate::RunInfo>,
        now: Option<jiff::Timestamp>,
        batch_hold: Option<crate::BatchHold>,
        paused: Vec<String>,
    ) -> Result<Vec<u8>, FrameError> {
        // The text around the rows comes from the reply type itself, so it
        // cannot drift from what `Response` decodes. The rows go where the
        // empty array of jobs is: the first field of the reply.
        let empty = serde_json::to_vec(&Envelope::new(Response::Jobs {
            jobs: Vec::new(),
            running,
            now,
            batch_hold,
            paused,
        }))?;
        const JOBS: &[u8] = b"\"jobs\":[]";
        let split = empty
            .windows(JOBS.len())
            .position(|window| window == JOBS)
            .expect("a listing encodes an empty array of jobs")
            + JOBS.len()
            - 1;
        let (prefix, suffix) = empty.split_at(split);
        self.index
            .sort_unstable_by_key(|&(due, id, _, _)| (due, id));
        let commas = self.index.len().saturating_sub(1);
        let len = prefix.len() + self.rows.len() + commas + suffix.len();
        if len > MAX_REPLY {
            return Err(FrameError::TooLarge {
                len,
                limit: MAX_REPLY,
            });
        }
        let mut frame = Vec::with_capacity(HEADER_LEN + len);
        frame.extend_from_slice(&(len as u32).to_be_bytes());
        frame.extend_from_slice(prefix);
        for (n, &(_, _, start, end)) in self.index.iter().enumerate() {
            if n > 0 {
                frame.push(b',');
            }
            frame.extend_from_slice(&self.rows[start..end]);
        }
        frame.extend_from_slice(suffix);
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JobInfo, JobKind, MAX_REPLY, read_frame};

    fn job(id: u64, due: &str, command: &str) -> JobInfo {
        JobInfo {
            id,
            kind: JobKind::At,
            queue: 'a',
            owner_uid: 1000,
            owner: "ada".to_owned(),
            due: due.parse().unwrap(),
            submitted: "2026-01-01T00:00:00Z".parse().unwrap(),
            command: command.to_owned(),
            cwd: "/tmp".to_owned(),
        }
    }

    #[test]
    fn rows_come_back_as_a_jobs_reply_in_due_then_id_order() {
        let jobs = [
            job(3, "2026-05-01T10:00:00Z", "third \"quoted\""),
            job(1, "2026-05-01T12:00:00Z", "last\nline two"),
            job(2, "2026-05-01T10:00:00Z", "first by id"),
            job(9, "2026-04-30T23:59:59.5Z", "earliest ünïcode"),
        ];
        let mut encoder = ListingEncoder::new();
        for job in &jobs {
            encoder.push(job.as_ref()).unwrap();
        }
        assert_eq!(encoder.len(), 4);
        let frame = encoder.finish().unwrap();
        let reply: Envelope<Response> = read_frame(&mut &frame[..], MAX_REPLY).unwrap();
        assert_eq!(reply.version, crate::PROTOCOL_VERSION);
        let expected = [&jobs[3], &jobs[2], &jobs[0], &jobs[1]]
            .map(Clone::clone)
            .to_vec();
        assert_eq!(
            reply.body,
            Response::Jobs {
                jobs: expected,
                running: Vec::new(),
                now: None,
                batch_hold: None,
                paused: Vec::new(),
            }
        );
    }

    #[test]
    fn an_empty_listing_is_the_same_frame_as_an_empty_reply() {
        let frame = ListingEncoder::new().finish().unwrap();
        let reference = crate::encode(&Envelope::new(Response::Jobs {
            jobs: Vec::new(),
            running: Vec::new(),
            now: None,
            batch_hold: None,
            paused: Vec::new(),
        }))
        .unwrap();
        assert_eq!(frame, reference);
    }
}
