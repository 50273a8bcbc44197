//! The PostgreSQL spool as a fleet shares it: several nodes (daemons of
//! different hosts) on one database. Claims at most once under
//! concurrency, leases and take-over, fencing, restarts, refusals of a
//! schema that is not schedd's, TLS, and what an unreachable server or a
//! broken connection gives.

mod pg;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use sched_spool::{
    CronRetry, CronRun, CrontabInstall, DueJob, Fleet, JobId, JobKind, Lease, NewJob, Occurrence,
    Outcome, Output, Owner, PG_SCHEMA_VERSION, PgOptions, PgSpool, RunEnd, RunId, RunKind,
    SpoolError, Store, TakenOver, Uid,
};

use pg::TestDb;

/// A fresh database, or a skipped test.
macro_rules! fresh {
    () => {
        match TestDb::fresh() {
            Some(db) => db,
            None => return,
        }
    };
}

/// How long a test waits for something the database's clock decides.
const PATIENCE: Duration = Duration::from_secs(10);

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn node(db: &TestDb, host: &str) -> PgSpool {
    PgSpool::open(&db.url, PgOptions::new(host)).unwrap()
}

fn node_with_lease(db: &TestDb, host: &str, lease: Duration) -> PgSpool {
    PgSpool::open(
        &db.url,
        PgOptions {
            host: host.to_owned(),
            lease,
        },
    )
    .unwrap()
}

fn fleet(spool: &mut PgSpool) -> &mut dyn Fleet {
    Store::fleet(spool).expect("a PostgreSQL spool is a fleet's")
}

fn job(due: &str, command: &str) -> NewJob {
    NewJob {
        kind: JobKind::At,
        queue: 'a',
        owner_uid: Uid(1000),
        owner_gid: 1000,
        owner_name: Some("alice".to_owned()),
        due: instant(due),
        submitted: instant("2026-01-01T00:00:00Z"),
        command: command.to_owned(),
        cwd: "/tmp".to_owned(),
        umask: 0o022,
        env: vec![("PATH".to_owned(), "/bin".to_owned())],
        mail: Default::default(),
        policy: String::new(),
        attempt: 1,
        scheduled: None,
    }
}

fn cron_run(origin: &str, due: Timestamp, host_local: bool) -> CronRun {
    CronRun {
        owner_uid: Uid(1000),
        owner_name: Some("alice".to_owned()),
        command: "echo".to_owned(),
        origin: origin.to_owned(),
        due,
        attempt: 1,
        host_local,
    }
}

fn missed(origin: &str, due: Timestamp, host_local: bool) -> Occurrence {
    Occurrence {
        kind: RunKind::Cron,
        job_id: None,
        owner_uid: Uid(1000),
        owner_name: Some("alice".to_owned()),
        command: "echo".to_owned(),
        origin: Some(origin.to_owned()),
        due,
        attempt: 1,
        at: due,
        host_local,
        outcome: Outcome::Missed("the daemon was not running".to_owned()),
    }
}

fn retry(origin: &str) -> CronRetry {
    CronRetry {
        origin: origin.to_owned(),
        command: "flaky".to_owned(),
        owner_uid: Uid(1000),
        scheduled: instant("2026-01-01T10:00:00Z"),
        attempt: 2,
        at: instant("2026-01-01T10:00:30Z"),
    }
}

/// Whether `spool`'s call failed because its node is fenced.
fn is_fenced<T: std::fmt::Debug>(result: Result<T, SpoolError>) -> bool {
    match result {
        Err(error @ SpoolError::Fenced { .. }) => {
            assert!(error.is_transient());
            true
        }
        other => panic!("expected Fenced, got {other:?}"),
    }
}

/// The name a spool in `db` goes by: the URL without the password.
fn described(db: &TestDb) -> String {
    let port = db
        .url
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the test cluster listens on 127.0.0.1");
    format!("postgresql://postgres@127.0.0.1:{port}/{}", db.name)
}

fn count(db: &TestDb, sql: &str) -> i64 {
    db.admin().query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn each_at_job_is_claimed_by_exactly_one_of_two_concurrent_claimers() {
    let db = fresh!();
    let mut a = node(&db, "host-a");
    let b = node(&db, "host-b");
    let jobs: Vec<NewJob> = (0..1000)
        .map(|i| job("2026-01-01T10:00:00Z", &format!("echo {i}")))
        .collect();
    let ids = a.insert_jobs(&jobs).unwrap();
    assert_eq!(ids.len(), 1000);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids count up in order");
    let start = Barrier::new(2);
    let now = instant("2026-01-01T10:00:00Z");
    let claim_all = |mut spool: PgSpool, chunk: usize| {
        start.wait();
        let mut claimed = Vec::new();
        for ids in ids.chunks(chunk) {
            claimed.extend(spool.claim(ids, now).unwrap());
        }
        claimed
    };
    let (by_a, by_b) = std::thread::scope(|scope| {
        let by_a = scope.spawn(|| claim_all(a, 10));
        let by_b = scope.spawn(|| claim_all(b, 7));
        (by_a.join().unwrap(), by_b.join().unwrap())
    });
    let a_jobs: BTreeSet<JobId> = by_a.iter().map(|(job, _)| job.id).collect();
    let b_jobs: BTreeSet<JobId> = by_b.iter().map(|(job, _)| job.id).collect();
    assert_eq!(a_jobs.len(), by_a.len(), "no job twice to one claimer");
    assert_eq!(b_jobs.len(), by_b.len(), "no job twice to one claimer");
    assert!(a_jobs.is_disjoint(&b_jobs), "no job claimed by both");
    let all: BTreeSet<JobId> = a_jobs.union(&b_jobs).copied().collect();
    assert_eq!(all, ids.iter().copied().collect::<BTreeSet<_>>());
    let runs: BTreeSet<RunId> = by_a.iter().chain(&by_b).map(|(_, run)| *run).collect();
    assert_eq!(runs.len(), 1000, "one run per job");
    assert_eq!(count(&db, "SELECT count(*) FROM schedd.runs"), 1000);
    assert_eq!(count(&db, "SELECT count(*) FROM schedd.jobs"), 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM schedd.runs WHERE host = 'host-a'"
        ),
        by_a.len() as i64,
        "each run records the host that claimed it"
    );
}

#[test]
fn each_occurrence_is_claimed_once_by_three_concurrent_nodes() {
    let db = fresh!();
    let nodes: Vec<PgSpool> = ["host-a", "host-b", "host-c"]
        .iter()
        .map(|host| node(&db, host))
        .collect();
    let base = instant("2026-01-01T10:00:00Z");
    let occurrences: Vec<CronRun> = (0..20)
        .flat_map(|line| {
            (0..10).map(move |minute| {
                cron_run(
                    &format!("crontab of alice:{line}"),
                    base + SignedDuration::from_mins(minute),
                    false,
                )
            })
        })
        .collect();
    assert_eq!(occurrences.len(), 200);
    let start = Barrier::new(3);
    let claimed: Vec<Vec<(String, Timestamp)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .into_iter()
            .enumerate()
            .map(|(i, mut spool)| {
                let start = &start;
                let occurrences = &occurrences;
                scope.spawn(move || {
                    // Each node looks at the occurrences in its own order.
                    let mut mine = occurrences.clone();
                    mine.rotate_left(i * 67);
                    if i == 1 {
                        mine.reverse();
                    }
                    start.wait();
                    let mut won = Vec::new();
                    for batch in mine.chunks(25) {
                        let ids = spool.start_cron_runs(batch, base).unwrap();
                        assert_eq!(ids.len(), batch.len());
                        for (run, id) in batch.iter().zip(ids) {
                            if id.is_some() {
                                won.push((run.origin.clone(), run.due));
                            }
                        }
                    }
                    won
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = claimed.iter().map(Vec::len).sum();
    assert_eq!(total, 200, "each occurrence claimed once in all");
    let distinct: BTreeSet<&(String, Timestamp)> = claimed.iter().flatten().collect();
    assert_eq!(distinct.len(), 200, "no occurrence claimed twice");
    assert_eq!(count(&db, "SELECT count(*) FROM schedd.runs"), 200);
    for (i, host) in ["host-a", "host-b", "host-c"].iter().enumerate() {
        assert_eq!(
            count(
                &db,
                &format!("SELECT count(*) FROM schedd.runs WHERE host = '{host}'")
            ),
            claimed[i].len() as i64
        );
    }
}

#[test]
fn a_hosts_own_lines_are_claimed_once_per_host_and_a_fleets_once() {
    let db = fresh!();
    let mut a = node(&db, "host-a");
    let mut b = node(&db, "host-b");
    let due = instant("2026-01-01T10:00:00Z");
    let local = cron_run("/etc/crontab:1", due, true);
    let shared = cron_run("crontab of alice:1", due, false);
    assert!(
        a.start_cron_runs(std::slice::from_ref(&local), due)
            .unwrap()[0]
            .is_some()
    );
    assert!(
        b.start_cron_runs(std::slice::from_ref(&local), due)
            .unwrap()[0]
            .is_some(),
        "another host runs its own line"
    );
    assert_eq!(
        a.start_cron_runs(std::slice::from_ref(&local), due)
            .unwrap(),
        [None]
    );
    assert!(
        b.start_cron_runs(std::slice::from_ref(&shared), due)
            .unwrap()[0]
            .is_some()
    );
    assert_eq!(a.start_cron_runs(&[shared], due).unwrap(), [None]);
    // A host's record of an occurrence that did not run claims it for
    // that host only.
    b.record_occurrences(&[missed("/etc/crontab:2", due, true)], None)
        .unwrap();
    let line2 = cron_run("/etc/crontab:2", due, true);
    assert_eq!(
        b.start_cron_runs(std::slice::from_ref(&line2), due)
            .unwrap(),
        [None]
    );
    assert!(a.start_cron_runs(&[line2], due).unwrap()[0].is_some());
    // A fleet's line recorded by one host is claimed for all.
    a.record_occurrences(&[missed("crontab of bob:1", due, false)], None)
        .unwrap();
    assert_eq!(
        b.start_cron_runs(&[cron_run("crontab of bob:1", due, false)], due)
            .unwrap(),
        [None]
    );
    let hosts: Vec<Option<String>> = a
        .runs_of_origin(Owner::Any, "/etc/crontab:2", 10)
        .unwrap()
        .iter()
        .map(|run| run.host.clone())
        .collect();
    assert_eq!(hosts, [Some("host-b".to_owned())], "a run says its host");
}

#[test]
fn each_hosts_history_of_its_own_line_is_kept_to_its_length() {
    let db = fresh!();
    let mut a = node(&db, "host-a");
    let mut b = node(&db, "host-b");
    let base = instant("2026-01-01T10:00:00Z");
    for spool in [&mut a, &mut b] {
        spool.set_cron_runs_kept(2);
        for minute in 0..4 {
            let due = base + SignedDuration::from_mins(minute);
            let id = spool
                .start_cron_runs(&[cron_run("/etc/crontab:1", due, true)], due)
                .unwrap()[0]
                .unwrap();
            spool.set_started(&[(id, 7, due)], None).unwrap();
            spool
                .finish_run(id, due, &Outcome::Exited(0), &Output::default())
                .unwrap();
        }
    }
    let kept: Vec<(Option<String>, Timestamp)> = a
        .runs_of_origin(Owner::Any, "/etc/crontab:1", 10)
        .unwrap()
        .iter()
        .map(|run| (run.host.clone(), run.due))
        .collect();
    let at = |minute| base + SignedDuration::from_mins(minute);
    let host = |name: &str| Some(name.to_owned());
    assert_eq!(
        kept,
        [
            (host("host-b"), at(3)),
            (host("host-b"), at(2)),
            (host("host-a"), at(3)),
            (host("host-a"), at(2)),
        ]
    );
}

#[test]
fn a_node_whose_lease_ran_out_is_taken_over_and_fenced_until_it_rejoins() {
    let db = fresh!();
    let lease = Duration::from_millis(500);
    let mut old = node_with_lease(&db, "host-old", lease);
    let mut new = node(&db, "host-new");
    let mut third = node(&db, "host-third");
    let due = instant("2026-01-01T10:00:00Z");
    // The old node's work: a crontab run, an at job with a policy, a retry.
    let cron = old
        .start_cron_runs(&[cron_run("crontab of alice:1", due, false)], due)
        .unwrap()[0]
        .unwrap();
    let ids = old
        .insert_jobs(&[NewJob {
            policy: "retry=1 retry-lost=yes".to_owned(),
            ..job("2026-01-01T10:00:00Z", "with policy")
        }])
        .unwrap();
    let (held_job, at_run) = old.claim(&ids, due).unwrap().remove(0);
    old.save_cron_retry(&retry("crontab of alice:2")).unwrap();
    let old_node = old.node();
    assert_eq!(
        fleet(&mut new).take_over().unwrap(),
        TakenOver::default(),
        "nothing to take while the old node's lease lasts"
    );
    // Its lease runs out on the database's clock.
    let started = Instant::now();
    let taken = loop {
        let taken = fleet(&mut new).take_over().unwrap();
        if !taken.nodes.is_empty() {
            break taken;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the old node was not taken over"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        taken,
        TakenOver {
            nodes: vec![(old_node, "host-old".to_owned())],
            runs: vec![cron, at_run],
            retries: vec![retry("crontab of alice:2")],
        }
    );
    assert_eq!(
        fleet(&mut third).take_over().unwrap(),
        TakenOver::default(),
        "a node is taken over once"
    );
    assert_eq!(
        new.cron_retries().unwrap(),
        [retry("crontab of alice:2")],
        "its retries are the taker's"
    );
    assert!(third.cron_retries().unwrap().is_empty());
    // Two daemons recording the same run lost: one gets the job back.
    let later = instant("2026-01-01T11:00:00Z");
    let (run, held) = new.lose_run(at_run, later, &Output::default()).unwrap();
    assert_eq!(run.unwrap().outcome, Outcome::Lost);
    assert_eq!(held, Some(held_job));
    let (run, held) = third.lose_run(at_run, later, &Output::default()).unwrap();
    assert_eq!(
        (run.map(|run| (run.id, run.outcome)), held),
        (Some((at_run, Outcome::Lost)), None)
    );
    // The old node's writes are fenced: nothing is written.
    assert!(is_fenced(old.save_cron_retry(&retry("crontab of alice:3"))));
    assert!(is_fenced(old.start_cron_runs(
        &[cron_run("crontab of alice:9", due, false)],
        due
    )));
    assert!(is_fenced(
        old.insert_jobs(&[job("2026-01-01T12:00:00Z", "late")])
    ));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM schedd.cron_retries WHERE origin = 'crontab of alice:3'"
        ),
        0
    );
    assert_eq!(count(&db, "SELECT count(*) FROM schedd.jobs"), 0);
    // Renewing joins again as a new node, whose writes go through.
    let lease_now = fleet(&mut old).renew_lease().unwrap();
    assert!(lease_now.node > old_node, "{lease_now:?}");
    assert_eq!(
        lease_now,
        Lease {
            node: lease_now.node,
            rejoined: true,
            lasts: lease
        }
    );
    assert_eq!(old.node(), lease_now.node);
    old.save_cron_retry(&retry("crontab of alice:3")).unwrap();
    assert_eq!(old.cron_retries().unwrap(), [retry("crontab of alice:3")]);
    // A live node's renewal keeps its node.
    let before = new.node();
    assert_eq!(
        fleet(&mut new).renew_lease().unwrap(),
        Lease {
            node: before,
            rejoined: false,
            lasts: PgOptions::DEFAULT_LEASE
        }
    );
    assert_eq!(fleet(&mut new).host(), "host-new");
}

#[test]
fn an_at_jobs_end_drops_its_held_copy_and_a_fenced_node_writes_neither() {
    let db = fresh!();
    let mut spool = node(&db, "host-a");
    let due = instant("2026-01-01T10:00:00Z");
    let with_policy = |what: &str| NewJob {
        policy: "retry=1 retry-lost=yes".to_owned(),
        ..job("2026-01-01T10:00:00Z", what)
    };
    let ids = spool
        .insert_jobs(&[
            with_policy("first"),
            with_policy("second"),
            with_policy("third"),
            with_policy("fourth"),
        ])
        .unwrap();
    let runs: Vec<RunId> = spool
        .claim(&ids, due)
        .unwrap()
        .into_iter()
        .map(|(_, run)| run)
        .collect();
    spool
        .set_started(
            &runs.iter().map(|&run| (run, 7, due)).collect::<Vec<_>>(),
            None,
        )
        .unwrap();
    let state = |run: RunId| {
        let row = db
            .admin()
            .query_one(
                "SELECT outcome, exit_code, (SELECT count(*) FROM schedd.held_jobs WHERE run_id = $1)
                 FROM schedd.runs WHERE id = $1",
                &[&(run.0 as i64)],
            )
            .unwrap();
        (
            row.get::<_, String>(0),
            row.get::<_, Option<i32>>(1),
            row.get::<_, i64>(2),
        )
    };
    assert_eq!(state(runs[0]), ("running".to_owned(), None, 1));
    spool
        .finish_run(runs[0], due, &Outcome::Exited(3), &Output::default())
        .unwrap();
    assert_eq!(state(runs[0]), ("exited".to_owned(), Some(3), 0));
    // Ends recorded together drop their held copies too.
    let ended = |run: RunId, code: i32| RunEnd {
        run,
        finished: due,
        outcome: Outcome::Exited(code),
        output: Output::default(),
    };
    let answers = spool.finish_runs(&[ended(runs[2], 4), ended(runs[3], 5)]);
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(state(runs[2]), ("exited".to_owned(), Some(4), 0));
    assert_eq!(state(runs[3]), ("exited".to_owned(), Some(5), 0));
    // Declared gone by another node: its end of the second run writes
    // nothing, neither the run nor the held copy.
    db.admin()
        .execute(
            "UPDATE schedd.nodes SET gone = true WHERE id = $1",
            &[&spool.node()],
        )
        .unwrap();
    assert!(is_fenced(spool.finish_run(
        runs[1],
        due,
        &Outcome::Exited(0),
        &Output::default()
    )));
    assert_eq!(state(runs[1]), ("running".to_owned(), None, 1));
    assert!(matches!(
        spool.finish_run(RunId(999_999), due, &Outcome::Exited(0), &Output::default()),
        Err(SpoolError::Fenced { .. })
    ));
    // Nor do ends recorded together: each is answered as fenced.
    let end = |run: RunId| RunEnd {
        run,
        finished: due,
        outcome: Outcome::Exited(0),
        output: Output::default(),
    };
    let answers = spool.finish_runs(&[end(runs[1]), end(runs[0]), end(RunId(999_999))]);
    assert_eq!(answers.len(), 3);
    assert!(
        answers
            .iter()
            .all(|answer| matches!(answer, Err(SpoolError::Fenced { .. }))),
        "{answers:?}"
    );
    assert_eq!(state(runs[1]), ("running".to_owned(), None, 1));
    assert_eq!(state(runs[0]), ("exited".to_owned(), Some(3), 0));
}

#[test]
fn a_lease_that_ran_out_fences_writes_until_renewed_and_nobody_took_over() {
    let db = fresh!();
    let lease = Duration::from_millis(300);
    let mut spool = node_with_lease(&db, "host-a", lease);
    let node = spool.node();
    let due = instant("2026-01-01T10:00:00Z");
    let started = Instant::now();
    let fenced = loop {
        match spool.set_last_handled(due) {
            Ok(()) => {}
            Err(error) => break error,
        }
        assert!(started.elapsed() < PATIENCE, "the lease never ran out");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(matches!(fenced, SpoolError::Fenced { .. }), "{fenced:?}");
    // Reads go on meanwhile.
    assert_eq!(spool.last_handled().unwrap(), Some(due));
    // Nobody declared it gone: it renews as the same node.
    assert_eq!(
        fleet(&mut spool).renew_lease().unwrap(),
        Lease {
            node,
            rejoined: false,
            lasts: lease
        }
    );
    spool.set_last_handled(due).unwrap();
}

#[test]
fn a_restarted_daemon_finds_its_hosts_runs_only_and_fences_its_predecessor() {
    let db = fresh!();
    let mut a1 = node(&db, "host-a");
    let mut b = node(&db, "host-b");
    let due = instant("2026-01-01T10:00:00Z");
    let a_cron = a1
        .start_cron_runs(&[cron_run("crontab of alice:1", due, false)], due)
        .unwrap()[0]
        .unwrap();
    let ids = a1
        .insert_jobs(&[job("2026-01-01T10:00:00Z", "a's")])
        .unwrap();
    let a_job = a1.claim(&ids, due).unwrap()[0].1;
    a1.save_cron_retry(&retry("/etc/crontab:4")).unwrap();
    let b_cron = b
        .start_cron_runs(&[cron_run("crontab of alice:2", due, false)], due)
        .unwrap()[0]
        .unwrap();
    // host-a's daemon starts again (the previous one died).
    let a2 = node(&db, "host-a");
    assert_eq!(a2.running_runs().unwrap(), [a_cron, a_job]);
    assert_eq!(b.running_runs().unwrap(), [b_cron]);
    assert_eq!(a2.cron_retries().unwrap(), [retry("/etc/crontab:4")]);
    assert!(b.cron_retries().unwrap().is_empty());
    assert!(
        is_fenced(a1.set_last_handled(due)),
        "the previous incarnation is gone"
    );
    assert_eq!(
        fleet(&mut b).take_over().unwrap(),
        TakenOver::default(),
        "a node gone with its host's restart is not taken over: its host has its work"
    );
}

#[test]
fn jobs_due_and_the_crontabs_version_are_the_fleets() {
    let db = fresh!();
    let mut a = node(&db, "host-a");
    let mut b = node(&db, "host-b");
    let ids = a
        .insert_jobs(&[
            job("2026-01-01T10:02:00Z", "third"),
            NewJob {
                kind: JobKind::Batch,
                queue: 'b',
                ..job("2026-01-01T10:00:00Z", "first")
            },
            job("2026-01-01T10:01:00Z", "second"),
        ])
        .unwrap();
    assert_eq!(
        fleet(&mut b)
            .jobs_due_by(instant("2026-01-01T10:01:00Z"))
            .unwrap(),
        [
            DueJob {
                id: ids[1],
                due: instant("2026-01-01T10:00:00Z"),
                kind: JobKind::Batch,
                queue: 'b'
            },
            DueJob {
                id: ids[2],
                due: instant("2026-01-01T10:01:00Z"),
                kind: JobKind::At,
                queue: 'a'
            },
        ]
    );
    let version = |spool: &mut PgSpool| fleet(spool).crontabs_version().unwrap();
    let v0 = version(&mut b);
    let at = instant("2026-01-01T00:00:00Z");
    a.install_crontab(Uid(1000), Some("alice"), "@daily a\n", at, false)
        .unwrap();
    let v1 = version(&mut b);
    assert!(v1 > v0);
    assert_eq!(
        b.install_crontab(Uid(1000), Some("carol"), "@daily c\n", at, false)
            .unwrap(),
        CrontabInstall::HeldBy(Some("alice".to_owned()))
    );
    assert!(!b.remove_crontab(Uid(1001), None).unwrap());
    assert_eq!(version(&mut a), v1, "nothing changed, nor did the version");
    assert_eq!(b.crontab(Uid(1000)).unwrap().unwrap().text, "@daily a\n");
    assert!(b.remove_crontab(Uid(1000), Some("alice")).unwrap());
    assert!(version(&mut a) > v1);
}

#[test]
fn a_listing_streams_every_pending_job_and_stops_when_asked() {
    let db = fresh!();
    let mut spool = node(&db, "host-a");
    let jobs: Vec<NewJob> = (0..2500)
        .map(|i| job("2026-01-01T10:00:00Z", &format!("echo {i}")))
        .collect();
    for batch in jobs.chunks(1024) {
        spool.insert_jobs(batch).unwrap();
    }
    let mut seen = BTreeSet::new();
    spool
        .for_each_pending(Owner::Any, &mut |job| {
            seen.insert(job.command.to_owned());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(seen.len(), 2500);
    let mut visited = 0;
    spool
        .for_each_pending(Owner::Any, &mut |_| {
            visited += 1;
            if visited == 1500 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(visited, 1500);
    // The connection is usable after a listing stopped half-way.
    assert_eq!(spool.pending_owner_uids(Owner::Any).unwrap(), [Uid(1000)]);
}

#[test]
fn daemons_starting_together_migrate_once() {
    let db = fresh!();
    let start = Barrier::new(4);
    let nodes: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (db, start) = (&db, &start);
                scope.spawn(move || {
                    start.wait();
                    node(db, &format!("host-{i}")).node()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(nodes.iter().collect::<BTreeSet<_>>().len(), 4);
    let meta: BTreeMap<String, String> = db
        .admin()
        .query("SELECT key, value FROM schedd.meta", &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        meta,
        BTreeMap::from([
            ("application".to_owned(), "schedd".to_owned()),
            ("crontabs_version".to_owned(), "0".to_owned()),
            ("schema_version".to_owned(), PG_SCHEMA_VERSION.to_string()),
        ])
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM schedd.nodes WHERE NOT gone"),
        4
    );
}

/// The `schedd` schema as an administrator sees it: its relations, their
/// columns and the rows of its `jobs`.
fn snapshot(db: &TestDb) -> Vec<String> {
    let mut admin = db.admin();
    let mut lines = Vec::new();
    for sql in [
        "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'schedd' ORDER BY 1",
        "SELECT (table_name || '.' || column_name || ' ' || data_type)::text
         FROM information_schema.columns WHERE table_schema = 'schedd' ORDER BY 1",
        "SELECT t::text FROM schedd.jobs t ORDER BY 1",
    ] {
        for row in admin.query(sql, &[]).unwrap() {
            lines.push(row.get(0));
        }
    }
    lines
}

#[test]
fn a_schedd_schema_that_is_not_schedds_is_refused_and_left_unchanged() {
    let db = fresh!();
    db.admin()
        .batch_execute(
            "CREATE SCHEMA schedd;
             CREATE TABLE schedd.jobs (id int PRIMARY KEY, what text);
             INSERT INTO schedd.jobs VALUES (1, 'theirs'), (2, 'also theirs');",
        )
        .unwrap();
    let before = snapshot(&db);
    assert_eq!(before.len(), 6, "{before:?}");
    let error = PgSpool::open(&db.url, PgOptions::new("host-a")).unwrap_err();
    assert!(matches!(error, SpoolError::Foreign { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "spool {} is not a schedd spool (another program's database); it was left untouched",
            described(&db)
        )
    );
    assert_eq!(snapshot(&db), before);
    // A `meta` saying another application is not schedd's either.
    db.admin()
        .batch_execute(
            "CREATE TABLE schedd.meta (key text PRIMARY KEY, value text NOT NULL);
             INSERT INTO schedd.meta VALUES ('application', 'other'), ('schema_version', '1');",
        )
        .unwrap();
    let before = snapshot(&db);
    let error = PgSpool::open(&db.url, PgOptions::new("host-a")).unwrap_err();
    assert!(matches!(error, SpoolError::Foreign { .. }), "{error:?}");
    assert_eq!(snapshot(&db), before);
}

#[test]
fn a_newer_schema_is_refused_and_left_unchanged() {
    let db = fresh!();
    drop(node(&db, "host-a"));
    db.admin()
        .batch_execute("UPDATE schedd.meta SET value = '99' WHERE key = 'schema_version'")
        .unwrap();
    let before = snapshot(&db);
    let nodes = count(&db, "SELECT count(*) FROM schedd.nodes");
    let error = PgSpool::open(&db.url, PgOptions::new("host-a")).unwrap_err();
    assert!(
        matches!(
            error,
            SpoolError::TooNew { found: 99, known, .. } if known == PG_SCHEMA_VERSION
        ),
        "{error:?}"
    );
    assert_eq!(snapshot(&db), before);
    assert_eq!(count(&db, "SELECT count(*) FROM schedd.nodes"), nodes);
}

/// The CA of the test cluster's certificate.
fn ca() -> String {
    std::env::var(pg::CA_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{} is not set: the test cluster's certificate (scripts/pg-test-cluster.sh)",
            pg::CA_VARIABLE
        )
    })
}

/// Whether the spool's own session (application_name schedd) uses TLS.
fn session_uses_tls(db: &TestDb) -> bool {
    db.admin()
        .query_one(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = current_database() AND a.application_name = 'schedd'",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn tls_is_verified_as_sslmode_says() {
    let db = fresh!();
    let ca = ca();
    let open = |url: String| PgSpool::open(&url, PgOptions::new("host-a"));
    // The certificate names localhost and is signed by the CA given.
    let spool = open(db.url_with(
        Some("localhost"),
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .unwrap();
    assert!(session_uses_tls(&db));
    drop(spool);
    let spool = open(db.url_with(None, &format!("sslmode=verify-ca&sslrootcert={ca}"))).unwrap();
    assert!(session_uses_tls(&db));
    drop(spool);
    // Without the CA, the self-signed certificate is not trusted.
    let error = open(db.url_with(Some("localhost"), "sslmode=verify-full")).unwrap_err();
    assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
    assert!(!error.is_transient());
    let text = error.to_string();
    assert!(text.contains("certificate verify failed"), "{text}");
    assert!(text.contains("self-signed certificate"), "{text}");
    // require encrypts without checking the certificate.
    let spool = open(db.url_with(None, "sslmode=require")).unwrap();
    assert!(session_uses_tls(&db));
    drop(spool);
    let spool = open(db.url_with(None, "sslmode=disable")).unwrap();
    assert!(!session_uses_tls(&db));
    drop(spool);
}

#[test]
fn an_unreachable_server_is_reported_quickly_without_the_password() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let error = PgSpool::open(
        &format!("postgresql://alice:hunter2@127.0.0.1:{port}/spool?sslmode=disable"),
        PgOptions::new("host-a"),
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(error, SpoolError::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "spool postgresql://alice@127.0.0.1:{port}/spool is unreachable: "
        )),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!format!("{error:?}").contains("hunter2"));
}

#[test]
fn the_spools_name_never_carries_the_password() {
    let db = fresh!();
    // The cluster trusts its clients: the password is not asked for.
    let url = db
        .url
        .replacen("postgresql://postgres@", "postgresql://postgres:s3cret@", 1);
    assert_ne!(url, db.url, "the admin URL names the postgres user");
    let mut spool = PgSpool::open(&url, PgOptions::new("host-a")).unwrap();
    assert_eq!(spool.describe(), described(&db));
    assert!(!format!("{spool:?}").contains("s3cret"));
    let error = spool
        .finish_run(
            RunId(999),
            instant("2026-01-01T10:00:00Z"),
            &Outcome::Exited(0),
            &Output::default(),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("spool {}: no run 999", described(&db))
    );
}

#[test]
fn a_broken_connection_is_made_again_on_the_next_call() {
    let db = fresh!();
    let mut spool = node(&db, "host-a");
    assert_eq!(spool.swap_state("k", "1").unwrap(), None);
    let mut admin = db.admin();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'schedd'",
            &[],
        )
        .unwrap();
    let started = Instant::now();
    while admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'schedd'",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(started.elapsed() < PATIENCE, "the session did not end");
        std::thread::sleep(Duration::from_millis(10));
    }
    let error = spool.state("k").unwrap_err();
    assert!(matches!(error, SpoolError::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(spool.state("k").unwrap().as_deref(), Some("1"));
    assert_eq!(spool.swap_state("k", "2").unwrap().as_deref(), Some("1"));
}

/// A pause of a user's crontab line is the fleet's: every host reads it,
/// and the crontabs' version moves so that each reads it again. A pause of
/// a host's own line is that host's only.
#[test]
fn entry_controls_of_users_lines_are_the_fleets_and_of_own_lines_the_hosts() {
    use sched_spool::{ControlMark, EntryControl};
    let db = fresh!();
    let mut a = node(&db, "host-a");
    let mut b = node(&db, "host-b");
    let before = fleet(&mut b).crontabs_version().unwrap();
    let mark = ControlMark {
        by: "alice (uid 1000)".to_owned(),
        at: instant("2026-01-01T10:00:00Z"),
    };
    let users = EntryControl {
        entry: "crontab of alice#00000000000000aa".to_owned(),
        origin: "crontab of alice:1".to_owned(),
        owner_uid: Uid(1000),
        host_local: false,
        paused: Some(mark.clone()),
        skip_through: None,
    };
    let own = EntryControl {
        entry: "/etc/crontab#00000000000000bb".to_owned(),
        origin: "/etc/crontab:3".to_owned(),
        owner_uid: Uid(0),
        host_local: true,
        paused: Some(mark),
        skip_through: None,
    };
    a.set_entry_controls(&[users.clone(), own.clone()]).unwrap();
    assert!(fleet(&mut b).crontabs_version().unwrap() > before);
    assert_eq!(b.entry_controls().unwrap(), std::slice::from_ref(&users));
    let mut seen_by_a = a.entry_controls().unwrap();
    seen_by_a.sort_by(|x, y| x.entry.cmp(&y.entry));
    assert_eq!(seen_by_a, [own.clone(), users.clone()]);
    // Host b lifts the fleet's pause; a's own line stays paused.
    b.set_entry_controls(&[EntryControl {
        paused: None,
        ..users
    }])
    .unwrap();
    assert_eq!(a.entry_controls().unwrap(), [own]);
    assert_eq!(b.entry_controls().unwrap(), []);
}
