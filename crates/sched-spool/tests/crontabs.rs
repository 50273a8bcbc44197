//! The migration of a schema-1 SQLite spool that already holds runs (the
//! backend-neutral behaviour of crontabs, runs and state is in the
//! conformance suite).

use jiff::Timestamp;
use sched_spool::{CronRun, Outcome, Owner, RunKind, SCHEMA_VERSION, SqliteSpool, Uid};

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn a_schema_1_spool_keeps_its_runs_and_run_ids_keep_counting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../../spool/0001_init.sql"))
            .unwrap();
        conn.pragma_update(None, "application_id", 0x5343_4844)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO runs (id, job_id, kind, owner_uid, command, due, started, finished, outcome, exit_code)
             VALUES (7, 3, 'at', 1000, 'echo old', 0, 0, 1000000, 'exited', 0);
             INSERT INTO runs (id, job_id, kind, owner_uid, command, due, started, outcome)
             VALUES (9, 4, 'at', 1000, 'gone', 0, 0, 'lost');
             DELETE FROM runs WHERE id = 9;",
        )
        .unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut spool = SqliteSpool::open(&path).unwrap();
    let runs = spool.runs(Owner::Any, None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, sched_spool::RunId(7));
    assert_eq!(runs[0].command, "echo old");
    assert_eq!(runs[0].kind, RunKind::At);
    assert_eq!(runs[0].origin, None);
    assert_eq!(runs[0].outcome, Outcome::Exited(0));
    // Id 9 was used (and deleted): the next run is 10, never 8 or 9.
    let ids = spool
        .start_cron_runs(
            &[CronRun {
                owner_uid: Uid(1000),
                owner_name: None,
                command: "echo new".to_owned(),
                origin: "crontab of alice:1".to_owned(),
                due: instant("2026-01-01T00:00:00Z"),
                attempt: 1,
                host_local: false,
            }],
            instant("2026-01-01T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(ids, vec![Some(sched_spool::RunId(10))]);
    drop(spool);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_schema_6_spool_opens_with_its_jobs_and_runs_at_their_first_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for migration in [
            include_str!("../../../spool/0001_init.sql"),
            include_str!("../../../spool/0002_crontabs.sql"),
            include_str!("../../../spool/0003_runs_by_origin.sql"),
            include_str!("../../../spool/0004_queues.sql"),
            include_str!("../../../spool/0005_owner_names.sql"),
            include_str!("../../../spool/0006_job_mail.sql"),
        ] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "application_id", 0x5343_4844)
            .unwrap();
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.execute_batch(
            "INSERT INTO jobs (id, kind, owner_uid, owner_gid, due, submitted, command, cwd, umask, env, owner_name)
             VALUES (5, 'at', 1000, 1000, 1000000, 0, 'echo job', '/', 18, x'', 'alice');
             INSERT INTO runs (id, job_id, kind, owner_uid, command, due, started, finished, outcome, exit_code, owner_name, origin)
             VALUES (11, 0, 'cron', 1000, 'echo cron', 0, 0, 1000000, 'exited', 3, 'alice', 'crontab of alice:1');",
        )
        .unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let spool = SqliteSpool::open(&path).unwrap();
    let job = spool
        .job(sched_spool::JobId(5), Owner::Any)
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.job.policy.as_str(), job.job.attempt, job.job.scheduled),
        ("", 1, None)
    );
    let runs = spool.runs(Owner::Any, None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].id, runs[0].attempt, &runs[0].outcome),
        (sched_spool::RunId(11), 1, &Outcome::Exited(3))
    );
    assert_eq!(spool.last_handled().unwrap(), None);
    assert_eq!(spool.cron_retries().unwrap(), vec![]);
}
