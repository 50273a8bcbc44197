//! One-shot jobs from submission to run history.

use jiff::Timestamp;
use sched_proto::{JobKind, Outcome};

use crate::harness::{Daemon, Options, instant, stderr};

#[test]
fn now_plus_5_min_at_23_58_runs_at_00_03_the_next_day() {
    // 22:58 UTC is 23:58 in Berlin (CET).
    let daemon = Daemon::mock("2026-11-25T22:58:00Z");
    let out = daemon.ok(&[
        "at",
        "now + 5 min",
        "echo ran at $(date -u +%H:%M) as $(id -u)",
    ]);
    assert_eq!(
        out,
        "job 1 at 2026-11-26T00:03:00+01:00\n  runs: echo ran at $(date -u +%H:%M) as $(id -u)\n"
    );
    let command = "echo ran at $(date -u +%H:%M) as $(id -u)";
    let jobs = daemon.jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        (job.id, job.kind, job.queue),
        (1, sched_proto::JobKind::At, 'a')
    );
    assert_eq!(job.owner_uid, nix::unistd::geteuid().as_raw());
    assert_eq!(job.due, instant("2026-11-25T23:03:00Z"));
    assert_eq!(job.submitted, instant("2026-11-25T22:58:00Z"));
    assert_eq!(job.command, command);
    assert_eq!(job.cwd, daemon.dir.path().display().to_string());
    let table = daemon.ok(&["ls"]);
    let expected = format!(
        "ID  WHEN                       Q  {user:<width$}  COMMAND\n1   2026-11-26T00:03:00+01:00  a  {owner:<width$}  {command}\n",
        user = "USER",
        owner = job.owner,
        width = job.owner.len().max(4),
    );
    assert_eq!(table, expected);
    daemon.advance_to("2026-11-25T23:02:59Z");
    assert!(daemon.runs().is_empty(), "nothing runs before its minute");
    daemon.advance_to("2026-11-25T23:03:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!((run.id, run.job), (1, 1));
    assert_eq!(run.command, command);
    assert_eq!(run.started, instant("2026-11-25T23:03:00Z"));
    assert_eq!(run.due, instant("2026-11-25T23:03:00Z"));
    assert_eq!(run.outcome, Outcome::Exited { code: 0 });
    let uid = nix::unistd::geteuid().as_raw();
    // `date` reads the real clock; only its presence is checked.
    assert!(
        run.output_head.starts_with("ran at "),
        "{:?}",
        run.output_head
    );
    assert!(
        run.output_head.ends_with(&format!(" as {uid}\n")),
        "{:?}",
        run.output_head
    );
    assert!(daemon.jobs().is_empty(), "a run consumes its at job");
}

#[test]
fn a_job_due_on_a_leap_day_runs_on_it() {
    let mut daemon = Daemon::mock("2028-02-28T12:00:00Z");
    daemon.tz = "UTC".to_owned();
    let out = daemon.ok(&["at", "noon Feb 29", "echo leap"]);
    assert_eq!(
        out,
        "job 1 at 2028-02-29T12:00:00+00:00\n  runs: echo leap\n"
    );
    daemon.advance_to("2028-03-01T00:00:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started, instant("2028-02-29T12:00:00Z"));
    assert_eq!(runs[0].output_head, "leap\n");
}

#[test]
fn five_hundred_jobs_each_run_once_in_order_at_their_minute() {
    let mut daemon = Daemon::mock("2026-06-01T00:00:00Z");
    daemon.tz = "UTC".to_owned();
    // Submitted in reverse so that the order of runs cannot come from ids.
    let mut ids = Vec::new();
    for n in (1..=500).rev() {
        let out = daemon.ok(&["at", &format!("now + {n} min"), &format!("echo {n}")]);
        ids.push((n, crate::harness::job_id(&out)));
    }
    assert_eq!(daemon.jobs().len(), 500);
    daemon.advance_to("2026-06-01T12:00:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 500, "every job ran exactly once");
    let start = instant("2026-06-01T00:00:00Z");
    for (index, run) in runs.iter().enumerate() {
        let n = index as i64 + 1;
        let expected = start + jiff::SignedDuration::from_mins(n);
        assert_eq!(run.started, expected, "run {index}");
        assert_eq!(run.output_head, format!("{n}\n"));
        let job = ids.iter().find(|(minutes, _)| *minutes == n).unwrap().1;
        assert_eq!(run.job, job);
        assert_eq!(run.outcome, Outcome::Exited { code: 0 });
    }
    assert!(daemon.jobs().is_empty());
}

/// More jobs due at one instant than the daemon makes ready ahead (64):
/// the rest start at the instant all the same, each once.
#[test]
fn two_hundred_jobs_due_at_the_same_instant_each_run_once_at_it() {
    let mut daemon = Daemon::mock("2026-06-01T00:00:00Z");
    daemon.tz = "UTC".to_owned();
    for n in 1..=200 {
        daemon.at("now + 1 min", &format!("echo {n}"));
    }
    daemon.advance_to("2026-06-01T00:10:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 200, "every job ran exactly once");
    let mut outputs: Vec<u32> = runs
        .iter()
        .map(|run| {
            assert_eq!(run.started, instant("2026-06-01T00:01:00Z"), "{run:?}");
            assert_eq!(run.outcome, Outcome::Exited { code: 0 });
            run.output_head.trim().parse().unwrap()
        })
        .collect();
    outputs.sort_unstable();
    assert_eq!(outputs, (1..=200).collect::<Vec<_>>());
    assert!(daemon.jobs().is_empty());
}

#[test]
fn a_job_removed_before_it_is_due_never_runs() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let keep = daemon.at("now + 10 min", "echo keep");
    let drop = daemon.at("now + 5 min", "echo drop");
    assert_eq!(
        daemon.ok(&["rm", &drop.to_string()]),
        format!("removed job {drop}\n")
    );
    let again = daemon.sched(&["rm", &drop.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again),
        format!("sched: no pending job {drop} of yours: see `sched ls`\n")
    );
    daemon.advance_to("2026-11-25T11:00:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.iter().map(|r| r.job).collect::<Vec<_>>(), vec![keep]);
}

#[test]
fn a_job_keeps_the_submitters_environment_directory_and_umask_and_nothing_of_the_daemons() {
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        env: vec![("DAEMON_SECRET".into(), "leaked".into())],
        ..Options::default()
    });
    let workdir = daemon.dir.path().join("work dir");
    std::fs::create_dir(&workdir).unwrap();
    // sched runs under a umask of 027, in `work dir`, with one variable of
    // its own and a TERM (which at(1) does not keep).
    let output = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("umask 027 && exec \"$0\" \"$@\"")
        .arg(&daemon.sched)
        .args([
            "at",
            "now + 1 min",
            "echo \"$SUBMITTER_VAR|${DAEMON_SECRET-unset}|$(pwd)|$(umask)|${TERM-noterm}\"",
        ])
        .env("SCHED_SOCKET", &daemon.socket)
        .env("SUBMITTER_VAR", "it's kept")
        .env("TERM", "xterm")
        .env_remove("DAEMON_SECRET")
        .current_dir(&workdir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    daemon.advance_to("2026-11-25T10:01:00Z");
    let runs = daemon.runs();
    assert_eq!(
        runs[0].output_head,
        format!("it's kept|unset|{}|0027|noterm\n", workdir.display())
    );
}

#[test]
fn the_command_comes_from_a_file_or_standard_input_and_show_prints_it() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let file = daemon.dir.path().join("job.sh");
    std::fs::write(&file, "echo from-file\necho second line\n").unwrap();
    let from_file =
        crate::harness::job_id(&daemon.ok(&["at", "now + 1 min", "-f", file.to_str().unwrap()]));
    let from_stdin = daemon.sched_stdin(&["at", "now + 2 min"], "echo from-stdin\n");
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    let script = daemon.ok(&["show", &from_file.to_string()]);
    assert!(
        script.starts_with("#!/bin/sh\n# schedd job 1, owner "),
        "{script}"
    );
    assert!(
        script.ends_with("\necho from-file\necho second line\n"),
        "{script}"
    );
    assert!(
        script.contains(&format!("\ncd '{}' || {{", daemon.dir.path().display())),
        "{script}"
    );
    daemon.advance_to("2026-11-25T10:05:00Z");
    let outputs: Vec<String> = daemon.runs().into_iter().map(|r| r.output_head).collect();
    assert_eq!(outputs, vec!["from-file\nsecond line\n", "from-stdin\n"]);
}

#[test]
fn exit_codes_signals_and_long_output_are_recorded() {
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        extra: vec!["--output-limit".into(), "100".into()],
        ..Options::default()
    });
    daemon.at("now + 1 min", "echo failing >&2; exit 3");
    daemon.at("now + 2 min", "kill -TERM $$");
    daemon.at(
        "now + 3 min",
        "i=0; while [ $i -lt 100 ]; do printf '%09d\\n' $i; i=$((i+1)); done",
    );
    daemon.advance_to("2026-11-25T10:10:00Z");
    let runs = daemon.runs();
    assert_eq!(runs[0].outcome, Outcome::Exited { code: 3 });
    assert_eq!(runs[0].output_head, "failing\n");
    assert_eq!(
        runs[1].outcome,
        Outcome::Signalled {
            signal: 15,
            name: "SIGTERM".into()
        }
    );
    assert_eq!(runs[2].output_bytes, 1000);
    assert_eq!(
        runs[2].output_head,
        "000000000\n000000001\n000000002\n000000003\n000000004\n"
    );
    assert_eq!(
        runs[2].output_tail,
        "000000095\n000000096\n000000097\n000000098\n000000099\n"
    );
    let text = daemon.ok(&["logs", "-n", "1"]);
    assert!(text.contains("  [... 900 bytes not kept ...]\n"), "{text}");
}

#[test]
fn a_batch_job_starts_when_the_load_allows() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let out = daemon.ok(&["batch", "echo batch"]);
    assert_eq!(
        out,
        "job 1 at 2026-11-25T11:00:00+01:00\n  runs: echo batch\n"
    );
    daemon.settle();
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started, instant("2026-11-25T10:00:00Z"));
    assert_eq!(runs[0].kind, sched_proto::RunKind::Batch);
}

#[test]
fn batch_jobs_wait_while_the_load_is_above_the_limit() {
    // A limit no load average is below: batch jobs wait, at jobs do not.
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        extra: vec!["--batch-load".into(), "0.0000001".into()],
        ..Options::default()
    });
    daemon.ok(&["batch", "echo batch"]);
    daemon.at("now + 1 min", "echo at");
    daemon.advance_to("2026-11-25T12:00:00Z");
    let runs = daemon.runs();
    assert_eq!(
        runs.iter()
            .map(|r| r.output_head.as_str())
            .collect::<Vec<_>>(),
        vec!["at\n"]
    );
    assert_eq!(daemon.jobs().len(), 1, "the batch job is still pending");
}

#[test]
fn a_bad_time_specification_is_refused_with_a_pointer() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let output = daemon.sched(&["at", "tomorrow 10am", "true"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sched: invalid time, column 10: found the time \"10\" after the date: at(1) wants the time of day first (10am tomorrow, noon Jul 31)\n  tomorrow 10am\n           ^\n"
    );
    let output = daemon.sched(&["at", "-t", "202602301200", "true"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("sched: invalid -t value"),
        "{}",
        stderr(&output)
    );
    assert!(daemon.jobs().is_empty());
}

#[test]
fn without_a_daemon_sched_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("none.sock");
    let ls = |socket: &std::path::Path| {
        std::process::Command::new(crate::harness::sched_binary())
            .args(["ls", "--socket"])
            .arg(socket)
            .output()
            .unwrap()
    };
    let output = ls(&socket);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sched: cannot connect to {}: is schedd running? start it with `schedd --daemon` (serves your own jobs; as root, every user's), or as root `systemctl start schedd` where it is installed as a service; or pass --socket PATH\n",
            socket.display()
        )
    );
    // Something that is not a socket is named as such.
    for (path, what) in [("/etc/passwd", "a regular file"), ("/etc", "a directory")] {
        let output = ls(std::path::Path::new(path));
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(
            stderr(&output),
            format!(
                "sched: cannot connect to {path}: it is not a socket ({what}): pass the socket schedd listens on (schedd --socket)\n"
            )
        );
    }
}

#[test]
fn a_tz_that_names_no_zone_is_refused_by_every_command_that_reads_or_prints_times() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.at("now + 1 hour", "true");
    for args in [
        vec!["ls"],
        vec!["ls", "--json"],
        vec!["next", "--json"],
        vec!["at", "now + 1 hour", "true"],
        vec!["next"],
        vec!["logs"],
        vec!["when", "noon"],
        vec!["next", "0 4 * * *"],
    ] {
        let mut command = daemon.sched_command(&args);
        command.env("TZ", "Bogus/Zone");
        let output = crate::harness::run(command, None);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(output.stdout, b"", "{args:?}");
        assert_eq!(
            stderr(&output),
            "sched: unknown time zone in $TZ: \"Bogus/Zone\": expected an IANA name such as Europe/Berlin, a zone file or a POSIX TZ string; unset TZ for the system's zone\n",
            "{args:?}"
        );
    }
    assert_eq!(daemon.jobs().len(), 1, "nothing was queued");
    // A POSIX TZ string and a leading colon are zones.
    for tz in ["CET-1CEST,M3.5.0,M10.5.0/3", ":Europe/Berlin"] {
        let mut command = daemon.sched_command(&["ls"]);
        command.env("TZ", tz);
        let output = crate::harness::run(command, None);
        assert_eq!(output.status.code(), Some(0), "{tz}: {}", stderr(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("T12:00:00+01:00"),
            "{tz}"
        );
    }
}

#[test]
fn after_the_clock_is_set_back_jobs_wait_for_their_instants_and_run_once() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let early = daemon.at("now + 5 min", "echo early");
    let later = daemon.at("now + 20 min", "echo later");
    // Forward past the first job: it runs, at its own instant.
    daemon.advance_to("2026-11-25T10:10:00Z");
    // Back an hour (date -s, an NTP step): nothing runs again or early.
    daemon.advance_to("2026-11-25T09:10:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.iter().map(|r| r.job).collect::<Vec<_>>(), vec![early]);
    daemon.advance_to("2026-11-25T10:19:59Z");
    assert_eq!(
        daemon.runs().len(),
        1,
        "the second job waits for 10:20 again"
    );
    daemon.advance_to("2026-11-25T10:30:00Z");
    let runs = daemon.runs();
    assert_eq!(
        runs.iter().map(|r| (r.job, r.started)).collect::<Vec<_>>(),
        vec![
            (early, instant("2026-11-25T10:05:00Z")),
            (later, instant("2026-11-25T10:20:00Z")),
        ]
    );
}

#[test]
fn several_jobs_are_removed_in_one_request_and_unknown_ids_are_reported() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let a = daemon.at("now + 5 min", "echo a");
    let b = daemon.at("now + 6 min", "echo b");
    let c = daemon.at("now + 7 min", "echo c");
    let output = daemon.sched(&["rm", &a.to_string(), "999", &c.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("removed job {a}\nremoved job {c}\n")
    );
    assert_eq!(
        stderr(&output),
        "sched: no pending job 999 of yours: see `sched ls`\n"
    );
    assert_eq!(
        daemon.jobs().iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![b]
    );
}

/// A daemon on the mock clock at 10:00 with a batch load limit of 1.5,
/// which reads the load average from a file in `dir` (returned), whose
/// 1-minute figure starts at `load`; `extra` flags are added.
fn daemon_under_load(
    dir: &std::path::Path,
    load: &str,
    extra: &[&str],
) -> (Daemon, std::path::PathBuf) {
    let loadavg = dir.join("loadavg");
    std::fs::write(&loadavg, format!("{load} 1.00 1.00 1/100 4242\n")).unwrap();
    let mut flags = vec![
        "--batch-load".to_owned(),
        "1.5".to_owned(),
        "--loadavg-file".to_owned(),
        loadavg.display().to_string(),
    ];
    flags.extend(extra.iter().map(|flag| flag.to_string()));
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        extra: flags,
        ..Options::default()
    });
    (daemon, loadavg)
}

#[test]
fn batch_jobs_follow_the_load_average_and_start_one_per_interval() {
    // The load is read from a file of the test's: 3.5, above the limit.
    let dir = tempfile::tempdir().unwrap();
    let (daemon, loadavg) = daemon_under_load(dir.path(), "3.50", &["--batch-interval", "120"]);
    for name in ["first", "second", "third"] {
        daemon.ok(&["batch", &format!("echo {name}")]);
    }
    daemon.advance_to("2026-11-25T10:30:00Z");
    assert!(daemon.runs().is_empty(), "the load is too high");
    assert_eq!(daemon.jobs().len(), 3);
    // The load falls: the next check (one interval after the last) starts
    // one job, then one per interval, in order.
    std::fs::write(&loadavg, "0.40 1.20 1.00 1/300 4242\n").unwrap();
    daemon.advance_to("2026-11-25T10:40:00Z");
    let runs = daemon.runs();
    let started: Vec<(String, Timestamp)> = runs
        .iter()
        .map(|run| (run.output_head.clone(), run.started))
        .collect();
    let checks: Vec<Timestamp> = (0..=20)
        .map(|k| instant("2026-11-25T10:00:00Z") + jiff::SignedDuration::from_secs(120 * k))
        .filter(|at| *at > instant("2026-11-25T10:30:00Z"))
        .take(3)
        .collect();
    assert_eq!(
        started,
        vec![
            ("first\n".to_owned(), checks[0]),
            ("second\n".to_owned(), checks[1]),
            ("third\n".to_owned(), checks[2]),
        ]
    );
}

#[test]
fn queues_set_niceness_as_atd_and_upper_case_queues_are_batch_queues() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let at_a = daemon.at("now + 1 min", "nice");
    let at_c = crate::harness::job_id(&daemon.ok(&["at", "-q", "c", "now + 1 min", "nice"]));
    let batch_upper = crate::harness::job_id(&daemon.ok(&["at", "-q", "C", "now + 1 min", "nice"]));
    let batch_b = crate::harness::job_id(&daemon.ok(&["batch", "--at", "now + 1 min", "nice"]));
    let queued: Vec<(u64, char, JobKind)> = daemon
        .jobs()
        .iter()
        .map(|job| (job.id, job.queue, job.kind))
        .collect();
    assert_eq!(
        queued,
        vec![
            (at_a, 'a', JobKind::At),
            (at_c, 'c', JobKind::At),
            (batch_upper, 'C', JobKind::Batch),
            (batch_b, 'b', JobKind::Batch),
        ]
    );
    // atd's niceness: (letter - 'a' + 1) * 2, upper case as lower.
    daemon.advance_to("2026-11-25T10:05:00Z");
    daemon.settle();
    let mut niceness: Vec<(u64, String)> = daemon
        .runs()
        .into_iter()
        .map(|run| (run.job, run.output_head))
        .collect();
    niceness.sort();
    assert_eq!(
        niceness,
        vec![
            (at_a, "2\n".to_owned()),
            (at_c, "6\n".to_owned()),
            (batch_upper, "6\n".to_owned()),
            (batch_b, "4\n".to_owned()),
        ]
    );
    // Not queues.
    let digit = daemon.sched(&["at", "-q", "1", "now + 1 min", "true"]);
    assert_eq!(digit.status.code(), Some(1));
    assert_eq!(
        stderr(&digit),
        "sched: queue '1' is not a letter: at's queues are a-z and A-Z\n"
    );
    let lower_batch = daemon.sched(&["batch", "-q", "c", "true"]);
    assert_eq!(lower_batch.status.code(), Some(1));
    assert_eq!(
        stderr(&lower_batch),
        "sched: queue c is not a batch queue: batch jobs go in b or an upper-case queue (A-Z)\n"
    );
}

#[test]
fn due_batch_jobs_start_by_queue_letter_then_age_as_atd_picks_them() {
    let dir = tempfile::tempdir().unwrap();
    let (daemon, _) = daemon_under_load(dir.path(), "0.10", &[]);
    // All three come due at 10:01; queue letters sort A, C, b (atd
    // compares its file names, which start with the letter).
    for (queue, name) in [("b", "in b"), ("C", "in C"), ("A", "in A")] {
        daemon.ok(&[
            "batch",
            "-q",
            queue,
            "--at",
            "now + 1 min",
            &format!("echo {name}"),
        ]);
    }
    daemon.advance_to("2026-11-25T10:05:00Z");
    let started: Vec<(String, Timestamp)> = daemon
        .runs()
        .iter()
        .map(|run| (run.output_head.clone(), run.started))
        .collect();
    assert_eq!(
        started,
        vec![
            ("in A\n".to_owned(), instant("2026-11-25T10:01:00Z")),
            ("in C\n".to_owned(), instant("2026-11-25T10:02:00Z")),
            ("in b\n".to_owned(), instant("2026-11-25T10:03:00Z")),
        ]
    );
}

#[test]
fn a_job_writing_without_end_occupies_about_the_output_limit_on_disk_while_it_runs() {
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        extra: vec!["--output-limit".into(), "65536".into()],
        ..Options::default()
    });
    // 256 MiB of "y\n", then, still running, the job measures its own
    // output file's blocks on disk (its standard output is that file).
    daemon.at(
        "now + 1 min",
        "yes | head -c 268435456; echo; stat -L -c 'blocks=%b' /proc/self/fd/1",
    );
    daemon.advance_to("2026-11-25T10:02:00Z");
    let runs = daemon.runs();
    assert_eq!(runs[0].outcome, Outcome::Exited { code: 0 });
    assert_eq!(runs[0].output_head, "y\n".repeat(16384));
    let tail = &runs[0].output_tail;
    let blocks: u64 = tail
        .rsplit_once("blocks=")
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no block count at the end of {tail:?}"));
    // The limit, a trimming step and what the job wrote before the daemon
    // next ran: far below the 256 MiB written.
    assert!(
        blocks * 512 < 48 << 20,
        "{} MiB on disk while running",
        (blocks * 512) >> 20
    );
    let measured = format!("\nblocks={blocks}\n");
    assert_eq!(
        runs[0].output_bytes,
        268_435_456 + measured.len() as u64,
        "the full count is recorded"
    );
}

#[test]
fn a_batch_job_held_back_by_the_load_says_so_in_ls_and_next() {
    let dir = tempfile::tempdir().unwrap();
    let (mut daemon, loadavg) = daemon_under_load(dir.path(), "2.31", &[]);
    daemon.tz = "UTC".to_owned();
    let id = crate::harness::job_id(&daemon.ok(&["batch", "echo", "later"]));
    let later = crate::harness::job_id(&daemon.ok(&["batch", "--at", "noon", "echo", "noon"]));
    let listed = daemon.ok(&["ls"]);
    assert!(
        listed.contains("[waiting for the load: 2.31 >= limit 1.50] echo later"),
        "{listed}"
    );
    assert!(
        !listed.contains("[waiting for the load: 2.31 >= limit 1.50] echo noon"),
        "not due yet: {listed}"
    );
    let next = daemon.ok(&["next"]);
    assert!(
        next.contains(&format!(
            "batch job {id}  [waiting for the load: 2.31 >= limit 1.50] echo later"
        )),
        "{next}"
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&daemon.ok(&["ls", "--json"])).unwrap();
    let row = |job: u64| rows.iter().find(|row| row["id"] == job).unwrap().clone();
    assert_eq!(
        row(id)["waiting_for_load"],
        serde_json::json!({"load": 2.31, "limit": 1.5})
    );
    assert!(row(later).get("waiting_for_load").is_none());
    let jobs = daemon.jobs();
    assert_eq!(
        jobs.iter()
            .map(|job| (job.id, job.waiting_for_load.is_some()))
            .collect::<Vec<_>>(),
        [(id, true), (later, false)]
    );
    // Once the load falls, nothing waits.
    std::fs::write(&loadavg, "0.20 1.00 1.00 1/100 4242\n").unwrap();
    let listed = daemon.ok(&["ls"]);
    assert!(!listed.contains("waiting"), "{listed}");
}
