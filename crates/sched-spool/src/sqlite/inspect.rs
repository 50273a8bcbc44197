//! Deciding, without changing a byte, whether an existing file is a schedd
//! spool this build can open: not held by another process, an SQLite
//! database, marked as ours, readable from end to end, and of a schema we
//! know. Only then does [`SqliteSpool::open`](crate::SqliteSpool::open) open it for
//! writing, which may switch its journal, replay its WAL or migrate it.
//!
//! Why a separate, read-only pass: opening a database for writing is
//! itself a change. SQLite replays and checkpoints a WAL into the main
//! file when the last writer closes, and setting `journal_mode` rewrites
//! the header, so a damaged or foreign file refused after such an open has
//! already been altered. Here the main file is read through an `immutable`
//! connection when there is no WAL (no locks, no side files); when there is
//! one (after an unclean stop), a private copy of the pair is checked.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, fcntl};
use rusqlite::{Connection, OpenFlags};

use super::open::{APPLICATION_ID, SCHEMA_VERSION};
use super::{failed, is_busy, is_corrupt};
use crate::SpoolError;

/// The first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The WAL header's magic numbers (big- and little-endian checksums).
const WAL_MAGIC: [u32; 2] = [0x377f_0682, 0x377f_0683];

/// The byte ranges SQLite locks in the main file (os_unix.c: the pending
/// byte, the reserved byte and the shared range) and in the `-shm` file
/// (the WAL index's lock bytes, including the one every open connection
/// holds).
const DB_LOCKS: (i64, i64) = (0x4000_0000, 512);
const SHM_LOCKS: (i64, i64) = (120, 16);

/// What was found at the spool's path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing, or an empty file with no WAL: a new spool may be made.
    Nothing,
    /// A schedd spool this build can open, of this schema version.
    Spool { version: i64 },
}

/// Looks at `path` (and its `-wal` and `-shm`) without changing them.
pub(crate) fn inspect(path: &Path) -> Result<Found, SpoolError> {
    let wal = side_file(path, "-wal");
    let shm = side_file(path, "-shm");
    let main_len = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(open_error(
                path,
                "it is a symbolic link: the spool must be a regular file".into(),
            ));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(open_error(path, "it is not a regular file".into()));
        }
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(open_error(path, e.to_string())),
    };
    let wal_len = std::fs::symlink_metadata(&wal).map_or(0, |meta| meta.len());
    if main_len == 0 && wal_len == 0 {
        return Ok(Found::Nothing);
    }
    for (file, range) in [(path, DB_LOCKS), (shm.as_path(), SHM_LOCKS)] {
        if let Some(holder) = lock_holder(file, range).map_err(|e| open_error(path, e))? {
            return Err(SpoolError::Locked {
                path: path.to_path_buf(),
                holder: (holder > 0).then_some(holder),
            });
        }
    }
    Copy::remove_stale(path);
    check_header(path, main_len)?;
    if wal_len > 0 {
        check_wal_header(path, &wal)?;
    } else {
        // Without a WAL the main file's header is the truth: a file not
        // marked as ours is refused before SQLite reads any further.
        let application = read_be_u32(path, 68)?;
        if i64::from(application) != APPLICATION_ID {
            return Err(SpoolError::Foreign {
                path: path.to_path_buf(),
            });
        }
    }
    let version = verify(path, wal_len > 0)?;
    Ok(Found::Spool { version })
}

/// Checks what a writing open would rely on: the mark, the schema version,
/// and every page, without changing `path`. Without a WAL the main file is
/// read through an `immutable` connection, which takes no locks and makes
/// no side files. With one, SQLite must replay the WAL to read the
/// database, and a replay writes (a read-only connection cannot do it), so
/// the pair is copied beside the spool and the copy is replayed and checked.
fn verify(path: &Path, has_wal: bool) -> Result<i64, SpoolError> {
    // A copy cannot be made (no room beside the spool, say): the main
    // file alone is judged, as it stands, and the WAL's frames are left to
    // SQLite's checksums.
    let copy = if has_wal { Copy::make(path).ok() } else { None };
    if let Some(copy) = copy {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&copy.main, flags).map_err(|e| classify(path, e))?;
        // Exclusive: the copy's WAL index stays in memory (no -shm).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| classify(path, e))?;
        check(path, &conn)
    } else {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW
            | OpenFlags::SQLITE_OPEN_URI;
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let conn = Connection::open_with_flags(uri, flags).map_err(|e| classify(path, e))?;
        check(path, &conn)
    }
}

/// The checks of [`verify`] on `conn`, an open copy or view of `path`.
fn check(path: &Path, conn: &Connection) -> Result<i64, SpoolError> {
    let sqlite_error = |source: rusqlite::Error| classify(path, source);
    let pragma = |name: &str| -> Result<i64, SpoolError> {
        conn.pragma_query_value(None, name, |row| row.get(0))
            .map_err(sqlite_error)
    };
    if pragma("application_id")? != APPLICATION_ID {
        return Err(SpoolError::Foreign {
            path: path.to_path_buf(),
        });
    }
    let version = pragma("user_version")?;
    if version > SCHEMA_VERSION {
        return Err(SpoolError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    let mut statement = conn
        .prepare("PRAGMA integrity_check(3)")
        .map_err(sqlite_error)?;
    let problems: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(sqlite_error)?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(version);
    }
    // Each row may hold several lines: keep the problems, on one line.
    let lines: Vec<&str> = problems
        .iter()
        .flat_map(|row| row.lines())
        .filter(|line| !line.starts_with("***"))
        .collect();
    let mut detail = lines.iter().take(2).copied().collect::<Vec<_>>().join("; ");
    if lines.len() > 2 {
        detail.push_str(" (and more)");
    }
    Err(corrupt(path, detail))
}

/// A private copy of a spool and its WAL, made beside it and removed on
/// drop (with any file SQLite made for it).
struct Copy {
    main: PathBuf,
}

impl Copy {
    /// The prefix of the copies of the spool at `path`.
    fn prefix(path: &Path) -> std::ffi::OsString {
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(path.file_name().unwrap_or_default());
        prefix.push(".verify-");
        prefix
    }

    /// Removes copies a check killed half-way left behind (only files
    /// this code names; nothing else in the directory is touched).
    fn remove_stale(path: &Path) {
        let prefix = Copy::prefix(path);
        let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name
                .as_encoded_bytes()
                .starts_with(prefix.as_encoded_bytes())
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn make(path: &Path) -> Result<Copy, SpoolError> {
        let mut name = Copy::prefix(path);
        name.push(std::process::id().to_string());
        let main = path.with_file_name(name);
        let copy = Copy { main };
        for suffix in ["", "-wal"] {
            let to = side_file(&copy.main, suffix);
            std::fs::copy(side_file(path, suffix), &to).map_err(|e| {
                open_error(
                    path,
                    format!(
                        "cannot copy it to {} to check it before its log is replayed: {e}",
                        to.display()
                    ),
                )
            })?;
        }
        Ok(copy)
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(side_file(&self.main, suffix));
        }
    }
}

/// The main file must be long enough for a header and begin with SQLite's
/// magic string.
fn check_header(path: &Path, len: u64) -> Result<(), SpoolError> {
    if len == 0 {
        // An empty main file beside a WAL: SQLite reads the database from
        // the WAL alone, and `verify` judges it.
        return Ok(());
    }
    let mut header = [0u8; 100];
    let read = read_prefix(path, &mut header)?;
    if read < MAGIC.len() || &header[..MAGIC.len()] != MAGIC {
        return Err(SpoolError::NotDatabase {
            path: path.to_path_buf(),
        });
    }
    if read < header.len() {
        return Err(corrupt(
            path,
            format!("it is truncated to {len} bytes, shorter than its header"),
        ));
    }
    Ok(())
}

fn check_wal_header(path: &Path, wal: &Path) -> Result<(), SpoolError> {
    let magic = read_be_u32(wal, 0)?;
    if !WAL_MAGIC.contains(&magic) {
        return Err(corrupt(
            path,
            format!("its write-ahead log {} is not a SQLite WAL", wal.display()),
        ));
    }
    Ok(())
}

/// The process holding a lock in `range` of `file`, if any (and if the
/// file exists). Only locks of other processes are seen: POSIX locks are
/// per process.
fn lock_holder(file: &Path, (start, len): (i64, i64)) -> Result<Option<i32>, String> {
    let handle = match File::open(file) {
        Ok(handle) => handle,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open {}: {e}", file.display())),
    };
    let mut probe = nix::libc::flock {
        l_type: nix::libc::F_WRLCK as i16,
        l_whence: nix::libc::SEEK_SET as i16,
        l_start: start,
        l_len: len,
        l_pid: 0,
    };
    fcntl(handle.as_fd(), FcntlArg::F_GETLK(&mut probe))
        .map_err(|e| format!("cannot test the locks of {}: {e}", file.display()))?;
    // Closing `handle` would drop this process's own POSIX locks on the
    // file; the spool is not open yet, so there are none. An open file
    // description lock has no pid (-1).
    if probe.l_type == nix::libc::F_UNLCK as i16 {
        return Ok(None);
    }
    Ok(Some(probe.l_pid))
}

fn read_prefix(path: &Path, buffer: &mut [u8]) -> Result<usize, SpoolError> {
    let mut file = File::open(path).map_err(|e| open_error(path, e.to_string()))?;
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(open_error(path, e.to_string())),
        }
    }
    Ok(filled)
}

fn read_be_u32(path: &Path, offset: usize) -> Result<u32, SpoolError> {
    let mut prefix = vec![0u8; offset + 4];
    let read = read_prefix(path, &mut prefix)?;
    if read < prefix.len() {
        return Err(corrupt(path, format!("{} is truncated", path.display())));
    }
    let bytes: [u8; 4] = prefix[offset..].try_into().unwrap_or_default();
    Ok(u32::from_be_bytes(bytes))
}

/// A SQLite error met while verifying, as the spool error naming its cause.
fn classify(path: &Path, source: rusqlite::Error) -> SpoolError {
    if is_busy(&source) {
        SpoolError::Locked {
            path: path.to_path_buf(),
            holder: None,
        }
    } else if is_corrupt(&source) {
        corrupt(path, source.to_string())
    } else {
        failed(path, &source)
    }
}

fn corrupt(path: &Path, detail: String) -> SpoolError {
    SpoolError::Corrupt {
        path: path.to_path_buf(),
        detail,
    }
}

fn open_error(path: &Path, reason: String) -> SpoolError {
    SpoolError::Open {
        path: path.to_path_buf(),
        reason,
    }
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `path` written for a `file:` URI: every byte but unreserved ones and
/// `/` percent-encoded (so any file name, UTF-8 or not, names itself), and
/// leading slashes made one (`//host` would be read as an authority).
fn uri_path(path: &Path) -> String {
    use std::fmt::Write as _;
    let bytes = path.as_os_str().as_encoded_bytes();
    let leading = bytes.iter().take_while(|&&b| b == b'/').count();
    let bytes = &bytes[leading.saturating_sub(1)..];
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
