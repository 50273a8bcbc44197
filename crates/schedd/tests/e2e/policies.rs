//! Per-job policies through the real binaries on the mock clock: timeouts,
//! retries (and what supersedes them), overlap, catch-up after a
//! downtime, random delays and starting deadlines. Each instant asserted
//! is the one the engine's rules give, and `sched next` printed it first.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sched_cron::policy::Backoff;
use sched_engine::policy::{entry_seed, jitter_delay, job_seed, retry_delay};
use sched_proto::Outcome;

use crate::cron::install;
use crate::harness::{Daemon, Options, instant};

fn me() -> u32 {
    nix::unistd::geteuid().as_raw()
}

fn plus(at: Timestamp, by: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(by).unwrap())
        .unwrap()
}

fn text(at: Timestamp) -> String {
    at.to_string()
}

/// Moves the mock clock to `to` without waiting for runs to end.
fn set(daemon: &Daemon, to: &str) {
    daemon.ok(&["mock", "set", to]);
}

/// Waits until `n` runs are in the history.
fn wait_for_runs(daemon: &Daemon, n: usize) {
    daemon.wait_until(&format!("{n} runs"), |d| d.runs().len() >= n);
}

#[test]
fn a_run_past_its_timeout_gets_sigterm_and_is_recorded_timed_out_with_both_instants() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(&daemon, "SCHED_TIMEOUT=1m\n0 10 * * * sleep 1000\n");
    set(&daemon, "2026-12-05T10:00:30Z");
    wait_for_runs(&daemon, 1);
    assert_eq!(daemon.runs()[0].outcome, Outcome::Running);
    // SIGTERM at 10:01:00 exactly; the kill grace (10 s) is not reached.
    daemon.advance_to("2026-12-05T10:01:05Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started, instant("2026-12-05T10:00:00Z"));
    assert_eq!(
        runs[0].outcome,
        Outcome::TimedOut {
            stopped: instant("2026-12-05T10:01:00Z"),
            code: None,
            signal: Some(15),
        }
    );
    let logs = daemon.ok(&["logs"]);
    assert!(
        logs.contains("timed out: stopped at") && logs.contains("ended by SIGTERM"),
        "{logs}"
    );
}

#[test]
fn a_run_that_ignores_sigterm_gets_sigkill_after_the_grace() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    let ready = daemon.dir.path().join("ready");
    install(
        &daemon,
        &format!(
            "SCHED_TIMEOUT=1m\nSCHED_KILL_GRACE=30s\n0 10 * * * trap '' TERM; touch {}; sleep 1000\n",
            ready.display()
        ),
    );
    set(&daemon, "2026-12-05T10:00:30Z");
    // The job ignores SIGTERM from here on.
    daemon.wait_until("the job's trap", |_| ready.exists());
    set(&daemon, "2026-12-05T10:01:20Z");
    // SIGTERM was sent at 10:01:00 and ignored: still running.
    assert_eq!(daemon.runs()[0].outcome, Outcome::Running);
    daemon.advance_to("2026-12-05T10:01:30Z");
    assert_eq!(
        daemon.runs()[0].outcome,
        Outcome::TimedOut {
            stopped: instant("2026-12-05T10:01:00Z"),
            code: None,
            signal: Some(9),
        }
    );
}

#[test]
fn a_failing_entry_is_retried_with_doubling_backoff_at_the_instants_sched_next_prints() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    let command = "echo $SCHED_ATTEMPT $SCHED_SCHEDULED_AT; exit 3";
    install(
        &daemon,
        // The starting deadline is the first attempt's: the retries start
        // minutes later, as their backoff says.
        &format!(
            "SCHED_RETRY=2\nSCHED_RETRY_BACKOFF=1m..10m\nSCHED_DEADLINE=30s\n0 10 * * * {command}\n"
        ),
    );
    let backoff = Backoff {
        first: Duration::from_secs(60),
        cap: Duration::from_secs(600),
    };
    let seed = entry_seed(me(), command, "");
    let first = instant("2026-12-05T10:00:00Z");
    daemon.advance_to(&text(first));
    let second = plus(first, retry_delay(backoff, 1, seed));
    // The retry is visible in advance, as attempt 2 of the 10:00 occurrence.
    let next = daemon.upcoming(1);
    assert_eq!(next[0].due, second);
    assert_eq!(next[0].scheduled, Some(first));
    assert_eq!(next[0].attempt, Some(2));
    assert_eq!(
        next[0].policy.as_deref(),
        Some("retry 2 (backoff 1m..10m), deadline 30s")
    );
    daemon.advance_to(&text(second));
    let third = plus(second, retry_delay(backoff, 2, seed));
    assert!(third.duration_since(second) >= SignedDuration::from_secs(108));
    daemon.advance_to(&text(third));
    daemon.advance_to("2026-12-05T10:30:00Z");
    let runs = daemon.runs();
    let seen: Vec<_> = runs
        .iter()
        .map(|run| (run.attempt, run.due, run.started, run.outcome.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, first, first, Outcome::Exited { code: 3 }),
            (2, first, second, Outcome::Exited { code: 3 }),
            (3, first, third, Outcome::Exited { code: 3 }),
        ]
    );
    for run in &runs {
        assert_eq!(
            run.output_head,
            format!("{} 2026-12-05T10:00:00Z\n", run.attempt)
        );
    }
}

#[test]
fn a_retry_that_would_come_after_the_next_occurrence_is_recorded_superseded() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "SCHED_RETRY=3\nSCHED_RETRY_BACKOFF=10m\n*/5 * * * * exit 1\n",
    );
    daemon.advance_to("2026-12-05T10:00:00Z");
    daemon.advance_to("2026-12-05T10:05:00Z");
    let runs = daemon.runs();
    let seen: Vec<_> = runs
        .iter()
        .map(|run| (run.attempt, run.due, run.outcome.clone()))
        .collect();
    let first = instant("2026-12-05T10:00:00Z");
    let superseded = match &runs[1].outcome {
        Outcome::Superseded { reason } => reason.clone(),
        other => panic!("not superseded: {other:?}"),
    };
    assert!(
        superseded.contains("next occurrence, due at 2026-12-05T10:05:00Z"),
        "{superseded}"
    );
    assert_eq!(
        seen,
        vec![
            (1, first, Outcome::Exited { code: 1 }),
            (
                2,
                first,
                Outcome::Superseded {
                    reason: superseded.clone()
                }
            ),
            (
                1,
                instant("2026-12-05T10:05:00Z"),
                Outcome::Exited { code: 1 }
            ),
            (2, instant("2026-12-05T10:05:00Z"), runs[3].outcome.clone()),
        ]
    );
}

#[test]
fn overlap_skip_records_the_occurrence_skipped_while_the_previous_run_runs() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(&daemon, "SCHED_TIMEOUT=90s\n* * * * * -s sleep 1000\n");
    set(&daemon, "2026-12-05T10:01:10Z");
    wait_for_runs(&daemon, 2);
    daemon.advance_to("2026-12-05T10:01:35Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].started, instant("2026-12-05T10:00:00Z"));
    assert!(matches!(runs[0].outcome, Outcome::TimedOut { .. }));
    assert_eq!(runs[1].due, instant("2026-12-05T10:01:00Z"));
    assert_eq!(
        runs[1].outcome,
        Outcome::Skipped {
            reason: format!(
                "run r{} of an earlier occurrence still runs (overlap skip)",
                runs[0].id
            )
        }
    );
}

#[test]
fn overlap_queue_starts_the_occurrence_when_the_run_ends_and_skips_a_second_one() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "SCHED_OVERLAP=queue\nSCHED_TIMEOUT=90s\n* * * * * sleep 1000\n",
    );
    set(&daemon, "2026-12-05T10:01:10Z");
    wait_for_runs(&daemon, 1);
    // 10:01 waits; nothing recorded for it yet.
    assert_eq!(daemon.runs().len(), 1);
    // The first run times out at 10:01:30; the queued one starts then.
    set(&daemon, "2026-12-05T10:01:30Z");
    wait_for_runs(&daemon, 2);
    // 10:02 waits behind it; 10:03 finds one waiting and is skipped; at
    // 10:03:00 the second run times out and 10:02 starts.
    set(&daemon, "2026-12-05T10:03:00Z");
    wait_for_runs(&daemon, 4);
    daemon.ok(&["crontab", "-r"]);
    daemon.advance_to("2026-12-05T10:04:30Z");
    let runs = daemon.runs();
    let seen: Vec<_> = runs
        .iter()
        .map(|run| (run.due, run.started, run.outcome.clone()))
        .collect();
    let at = instant;
    let stopped = |s: &str| Outcome::TimedOut {
        stopped: at(s),
        code: None,
        signal: Some(15),
    };
    assert_eq!(seen.len(), 4, "{seen:#?}");
    assert_eq!(
        seen[0],
        (
            at("2026-12-05T10:00:00Z"),
            at("2026-12-05T10:00:00Z"),
            stopped("2026-12-05T10:01:30Z")
        )
    );
    assert_eq!(
        seen[1],
        (
            at("2026-12-05T10:01:00Z"),
            at("2026-12-05T10:01:30Z"),
            stopped("2026-12-05T10:03:00Z")
        )
    );
    assert_eq!(
        runs[1].note.as_deref(),
        Some(
            format!(
                "queued: waited for run r{} to end (overlap queue)",
                runs[0].id
            )
            .as_str()
        )
    );
    assert_eq!(seen[2].0, at("2026-12-05T10:03:00Z"));
    assert_eq!(
        seen[2].2,
        Outcome::Skipped {
            reason: format!(
                "an earlier occurrence already waits for run r{} to end (overlap queue)",
                runs[1].id
            )
        }
    );
    assert_eq!(
        seen[3],
        (
            at("2026-12-05T10:02:00Z"),
            at("2026-12-05T10:03:00Z"),
            stopped("2026-12-05T10:04:30Z")
        )
    );
}

#[test]
fn overlap_replace_stops_the_running_one_and_starts_the_new_occurrence() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(&daemon, "SCHED_OVERLAP=replace\n* * * * * sleep 1000\n");
    set(&daemon, "2026-12-05T10:01:00Z");
    wait_for_runs(&daemon, 2);
    daemon.ok(&["crontab", "-r"]);
    let runs = daemon.runs();
    assert_eq!(
        runs[0].outcome,
        Outcome::Signalled {
            signal: 15,
            name: "SIGTERM".to_owned()
        }
    );
    assert!(
        runs[0]
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("replaced by the occurrence due at 2026-12-05T10:01:00Z (overlap replace)"),
        "{:?}",
        runs[0].note
    );
    assert_eq!(runs[1].due, instant("2026-12-05T10:01:00Z"));
    assert_eq!(runs[1].started, instant("2026-12-05T10:01:00Z"));
    assert_eq!(runs[1].outcome, Outcome::Running);
    daemon.ok(&["kill", &format!("r{}", runs[1].id)]);
    daemon.settle();
}

fn mock_at(start: &str) -> Options {
    Options {
        mock_clock: Some(start.into()),
        ..Options::default()
    }
}

#[test]
fn after_a_downtime_missed_occurrences_are_recorded_and_caught_up_as_each_entry_says() {
    let mut daemon = Daemon::mock("2026-12-05T10:30:00Z");
    install(
        &daemon,
        "SCHED_CATCHUP=all:2\n0 * * * * echo all $SCHED_SCHEDULED_AT\n\
         SCHED_CATCHUP=once\n0 * * * * echo once $SCHED_SCHEDULED_AT\n\
         SCHED_CATCHUP=none\n0 * * * * echo none\n",
    );
    daemon.advance_to("2026-12-05T11:00:00Z");
    assert_eq!(daemon.runs().len(), 3);
    assert!(daemon.stop().success());
    // Down from 11:00 to 15:30: 12:00, 13:00, 14:00 and 15:00 are missed.
    daemon.launch(&mock_at("2026-12-05T15:30:00Z"));
    daemon.settle();
    daemon.wait_until("both caught-up runs of all:2", |d| {
        d.runs()
            .iter()
            .filter(|run| {
                run.output_head.starts_with("all") && run.due > instant("2026-12-05T11:00:00Z")
            })
            .count()
            == 2
    });
    daemon.settle();
    let runs: Vec<_> = daemon.runs().into_iter().skip(3).collect();
    let summary: Vec<(String, String, String)> = runs
        .iter()
        .map(|run| {
            let what = match &run.outcome {
                Outcome::Exited { code: 0 } => run.output_head.trim().to_owned(),
                Outcome::Missed { reason } => {
                    assert!(
                        reason.starts_with("the daemon was not running (from 2026-12-05T11:00:00Z to 2026-12-05T15:30:00Z)"),
                        "{reason}"
                    );
                    format!("missed {}", run.command)
                }
                other => format!("{other:?}"),
            };
            (run.due.to_string(), run.started.to_string(), what)
        })
        .collect();
    let missed = |hour: &str, command: &str| {
        (
            format!("2026-12-05T{hour}:00:00Z"),
            "2026-12-05T15:30:00Z".to_owned(),
            format!("missed {command}"),
        )
    };
    let all = "echo all $SCHED_SCHEDULED_AT";
    let once = "echo once $SCHED_SCHEDULED_AT";
    let mut expected = vec![
        missed("12", all),
        missed("13", all),
        missed("12", once),
        missed("13", once),
        missed("14", once),
        missed("12", "echo none"),
        missed("13", "echo none"),
        missed("14", "echo none"),
        missed("15", "echo none"),
        (
            "2026-12-05T14:00:00Z".to_owned(),
            "2026-12-05T15:30:00Z".to_owned(),
            "all 2026-12-05T14:00:00Z".to_owned(),
        ),
        (
            "2026-12-05T15:00:00Z".to_owned(),
            "2026-12-05T15:30:00Z".to_owned(),
            "once 2026-12-05T15:00:00Z".to_owned(),
        ),
        (
            "2026-12-05T15:00:00Z".to_owned(),
            "2026-12-05T15:30:00Z".to_owned(),
            "all 2026-12-05T15:00:00Z".to_owned(),
        ),
    ];
    let mut found = summary.clone();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{summary:#?}");
    // all:2 runs its two one after the other, oldest first.
    let all_runs: Vec<_> = runs
        .iter()
        .filter(|run| run.command == all && run.pid.is_some())
        .collect();
    assert_eq!(all_runs[0].due, instant("2026-12-05T14:00:00Z"));
    assert!(all_runs[0].id < all_runs[1].id);
    assert!(all_runs[0].finished.unwrap() <= all_runs[1].started);
}

#[test]
fn a_random_delay_is_the_one_sched_next_prints_and_the_run_starts_then() {
    let daemon = Daemon::mock("2026-12-05T09:00:00Z");
    install(&daemon, "SCHED_JITTER=10m\n0 10 * * * echo spread\n");
    let nominal = instant("2026-12-05T10:00:00Z");
    let start = plus(
        nominal,
        jitter_delay(
            Duration::from_secs(600),
            entry_seed(me(), "echo spread", ""),
            nominal,
        ),
    );
    let next = daemon.upcoming(1);
    assert_eq!(next[0].due, start);
    assert_eq!(next[0].scheduled, Some(nominal));
    // A reload of the same crontab does not move it.
    install(&daemon, "SCHED_JITTER=10m\n0 10 * * * echo spread\n");
    assert_eq!(daemon.upcoming(1)[0].due, start);
    daemon.advance_to("2026-12-05T10:30:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].due, runs[0].started), (nominal, start));
}

#[test]
fn an_at_job_retries_after_a_restart_and_one_past_its_deadline_is_missed() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    let out = daemon.ok(&[
        "at",
        "--retry",
        "1",
        "--backoff",
        "30s",
        "10:00",
        "--",
        "echo $SCHED_ATTEMPT; exit 1",
    ]);
    let retried = crate::harness::job_id(&out);
    let late =
        crate::harness::job_id(&daemon.ok(&["at", "--deadline", "5m", "11:00", "--", "echo late"]));
    let first = instant("2026-12-05T10:00:00Z");
    daemon.advance_to(&text(first));
    let retry_at = plus(
        first,
        retry_delay(
            Backoff {
                first: Duration::from_secs(30),
                cap: Duration::from_secs(360),
            },
            1,
            job_seed(retried),
        ),
    );
    // The retry is pending again under its id, and survives a restart.
    let jobs = daemon.jobs();
    assert_eq!(
        jobs.iter().map(|job| (job.id, job.due)).collect::<Vec<_>>(),
        vec![(retried, retry_at), (late, instant("2026-12-05T11:00:00Z"))]
    );
    let next = &daemon.upcoming(1)[0];
    assert_eq!(
        (next.job, next.due, next.attempt, next.scheduled),
        (Some(retried), retry_at, Some(2), Some(first))
    );
    let printed = daemon.ok(&["next"]);
    assert!(
        printed.contains("[attempt 2 of the run due 2026-12-05T10:00:00+00:00] echo"),
        "{printed}"
    );
    assert!(daemon.stop().success());
    daemon.launch(&mock_at(&text(first)));
    daemon.advance_to(&text(retry_at));
    assert!(daemon.stop().success());
    // Down over 11:00 and back at 11:10: the job may start until 11:05.
    daemon.launch(&mock_at("2026-12-05T11:10:00Z"));
    daemon.settle();
    let runs = daemon.runs();
    let seen: Vec<_> = runs
        .iter()
        .map(|run| {
            (
                run.job,
                run.attempt,
                run.due,
                run.started,
                run.outcome.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen[..2].to_vec(),
        vec![
            (retried, 1, first, first, Outcome::Exited { code: 1 }),
            (retried, 2, first, retry_at, Outcome::Exited { code: 1 }),
        ]
    );
    assert_eq!(runs[0].output_head, "1\n");
    assert_eq!(runs[1].output_head, "2\n");
    assert_eq!(seen[2].0, late);
    assert_eq!(
        seen[2].4,
        Outcome::Missed {
            reason: "it could not start within its starting deadline of 5m (600 s late)".to_owned()
        }
    );
    assert!(daemon.jobs().is_empty());
}

#[test]
fn policies_are_checked_before_anything_is_queued_or_installed() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    let output = daemon.sched(&["at", "--timeout", "10x", "now", "--", "true"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        crate::harness::stderr(&output).contains("--timeout \"10x\": unexpected 'x'"),
        "{}",
        crate::harness::stderr(&output)
    );
    let output = daemon.sched_stdin(
        &["crontab", "-"],
        "SCHED_OVERLAP=sometimes\n* * * * * true\n",
    );
    assert_ne!(output.status.code(), Some(0));
    assert!(
        crate::harness::stderr(&output).contains(
            "1:15: SCHED_OVERLAP: expected allow, skip, queue or replace, found \"sometimes\""
        ),
        "{}",
        crate::harness::stderr(&output)
    );
    assert!(daemon.jobs().is_empty());
}

#[test]
fn runs_lost_with_the_daemon_are_retried_only_where_the_policy_says_so() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    // The first attempt outlives its daemon for a moment, then ends.
    let command = "[ $SCHED_ATTEMPT = 1 ] && sleep 3; echo attempt $SCHED_ATTEMPT";
    let retried = crate::harness::job_id(&daemon.ok(&[
        "at",
        "--retry",
        "1",
        "--retry-lost",
        "10:00",
        "--",
        command,
    ]));
    let left = crate::harness::job_id(&daemon.ok(&["at", "--retry", "1", "10:00", "--", command]));
    install(
        &daemon,
        &format!(
            "SCHED_RETRY=1\nSCHED_RETRY_LOST=yes\n0 10 * * * {command}\nSCHED_RETRY_LOST=no\n0 10 * * * {command} # not retried\n"
        ),
    );
    set(&daemon, "2026-12-05T10:00:00Z");
    wait_for_runs(&daemon, 4);
    daemon.crash();
    daemon.launch(&mock_at("2026-12-05T10:05:00Z"));
    daemon.advance_to("2026-12-05T10:30:00Z");
    let runs = daemon.runs();
    let lost: Vec<_> = runs
        .iter()
        .filter(|run| run.outcome == Outcome::Lost)
        .map(|run| (run.job, run.attempt))
        .collect();
    assert_eq!(lost.len(), 4, "{runs:#?}");
    let mut retries: Vec<_> = runs
        .iter()
        .filter(|run| run.attempt == 2)
        .map(|run| {
            (
                run.job,
                run.origin.clone(),
                run.due,
                run.outcome.clone(),
                run.output_head.clone(),
            )
        })
        .collect();
    // In job order: the crontab line's run has no job (0).
    retries.sort_by_key(|retry| retry.0);
    let due = instant("2026-12-05T10:00:00Z");
    assert_eq!(
        retries,
        vec![
            (
                0,
                Some(
                    "crontab of ".to_owned()
                        + &nix::unistd::User::from_uid(nix::unistd::geteuid())
                            .unwrap()
                            .unwrap()
                            .name
                        + ":3"
                ),
                due,
                Outcome::Exited { code: 0 },
                "attempt 2\n".to_owned()
            ),
            (
                retried,
                None,
                due,
                Outcome::Exited { code: 0 },
                "attempt 2\n".to_owned()
            ),
        ]
    );
    assert!(runs.iter().all(|run| run.job != left || run.attempt == 1));
    assert!(daemon.jobs().is_empty());
}

#[test]
fn a_timeout_counts_the_time_a_job_ran_not_a_step_of_the_clock() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(&daemon, "SCHED_TIMEOUT=10m\n0 10 * * * sleep 1000\n");
    set(&daemon, "2026-12-05T10:00:30Z");
    wait_for_runs(&daemon, 1);
    // The clock is set two hours forward after the job ran 30 s.
    daemon.step("+2h");
    assert_eq!(daemon.runs()[0].outcome, Outcome::Running);
    // 30 s ran before the step, 9 min 30 s after it: stopped at 12:10:00.
    daemon.advance_to("2026-12-05T12:10:05Z");
    assert_eq!(
        daemon.runs()[0].outcome,
        Outcome::TimedOut {
            stopped: instant("2026-12-05T12:10:00Z"),
            code: None,
            signal: Some(15),
        }
    );
}

#[test]
fn a_run_stopped_to_replace_it_is_not_retried() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "SCHED_OVERLAP=replace\nSCHED_RETRY=3\nSCHED_RETRY_BACKOFF=10s\n* * * * * sleep 1000\n",
    );
    set(&daemon, "2026-12-05T10:01:00Z");
    wait_for_runs(&daemon, 2);
    daemon.wait_until("the replaced run's end", |d| {
        d.runs()[0].outcome != Outcome::Running
    });
    // Past the instant a retry of the replaced run would have had.
    set(&daemon, "2026-12-05T10:01:30Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert!(runs.iter().all(|run| run.attempt == 1));
    assert_eq!(runs[1].outcome, Outcome::Running);
    daemon.ok(&["crontab", "-r"]);
    daemon.ok(&["kill", &format!("r{}", runs[1].id)]);
    daemon.settle();
}

#[test]
fn a_kept_retry_overtaken_by_the_next_occurrence_while_down_is_superseded() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "SCHED_RETRY=1\nSCHED_RETRY_BACKOFF=5m\n*/10 * * * * exit 1\n",
    );
    daemon.advance_to("2026-12-05T10:01:00Z");
    assert!(daemon.stop().success());
    daemon.launch(&mock_at("2026-12-05T10:15:00Z"));
    daemon.settle();
    let runs = daemon.runs();
    let second: Vec<_> = runs.iter().filter(|run| run.attempt == 2).collect();
    assert_eq!(second.len(), 1, "{runs:#?}");
    assert_eq!(second[0].due, instant("2026-12-05T10:00:00Z"));
    assert!(
        matches!(&second[0].outcome, Outcome::Superseded { reason }
            if reason.contains("next occurrence, due at 2026-12-05T10:10:00Z")),
        "{:?}",
        second[0].outcome
    );
    // The 10:10 occurrence itself was missed while the daemon was down.
    assert!(
        runs.iter()
            .any(|run| run.due == instant("2026-12-05T10:10:00Z")
                && matches!(run.outcome, Outcome::Missed { .. }))
    );
}
