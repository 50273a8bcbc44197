//! Periodic jobs end to end: crontabs installed with `sched crontab` and
//! system files, run by the real daemon on a mock clock, checked against
//! the instants `sched next` prints and the rules of cron(8).

use jiff::Timestamp;

use crate::harness::{Daemon, Run, instant};

/// The start instants of the cron runs of crontab line `origin`.
fn cron_runs(daemon: &Daemon, origin: &str) -> Vec<Timestamp> {
    daemon
        .runs()
        .iter()
        .filter(|run| run.origin.as_deref() == Some(origin))
        .map(|run| run.started)
        .collect()
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

/// Installs `crontab` as the caller's, which must succeed.
pub(crate) fn install(daemon: &Daemon, crontab: &str) {
    let output = daemon.sched_stdin(&["crontab", "-"], crontab);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What `sched next` prints for `expression` in `tz` after `after`, up to
/// `until`.
fn next_instants(
    daemon: &Daemon,
    expression: &str,
    tz: &str,
    after: &str,
    until: Timestamp,
) -> Vec<Timestamp> {
    let out = daemon.ok(&["next", "--tz", tz, "--now", after, "-n", "500", expression]);
    out.lines()
        .map(|line| line.parse::<Timestamp>().unwrap())
        .take_while(|at| *at <= until)
        .collect()
}

/// Each line of a crontab in `tz`, run by the daemon from `start` to `end`,
/// starts exactly at the instants `sched next` prints for it.
fn runs_match_sched_next(tz: &str, start: &str, end: &str, expressions: &[&str]) {
    let (daemon, runs) = runs_by_line(tz, start, end, expressions);
    let start_utc = start.parse::<Timestamp>().unwrap();
    let end_utc = end.parse::<Timestamp>().unwrap();
    for (expression, ran) in expressions.iter().zip(runs) {
        // --now as an instant with its offset: the same instant in any zone.
        let expected = next_instants(
            &daemon,
            expression,
            tz,
            &start_utc.to_string().replace('Z', "+00:00"),
            end_utc,
        );
        assert_eq!(ran, expected, "{expression} in {tz}");
        assert!(!ran.is_empty(), "{expression} ran at least once");
    }
}

/// The daemon's runs of each line of a crontab in `tz` from `start` to
/// `end`, by line (the daemon is returned for more questions).
fn runs_by_line(
    tz: &str,
    start: &str,
    end: &str,
    expressions: &[&str],
) -> (Daemon, Vec<Vec<Timestamp>>) {
    let mut daemon = Daemon::mock(start);
    daemon.tz = "UTC".to_owned();
    let mut crontab = format!("CRON_TZ={tz}\n");
    for expression in expressions {
        crontab.push_str(&format!("{expression} echo ran\n"));
    }
    install(&daemon, &crontab);
    daemon.advance_to(end);
    let runs = (0..expressions.len())
        .map(|index| cron_runs(&daemon, &format!("crontab of {}:{}", me(), index + 2)))
        .collect();
    (daemon, runs)
}

#[test]
fn dst_days_in_new_york_run_exactly_what_sched_next_prints() {
    let lines = [
        "30 2 * * *",
        "0 3 * * *",
        "*/30 * * * *",
        "15 1 * * *",
        "0 * * * *",
    ];
    // Spring forward (2026-03-08 02:00 EST -> 03:00 EDT) and fall back
    // (2026-11-01 02:00 EDT -> 01:00 EST).
    runs_match_sched_next(
        "America/New_York",
        "2026-03-07T12:00:00Z",
        "2026-03-09T12:00:00Z",
        &lines,
    );
    runs_match_sched_next(
        "America/New_York",
        "2026-10-31T12:00:00Z",
        "2026-11-02T12:00:00Z",
        &lines,
    );
}

fn instants(texts: &[&str]) -> Vec<Timestamp> {
    texts.iter().map(|text| instant(text)).collect()
}

#[test]
fn dst_days_run_at_the_instants_cron_8_gives() {
    // New York, spring forward: 02:00 EST is 03:00 EDT (07:00Z). The
    // fixed-time 02:30 runs once, at the jump; the wildcard loses 02:xx.
    let (_, runs) = runs_by_line(
        "America/New_York",
        "2026-03-08T05:45:00Z",
        "2026-03-08T08:10:00Z",
        &["30 2 * * *", "0 3 * * *", "*/30 * * * *"],
    );
    assert_eq!(runs[0], instants(&["2026-03-08T07:00:00Z"]));
    assert_eq!(runs[1], instants(&["2026-03-08T07:00:00Z"]));
    assert_eq!(
        runs[2],
        // 01:00 and 01:30 EST, then 03:00 EDT.
        instants(&[
            "2026-03-08T06:00:00Z",
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:30:00Z",
            "2026-03-08T08:00:00Z",
        ])
    );
    // New York, fall back: 01:xx comes twice (EDT 05:xxZ, then EST 06:xxZ).
    // The fixed-time 01:30 runs in the first pass only; the wildcard in
    // both.
    let (_, runs) = runs_by_line(
        "America/New_York",
        "2026-11-01T04:50:00Z",
        "2026-11-01T07:10:00Z",
        &["30 1 * * *", "*/30 1 * * *"],
    );
    assert_eq!(runs[0], instants(&["2026-11-01T05:30:00Z"]));
    assert_eq!(
        runs[1],
        instants(&[
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:30:00Z",
        ])
    );
    // Berlin: 02:30 on 2026-03-29 runs at the jump (03:00 CEST, 01:00Z);
    // on 2026-10-25 02:30 runs in the first pass (CEST, 00:30Z) only.
    let (_, runs) = runs_by_line(
        "Europe/Berlin",
        "2026-03-28T23:00:00Z",
        "2026-03-29T02:00:00Z",
        &["30 2 * * *"],
    );
    assert_eq!(runs[0], instants(&["2026-03-29T01:00:00Z"]));
    let (_, runs) = runs_by_line(
        "Europe/Berlin",
        "2026-10-24T23:00:00Z",
        "2026-10-25T03:00:00Z",
        &["30 2 * * *"],
    );
    assert_eq!(runs[0], instants(&["2026-10-25T00:30:00Z"]));
}

#[test]
fn dst_days_in_berlin_run_exactly_what_sched_next_prints() {
    let lines = [
        "30 2 * * *",
        "0 2 * * *",
        "*/20 2 * * *",
        "59 1 * * *",
        "0 3 * * *",
    ];
    runs_match_sched_next(
        "Europe/Berlin",
        "2026-03-28T12:00:00Z",
        "2026-03-30T00:00:00Z",
        &lines,
    );
    runs_match_sched_next(
        "Europe/Berlin",
        "2026-10-24T12:00:00Z",
        "2026-10-26T00:00:00Z",
        &lines,
    );
}

#[test]
fn month_ends_and_leap_days_run_on_their_days() {
    runs_match_sched_next(
        "UTC",
        "2028-01-30T00:00:00Z",
        "2028-03-02T00:00:00Z",
        &["0 0 29 2 *", "0 12 31 * *", "0 0 1 * *", "59 23 28-31 * *"],
    );
    // Exact days, not only agreement: Feb 29 and the 31sts.
    let mut daemon = Daemon::mock("2028-01-30T00:00:00Z");
    daemon.tz = "UTC".to_owned();
    install(&daemon, "0 0 29 2 * echo leap\n0 12 31 * * echo end\n");
    daemon.advance_to("2028-04-01T00:00:00Z");
    let user = me();
    assert_eq!(
        cron_runs(&daemon, &format!("crontab of {user}:1")),
        vec![instant("2028-02-29T00:00:00Z")]
    );
    assert_eq!(
        cron_runs(&daemon, &format!("crontab of {user}:2")),
        vec![
            instant("2028-01-31T12:00:00Z"),
            instant("2028-03-31T12:00:00Z")
        ]
    );
}

/// The runs of line 1 (fixed `30 10 * * *`) and line 2 (wildcard
/// `*/10 * * * *`) when the clock is set by `by` at 10:00:30 UTC and time
/// then passes until `until`.
fn after_step(by: &str, until: &str) -> (Vec<Timestamp>, Vec<Timestamp>) {
    let mut daemon = Daemon::mock("2026-06-01T10:00:30Z");
    daemon.tz = "UTC".to_owned();
    install(&daemon, "30 10 * * * echo fixed\n*/10 * * * * echo wild\n");
    daemon.step(by);
    daemon.settle();
    daemon.advance_to(until);
    let user = me();
    (
        cron_runs(&daemon, &format!("crontab of {user}:1")),
        cron_runs(&daemon, &format!("crontab of {user}:2")),
    )
}

fn tens(from: &str, to: &str) -> Vec<Timestamp> {
    let (from, to) = (instant(from), instant(to));
    (0..)
        .map(|k| from + jiff::SignedDuration::from_mins(10 * k))
        .take_while(|at| *at <= to)
        .collect()
}

#[test]
fn a_clock_set_forward_by_a_minute_is_a_late_wake_up() {
    // 10:00:30 -> 10:01:30: nothing was due in the minute; all goes on.
    let (fixed, wild) = after_step("1m", "2026-06-01T11:00:00Z");
    assert_eq!(fixed, vec![instant("2026-06-01T10:30:00Z")]);
    assert_eq!(wild, tens("2026-06-01T10:10:00Z", "2026-06-01T11:00:00Z"));
}

#[test]
fn a_clock_set_forward_by_an_hour_or_two_runs_jumped_over_fixed_times_once() {
    // 10:00:30 -> 11:00:30: 10:30 was jumped over and runs at once; the
    // wildcard job's 10:10..10:50 are not caught up, and its 11:00, the
    // minute the clock landed in, runs at once (as cron runs the minute it
    // wakes in).
    let (fixed, wild) = after_step("1h", "2026-06-01T12:00:00Z");
    assert_eq!(fixed, vec![instant("2026-06-01T11:00:30Z")]);
    assert_eq!(
        wild,
        landed_then(
            "2026-06-01T11:00:30Z",
            tens("2026-06-01T11:10:00Z", "2026-06-01T12:00:00Z")
        )
    );
    let (fixed, wild) = after_step("2h", "2026-06-01T13:00:00Z");
    assert_eq!(fixed, vec![instant("2026-06-01T12:00:30Z")]);
    assert_eq!(
        wild,
        landed_then(
            "2026-06-01T12:00:30Z",
            tens("2026-06-01T12:10:00Z", "2026-06-01T13:00:00Z")
        )
    );
}

/// A run at the instant the clock landed on, then `rest`.
fn landed_then(landed: &str, rest: Vec<Timestamp>) -> Vec<Timestamp> {
    let mut runs = vec![instant(landed)];
    runs.extend(rest);
    runs
}

#[test]
fn a_clock_set_forward_by_four_hours_or_a_day_takes_the_new_time_without_catch_up() {
    // Only the minute the clock landed in (14:00, then 10:00 the next
    // day) runs at once; nothing passed over is caught up.
    let (fixed, wild) = after_step("4h", "2026-06-01T15:00:00Z");
    assert!(fixed.is_empty(), "{fixed:?}");
    assert_eq!(
        wild,
        landed_then(
            "2026-06-01T14:00:30Z",
            tens("2026-06-01T14:10:00Z", "2026-06-01T15:00:00Z")
        )
    );
    let (fixed, wild) = after_step("24h", "2026-06-02T11:00:00Z");
    assert_eq!(fixed, vec![instant("2026-06-02T10:30:00Z")]);
    assert_eq!(
        wild,
        landed_then(
            "2026-06-02T10:00:30Z",
            tens("2026-06-02T10:10:00Z", "2026-06-02T11:00:00Z")
        )
    );
}

#[test]
fn a_clock_set_back_does_not_repeat_fixed_times_and_wildcards_follow_it() {
    for (by, landed) in [
        ("-1m", "2026-06-01T10:34:30Z"),
        ("-1h", "2026-06-01T09:35:30Z"),
        ("-2h", "2026-06-01T08:35:30Z"),
    ] {
        let mut daemon = Daemon::mock("2026-06-01T10:00:30Z");
        daemon.tz = "UTC".to_owned();
        install(&daemon, "30 10 * * * echo fixed\n*/10 * * * * echo wild\n");
        daemon.advance_to("2026-06-01T10:35:30Z");
        daemon.step(by);
        assert_eq!(daemon.ok(&["mock", "now"]).trim(), landed);
        daemon.advance_to("2026-06-01T11:00:00Z");
        let user = me();
        // 10:30 ran once, and the clock passing 10:30 again does not run it.
        assert_eq!(
            cron_runs(&daemon, &format!("crontab of {user}:1")),
            vec![instant("2026-06-01T10:30:00Z")],
            "step {by}"
        );
        let mut expected = tens("2026-06-01T10:10:00Z", "2026-06-01T10:30:00Z");
        let first_after = Timestamp::from_second((instant(landed).as_second() / 600 + 1) * 600)
            .unwrap()
            .to_string();
        expected.extend(tens(&first_after, "2026-06-01T11:00:00Z"));
        assert_eq!(
            cron_runs(&daemon, &format!("crontab of {user}:2")),
            expected,
            "step {by}"
        );
    }
    // Four hours back: the new time is taken as it is, so 10:30 comes and
    // runs again.
    let mut daemon = Daemon::mock("2026-06-01T10:00:30Z");
    daemon.tz = "UTC".to_owned();
    install(&daemon, "30 10 * * * echo fixed\n");
    daemon.advance_to("2026-06-01T10:35:30Z");
    daemon.step("-4h");
    daemon.advance_to("2026-06-01T10:40:00Z");
    assert_eq!(
        cron_runs(&daemon, &format!("crontab of {}:1", me())),
        vec![
            instant("2026-06-01T10:30:00Z"),
            instant("2026-06-01T10:30:00Z")
        ]
    );
}

#[test]
fn a_crontab_edited_while_running_keeps_unchanged_jobs_in_place() {
    let mut daemon = Daemon::mock("2026-06-01T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    install(&daemon, "0 10 * * * echo kept\n0 11 * * * echo old\n");
    daemon.advance_to("2026-06-01T10:00:00Z");
    // Same instant, after the 10:00 run: a new crontab with the kept line
    // moved down, one line removed and one added.
    install(
        &daemon,
        "# edited\n5 10 * * * echo new\n0 10 * * * echo kept\n",
    );
    daemon.advance_to("2026-06-02T10:30:00Z");
    let runs = daemon.runs();
    let of = |command: &str| -> Vec<(Timestamp, Option<String>)> {
        runs.iter()
            .filter(|run: &&Run| run.command == command)
            .map(|run| (run.started, run.origin.clone()))
            .collect()
    };
    let user = me();
    assert_eq!(
        of("echo kept"),
        vec![
            (
                instant("2026-06-01T10:00:00Z"),
                Some(format!("crontab of {user}:1"))
            ),
            (
                instant("2026-06-02T10:00:00Z"),
                Some(format!("crontab of {user}:3"))
            ),
        ],
        "not run twice at 10:00, and named by its new line"
    );
    assert_eq!(
        of("echo new"),
        vec![
            (
                instant("2026-06-01T10:05:00Z"),
                Some(format!("crontab of {user}:2"))
            ),
            (
                instant("2026-06-02T10:05:00Z"),
                Some(format!("crontab of {user}:2"))
            ),
        ]
    );
    assert!(of("echo old").is_empty());
    assert_eq!(
        daemon.ok(&["crontab", "-l"]),
        "# edited\n5 10 * * * echo new\n0 10 * * * echo kept\n"
    );
}

#[test]
fn a_crontab_with_a_bad_line_is_refused_whole_with_file_line_and_column() {
    let daemon = Daemon::mock("2026-06-01T00:00:00Z");
    install(&daemon, "0 1 * * * echo one\n");
    let output = daemon.sched_stdin(
        &["crontab", "-"],
        "0 2 * * * echo two\n61 * * * * echo bad\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("<stdin>:2:1: "), "{stderr}");
    assert!(stderr.contains("nothing installed"), "{stderr}");
    assert_eq!(daemon.ok(&["crontab", "-l"]), "0 1 * * * echo one\n");
    daemon.ok(&["crontab", "-r"]);
    let output = daemon.sched(&["crontab", "-l"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("no crontab for {}\n", me())
    );
}

#[test]
fn the_cron_environment_and_percent_stdin_reach_the_job() {
    let mut daemon = Daemon::mock("2026-06-01T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    install(
        &daemon,
        "FOO=bar baz\nMAILTO=\"\"\n0 10 * * * env | grep -v '^PWD=' | sort\n1 10 * * * cat%first line%second\\%\n",
    );
    daemon.advance_to("2026-06-01T10:02:00Z");
    let runs = daemon.runs();
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap();
    let home = user.dir.display().to_string();
    assert_eq!(
        runs[0].output_head,
        format!(
            "FOO=bar baz\nHOME={home}\nLOGNAME={name}\nMAILTO=\nPATH=/usr/bin:/bin\n\
             SCHED_ATTEMPT=1\nSCHED_REASON=schedule\nSCHED_SCHEDULED_AT=2026-06-01T10:00:00Z\nSHELL=/bin/sh\nUSER={name}\n",
            name = user.name
        )
    );
    // cron ends the input with a newline, as cronie does.
    assert_eq!(runs[1].output_head, "first line\nsecond%\n");
}

#[test]
fn reboot_entries_run_once_per_boot_not_per_daemon_start() {
    let mut daemon = Daemon::mock("2026-06-01T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    std::fs::write(daemon.dir.path().join("boot_id"), "boot-a\n").unwrap();
    install(&daemon, "@reboot echo booted\n");
    // Installed after start: no run until a boot.
    daemon.settle();
    assert!(daemon.runs().is_empty());
    let options = crate::harness::Options {
        mock_clock: Some("2026-06-01T10:00:00Z".to_owned()),
        ..Default::default()
    };
    // The first start that sees a boot id runs them; a restart in the same
    // boot does not; a new boot does.
    for (boot, runs) in [("boot-a", 1), ("boot-a", 1), ("boot-b", 2), ("boot-b", 2)] {
        daemon.stop();
        std::fs::write(daemon.dir.path().join("boot_id"), format!("{boot}\n")).unwrap();
        daemon.launch(&options);
        daemon.settle();
        assert_eq!(daemon.runs().len(), runs, "after a start in {boot}");
    }
}

#[test]
fn sched_next_lists_crontab_entries_and_jobs_in_time_order() {
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    install(&daemon, "30 9 * * * echo half\n0 */6 * * * echo six\n");
    daemon.ok(&["at", "09:45", "echo at-job"]);
    // Each entry and job once, in time order: a frequent line does not
    // crowd out the others.
    fn runs_of(upcoming: &[crate::harness::Upcoming]) -> Vec<(Timestamp, &str)> {
        upcoming
            .iter()
            .map(|run| (run.due, run.command.as_str()))
            .collect()
    }
    assert_eq!(
        runs_of(&daemon.upcoming(1)),
        vec![
            (instant("2026-06-01T09:30:00Z"), "echo half"),
            (instant("2026-06-01T09:45:00Z"), "echo at-job"),
            (instant("2026-06-01T12:00:00Z"), "echo six"),
        ]
    );
    assert_eq!(daemon.ok(&["next"]).lines().count(), 3);
    // -n N: N instants of each entry; a job has only one.
    let upcoming = daemon.upcoming(3);
    assert_eq!(
        runs_of(&upcoming),
        vec![
            (instant("2026-06-01T09:30:00Z"), "echo half"),
            (instant("2026-06-01T09:45:00Z"), "echo at-job"),
            (instant("2026-06-01T12:00:00Z"), "echo six"),
            (instant("2026-06-01T18:00:00Z"), "echo six"),
            (instant("2026-06-02T00:00:00Z"), "echo six"),
            (instant("2026-06-02T09:30:00Z"), "echo half"),
            (instant("2026-06-03T09:30:00Z"), "echo half"),
        ]
    );
    assert_eq!(upcoming[1].job, Some(1));
    assert_eq!(upcoming[1].kind, sched_proto::RunKind::At);
    assert_eq!(upcoming[0].kind, sched_proto::RunKind::Cron);
    assert!(
        upcoming
            .iter()
            .all(|run| run.owner == me() && run.owner_uid == nix::unistd::geteuid().as_raw())
    );
    assert_eq!(
        upcoming[0].origin.as_deref(),
        Some(format!("crontab of {}:1", me()).as_str())
    );
    assert_eq!(upcoming[0].job, None);
    // And the daemon then does exactly that.
    daemon.advance_to("2026-06-02T00:00:00Z");
    let started: Vec<Timestamp> = daemon.runs().iter().map(|run| run.started).collect();
    assert_eq!(
        started,
        upcoming
            .iter()
            .map(|run| run.due)
            .filter(|due| *due <= instant("2026-06-02T00:00:00Z"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn system_files_load_with_their_user_and_bad_ones_are_refused_with_a_log_line() {
    use std::os::unix::fs::PermissionsExt;
    let user = me();
    let mut daemon = Daemon::mock("2026-06-01T09:00:00Z");
    daemon.tz = "UTC".to_owned();
    let etc = daemon.etc();
    std::fs::write(
        etc.join("crontab"),
        format!("SHELL=/bin/sh\n0 10 * * * {user} echo system\n61 * * * * {user} echo bad\n"),
    )
    .unwrap();
    let open = etc.join("cron.d/open");
    std::fs::write(&open, format!("0 10 * * * {user} echo open\n")).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o664)).unwrap();
    std::fs::write(
        etc.join("cron.d/pkg.dpkg-old"),
        format!("0 10 * * * {user} echo old\n"),
    )
    .unwrap();
    // Restart so that the start-up load reads them.
    let options = crate::harness::Options {
        mock_clock: Some("2026-06-01T09:00:00Z".to_owned()),
        ..Default::default()
    };
    daemon.stop();
    daemon.launch(&options);
    daemon.advance_to("2026-06-01T10:00:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].command, "echo system");
    let crontab = etc.join("crontab").display().to_string();
    assert_eq!(runs[0].origin, Some(format!("{crontab}:2")));
    let log = daemon.log();
    assert!(
        log.contains(&format!("{crontab}:3:1: ")),
        "the bad line is reported with file, line and column:\n{log}"
    );
    assert!(
        log.contains(&format!(
            "{}: refused, its jobs are not loaded: it is writable by its group (mode 0664)",
            open.display()
        )),
        "{log}"
    );
    // Fixed, the file is picked up without a restart (inotify).
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    daemon.wait_until("the fixed file to load", |d| {
        d.upcoming(10).iter().any(|run| run.command == "echo open")
    });
    daemon.advance_to("2026-06-02T10:00:00Z");
    assert_eq!(
        daemon
            .runs()
            .iter()
            .filter(|run| run.command == "echo open")
            .map(|run| run.started)
            .collect::<Vec<_>>(),
        vec![instant("2026-06-02T10:00:00Z")]
    );
}

#[test]
fn ten_thousand_entries_over_a_day_run_exactly_the_expected_times() {
    let user = me();
    let mut daemon = Daemon::mock("2026-06-03T00:00:00Z");
    daemon.tz = "UTC".to_owned();
    // Entry i: minute i % 60, hour (i / 60) % 24, day of month
    // 1 + (11 i) % 28. On June 3rd exactly the entries with day 3 fire, each
    // once, at its own minute.
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 0..10_000u32 {
        let (minute, hour, day) = (i % 60, (i / 60) % 24, 1 + (11 * i) % 28);
        text.push_str(&format!("{minute} {hour} {day} * * {user} echo {i}\n"));
        if day == 3 {
            let at = instant("2026-06-03T00:00:00Z")
                + jiff::SignedDuration::from_mins(i64::from(hour * 60 + minute));
            expected.push((at, format!("echo {i}")));
        }
    }
    std::fs::write(daemon.etc().join("cron.d/many"), text).unwrap();
    daemon.wait_until("10,000 entries to load", |d| {
        d.log().contains("added=10000")
    });
    daemon.advance_to("2026-06-04T00:00:00Z");
    let mut got: Vec<(Timestamp, String)> = daemon
        .runs()
        .into_iter()
        .map(|run| (run.started, run.command))
        .collect();
    got.sort();
    expected.sort();
    // 0 0 3 * * would fire at the start instant itself: not after it.
    expected.retain(|(at, _)| *at > instant("2026-06-03T00:00:00Z"));
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}

#[test]
fn cron_d_files_of_debian_packages_load_without_error() {
    let user = me();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut daemon = Daemon::mock("2026-06-01T00:00:00Z");
    daemon.tz = "UTC".to_owned();
    let etc = daemon.etc();
    // As root the files load as shipped; another user's daemon runs only
    // that user's jobs, so the user field names that user instead.
    let adapt = |text: String| {
        if user == "root" {
            text
        } else {
            text.replace(" root ", &format!(" {user} "))
        }
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(data.join("cron.d")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = adapt(std::fs::read_to_string(&path).unwrap());
        std::fs::write(etc.join("cron.d").join(&name), text).unwrap();
        names.push(name);
    }
    let crontab = adapt(std::fs::read_to_string(data.join("crontab-debian")).unwrap());
    std::fs::write(etc.join("crontab"), crontab).unwrap();
    let options = crate::harness::Options {
        mock_clock: Some("2026-06-01T00:00:00Z".to_owned()),
        ..Default::default()
    };
    daemon.stop();
    daemon.launch(&options);
    let upcoming = daemon.upcoming(10_000);
    let log = daemon.log();
    assert!(
        !log.contains("skipped") && !log.contains("refused"),
        "every line loads:\n{log}"
    );
    for name in names.iter().chain(std::iter::once(&"crontab".to_owned())) {
        assert!(
            upcoming.iter().any(|run| run
                .origin
                .as_deref()
                .is_some_and(|origin| origin.contains(&format!("/{name}:")))),
            "{name} has upcoming runs: {upcoming:?}"
        );
    }
}

#[test]
fn crontab_e_installs_what_the_editor_saved_and_keeps_the_old_one_on_errors() {
    let daemon = Daemon::mock("2026-06-01T00:00:00Z");
    install(&daemon, "0 1 * * * echo old\n");
    let mut edit = daemon.sched_command(&["crontab", "-e"]);
    edit.env("VISUAL", "sed -i s/old/new/");
    let output = crate::harness::run(edit, None);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(daemon.ok(&["crontab", "-l"]), "0 1 * * * echo new\n");
    // An edit that breaks a line is not installed; without a terminal
    // there is no second try.
    let mut edit = daemon.sched_command(&["crontab", "-e"]);
    edit.env("VISUAL", "sed -i s/^0/99/");
    let output = crate::harness::run(edit, Some(""));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(":1:1: "), "{stderr}");
    assert!(stderr.contains("nothing installed"), "{stderr}");
    assert_eq!(daemon.ok(&["crontab", "-l"]), "0 1 * * * echo new\n");
}

#[test]
fn output_is_mailed_to_mailto_through_sendmail_and_always_kept() {
    let mut daemon = Daemon::mock("2026-06-01T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    let mailbox = daemon.fake_sendmail();
    install(
        &daemon,
        "MAILTO=ops@example.com\n0 10 * * * echo hello\n1 10 * * * true\nMAILTO=\"\"\n2 10 * * * echo quiet\n",
    );
    daemon.advance_to("2026-06-01T10:03:00Z");
    // The mail is sent after the run is recorded; wait for it.
    daemon.wait_until("the mail", |_| {
        std::fs::read_to_string(&mailbox).is_ok_and(|text| text.contains("hello"))
    });
    let mail = std::fs::read_to_string(&mailbox).unwrap();
    assert!(
        mail.starts_with("ARGS: -FCronDaemon -i -B8BITMIME -oem -oi -t\n"),
        "{mail}"
    );
    assert!(mail.contains("\nTo: ops@example.com\n"), "{mail}");
    assert!(
        mail.contains(&format!("\nSubject: Cron <{}@", me())),
        "{mail}"
    );
    assert!(mail.contains("> echo hello\n"), "{mail}");
    assert!(mail.ends_with("\n\nhello\n"), "{mail}");
    assert_eq!(
        mail.matches("ARGS:").count(),
        1,
        "no output, or MAILTO=\"\": no mail"
    );
    let runs = daemon.runs();
    assert_eq!(runs.len(), 3);
    assert_eq!(
        runs[2].output_head, "quiet\n",
        "kept in the history all the same"
    );
}

#[test]
fn mailed_output_is_bounded_by_the_output_limit() {
    let mut options = crate::harness::Options {
        mock_clock: Some("2026-06-01T09:59:00Z".to_owned()),
        ..crate::harness::Options::default()
    };
    options
        .extra
        .extend(["--output-limit".to_owned(), "64".to_owned()]);
    let mut daemon = Daemon::start(options);
    daemon.tz = "UTC".to_owned();
    let mailbox = daemon.fake_sendmail();
    // 1,000 lines of "line N": 8,893 bytes of output (`\\%` is a `%`).
    install(&daemon, "0 10 * * * seq -f 'line \\%g' 1000\n");
    daemon.advance_to("2026-06-01T10:01:00Z");
    daemon.wait_until("the mail", |_| {
        std::fs::read_to_string(&mailbox).is_ok_and(|text| text.ends_with("line 1000\n"))
    });
    let mail = std::fs::read_to_string(&mailbox).unwrap();
    let body = mail.split_once("\n\n").unwrap().1;
    let all: String = (1..=1000).map(|n| format!("line {n}\n")).collect();
    assert_eq!(all.len(), 8893);
    // What the history keeps: the first and the last 32 bytes.
    assert_eq!(
        body,
        format!(
            "{}\n[schedd: the output was 8893 bytes; 8829 in the middle are left out]\n{}",
            &all[..32],
            &all[8893 - 32..]
        )
    );
}

#[test]
fn a_cron_d_directory_removed_and_created_again_is_watched_again() {
    use std::os::unix::fs::PermissionsExt;
    let user = me();
    let daemon = Daemon::mock("2026-06-01T09:00:00Z");
    let cron_d = daemon.etc().join("cron.d");
    std::fs::remove_dir(&cron_d).unwrap();
    std::fs::create_dir(&cron_d).unwrap();
    std::fs::set_permissions(&cron_d, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A file written into the new directory is seen without SIGHUP.
    let file = cron_d.join("later");
    std::fs::write(&file, format!("0 10 * * * {user} echo later\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    daemon.wait_until("the new file to load", |d| {
        d.upcoming(10).iter().any(|run| run.command == "echo later")
    });
    // And its removal too.
    std::fs::remove_file(&file).unwrap();
    daemon.wait_until("the file to be dropped", |d| d.upcoming(10).is_empty());
}

#[test]
fn no_control_character_reaches_a_mail_header_from_any_crontab() {
    use std::os::unix::fs::PermissionsExt;
    let user = me();
    let mut daemon = Daemon::mock("2026-06-01T09:59:00Z");
    daemon.tz = "UTC".to_owned();
    let mailbox = daemon.fake_sendmail();
    let injected = "MAILTO=x@example.invalid\rBcc: evil@example.invalid\n0 10 * * * echo hi\n";
    // A user's crontab: refused whole, at the carriage return's column.
    let output = daemon.sched_stdin(&["crontab", "-"], injected);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            ":1:25: control character U+000D in the value of MAILTO: it would reach a mail header"
        ),
        "{stderr}"
    );
    assert_eq!(daemon.sched(&["crontab", "-l"]).status.code(), Some(1));
    let checked = daemon.sched_stdin(&["check", "-"], "FOO=a\u{b}b\nMAILTO=-oQ/tmp\n");
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&checked.stdout),
        "<stdin>:1:6: control character U+000B in the value of FOO: it would reach a mail header\n\
         <stdin>:2:8: '-' is not allowed in MAILTO (cron mails nothing to such an address): use letters, digits, _ and @!:%+-.,\n"
    );
    // A system crontab: the bad lines are skipped and logged, the job runs,
    // and its mail carries none of them.
    let file = daemon.etc().join("cron.d/injected");
    std::fs::write(
        &file,
        format!(
            "MAILTO=x@example.invalid\rBcc: evil@example.invalid\n\
             FOO=a\rX-Evil: yes\n\
             MAILFROM=cron+ops@example.org\n\
             0 10 * * * {user} echo hi\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    daemon.wait_until("the cron.d file to load", |d| {
        d.upcoming(10).iter().any(|run| run.command == "echo hi")
    });
    daemon.advance_to("2026-06-01T10:01:00Z");
    daemon.wait_until("the mail", |_| {
        std::fs::read_to_string(&mailbox).is_ok_and(|text| text.contains("\nhi\n"))
    });
    let mail = std::fs::read_to_string(&mailbox).unwrap();
    let headers = mail.split_once("\n\n").unwrap().0;
    assert!(!headers.contains('\r'), "{headers:?}");
    assert!(
        !headers.contains("evil") && !headers.contains("X-Evil"),
        "{headers}"
    );
    assert!(headers.contains(&format!("\nTo: {user}\n")), "{headers}");
    assert!(
        headers.contains("\nFrom: \"(Cron Daemon)\" <cron+ops@example.org>\n"),
        "{headers}"
    );
    let log = daemon.log();
    assert!(
        log.contains("injected:1:25: control character U+000D in the value of MAILTO"),
        "{log}"
    );
}
