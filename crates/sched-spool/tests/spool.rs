//! The spool on real files: round trips, owners, claims, and every way an
//! existing file can be refused without being touched.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use jiff::Timestamp;
use sched_spool::{JobId, JobKind, NewJob, Owner, SpoolError, SqliteSpool, Uid};

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn job(owner_uid: u32, due: &str, command: &str) -> NewJob {
    NewJob {
        queue: 'a',
        kind: JobKind::At,
        owner_uid: Uid(owner_uid),
        owner_gid: owner_uid,
        owner_name: Some("owner".to_owned()),
        due: instant(due),
        submitted: instant("2026-01-01T00:00:00Z"),
        command: command.to_owned(),
        cwd: "/tmp".to_owned(),
        umask: 0o022,
        env: vec![
            ("PATH".to_owned(), "/bin".to_owned()),
            ("EMPTY".to_owned(), String::new()),
        ],
        mail: Default::default(),
        policy: String::new(),
        attempt: 1,
        scheduled: None,
    }
}

/// Mode 0600, as a spool must be.
fn private(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// (id, command, due) of each pending job `owner` may see, by id.
fn pending(spool: &SqliteSpool, owner: Owner) -> Vec<(JobId, String, Timestamp)> {
    let mut jobs = Vec::new();
    spool
        .for_each_pending(owner, |job| {
            jobs.push((job.id, job.command.to_owned(), job.due));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    jobs.sort();
    jobs
}

#[test]
fn a_new_spool_is_created_private_and_keeps_jobs_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    let ids = {
        let mut spool = SqliteSpool::open(&path).unwrap();
        spool
            .insert_jobs(&[
                job(1000, "2026-02-01T10:00:00Z", "b"),
                job(1000, "2026-01-01T10:00:00Z", "a"),
            ])
            .unwrap()
    };
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let spool = SqliteSpool::open(&path).unwrap();
    assert_eq!(
        pending(&spool, Owner::Any),
        vec![
            (ids[0], "b".to_owned(), instant("2026-02-01T10:00:00Z")),
            (ids[1], "a".to_owned(), instant("2026-01-01T10:00:00Z")),
        ],
    );
    assert_eq!(
        spool.job(ids[0], Owner::Any).unwrap().unwrap().job,
        job(1000, "2026-02-01T10:00:00Z", "b"),
        "every field, the environment included, round-trips"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    let garbage = b"this is not sqlite, it is somebody's notes\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    private(&path);
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::NotDatabase { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn a_damaged_database_is_reported_corrupt_and_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    {
        let mut spool = SqliteSpool::open(&path).unwrap();
        let jobs: Vec<_> = (0..500)
            .map(|i| {
                job(
                    1000,
                    "2026-01-01T10:00:00Z",
                    &format!("echo {i} {}", "x".repeat(200)),
                )
            })
            .collect();
        spool.insert_jobs(&jobs).unwrap();
    }
    // Overwrite a page in the middle of the file (past the header page).
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096, "the test needs a multi-page file");
    for b in &mut bytes[4 * 4096..6 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Corrupt { .. }), "{error:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me');")
        .unwrap();
    drop(other);
    private(&path);
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Foreign { .. }), "{error:?}");
    let other = rusqlite::Connection::open(&path).unwrap();
    let text: String = other
        .query_row("SELECT text FROM notes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(text, "keep me");
}

#[test]
fn a_spool_from_a_newer_schedd_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    drop(SqliteSpool::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", sched_spool::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::TooNew { .. }), "{error:?}");
}

#[test]
fn a_spool_held_by_another_daemon_is_reported_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    drop(SqliteSpool::open(&path).unwrap());
    // Reopened: no migration writes this time, and the lock must still hold.
    let _first = SqliteSpool::open(&path).unwrap();
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Locked { .. }), "{error:?}");
    assert!(
        error.to_string().contains("is another schedd using it?"),
        "{error}"
    );
}

#[test]
fn a_directory_that_cannot_be_written_is_an_open_error_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("spool.db");
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
    assert!(
        error.to_string().contains("missing-dir/spool.db"),
        "{error}"
    );
}

#[test]
fn a_spool_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    drop(SqliteSpool::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = SqliteSpool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .ends_with("it is open to other users (mode 644): chmod 600 it"),
        "{error}"
    );
}
