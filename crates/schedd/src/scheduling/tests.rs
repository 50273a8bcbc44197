//! The scheduler loop in process, on the mock clock, with the real spool
//! and executor (`crate::testing`).

use jiff::{SignedDuration, Timestamp};
use sched_proto::{Request, Response};
use sched_spool::{JobId, Outcome, Owner};

use crate::system::accounts::Accounts;
use crate::testing::{Daemon, at_job};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn queue(daemon: &Daemon, when: &str, command: &str) -> JobId {
    match daemon.ask(Daemon::me(), at_job(when, command)).await {
        Response::Submitted { job, .. } => JobId(job.id),
        other => panic!("not queued: {other:?}"),
    }
}

/// (job, due, started, outcome) of every run, oldest first.
async fn runs(daemon: &Daemon) -> Vec<(Option<JobId>, Timestamp, Timestamp, Outcome)> {
    let mut runs = daemon
        .context
        .spool
        .runs(Owner::Any, None, 100)
        .await
        .unwrap();
    runs.reverse();
    runs.into_iter()
        .map(|run| (run.job_id, run.due, run.started, run.outcome))
        .collect()
}

async fn pending(daemon: &Daemon) -> Vec<JobId> {
    daemon
        .context
        .spool
        .fold_pending(Owner::Any, Vec::new(), |ids, job| {
            ids.push(job.id);
            std::ops::ControlFlow::Continue(())
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_made_ready_goes_back_to_the_spool_when_the_clock_is_set_back_and_runs_once_at_its_instant()
 {
    let daemon = Daemon::start(at("2026-03-29T00:59:00Z"), Accounts::system()).await;
    let job = queue(&daemon, "now + 1 minute", "true").await;
    let due = at("2026-03-29T01:00:00Z");
    // 20 ms before its instant the job is claimed and made ready.
    daemon
        .advance_to(due - SignedDuration::from_millis(20))
        .await;
    assert!(
        pending(&daemon).await.is_empty(),
        "claimed ahead of its instant"
    );
    // The clock is set back an hour: the claim goes back to the spool.
    daemon.step_to(at("2026-03-29T00:00:00Z")).await;
    assert_eq!(pending(&daemon).await, [job]);
    assert!(
        runs(&daemon).await.is_empty(),
        "nothing ran and nothing was lost"
    );
    // Time passes again: it runs once, at its instant.
    daemon.advance_to(at("2026-03-29T01:30:00Z")).await;
    daemon.settle().await;
    assert_eq!(
        runs(&daemon).await,
        [(Some(job), due, due, Outcome::Exited(0))]
    );
    assert!(pending(&daemon).await.is_empty());
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_set_forward_past_jobs_starts_each_once_at_the_new_time_oldest_first() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    let second = queue(&daemon, "11:00", "exit 3").await;
    let first = queue(&daemon, "10:30", "true").await;
    let later = queue(&daemon, "13:00", "true").await;
    let now = at("2026-06-01T12:00:00Z");
    daemon.step_to(now).await;
    daemon.settle().await;
    assert_eq!(
        runs(&daemon).await,
        [
            (
                Some(first),
                at("2026-06-01T10:30:00Z"),
                now,
                Outcome::Exited(0)
            ),
            (
                Some(second),
                at("2026-06-01T11:00:00Z"),
                now,
                Outcome::Exited(3)
            ),
        ]
    );
    assert_eq!(pending(&daemon).await, [later]);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_removed_before_its_instant_never_runs() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    let kept = queue(&daemon, "now + 2 minutes", "true").await;
    let removed = queue(&daemon, "now + 1 minute", "true").await;
    let reply = daemon
        .ask(
            Daemon::me(),
            Request::Remove {
                ids: vec![removed.0, 999],
            },
        )
        .await;
    let Response::Removed { results } = reply else {
        panic!("{reply:?}");
    };
    assert_eq!(
        results
            .iter()
            .map(|r| (r.id, r.removed, r.running))
            .collect::<Vec<_>>(),
        [(removed.0, true, false), (999, false, false)]
    );
    daemon.advance_to(at("2026-06-01T10:05:00Z")).await;
    daemon.settle().await;
    let ran: Vec<Option<JobId>> = runs(&daemon).await.into_iter().map(|run| run.0).collect();
    assert_eq!(ran, [Some(kept)]);
    daemon.stop().await;
}

/// The runs recorded as running, started or not (a run made ready ahead
/// is recorded unstarted, and `sched logs` does not show it).
async fn running(daemon: &Daemon) -> Vec<sched_spool::RunId> {
    daemon.context.spool.running_runs().await.unwrap()
}

async fn install_crontab(daemon: &Daemon, text: &str) {
    let reply = daemon
        .ask(
            Daemon::me(),
            Request::Crontab(sched_proto::CrontabRequest::Install {
                user: None,
                text: text.to_owned(),
            }),
        )
        .await;
    assert!(
        matches!(reply, Response::CrontabInstalled { .. }),
        "{reply:?}"
    );
}

/// A crontab line's runs are made ready ahead of its instant as at jobs'
/// are (`cron_ahead`): claimed, recorded unstarted and with an output
/// file, 200 ms before; at the instant the run made ready starts, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crontab_line_made_ready_ahead_runs_once_at_its_instant() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    install_crontab(&daemon, "* * * * * exit 7\n").await;
    let due = at("2026-06-01T10:01:00Z");
    daemon
        .advance_to(due - SignedDuration::from_millis(20))
        .await;
    assert_eq!(running(&daemon).await.len(), 1, "made ready ahead");
    assert_eq!(runs(&daemon).await, [], "unstarted: not shown");
    assert_eq!(daemon.output_files().len(), 1);
    daemon.advance_to(due + SignedDuration::from_secs(30)).await;
    daemon.settle().await;
    assert_eq!(runs(&daemon).await, [(None, due, due, Outcome::Exited(7))]);
    assert_eq!(running(&daemon).await, []);
    daemon.stop().await;
}

/// Made ready ahead decides nothing: a line paused before its instant is
/// skipped then, and the run made ready is given back (gone from the
/// spool, its output file removed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_paused_after_its_run_was_made_ready_is_skipped_and_the_run_given_back() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    install_crontab(&daemon, "* * * * * true\n").await;
    let due = at("2026-06-01T10:01:00Z");
    daemon
        .advance_to(due - SignedDuration::from_millis(20))
        .await;
    assert_eq!(running(&daemon).await.len(), 1, "made ready ahead");
    assert_eq!(daemon.output_files().len(), 1);
    let reply = daemon
        .ask(
            Daemon::me(),
            Request::Control {
                target: sched_proto::ControlTarget::Entry {
                    name: "crontab:1".to_owned(),
                },
                action: sched_proto::ControlAction::Pause,
            },
        )
        .await;
    assert!(!matches!(reply, Response::Error(_)), "{reply:?}");
    daemon.advance_to(due + SignedDuration::from_secs(30)).await;
    daemon.settle().await;
    let recorded = runs(&daemon).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!((recorded[0].0, recorded[0].1), (None, due));
    assert!(matches!(recorded[0].3, Outcome::Skipped(_)), "{recorded:?}");
    assert_eq!(running(&daemon).await, [], "given back");
    assert_eq!(daemon.output_files(), Vec::<String>::new());
    daemon.stop().await;
}

/// A line edited between the making ready and the instant runs as it now
/// reads; the run made ready for the old line is given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_edited_after_its_run_was_made_ready_runs_as_edited() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    install_crontab(&daemon, "* * * * * exit 3\n").await;
    let due = at("2026-06-01T10:01:00Z");
    daemon
        .advance_to(due - SignedDuration::from_millis(20))
        .await;
    assert_eq!(running(&daemon).await.len(), 1, "made ready ahead");
    install_crontab(&daemon, "* * * * * exit 4\n").await;
    // Given back, and not made ready again so close to the instant (a
    // reading of many files would otherwise do it once per file). The
    // scheduler has taken the new crontab once it answers after it.
    daemon.settle().await;
    assert_eq!(running(&daemon).await, []);
    daemon.advance_to(due + SignedDuration::from_secs(30)).await;
    daemon.settle().await;
    assert_eq!(runs(&daemon).await, [(None, due, due, Outcome::Exited(4))]);
    assert_eq!(running(&daemon).await, [], "the old line's run given back");
    assert_eq!(daemon.output_files(), Vec::<String>::new());
    daemon.stop().await;
}

/// The clock set back between the making ready and the instant: the run
/// made ready is given back, and the line runs once when its instant
/// comes again; a daemon stopped with a run made ready leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_made_ready_is_given_back_when_the_clock_is_set_back_or_the_daemon_stops() {
    let daemon = Daemon::start(at("2026-06-01T10:00:00Z"), Accounts::system()).await;
    install_crontab(&daemon, "1 10 * * * true\n").await;
    let due = at("2026-06-01T10:01:00Z");
    daemon
        .advance_to(due - SignedDuration::from_millis(20))
        .await;
    assert_eq!(running(&daemon).await.len(), 1, "made ready ahead");
    daemon.step_to(at("2026-06-01T09:00:00Z")).await;
    assert_eq!(running(&daemon).await, [], "given back");
    assert_eq!(daemon.output_files(), Vec::<String>::new());
    daemon.advance_to(due + SignedDuration::from_secs(30)).await;
    daemon.settle().await;
    assert_eq!(runs(&daemon).await, [(None, due, due, Outcome::Exited(0))]);
    // Made ready for the next day, then stopped: given back.
    let tomorrow = at("2026-06-02T10:01:00Z");
    daemon
        .advance_to(tomorrow - SignedDuration::from_millis(20))
        .await;
    assert_eq!(running(&daemon).await.len(), 1, "made ready ahead");
    let spool = daemon.context.spool.clone();
    daemon.stop().await;
    assert_eq!(spool.running_runs().await.unwrap(), [], "given back");
    let kept = spool.runs(Owner::Any, None, 100).await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].due, due);
}
