//! An admin's at(1), atq(1), atrm(1) and crontab(1) habits, through the
//! real binaries: at's word order, its flags, the programs' own names, and
//! at jobs' mail.

use std::process::Command;

use crate::harness::{Daemon, instant, run, stderr};

/// `sched ARGS` with `stdin`; (exit code, stdout, stderr).
fn sched(daemon: &Daemon, args: &[&str], stdin: &str) -> (i32, String, String) {
    let output = daemon.sched_stdin(args, stdin);
    let err = stderr(&output);
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        err,
    )
}

/// The pending jobs as (due, command).
fn pending(daemon: &Daemon) -> Vec<(jiff::Timestamp, String)> {
    daemon
        .jobs()
        .into_iter()
        .map(|job| (job.due, job.command))
        .collect()
}

#[test]
fn every_word_is_the_time_and_the_command_comes_from_stdin() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    let (code, out, err) = sched(&daemon, &["at", "now", "+", "1", "hour"], "backup.sh\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "job 1 at 2026-11-25T11:00:00+00:00\n  runs: backup.sh\n"
    );
    // The product's quoted form and `--` keep their meaning.
    let (code, out, _) = sched(&daemon, &["at", "now + 5 min", "cmd", "args"], "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "job 2 at 2026-11-25T10:05:00+00:00\n  runs: cmd args\n"
    );
    let (code, _, err) = sched(
        &daemon,
        &["at", "now", "+", "5", "min", "--", "cmd", "--flag"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    // at's options after the time, as GNU getopt takes them.
    let script = daemon.dir.path().join("job.sh");
    std::fs::write(&script, "from-file\n").unwrap();
    let (code, _, err) = sched(
        &daemon,
        &[
            "at",
            "now",
            "+",
            "2",
            "hours",
            "-f",
            script.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        pending(&daemon),
        [
            (instant("2026-11-25T10:05:00Z"), "cmd args".to_owned()),
            (instant("2026-11-25T10:05:00Z"), "cmd --flag".to_owned()),
            (instant("2026-11-25T11:00:00Z"), "backup.sh\n".to_owned()),
            (instant("2026-11-25T12:00:00Z"), "from-file\n".to_owned()),
        ]
    );
}

#[test]
fn words_that_read_two_ways_are_refused_with_both_spellings() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    let (code, out, err) = sched(&daemon, &["at", "noon", "tomorrow", "echo", "report"], "");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(
        err.contains("sched at noon tomorrow -- echo report"),
        "{err}"
    );
    assert!(
        err.contains("sched at noon -- tomorrow echo report"),
        "{err}"
    );
    // The issue's dangerous case: never `now` running `+ 1 hour ...`, nor
    // the tail of a mistyped time (`huor`), whatever standard input holds.
    for words in [
        &["at", "now", "+", "1", "hour", "reboot"][..],
        &["at", "now", "+", "1", "huor"],
        &["at", "tomorrow", "noon", "echo", "hi"],
        &["at", "now", "utc", "echo", "hi"],
    ] {
        let (code, _, err) = sched(&daemon, words, "backup.sh\n");
        assert_eq!(code, 1, "{words:?}: {err}");
        assert!(err.contains(" -- "), "the exact spelling is offered: {err}");
    }
    // Called as at, every word is the time: a typo is refused.
    let mut at = program(&daemon, "at");
    at.args(["now", "+", "1", "huor"]);
    let output = run(at, Some("backup.sh\n"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // Nothing to run: refused, whether stdin is empty or blank.
    for stdin in ["", " \n\t\n"] {
        let (code, _, err) = sched(&daemon, &["at", "teatime"], stdin);
        assert_eq!(code, 1);
        assert!(err.starts_with("sched: nothing to run"), "{err}");
    }
    assert!(pending(&daemon).is_empty(), "nothing was queued");
    // Both spellings the refusal offers mean noon tomorrow, `echo report`.
    daemon.ok(&["at", "noon tomorrow", "echo", "report"]);
    daemon.ok(&["at", "noon", "tomorrow", "--", "echo", "report"]);
    assert_eq!(
        pending(&daemon),
        vec![(instant("2026-11-26T12:00:00Z"), "echo report".to_owned()); 2]
    );
}

#[test]
fn when_takes_the_words_at_takes() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    let when = |words: &[&str]| {
        let mut args = vec!["when", "--now", "2026-11-25T10:00:00", "--tz", "UTC"];
        args.extend_from_slice(words);
        daemon.ok(&args)
    };
    let expected = "2026-11-25T10:05:00+00:00\n";
    assert_eq!(when(&["now", "+", "5", "min"]), expected);
    assert_eq!(when(&["now + 5 min"]), expected);
    assert_eq!(when(&["now", "+ 5", "min"]), expected);
    let at = daemon.ok(&["at", "now", "+", "5", "min", "--", "true"]);
    assert!(at.starts_with(&format!("job 1 at {expected}")), "{at}");
}

#[test]
fn at_flags_list_remove_and_print_jobs() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    daemon.at("now + 1 hour", "echo one");
    daemon.ok(&["at", "-q", "c", "now + 2 hours", "echo two"]);
    daemon.at("now + 3 hours", "echo three");
    let listed = daemon.ok(&["at", "-l"]);
    assert_eq!(listed, daemon.ok(&["ls"]), "at -l is sched ls");
    assert_eq!(listed.lines().count(), 4, "{listed}");
    let only_c = daemon.ok(&["at", "-l", "-q", "c"]);
    assert_eq!(only_c.lines().count(), 2, "{only_c}");
    assert!(only_c.contains("echo two"), "{only_c}");
    // A missing id is reported and the others still printed, as at -c.
    let output = daemon.sched(&["at", "-c", "9999", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).ends_with("\necho one\n"));
    assert!(
        stderr(&output).contains("no pending job 9999 of yours"),
        "{}",
        stderr(&output)
    );
    let script = daemon.ok(&["at", "-c", "1"]);
    assert_eq!(script, daemon.ok(&["show", "1"]));
    assert!(script.ends_with("\necho one\n"), "{script}");
    assert_eq!(daemon.ok(&["at", "-r", "1"]), "removed job 1\n");
    assert_eq!(daemon.ok(&["at", "-d", "2"]), "removed job 2\n");
    let (code, _, err) = sched(&daemon, &["at", "-d", "2", "3"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no pending job 2 of yours"), "{err}");
    assert!(pending(&daemon).is_empty(), "3 was removed all the same");
    let (code, _, err) = sched(&daemon, &["at", "-r", "x"], "");
    assert_eq!(code, 1);
    assert!(err.contains("expected a job id"), "{err}");
}

/// `sched` linked as `name` in the daemon's directory.
fn program(daemon: &Daemon, name: &str) -> Command {
    let link = daemon.dir.path().join("bin").join(name);
    if !link.exists() {
        std::os::unix::fs::symlink(&daemon.sched, &link).unwrap();
    }
    let mut command = Command::new(link);
    command
        .env("SCHED_SOCKET", &daemon.socket)
        .env("TZ", &daemon.tz)
        .current_dir(daemon.dir.path());
    command
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

#[test]
fn called_as_at_atq_atrm_and_batch_it_speaks_their_formats() {
    let mut daemon = Daemon::mock("2026-12-04T12:00:00Z");
    daemon.tz = "UTC".to_owned();
    let at = |args: &[&str], stdin: &str| {
        let mut command = program(&daemon, "at");
        command.args(args);
        run(command, Some(stdin))
    };
    let output = at(&["-m", "now", "+", "1", "hour"], "echo hi\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(output.stdout, b"");
    assert_eq!(
        stderr(&output),
        "warning: commands will be executed using /bin/sh\njob 1 at Fri Dec  4 13:00:00 2026\n"
    );
    let output = at(&["-q", "b", "-f", "/dev/null", "teatime"], "");
    assert_eq!(
        output.status.code(),
        Some(1),
        "an empty file: nothing to run"
    );
    let output = at(&["-t", "202612051530"], "echo later\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut batch = program(&daemon, "batch");
    batch.args(["-q", "B", "noon", "tomorrow"]);
    let output = run(batch, Some("echo batched\n"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).ends_with("job 3 at Sat Dec  5 12:00:00 2026\n"));
    // atq: ID<TAB>date queue user, in due order.
    let mut atq = program(&daemon, "atq");
    let output = run(atq, None);
    let user = me();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "1\tFri Dec  4 13:00:00 2026 a {user}\n3\tSat Dec  5 12:00:00 2026 B {user}\n2\tSat Dec  5 15:30:00 2026 a {user}\n"
        )
    );
    atq = program(&daemon, "atq");
    atq.args(["-q", "B"]);
    assert_eq!(
        String::from_utf8(run(atq, None).stdout).unwrap(),
        format!("3\tSat Dec  5 12:00:00 2026 B {user}\n")
    );
    let output = at(&["-l"], "");
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 3);
    // at -c: the job as a script.
    let output = at(&["-c", "2"], "");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .ends_with("\necho later\n")
    );
    // atrm: silent, and at's message for a job that is not there.
    let mut atrm = program(&daemon, "atrm");
    atrm.args(["1", "99"]);
    let output = run(atrm, None);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stdout, b"");
    assert_eq!(stderr(&output), "Cannot find jobid 99\n");
    let output = at(&["-d", "2"], "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, b"");
    assert_eq!(pending(&daemon).len(), 1, "job 3 is left");
    let output = at(&["-V"], "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn called_as_crontab_it_takes_crontabs_options() {
    let daemon = Daemon::mock("2026-12-04T12:00:00Z");
    let crontab = |args: &[&str], stdin: &str| {
        let mut command = program(&daemon, "crontab");
        command.args(args);
        run(command, Some(stdin))
    };
    let output = crontab(&["-l"], "");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), format!("no crontab for {}\n", me()));
    let output = crontab(&["-"], "*/5 * * * * echo poll\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = crontab(&["-l"], "");
    assert_eq!(output.stdout, b"*/5 * * * * echo poll\n");
    let output = crontab(&["-u", &me(), "-r"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(crontab(&["-l"], "").status.code(), Some(1));
}

#[test]
fn at_jobs_mail_their_output_to_their_owner_as_atd_does() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    let mailbox = daemon.fake_sendmail();
    let wrote = crate::harness::job_id(&daemon.ok(&["at", "now + 1 min", "--", "echo", "hi"]));
    let silent_m = crate::harness::job_id(&daemon.ok(&["at", "-m", "now + 2 min", "--", "true"]));
    daemon.ok(&["at", "-M", "now + 3 min", "--", "echo", "never-mailed"]);
    daemon.ok(&["at", "now + 4 min", "--", "true"]);
    daemon.advance_to("2026-11-25T10:05:00Z");
    // The runs are settled only once their mail went out.
    let mail = std::fs::read_to_string(&mailbox).unwrap();
    let user = me();
    let messages: Vec<&str> = mail.split("ARGS: ").skip(1).collect();
    assert_eq!(messages.len(), 2, "{mail}");
    let of = |job: u64| {
        let subject = format!("\nTo: {user}\nSubject: Output from your job {job}\n");
        messages
            .iter()
            .find(|message| message.contains(&subject))
            .unwrap_or_else(|| panic!("no mail for job {job}: {mail}"))
    };
    assert!(of(wrote).ends_with("\n\nhi\n"), "{mail}");
    assert!(
        of(silent_m).ends_with("\n\n"),
        "-m mails a job without output: {mail}"
    );
    assert!(!mail.contains("never-mailed"), "-M never mails: {mail}");
    assert!(!mail.contains("X-Cron-Env"), "{mail}");
}

/// The rows of `sched ls --json` that are runs in progress.
fn running(daemon: &Daemon) -> Vec<serde_json::Value> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(&daemon.ok(&["ls", "--json"])).unwrap();
    rows.into_iter()
        .filter(|row| row["state"] == "running")
        .collect()
}

#[test]
fn running_jobs_are_listed_and_kill_stops_them_with_term_then_kill() {
    let mut daemon = Daemon::mock("2026-11-25T10:00:00Z");
    daemon.tz = "UTC".to_owned();
    let marker = daemon.dir.path().join("started");
    let polite = daemon.at(
        "now + 1 min",
        &format!("touch {}.polite; exec sleep 1000", marker.display()),
    );
    // Ignores SIGTERM (its children inherit that): only SIGKILL ends it.
    let stubborn = daemon.at(
        "now + 1 min",
        &format!(
            "trap '' TERM; touch {}.stubborn; while :; do sleep 1; done",
            marker.display()
        ),
    );
    // Its main process ends on SIGTERM, leaving a member of its group that
    // ignores it: that one gets SIGKILL as soon as the main process ends.
    let straggler = daemon.dir.path().join("straggler.pid");
    let leaver = daemon.at(
        "now + 2 min",
        &format!(
            "(trap '' TERM; echo $(exec sh -c 'echo $PPID') > {0}.tmp; mv {0}.tmp {0}; while :; do sleep 1; done) & wait",
            straggler.display()
        ),
    );
    daemon.ok(&["mock", "set", "2026-11-25T10:01:00Z"]);
    daemon.wait_until("both jobs started", |daemon| running(daemon).len() == 2);
    let rows = running(&daemon);
    for (row, id) in rows.iter().zip([polite, stubborn]) {
        assert_eq!(row["id"], id);
        assert_eq!(row["queue"], "=");
        assert_eq!(row["started"], "2026-11-25T10:01:00Z");
        assert_eq!(row["running_seconds"], 0.0);
        assert!(row["pid"].as_u64().unwrap() > 1, "{row}");
    }
    let table = daemon.ok(&["ls"]);
    let pid = rows[0]["pid"].as_u64().unwrap();
    assert!(
        table.contains(&format!("\n{polite:<2}  2026-11-25T10:01:00+00:00  =  "))
            && table.contains(&format!("[running, pid {pid}, for 0s] touch")),
        "{table}"
    );
    let output = daemon.sched(&["rm", &polite.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!("sched: job {polite} is running: stop it with `sched kill {polite}`\n")
    );
    // Both jobs' markers exist before they are signalled (they are past
    // the shell's first command).
    daemon.wait_until("the jobs' first commands", |_| {
        std::path::Path::new(&format!("{}.polite", marker.display())).exists()
            && std::path::Path::new(&format!("{}.stubborn", marker.display())).exists()
    });
    let out = daemon.ok(&[
        "kill",
        "--grace",
        "300ms",
        &polite.to_string(),
        &stubborn.to_string(),
    ]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.starts_with(&format!("{polite}: sent SIGTERM to run r")),
        "{out}"
    );
    daemon.settle();
    let runs = daemon.runs();
    let outcome = |job: u64| {
        let run = runs.iter().find(|run| run.job == job).unwrap();
        (run.outcome.clone(), run.note.clone().unwrap_or_default())
    };
    let (ended, note) = outcome(polite);
    assert_eq!(
        ended,
        sched_proto::Outcome::Signalled {
            signal: 15,
            name: "SIGTERM".to_owned()
        }
    );
    assert!(
        note.starts_with(&format!("ended with `sched kill` by {} (uid ", me())),
        "{note}"
    );
    let (ended, _) = outcome(stubborn);
    assert_eq!(
        ended,
        sched_proto::Outcome::Signalled {
            signal: 9,
            name: "SIGKILL".to_owned()
        },
        "SIGTERM ignored: SIGKILL after the grace"
    );
    assert!(running(&daemon).is_empty());
    daemon.ok(&["mock", "set", "2026-11-25T10:02:00Z"]);
    daemon.wait_until("the straggler's pid", |_| straggler.exists());
    let straggler_pid: u32 = std::fs::read_to_string(&straggler)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    daemon.ok(&["kill", "--grace", "1h", &leaver.to_string()]);
    daemon.settle();
    // Gone (or a zombie waiting for its reaper) long before the hour.
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    };
    daemon.wait_until("the straggler to be killed", |_| !alive(straggler_pid));
    let pending = daemon.at("noon", "true");
    let output = daemon.sched(&["kill", &pending.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sched: job {pending} has not started: it is due at 2026-11-25T12:00:00+00:00; remove it with `sched rm {pending}`\n"
        )
    );
    let output = daemon.sched(&["kill", &polite.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&format!("no running job {polite} of yours")));
}

#[test]
fn logs_say_why_there_are_no_runs_and_pick_runs_by_crontab_line() {
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    let pending = daemon.at("noon", "echo later");
    let output = daemon.sched(&["logs", &pending.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!("sched: job {pending} has not run yet: it is due at 2026-06-01T12:00:00+00:00\n")
    );
    let output = daemon.sched(&["logs", "4242"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sched: no job 4242 of yours has run: it does not exist, or it is not yours (see `sched ls`)\n"
    );
    let user = me();
    let installed = daemon.sched_stdin(
        &["crontab", "-"],
        "0 10 * * * echo first\n30 10 * * * echo second\n",
    );
    assert_eq!(installed.status.code(), Some(0));
    let system = daemon.etc().join("cron.d/report");
    std::fs::write(&system, format!("15 10 * * * {user} echo system\n")).unwrap();
    let system_line = format!("{}:1", system.display());
    daemon.wait_until("the cron.d file to load", |d| {
        d.upcoming(1).iter().any(|run| run.command == "echo system")
    });
    let output = daemon.sched(&["logs", "crontab:2"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).starts_with("sched: no runs of crontab:2"));
    // One instant at a time, so that each run ends before the mock clock
    // moves on (its end is read on that clock).
    for instant in ["10:00", "10:15", "10:30"] {
        daemon.advance_to(&format!("2026-06-01T{instant}:00Z"));
    }
    let text = daemon.ok(&["logs", "crontab:2"]);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("run ")
            && first.ends_with(&format!(" of crontab of {user}:2 ({user}): exit 0")),
        "{text}"
    );
    assert!(
        text.contains("\n  due 2026-06-01T10:30:00+00:00, started 2026-06-01T10:30:00+00:00 (0.000 s late), ended 2026-06-01T10:30:00+00:00 after 0.000 s\n  command: echo second\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("run ").count(),
        1,
        "only that line's runs: {text}"
    );
    let of_root = daemon.ok(&["logs", &format!("crontab:{user}:1")]);
    assert!(of_root.contains("command: echo first"), "{of_root}");
    let system_runs = daemon.ok(&["logs", &system_line, "--json"]);
    let runs: Vec<crate::harness::Run> = serde_json::from_str(&system_runs).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].command, "echo system");
    assert_eq!(runs[0].lag_seconds, 0.0);
    assert_eq!(runs[0].duration_seconds, Some(0.0));
    let output = daemon.sched(&["logs", "nonsense"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("names no crontab line"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn next_lists_each_entry_once_however_often_it_fires() {
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    let installed = daemon.sched_stdin(
        &["crontab", "-"],
        "*/2 * * * * echo often\n0 4 * * * echo nightly\n",
    );
    assert_eq!(installed.status.code(), Some(0));
    daemon.at("teatime", "echo tea");
    let user = me();
    assert_eq!(
        daemon.ok(&["next"]),
        format!(
            "2026-06-01T09:02:00+00:00  {user}  crontab of {user}:1  echo often\n\
             2026-06-01T16:00:00+00:00  {user}  at job 1  echo tea\n\
             2026-06-02T04:00:00+00:00  {user}  crontab of {user}:2  echo nightly\n"
        )
    );
    let two = daemon.ok(&["next", "-n", "2"]);
    assert_eq!(two.lines().count(), 5, "{two}");
}

#[test]
fn beside_another_cron_daemon_the_system_crontabs_are_left_to_it() {
    if !crate::harness::root_or_skip(
        "beside_another_cron_daemon_the_system_crontabs_are_left_to_it",
    ) {
        return;
    }
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    let user = me();
    std::fs::write(
        daemon.etc().join("crontab"),
        format!("0 10 * * * {user} echo system\n"),
    )
    .unwrap();
    // The host, as the daemon will see it: a cron running as pid 4242,
    // named by Debian's pidfile.
    let host = daemon.dir.path().join("host");
    std::fs::create_dir_all(host.join("proc/4242")).unwrap();
    std::fs::write(host.join("proc/4242/comm"), "cron\n").unwrap();
    std::fs::create_dir_all(host.join("run")).unwrap();
    std::fs::write(host.join("run/crond.pid"), "4242\n").unwrap();
    let restart = |daemon: &mut Daemon, extra: &[&str]| {
        daemon.stop();
        daemon.launch(&crate::harness::Options {
            mock_clock: Some("2026-06-01T09:00:00Z".to_owned()),
            extra: extra.iter().map(|arg| arg.to_string()).collect(),
            ..Default::default()
        });
    };
    restart(&mut daemon, &[]);
    let installed = daemon.sched_stdin(&["crontab", "-"], "0 11 * * * echo mine\n");
    assert_eq!(installed.status.code(), Some(0));
    let commands = |daemon: &Daemon| -> Vec<String> {
        daemon
            .upcoming(1)
            .into_iter()
            .map(|run| run.command)
            .collect()
    };
    assert_eq!(commands(&daemon), ["echo mine"], "only the user's crontab");
    let log = daemon.log();
    assert!(
        log.contains(&format!(
            "schedd: warning: another cron daemon runs on this host: cron (pid 4242, found by {}).",
            host.join("run/crond.pid").display()
        )),
        "{log}"
    );
    assert!(log.contains("--system-crontabs"), "{log}");
    // Told to, it loads them all the same.
    restart(&mut daemon, &["--system-crontabs"]);
    assert_eq!(commands(&daemon), ["echo system", "echo mine"]);
}

#[test]
fn root_sees_the_system_crontabs_as_loaded_and_what_was_refused() {
    if !crate::harness::root_or_skip("root_sees_the_system_crontabs_as_loaded_and_what_was_refused")
    {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    let user = me();
    let etc = daemon.etc();
    std::fs::write(
        etc.join("crontab"),
        format!(
            "SHELL=/bin/sh\n0  10 * * 1-5 {user} echo weekdays\n61 * * * * {user} echo bad\n@daily nosuchuser true\n"
        ),
    )
    .unwrap();
    std::fs::write(
        etc.join("cron.d/backup"),
        format!("CRON_TZ=Europe/Berlin\n30 2 * * * {user} backup.sh\n"),
    )
    .unwrap();
    let open = etc.join("cron.d/open");
    std::fs::write(&open, format!("* * * * * {user} echo open\n")).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
    daemon.stop();
    daemon.launch(&crate::harness::Options {
        mock_clock: Some("2026-06-01T09:00:00Z".to_owned()),
        ..Default::default()
    });
    let output = daemon.sched(&["crontab", "--system"]);
    assert_eq!(output.status.code(), Some(1), "lines were refused");
    let text = String::from_utf8(output.stdout).unwrap();
    let crontab = etc.join("crontab").display().to_string();
    let backup = etc.join("cron.d/backup").display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("LINE"), "{text}");
    let squeeze = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        squeeze(lines[1]),
        format!("{crontab}:2 {user} 0 10 * * 1-5 2026-06-01T10:00:00+00:00 echo weekdays")
    );
    assert_eq!(
        squeeze(lines[2]),
        format!("{backup}:2 {user} 30 2 * * * 2026-06-02T00:30:00+00:00 backup.sh")
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines[4], "refused:");
    let refused = &lines[5..];
    assert_eq!(refused.len(), 3, "{text}");
    assert!(refused[0].starts_with(&format!("{crontab}:3:")), "{text}");
    assert!(refused[0].contains("61"), "{text}");
    assert_eq!(
        refused[1],
        format!("{crontab}:4:1: no such user \"nosuchuser\"")
    );
    assert!(
        refused[2].starts_with(&format!(
            "{}: refused, its jobs are not loaded: ",
            open.display()
        )),
        "{text}"
    );
    // JSON, and root only.
    let output = daemon.sched(&["crontab", "--system", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["entries"][1]["zone"], "Europe/Berlin");
    assert_eq!(json["refused"].as_array().unwrap().len(), 3);
    let (uid, gid) = crate::harness::nobody();
    let output = daemon.sched_as(uid, gid, &["crontab", "--system"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("only root may see the system crontabs"),
        "{}",
        stderr(&output)
    );
}
