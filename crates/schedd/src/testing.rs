//! An in-process daemon for tests: the spool thread, the scheduler loop
//! and the request handlers on a mock clock, wired as `startup` wires
//! them, without the socket or the binaries. The end-to-end tests start
//! the real `schedd` and `sched`; these drive the same parts directly, so
//! that a path (a slow account lookup, a clock step while a listing runs)
//! is tested without a process per case.

use std::time::Duration;

use jiff::Timestamp;
use sched_proto::{Envelope, Request, Response};
use sched_spool::SqliteSpool;
use tokio::sync::{oneshot, watch};

use crate::clock::Clock;
use crate::config::Live;
use crate::cron::Zones;
use crate::scheduling::event::Event;
use crate::serving::context::{Context, Peer, Reply};
use crate::serving::dispatch;
use crate::startup::assemble::{Ingredients, Parts, assemble};
use crate::storage::SpoolHandle;
use crate::system::accounts::Accounts;

/// The longest a test waits for the daemon to answer or settle: a bound
/// on a failure, never a pause.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The response a reply carries (a frame is decoded as a client would).
pub fn response_of(reply: Reply) -> Response {
    match reply {
        Reply::Message(response) => response,
        Reply::Frame(frame) => {
            sched_proto::decode::<Envelope<Response>>(&frame[sched_proto::HEADER_LEN..])
                .unwrap()
                .body
        }
    }
}

/// An at job submission: `command` at the at(1) time `when`, read in UTC.
pub fn at_job(when: &str, command: &str) -> Request {
    Request::Submit(sched_proto::Submission {
        kind: sched_proto::JobKind::At,
        queue: None,
        when: sched_proto::When::Timespec {
            text: when.to_owned(),
        },
        tz: Some("UTC".to_owned()),
        command: command.to_owned(),
        env: Vec::new(),
        cwd: "/".to_owned(),
        umask: 0o022,
        mail: Default::default(),
        policy: String::new(),
        on_failure: None,
    })
}

/// A daemon running in this process, on a mock clock.
pub struct Daemon {
    pub context: Context,
    /// The spool and the output files; removed when the daemon is dropped.
    _dir: tempfile::TempDir,
    shutdown: watch::Sender<bool>,
    scheduler: tokio::task::JoinHandle<()>,
}

impl Daemon {
    /// A daemon with an empty spool, its mock clock at `start`, asking
    /// `accounts` for names.
    pub async fn start(start: Timestamp, accounts: Accounts) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let output_dir = dir.path().join("output");
        std::fs::create_dir(&output_dir).unwrap();
        let store = SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
        let (spool, _thread) = SpoolHandle::start(Box::new(store)).unwrap();
        let loadavg = dir.path().join("loadavg");
        std::fs::write(&loadavg, "0.00 0.00 0.00 1/100 1\n").unwrap();
        let Parts {
            scheduler,
            events,
            context,
            output_limit: _,
        } = assemble(Ingredients {
            clock: Clock::mock(start),
            spool,
            output_dir,
            live: Live {
                output_limit: 65536,
                cron_runs_kept: 100,
                batch_load_limit: 1.5,
                batch_interval_seconds: 60,
                sendmail: dir.path().join("no-sendmail"),
                access: None,
                policy: sched_cron::policy::Policy::default(),
                on_failure: None,
                metrics_entries: 0,
            },
            loadavg,
            daemon_uid: sched_spool::Uid(sched_runas::current_euid()),
            zones: Zones::new(jiff::tz::TimeZone::UTC),
            accounts,
            metrics: crate::metrics::Metrics::new(start),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let scheduler = tokio::spawn(scheduler.run(events, shutdown_rx));
        Daemon {
            context,
            _dir: dir,
            shutdown,
            scheduler,
        }
    }

    /// The user running the tests, as a peer.
    pub fn me() -> Peer {
        Peer {
            uid: sched_spool::Uid(sched_runas::current_euid()),
            gid: nix::unistd::getegid().as_raw(),
            pid: None,
        }
    }

    /// The answer to `request` from `peer`, as the socket would carry it.
    pub async fn ask(&self, peer: Peer, request: Request) -> Response {
        let body = serde_json::to_vec(&Envelope::new(request)).unwrap();
        let reply = tokio::time::timeout(PATIENCE, dispatch::answer(&self.context, peer, &body))
            .await
            .expect("the daemon answers");
        response_of(reply)
    }

    /// Moves the mock clock to `to`; every job due on the way has started
    /// at its own instant when this returns.
    pub async fn advance_to(&self, to: Timestamp) {
        let (reply, answer) = oneshot::channel();
        self.context
            .events
            .send(Event::SetMockClock { to, reply })
            .unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the scheduler moves the clock")
            .unwrap();
    }

    /// Sets the mock clock's wall time to `to` with no time passing (a
    /// clock step, as `date -s` makes); returns once the daemon has looked.
    pub async fn step_to(&self, to: Timestamp) {
        let (reply, answer) = oneshot::channel();
        self.context
            .events
            .send(Event::StepMockClock { to, reply })
            .unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the scheduler steps the clock")
            .unwrap();
    }

    /// The names of the files in the output directory, sorted.
    pub fn output_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self._dir.path().join("output"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Waits until no run is in progress.
    pub async fn settle(&self) {
        let (reply, answer) = oneshot::channel();
        self.context.events.send(Event::Settle { reply }).unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the runs end")
            .unwrap();
    }

    /// Stops the scheduler (jobs made ready go back to the spool).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        tokio::time::timeout(PATIENCE, self.scheduler)
            .await
            .expect("the scheduler stops")
            .unwrap();
    }
}
