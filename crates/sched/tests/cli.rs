//! The real `sched` binary: exact standard output, standard error and exit
//! status of `sched next` and `sched check`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const SCHED: &str = env!("CARGO_BIN_EXE_sched");

/// `sched next --now NOW --tz TZ -n COUNT EXPRESSION`.
fn next_at(tz: &str, now: &str, count: usize, expression: &str) -> Output {
    let count = count.to_string();
    run(&["next", "--now", now, "--tz", tz, "-n", &count, expression])
}

fn run(args: &[&str]) -> Output {
    run_with(args, &[], None)
}

fn run_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(SCHED);
    command
        .args(args)
        .env_remove("TZ")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start sched");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait for sched")
}

#[track_caller]
fn assert_output(output: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).as_ref(),
            String::from_utf8_lossy(&output.stderr).as_ref()
        ),
        (Some(code), stdout, stderr)
    );
}

fn data(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn next_issue_example() {
    let output = next_at(
        "Europe/Berlin",
        "2026-11-24T19:02:00",
        2,
        "*/15 9-17 * * MON-FRI",
    );
    assert_output(
        &output,
        0,
        "2026-11-25T09:00:00+01:00\n2026-11-25T09:15:00+01:00\n",
        "",
    );
}

#[test]
fn next_prints_utc_as_plus_zero_never_z() {
    let output = next_at("UTC", "2026-11-24T19:02:37", 2, "* * * * *");
    assert_output(
        &output,
        0,
        "2026-11-24T19:03:00+00:00\n2026-11-24T19:04:00+00:00\n",
        "",
    );
}

#[test]
fn next_joins_several_arguments() {
    let output = run(&[
        "next",
        "--now",
        "2026-11-24T19:02:00",
        "--tz",
        "UTC",
        "0",
        "0",
        "29",
        "2",
        "*",
    ]);
    assert_output(&output, 0, "2028-02-29T00:00:00+00:00\n", "");
}

#[test]
fn next_defaults_to_tz_from_the_environment() {
    let output = run_with(
        &["next", "--now", "2026-11-24T19:02:00", "0 0 * * *"],
        &[("TZ", "Asia/Kolkata")],
        None,
    );
    assert_output(&output, 0, "2026-11-25T00:00:00+05:30\n", "");
}

#[test]
fn next_without_now_is_after_the_current_time() {
    let before = jiff::Timestamp::now();
    let output = run(&["next", "--tz", "UTC", "* * * * *"]);
    assert_eq!(output.status.code(), Some(0));
    let printed: jiff::Timestamp = String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(printed > before, "{printed} should be after {before}");
    assert!(printed <= before + jiff::SignedDuration::from_secs(120));
    assert_eq!(printed.as_second() % 60, 0);
}

#[test]
fn next_now_in_a_gap_moves_forward_by_the_gap() {
    // 02:30 does not exist on 2026-03-08 in New York: it is read as 03:30 EDT.
    let output = next_at("America/New_York", "2026-03-08T02:30:00", 2, "* * * * *");
    assert_output(
        &output,
        0,
        "2026-03-08T03:31:00-04:00\n2026-03-08T03:32:00-04:00\n",
        "",
    );
    // The fixed-time job skipped at 02:30 ran at 03:00, before --now.
    let output = next_at("America/New_York", "2026-03-08T02:30:00", 1, "30 2 * * *");
    assert_output(&output, 0, "2026-03-09T02:30:00-04:00\n", "");
}

#[test]
fn next_now_in_a_fold_is_the_first_pass_unless_an_offset_says_otherwise() {
    let first = next_at("America/New_York", "2026-11-01T01:30:00", 3, "*/15 * * * *");
    assert_output(
        &first,
        0,
        "2026-11-01T01:45:00-04:00\n2026-11-01T01:00:00-05:00\n2026-11-01T01:15:00-05:00\n",
        "",
    );
    let second = next_at(
        "America/New_York",
        "2026-11-01T01:30:00-05:00",
        2,
        "*/15 * * * *",
    );
    assert_output(
        &second,
        0,
        "2026-11-01T01:45:00-05:00\n2026-11-01T02:00:00-05:00\n",
        "",
    );
    // A fixed-time job in the repeated hour already ran in the first pass.
    let fixed = next_at(
        "America/New_York",
        "2026-11-01T01:10:00-05:00",
        1,
        "30 1 * * *",
    );
    assert_output(&fixed, 0, "2026-11-02T01:30:00-05:00\n", "");
}

#[test]
fn next_nothing_before_year_10000_is_an_error() {
    let output = run(&[
        "next",
        "--tz",
        "UTC",
        "--now",
        "9999-06-01T00:00:00",
        "0 0 29 2 *",
    ]);
    assert_output(
        &output,
        1,
        "",
        "sched: \"0 0 29 2 *\" does not fire again before the year 10000\n",
    );
    // Fewer than asked (instants end at 9999-12-30T22:00Z): what there
    // is, and success.
    let output = run(&[
        "next",
        "--tz",
        "UTC",
        "--now",
        "9999-12-30T19:00:00",
        "-n",
        "5",
        "0 * * * *",
    ]);
    assert_output(
        &output,
        0,
        "9999-12-30T20:00:00+00:00\n9999-12-30T21:00:00+00:00\n9999-12-30T22:00:00+00:00\n",
        "",
    );
}

#[test]
fn next_zero_count_prints_nothing() {
    let output = run(&["next", "--tz", "UTC", "-n", "0", "@daily"]);
    assert_output(&output, 0, "", "");
}

#[test]
fn next_invalid_schedule() {
    let output = run(&["next", "--tz", "UTC", "0 25 * * *"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid schedule, column 3: hour 25 out of range 0-23\n  0 25 * * *\n    ^\n",
    );
    let output = run(&["next", "--tz", "UTC", "0 0 31 4,6,9,11 *"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid schedule, column 5: never fires: April, June, September and November have no day 31\n  0 0 31 4,6,9,11 *\n      ^\n",
    );
}

#[test]
fn next_reboot_has_no_time() {
    let output = run(&["next", "--tz", "UTC", "@reboot"]);
    assert_output(
        &output,
        1,
        "",
        "sched: @reboot runs once when the system boots; it has no next time\n",
    );
}

#[test]
fn next_unknown_zone_and_bad_now() {
    let output = run(&["next", "--tz", "Mars/Olympus", "@daily"]);
    assert_output(
        &output,
        1,
        "",
        "sched: unknown time zone \"Mars/Olympus\": expected an IANA name such as Europe/Berlin or UTC\n",
    );
    let output = run(&["next", "--tz", "UTC", "--now", "yesterday", "@daily"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid --now \"yesterday\": expected a wall time such as 2026-11-24T19:02:00, optionally with an offset such as +01:00\n",
    );
}

#[test]
fn next_usage_errors_exit_2() {
    // Without EXPR, `next` asks the daemon; --now and --tz have no meaning then.
    let output = run(&["next", "--tz", "UTC"]);
    assert_output(
        &output,
        1,
        "",
        "sched: --now and --tz go with EXPR; your next runs are as the daemon plans them\n",
    );
    let output = run(&["next", "-n", "many", "@daily"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn check_valid_files_are_silent() {
    let output = run(&["check", &data("user-crontab5")]);
    assert_output(&output, 0, "", "");
    let output = run(&[
        "check",
        "--system",
        &data("crontab-debian"),
        &data("cron.d/sysstat"),
        &data("cron.d/certbot"),
        &data("cron.d/php"),
        &data("cron.d/e2scrub_all"),
        &data("cron.d/mdadm"),
    ]);
    assert_output(&output, 0, "", "");
}

#[test]
fn check_reports_every_error_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.crontab");
    std::fs::write(
        &path,
        "# header\n0 0 * * * fine\n60 0 * * * minute\nCRON_TZ=Nowhere/City\n0 0 30 2 * never\n0 0 * * *\n",
    )
    .unwrap();
    let name = path.display().to_string();
    let output = run(&["check", &name]);
    assert_output(
        &output,
        1,
        &format!(
            "{name}:3:1: minute 60 out of range 0-59\n\
             {name}:4:9: unknown time zone \"Nowhere/City\" in CRON_TZ: expected an IANA name such as Europe/Berlin\n\
             {name}:5:5: never fires: February has no day 30\n\
             {name}:6:10: missing command\n"
        ),
        "",
    );
}

#[test]
fn check_user_file_as_system_needs_user_names() {
    let name = data("user-crontab5");
    let output = run(&["check", "--system", &name]);
    // "mail" and "echo" are valid user names, so those lines pass as
    // system lines; the two starting with $HOME do not.
    assert_output(
        &output,
        1,
        &format!(
            "{name}:8:17: invalid user name \"$HOME/bin/daily.job\": a system crontab line needs the user to run as before the command\n\
             {name}:10:17: invalid user name \"$HOME/bin/monthly\": a system crontab line needs the user to run as before the command\n"
        ),
        "",
    );
}

#[test]
fn check_reads_standard_input() {
    let output = run_with(
        &["check", "-"],
        &[],
        Some("* * * * * ok\n* * * * mon\n* * * *\n"),
    );
    assert_output(
        &output,
        1,
        "<stdin>:2:12: missing command\n\
         <stdin>:3:8: expected 5 time fields (minute hour day-of-month month day-of-week) and a command, found 4 fields\n",
        "",
    );
}

#[test]
fn check_unreadable_file() {
    let output = run(&["check", "/nonexistent/crontab"]);
    assert_output(
        &output,
        1,
        "",
        "sched: /nonexistent/crontab: cannot read: No such file or directory (os error 2)\n",
    );
}

/// `sched when --now NOW --tz TZ ARGS...`.
fn when_at(tz: &str, now: &str, args: &[&str]) -> Output {
    let mut all = vec!["when", "--now", now, "--tz", tz];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn when_issue_example_crosses_midnight() {
    let output = when_at("Europe/Berlin", "2026-11-25T23:58:00", &["now + 5 min"]);
    assert_output(&output, 0, "2026-11-26T00:03:00+01:00\n", "");
}

#[test]
fn when_joins_words_and_drops_the_seconds_of_now() {
    let output = when_at("UTC", "2026-11-25T19:02:37", &["now"]);
    assert_output(&output, 0, "2026-11-25T19:02:00+00:00\n", "");
    let output = when_at(
        "Asia/Kolkata",
        "2026-11-25T19:02:37",
        &["teatime", "tomorrow"],
    );
    assert_output(&output, 0, "2026-11-26T16:00:00+05:30\n", "");
    let output = when_at(
        "America/New_York",
        "2026-11-25T19:02:37",
        &["noon", "-", "1", "hour"],
    );
    assert_output(&output, 0, "2026-11-26T11:00:00-05:00\n", "");
}

#[test]
fn when_posix_time() {
    let output = when_at(
        "Europe/Berlin",
        "2026-11-25T19:02:37",
        &["-t", "11261530.45"],
    );
    assert_output(&output, 0, "2026-11-26T15:30:00+01:00\n", "");
    let output = when_at(
        "Europe/Berlin",
        "2026-11-25T19:02:37",
        &["-t", "2702301200"],
    );
    assert_output(
        &output,
        1,
        "",
        "sched: invalid -t value, column 5: 2027-02-30 does not exist: that month has 28 days\n  2702301200\n      ^\n",
    );
}

#[test]
fn when_notes_go_to_stderr() {
    let output = when_at("UTC", "2026-11-25T19:02:37", &["noon Feb 30"]);
    assert_output(
        &output,
        0,
        "2027-03-02T12:00:00+00:00\n",
        "sched: note: 2027-02-30 does not exist; as in at(1), it rolls over to 2027-03-02\n",
    );
}

#[test]
fn when_bad_and_past_timespecs() {
    let output = when_at("UTC", "2026-11-25T19:02:37", &["noon + x days"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid time, column 8: expected a number after '+' or '-', found \"x\"\n  noon + x days\n         ^\n",
    );
    let output = when_at("UTC", "2026-11-25T19:02:37", &["now - 5 min"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid time \"now - 5 min\": 2026-11-25T18:57:00+00:00[UTC] is in the past (now is 2026-11-25T19:02:00+00:00[UTC])\n",
    );
}

#[test]
fn when_usage_errors() {
    assert_eq!(run(&["when"]).status.code(), Some(2));
    assert_eq!(
        run(&["when", "-t", "11261530", "noon"]).status.code(),
        Some(2)
    );
}

#[test]
fn when_errors_print_no_control_characters() {
    let output = when_at("UTC", "2026-11-25T19:02:37", &["now \u{1b}[2J"]);
    assert_output(
        &output,
        1,
        "",
        "sched: invalid time, column 5: expected '+ N unit', '- N unit' or the end, found \"\\u{1b}\"\n  now ?[2J\n      ^\n",
    );
}

#[test]
fn every_command_shows_an_example_in_its_help() {
    let top = run(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&top.stdout).contains("Examples:\n  sched at "));
    for command in [
        "at", "batch", "ls", "rm", "show", "logs", "crontab", "next", "when", "check",
    ] {
        let help = run(&[command, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{command}");
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(
            text.contains("Example") && text.contains(&format!("  sched {command}")),
            "sched {command} --help has no example:\n{text}"
        );
    }
}

#[test]
fn completions_come_from_the_command_line_definition() {
    for (shell, marker) in [
        ("bash", "complete -F _sched"),
        ("zsh", "#compdef sched"),
        ("fish", "complete -c sched"),
    ] {
        let script = run(&["generate", shell]);
        assert_eq!(script.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&script.stdout).contains(marker),
            "{shell}"
        );
    }
}

#[test]
fn completions_offer_the_commands_but_not_the_hidden_test_and_packaging_ones() {
    for shell in ["bash", "zsh", "fish"] {
        let output = run(&["generate", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for shown in ["crontab", "logs", "kill", "when"] {
            assert!(script.contains(shown), "{shell} completes {shown}");
        }
        for hidden in ["mock", "generate", "settle"] {
            assert!(
                !script
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word == hidden),
                "{shell} offers {hidden}"
            );
        }
    }
    let schedd = std::path::Path::new(SCHED).with_file_name("schedd");
    if !schedd.exists() {
        eprintln!("skipped the schedd half: {} is not built", schedd.display());
        return;
    }
    for shell in ["bash", "zsh", "fish"] {
        let output = Command::new(&schedd)
            .args(["--generate", shell])
            .output()
            .unwrap();
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("spool"), "{shell}");
        assert!(!script.contains("mock-clock"), "{shell}");
        assert!(!script.contains("--generate"), "{shell}");
    }
}

#[test]
fn the_manual_page_it_writes_is_the_installed_one() {
    let output = run(&["generate", "man"]);
    let installed =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../man/sched.1")).unwrap();
    assert_eq!(output.stdout, installed);
}

#[test]
fn check_reads_files_under_etc_cron_d_in_system_format() {
    let dir = std::path::Path::new("/etc/cron.d");
    let euid = nix::unistd::geteuid().as_raw();
    if euid != 0 || !dir.is_dir() {
        eprintln!("skipped: needs root and /etc/cron.d to place a file there (uid {euid})");
        return;
    }
    // A dot file: cron daemons skip those, so no cron on the host reads it.
    let path = dir.join(format!(".schedd-check-test-{}", std::process::id()));
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    // A user and no command: an error in system format; in a user's
    // format, `root` would be the command.
    std::fs::write(&path, "0 0 1 1 * root\n").unwrap();
    let _remove = Remove(path.clone());
    let name = path.display().to_string();
    let output = run(&["check", &name]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        format!(
            "sched: note: {name} is a system crontab: checked in system format (a user name before each command); --user checks it as a user's\n"
        )
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with(&format!("{name}:1:")), "{stdout}");
    // --user: the old reading, asked for.
    let output = run(&["check", "--user", &name]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stderr, b"");
}
