//! Jobs run as their owners; users see and touch only their own jobs; only
//! the daemon's own uid can drive a mock clock. Needs root; skips otherwise.

use sched_proto::Outcome;

use crate::harness::{Daemon, Options, nobody, root_or_skip, stderr};

fn shared_daemon() -> Daemon {
    Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        shared: true,
        ..Options::default()
    })
}

#[test]
fn a_users_job_runs_with_their_uid_gid_and_groups() {
    if !root_or_skip("a_users_job_runs_with_their_uid_gid_and_groups") {
        return;
    }
    let daemon = shared_daemon();
    let (uid, gid) = nobody();
    let output = daemon.sched_as(
        uid,
        gid,
        &["at", "now + 1 min", "id -u; id -g; id -G; echo $USER $HOME"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    daemon.advance_to("2026-11-25T10:01:00Z");
    let runs = daemon.runs();
    assert_eq!(runs[0].owner_uid, uid);
    assert_eq!(runs[0].owner, "nobody");
    assert_eq!(runs[0].outcome, Outcome::Exited { code: 0 });
    // `id -G` lists the groups in the kernel's order: compare as sets.
    let mut expected: Vec<u32> =
        nix::unistd::getgrouplist(c"nobody", nix::unistd::Gid::from_raw(gid))
            .unwrap()
            .iter()
            .map(|g| g.as_raw())
            .collect();
    expected.sort_unstable();
    let lines: Vec<&str> = runs[0].output_head.lines().collect();
    assert_eq!(lines.len(), 4, "{:?}", runs[0].output_head);
    assert_eq!(
        (lines[0], lines[1], lines[3]),
        (
            uid.to_string().as_str(),
            gid.to_string().as_str(),
            "nobody /nonexistent"
        )
    );
    let mut groups: Vec<u32> = lines[2].split(' ').map(|g| g.parse().unwrap()).collect();
    groups.sort_unstable();
    assert_eq!(groups, expected);
}

#[test]
fn users_see_and_remove_only_their_own_jobs_and_root_sees_all() {
    if !root_or_skip("users_see_and_remove_only_their_own_jobs_and_root_sees_all") {
        return;
    }
    let daemon = shared_daemon();
    let (uid, gid) = nobody();
    let roots = daemon.at("now + 1 hour", "echo root");
    let output = daemon.sched_as(uid, gid, &["at", "now + 2 hours", "echo nobody"]);
    let theirs = crate::harness::job_id(&String::from_utf8_lossy(&output.stdout));
    let listed = daemon.sched_as(uid, gid, &["ls", "--json"]);
    let jobs: Vec<crate::harness::Job> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![theirs]);
    assert_eq!(
        daemon.jobs().iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![roots, theirs]
    );
    let show = daemon.sched_as(uid, gid, &["show", &roots.to_string()]);
    assert_eq!(show.status.code(), Some(1));
    assert_eq!(
        stderr(&show),
        format!("sched: no pending job {roots} of yours: see `sched ls`\n")
    );
    let rm = daemon.sched_as(uid, gid, &["rm", &roots.to_string()]);
    assert_eq!(rm.status.code(), Some(1));
    assert_eq!(daemon.jobs().len(), 2, "root's job is still there");
    daemon.advance_to("2026-11-25T13:00:00Z");
    let logs = daemon.sched_as(uid, gid, &["logs", "--json"]);
    let runs: Vec<crate::harness::Run> = serde_json::from_slice(&logs.stdout).unwrap();
    assert_eq!(runs.iter().map(|r| r.job).collect::<Vec<_>>(), vec![theirs]);
    assert_eq!(daemon.runs().len(), 2);
}

#[test]
fn an_unprivileged_user_cannot_drive_the_mock_clock_of_a_root_daemon() {
    if !root_or_skip("an_unprivileged_user_cannot_drive_the_mock_clock_of_a_root_daemon") {
        return;
    }
    let daemon = shared_daemon();
    let (uid, gid) = nobody();
    for args in [
        &["mock", "now"][..],
        &["mock", "set", "2030-01-01T00:00:00Z"],
        &["mock", "settle"],
    ] {
        let output = daemon.sched_as(uid, gid, args);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(stderr(&output), "sched: unknown request\n", "{args:?}");
    }
    assert_eq!(daemon.ok(&["mock", "now"]), "2026-11-25T10:00:00Z\n");
}

#[test]
fn a_job_whose_owner_no_longer_exists_is_not_run_and_the_refusal_is_recorded() {
    if !root_or_skip("a_job_whose_owner_no_longer_exists_is_not_run_and_the_refusal_is_recorded") {
        return;
    }
    let _accounts = crate::harness::accounts_lock();
    let Some(mut user) = crate::harness::TempUser::create(
        "schedghost1",
        "a_job_whose_owner_no_longer_exists_is_not_run_and_the_refusal_is_recorded",
    ) else {
        return;
    };
    let daemon = shared_daemon();
    let ghost = user.uid;
    let marker = daemon.dir.path().join("ran");
    let output = daemon.sched_as(
        ghost,
        user.gid,
        &["at", "now + 1 min", &format!("touch {}", marker.display())],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The user is deleted before the job is due.
    user.delete();
    daemon.advance_to("2026-11-25T10:05:00Z");
    let runs = daemon.runs();
    assert_eq!(runs[0].owner_uid, ghost);
    assert_eq!(
        runs[0].outcome,
        Outcome::Failed {
            reason: format!("user {ghost} no longer exists")
        }
    );
    assert!(!marker.exists());
}

#[test]
fn a_job_cannot_start_in_a_directory_its_owner_cannot_enter() {
    if !root_or_skip("a_job_cannot_start_in_a_directory_its_owner_cannot_enter") {
        return;
    }
    let daemon = shared_daemon();
    let (uid, gid) = nobody();
    // nobody submits from a directory it may enter, which is then closed
    // to it before the job is due.
    let open = daemon.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = daemon.sched_command(&["at", "now + 1 min", "echo should-not-run"]);
    {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid).current_dir(&open);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o700)).unwrap();
    daemon.advance_to("2026-11-25T10:01:00Z");
    let runs = daemon.runs();
    match &runs[0].outcome {
        Outcome::Failed { reason } => assert!(reason.contains("Permission denied"), "{reason}"),
        other => panic!("expected a failed run, got {other:?}"),
    }
    assert_eq!(
        runs[0].output_head,
        format!(
            "schedd: cannot enter the working directory {}\n",
            open.display()
        )
    );
}

/// A crontab file any user can read, in the daemon's shared directory.
fn crontab_file(daemon: &Daemon, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = daemon.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path.display().to_string()
}

#[test]
fn users_read_and_change_only_their_own_crontab_and_their_entries_run_as_them() {
    if !root_or_skip("users_read_and_change_only_their_own_crontab_and_their_entries_run_as_them") {
        return;
    }
    let daemon = shared_daemon();
    let (uid, gid) = nobody();
    // nobody's home (/nonexistent) cannot be entered: the crontab sets one.
    let theirs = crontab_file(&daemon, "nobody.cron", "HOME=/\n30 10 * * * id -u\n");
    let installed = daemon.sched_as(uid, gid, &["crontab", &theirs]);
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    daemon.ok(&[
        "crontab",
        &crontab_file(&daemon, "root.cron", "45 10 * * * id -u\n"),
    ]);

    // Their own crontab, and nobody else's.
    let listed = daemon.sched_as(uid, gid, &["crontab", "-l"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "HOME=/\n30 10 * * * id -u\n"
    );
    for args in [
        &["crontab", "-u", "root", "-l"][..],
        &["crontab", "-u", "root", "-r"],
        &["crontab", "-u", "root", &theirs],
        &["crontab", "-u", "no-such-user-here", "-l"],
    ] {
        let refused = daemon.sched_as(uid, gid, args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&refused).contains("only root may read or change another user's crontab"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    assert_eq!(
        daemon.ok(&["crontab", "-l"]),
        "45 10 * * * id -u\n",
        "root's is untouched"
    );
    assert_eq!(
        daemon.ok(&["crontab", "-u", "nobody", "-l"]),
        "HOME=/\n30 10 * * * id -u\n",
        "root reads anyone's"
    );

    // sched next: their runs only; root sees both.
    let next = daemon.sched_as(uid, gid, &["next", "-n", "3", "--json"]);
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    let runs: Vec<crate::harness::Upcoming> = serde_json::from_slice(&next.stdout).unwrap();
    assert_eq!(
        runs.iter()
            .map(|run| (run.owner_uid, run.due.to_string()))
            .collect::<Vec<_>>(),
        ["2026-11-25", "2026-11-26", "2026-11-27"]
            .map(|day| (uid, format!("{day}T10:30:00Z")))
            .to_vec()
    );
    let all = daemon.upcoming(1);
    assert_eq!(
        all.iter()
            .map(|run| (run.owner_uid, run.due.to_string()))
            .collect::<Vec<_>>(),
        vec![
            (uid, "2026-11-25T10:30:00Z".to_owned()),
            (0, "2026-11-25T10:45:00Z".to_owned())
        ]
    );

    // The entries run as their owners.
    daemon.advance_to("2026-11-25T11:00:00Z");
    daemon.settle();
    let mut ran: Vec<(u32, String)> = daemon
        .runs()
        .into_iter()
        .map(|run| (run.owner_uid, run.output_head))
        .collect();
    ran.sort();
    assert_eq!(ran, vec![(0, "0\n".to_owned()), (uid, format!("{uid}\n"))]);
    let their_logs = daemon.sched_as(uid, gid, &["logs", "--json"]);
    let their_runs: Vec<crate::harness::Run> = serde_json::from_slice(&their_logs.stdout).unwrap();
    assert_eq!(their_runs.len(), 1);
    assert_eq!(their_runs[0].owner_uid, uid);

    // Root removes theirs; they can still remove their own (nothing left).
    daemon.ok(&["crontab", "-u", "nobody", "-r"]);
    let gone = daemon.sched_as(uid, gid, &["crontab", "-l"]);
    assert_eq!(gone.status.code(), Some(1));
}

#[test]
fn the_crontab_of_a_user_that_no_longer_exists_is_not_loaded_at_start() {
    if !root_or_skip("the_crontab_of_a_user_that_no_longer_exists_is_not_loaded_at_start") {
        return;
    }
    let options = || Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        shared: true,
        ..Options::default()
    };
    let _accounts = crate::harness::accounts_lock();
    let Some(mut user) = crate::harness::TempUser::create(
        "schedghost2",
        "the_crontab_of_a_user_that_no_longer_exists_is_not_loaded_at_start",
    ) else {
        return;
    };
    let mut daemon = Daemon::start(options());
    let ghost = user.uid;
    let file = crontab_file(&daemon, "ghost.cron", "HOME=/\n30 10 * * * true\n");
    let installed = daemon.sched_as(ghost, user.gid, &["crontab", &file]);
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    assert_eq!(daemon.upcoming(1)[0].owner_uid, ghost);
    // The user is deleted; the daemon restarts.
    user.delete();
    daemon.stop();
    daemon.launch(&options());
    let line = format!("the crontab of uid {ghost} is an orphan (no such user): not loaded");
    daemon.wait_until("the orphan's log line", |daemon| {
        daemon.log().contains(&line)
    });
    assert!(daemon.upcoming(5).is_empty());
    daemon.advance_to("2026-11-25T11:00:00Z");
    assert!(daemon.runs().is_empty());
    // Kept in the spool: root still sees it.
    assert_eq!(
        daemon.ok(&["crontab", "-u", &ghost.to_string(), "-l"]),
        "HOME=/\n30 10 * * * true\n"
    );
}

/// What `sched ARGS` run as nobody answers: exit status and standard error.
fn as_nobody(daemon: &Daemon, args: &[&str]) -> (Option<i32>, String) {
    let (uid, gid) = nobody();
    let output = daemon.sched_as(uid, gid, args);
    (output.status.code(), stderr(&output))
}

#[test]
fn the_allow_and_deny_lists_of_at_and_crontab_decide_who_may_use_them() {
    if !root_or_skip("the_allow_and_deny_lists_of_at_and_crontab_decide_who_may_use_them") {
        return;
    }
    let daemon = shared_daemon();
    let etc = daemon.etc();
    let file = crontab_file(&daemon, "nobody.cron", "HOME=/\n30 10 * * * true\n");
    let at = ["at", "now + 1 hour", "true"];
    let crontab_l = ["crontab", "-l"];
    let install = ["crontab", file.as_str()];
    let allowed = |(code, err): (Option<i32>, String)| {
        assert_eq!(code, Some(0), "{err}");
        true
    };
    let denied = |(code, err): (Option<i32>, String), what: &str, why: &str| {
        assert_eq!(code, Some(1), "{err}");
        assert_eq!(
            err,
            format!("sched: you (nobody) may not use {what}: {why}\n")
        );
    };
    // The harness's empty at.deny, no cron lists: everyone may.
    assert!(allowed(as_nobody(&daemon, &at)));
    assert!(allowed(as_nobody(&daemon, &install)));
    // Named in the deny files.
    std::fs::write(etc.join("at.deny"), "daemon\nnobody\n").unwrap();
    std::fs::write(etc.join("cron.deny"), "nobody\n").unwrap();
    let at_deny = format!("nobody is in {}", etc.join("at.deny").display());
    let cron_deny = format!("nobody is in {}", etc.join("cron.deny").display());
    denied(as_nobody(&daemon, &at), "at and batch", &at_deny);
    denied(
        as_nobody(&daemon, &["batch", "true"]),
        "at and batch",
        &at_deny,
    );
    denied(as_nobody(&daemon, &crontab_l), "crontab", &cron_deny);
    denied(as_nobody(&daemon, &install), "crontab", &cron_deny);
    denied(
        as_nobody(&daemon, &["crontab", "-r"]),
        "crontab",
        &cron_deny,
    );
    // An allow file decides over the deny file.
    std::fs::write(etc.join("at.allow"), "nobody\n").unwrap();
    std::fs::write(etc.join("cron.allow"), "nobody\n").unwrap();
    assert!(allowed(as_nobody(&daemon, &at)));
    assert!(allowed(as_nobody(&daemon, &install)));
    std::fs::write(etc.join("at.allow"), "root\n").unwrap();
    std::fs::write(etc.join("cron.allow"), "").unwrap();
    let at_allow = format!("nobody is not in {}", etc.join("at.allow").display());
    let cron_allow = format!("nobody is not in {}", etc.join("cron.allow").display());
    denied(as_nobody(&daemon, &at), "at and batch", &at_allow);
    denied(as_nobody(&daemon, &crontab_l), "crontab", &cron_allow);
    // With no list at all: at is root's only, crontab everyone's.
    for name in ["at.allow", "at.deny", "cron.allow", "cron.deny"] {
        std::fs::remove_file(etc.join(name)).unwrap();
    }
    denied(
        as_nobody(&daemon, &at),
        "at and batch",
        &format!(
            "neither {} nor {} exists, and then only root may use it",
            etc.join("at.allow").display(),
            etc.join("at.deny").display()
        ),
    );
    assert!(allowed(as_nobody(&daemon, &crontab_l)));
    // A uid with no account cannot be matched against the lists: refused.
    let ghost = daemon.sched_as(3_999_997, 3_999_997, &at);
    assert_eq!(ghost.status.code(), Some(1));
    assert_eq!(
        stderr(&ghost),
        "sched: you (3999997) may not use at and batch: uid 3999997 has no account\n"
    );
    // Root is never turned away; nothing of the refused requests was kept.
    std::fs::write(etc.join("at.allow"), "").unwrap();
    std::fs::write(etc.join("cron.allow"), "").unwrap();
    daemon.ok(&at);
    daemon.ok(&["crontab", &file]);
    let (uid, _) = nobody();
    assert_eq!(
        daemon
            .jobs()
            .iter()
            .filter(|job| job.owner_uid == uid)
            .count(),
        2,
        "the two at jobs queued while allowed"
    );
}

#[test]
fn two_users_each_reach_only_their_own_jobs_crontabs_and_runs_with_every_request() {
    let test = "two_users_each_reach_only_their_own_jobs_crontabs_and_runs_with_every_request";
    if !root_or_skip(test) {
        return;
    }
    let Some([(uid_a, gid_a, name_a), (uid_b, gid_b, name_b)]) = crate::harness::test_users(test)
    else {
        return;
    };
    let daemon = shared_daemon();
    let as_a = |args: &[&str]| daemon.sched_as(uid_a, gid_a, args);
    let as_b = |args: &[&str]| daemon.sched_as(uid_b, gid_b, args);
    let id_of = |output: std::process::Output| {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        crate::harness::job_id(&String::from_utf8_lossy(&output.stdout))
    };
    // Each queues a job and installs a crontab.
    let job_a = id_of(as_a(&["at", "now + 1 hour", "id -un"]));
    let job_b = id_of(as_b(&["at", "now + 2 hours", "id -un"]));
    let cron_a = crontab_file(&daemon, "a.cron", "HOME=/\n30 10 * * * id -un\n");
    let cron_b = crontab_file(&daemon, "b.cron", "HOME=/\n45 10 * * * id -un\n");
    assert_eq!(as_a(&["crontab", &cron_a]).status.code(), Some(0));
    assert_eq!(as_b(&["crontab", &cron_b]).status.code(), Some(0));

    // ls and next: only one's own.
    let listed = |output: std::process::Output| -> Vec<u64> {
        let jobs: Vec<crate::harness::Job> = serde_json::from_slice(&output.stdout).unwrap();
        jobs.iter().map(|job| job.id).collect()
    };
    assert_eq!(listed(as_a(&["ls", "--json"])), vec![job_a]);
    assert_eq!(listed(as_b(&["ls", "--json"])), vec![job_b]);
    let next: Vec<crate::harness::Upcoming> =
        serde_json::from_slice(&as_a(&["next", "-n", "5", "--json"]).stdout).unwrap();
    assert!(!next.is_empty());
    assert!(next.iter().all(|run| run.owner_uid == uid_a), "{next:?}");

    // show, rm, logs of the other's job: not found, nothing changes.
    for (args, code) in [
        (vec!["show".to_owned(), job_b.to_string()], 1),
        (vec!["rm".to_owned(), job_b.to_string()], 1),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = as_a(&args);
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        assert!(
            stderr(&output).contains(&format!("no pending job {job_b} of yours")),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // Crontab requests for the other user are refused.
    for args in [
        vec!["crontab", "-u", name_b.as_str(), "-l"],
        vec!["crontab", "-u", name_b.as_str(), "-r"],
        vec!["crontab", "-u", name_b.as_str(), cron_a.as_str()],
    ] {
        let output = as_a(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains("only root may read or change another user's crontab"));
    }
    assert_eq!(
        String::from_utf8_lossy(&as_b(&["crontab", "-l"]).stdout),
        "HOME=/\n45 10 * * * id -un\n",
        "b's crontab is untouched"
    );
    // The mock clock is the daemon owner's (root's) only.
    let mock = as_a(&["mock", "set", "2026-11-26T00:00:00Z"]);
    assert_eq!(mock.status.code(), Some(1));

    // Everything runs as its owner; each reads only their own runs.
    daemon.advance_to("2026-11-25T12:30:00Z");
    daemon.settle();
    let runs_of = |output: std::process::Output| -> Vec<(u32, String)> {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let runs: Vec<crate::harness::Run> = serde_json::from_slice(&output.stdout).unwrap();
        let mut runs: Vec<(u32, String)> = runs
            .into_iter()
            .map(|run| (run.owner_uid, run.output_head))
            .collect();
        runs.sort();
        runs
    };
    assert_eq!(
        runs_of(as_a(&["logs", "--json"])),
        vec![
            (uid_a, format!("{name_a}\n")),
            (uid_a, format!("{name_a}\n"))
        ]
    );
    assert_eq!(
        runs_of(as_b(&["logs", "--json"])),
        vec![
            (uid_b, format!("{name_b}\n")),
            (uid_b, format!("{name_b}\n"))
        ]
    );
    // b's job's runs are not a's to read, and a learns nothing about it:
    // the answer is the one for a job that never existed.
    let logs_of_other = as_a(&["logs", &job_b.to_string(), "--json"]);
    assert_eq!(logs_of_other.status.code(), Some(1));
    assert_eq!(logs_of_other.stdout, b"");
    assert_eq!(
        stderr(&logs_of_other),
        format!(
            "sched: no job {job_b} of yours has run: it does not exist, or it is not yours (see `sched ls`)\n"
        )
    );
    let never = as_a(&["logs", "999999"]);
    assert_eq!(
        stderr(&never),
        stderr(&logs_of_other).replace(&job_b.to_string(), "999999")
    );
    assert_eq!(daemon.runs().len(), 4, "root reads all four");
}

#[test]
fn a_reused_uid_does_not_inherit_the_jobs_or_crontab_of_its_former_owner() {
    let test = "a_reused_uid_does_not_inherit_the_jobs_or_crontab_of_its_former_owner";
    if !root_or_skip(test) {
        return;
    }
    let options = || Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        shared: true,
        ..Options::default()
    };
    let _accounts = crate::harness::accounts_lock();
    let Some(mut former) = crate::harness::TempUser::create("schedreuse1", test) else {
        return;
    };
    let mut daemon = Daemon::start(options());
    let uid = former.uid;
    let marker = daemon.dir.path().join("ran");
    let output = daemon.sched_as(
        uid,
        former.gid,
        &["at", "now + 1 min", &format!("touch {}", marker.display())],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let file = crontab_file(&daemon, "former.cron", "HOME=/\n30 10 * * * true\n");
    let installed = daemon.sched_as(uid, former.gid, &["crontab", &file]);
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    // The account is deleted and its uid given to someone new.
    former.delete();
    let Some(newcomer) = crate::harness::TempUser::create_with("schedreuse2", Some(uid), test)
    else {
        return;
    };
    assert_eq!(newcomer.uid, uid);
    // The newcomer sees none of the former account's jobs or entries, and
    // cannot remove them.
    let as_newcomer = |daemon: &Daemon, args: &[&str]| {
        let output = daemon.sched_as(uid, newcomer.gid, args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(as_newcomer(&daemon, &["ls", "--json"]).trim(), "[]");
    assert_eq!(as_newcomer(&daemon, &["next", "--json"]).trim(), "[]");
    let removed = daemon.sched_as(uid, newcomer.gid, &["rm", "1"]);
    assert_eq!(removed.status.code(), Some(1), "{}", stderr(&removed));
    assert_eq!(daemon.jobs().len(), 1, "root still sees it");
    daemon.advance_to("2026-11-25T10:05:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].owner_uid, uid);
    assert_eq!(
        runs[0].outcome,
        Outcome::Failed {
            reason: format!(
                "the owner schedreuse1 (uid {uid}) no longer exists: uid {uid} is now schedreuse2's; not run"
            )
        }
    );
    assert!(!marker.exists());
    // The crontab loaded before the change is refused when it is due.
    daemon.advance_to("2026-11-25T10:31:00Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        matches!(&runs[1].outcome, Outcome::Failed { reason } if reason.starts_with("the owner schedreuse1")),
        "{runs:?}"
    );
    // After a restart the crontab is not loaded at all; root still sees it.
    daemon.stop();
    daemon.launch(&options());
    let line = format!(
        "the crontab of uid {uid} is an orphan: it was schedreuse1's, and uid {uid} is now schedreuse2's: not loaded"
    );
    daemon.wait_until("the orphan's log line", |daemon| {
        daemon.log().contains(&line)
    });
    assert!(daemon.upcoming(5).is_empty());
    assert_eq!(
        daemon.ok(&["crontab", "-u", &uid.to_string(), "-l"]),
        "HOME=/\n30 10 * * * true\n"
    );
    // The newcomer sees none of it, nor the runs.
    let theirs = daemon.sched_as(uid, newcomer.gid, &["crontab", "-l"]);
    assert_eq!(theirs.status.code(), Some(1), "{}", stderr(&theirs));
    assert_eq!(as_newcomer(&daemon, &["logs", "--json"]).trim(), "[]");
    // Nor replace the crontab root may still want to read.
    let replaced = daemon.sched_as(uid, newcomer.gid, &["crontab", &file]);
    assert_eq!(replaced.status.code(), Some(1));
    assert!(
        stderr(&replaced).contains(&format!(
            "uid {uid} still has the crontab of schedreuse1, who held this uid before you: ask root to remove it (sched crontab -u {uid} -r)"
        )),
        "{}",
        stderr(&replaced)
    );
    // What the newcomer submits is theirs.
    as_newcomer(&daemon, &["at", "now + 1 hour", "true"]);
    assert_eq!(
        as_newcomer(&daemon, &["ls", "--json"])
            .matches("\"id\"")
            .count(),
        1
    );
}

#[test]
fn a_system_crontab_line_for_an_account_sharing_its_uid_runs() {
    let test = "a_system_crontab_line_for_an_account_sharing_its_uid_runs";
    if !root_or_skip(test) {
        return;
    }
    let _accounts = crate::harness::accounts_lock();
    let Some(first) = crate::harness::TempUser::create("schedshare1", test) else {
        return;
    };
    let Some(second) = crate::harness::TempUser::create_with("schedshare2", Some(first.uid), test)
    else {
        return;
    };
    let daemon = shared_daemon();
    let file = daemon.etc().join("cron.d/shared");
    std::fs::write(&file, "HOME=/\n* * * * * schedshare2 true\n").unwrap();
    daemon.wait_until("the cron.d file to load", |d| !d.upcoming(1).is_empty());
    daemon.advance_to("2026-11-25T10:01:30Z");
    let runs = daemon.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].owner_uid, second.uid);
    assert_eq!(runs[0].outcome, Outcome::Exited { code: 0 }, "{runs:?}");
}
