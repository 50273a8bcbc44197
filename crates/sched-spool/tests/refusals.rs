//! Every kind of spool schedd must refuse (damaged pages or header,
//! truncated, not SQLite, another program's SQLite, a WAL beside a damaged
//! file, locked by another process, too new) is refused with its path and a
//! short reason, and the directory holding it, the database, its `-wal`
//! and `-shm` included, is byte-for-byte what it was: no file changed,
//! none made, none removed. A crash image of a healthy spool still opens.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jiff::Timestamp;
use sched_spool::{JobKind, NewJob, Owner, SpoolError, SqliteSpool};

/// Every file in `dir` with its bytes (a directory or link as its target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let bytes = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                b"<directory>".to_vec()
            };
            (path, bytes)
        })
        .collect()
}

fn private(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn jobs(n: usize) -> Vec<NewJob> {
    (0..n)
        .map(|i| NewJob {
            queue: 'a',
            kind: JobKind::At,
            owner_uid: sched_spool::Uid(1000),
            owner_gid: 1000,
            owner_name: Some("owner".to_owned()),
            due: "2026-01-01T10:00:00Z".parse::<Timestamp>().unwrap(),
            submitted: "2026-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
            command: format!("echo {i} {}", "x".repeat(200)),
            cwd: "/tmp".to_owned(),
            umask: 0o022,
            env: vec![("PATH".to_owned(), "/bin".to_owned())],
            mail: Default::default(),
            policy: String::new(),
            attempt: 1,
            scheduled: None,
        })
        .collect()
}

/// How many jobs are pending, of everyone.
fn pending_count(spool: &SqliteSpool) -> usize {
    let mut count = 0;
    spool
        .for_each_pending(Owner::Any, |_| {
            count += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    count
}

/// A closed spool holding `n` jobs, in `dir`.
fn closed_spool(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("spool.db");
    let mut spool = SqliteSpool::open(&path).unwrap();
    spool.insert_jobs(&jobs(n)).unwrap();
    drop(spool);
    path
}

/// What a crash leaves: the files of a spool still open, `n` jobs in the
/// main file and 20 more in the WAL only, copied into `into`.
fn crash_image(into: &Path, n: usize) -> PathBuf {
    let live = tempfile::tempdir().unwrap();
    let path = closed_spool(live.path(), n);
    let mut spool = SqliteSpool::open(&path).unwrap();
    spool.insert_jobs(&jobs(20)).unwrap();
    let wal = live.path().join("spool.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the open spool has a WAL"
    );
    let copy = into.join("spool.db");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(&wal, into.join("spool.db-wal")).unwrap();
    drop(spool);
    private(&copy);
    private(&into.join("spool.db-wal"));
    copy
}

/// Opens the spool at `path`, which must be refused as `expected` says,
/// with the path in a message of one short line, and leave its directory
/// as it was.
#[track_caller]
fn refused(path: &Path, expected: fn(&SpoolError) -> bool) -> String {
    let dir = path.parent().unwrap();
    let before = snapshot(dir);
    let error = SqliteSpool::open(path).unwrap_err();
    let message = error.to_string();
    assert!(expected(&error), "{error:?}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(!message.contains('\n') && message.len() < 400, "{message}");
    assert!(
        snapshot(dir) == before,
        "the refused spool's directory changed: {:?} -> {:?}",
        before.keys().collect::<Vec<_>>(),
        snapshot(dir).keys().collect::<Vec<_>>()
    );
    message
}

fn corrupt(error: &SpoolError) -> bool {
    matches!(error, SpoolError::Corrupt { .. })
}

#[test]
fn damaged_pages_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_spool(dir.path(), 500);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096, "the test needs a multi-page file");
    bytes[4 * 4096..6 * 4096].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
    refused(&path, corrupt);
}

#[test]
fn a_damaged_header_is_refused_untouched() {
    for (offset, value) in [(0, b'X'), (16, 0xFF), (17, 0x03), (21, 0x00)] {
        let dir = tempfile::tempdir().unwrap();
        let path = closed_spool(dir.path(), 10);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[offset] = value;
        std::fs::write(&path, &bytes).unwrap();
        refused(&path, |error| {
            matches!(
                error,
                SpoolError::Corrupt { .. } | SpoolError::NotDatabase { .. }
            )
        });
    }
}

#[test]
fn a_truncated_spool_is_refused_untouched() {
    for keep in [10, 60, 4096 * 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = closed_spool(dir.path(), 500);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..keep]).unwrap();
        refused(&path, |error| {
            matches!(
                error,
                SpoolError::Corrupt { .. } | SpoolError::NotDatabase { .. }
            )
        });
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    std::fs::write(&path, b"#!/bin/sh\necho this is a script\n".repeat(300)).unwrap();
    private(&path);
    let message = refused(&path, |error| {
        matches!(error, SpoolError::NotDatabase { .. })
    });
    assert!(message.contains("is not an SQLite database"), "{message}");
}

#[test]
fn another_programs_database_is_refused_before_its_journal_is_switched() {
    for journal in ["DELETE", "WAL"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool.db");
        let other = rusqlite::Connection::open(&path).unwrap();
        other.pragma_update(None, "journal_mode", journal).unwrap();
        other
            .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep');")
            .unwrap();
        drop(other);
        private(&path);
        let message = refused(&path, |error| matches!(error, SpoolError::Foreign { .. }));
        assert!(message.contains("not a schedd spool"), "{message}");
    }
}

#[test]
fn a_wal_beside_a_damaged_main_file_is_not_checkpointed_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = crash_image(dir.path(), 500);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096, "the test needs a multi-page file");
    bytes[4 * 4096..6 * 4096].fill(0x5A);
    std::fs::write(&path, &bytes).unwrap();
    refused(&path, corrupt);
}

#[test]
fn a_damaged_wal_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = crash_image(dir.path(), 50);
    let wal = dir.path().join("spool.db-wal");
    let mut bytes = std::fs::read(&wal).unwrap();
    bytes[..4].copy_from_slice(b"junk");
    std::fs::write(&wal, &bytes).unwrap();
    refused(&path, corrupt);
}

#[test]
fn a_healthy_crash_image_opens_with_every_job_from_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = crash_image(dir.path(), 300);
    let before = snapshot(dir.path()).into_keys().collect::<Vec<_>>();
    let spool = SqliteSpool::open(&path).unwrap();
    let count = pending_count(&spool);
    assert_eq!(count, 320);
    drop(spool);
    // The check's private copy is gone; the WAL was replayed and removed.
    assert_eq!(
        before,
        [dir.path().join("spool.db"), dir.path().join("spool.db-wal")]
    );
    assert_eq!(
        snapshot(dir.path()).into_keys().collect::<Vec<_>>(),
        [dir.path().join("spool.db")]
    );
}

#[test]
fn a_spool_from_a_newer_schedd_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_spool(dir.path(), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", sched_spool::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    refused(&path, |error| matches!(error, SpoolError::TooNew { .. }));
}

#[test]
fn a_spool_locked_by_another_process_is_refused_untouched_with_its_pid() {
    let test = "a_spool_locked_by_another_process_is_refused_untouched_with_its_pid";
    let dir = tempfile::tempdir().unwrap();
    let path = closed_spool(dir.path(), 5);
    // Another process holds the database as the sqlite3 shell's
    // `BEGIN EXCLUSIVE` would.
    let holder = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('PRAGMA locking_mode=EXCLUSIVE')\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             c.execute('SELECT count(*) FROM sqlite_schema').fetchall()\n\
             print('locked', flush=True)\n\
             sys.stdin.read()\n",
        ])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut holder) = holder else {
        println!("skipped {test}: python3 is not installed");
        return;
    };
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");
    let message = refused(&path, |error| {
        matches!(
            error,
            SpoolError::Locked {
                holder: Some(_),
                ..
            }
        )
    });
    assert!(
        message.contains(&format!("(pid {})", holder.id())),
        "{message}"
    );
    drop(holder.stdin.take());
    holder.wait().unwrap();
    // Released: it opens again, jobs intact.
    let spool = SqliteSpool::open(&path).unwrap();
    let count = pending_count(&spool);
    assert_eq!(count, 5);
}

#[test]
fn a_symbolic_link_or_a_directory_at_the_spool_path_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = closed_spool(dir.path(), 1);
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let message = refused(&link, |error| matches!(error, SpoolError::Open { .. }));
    assert!(
        message.ends_with("it is a symbolic link: the spool must be a regular file"),
        "{message}"
    );
    let other = tempfile::tempdir().unwrap();
    let directory = other.path().join("spool.db");
    std::fs::create_dir(&directory).unwrap();
    let message = refused(&directory, |error| matches!(error, SpoolError::Open { .. }));
    assert!(message.ends_with("it is not a regular file"), "{message}");
}

#[test]
fn a_spool_under_any_path_reopens_after_a_clean_stop() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"sp\xffool %3f ?#"));
    std::fs::create_dir(&odd).unwrap();
    let doubled = format!(
        "//{}",
        dir.path().display().to_string().trim_start_matches('/')
    );
    for path in [odd.join("spool.db"), Path::new(&doubled).join("spool.db")] {
        let mut spool = SqliteSpool::open(&path).unwrap();
        spool.insert_jobs(&jobs(3)).unwrap();
        drop(spool);
        let spool = SqliteSpool::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let count = pending_count(&spool);
        assert_eq!(count, 3, "{}", path.display());
    }
}

#[test]
fn copies_a_killed_check_left_behind_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = crash_image(dir.path(), 5);
    for stale in [".spool.db.verify-999999", ".spool.db.verify-999999-wal"] {
        std::fs::write(dir.path().join(stale), b"half a copy").unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    drop(SqliteSpool::open(&path).unwrap());
    let left: Vec<String> = snapshot(dir.path())
        .into_keys()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["notes.txt", "spool.db"]);
}
