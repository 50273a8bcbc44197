//! Users' crontabs, cron runs and daemon state in the spool, and the
//! migration of a schema-1 spool that already holds runs.

use jiff::Timestamp;
use sched_spool::{CronRun, Outcome, Output, Owner, RunKind, SCHEMA_VERSION, Spool};

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn crontabs_are_installed_replaced_listed_and_removed_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    {
        let mut spool = Spool::open(&path).unwrap();
        assert_eq!(spool.crontab(1000).unwrap(), None);
        spool
            .set_crontab(
                1000,
                Some("alice"),
                "* * * * * echo a\n",
                instant("2026-01-01T00:00:00Z"),
            )
            .unwrap();
        spool
            .set_crontab(
                1001,
                None,
                "0 0 * * * echo b\n",
                instant("2026-01-01T00:00:01Z"),
            )
            .unwrap();
        spool
            .set_crontab(
                1000,
                Some("alice2"),
                "5 * * * * echo c\n",
                instant("2026-01-01T00:00:02Z"),
            )
            .unwrap();
    }
    let mut spool = Spool::open(&path).unwrap();
    let mine = spool.crontab(1000).unwrap().unwrap();
    assert_eq!(mine.text, "5 * * * * echo c\n");
    assert_eq!(mine.installed, instant("2026-01-01T00:00:02Z"));
    assert_eq!(mine.owner_name.as_deref(), Some("alice2"));
    let all = spool.crontabs().unwrap();
    assert_eq!(
        all.iter()
            .map(|c| (c.owner_uid, c.text.as_str()))
            .collect::<Vec<_>>(),
        vec![(1000, "5 * * * * echo c\n"), (1001, "0 0 * * * echo b\n")]
    );
    // A crontab stored without a name (before schema 5) adopts one once.
    assert_eq!(spool.uids_without_owner_name().unwrap(), vec![1001]);
    spool.adopt_owner_name(1001, "bob").unwrap();
    spool.adopt_owner_name(1000, "mallory").unwrap();
    assert_eq!(
        spool.crontab(1001).unwrap().unwrap().owner_name.as_deref(),
        Some("bob")
    );
    assert_eq!(
        spool.crontab(1000).unwrap().unwrap().owner_name.as_deref(),
        Some("alice2"),
        "a name already kept is never replaced"
    );
    assert!(spool.uids_without_owner_name().unwrap().is_empty());
    assert!(spool.remove_crontab(1000).unwrap());
    assert!(!spool.remove_crontab(1000).unwrap());
    assert_eq!(spool.crontab(1000).unwrap(), None);
    assert_eq!(spool.crontabs().unwrap().len(), 1);
}

#[test]
fn state_values_are_kept_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.db");
    {
        let mut spool = Spool::open(&path).unwrap();
        assert_eq!(spool.state("boot").unwrap(), None);
        spool.set_state("boot", "a").unwrap();
        spool.set_state("boot", "b").unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.state("boot").unwrap().as_deref(), Some("b"));
}

#[test]
fn cron_runs_are_recorded_with_their_origin_and_listed_by_owner() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(&dir.path().join("spool.db")).unwrap();
    let due = instant("2026-01-01T10:00:00Z");
    let ids = spool
        .start_cron_runs(
            &[
                CronRun {
                    owner_uid: 1000,
                    owner_name: None,
                    command: "echo a".to_owned(),
                    origin: "crontab of alice:3".to_owned(),
                    due,
                },
                CronRun {
                    owner_uid: 0,
                    owner_name: None,
                    command: "echo b".to_owned(),
                    origin: "/etc/cron.d/php:14".to_owned(),
                    due,
                },
            ],
            due,
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1]);
    spool.set_started(&[(ids[0], 77, due)]).unwrap();
    spool
        .finish_run(
            ids[0],
            instant("2026-01-01T10:00:01Z"),
            &Outcome::Exited(0),
            &Output::default(),
        )
        .unwrap();
    let runs = spool.runs(Owner::Uid(1000), None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].kind, RunKind::Cron);
    assert_eq!(runs[0].job_id, 0);
    assert_eq!(runs[0].origin.as_deref(), Some("crontab of alice:3"));
    assert_eq!(runs[0].command, "echo a");
    assert_eq!(runs[0].pid, Some(77));
    // Not started yet (no pid): not listed, but lost if the daemon dies.
    assert!(spool.runs(Owner::Uid(0), None, 10).unwrap().is_empty());
    assert_eq!(spool.running_runs().unwrap(), vec![ids[1]]);
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
    let mut spool = Spool::open(&path).unwrap();
    let runs = spool.runs(Owner::Any, None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, 7);
    assert_eq!(runs[0].command, "echo old");
    assert_eq!(runs[0].kind, RunKind::At);
    assert_eq!(runs[0].origin, None);
    assert_eq!(runs[0].outcome, Outcome::Exited(0));
    // Id 9 was used (and deleted): the next run is 10, never 8 or 9.
    let ids = spool
        .start_cron_runs(
            &[CronRun {
                owner_uid: 1000,
                owner_name: None,
                command: "echo new".to_owned(),
                origin: "crontab of alice:1".to_owned(),
                due: instant("2026-01-01T00:00:00Z"),
            }],
            instant("2026-01-01T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(ids, vec![10]);
    drop(spool);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn only_the_newest_finished_runs_of_each_crontab_entry_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(&dir.path().join("spool.db")).unwrap();
    spool.set_cron_runs_kept(3);
    let run_of = |spool: &mut Spool, origin: &str, minute: i64| {
        let due = instant("2026-01-01T10:00:00Z") + jiff::SignedDuration::from_mins(minute);
        let ids = spool
            .start_cron_runs(
                &[CronRun {
                    owner_uid: 1000,
                    owner_name: None,
                    command: "echo".to_owned(),
                    origin: origin.to_owned(),
                    due,
                }],
                due,
            )
            .unwrap();
        spool.set_started(&[(ids[0], 77, due)]).unwrap();
        ids[0]
    };
    // One entry runs five times; another once; a run still going is kept
    // whatever its age.
    let still_running = run_of(&mut spool, "crontab of alice:1", 0);
    let mut finished = Vec::new();
    for minute in 1..=5 {
        let id = run_of(&mut spool, "crontab of alice:1", minute);
        spool
            .finish_run(
                id,
                instant("2026-01-01T11:00:00Z"),
                &Outcome::Exited(0),
                &Output::default(),
            )
            .unwrap();
        finished.push(id);
    }
    let other = run_of(&mut spool, "crontab of alice:2", 0);
    spool
        .finish_run(
            other,
            instant("2026-01-01T11:00:00Z"),
            &Outcome::Exited(1),
            &Output::default(),
        )
        .unwrap();
    let mut kept: Vec<u64> = spool
        .runs(Owner::Uid(1000), None, 100)
        .unwrap()
        .iter()
        .map(|run| run.id)
        .collect();
    kept.sort();
    let mut expected = vec![still_running, finished[2], finished[3], finished[4], other];
    expected.sort();
    assert_eq!(kept, expected);
}
