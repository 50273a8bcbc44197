//! Whole crontab files: real files shipped by Debian packages, crontab(5)'s
//! example, environment lines, the `%` rule and bad lines.

use std::path::PathBuf;

use sched_cron::crontab::{Format, LineError, parse};

fn data(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn error(line: usize, column: usize, message: &str) -> LineError {
    LineError {
        line,
        column,
        message: message.to_string(),
    }
}

#[test]
fn every_debian_cron_d_file_loads_without_error() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/cron.d");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (crontab, errors) = parse(&text, Format::System);
        assert_eq!(errors, [], "{}", path.display());
        assert!(!crontab.entries.is_empty(), "{}", path.display());
        for entry in &crontab.entries {
            assert_eq!(entry.user.as_deref(), Some("root"), "{}", path.display());
        }
    }
}

#[test]
fn sysstat_entries_and_environment() {
    let (crontab, errors) = parse(&data("cron.d/sysstat"), Format::System);
    assert_eq!(errors, []);
    assert_eq!(crontab.entries.len(), 2);
    let first = &crontab.entries[0];
    assert_eq!(first.line, 6);
    assert_eq!(first.user.as_deref(), Some("root"));
    assert_eq!(
        first.command,
        "command -v debian-sa1 > /dev/null && debian-sa1 1 1"
    );
    assert_eq!(first.stdin, "");
    let path = crontab.var_of(first, "PATH").unwrap();
    assert_eq!(
        path.value,
        "/usr/lib/sysstat:/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert!(first.schedule.is_wildcard());
    assert!(!crontab.entries[1].schedule.is_wildcard());
}

#[test]
fn escaped_percent_in_mdadm_and_zfs() {
    let (crontab, errors) = parse(&data("cron.d/mdadm"), Format::System);
    assert_eq!(errors, []);
    assert_eq!(
        crontab.entries[0].command,
        "if [ -x /usr/share/mdadm/checkarray ] && [ $(date +%d) -le 7 ]; then /usr/share/mdadm/checkarray --cron --all --idle --quiet; fi"
    );
    assert_eq!(crontab.entries[0].stdin, "");
    let (crontab, errors) = parse(&data("cron.d/zfsutils-linux"), Format::System);
    assert_eq!(errors, []);
    assert_eq!(crontab.entries.len(), 2);
    assert!(
        crontab.entries[1]
            .command
            .starts_with("if [ $(date +%w) -eq 0 ]")
    );
}

#[test]
fn debian_etc_crontab() {
    let (crontab, errors) = parse(&data("crontab-debian"), Format::System);
    assert_eq!(errors, []);
    assert_eq!(crontab.entries.len(), 4);
    assert_eq!(
        crontab.entries[0].command,
        "cd / && run-parts --report /etc/cron.hourly"
    );
    assert_eq!(crontab.env.len(), 1); // the PATH line is commented out
    assert_eq!(
        crontab.var_of(&crontab.entries[3], "SHELL").unwrap().value,
        "/bin/sh"
    );
}

#[test]
fn crontab_5_example_user_crontab() {
    let (crontab, errors) = parse(&data("user-crontab5"), Format::User);
    assert_eq!(errors, []);
    assert_eq!(crontab.entries.len(), 5);
    let mail = &crontab.entries[2];
    assert_eq!(mail.line, 12);
    assert_eq!(mail.command, "mail -s \"It's 10pm\" joe");
    assert_eq!(mail.stdin, "Joe,\n\nWhere are your kids?\n");
    assert_eq!(mail.user, None);
    for entry in &crontab.entries {
        assert_eq!(crontab.cron_tz_of(entry).unwrap().value, "Japan");
        assert_eq!(crontab.var_of(entry, "MAILTO").unwrap().value, "paul");
    }
}

#[test]
fn assignments_apply_to_later_lines_and_later_ones_win() {
    let text = "\
A=1
* * * * * first
A=2
CRON_TZ=Europe/Berlin
* * * * * second
CRON_TZ=
* * * * * third
";
    let (crontab, errors) = parse(text, Format::User);
    assert_eq!(errors, []);
    let [first, second, third] = &crontab.entries[..] else {
        panic!("three entries expected")
    };
    assert_eq!(crontab.var_of(first, "A").unwrap().value, "1");
    assert_eq!(crontab.var_of(second, "A").unwrap().value, "2");
    assert!(crontab.cron_tz_of(first).is_none());
    assert_eq!(crontab.cron_tz_of(second).unwrap().value, "Europe/Berlin");
    assert!(crontab.cron_tz_of(third).is_none());
    assert_eq!(crontab.env_of(third).len(), 4);
}

#[test]
fn cronie_line_options() {
    let text =
        "-*/5 * * * * root quiet job\n0 1 * * * root -n mail-on-error\n@reboot root -n\tboth\n";
    let (crontab, errors) = parse(text, Format::System);
    assert_eq!(errors, []);
    assert!(crontab.entries[0].no_log);
    assert_eq!(crontab.entries[0].command, "quiet job");
    assert!(!crontab.entries[0].mail_only_on_error);
    assert!(crontab.entries[1].mail_only_on_error);
    assert_eq!(crontab.entries[1].command, "mail-on-error");
    assert!(crontab.entries[2].schedule.is_reboot());
    assert_eq!(crontab.entries[2].command, "both");
}

#[test]
fn windows_line_endings_and_no_final_newline() {
    let (crontab, errors) = parse("A=b\r\n0 0 * * * echo hi\r\n5 5 * * * last", Format::User);
    assert_eq!(errors, []);
    assert_eq!(crontab.env[0].value, "b");
    assert_eq!(crontab.entries[0].command, "echo hi");
    assert_eq!(crontab.entries[1].command, "last");
}

#[test]
fn a_bad_line_is_reported_and_the_rest_loads() {
    let text = "\
0 0 * * * good one
61 0 * * * bad minute
0 0 * * *
0 0 * * * * six fields
   0 25 * * * bad hour after blanks
0 0 30 2 * never
@weekly good two
0 0 * * mon-sun/2 fine
5/10 * * * * step after value
GARBAGE
";
    let (crontab, errors) = parse(text, Format::User);
    assert_eq!(
        errors,
        [
            error(2, 1, "minute 61 out of range 0-59"),
            error(3, 10, "missing command"),
            error(
                4,
                11,
                "command starts with '*': cron has 5 time fields (minute hour day-of-month month day-of-week), not 6"
            ),
            error(5, 6, "hour 25 out of range 0-23"),
            error(6, 5, "never fires: February has no day 30"),
            error(
                9,
                2,
                "minute step after the single value 5: write 5-59/10 or */10"
            ),
            error(
                10,
                1,
                "the minute field takes numbers 0-59, not names: found \"GARBAGE\""
            ),
        ]
    );
    let commands: Vec<&str> = crontab.entries.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(commands, ["good one", "good two", "fine"]);
}

#[test]
fn system_crontab_errors() {
    let text = "\
0 0 * * *
0 0 * * * root
0 0 * * * /usr/bin/forgot-the-user
@daily
";
    let (_, errors) = parse(text, Format::System);
    assert_eq!(
        errors,
        [
            error(1, 10, "missing user name and command after the time fields"),
            error(2, 15, "missing command"),
            error(
                3,
                11,
                "invalid user name \"/usr/bin/forgot-the-user\": a system crontab line needs the user to run as before the command"
            ),
            error(4, 7, "missing user name and command after the time fields"),
        ]
    );
}

#[test]
fn system_crontab_accepts_domain_users_and_star_commands() {
    let text = "0 0 * * * alice@corp.example /bin/true\n0 0 * * * root *weird-but-legal\n0 0 * * * * root six fields\n";
    let (crontab, errors) = parse(text, Format::System);
    assert_eq!(
        crontab.entries[0].user.as_deref(),
        Some("alice@corp.example")
    );
    assert_eq!(crontab.entries[1].command, "*weird-but-legal");
    assert_eq!(
        errors,
        [error(
            3,
            11,
            "invalid user name \"*\": a system crontab line needs the user to run as before the command"
        )]
    );
}

#[test]
fn too_few_fields() {
    let (_, errors) = parse("0 0 *\n", Format::User);
    assert_eq!(
        errors,
        [error(
            1,
            6,
            "expected 5 time fields (minute hour day-of-month month day-of-week) and a command, found 3 fields"
        )]
    );
}

#[test]
fn invalid_utf8_line_is_reported() {
    let bytes = b"0 0 * * * ok\n0 0 * * * caf\xe9\n1 1 * * * also ok\n";
    let (crontab, errors) = sched_cron::crontab::parse_bytes(bytes, Format::User);
    assert_eq!(errors, [error(2, 14, "line is not valid UTF-8")]);
    assert_eq!(crontab.entries.len(), 2);
}

#[test]
fn a_nul_byte_is_reported_where_it_is() {
    let (crontab, errors) = parse(
        "* * * * * echo a\0b\nX=1\0\n5 * * * * echo fine\n",
        Format::User,
    );
    assert_eq!(
        errors,
        [
            error(
                1,
                17,
                "NUL byte in the line; a command or variable cannot hold one"
            ),
            error(
                2,
                4,
                "NUL byte in the line; a command or variable cannot hold one"
            ),
        ]
    );
    assert_eq!(crontab.entries.len(), 1);
    assert_eq!(crontab.entries[0].command, "echo fine");
    assert!(crontab.env.is_empty());
}

#[test]
fn policy_assignments_apply_to_the_lines_below_them() {
    use sched_cron::policy::{Backoff, CatchUp, Overlap, Policy};
    use std::time::Duration;
    let text = "\
0 1 * * * plain
SCHED_TIMEOUT=10m
SCHED_RETRY=3
SCHED_RETRY_BACKOFF=30s..10m
5 1 * * * first
SCHED_OVERLAP=queue
SCHED_CATCHUP=once
SCHED_JITTER=90s
SCHED_DEADLINE=5m
SCHED_RETRY=0
10 1 * * * second
15 1 * * * -s -q third
";
    let (crontab, errors) = parse(text, Format::User);
    assert_eq!(errors, vec![]);
    let policies: Vec<Policy> = crontab
        .entries
        .iter()
        .map(|entry| crontab.policy_of(entry).over(&Policy::default()))
        .collect();
    assert_eq!(policies[0], Policy::default());
    let first = Policy {
        timeout: Some(Duration::from_secs(600)),
        retries: 3,
        backoff: Backoff {
            first: Duration::from_secs(30),
            cap: Duration::from_secs(600),
        },
        ..Policy::default()
    };
    assert_eq!(policies[1], first);
    let second = Policy {
        retries: 0,
        overlap: Overlap::Queue,
        catch_up: CatchUp::Once,
        jitter: Duration::from_secs(90),
        deadline: Some(Duration::from_secs(300)),
        ..first
    };
    assert_eq!(policies[2], second);
    // -s is overlap skip, whatever SCHED_OVERLAP says; -q is not logged.
    assert_eq!(policies[3].overlap, Overlap::Skip);
    let third = &crontab.entries[3];
    assert!(third.single_instance && third.no_log);
    assert_eq!(third.command, "third");
    // The assignments still reach the job's environment, as cron's do.
    assert_eq!(
        crontab
            .var_of(third, "SCHED_OVERLAP")
            .map(|v| v.value.as_str()),
        Some("queue")
    );
}

#[test]
fn bad_policy_values_are_line_errors_at_the_value_and_change_nothing() {
    let text = "SCHED_RETRY=3\nSCHED_TIMEOUT = 10x\nSCHED_OVERLAP=\"never\"\n* * * * * job\n";
    let (crontab, errors) = parse(text, Format::User);
    assert_eq!(
        errors,
        vec![
            error(
                2,
                19,
                "SCHED_TIMEOUT: unexpected 'x': expected a duration such as 90s, 10m, 1h30m or 2d (units s, m, h, d) (or none) for SCHED_TIMEOUT"
            ),
            error(
                3,
                16,
                "SCHED_OVERLAP: expected allow, skip, queue or replace, found \"never\""
            ),
        ]
    );
    let spec = crontab.policy_of(&crontab.entries[0]);
    assert_eq!(spec.retries, Some(3));
    assert_eq!(spec.timeout, None);
    assert_eq!(spec.overlap, None);
}

#[test]
fn random_delay_is_cronies_for_the_whole_file_in_minutes() {
    use std::time::Duration;
    let text = "* * * * * before\nRANDOM_DELAY=5\n* * * * * after\nSCHED_JITTER=30s\n* * * * * own\nRANDOM_DELAY=soon\n";
    let (crontab, errors) = parse(text, Format::User);
    assert_eq!(errors, vec![]);
    let jitter: Vec<_> = crontab
        .entries
        .iter()
        .map(|entry| crontab.policy_of(entry).jitter)
        .collect();
    assert_eq!(
        jitter,
        vec![
            Some(Duration::from_secs(300)),
            Some(Duration::from_secs(300)),
            Some(Duration::from_secs(30))
        ]
    );
}

#[test]
fn openbsd_flags_before_the_command_in_any_order() {
    let text =
        "* * * * * -n -s  cmd -q\n* * * * * root -q\t-n cmd\n* * * * * -x cmd\n* * * * * -s\n";
    let (crontab, errors) = parse(text, Format::User);
    let flags: Vec<_> = crontab
        .entries
        .iter()
        .map(|e| {
            (
                e.command.as_str(),
                e.mail_only_on_error,
                e.single_instance,
                e.no_log,
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            ("cmd -q", true, true, false),
            ("root -q\t-n cmd", false, false, false),
            ("-x cmd", false, false, false),
            ("-s", false, false, false),
        ]
    );
    assert_eq!(errors, vec![]);
    let (system, errors) = parse("* * * * * root -q\t-n cmd\n", Format::System);
    assert_eq!(errors, vec![]);
    let entry = &system.entries[0];
    assert_eq!(
        (
            entry.command.as_str(),
            entry.mail_only_on_error,
            entry.no_log
        ),
        ("cmd", true, true)
    );
}

#[test]
fn random_values_are_in_their_range_stable_per_line_and_spread_over_owners() {
    use jiff::Timestamp;
    use jiff::tz::TimeZone;
    use sched_cron::Zone;
    let zone = Zone::new(TimeZone::UTC);
    let after: Timestamp = "2026-12-05T00:00:00Z".parse().unwrap();
    // The minute and hour a line's first run falls on.
    let first = |text: &str, owner: u32| {
        let (crontab, errors) = sched_cron::crontab::parse_for(text, Format::User, owner);
        assert_eq!(errors, vec![], "{text}");
        let next = crontab.entries[0]
            .schedule
            .next_after(&zone, after)
            .unwrap();
        let next = TimeZone::UTC.to_datetime(next);
        (
            next.minute(),
            next.hour(),
            next.weekday().to_sunday_zero_offset(),
        )
    };
    let mut minutes = std::collections::HashSet::new();
    for owner in 0..200 {
        let (minute, hour, _) = first("10~20 3~ * * * job\n", owner);
        assert!((10..=20).contains(&minute) && (3..=23).contains(&hour));
        // The same line of the same owner: the same value, every time.
        let again = first("10~20 3~ * * * job\n", owner);
        assert_eq!((again.0, again.1), (minute, hour));
        minutes.insert(minute);
        let (minute, hour, _) = first("~ ~5 * * * job\n", owner);
        assert!(minute < 60 && hour <= 5);
        let (_, _, weekday) = first("0 0 * * mon~fri job\n", owner);
        assert!((1..=5).contains(&weekday), "{weekday}");
    }
    assert_eq!(
        minutes.len(),
        11,
        "every value of 10~20 is chosen by some owner"
    );
    let errors = |text: &str| parse(text, Format::User).1;
    assert_eq!(
        errors("20~10 * * * * job\n"),
        vec![error(
            1,
            3,
            "minute range 20-10 is reversed, so cron would never run it: write 20-59,0-10 for a range that wraps"
        )]
    );
    assert_eq!(
        errors("0~30/5 * * * * job\n"),
        vec![error(
            1,
            5,
            "minute step after a random value (~): a random value is one value, with no step"
        )]
    );
    assert_eq!(
        errors("0~60 * * * * job\n"),
        vec![error(1, 3, "minute 60 out of range 0-59")]
    );
}
