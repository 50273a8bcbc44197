//! Operating schedd through the real binaries on the mock clock: `sched
//! run`, `pause`, `resume` and `skip`, each recorded in the run history
//! with who asked, kept across a restart and an edit that moves the line.

use sched_proto::Outcome;

use crate::cron::install;
use crate::harness::{Daemon, Options, instant, job_id, stderr};

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
    // `sched ls` lists the paused line after the jobs (none here).
    assert_eq!(
        daemon.ok(&["ls"]),
        format!("{origin}: paused by {} at 2026-12-05T09:59:00Z\n", by())
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

/// The on-failure command of the tests: writes the SCHED_FAILED_*
/// variables and the output it is given to a file of `dir` named after the
/// entry and the instant, whole (written aside, then renamed).
fn hook(dir: &std::path::Path) -> String {
    format!(
        "f=$(printf %s \"$SCHED_FAILED_ENTRY@$SCHED_FAILED_SCHEDULED_AT\" | tr -c 'A-Za-z0-9@.-' _); \
         {{ env | grep ^SCHED_FAILED_ | sort; cat \"$SCHED_FAILED_OUTPUT\"; }} > {0}/.$f && mv {0}/.$f {0}/$f",
        dir.display()
    )
}

/// The files the on-failure commands wrote in `dir`, by name.
fn hooks(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(entry.path()).unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_on_failure_command_runs_once_retries_are_spent_and_for_missed_occurrences() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    let out = daemon.dir.path().join("hooks");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    install(
        &daemon,
        &format!(
            "SCHED_ONFAILURE={}\nSCHED_RETRY=1\n0 10 * * * echo boom; exit 3\nSCHED_RETRY=0\n*/10 * * * * true\n",
            hook(&out)
        ),
    );
    // A job that will be missed: past its deadline once the daemon is back.
    let id = job_id(&daemon.ok(&[
        "at",
        "--deadline",
        "1m",
        "--on-failure",
        &hook(&out),
        "10:10",
        "--",
        "true",
    ]));
    // The first run fails at 10:00; its retry comes 10 s to 20 s later.
    daemon.advance_to("2026-12-05T10:00:00Z");
    daemon.advance_to("2026-12-05T10:08:00Z");
    let me = me();
    let failed_runs: Vec<u64> = daemon
        .runs()
        .iter()
        .filter(|run| run.command == "echo boom; exit 3")
        .map(|run| run.id)
        .collect();
    // The first attempt failed and was retried: only the retry's failure,
    // the last, runs the command.
    assert_eq!(failed_runs.len(), 2);
    let entry = format!("crontab of {me}:3");
    let file = |entry: &str, at: &str| {
        format!("{entry}@{at}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "@.-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    daemon.wait_until("the on-failure command of the retried line", |_| {
        hooks(&out).len() == 1
    });
    assert_eq!(
        hooks(&out),
        [(
            file(&entry, "2026-12-05T10:00:00Z"),
            format!(
                "SCHED_FAILED_ATTEMPT=2\nSCHED_FAILED_ENTRY={entry}\nSCHED_FAILED_EXIT_STATUS=3\n\
                 SCHED_FAILED_OUTCOME=exit 3\nSCHED_FAILED_OUTPUT=/dev/stdin\nSCHED_FAILED_RUN={}\n\
                 SCHED_FAILED_SCHEDULED_AT=2026-12-05T10:00:00Z\nboom\n",
                failed_runs[1]
            )
        )]
    );
    // Down from 10:08 to 10:30: the job is past its deadline, and the
    // */10 line missed 10:10, 10:20 and 10:30 (one command, for the
    // newest).
    assert!(daemon.stop().success());
    daemon.launch(&Options {
        mock_clock: Some("2026-12-05T10:30:00Z".into()),
        ..Options::default()
    });
    daemon.settle();
    daemon.wait_until("the on-failure commands of the missed", |_| {
        hooks(&out).len() == 3
    });
    let found = hooks(&out);
    let line = format!("crontab of {me}:5");
    let missed_line = found
        .iter()
        .find(|(name, _)| *name == file(&line, "2026-12-05T10:30:00Z"))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(
        missed_line.1.starts_with(&format!(
            "SCHED_FAILED_ATTEMPT=1\nSCHED_FAILED_ENTRY={line}\nSCHED_FAILED_EXIT_STATUS=\n\
             SCHED_FAILED_OUTCOME=missed: the daemon was not running (from "
        )),
        "{}",
        missed_line.1
    );
    let job = format!("job {id}");
    let missed_job = found
        .iter()
        .find(|(name, _)| *name == file(&job, "2026-12-05T10:10:00Z"))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(
        missed_job.1,
        format!(
            "SCHED_FAILED_ATTEMPT=1\nSCHED_FAILED_ENTRY={job}\nSCHED_FAILED_EXIT_STATUS=\n\
             SCHED_FAILED_OUTCOME=missed: it could not start within its starting deadline of 1m (1200 s late)\n\
             SCHED_FAILED_OUTPUT=/dev/stdin\nSCHED_FAILED_RUN={}\nSCHED_FAILED_SCHEDULED_AT=2026-12-05T10:10:00Z\n",
            daemon.runs().iter().find(|run| run.job == id).unwrap().id
        )
    );
}

/// The samples of an exposition, `name{labels}` to value, comments and
/// histogram buckets left out (the two formats write a bucket's bound and
/// labels in different orders).
fn samples(text: &str) -> std::collections::BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty() && !line.contains("_bucket{"))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// `promtool check metrics` on `text`: required in CI, skipped with a
/// reason elsewhere when promtool is not installed.
fn promtool_accepts(text: &str) {
    use std::io::Write as _;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("promtool check skipped: cannot run promtool ({error}); CI installs it");
            return;
        }
        Err(error) => panic!("promtool must run in CI: {error}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success() && output.stdout.is_empty() && output.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One HTTP GET of `path` on `address`: the status line, the content
/// type and the body.
fn http_get(address: &str, path: &str, accept: &str) -> (String, String, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nAccept: {accept}\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap().to_owned();
    let content_type = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Type: "))
        .unwrap_or_default()
        .to_owned();
    (status, content_type, body.to_owned())
}

#[test]
fn metrics_count_exactly_on_the_mock_clock_over_the_socket_http_and_a_textfile() {
    let mut daemon = Daemon::mock("2026-12-05T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    assert!(daemon.stop().success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let textfile = daemon.dir.path().join("schedd.prom");
    std::fs::write(
        daemon.dir.path().join("schedd.conf"),
        format!(
            "metrics_listen = \"{port}\"\nmetrics_textfile = \"{}\"\nmetrics_entries = 10\n",
            textfile.display()
        ),
    )
    .unwrap();
    daemon.launch(&Options {
        mock_clock: Some("2026-12-05T09:59:00Z".into()),
        ..Options::default()
    });
    install(&daemon, "*/10 * * * * true\n*/10 * * * * false\n");
    daemon.ok(&["at", "10:05", "--", "true"]);
    daemon.advance_to("2026-12-05T10:00:00Z");
    daemon.advance_to("2026-12-05T10:10:00Z");
    daemon.advance_to("2026-12-05T10:20:00Z");
    daemon.ok(&["pause", "crontab:2"]);
    daemon.advance_to("2026-12-05T10:30:00Z");
    let me = me();
    let text = daemon.ok(&["metrics"]);
    assert!(text.ends_with("# EOF\n"), "{text}");
    let found = samples(&text);
    let at = |text: &str| instant(text).as_millisecond() as f64 / 1000.0;
    let line = |n: u32| format!("entry=\"crontab of {me}:{n}\",owner=\"{me}\"");
    let expected: Vec<(String, f64)> = vec![
        (
            "schedd_runs_total{kind=\"cron\",result=\"success\"}".into(),
            4.0,
        ),
        (
            "schedd_runs_total{kind=\"cron\",result=\"failure\"}".into(),
            3.0,
        ),
        (
            "schedd_runs_total{kind=\"at\",result=\"success\"}".into(),
            1.0,
        ),
        (
            "schedd_runs_total{kind=\"at\",result=\"failure\"}".into(),
            0.0,
        ),
        (
            "schedd_runs_total{kind=\"cron\",result=\"timeout\"}".into(),
            0.0,
        ),
        (
            "schedd_run_duration_seconds_count{kind=\"cron\"}".into(),
            7.0,
        ),
        ("schedd_run_duration_seconds_count{kind=\"at\"}".into(), 1.0),
        ("schedd_start_lag_seconds_count{kind=\"cron\"}".into(), 7.0),
        ("schedd_start_lag_seconds_count{kind=\"at\"}".into(), 1.0),
        ("schedd_skipped_total{kind=\"cron\"}".into(), 1.0),
        ("schedd_missed_total{kind=\"cron\"}".into(), 0.0),
        ("schedd_retries_total{kind=\"cron\"}".into(), 0.0),
        ("schedd_timeouts_total{kind=\"cron\"}".into(), 0.0),
        ("schedd_jobs_pending{kind=\"at\"}".into(), 0.0),
        ("schedd_runs_active".into(), 0.0),
        ("schedd_entries".into(), 2.0),
        (
            format!("schedd_entry_next_timestamp_seconds{{{}}}", line(1)),
            at("2026-12-05T10:40:00Z"),
        ),
        (
            format!("schedd_entry_next_timestamp_seconds{{{}}}", line(2)),
            at("2026-12-05T10:40:00Z"),
        ),
        (
            format!("schedd_entry_last_success_timestamp_seconds{{{}}}", line(1)),
            at("2026-12-05T10:30:00Z"),
        ),
        (format!("schedd_entry_paused{{{}}}", line(1)), 0.0),
        (format!("schedd_entry_paused{{{}}}", line(2)), 1.0),
    ];
    for (series, value) in &expected {
        assert_eq!(found.get(series), Some(value), "{series} in\n{text}");
    }
    // A line that never succeeded has no last-success series.
    assert!(!found.contains_key(&format!(
        "schedd_entry_last_success_timestamp_seconds{{{}}}",
        line(2)
    )));
    // Nothing of a command reaches a label.
    assert!(!text.contains("true") && !text.contains("false"), "{text}");
    // The Prometheus text passes promtool; so does the textfile.
    let prometheus = daemon.ok(&["metrics", "--format", "prometheus"]);
    assert!(!prometheus.contains("# EOF"));
    assert_eq!(samples(&prometheus), found);
    promtool_accepts(&prometheus);
    // Over HTTP: OpenMetrics when asked for, Prometheus text otherwise.
    let address = format!("127.0.0.1:{port}");
    let (status, content_type, body) = http_get(
        &address,
        "/metrics",
        "application/openmetrics-text;version=1.0.0",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(samples(&body), found);
    let (status, content_type, body) = http_get(&address, "/metrics", "*/*");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    promtool_accepts(&body);
    let (status, _, _) = http_get(&address, "/", "*/*");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // The textfile is written whole; at the latest when the daemon stops.
    assert!(daemon.stop().success());
    let written = std::fs::read_to_string(&textfile).unwrap();
    assert_eq!(samples(&written), found);
    promtool_accepts(&written);
}
