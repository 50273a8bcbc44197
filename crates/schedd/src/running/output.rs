//! A run's output: a private file the job writes, and the bounded part of
//! it that goes into the run history (the head and the tail, with the total
//! size), read once the job has ended.
//!
//! A file rather than a pipe so that a job outlives a daemon that dies: its
//! writes never fail for want of a reader, and the next daemon can still
//! read what the job wrote.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sched_spool::Output;

/// The output file of run `run` in `dir`.
pub fn path(dir: &Path, run: sched_spool::RunId) -> PathBuf {
    dir.join(format!("run-{run}.out"))
}

/// Creates the output file of a run: new, 0600, appended to by the job.
pub fn create(dir: &Path, run: sched_spool::RunId) -> std::io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path(dir, run))
}

/// Reads what is kept of the output file at `path`: at most `limit` bytes,
/// the first half and the last half when it is longer. A missing file is
/// empty output. The file stays: remove it with [`remove`] once what was
/// read is recorded, so that a crash in between loses nothing.
pub fn read(path: &Path, limit: u64) -> std::io::Result<Output> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Output::default()),
        Err(e) => return Err(e),
    };
    read_bounded(&mut file, limit)
}

/// A file holding `text` for a job's standard input: created in `dir`,
/// unlinked at once (only the open descriptor keeps it), read from the
/// start.
pub fn stdin_file(dir: &Path, text: &str) -> std::io::Result<File> {
    use std::io::{Seek, Write};
    let mut file = tempfile::tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.rewind()?;
    Ok(file)
}

/// Removes an output file whose contents are recorded.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The head and tail of `file` within `limit` bytes.
fn read_bounded(file: &mut File, limit: u64) -> std::io::Result<Output> {
    let total = file.metadata()?.len();
    if total <= limit {
        let mut head = Vec::with_capacity(total as usize);
        // A background process of the job may still be writing: read no
        // more than the size seen.
        file.take(total).read_to_end(&mut head)?;
        return Ok(Output {
            total_bytes: head.len() as u64,
            head,
            tail: Vec::new(),
        });
    }
    let head_len = limit / 2;
    let tail_len = limit - head_len;
    let mut head = vec![0; head_len as usize];
    file.read_exact(&mut head)?;
    file.seek(SeekFrom::Start(total - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail)?;
    Ok(Output {
        head,
        tail,
        total_bytes: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn check(content: &[u8], limit: u64, head: &[u8], tail: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let mut file = create(dir.path(), sched_spool::RunId(7)).unwrap();
        file.write_all(content).unwrap();
        let output = read(&path(dir.path(), sched_spool::RunId(7)), limit).unwrap();
        remove(&path(dir.path(), sched_spool::RunId(7))).unwrap();
        assert_eq!(
            output,
            Output {
                head: head.to_vec(),
                tail: tail.to_vec(),
                total_bytes: content.len() as u64
            }
        );
        assert!(
            !path(dir.path(), sched_spool::RunId(7)).exists(),
            "collected output files are removed"
        );
    }

    #[test]
    fn output_within_the_limit_is_kept_whole() {
        check(b"", 10, b"", b"");
        check(b"hello\n", 10, b"hello\n", b"");
        check(b"0123456789", 10, b"0123456789", b"");
    }

    #[test]
    fn longer_output_keeps_the_first_and_last_halves() {
        check(b"0123456789abc", 10, b"01234", b"89abc");
        check(b"0123456789abc", 7, b"012", b"9abc");
    }

    #[test]
    fn a_missing_file_is_empty_output() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read(&path(dir.path(), sched_spool::RunId(1)), 10).unwrap(),
            Output::default()
        );
    }
}
