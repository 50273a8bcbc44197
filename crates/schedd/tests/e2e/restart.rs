//! Restarts and crashes: nothing queued is lost, nothing runs twice, and
//! runs a dead daemon lost track of are marked.

use sched_proto::Outcome;

use crate::harness::{Daemon, Options, instant};

fn mock_at(start: &str) -> Options {
    Options {
        mock_clock: Some(start.into()),
        ..Options::default()
    }
}

#[test]
fn a_restart_between_submission_and_due_time_loses_nothing() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let ids: Vec<u64> = (1..=3)
        .map(|n| daemon.at(&format!("now + {n} hours"), &format!("echo {n}")))
        .collect();
    assert!(daemon.stop().success());
    daemon.launch(&mock_at("2026-11-25T10:30:00Z"));
    assert_eq!(daemon.jobs().iter().map(|j| j.id).collect::<Vec<_>>(), ids);
    daemon.advance_to("2026-11-25T14:00:00Z");
    let runs = daemon.runs();
    let started: Vec<_> = runs.iter().map(|r| (r.job, r.started)).collect();
    assert_eq!(
        started,
        vec![
            (ids[0], instant("2026-11-25T11:00:00Z")),
            (ids[1], instant("2026-11-25T12:00:00Z")),
            (ids[2], instant("2026-11-25T13:00:00Z")),
        ]
    );
    // New ids continue after the old ones: an id is never reused.
    let next = daemon.at("now + 1 min", "true");
    assert_eq!(next, ids[2] + 1);
}

#[test]
fn jobs_due_while_the_daemon_was_down_run_at_once_when_it_starts() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.at("now + 5 min", "echo overdue");
    daemon.at("now + 3 hours", "echo later");
    assert!(daemon.stop().success());
    daemon.launch(&mock_at("2026-11-25T11:00:00Z"));
    daemon.settle();
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].output_head, "overdue\n");
    assert_eq!(runs[0].due, instant("2026-11-25T10:05:00Z"));
    assert_eq!(
        runs[0].started,
        instant("2026-11-25T11:00:00Z"),
        "run at start-up, as atd does"
    );
    assert_eq!(daemon.jobs().len(), 1);
}

#[test]
fn a_run_in_progress_when_the_daemon_dies_keeps_running_and_is_marked_lost() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let marker = daemon.dir.path().join("finished");
    let job = daemon.at(
        "now + 1 min",
        &format!(
            "echo started; while [ ! -e {0}.go ]; do sleep 0.01; done; echo done > {0}",
            marker.display()
        ),
    );
    daemon.ok(&["mock", "set", "2026-11-25T10:01:00Z"]);
    let runs = daemon.runs();
    assert_eq!(runs[0].outcome, Outcome::Running);
    let pid = runs[0].pid.expect("a running run has a pid");
    daemon.crash();
    // The job outlives the daemon: let it finish, and see that it did.
    std::fs::write(format!("{}.go", marker.display()), "").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the orphaned job (pid {pid}) never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "done\n");
    daemon.launch(&mock_at("2026-11-25T10:30:00Z"));
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "a lost run is never started again");
    assert_eq!(runs[0].job, job);
    assert_eq!(runs[0].outcome, Outcome::Lost);
    assert_eq!(runs[0].finished, Some(instant("2026-11-25T10:30:00Z")));
    assert_eq!(
        runs[0].output_head, "started\n",
        "the output it left is kept"
    );
}

#[test]
fn a_sigterm_stops_the_daemon_cleanly_and_removes_its_socket() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let status = daemon.stop();
    assert_eq!(status.code(), Some(0));
    assert!(!daemon.socket.exists());
}

/// A job is claimed and made ready 200 ms before its instant (so that only
/// the fork is left when it is due). Stopped inside that window, the
/// daemon gives it back: it is pending after the restart and runs once.
#[test]
fn a_job_made_ready_when_the_daemon_stops_is_pending_again_and_runs_once() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let id = daemon.at("now + 5 min", "echo once");
    daemon.advance_to("2026-11-25T10:04:59.970Z");
    assert!(
        daemon.jobs().is_empty(),
        "inside the window the job is claimed"
    );
    assert!(daemon.runs().is_empty(), "but not started");
    assert!(daemon.stop().success());
    daemon.launch(&mock_at("2026-11-25T10:04:00Z"));
    assert_eq!(daemon.jobs().iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    daemon.advance_to("2026-11-25T10:06:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].job, id);
    assert_eq!(runs[0].started, instant("2026-11-25T10:05:00Z"));
    assert_eq!(runs[0].output_head, "once\n");
}

/// Made ready, then the clock is set back an hour: the job is pending again
/// and runs at its instant, once.
#[test]
fn a_job_made_ready_before_the_clock_is_set_back_waits_for_its_instant_again() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let id = daemon.at("now + 5 min", "echo once");
    daemon.advance_to("2026-11-25T10:04:59.990Z");
    assert!(daemon.jobs().is_empty());
    daemon.advance_to("2026-11-25T09:05:00Z");
    assert_eq!(daemon.jobs().iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    assert!(daemon.runs().is_empty());
    daemon.advance_to("2026-11-25T10:10:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].started, instant("2026-11-25T10:05:00Z"));
}

/// Whether process `pid` exists and has not ended (a zombie, not yet
/// reaped by whoever adopted it, has ended).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn a_sigterm_leaves_running_jobs_running_as_cron_does() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let go = daemon.dir.path().join("go");
    let job = daemon.at(
        "now + 1 min",
        &format!("while [ ! -e {} ]; do sleep 0.01; done", go.display()),
    );
    daemon.ok(&["mock", "set", "2026-11-25T10:01:00Z"]);
    let pid = daemon.runs()[0].pid.expect("running");
    assert_eq!(daemon.stop().code(), Some(0));
    assert!(alive(pid), "the job outlives the daemon");
    std::fs::write(&go, "").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while alive(pid) {
        assert!(std::time::Instant::now() < deadline, "the job never ended");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    daemon.launch(&mock_at("2026-11-25T10:05:00Z"));
    let runs = daemon.runs();
    assert_eq!((runs[0].job, &runs[0].outcome), (job, &Outcome::Lost));
}

#[test]
fn with_stop_jobs_on_exit_a_sigterm_stops_running_jobs_and_records_how_they_ended() {
    let mut options = mock_at("2026-11-25T10:00:00Z");
    options.extra.push("--stop-jobs-on-exit".to_owned());
    let mut daemon = Daemon::start(options);
    let job = daemon.at("now + 1 min", "sleep 1000; echo not reached");
    daemon.ok(&["mock", "set", "2026-11-25T10:01:00Z"]);
    let pid = daemon.runs()[0].pid.expect("running");
    assert_eq!(daemon.stop().code(), Some(0));
    // The whole process group got SIGTERM: the shell and its sleep.
    assert!(!alive(pid), "the job was stopped before the daemon exited");
    daemon.launch(&mock_at("2026-11-25T10:05:00Z"));
    let runs = daemon.runs();
    assert_eq!(runs[0].job, job);
    assert_eq!(
        runs[0].outcome,
        Outcome::Signalled {
            signal: 15,
            name: "SIGTERM".to_owned()
        },
        "recorded as it ended, not as lost"
    );
}
