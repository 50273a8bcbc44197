//! Operating schedd through the real binaries on the mock clock: `sched
//! run`, `pause`, `resume` and `skip`, each recorded in the run history
//! with who asked, kept across a restart and an edit that moves the line.

use sched_proto::Outcome;

use crate::cron::install;
use crate::harness::{Daemon, Options, instant, stderr};

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

/// Who the history says asked: the caller, by name and uid.
fn by() -> String {
    format!("{} (uid {})", me(), nix::unistd::geteuid().as_raw())
}

/// (due, outcome) of each run of `origin`, oldest first.
fn history(daemon: &Daemon, origin: &str) -> Vec<(String, Outcome)> {
    daemon
        .runs()
        .into_iter()
        .filter(|run| run.origin.as_deref() == Some(origin))
        .map(|run| (run.due.to_string(), run.outcome))
        .collect()
}

fn skipped(reason: String) -> Outcome {
    Outcome::Skipped { reason }
}

#[test]
fn a_paused_line_is_recorded_skipped_across_a_restart_and_a_move_until_resumed() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "*/10 * * * * echo tick $SCHED_SCHEDULED_AT $SCHED_REASON\n0 * * * * echo hourly\n",
    );
    let origin = format!("crontab of {}:1", me());
    assert_eq!(
        daemon.ok(&["pause", "crontab:1"]),
        format!("{origin} (echo tick $SCHED_SCHEDULED_AT $SCHED_REASON): paused\n")
    );
    // Pausing again says so and changes nothing.
    assert_eq!(
        daemon.ok(&["pause", "crontab:1"]),
        format!(
            "{origin} (echo tick $SCHED_SCHEDULED_AT $SCHED_REASON): already paused by {} at 2026-12-05T09:59:00Z\n",
            by()
        )
    );
    let pause = format!(
        "paused by {} at 2026-12-05T09:59:00Z (sched pause; sched resume lets it run again)",
        by()
    );
    // `sched next` shows the pause on the paused line only.
    let upcoming = daemon.upcoming(1);
    let held: Vec<(&str, Option<&str>)> = upcoming
        .iter()
        .map(|run| (run.command.as_str(), run.held.as_deref()))
        .collect();
    assert_eq!(upcoming.len(), 2);
    assert!(
        held.contains(&("echo tick $SCHED_SCHEDULED_AT $SCHED_REASON", Some(&pause)))
            && held.contains(&("echo hourly", None)),
        "{held:?}"
    );
    daemon.advance_to("2026-12-05T10:20:00Z");
    assert_eq!(
        history(&daemon, &origin),
        [
            ("2026-12-05T10:00:00Z".to_owned(), skipped(pause.clone())),
            ("2026-12-05T10:10:00Z".to_owned(), skipped(pause.clone())),
            ("2026-12-05T10:20:00Z".to_owned(), skipped(pause.clone())),
        ]
    );
    let hourly = format!("crontab of {}:2", me());
    assert_eq!(
        history(&daemon, &hourly),
        [(
            "2026-12-05T10:00:00Z".to_owned(),
            Outcome::Exited { code: 0 }
        )]
    );
    // A restart keeps the pause; so does an edit that moves the line.
    assert!(daemon.stop().success());
    daemon.launch(&Options {
        mock_clock: Some("2026-12-05T10:25:00Z".into()),
        ..Options::default()
    });
    install(
        &daemon,
        "# moved down by two lines\n\n*/10 * * * * echo tick $SCHED_SCHEDULED_AT $SCHED_REASON\n0 * * * * echo hourly\n",
    );
    let moved = format!("crontab of {}:3", me());
    daemon.advance_to("2026-12-05T10:30:00Z");
    assert_eq!(
        history(&daemon, &moved),
        [("2026-12-05T10:30:00Z".to_owned(), skipped(pause.clone()))]
    );
    // The old name is gone with the move.
    let output = daemon.sched(&["resume", "crontab:1"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sched: no crontab line {origin} of yours is loaded: see `sched next` or `crontab -l`\n"
        )
    );
    assert_eq!(
        daemon.ok(&["resume", "crontab:3"]),
        format!("{moved} (echo tick $SCHED_SCHEDULED_AT $SCHED_REASON): resumed\n")
    );
    daemon.advance_to("2026-12-05T10:40:00Z");
    let last = daemon.runs().pop().unwrap();
    assert_eq!(last.origin.as_deref(), Some(moved.as_str()));
    assert_eq!(last.outcome, Outcome::Exited { code: 0 });
    assert_eq!(last.output_head, "tick 2026-12-05T10:40:00Z schedule\n");
}

#[test]
fn skip_holds_back_exactly_the_next_n_occurrences_and_skips_add_up() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(&daemon, "*/10 * * * * echo tick\n");
    let origin = format!("crontab of {}:1", me());
    assert_eq!(
        daemon.ok(&["skip", "-n", "2", "crontab:1"]),
        format!(
            "{origin} (echo tick): skipping 2 occurrences: 2026-12-05T10:00:00Z, 2026-12-05T10:10:00Z\n"
        )
    );
    // A second skip counts from the first occurrence not skipped yet.
    assert_eq!(
        daemon.ok(&["skip", &origin]),
        format!("{origin} (echo tick): skipping 1 occurrence: 2026-12-05T10:20:00Z\n")
    );
    let upcoming = daemon.upcoming(4);
    let held: Vec<bool> = upcoming.iter().map(|run| run.held.is_some()).collect();
    assert_eq!(held, [true, true, true, false]);
    daemon.advance_to("2026-12-05T10:40:00Z");
    let skip = |at: &str| {
        skipped(format!(
            "skipped at the request of {} (sched skip at {at})",
            by()
        ))
    };
    assert_eq!(
        history(&daemon, &origin),
        [
            (
                "2026-12-05T10:00:00Z".to_owned(),
                skip("2026-12-05T09:59:00Z")
            ),
            (
                "2026-12-05T10:10:00Z".to_owned(),
                skip("2026-12-05T09:59:00Z")
            ),
            (
                "2026-12-05T10:20:00Z".to_owned(),
                skip("2026-12-05T09:59:00Z")
            ),
            (
                "2026-12-05T10:30:00Z".to_owned(),
                Outcome::Exited { code: 0 }
            ),
            (
                "2026-12-05T10:40:00Z".to_owned(),
                Outcome::Exited { code: 0 }
            ),
        ]
    );
    // Out of range counts are refused before anything is kept.
    let output = daemon.sched(&["skip", "-n", "0", "crontab:1"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sched: -n 0: skip at least one occurrence\n"
    );
    let output = daemon.sched(&["skip", "-n", "10001", "crontab:1"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sched: -n 10001: the number of occurrences to skip is from 1 to 10000\n"
    );
}

#[test]
fn run_starts_a_line_or_a_job_now_as_a_manual_run_even_when_paused() {
    let daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "0 3 * * * echo nightly $SCHED_SCHEDULED_AT $SCHED_REASON $SCHED_ATTEMPT\n",
    );
    daemon.ok(&["pause", "crontab:1"]);
    daemon.ok(&["mock", "set", "2026-12-05T10:07:30Z"]);
    let output = daemon.ok(&["run", "crontab:1"]);
    let run: u64 = output
        .trim_end()
        .rsplit_once(" r")
        .and_then(|(_, id)| id.parse().ok())
        .unwrap_or_else(|| panic!("{output:?}"));
    assert_eq!(
        output,
        format!(
            "crontab of {}:1 (echo nightly $SCHED_SCHEDULED_AT $SCHED_REASON $SCHED_ATTEMPT): started run r{run}\n",
            me()
        )
    );
    let id = daemon.at("13:00", "echo job $SCHED_SCHEDULED_AT $SCHED_REASON");
    assert_eq!(
        daemon.ok(&["run", &id.to_string()]),
        format!("job {id}: started run r{}\n", run + 1)
    );
    daemon.settle();
    // Started now, not at its instant: it is no longer pending.
    assert!(daemon.jobs().is_empty());
    let runs = daemon.runs();
    assert_eq!(runs.len(), 2);
    let note = format!("a manual run, started by {} with `sched run`", by());
    assert_eq!(runs[0].id, run);
    assert_eq!(runs[0].due, instant("2026-12-05T10:07:30Z"));
    assert_eq!(
        runs[0].output_head,
        "nightly 2026-12-05T10:07:30Z manual 1\n"
    );
    assert_eq!(runs[0].note.as_deref(), Some(note.as_str()));
    assert_eq!(runs[1].job, id);
    assert_eq!(runs[1].output_head, "job 2026-12-05T10:07:30Z manual\n");
    assert_eq!(runs[1].note.as_deref(), Some(note.as_str()));
    // Nothing else of the caller's answers to these names.
    let id_text = id.to_string();
    for (args, message) in [
        (
            vec!["run", "crontab:2"],
            format!(
                "no crontab line crontab of {}:2 of yours is loaded: see `sched next` or `crontab -l`",
                me()
            ),
        ),
        (
            vec!["run", id_text.as_str()],
            format!("no pending job {id} of yours: see `sched ls`"),
        ),
        (
            vec!["pause", "42"],
            "\"42\" names no crontab line: expected crontab:LINE (your crontab), FILE:LINE (a system crontab), or for root crontab:USER:LINE".to_owned(),
        ),
    ] {
        let output = daemon.sched(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&output), format!("sched: {message}\n"), "{args:?}");
    }
}

/// `sched status --json`, parsed, and the exit status.
fn status(daemon: &Daemon) -> (Vec<serde_json::Value>, Option<i32>) {
    let output = daemon.sched(&["status", "--json"]);
    let entries = serde_json::from_slice(&output.stdout).unwrap();
    (entries, output.status.code())
}

#[test]
fn status_tells_a_healthy_a_failing_a_late_and_a_paused_line_apart_and_exits_1() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    install(
        &daemon,
        "*/10 * * * * true\n*/10 * * * * false\nSCHED_OVERLAP=skip\n*/10 * * * * sleep 30\n*/10 * * * * echo paused\n",
    );
    daemon.ok(&["pause", "crontab:5"]);
    daemon.ok(&["mock", "set", "2026-12-05T10:20:00Z"]);
    daemon.wait_until("the runs of 10:20", |d| {
        d.runs()
            .iter()
            .filter(|run| run.due == instant("2026-12-05T10:20:00Z"))
            .all(|run| run.finished.is_some() || run.command == "sleep 30")
            && d.runs().len() == 12
    });
    daemon.ok(&["mock", "set", "2026-12-05T10:25:00Z"]);
    let (entries, code) = status(&daemon);
    assert_eq!(code, Some(1));
    let me = me();
    let summary: Vec<String> = entries
        .iter()
        .map(|entry| {
            format!(
                "{} failures={} missed={} healthy={} late={} paused={} last={} next={}",
                entry["name"].as_str().unwrap(),
                entry["failures"],
                entry["missed"],
                entry["healthy"],
                entry["late"],
                entry["paused"].is_string(),
                entry["last_outcome"],
                entry["next"],
            )
        })
        .collect();
    let next = instant("2026-12-05T10:30:00Z").as_microsecond();
    let at = |text: &str| instant(text).as_microsecond();
    assert_eq!(
        summary,
        [
            format!(
                "crontab of {me}:1 failures=0 missed=0 healthy=true late=null paused=false last={{\"code\":0,\"state\":\"exited\"}} next={next}"
            ),
            format!(
                "crontab of {me}:2 failures=3 missed=0 healthy=false late={{\"expected\":{},\"since\":{}}} paused=false last={{\"code\":1,\"state\":\"exited\"}} next={next}",
                at("2026-12-05T10:10:00Z"),
                at("2026-12-05T10:20:00Z")
            ),
            format!(
                "crontab of {me}:4 failures=0 missed=0 healthy=false late={{\"expected\":{},\"since\":{}}} paused=false last={{\"reason\":\"run r{} of an earlier occurrence still runs (overlap skip)\",\"state\":\"skipped\"}} next={next}",
                at("2026-12-05T10:10:00Z"),
                at("2026-12-05T10:20:00Z"),
                daemon
                    .runs()
                    .iter()
                    .find(|run| run.command == "sleep 30")
                    .unwrap()
                    .id
            ),
            format!(
                "crontab of {me}:5 failures=0 missed=0 healthy=true late=null paused=true last={{\"reason\":\"paused by {} at 2026-12-05T09:59:00Z (sched pause; sched resume lets it run again)\",\"state\":\"skipped\"}} next={next}",
                by()
            ),
        ]
    );
    assert_eq!(
        entries[0]["last_success"].as_i64(),
        Some(at("2026-12-05T10:20:00Z"))
    );
    // --quiet prints nothing and says it with its exit status.
    let output = daemon.sched(&["status", "--quiet"]);
    assert_eq!((output.status.code(), output.stdout.len()), (Some(1), 0));
    // The healthy line alone: exit status 0, and the text table says ok.
    install(&daemon, "*/10 * * * * true\n");
    let output = daemon.sched(&["status"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("STATE  ENTRY"), "{text}");
    assert!(
        lines[1].starts_with(&format!("ok     crontab of {me}:1  exit 0 ")),
        "{text}"
    );
    // Occurrences missed while the daemon was down count: down from
    // 10:29:59 to 10:41, the success of 10:30 is overdue since 10:40.
    daemon.ok(&["mock", "set", "2026-12-05T10:29:59Z"]);
    assert!(daemon.stop().success());
    daemon.launch(&Options {
        mock_clock: Some("2026-12-05T10:41:00Z".into()),
        ..Options::default()
    });
    daemon.settle();
    let (entries, code) = status(&daemon);
    assert_eq!(code, Some(1));
    assert_eq!(
        (
            &entries[0]["missed"],
            &entries[0]["healthy"],
            &entries[0]["late"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(false),
            &serde_json::json!({"expected": at("2026-12-05T10:30:00Z"), "since": at("2026-12-05T10:40:00Z")})
        )
    );
}
