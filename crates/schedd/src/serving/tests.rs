//! Request handlers in process, on the mock clock (`crate::testing`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use jiff::{SignedDuration, Timestamp};
use sched_proto::{JobKind, Request, Response, Submission, When};
use sched_spool::{Outcome, Owner};

use crate::system::accounts::{Accounts, account_of};
use crate::testing::{Daemon, PATIENCE, response_of};

fn start() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn at(when: &str, command: &str) -> Request {
    Request::Submit(Submission {
        kind: JobKind::At,
        queue: None,
        when: When::Timespec {
            text: when.to_owned(),
        },
        tz: Some("UTC".to_owned()),
        command: command.to_owned(),
        env: Vec::new(),
        cwd: "/".to_owned(),
        umask: 0o022,
        mail: Default::default(),
    })
}

/// An account directory that answers as the system does until `hang` is
/// set; then each lookup waits until the test lets it go.
struct SlowDirectory {
    hang: Arc<AtomicBool>,
    release: mpsc::Sender<()>,
    asked: mpsc::Receiver<u32>,
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
    let soon = daemon.ask(me, at("now + 1 minute", "echo ran")).await;
    let later = daemon.ask(me, at("now + 1 hour", "echo later")).await;
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
