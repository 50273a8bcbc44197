//! The conformance suite of the storage seam, written once: every spool
//! backend runs it through [`suite!`], with a [`Backend`] that opens a
//! fresh, empty spool of its kind. The cases test the [`Store`] contract
//! only (owners, claims, runs, crontabs, state, durability across
//! reopening), never a backend's files or SQL.

use std::ops::ControlFlow;

use jiff::Timestamp;
use sched_spool::{
    ControlMark, CronRetry, CronRun, CrontabInstall, EntryControl, JobId, JobKind, JobRecord,
    NewJob, Occurrence, Outcome, Output, Owner, RunEnd, RunId, RunKind, SpoolError, Store, Uid,
};

/// One spool of a backend, empty when the test starts.
pub trait Backend {
    /// Opens the spool: a second call after the first store is dropped
    /// opens the same spool again (a daemon restarting).
    fn open(&self) -> Box<dyn Store>;
}

/// One `#[test]` per case, for the backend `make()` returns.
#[macro_export]
macro_rules! suite {
    ($make:expr) => {
        $crate::suite!(@cases $make;
            jobs_round_trip_every_field_and_survive_reopening,
            owners_see_and_remove_only_their_own_jobs,
            an_account_sees_only_the_rows_of_its_uid_stored_under_its_name,
            a_claim_consumes_the_job_and_records_a_running_run_once,
            an_unclaimed_job_is_pending_again_under_its_id_with_no_run_left,
            runs_left_running_are_found_after_reopening_and_marked_lost,
            finishing_a_run_that_does_not_exist_is_not_found,
            run_ends_recorded_together_are_answered_each_for_itself,
            a_note_is_kept_on_a_run_that_did_not_fail,
            cron_runs_are_recorded_with_their_origin_and_listed_by_owner,
            only_the_newest_finished_runs_of_each_crontab_entry_are_kept,
            crontabs_are_installed_replaced_listed_and_removed_per_user,
            a_former_holders_crontab_is_kept_unless_root_replaces_it,
            state_values_are_swapped_and_survive_reopening,
            a_visit_stops_when_asked,
            a_retried_job_is_pending_again_under_its_id_with_its_attempt,
            occurrences_that_did_not_run_are_in_the_history_with_their_reason,
            a_timed_out_run_keeps_both_instants_and_how_it_ended,
            the_last_instant_handled_survives_reopening,
            runs_made_ready_ahead_are_given_back_or_dropped_when_never_reached,
            cron_retries_are_kept_replaced_dropped_and_survive_reopening,
            a_lost_run_gives_back_its_job_when_the_job_has_a_policy,
            entry_controls_are_kept_replaced_removed_and_survive_reopening,
            an_entrys_health_counts_back_to_its_last_success,
        );
    };
    (@cases $make:expr; $($case:ident,)*) => {
        $(
            #[test]
            fn $case() {
                let backend = $make;
                $crate::conformance::$case(&backend);
            }
        )*
    };
}

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

fn cron_run(origin: &str, due: Timestamp) -> CronRun {
    CronRun {
        owner_uid: Uid(1000),
        owner_name: None,
        command: "echo".to_owned(),
        origin: origin.to_owned(),
        due,
        attempt: 1,
        host_local: false,
    }
}

/// Starts `runs` at `now`, each of which must be claimed.
fn start_all(store: &mut dyn Store, runs: &[CronRun], now: Timestamp) -> Vec<RunId> {
    store
        .start_cron_runs(runs, now)
        .unwrap()
        .into_iter()
        .map(|id| id.expect("a new occurrence is claimed"))
        .collect()
}

/// (id, command, due) of each pending job `owner` may see, by id.
fn pending(store: &dyn Store, owner: Owner) -> Vec<(JobId, String, Timestamp)> {
    let mut jobs = Vec::new();
    store
        .for_each_pending(owner, &mut |job| {
            jobs.push((job.id, job.command.to_owned(), job.due));
            ControlFlow::Continue(())
        })
        .unwrap();
    jobs.sort();
    jobs
}

pub fn jobs_round_trip_every_field_and_survive_reopening(backend: &dyn Backend) {
    let ids = backend
        .open()
        .insert_jobs(&[
            job(1000, "2026-02-01T10:00:00Z", "b"),
            NewJob {
                kind: JobKind::Batch,
                queue: 'E',
                mail: sched_spool::Mail::Always,
                ..job(1000, "2026-01-01T10:00:00Z", "a")
            },
        ])
        .unwrap();
    assert!(ids[0] < ids[1], "ids count up: {ids:?}");
    let store = backend.open();
    assert_eq!(
        pending(&*store, Owner::Any),
        vec![
            (ids[0], "b".to_owned(), instant("2026-02-01T10:00:00Z")),
            (ids[1], "a".to_owned(), instant("2026-01-01T10:00:00Z")),
        ],
    );
    assert_eq!(
        store.job(ids[0], Owner::Any).unwrap().unwrap().job,
        job(1000, "2026-02-01T10:00:00Z", "b"),
        "every field, the environment included, round-trips"
    );
    let batch = store.job(ids[1], Owner::Any).unwrap().unwrap().job;
    assert_eq!(
        (batch.kind, batch.queue, batch.mail),
        (JobKind::Batch, 'E', sched_spool::Mail::Always)
    );
}

pub fn owners_see_and_remove_only_their_own_jobs(backend: &dyn Backend) {
    let mut store = backend.open();
    let ids = store
        .insert_jobs(&[
            job(1000, "2026-01-01T10:00:00Z", "mine"),
            job(1001, "2026-01-01T10:00:00Z", "theirs"),
        ])
        .unwrap();
    let mine = pending(&*store, Owner::Uid(Uid(1000)));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, "mine");
    assert_eq!(
        store.pending_owner_uids(Owner::Any).unwrap(),
        [Uid(1000), Uid(1001)]
    );
    assert_eq!(
        store.pending_owner_uids(Owner::Uid(Uid(1001))).unwrap(),
        [Uid(1001)]
    );
    assert!(store.job(ids[1], Owner::Uid(Uid(1000))).unwrap().is_none());
    assert!(store.job(ids[1], Owner::Any).unwrap().is_some());
    assert!(store.remove_jobs(&[ids[1]], Owner::Uid(Uid(1000))).unwrap()[0].is_none());
    assert!(store.remove_jobs(&[ids[1]], Owner::Uid(Uid(1001))).unwrap()[0].is_some());
    assert!(
        store.remove_jobs(&[ids[1]], Owner::Any).unwrap()[0].is_none(),
        "already removed"
    );
    assert!(store.remove_jobs(&[JobId(u64::MAX)], Owner::Any).unwrap()[0].is_none());
}

pub fn an_account_sees_only_the_rows_of_its_uid_stored_under_its_name(backend: &dyn Backend) {
    let mut store = backend.open();
    let named = |name: Option<&str>, command: &str| NewJob {
        owner_name: name.map(str::to_owned),
        ..job(1000, "2026-01-01T10:00:00Z", command)
    };
    let ids = store
        .insert_jobs(&[
            named(Some("alice"), "alice's"),
            named(None, "from before names"),
            named(Some("bob"), "bob's"),
        ])
        .unwrap();
    let commands = |store: &dyn Store, owner: Owner| -> Vec<String> {
        pending(store, owner)
            .into_iter()
            .map(|(_, command, _)| command)
            .collect()
    };
    let account = |name: Option<&str>| Owner::Account {
        uid: Uid(1000),
        name: name.map(str::to_owned),
    };
    // A row without a name is root's alone.
    assert_eq!(commands(&*store, account(Some("bob"))), ["bob's"]);
    assert!(commands(&*store, account(None)).is_empty());
    assert_eq!(commands(&*store, Owner::Any).len(), 3);
    assert_eq!(commands(&*store, Owner::Uid(Uid(1000))).len(), 3);
    assert_eq!(
        store.pending_owner_uids(account(Some("carol"))).unwrap(),
        [Uid(0); 0]
    );
    assert_eq!(
        store.pending_owner_uids(account(Some("bob"))).unwrap(),
        [Uid(1000)]
    );
    // Removal follows the same rule.
    let removed = store.remove_jobs(&ids, account(Some("bob"))).unwrap();
    let removed: Vec<bool> = removed.iter().map(Option::is_some).collect();
    assert_eq!(removed, [false, false, true]);
}

pub fn a_claim_consumes_the_job_and_records_a_running_run_once(backend: &dyn Backend) {
    let mut store = backend.open();
    let id = store
        .insert_jobs(&[job(1000, "2026-01-01T10:00:00Z", "echo hi")])
        .unwrap()[0];
    let started = instant("2026-01-01T10:00:00.002Z");
    let (claimed, run) = store.claim(&[id], started).unwrap().remove(0);
    assert_eq!(claimed.id, id);
    assert!(
        store.claim(&[id], started).unwrap().is_empty(),
        "a job runs once"
    );
    assert!(pending(&*store, Owner::Any).is_empty());
    let launched = instant("2026-01-01T10:00:00.003Z");
    assert!(
        store.runs(Owner::Any, None, 10).unwrap().is_empty(),
        "a claimed run is listed once it has started"
    );
    store.set_started(&[(run, 4242, launched)], None).unwrap();
    assert_eq!(
        store
            .runs_in_progress(Owner::Uid(Uid(1000)))
            .unwrap()
            .iter()
            .map(|run| (run.id, run.job_id, run.pid))
            .collect::<Vec<_>>(),
        [(run, Some(id), Some(4242))]
    );
    let output = Output {
        head: b"hi\n".to_vec(),
        tail: Vec::new(),
        total_bytes: 3,
    };
    store
        .finish_run(
            run,
            instant("2026-01-01T10:00:01Z"),
            &Outcome::Exited(3),
            &output,
        )
        .unwrap();
    let runs = store.runs(Owner::Uid(Uid(1000)), Some(id), 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started, launched);
    assert_eq!(runs[0].pid, Some(4242));
    assert_eq!(runs[0].outcome, Outcome::Exited(3));
    assert_eq!(runs[0].output, output);
    assert_eq!(runs[0].kind, RunKind::At);
    assert!(
        store
            .runs(Owner::Uid(Uid(1001)), None, 10)
            .unwrap()
            .is_empty()
    );
    assert!(store.runs_in_progress(Owner::Any).unwrap().is_empty());
}

pub fn an_unclaimed_job_is_pending_again_under_its_id_with_no_run_left(backend: &dyn Backend) {
    let mut store = backend.open();
    let ids = store
        .insert_jobs(&[
            job(1000, "2026-01-01T10:00:00Z", "echo one"),
            job(1001, "2026-01-01T10:00:00Z", "echo two"),
        ])
        .unwrap();
    let before = store.job(ids[0], Owner::Any).unwrap().unwrap();
    let claimed = store
        .claim(&ids, instant("2026-01-01T09:59:59.95Z"))
        .unwrap();
    assert_eq!(claimed.len(), 2);
    store.unclaim(&claimed[..1]).unwrap();
    assert_eq!(store.job(ids[0], Owner::Any).unwrap(), Some(before));
    assert_eq!(store.job(ids[1], Owner::Any).unwrap(), None);
    assert_eq!(
        store.running_runs().unwrap(),
        [claimed[1].1],
        "only the second claim is left"
    );
    // Ids stay unique: the next job gets a new one.
    let next = store
        .insert_jobs(&[job(1000, "2026-01-01T11:00:00Z", "echo three")])
        .unwrap()[0];
    assert!(next > ids[1]);
    // Claimed again, it runs once.
    assert_eq!(
        store
            .claim(&ids[..1], instant("2026-01-01T10:00:00Z"))
            .unwrap()
            .len(),
        1
    );
}

pub fn runs_left_running_are_found_after_reopening_and_marked_lost(backend: &dyn Backend) {
    let run = {
        let mut store = backend.open();
        let id = store
            .insert_jobs(&[job(0, "2026-01-01T10:00:00Z", "sleep 100")])
            .unwrap()[0];
        store
            .claim(&[id], instant("2026-01-01T10:00:00Z"))
            .unwrap()
            .remove(0)
            .1
    };
    let mut store = backend.open();
    assert_eq!(store.running_runs().unwrap(), vec![run]);
    let left = Output {
        head: b"partial".to_vec(),
        tail: Vec::new(),
        total_bytes: 7,
    };
    store
        .finish_run(run, instant("2026-01-01T11:00:00Z"), &Outcome::Lost, &left)
        .unwrap();
    let runs = store.runs(Owner::Any, None, 10).unwrap();
    assert_eq!(runs[0].outcome, Outcome::Lost);
    assert_eq!(runs[0].finished, Some(instant("2026-01-01T11:00:00Z")));
    assert_eq!(runs[0].output, left);
    assert!(store.running_runs().unwrap().is_empty());
}

pub fn finishing_a_run_that_does_not_exist_is_not_found(backend: &dyn Backend) {
    let mut store = backend.open();
    let error = store
        .finish_run(
            RunId(999),
            instant("2026-01-01T11:00:00Z"),
            &Outcome::Exited(0),
            &Output::default(),
        )
        .unwrap_err();
    assert!(matches!(error, SpoolError::NotFound { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert!(error.to_string().ends_with("no run 999"), "{error}");
}

/// Ends recorded together (a burst of runs ending at once) are each
/// recorded as alone, in the order given: a run that does not exist is
/// not found without failing the others, a run named twice ends as its
/// last end says, and a crontab line keeps as many finished runs as set.
pub fn run_ends_recorded_together_are_answered_each_for_itself(backend: &dyn Backend) {
    let mut store = backend.open();
    let due = instant("2026-01-01T10:00:00Z");
    let jobs = store
        .insert_jobs(&[
            job(1000, "2026-01-01T10:00:00Z", "first"),
            job(1000, "2026-01-01T10:00:00Z", "second"),
        ])
        .unwrap();
    let at: Vec<RunId> = store
        .claim(&jobs, due)
        .unwrap()
        .into_iter()
        .map(|(_, run)| run)
        .collect();
    let next = due + jiff::SignedDuration::from_secs(60);
    let crons = start_all(
        &mut *store,
        &[
            cron_run("crontab of alice:1", due),
            cron_run("crontab of alice:1", next),
        ],
        due,
    );
    let (cron, newer) = (crons[0], crons[1]);
    store
        .set_started(
            &[
                (at[0], 7, due),
                (at[1], 8, due),
                (cron, 9, due),
                (newer, 10, next),
            ],
            None,
        )
        .unwrap();
    // One finished run kept per crontab line: ends recorded together
    // prune as ends recorded alone do.
    store.set_cron_runs_kept(1);
    let output = |text: &str| Output {
        head: text.as_bytes().to_vec(),
        tail: b"end".to_vec(),
        total_bytes: 1 << 20,
    };
    let timed_out = Outcome::TimedOut {
        stopped: instant("2026-01-01T10:05:00Z"),
        code: None,
        signal: Some(15),
    };
    let end = |run: RunId, second: i64, outcome: Outcome, output: Output| RunEnd {
        run,
        finished: due + jiff::SignedDuration::from_secs(second),
        outcome,
        output,
    };
    let answers = store.finish_runs(&[
        end(at[0], 1, Outcome::Exited(3), output("first")),
        end(cron, 2, Outcome::Exited(0), output("cron")),
        end(RunId(999), 3, Outcome::Exited(0), Output::default()),
        end(at[1], 4, timed_out.clone(), output("second")),
        end(at[0], 5, Outcome::Signalled(9), output("again")),
        end(newer, 66, Outcome::Exited(1), output("newer")),
    ]);
    assert_eq!(answers.len(), 6);
    assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
    assert!(
        matches!(&answers[2], Err(SpoolError::NotFound { .. })),
        "{answers:?}"
    );
    assert!(
        answers[3].is_ok() && answers[4].is_ok() && answers[5].is_ok(),
        "{answers:?}"
    );
    drop(store);
    let store = backend.open();
    assert!(store.running_runs().unwrap().is_empty());
    let mut runs: Vec<(RunId, Outcome, Option<Timestamp>, Output)> = store
        .runs(Owner::Any, None, 10)
        .unwrap()
        .into_iter()
        .map(|run| (run.id, run.outcome, run.finished, run.output))
        .collect();
    runs.sort_by_key(|run| run.0);
    let mut expected = vec![
        (
            at[0],
            Outcome::Signalled(9),
            Some(due + jiff::SignedDuration::from_secs(5)),
            output("again"),
        ),
        (
            at[1],
            timed_out,
            Some(due + jiff::SignedDuration::from_secs(4)),
            output("second"),
        ),
        (
            newer,
            Outcome::Exited(1),
            Some(due + jiff::SignedDuration::from_secs(66)),
            output("newer"),
        ),
    ];
    expected.sort_by_key(|run| run.0);
    assert_eq!(runs, expected);
}

pub fn a_note_is_kept_on_a_run_that_did_not_fail(backend: &dyn Backend) {
    let mut store = backend.open();
    let due = instant("2026-01-01T10:00:00Z");
    let ids = start_all(
        &mut *store,
        &[
            cron_run("crontab of alice:1", due),
            cron_run("crontab of alice:2", due),
        ],
        due,
    );
    store
        .set_started(&[(ids[0], 7, due), (ids[1], 8, due)], None)
        .unwrap();
    let end = instant("2026-01-01T10:00:01Z");
    store
        .finish_run(ids[0], end, &Outcome::Signalled(15), &Output::default())
        .unwrap();
    store
        .finish_run(
            ids[1],
            end,
            &Outcome::Failed("no shell".to_owned()),
            &Output::default(),
        )
        .unwrap();
    store.note_run(ids[0], "killed by alice").unwrap();
    store.note_run(ids[1], "killed by alice").unwrap();
    let runs = store.runs(Owner::Any, None, 10).unwrap();
    let notes: Vec<(RunId, Option<&str>)> = runs
        .iter()
        .map(|run| (run.id, run.note.as_deref()))
        .collect();
    // A failed run's reason is its note: it is not overwritten.
    assert_eq!(notes, [(ids[1], None), (ids[0], Some("killed by alice"))]);
    assert_eq!(runs[0].outcome, Outcome::Failed("no shell".to_owned()));
}

pub fn cron_runs_are_recorded_with_their_origin_and_listed_by_owner(backend: &dyn Backend) {
    let mut store = backend.open();
    let due = instant("2026-01-01T10:00:00Z");
    let ids = start_all(
        &mut *store,
        &[
            CronRun {
                command: "echo a".to_owned(),
                ..cron_run("crontab of alice:3", due)
            },
            CronRun {
                owner_uid: Uid(0),
                command: "echo b".to_owned(),
                ..cron_run("/etc/cron.d/php:14", due)
            },
        ],
        due,
    );
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1]);
    store.set_started(&[(ids[0], 77, due)], None).unwrap();
    store
        .finish_run(
            ids[0],
            instant("2026-01-01T10:00:01Z"),
            &Outcome::Exited(0),
            &Output::default(),
        )
        .unwrap();
    let runs = store.runs(Owner::Uid(Uid(1000)), None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].kind, RunKind::Cron);
    assert_eq!(runs[0].job_id, None);
    assert_eq!(runs[0].origin.as_deref(), Some("crontab of alice:3"));
    assert_eq!(runs[0].command, "echo a");
    assert_eq!(runs[0].pid, Some(77));
    assert_eq!(
        store
            .runs_of_origin(Owner::Any, "crontab of alice:3", 10)
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .runs_of_origin(Owner::Uid(Uid(1001)), "crontab of alice:3", 10)
            .unwrap()
            .is_empty()
    );
    // Not started yet (no pid): not listed, but lost if the daemon dies.
    assert!(store.runs(Owner::Uid(Uid(0)), None, 10).unwrap().is_empty());
    assert_eq!(store.running_runs().unwrap(), vec![ids[1]]);
}

pub fn only_the_newest_finished_runs_of_each_crontab_entry_are_kept(backend: &dyn Backend) {
    let mut store = backend.open();
    store.set_cron_runs_kept(3);
    let run_of = |store: &mut Box<dyn Store>, origin: &str, minute: i64| {
        let due = instant("2026-01-01T10:00:00Z") + jiff::SignedDuration::from_mins(minute);
        let ids = start_all(&mut **store, &[cron_run(origin, due)], due);
        store.set_started(&[(ids[0], 77, due)], None).unwrap();
        ids[0]
    };
    // One entry runs five times; another once; a run still going is kept
    // whatever its age.
    let still_running = run_of(&mut store, "crontab of alice:1", 0);
    let end = instant("2026-01-01T11:00:00Z");
    let mut finished = Vec::new();
    for minute in 1..=5 {
        let id = run_of(&mut store, "crontab of alice:1", minute);
        store
            .finish_run(id, end, &Outcome::Exited(0), &Output::default())
            .unwrap();
        finished.push(id);
    }
    let other = run_of(&mut store, "crontab of alice:2", 0);
    store
        .finish_run(other, end, &Outcome::Exited(1), &Output::default())
        .unwrap();
    let mut kept: Vec<RunId> = store
        .runs(Owner::Uid(Uid(1000)), None, 100)
        .unwrap()
        .iter()
        .map(|run| run.id)
        .collect();
    kept.sort();
    let mut expected = vec![still_running, finished[2], finished[3], finished[4], other];
    expected.sort();
    assert_eq!(kept, expected);
}

pub fn crontabs_are_installed_replaced_listed_and_removed_per_user(backend: &dyn Backend) {
    {
        let mut store = backend.open();
        assert_eq!(store.crontab(Uid(1000)).unwrap(), None);
        let install = |store: &mut Box<dyn Store>, uid, name, text, at| {
            store
                .install_crontab(uid, name, text, instant(at), true)
                .unwrap()
        };
        let a = install(
            &mut store,
            Uid(1000),
            Some("alice"),
            "* * * * * echo a\n",
            "2026-01-01T00:00:00Z",
        );
        let b = install(
            &mut store,
            Uid(1001),
            None,
            "0 0 * * * echo b\n",
            "2026-01-01T00:00:01Z",
        );
        let c = install(
            &mut store,
            Uid(1000),
            Some("alice2"),
            "5 * * * * echo c\n",
            "2026-01-01T00:00:02Z",
        );
        assert_eq!(
            [a, b, c],
            [
                CrontabInstall::Installed,
                CrontabInstall::Installed,
                CrontabInstall::Installed
            ]
        );
    }
    let mut store = backend.open();
    let mine = store.crontab(Uid(1000)).unwrap().unwrap();
    assert_eq!(mine.text, "5 * * * * echo c\n");
    assert_eq!(mine.installed, instant("2026-01-01T00:00:02Z"));
    assert_eq!(mine.owner_name.as_deref(), Some("alice2"));
    let all = store.crontabs().unwrap();
    assert_eq!(
        all.iter()
            .map(|c| (c.owner_uid.0, c.text.as_str()))
            .collect::<Vec<_>>(),
        vec![(1000, "5 * * * * echo c\n"), (1001, "0 0 * * * echo b\n")]
    );
    // A crontab stored without a name (before schema 5) adopts one once.
    assert_eq!(store.uids_without_owner_name().unwrap(), vec![Uid(1001)]);
    store.adopt_owner_name(Uid(1001), "bob").unwrap();
    store.adopt_owner_name(Uid(1000), "mallory").unwrap();
    assert_eq!(
        store
            .crontab(Uid(1001))
            .unwrap()
            .unwrap()
            .owner_name
            .as_deref(),
        Some("bob")
    );
    assert_eq!(
        store
            .crontab(Uid(1000))
            .unwrap()
            .unwrap()
            .owner_name
            .as_deref(),
        Some("alice2"),
        "a name already kept is never replaced"
    );
    assert!(store.uids_without_owner_name().unwrap().is_empty());
    // Removal only of a named owner's crontab, or of any.
    assert!(!store.remove_crontab(Uid(1000), Some("alice")).unwrap());
    assert!(store.remove_crontab(Uid(1000), Some("alice2")).unwrap());
    assert!(!store.remove_crontab(Uid(1000), None).unwrap());
    assert_eq!(store.crontab(Uid(1000)).unwrap(), None);
    assert!(store.remove_crontab(Uid(1001), None).unwrap());
    assert!(store.crontabs().unwrap().is_empty());
}

pub fn a_former_holders_crontab_is_kept_unless_root_replaces_it(backend: &dyn Backend) {
    let mut store = backend.open();
    let at = instant("2026-01-01T00:00:00Z");
    assert_eq!(
        store
            .install_crontab(Uid(1000), Some("alice"), "@daily a\n", at, false)
            .unwrap(),
        CrontabInstall::Installed
    );
    // The same account replaces its own.
    assert_eq!(
        store
            .install_crontab(Uid(1000), Some("alice"), "@daily b\n", at, false)
            .unwrap(),
        CrontabInstall::Installed
    );
    // A newcomer holding the uid does not.
    assert_eq!(
        store
            .install_crontab(Uid(1000), Some("carol"), "@daily c\n", at, false)
            .unwrap(),
        CrontabInstall::HeldBy(Some("alice".to_owned()))
    );
    assert_eq!(
        store.crontab(Uid(1000)).unwrap().unwrap().text,
        "@daily b\n"
    );
    // Root (replace_any) does.
    assert_eq!(
        store
            .install_crontab(Uid(1000), Some("carol"), "@daily c\n", at, true)
            .unwrap(),
        CrontabInstall::Installed
    );
    let now = store.crontab(Uid(1000)).unwrap().unwrap();
    assert_eq!(
        (now.text.as_str(), now.owner_name.as_deref()),
        ("@daily c\n", Some("carol"))
    );
}

pub fn state_values_are_swapped_and_survive_reopening(backend: &dyn Backend) {
    {
        let mut store = backend.open();
        assert_eq!(store.state("boot").unwrap(), None);
        assert_eq!(store.swap_state("boot", "a").unwrap(), None);
        assert_eq!(store.swap_state("boot", "b").unwrap().as_deref(), Some("a"));
    }
    let mut store = backend.open();
    assert_eq!(store.state("boot").unwrap().as_deref(), Some("b"));
    // The same value again: the old one is returned and nothing changes.
    assert_eq!(store.swap_state("boot", "b").unwrap().as_deref(), Some("b"));
    assert_eq!(store.state("boot").unwrap().as_deref(), Some("b"));
    assert_eq!(store.state("other").unwrap(), None);
}

pub fn a_visit_stops_when_asked(backend: &dyn Backend) {
    let mut store = backend.open();
    let jobs: Vec<NewJob> = (0..5)
        .map(|i| job(1000, "2026-01-01T10:00:00Z", &format!("echo {i}")))
        .collect();
    store.insert_jobs(&jobs).unwrap();
    let mut seen = 0;
    store
        .for_each_pending(Owner::Any, &mut |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(seen, 2);
}

pub fn a_retried_job_is_pending_again_under_its_id_with_its_attempt(backend: &dyn Backend) {
    let mut store = backend.open();
    let first = instant("2026-01-01T10:00:00Z");
    let ids = store
        .insert_jobs(&[NewJob {
            policy: "retry=2 timeout=60s".to_owned(),
            ..job(1000, "2026-01-01T10:00:00Z", "flaky")
        }])
        .unwrap();
    let claimed = store.claim(&ids, first).unwrap();
    let (record, run) = claimed[0].clone();
    assert_eq!(record.job.policy, "retry=2 timeout=60s");
    assert_eq!((record.job.attempt, record.job.scheduled), (1, None));
    store
        .finish_run(run, first, &Outcome::Exited(1), &Output::default())
        .unwrap();
    let retry_at = instant("2026-01-01T10:00:10Z");
    let retry = JobRecord {
        id: record.id,
        job: NewJob {
            attempt: 2,
            scheduled: Some(first),
            due: retry_at,
            ..record.job.clone()
        },
    };
    store.requeue_job(&retry).unwrap();
    drop(store);
    let mut store = backend.open();
    assert_eq!(
        pending(&*store, Owner::Any),
        vec![(record.id, "flaky".to_owned(), retry_at)]
    );
    assert_eq!(
        store.job(record.id, Owner::Any).unwrap(),
        Some(retry.clone())
    );
    // The retry's run is attempt 2 of the occurrence due at the first instant.
    let claimed = store.claim(&[record.id], retry_at).unwrap();
    assert_eq!(claimed[0].0, retry);
    store
        .set_started(&[(claimed[0].1, 42, retry_at)], None)
        .unwrap();
    let runs = store.runs(Owner::Any, Some(record.id), 10).unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| (r.attempt, r.due, r.started))
            .collect::<Vec<_>>(),
        vec![(2, first, retry_at), (1, first, first)]
    );
}

pub fn occurrences_that_did_not_run_are_in_the_history_with_their_reason(backend: &dyn Backend) {
    let mut store = backend.open();
    store.set_cron_runs_kept(3);
    let due = instant("2026-01-01T10:00:00Z");
    let at = instant("2026-01-01T10:00:02Z");
    let occurrence = |outcome: Outcome, attempt: u32| Occurrence {
        kind: RunKind::Cron,
        job_id: None,
        owner_uid: Uid(1000),
        owner_name: Some("alice".to_owned()),
        command: "backup".to_owned(),
        origin: Some("crontab of alice:2".to_owned()),
        due,
        attempt,
        at,
        outcome,
        host_local: false,
    };
    let outcomes = [
        Outcome::Skipped("the previous run r4 still runs (overlap skip)".to_owned()),
        Outcome::Missed("the daemon was not running".to_owned()),
        Outcome::Superseded("the next occurrence came first".to_owned()),
    ];
    store
        .record_occurrences(
            &outcomes
                .iter()
                .enumerate()
                .map(|(i, outcome)| occurrence(outcome.clone(), i as u32 + 1))
                .collect::<Vec<_>>(),
            Some(at),
        )
        .unwrap();
    let runs = store
        .runs_of_origin(Owner::Any, "crontab of alice:2", 10)
        .unwrap();
    let found: Vec<_> = runs
        .iter()
        .rev()
        .map(|r| {
            (
                r.outcome.clone(),
                r.attempt,
                r.due,
                r.started,
                r.finished,
                r.pid,
                r.note.clone(),
            )
        })
        .collect();
    let expected: Vec<_> = outcomes
        .iter()
        .enumerate()
        .map(|(i, outcome)| (outcome.clone(), i as u32 + 1, due, at, Some(at), None, None))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(store.last_handled().unwrap(), Some(at));
    // They count toward the entry's kept history.
    let next = Occurrence {
        due: instant("2026-01-01T10:01:00Z"),
        ..occurrence(outcomes[1].clone(), 1)
    };
    store.record_occurrences(&[next], None).unwrap();
    let runs = store
        .runs_of_origin(Owner::Any, "crontab of alice:2", 10)
        .unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2].outcome, outcomes[1]);
    // A note is not put on an occurrence that did not run.
    store.note_run(runs[0].id, "a note").unwrap();
    assert_eq!(
        store
            .runs_of_origin(Owner::Any, "crontab of alice:2", 1)
            .unwrap()[0]
            .note,
        None
    );
}

pub fn a_timed_out_run_keeps_both_instants_and_how_it_ended(backend: &dyn Backend) {
    let mut store = backend.open();
    let due = instant("2026-01-01T10:00:00Z");
    let ids = start_all(&mut *store, &[cron_run("/etc/cron.d/slow:1", due)], due);
    let stopped = instant("2026-01-01T10:10:00Z");
    let outcome = Outcome::TimedOut {
        stopped,
        code: None,
        signal: Some(15),
    };
    store
        .finish_run(
            ids[0],
            instant("2026-01-01T10:10:01Z"),
            &outcome,
            &Output::default(),
        )
        .unwrap();
    store.note_run(ids[0], "SIGKILL after 10s").unwrap();
    drop(store);
    let store = backend.open();
    let run = &store.runs(Owner::Any, None, 1).unwrap()[0];
    assert_eq!(run.outcome, outcome);
    assert_eq!(run.started, due);
    assert_eq!(run.finished, Some(instant("2026-01-01T10:10:01Z")));
    assert_eq!(run.note.as_deref(), Some("SIGKILL after 10s"));
}

pub fn the_last_instant_handled_survives_reopening(backend: &dyn Backend) {
    let mut store = backend.open();
    assert_eq!(store.last_handled().unwrap(), None);
    let due = instant("2026-01-01T10:00:00Z");
    start_all(&mut *store, &[cron_run("/etc/crontab:3", due)], due);
    assert_eq!(store.last_handled().unwrap(), Some(due));
    let stop = instant("2026-01-01T10:30:00Z");
    store.set_last_handled(stop).unwrap();
    drop(store);
    assert_eq!(backend.open().last_handled().unwrap(), Some(stop));
}

/// A crontab run recorded ahead of its instant and given back is gone,
/// its occurrence free to be claimed again; one left unstarted past the
/// last instant handled (the daemon died before its instant) is dropped;
/// one claimed at its instant is not; the start of runs made ready
/// records the instant handled with it.
pub fn runs_made_ready_ahead_are_given_back_or_dropped_when_never_reached(backend: &dyn Backend) {
    let mut store = backend.open();
    let first = instant("2026-01-01T10:00:00Z");
    let claimed = start_all(&mut *store, &[cron_run("/etc/crontab:3", first)], first)[0];
    let next = instant("2026-01-01T10:01:00Z");
    let ahead = start_all(
        &mut *store,
        &[cron_run("/etc/crontab:3", next)],
        instant("2026-01-01T10:00:59.8Z"),
    )[0];
    assert_eq!(store.running_runs().unwrap(), [claimed, ahead]);
    store.unclaim_cron_runs(&[ahead]).unwrap();
    assert_eq!(store.running_runs().unwrap(), [claimed]);
    let again = start_all(
        &mut *store,
        &[cron_run("/etc/crontab:3", next)],
        instant("2026-01-01T10:00:59.9Z"),
    )[0];
    assert_ne!(again, ahead);
    // A started run is not given back.
    store.set_started(&[(claimed, 7, first)], None).unwrap();
    store.unclaim_cron_runs(&[claimed]).unwrap();
    assert_eq!(store.running_runs().unwrap(), [claimed, again]);
    drop(store);
    let mut store = backend.open();
    assert_eq!(store.drop_unreached_cron_runs().unwrap(), [again]);
    assert_eq!(store.drop_unreached_cron_runs().unwrap(), []);
    assert_eq!(store.running_runs().unwrap(), [claimed]);
    store
        .set_started(&[(claimed, 7, first)], Some(next))
        .unwrap();
    assert_eq!(store.last_handled().unwrap(), Some(next));
}

pub fn cron_retries_are_kept_replaced_dropped_and_survive_reopening(backend: &dyn Backend) {
    let mut store = backend.open();
    let retry = |origin: &str, scheduled: &str, attempt: u32, at: &str| CronRetry {
        origin: origin.to_owned(),
        command: "flaky".to_owned(),
        owner_uid: Uid(1000),
        scheduled: instant(scheduled),
        attempt,
        at: instant(at),
    };
    let a2 = retry(
        "crontab of alice:1",
        "2026-01-01T10:00:00Z",
        2,
        "2026-01-01T10:00:10Z",
    );
    let a3 = retry(
        "crontab of alice:1",
        "2026-01-01T10:00:00Z",
        3,
        "2026-01-01T10:00:30Z",
    );
    let b2 = retry(
        "/etc/cron.d/x:4",
        "2026-01-01T09:00:00Z",
        2,
        "2026-01-01T10:00:20Z",
    );
    store.save_cron_retry(&a2).unwrap();
    store.save_cron_retry(&b2).unwrap();
    store.save_cron_retry(&a3).unwrap();
    drop(store);
    let mut store = backend.open();
    assert_eq!(store.cron_retries().unwrap(), vec![b2.clone(), a3.clone()]);
    assert!(store.drop_cron_retry(&a3.origin, a3.scheduled).unwrap());
    assert!(!store.drop_cron_retry(&a3.origin, a3.scheduled).unwrap());
    assert_eq!(store.cron_retries().unwrap(), vec![b2]);
}

pub fn a_lost_run_gives_back_its_job_when_the_job_has_a_policy(backend: &dyn Backend) {
    let mut store = backend.open();
    let start = instant("2026-01-01T10:00:00Z");
    let ids = store
        .insert_jobs(&[
            NewJob {
                policy: "retry=1 retry-lost=yes".to_owned(),
                ..job(1000, "2026-01-01T10:00:00Z", "with")
            },
            job(1000, "2026-01-01T10:00:00Z", "without"),
            NewJob {
                policy: "retry=1".to_owned(),
                ..job(1000, "2026-01-01T10:00:00Z", "finished")
            },
        ])
        .unwrap();
    let claimed = store.claim(&ids, start).unwrap();
    let runs: Vec<RunId> = claimed.iter().map(|(_, run)| *run).collect();
    store
        .set_started(
            &runs.iter().map(|&run| (run, 7, start)).collect::<Vec<_>>(),
            None,
        )
        .unwrap();
    store
        .finish_run(runs[2], start, &Outcome::Exited(0), &Output::default())
        .unwrap();
    drop(store);
    let mut store = backend.open();
    assert_eq!(store.running_runs().unwrap(), runs[..2].to_vec());
    let later = instant("2026-01-01T11:00:00Z");
    let output = Output {
        head: b"half".to_vec(),
        tail: Vec::new(),
        total_bytes: 4,
    };
    let (run, held) = store.lose_run(runs[0], later, &output).unwrap();
    let run = run.unwrap();
    assert_eq!(
        (run.id, &run.outcome, run.finished, &run.output),
        (runs[0], &Outcome::Lost, Some(later), &output)
    );
    assert_eq!(held, Some(claimed[0].0.clone()));
    let (_, held) = store.lose_run(runs[1], later, &Output::default()).unwrap();
    assert_eq!(held, None, "a job without a policy is not kept");
    assert!(store.running_runs().unwrap().is_empty());
    // Taken once: the copy is gone.
    let (_, again) = store.lose_run(runs[0], later, &Output::default()).unwrap();
    assert_eq!(again, None);
    assert!(matches!(
        store.lose_run(RunId(999_999), later, &Output::default()),
        Err(SpoolError::NotFound { .. })
    ));
}

/// Not in the suite: a shared spool's rule (a host's own spool claims
/// every run its daemon asks for).
#[allow(dead_code)]
pub fn each_occurrence_of_a_crontab_line_is_claimed_once(backend: &dyn Backend) {
    let mut store = backend.open();
    let due = instant("2026-01-01T10:00:00Z");
    let later = instant("2026-01-01T10:01:00Z");
    let line = |n: u32, due: Timestamp, attempt: u32| CronRun {
        attempt,
        ..cron_run(&format!("crontab of alice:{n}"), due)
    };
    let first = start_all(&mut *store, &[line(1, due, 1)], due);
    // The same occurrence again (another host, or a second look) is not
    // claimed; its retry, the line's next occurrence and another line's
    // occurrence at the same instant are.
    let again = store
        .start_cron_runs(
            &[
                line(1, due, 1),
                line(1, due, 2),
                line(1, later, 1),
                line(2, due, 1),
            ],
            due,
        )
        .unwrap();
    assert_eq!(
        again.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true, true, true]
    );
    // An occurrence recorded as not run is claimed by the record.
    let missed = |n: u32, due: Timestamp, attempt: u32| Occurrence {
        kind: RunKind::Cron,
        job_id: None,
        owner_uid: Uid(1000),
        owner_name: None,
        command: "echo".to_owned(),
        origin: Some(format!("crontab of alice:{n}")),
        due,
        attempt,
        at: due,
        outcome: Outcome::Missed("the daemon was not running".to_owned()),
        host_local: false,
    };
    store
        .record_occurrences(&[missed(3, due, 1)], None)
        .unwrap();
    assert_eq!(
        store.start_cron_runs(&[line(3, due, 1)], due).unwrap(),
        [None]
    );
    // A record of an occurrence already claimed adds nothing.
    store
        .record_occurrences(&[missed(1, due, 1), missed(3, due, 1)], None)
        .unwrap();
    let started: Vec<(RunId, u32, Timestamp)> = first
        .iter()
        .chain(again.iter().flatten())
        .map(|&id| (id, 42, due))
        .collect();
    store.set_started(&started, None).unwrap();
    let history = |store: &dyn Store, n: u32| -> Vec<(Timestamp, u32, bool)> {
        store
            .runs_of_origin(Owner::Any, &format!("crontab of alice:{n}"), 10)
            .unwrap()
            .iter()
            .rev()
            .map(|run| (run.due, run.attempt, run.outcome == Outcome::Running))
            .collect()
    };
    assert_eq!(
        history(&*store, 1),
        [(due, 1, true), (due, 2, true), (later, 1, true)]
    );
    assert_eq!(history(&*store, 3), [(due, 1, false)]);
    // Claims survive reopening.
    drop(store);
    let mut store = backend.open();
    assert_eq!(
        store
            .start_cron_runs(&[line(1, due, 1), line(2, later, 1)], later)
            .unwrap()
            .iter()
            .map(Option::is_some)
            .collect::<Vec<_>>(),
        [false, true]
    );
}

/// Controls of crontab entries (`sched pause`, `sched skip`) are kept by
/// entry, replaced whole, removed once empty, and survive a restart.
pub fn entry_controls_are_kept_replaced_removed_and_survive_reopening(backend: &dyn Backend) {
    let mut store = backend.open();
    assert_eq!(store.entry_controls().unwrap(), []);
    let mark = |by: &str, at: &str| ControlMark {
        by: by.to_owned(),
        at: instant(at),
    };
    let paused = EntryControl {
        entry: "crontab of alice#0123456789abcdef".to_owned(),
        origin: "crontab of alice:3".to_owned(),
        owner_uid: Uid(1000),
        host_local: false,
        paused: Some(mark("alice", "2026-06-01T10:00:00.25Z")),
        skip_through: None,
    };
    let skipped = EntryControl {
        entry: "/etc/cron.d/php#fedcba9876543210".to_owned(),
        origin: "/etc/cron.d/php:14".to_owned(),
        owner_uid: Uid(0),
        host_local: true,
        paused: None,
        skip_through: Some((
            instant("2026-06-01T12:30:00Z"),
            mark("root", "2026-06-01T10:01:00Z"),
        )),
    };
    store
        .set_entry_controls(&[paused.clone(), skipped.clone()])
        .unwrap();
    let mut kept = store.entry_controls().unwrap();
    kept.sort_by(|a, b| a.entry.cmp(&b.entry));
    // A host's own spool holds only its own lines: whether a line is
    // host-local is the daemon's to say again when it reads them.
    let local = |mut controls: Vec<EntryControl>| {
        for control in &mut controls {
            control.host_local = control.origin.starts_with('/');
        }
        controls
    };
    assert_eq!(local(kept), [skipped.clone(), paused.clone()]);
    // Replaced whole: both at once, then the pause alone lifted.
    let both = EntryControl {
        skip_through: Some((
            instant("2026-06-02T00:00:00Z"),
            mark("root", "2026-06-01T10:02:00Z"),
        )),
        origin: "crontab of alice:5".to_owned(),
        ..paused.clone()
    };
    store
        .set_entry_controls(std::slice::from_ref(&both))
        .unwrap();
    drop(store);
    let mut store = backend.open();
    let mut kept = local(store.entry_controls().unwrap());
    kept.sort_by(|a, b| a.entry.cmp(&b.entry));
    assert_eq!(kept, [skipped.clone(), both.clone()]);
    let resumed = EntryControl {
        paused: None,
        ..both.clone()
    };
    store
        .set_entry_controls(std::slice::from_ref(&resumed))
        .unwrap();
    // An empty control removes the row.
    store
        .set_entry_controls(&[EntryControl {
            skip_through: None,
            ..skipped.clone()
        }])
        .unwrap();
    assert_eq!(local(store.entry_controls().unwrap()), [resumed]);
}

/// A crontab line's health: its newest run, its last success, and the
/// failures and missed occurrences since, each line on its own and only
/// the runs the owner may see.
pub fn an_entrys_health_counts_back_to_its_last_success(backend: &dyn Backend) {
    let mut store = backend.open();
    let at = |minute: u32| instant(&format!("2026-01-01T10:{minute:02}:00Z"));
    let line = "crontab of alice:1";
    let other = "crontab of alice:2";
    // Line 1: fails, succeeds, fails, misses, is skipped, is killed, and
    // one run is in progress.
    let ends = [
        Some(Outcome::Exited(1)),
        Some(Outcome::Exited(0)),
        Some(Outcome::Exited(2)),
        None,
        None,
        Some(Outcome::Signalled(9)),
        Some(Outcome::Running),
    ];
    let mut ids = Vec::new();
    for (minute, end) in ends.iter().enumerate() {
        let due = at(minute as u32);
        match end {
            Some(outcome) => {
                let run = start_all(&mut *store, &[cron_run(line, due)], due)[0];
                store.set_started(&[(run, 42, due)], None).unwrap();
                if *outcome != Outcome::Running {
                    store
                        .finish_run(run, due, outcome, &Output::default())
                        .unwrap();
                }
                ids.push(Some(run));
            }
            None => {
                let outcome = if minute == 3 {
                    Outcome::Missed("the daemon was not running".to_owned())
                } else {
                    Outcome::Skipped("paused".to_owned())
                };
                store
                    .record_occurrences(
                        &[Occurrence {
                            kind: RunKind::Cron,
                            job_id: None,
                            owner_uid: Uid(1000),
                            owner_name: None,
                            command: "echo".to_owned(),
                            origin: Some(line.to_owned()),
                            due,
                            attempt: 1,
                            at: due,
                            outcome,
                            host_local: false,
                        }],
                        None,
                    )
                    .unwrap();
                ids.push(None);
            }
        }
    }
    // Line 2: only failures, the oldest kept at 10:00.
    for minute in 0..2 {
        let run = start_all(&mut *store, &[cron_run(other, at(minute))], at(minute))[0];
        store.set_started(&[(run, 42, at(minute))], None).unwrap();
        store
            .finish_run(
                run,
                at(minute),
                &Outcome::Failed("no shell".to_owned()),
                &Output::default(),
            )
            .unwrap();
    }
    let origins = [
        line.to_owned(),
        "crontab of alice:9".to_owned(),
        other.to_owned(),
    ];
    let health = store.entry_health(Owner::Any, &origins).unwrap();
    assert_eq!(health.len(), 3);
    let first = &health[0];
    assert_eq!(
        first.last.as_ref().map(|run| (run.due, &run.outcome)),
        Some((at(6), &Outcome::Running))
    );
    assert_eq!(
        first.last_success.as_ref().map(|run| (run.id, run.due)),
        Some((ids[1].unwrap(), at(1)))
    );
    assert_eq!(
        (first.failures, first.missed, first.oldest_due),
        (2, 1, None)
    );
    assert_eq!(health[1], sched_spool::EntryHealth::default());
    let second = &health[2];
    assert_eq!(second.last_success, None);
    assert_eq!(
        (second.failures, second.missed, second.oldest_due),
        (2, 0, Some(at(0)))
    );
    assert_eq!(second.last.as_ref().map(|run| run.due), Some(at(1)));
    // Another uid sees nothing of alice's.
    let stranger = store.entry_health(Owner::Uid(Uid(2000)), &origins).unwrap();
    assert_eq!(stranger, vec![sched_spool::EntryHealth::default(); 3]);
}
