//! Request handlers in process, on the mock clock (`crate::testing`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use jiff::{SignedDuration, Timestamp};
use sched_proto::{Request, Response};
use sched_spool::{Outcome, Owner};

use crate::system::accounts::{Accounts, account_of};
use crate::testing::{Daemon, PATIENCE, at_job, response_of};

fn start() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// An account directory that answers as the system does until `hang` is
/// set; then each lookup waits until the test lets it go.
struct SlowDirectory {
    hang: Arc<AtomicBool>,
    release: mpsc::Sender<()>,
    asked: mpsc::Receiver<sched_spool::Uid>,
}

fn slow_directory() -> (Accounts, SlowDirectory) {
    let hang = Arc::new(AtomicBool::new(false));
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let (ask, asked) = mpsc::channel();
    let hanging = hang.clone();
    let accounts = Accounts::with_lookup(Arc::new(move |uid| {
        if hanging.load(Ordering::SeqCst) {
            let _ = ask.send(uid);
            let _ = released.lock().unwrap().recv_timeout(PATIENCE);
        }
        account_of(uid)
    }));
    (
        accounts,
        SlowDirectory {
            hang,
            release,
            asked,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_account_lookup_delays_only_the_request_that_needs_it_never_a_due_job() {
    let (accounts, directory) = slow_directory();
    let daemon = Daemon::start(start(), accounts).await;
    let me = Daemon::me();
    let soon = daemon.ask(me, at_job("now + 1 minute", "echo ran")).await;
    let later = daemon.ask(me, at_job("now + 1 hour", "echo later")).await;
    let (Response::Submitted { job: soon, .. }, Response::Submitted { job: later, .. }) =
        (soon, later)
    else {
        panic!("both jobs are queued");
    };

    // The directory stops answering; a listing now waits for it.
    directory.hang.store(true, Ordering::SeqCst);
    let listing = {
        let daemon_context = daemon.context.clone();
        tokio::spawn(async move {
            let body = serde_json::to_vec(&sched_proto::Envelope::new(Request::List)).unwrap();
            crate::serving::dispatch::answer(&daemon_context, me, &body).await
        })
    };
    let asked = tokio::task::spawn_blocking(move || {
        let uid = directory.asked.recv_timeout(PATIENCE);
        (uid, directory.asked, directory.release)
    })
    .await
    .unwrap();
    let (uid, _asked, release) = asked;
    assert_eq!(uid, Ok(me.uid), "the listing asked the directory");

    // Meanwhile the first job falls due: it is claimed, started and
    // recorded as if nothing were waiting.
    daemon
        .advance_to(start() + SignedDuration::from_mins(1))
        .await;
    daemon.settle().await;
    let runs = daemon
        .context
        .spool
        .runs(Owner::Any, None, 10)
        .await
        .unwrap();
    assert_eq!(
        runs.iter()
            .map(|run| (run.job_id, run.due, run.outcome.clone()))
            .collect::<Vec<_>>(),
        [(
            Some(sched_spool::JobId(soon.id)),
            soon.due,
            Outcome::Exited(0)
        )]
    );
    assert_eq!(runs[0].started, soon.due, "it started at its instant");
    assert!(
        !listing.is_finished(),
        "the listing still waits for the directory"
    );

    // Once the directory answers, the listing completes.
    release.send(()).unwrap();
    let reply = tokio::time::timeout(PATIENCE, listing)
        .await
        .expect("the listing completes")
        .unwrap();
    assert!(
        matches!(reply, crate::serving::context::Reply::Frame(_)),
        "a listing is one frame"
    );
    let Response::Jobs { jobs, .. } = response_of(reply) else {
        panic!("a listing");
    };
    let name = account_of(me.uid)
        .unwrap()
        .unwrap_or_else(|| me.uid.to_string());
    assert_eq!(
        jobs.iter()
            .map(|job| (job.id, job.owner.as_str()))
            .collect::<Vec<_>>(),
        [(later.id, name.as_str())]
    );
    daemon.stop().await;
}

fn peer(uid: u32) -> crate::serving::context::Peer {
    crate::serving::context::Peer {
        uid: sched_spool::Uid(uid),
        gid: uid,
        pid: None,
    }
}

async fn answer(
    context: &crate::serving::context::Context,
    peer: crate::serving::context::Peer,
    request: Request,
) -> Response {
    let body = serde_json::to_vec(&sched_proto::Envelope::new(request)).unwrap();
    response_of(crate::serving::dispatch::answer(context, peer, &body).await)
}

fn refusal(response: Response) -> (sched_proto::ErrorCode, String) {
    match response {
        Response::Error(error) => (error.code, error.message),
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_daemon_serves_that_user_only_and_the_mock_clock_only_its_owner() {
    let daemon = Daemon::start(start(), Accounts::system()).await;
    let mut context = daemon.context.clone();
    context.daemon_uid = sched_spool::Uid(4242);
    assert_eq!(
        refusal(answer(&context, peer(4243), Request::List).await),
        (
            sched_proto::ErrorCode::Denied,
            "this schedd runs as uid 4242 and serves only that user: start your own schedd, or use the system one".to_owned()
        )
    );
    // The mock clock is an unknown request to anyone but the daemon's uid,
    // answered exactly as one.
    let now = Request::Mock(sched_proto::MockRequest::Now);
    let unknown = refusal(answer(&context, peer(4243), now.clone()).await);
    let body = format!(
        r#"{{"version":{},"body":{{"type":"no_such_request"}}}}"#,
        sched_proto::PROTOCOL_VERSION
    );
    let truly_unknown = refusal(response_of(
        crate::serving::dispatch::answer(&context, peer(4243), body.as_bytes()).await,
    ));
    assert_eq!(
        unknown,
        (
            sched_proto::ErrorCode::UnknownRequest,
            "unknown request".to_owned()
        )
    );
    assert_eq!(unknown, truly_unknown);
    assert_eq!(
        answer(&context, peer(4242), now).await,
        Response::Clock { now: start() }
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crontab_with_a_bad_line_is_refused_whole_and_a_good_one_shows_in_next_with_jobs() {
    let daemon = Daemon::start(start(), Accounts::system()).await;
    let me = Daemon::me();
    let install = |text: &str| {
        Request::Crontab(sched_proto::CrontabRequest::Install {
            user: None,
            text: text.to_owned(),
        })
    };
    let (code, message) = refusal(
        daemon
            .ask(me, install("0 13 * * * true\n0 25 * * * bad hour\n"))
            .await,
    );
    assert_eq!(code, sched_proto::ErrorCode::Invalid);
    assert!(
        message.starts_with("the crontab was not installed:\n2:3: "),
        "{message}"
    );
    let get = Request::Crontab(sched_proto::CrontabRequest::Get { user: None });
    let Response::Crontab { text: None, .. } = daemon.ask(me, get).await else {
        panic!("nothing was installed");
    };
    let Response::CrontabInstalled { entries: 1, .. } =
        daemon.ask(me, install("0 13 * * * echo cron\n")).await
    else {
        panic!("installed");
    };
    let Response::Submitted { job, .. } = daemon.ask(me, at_job("12:30", "echo job")).await else {
        panic!("queued");
    };
    let Response::Upcoming { runs, now, .. } = daemon
        .ask(
            me,
            Request::Upcoming {
                limit: 3,
                per_entry: 2,
            },
        )
        .await
    else {
        panic!("upcoming");
    };
    assert_eq!(now, Some(start()));
    assert_eq!(
        runs.iter()
            .map(|run| (run.due.to_string(), run.job, run.command.as_str()))
            .collect::<Vec<_>>(),
        [
            ("2026-03-01T12:30:00Z".to_owned(), job.id, "echo job"),
            ("2026-03-01T13:00:00Z".to_owned(), 0, "echo cron"),
            ("2026-03-02T13:00:00Z".to_owned(), 0, "echo cron"),
        ]
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_line_that_names_no_crontab_line_are_refused_with_the_forms_expected() {
    let daemon = Daemon::start(start(), Accounts::system()).await;
    for line in ["crontab", "crontab:0", "crontab:x", "php:3"] {
        let (code, message) = refusal(
            daemon
                .ask(
                    Daemon::me(),
                    Request::Logs {
                        job: None,
                        limit: 10,
                        line: Some(line.to_owned()),
                    },
                )
                .await,
        );
        assert_eq!(code, sched_proto::ErrorCode::Invalid, "{line}");
        assert_eq!(
            message,
            format!(
                "{line:?} names no crontab line: expected crontab:LINE (your crontab), FILE:LINE (a system crontab), or for root crontab:USER:LINE"
            )
        );
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_gives_the_owner_the_script_and_no_one_else_the_job() {
    let daemon = Daemon::start(start(), Accounts::system()).await;
    let me = Daemon::me();
    let Response::Submitted { job, .. } =
        daemon.ask(me, at_job("now + 1 hour", "echo shown")).await
    else {
        panic!("queued");
    };
    let Response::Script { job: shown, script } =
        daemon.ask(me, Request::Show { id: job.id }).await
    else {
        panic!("shown");
    };
    assert_eq!((shown.id, shown.command.as_str()), (job.id, "echo shown"));
    assert!(script.ends_with("echo shown\n"), "{script}");
    // Someone else (with no account) is told there is no such job of theirs.
    let mut context = daemon.context.clone();
    context.daemon_uid = sched_spool::Uid::ROOT;
    assert_eq!(
        refusal(answer(&context, peer(4243), Request::Show { id: job.id }).await),
        (
            sched_proto::ErrorCode::NotFound,
            format!("no pending job {} of yours: see `sched ls`", job.id)
        )
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_stops_a_running_job_and_its_history_says_who_did() {
    let daemon = Daemon::start(start(), Accounts::system()).await;
    let me = Daemon::me();
    let Response::Submitted { job, .. } =
        daemon.ask(me, at_job("now + 1 minute", "sleep 30")).await
    else {
        panic!("queued");
    };
    let not_yet = daemon
        .ask(
            me,
            Request::Kill {
                target: sched_proto::RunTarget::Job { id: job.id },
                grace_ms: 100,
            },
        )
        .await;
    let (code, message) = refusal(not_yet);
    assert_eq!(code, sched_proto::ErrorCode::NotFound);
    assert!(
        message.starts_with(&format!("job {} has not started", job.id)),
        "{message}"
    );
    daemon.advance_to(job.due).await;
    let Response::Killed { run, .. } = daemon
        .ask(
            me,
            Request::Kill {
                target: sched_proto::RunTarget::Job { id: job.id },
                grace_ms: 100,
            },
        )
        .await
    else {
        panic!("killed");
    };
    daemon.settle().await;
    let runs = daemon
        .context
        .spool
        .runs(Owner::Any, None, 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, sched_spool::RunId(run));
    assert_eq!(runs[0].outcome, Outcome::Signalled(15));
    let name = account_of(me.uid)
        .unwrap()
        .unwrap_or_else(|| me.uid.to_string());
    assert_eq!(
        runs[0].note.as_deref(),
        Some(
            format!(
                "ended with `sched kill` by {name} (uid {}): SIGTERM, then SIGKILL after 100 ms if still running",
                me.uid
            )
            .as_str()
        )
    );
    daemon.stop().await;
}
