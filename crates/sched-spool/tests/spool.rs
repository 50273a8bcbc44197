//! The spool on real files: round trips, owners, claims, and every way an
//! existing file can be refused without being touched.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use jiff::Timestamp;
use sched_spool::{JobKind, NewJob, Outcome, Output, Owner, Spool, SpoolError};

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn job(owner_uid: u32, due: &str, command: &str) -> NewJob {
    NewJob {
        queue: 'a',
        kind: JobKind::At,
        owner_uid,
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
    }
}

/// Mode 0600, as a spool must be.
fn private(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn fresh(dir: &Path) -> Spool {
    Spool::open(&dir.join("spool.db")).unwrap()
}

/// (id, command, due) of each pending job `owner` may see, by id.
fn pending(spool: &Spool, owner: Owner) -> Vec<(u64, String, Timestamp)> {
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
        let mut spool = Spool::open(&path).unwrap();
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
    let spool = Spool::open(&path).unwrap();
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
fn owners_see_and_remove_only_their_own_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = fresh(dir.path());
    let ids = spool
        .insert_jobs(&[
            job(1000, "2026-01-01T10:00:00Z", "mine"),
            job(1001, "2026-01-01T10:00:00Z", "theirs"),
        ])
        .unwrap();
    let mine = pending(&spool, Owner::Uid(1000));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, "mine");
    assert!(spool.job(ids[1], Owner::Uid(1000)).unwrap().is_none());
    assert!(spool.job(ids[1], Owner::Any).unwrap().is_some());
    assert!(spool.remove_jobs(&[ids[1]], Owner::Uid(1000)).unwrap()[0].is_none());
    assert!(spool.remove_jobs(&[ids[1]], Owner::Uid(1001)).unwrap()[0].is_some());
    assert!(
        spool.remove_jobs(&[ids[1]], Owner::Any).unwrap()[0].is_none(),
        "already removed"
    );
    assert!(spool.remove_jobs(&[u64::MAX], Owner::Any).unwrap()[0].is_none());
}

#[test]
fn an_unclaimed_job_is_pending_again_under_its_id_with_no_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = fresh(dir.path());
    let ids = spool
        .insert_jobs(&[
            job(1000, "2026-01-01T10:00:00Z", "echo one"),
            job(1001, "2026-01-01T10:00:00Z", "echo two"),
        ])
        .unwrap();
    let before = spool.job(ids[0], Owner::Any).unwrap().unwrap();
    let claimed = spool
        .claim(&ids, instant("2026-01-01T09:59:59.95Z"))
        .unwrap();
    assert_eq!(claimed.len(), 2);
    spool.unclaim(&claimed[..1]).unwrap();
    assert_eq!(spool.job(ids[0], Owner::Any).unwrap(), Some(before));
    assert_eq!(spool.job(ids[1], Owner::Any).unwrap(), None);
    assert_eq!(
        spool.running_runs().unwrap(),
        [claimed[1].1],
        "only the second claim is left"
    );
    // Ids stay unique: the next job gets a new one.
    let next = spool
        .insert_jobs(&[job(1000, "2026-01-01T11:00:00Z", "echo three")])
        .unwrap()[0];
    assert!(next > ids[1]);
    // Claimed again, it runs once.
    assert_eq!(
        spool
            .claim(&ids[..1], instant("2026-01-01T10:00:00Z"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_claim_consumes_the_job_and_records_a_running_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = fresh(dir.path());
    let id = spool
        .insert_jobs(&[job(1000, "2026-01-01T10:00:00Z", "echo hi")])
        .unwrap()[0];
    let started = instant("2026-01-01T10:00:00.002Z");
    let (claimed, run) = spool.claim(&[id], started).unwrap().remove(0);
    assert_eq!(claimed.id, id);
    assert!(
        spool.claim(&[id], started).unwrap().is_empty(),
        "a job runs once"
    );
    assert!(pending(&spool, Owner::Any).is_empty());
    let launched = instant("2026-01-01T10:00:00.003Z");
    assert!(
        spool.runs(Owner::Any, None, 10).unwrap().is_empty(),
        "a claimed run is listed once it has started"
    );
    spool.set_started(&[(run, 4242, launched)]).unwrap();
    let output = Output {
        head: b"hi\n".to_vec(),
        tail: Vec::new(),
        total_bytes: 3,
    };
    spool
        .finish_run(
            run,
            instant("2026-01-01T10:00:01Z"),
            &Outcome::Exited(3),
            &output,
        )
        .unwrap();
    let runs = spool.runs(Owner::Uid(1000), Some(id), 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started, launched);
    assert_eq!(runs[0].pid, Some(4242));
    assert_eq!(runs[0].outcome, Outcome::Exited(3));
    assert_eq!(runs[0].output, output);
    assert!(spool.runs(Owner::Uid(1001), None, 10).unwrap().is_empty());
}

#[test]
fn runs_left_running_by_a_previous_daemon_are_marked_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    let run = {
        let mut spool = Spool::open(&path).unwrap();
        let id = spool
            .insert_jobs(&[job(0, "2026-01-01T10:00:00Z", "sleep 100")])
            .unwrap()[0];
        spool
            .claim(&[id], instant("2026-01-01T10:00:00Z"))
            .unwrap()
            .remove(0)
            .1
    };
    let mut spool = Spool::open(&path).unwrap();
    assert_eq!(spool.running_runs().unwrap(), vec![run]);
    let left = Output {
        head: b"partial".to_vec(),
        tail: Vec::new(),
        total_bytes: 7,
    };
    spool
        .finish_run(run, instant("2026-01-01T11:00:00Z"), &Outcome::Lost, &left)
        .unwrap();
    let runs = spool.runs(Owner::Any, None, 10).unwrap();
    assert_eq!(runs[0].outcome, Outcome::Lost);
    assert_eq!(runs[0].finished, Some(instant("2026-01-01T11:00:00Z")));
    assert_eq!(runs[0].output, left);
    assert!(spool.running_runs().unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    let garbage = b"this is not sqlite, it is somebody's notes\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    private(&path);
    let error = Spool::open(&path).unwrap_err();
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
        let mut spool = Spool::open(&path).unwrap();
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
    let error = Spool::open(&path).unwrap_err();
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
    let error = Spool::open(&path).unwrap_err();
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
    drop(Spool::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", sched_spool::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let error = Spool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::TooNew { .. }), "{error:?}");
}

#[test]
fn a_spool_held_by_another_daemon_is_reported_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    drop(Spool::open(&path).unwrap());
    // Reopened: no migration writes this time, and the lock must still hold.
    let _first = Spool::open(&path).unwrap();
    let error = Spool::open(&path).unwrap_err();
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
    let error = Spool::open(&path).unwrap_err();
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
    drop(Spool::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = Spool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .ends_with("it is open to other users (mode 644): chmod 600 it"),
        "{error}"
    );
}

#[test]
fn an_account_sees_only_the_rows_of_its_uid_stored_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = fresh(dir.path());
    let named = |name: Option<&str>, command: &str| NewJob {
        owner_name: name.map(str::to_owned),
        ..job(1000, "2026-01-01T10:00:00Z", command)
    };
    spool
        .insert_jobs(&[
            named(Some("alice"), "alice's"),
            named(None, "from before names"),
            named(Some("bob"), "bob's"),
        ])
        .unwrap();
    let commands = |owner: Owner| -> Vec<String> {
        pending(&spool, owner)
            .into_iter()
            .map(|(_, command, _)| command)
            .collect()
    };
    let account = |name: Option<&str>| Owner::Account {
        uid: 1000,
        name: name.map(str::to_owned),
    };
    // A row without a name is root's alone.
    assert_eq!(commands(account(Some("bob"))), ["bob's"]);
    assert!(commands(account(None)).is_empty());
    assert_eq!(commands(Owner::Any).len(), 3);
    assert_eq!(commands(Owner::Uid(1000)).len(), 3);
    // Removal follows the same rule.
    let removed = spool.remove_jobs(&[1, 2, 3], account(Some("bob"))).unwrap();
    let removed: Vec<bool> = removed.iter().map(Option::is_some).collect();
    assert_eq!(removed, [false, false, true]);
}
