//! Keeps running jobs' output files within a bound on disk while they run.
//!
//! A job writes straight into its file (see `output`), so that it outlives
//! the daemon; only the head and the tail of it are ever kept. Whenever a
//! job writes (inotify `IN_MODIFY` on the output directory), the middle of
//! its file beyond the head and the tail is given back to the filesystem
//! with `fallocate(PUNCH_HOLE | KEEP_SIZE)`: the file keeps its length (the
//! full byte count) and the job keeps appending at its end, while the
//! blocks in between are freed. So a job writing without end occupies
//! about `--output-limit` bytes plus [`STEP`] plus what it writes before
//! the daemon next runs, not what it wrote.
//!
//! Deliberately absent: reading the output (`output::read` does that at
//! the end) and any limit on the job itself, which is never slowed or
//! stopped for writing. A filesystem that cannot punch holes is logged once
//! and its files grow as before.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::fcntl::{FallocateFlags, fallocate};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

/// Bytes a file may occupy beyond the limit before it is trimmed: punching
/// a hole locks the file against the job's appends, so it is done in steps
/// of this much rather than at every write.
pub const STEP: u64 = 8 << 20;

/// Frees the middle of `file` beyond its first `limit / 2` bytes and its
/// last `limit - limit / 2`, in whole blocks, once the file occupies
/// [`STEP`] bytes more than `limit` on disk. Judged by the blocks the file
/// holds, not by how far an earlier call went, so a job that truncates its
/// output or writes back over it is held to the bound all the same.
/// Returns whether it punched. Holes read as zeros; nothing reads them.
pub fn trim(file: &File, limit: u64) -> std::io::Result<bool> {
    let meta = file.metadata()?;
    if on_disk(&meta) < limit.saturating_add(STEP) {
        return Ok(false);
    }
    let head = limit / 2;
    let tail = limit - head;
    let block = 4096;
    let start = head.div_ceil(block) * block;
    let end = meta.len().saturating_sub(tail) / block * block;
    if end <= start {
        return Ok(false);
    }
    fallocate(
        file.as_fd(),
        FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
        start as i64,
        (end - start) as i64,
    )?;
    Ok(true)
}

/// Bytes a file occupies on disk (its allocated blocks).
fn on_disk(meta: &std::fs::Metadata) -> u64 {
    meta.blocks() * 512
}

/// Watches `dir`, the output directory, and trims every output file that
/// grows, to the limit `limit` holds at that moment, until the daemon
/// stops. Returns at once, logged, when inotify is unavailable.
pub async fn run(dir: PathBuf, limit: Arc<AtomicU64>) {
    let watch = match Watch::new(&dir) {
        Ok(watch) => watch,
        Err(error) => {
            tracing::warn!(
                "cannot watch {} ({error}): running jobs' output is bounded only when they end",
                dir.display()
            );
            return;
        }
    };
    watch.serve(&dir, &limit).await;
}

struct InotifyFd(Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

struct Watch {
    fd: AsyncFd<InotifyFd>,
    /// Output files opened for trimming so far.
    opened: AtomicU64,
}

/// A file being trimmed, and the limit its run keeps (fixed when it is
/// first seen, so that a limit changed by SIGHUP meanwhile never frees
/// bytes the run's record will read).
struct Open {
    file: File,
    limit: u64,
}

impl Watch {
    fn new(dir: &Path) -> std::io::Result<Watch> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(
            dir,
            AddWatchFlags::IN_MODIFY
                | AddWatchFlags::IN_CLOSE_WRITE
                | AddWatchFlags::IN_DELETE
                | AddWatchFlags::IN_ONLYDIR,
        )?;
        // See clock.rs: the AsyncFd owns the descriptor for as long as it
        // is registered.
        #[allow(deprecated)]
        let fd = AsyncFd::new(InotifyFd(inotify))?;
        Ok(Watch {
            fd,
            opened: AtomicU64::new(0),
        })
    }

    async fn serve(&self, dir: &Path, limit: &AtomicU64) {
        let mut open: HashMap<OsString, Open> = HashMap::new();
        let mut unsupported = false;
        loop {
            let events = match self.fd.readable().await {
                Ok(mut guard) => match guard.try_io(|inner| {
                    inner
                        .get_ref()
                        .0
                        .read_events()
                        .map_err(std::io::Error::from)
                }) {
                    Ok(Ok(events)) => events,
                    Ok(Err(error)) => {
                        tracing::warn!("reading the output directory's events failed: {error}");
                        return;
                    }
                    Err(_would_block) => continue,
                },
                Err(error) => {
                    tracing::warn!("watching the output directory failed: {error}");
                    return;
                }
            };
            for event in events {
                let Some(name) = event.name else { continue };
                if event.mask.intersects(AddWatchFlags::IN_DELETE) {
                    open.remove(&name);
                    continue;
                }
                if unsupported || !name.as_encoded_bytes().ends_with(b".out") {
                    continue;
                }
                // A close is acted on only for a file being trimmed: the
                // trimmer's own handles make close events too, and opening
                // the file again for one would answer each with another.
                let closed = event.mask.intersects(AddWatchFlags::IN_CLOSE_WRITE);
                if closed && !open.contains_key(&name) {
                    continue;
                }
                let entry = match open.entry(name.clone()) {
                    std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        let opened = std::fs::OpenOptions::new()
                            .write(true)
                            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
                            .open(dir.join(&name));
                        self.opened.fetch_add(1, Ordering::Relaxed);
                        match opened {
                            Ok(file) => slot.insert(Open {
                                file,
                                limit: limit.load(Ordering::Relaxed),
                            }),
                            Err(_) => continue,
                        }
                    }
                };
                match trim(&entry.file, entry.limit) {
                    Ok(_) => {}
                    Err(error) if error.raw_os_error() == Some(nix::libc::EOPNOTSUPP) => {
                        tracing::warn!(
                            "{} cannot punch holes: running jobs' output is bounded only when they end",
                            dir.display()
                        );
                        unsupported = true;
                    }
                    Err(error) => tracing::debug!("cannot trim {name:?}: {error}"),
                }
                // Closed by the job (or one of its processes): trimmed once
                // more above, then forgotten until it is written again.
                if closed {
                    open.remove(&name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};

    use super::*;

    #[test]
    fn the_middle_is_freed_and_the_head_tail_and_length_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = crate::running::output::create(dir.path(), sched_spool::RunId(1)).unwrap();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        for _ in 0..64 {
            file.write_all(&chunk).unwrap();
            trim(&file, 64 * 1024).unwrap();
        }
        let total = 64u64 << 20;
        assert_eq!(file.metadata().unwrap().len(), total, "the full count");
        let used = on_disk(&file.metadata().unwrap());
        assert!(
            used <= 64 * 1024 + 2 * 4096 + STEP + (1 << 20),
            "{used} bytes on disk for 64 MiB written"
        );
        let kept = crate::running::output::read(
            &crate::running::output::path(dir.path(), sched_spool::RunId(1)),
            64 * 1024,
        )
        .unwrap();
        assert_eq!(kept.total_bytes, total);
        assert_eq!(kept.head, chunk[..32 * 1024]);
        assert_eq!(kept.tail, chunk[chunk.len() - 32 * 1024..]);
        // The freed middle reads as zeros.
        let mut reader = File::open(crate::running::output::path(
            dir.path(),
            sched_spool::RunId(1),
        ))
        .unwrap();
        reader.seek(SeekFrom::Start(total / 2)).unwrap();
        let mut middle = [1u8; 4096];
        reader.read_exact(&mut middle).unwrap();
        assert_eq!(middle, [0u8; 4096]);
    }

    #[test]
    fn the_trimmers_own_closes_do_not_make_it_open_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let watch = Arc::new(runtime.block_on(async { Watch::new(dir.path()).unwrap() }));
        let mut file = crate::running::output::create(dir.path(), sched_spool::RunId(3)).unwrap();
        file.write_all(b"written once\n").unwrap();
        drop(file);
        // Served on its own thread (a loop would never yield), which is
        // left behind when the test ends.
        let (serving, path) = (watch.clone(), dir.path().to_owned());
        std::thread::spawn(move || {
            runtime.block_on(serving.serve(&path, &AtomicU64::new(1024)));
        });
        // A loop of open, close, event, open would open the file thousands
        // of times in this window.
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(watch.opened.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_job_that_truncates_or_rewrites_its_output_is_held_to_the_bound() {
        use std::os::unix::fs::FileExt;
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(dir.path().join("run-4.out"))
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let bound = 64 * 1024 + STEP + (1 << 20);
        for round in 0..3u64 {
            // Written over from the start each round (truncated, or not).
            if round == 1 {
                file.set_len(0).unwrap();
            }
            for n in 0..40u64 {
                file.write_all_at(&chunk, n << 20).unwrap();
                trim(&file, 64 * 1024).unwrap();
            }
            let used = on_disk(&file.metadata().unwrap());
            assert!(used <= bound, "round {round}: {used} bytes on disk");
        }
    }

    #[test]
    fn a_file_within_the_limit_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = crate::running::output::create(dir.path(), sched_spool::RunId(2)).unwrap();
        file.write_all(&[7u8; 100_000]).unwrap();
        assert!(!trim(&file, 200_000).unwrap());
        let mut back = Vec::new();
        File::open(crate::running::output::path(
            dir.path(),
            sched_spool::RunId(2),
        ))
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
        assert_eq!(back, vec![7u8; 100_000]);
    }
}
