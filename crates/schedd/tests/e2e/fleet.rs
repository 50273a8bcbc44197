//! A fleet: several real daemons, each on its own mock clock, sharing one
//! PostgreSQL spool on the test cluster. Each occurrence starts at most
//! once across the fleet, whatever the order the hosts reach it in or
//! the skew between their clocks; a host's own crontab files run on that
//! host; a host killed has its runs recorded lost by another, and a job
//! whose policy retries lost runs runs again there.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use sched_proto::{Outcome, RunKind};

use crate::harness::{Daemon, Options, Run, fleet_database, instant};

/// The name of the user the tests (and so the daemons) run as.
fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

/// The lease the tests run with: renewed every second.
const LEASE: &str = "3s";

/// A host of the fleet on `url`, named `name`, its mock clock at `start`.
fn host(url: &str, name: &str, start: Timestamp) -> Daemon {
    Daemon::start(host_options(url, name, start))
}

/// How [`host`] starts a daemon.
fn host_options(url: &str, name: &str, start: Timestamp) -> Options {
    Options {
        mock_clock: Some(start.to_string()),
        spool_url: Some(url.to_owned()),
        extra: [
            "--batch-load",
            "1000",
            "--host-name",
            name,
            "--lease",
            LEASE,
        ]
        .map(str::to_owned)
        .to_vec(),
        ..Options::default()
    }
}

/// Waits until `node` has loaded `entries` crontab entries (another host
/// installed them: the heartbeat follows the crontabs' version).
#[track_caller]
fn wait_for_entries(node: &Daemon, entries: usize) {
    node.wait_until("the fleet's crontab to be loaded", |node| {
        node.upcoming(entries + 1)
            .iter()
            .filter(|run| run.kind == RunKind::Cron)
            .count()
            >= entries
    });
}

/// Every run of the fleet, as one host lists them (the history is the
/// fleet's).
fn fleet_runs(node: &Daemon) -> Vec<Run> {
    node.runs()
}

/// How many runs each occurrence (crontab line or job, instant, attempt)
/// had.
fn starts_per_occurrence(runs: &[Run]) -> BTreeMap<(String, Timestamp, u32), usize> {
    let mut counts = BTreeMap::new();
    for run in runs {
        if matches!(
            run.outcome,
            Outcome::Skipped { .. } | Outcome::Missed { .. } | Outcome::Superseded { .. }
        ) {
            continue;
        }
        let what = run
            .origin
            .clone()
            .unwrap_or_else(|| format!("job {}", run.job));
        *counts.entry((what, run.due, run.attempt)).or_insert(0) += 1;
    }
    counts
}

#[test]
fn three_hosts_start_each_occurrence_exactly_once() {
    let Some(url) = fleet_database("three_hosts") else {
        return;
    };
    let start = instant("2026-03-02T09:59:30Z");
    let nodes: Vec<Daemon> = (1..=3)
        .map(|n| host(&url, &format!("node{n}"), start))
        .collect();
    // Twenty lines every minute, installed on the first host.
    let lines = 20;
    let crontab: String = (0..lines)
        .map(|line| format!("* * * * * echo line {line}\n"))
        .collect();
    let output = nodes[0].sched_stdin(&["crontab", "-"], &crontab);
    assert!(output.status.success(), "{output:?}");
    for node in &nodes {
        wait_for_entries(node, lines);
    }
    // Sixty at jobs, due together at 10:05 UTC (11:05 in the clients' zone),
    // submitted on each host in turn.
    let mut jobs = BTreeSet::new();
    for n in 0..60 {
        jobs.insert(nodes[n % 3].at("11:05 2026-03-02", &format!("echo job {n}")));
    }
    // Thirty minutes, each host reaching each minute in turn, in an order
    // that changes from one minute to the next.
    let minutes = 30;
    for minute in 1..=minutes {
        let at = start + SignedDuration::from_secs(30 + 60 * (minute - 1));
        for turn in 0..3 {
            let node = &nodes[(minute as usize + turn) % 3];
            node.ok(&["mock", "set", &at.to_string()]);
        }
    }
    for node in &nodes {
        node.settle();
    }
    // Jobs another host stored are claimed by whichever host reaches them
    // first; a host that learns of them late finds them claimed.
    let runs = fleet_runs(&nodes[2]);
    let counts = starts_per_occurrence(&runs);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "started more than once: {twice:?}");
    let cron: BTreeSet<(String, Timestamp)> = runs
        .iter()
        .filter(|run| run.kind == RunKind::Cron)
        .map(|run| (run.origin.clone().unwrap(), run.due))
        .collect();
    let expected: BTreeSet<(String, Timestamp)> = (0..minutes)
        .flat_map(|minute| {
            let due = instant("2026-03-02T10:00:00Z") + SignedDuration::from_mins(minute);
            let me = me();
            (1..=lines).map(move |line| (format!("crontab of {me}:{line}"), due))
        })
        .collect();
    assert_eq!(cron, expected, "every occurrence of every line ran");
    let ran: BTreeSet<u64> = runs
        .iter()
        .filter(|run| run.kind == RunKind::At)
        .map(|run| run.job)
        .collect();
    assert_eq!(ran, jobs, "every job ran");
    assert!(
        runs.iter()
            .all(|run| run.outcome == Outcome::Exited { code: 0 }),
        "{runs:?}"
    );
    // Every run names the host that ran it.
    let hosts: BTreeSet<&str> = runs.iter().filter_map(|run| run.host.as_deref()).collect();
    assert_eq!(runs.iter().filter(|run| run.host.is_none()).count(), 0);
    assert!(
        hosts.iter().all(|host| host.starts_with("node")),
        "{hosts:?}"
    );
}

#[test]
fn hosts_whose_clocks_differ_by_seconds_neither_double_nor_skip_a_run() {
    let Some(url) = fleet_database("clock_skew") else {
        return;
    };
    let start = instant("2026-03-02T09:59:50Z");
    // One host 4 s ahead, one 3 s behind.
    let skews = [0, 4, -3];
    let nodes: Vec<Daemon> = skews
        .iter()
        .enumerate()
        .map(|(n, &skew)| {
            host(
                &url,
                &format!("skew{n}"),
                start + SignedDuration::from_secs(skew),
            )
        })
        .collect();
    let output = nodes[0].sched_stdin(
        &["crontab", "-"],
        "* * * * * echo every minute\n*/5 * * * * echo every five\n",
    );
    assert!(output.status.success(), "{output:?}");
    for node in &nodes {
        wait_for_entries(node, 2);
    }
    // Each host lives through ten minutes of its own clock, the hosts in
    // step with one another (each second of real time is the same second
    // on every host, read off its skewed clock).
    for second in (10..=610).step_by(5) {
        for (node, &skew) in nodes.iter().zip(&skews) {
            let at = start + SignedDuration::from_secs(second + skew);
            node.ok(&["mock", "set", &at.to_string()]);
        }
    }
    for node in &nodes {
        node.settle();
    }
    let runs = fleet_runs(&nodes[1]);
    let counts = starts_per_occurrence(&runs);
    let mut expected = BTreeMap::new();
    // The host ahead reached 10:10:04 of its clock, and so 10:10.
    for minute in 0..=10 {
        let due = instant("2026-03-02T10:00:00Z") + SignedDuration::from_mins(minute);
        expected.insert((format!("crontab of {}:1", me()), due, 1), 1);
        if minute % 5 == 0 {
            expected.insert((format!("crontab of {}:2", me()), due, 1), 1);
        }
    }
    assert_eq!(counts, expected);
}

#[test]
fn each_hosts_own_crontab_files_run_on_that_host() {
    let Some(url) = fleet_database("host_local") else {
        return;
    };
    let start = instant("2026-03-02T09:59:30Z");
    let nodes: Vec<Daemon> = (1..=2)
        .map(|n| {
            let node = host(&url, &format!("local{n}"), start);
            std::fs::write(
                node.etc().join("cron.d/report"),
                format!("* * * * * {} echo local report\n", me()),
            )
            .unwrap();
            node
        })
        .collect();
    for node in &nodes {
        wait_for_entries(node, 1);
    }
    for node in &nodes {
        node.advance_to("2026-03-02T10:02:30Z");
    }
    let runs = fleet_runs(&nodes[0]);
    let mut per_host: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
    for run in &runs {
        assert!(run.origin.as_deref().unwrap().ends_with("/cron.d/report:1"));
        per_host
            .entry(run.host.clone().unwrap())
            .or_default()
            .push(run.due);
    }
    let minutes: Vec<Timestamp> = (0..3)
        .map(|minute| instant("2026-03-02T10:00:00Z") + SignedDuration::from_mins(minute))
        .collect();
    for list in per_host.values_mut() {
        list.sort();
    }
    assert_eq!(
        per_host,
        BTreeMap::from([
            ("local1".to_owned(), minutes.clone()),
            ("local2".to_owned(), minutes)
        ])
    );
}

#[test]
fn a_killed_hosts_runs_are_recorded_lost_by_another_and_retried_there() {
    let Some(url) = fleet_database("takeover") else {
        return;
    };
    let start = instant("2026-03-02T10:00:00Z");
    let mut doomed = host(&url, "doomed", start);
    let survivor = host(&url, "survivor", start);
    // A job whose policy retries a lost run once; the doomed host, where
    // it was submitted, starts it at once.
    let marker = doomed.dir.path().join("started");
    let id = job_id_of(&doomed.ok(&[
        "at",
        "--retry",
        "1",
        "--retry-lost",
        "now",
        // The first attempt leaves a mark and hangs; the retry finds the
        // mark and ends.
        &format!(
            "test -e {0} && exit 0; touch {0}; sleep 30",
            marker.display()
        ),
    ]));
    doomed.wait_until("the job to start", |_| marker.exists());
    let running = fleet_runs(&survivor);
    assert_eq!(running.len(), 1);
    assert_eq!(
        (
            running[0].job,
            &running[0].outcome,
            running[0].host.as_deref()
        ),
        (id, &Outcome::Running, Some("doomed"))
    );
    let pid = running[0].pid.unwrap();
    doomed.crash();
    let killed = Instant::now();
    // The survivor records the run lost once the doomed host's lease has
    // run out: within the lease and one heartbeat.
    let deadline = killed + Duration::from_secs(20);
    let lost = loop {
        let runs = fleet_runs(&survivor);
        if runs.iter().any(|run| run.outcome == Outcome::Lost) {
            break runs;
        }
        assert!(Instant::now() < deadline, "not taken over: {runs:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let taken_over_after = killed.elapsed();
    assert!(
        taken_over_after < Duration::from_secs(3 + 1 + 2),
        "taken over after {taken_over_after:?}"
    );
    assert_eq!(lost[0].host.as_deref(), Some("doomed"));
    // The lost run's process may still run (its host is gone, not its
    // processes here): the test ends it.
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    // Its retry is pending again, in 10 s at most (the default backoff),
    // and runs on the survivor.
    survivor.wait_until("the retry to be known", |node| {
        node.upcoming(5).iter().any(|run| run.job == Some(id))
    });
    survivor.advance_to("2026-03-02T10:00:30Z");
    let runs = fleet_runs(&survivor);
    let retried: Vec<(u32, &Outcome, Option<&str>)> = runs
        .iter()
        .filter(|run| run.job == id)
        .map(|run| (run.attempt, &run.outcome, run.host.as_deref()))
        .collect();
    assert_eq!(
        retried,
        [
            (1, &Outcome::Lost, Some("doomed")),
            (2, &Outcome::Exited { code: 0 }, Some("survivor"))
        ]
    );
}

/// The id in a submission's reply (`job ID at INSTANT`).
fn job_id_of(reply: &str) -> u64 {
    crate::harness::job_id(reply.lines().next().unwrap())
}

#[test]
fn a_host_back_from_a_downtime_catches_up_nothing_the_fleet_ran() {
    let Some(url) = fleet_database("catch_up") else {
        return;
    };
    // Two finished runs kept per line: the claims of older occurrences
    // are pruned while the host is down.
    let conf_dir = tempfile::tempdir().unwrap();
    let conf = conf_dir.path().join("schedd.conf");
    std::fs::write(&conf, "cron_runs_kept = 2\n").unwrap();
    let with_conf = |name: &str, start: &str| Options {
        mock_clock: Some(start.to_owned()),
        spool_url: Some(url.clone()),
        extra: [
            "--batch-load",
            "1000",
            "--host-name",
            name,
            "--lease",
            LEASE,
            "--config",
            conf.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec(),
        ..Options::default()
    };
    let mut away = Daemon::start(with_conf("away", "2026-03-02T09:59:30Z"));
    let stay = Daemon::start(with_conf("stay", "2026-03-02T09:59:30Z"));
    let ran = away.dir.path().join("ran");
    let output = away.sched_stdin(
        &["crontab", "-"],
        &format!(
            "SCHED_CATCHUP=all\n* * * * * echo $SCHED_SCHEDULED_AT >> {}\n",
            ran.display()
        ),
    );
    assert!(output.status.success(), "{output:?}");
    wait_for_entries(&stay, 1);
    away.advance_to("2026-03-02T10:00:30Z");
    stay.advance_to("2026-03-02T10:00:30Z");
    assert!(away.stop().success());
    // The fleet runs on without it for ten minutes.
    stay.advance_to("2026-03-02T10:10:30Z");
    away.launch(&with_conf("away", "2026-03-02T10:10:30Z"));
    away.settle();
    stay.advance_to("2026-03-02T10:12:30Z");
    away.advance_to("2026-03-02T10:12:30Z");
    let mut lines: Vec<String> = std::fs::read_to_string(&ran)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    let expected: Vec<String> = (0..=12)
        .map(|minute| {
            (instant("2026-03-02T10:00:00Z") + SignedDuration::from_mins(minute)).to_string()
        })
        .collect();
    assert_eq!(lines, expected, "each minute ran once, none again");
}

#[test]
fn a_host_without_the_owners_account_leaves_the_job_to_a_host_with_it() {
    let test = "a_host_without_the_owners_account_leaves_the_job_to_a_host_with_it";
    if !crate::harness::root_or_skip(test) {
        return;
    }
    let Some(url) = fleet_database("strangers") else {
        return;
    };
    let _accounts = crate::harness::accounts_lock();
    let Some(mut user) = crate::harness::TempUser::create("schedfleet1", test) else {
        return;
    };
    let start = instant("2026-03-02T10:00:00Z");
    let shared = |name: &str, start: Timestamp| Options {
        shared: true,
        ..host_options(&url, name, start)
    };
    let first = Daemon::start(shared("first", start));
    let mut second = Daemon::start(shared("second", start));
    let marker = first.dir.path().join("ran");
    std::fs::set_permissions(first.dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = first.sched_as(
        user.uid,
        user.gid,
        &["at", "now + 1 min", &format!("touch {}", marker.display())],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let id = job_id_of(&String::from_utf8_lossy(&output.stdout));
    // No host has the account when the job is due: each leaves it, and
    // says why in the job's history.
    let uid = user.uid;
    user.delete();
    second.wait_until("the job to be known", |node| {
        node.upcoming(5).iter().any(|run| run.job == Some(id))
    });
    first.advance_to("2026-03-02T10:02:00Z");
    second.advance_to("2026-03-02T10:02:00Z");
    second.wait_until("both refusals", |node| fleet_runs(node).len() >= 2);
    let mut refusals: Vec<(Outcome, Option<String>)> = fleet_runs(&first)
        .into_iter()
        .map(|run| (run.outcome, run.host))
        .collect();
    refusals.sort_by(|a, b| a.1.cmp(&b.1));
    let refusal = |host: &str| {
        (
            Outcome::Skipped {
                reason: format!(
                    "host {host} has no account schedfleet1: left to the other hosts of the fleet"
                ),
            },
            Some(host.to_owned()),
        )
    };
    assert_eq!(refusals, [refusal("first"), refusal("second")]);
    assert!(!marker.exists());
    assert_eq!(
        first.jobs().iter().map(|job| job.id).collect::<Vec<_>>(),
        [id]
    );
    // The account is back (the host that has it, say): a host that has
    // not refused the job yet claims it and runs it.
    let Some(_user) = crate::harness::TempUser::create_with("schedfleet1", Some(uid), test) else {
        return;
    };
    assert!(second.stop().success());
    second.launch(&shared("second", instant("2026-03-02T10:02:00Z")));
    second.wait_until("the job to run", |_| marker.exists());
    second.settle();
    let ran: Vec<(Outcome, Option<String>)> = fleet_runs(&first)
        .into_iter()
        .filter(|run| !matches!(run.outcome, Outcome::Skipped { .. }))
        .map(|run| (run.outcome, run.host))
        .collect();
    assert_eq!(
        ran,
        [(Outcome::Exited { code: 0 }, Some("second".to_owned()))]
    );
}

/// A TCP relay to the test cluster that a test can cut and mend: the
/// daemon's database connection goes through it.
struct Relay {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    /// A relay on a loopback port to the server of `url`.
    fn to(url: &str) -> Relay {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::Ordering;
        let server = url
            .split_once('@')
            .map_or(url, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let gate = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !gate.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused at once
                }
                let Ok(upstream) = TcpStream::connect(&server) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    let gate = gate.clone();
                    std::thread::spawn(move || {
                        let (mut from, mut to) = (from, to);
                        let mut buffer = [0u8; 16384];
                        use std::io::{Read, Write};
                        while let Ok(n) = from.read(&mut buffer) {
                            if n == 0
                                || !gate.load(Ordering::SeqCst)
                                || to.write_all(&buffer[..n]).is_err()
                            {
                                break;
                            }
                        }
                        let _ = from.shutdown(std::net::Shutdown::Both);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, open }
    }

    /// `url` with its server replaced by the relay.
    fn url(&self, url: &str) -> String {
        let (scheme_user, rest) = url.split_once('@').unwrap();
        let path = rest.split_once('/').map_or("", |(_, path)| path);
        format!("{scheme_user}@127.0.0.1:{}/{path}", self.port)
    }

    /// Cuts every connection and refuses new ones (true), or lets them
    /// through again (false).
    fn cut(&self, cut: bool) {
        self.open.store(!cut, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_host_that_loses_the_database_keeps_its_runs_claims_nothing_and_loses_no_submission() {
    let Some(url) = fleet_database("unreachable") else {
        return;
    };
    let relay = Relay::to(&url);
    let start = instant("2026-03-02T10:00:00Z");
    let node = host(&relay.url(&url), "cut", start);
    let marker = node.dir.path().join("release");
    // A job that runs until the test lets it end.
    let id = node.at(
        "now",
        &format!(
            "while ! test -e {0}; do sleep 0.05; done; echo ended",
            marker.display()
        ),
    );
    node.wait_until("the job to run", |node| {
        node.runs()
            .iter()
            .any(|run| run.job == id && run.outcome == Outcome::Running)
    });
    relay.cut(true);
    // sched says the spool is unreachable; a submission is refused, not
    // acknowledged and lost.
    node.wait_until("the spool to be out of reach", |node| {
        let output = node.sched(&["ls"]);
        !output.status.success()
            && String::from_utf8_lossy(&output.stderr).contains("is unreachable")
    });
    let refused = node.sched(&["at", "now + 5 min", "echo during the cut"]);
    assert!(!refused.status.success(), "{refused:?}");
    let outage = "nothing new starts on this host until the spool database is back";
    node.wait_until("the outage to be logged", |node| {
        node.log().contains(outage)
    });
    // The job started before the cut goes on and ends.
    std::fs::write(&marker, "").unwrap();
    relay.cut(false);
    node.wait_until("the database to be back", |node| {
        node.log().contains("the spool database is reachable again")
    });
    node.wait_until("the run's end to be recorded", |node| {
        let output = node.sched(&["logs", "--json", "-n", "10"]);
        output.status.success()
            && serde_json::from_slice::<Vec<Run>>(&output.stdout)
                .is_ok_and(|runs| runs.iter().any(|run| run.finished.is_some()))
    });
    let runs = node.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].job, &runs[0].outcome, runs[0].output_head.as_str()),
        (id, &Outcome::Exited { code: 0 }, "ended\n")
    );
    // Nothing of the refused submission was stored; new ones are.
    assert!(node.jobs().is_empty());
    node.at("now + 5 min", "echo after the cut");
    assert_eq!(node.jobs().len(), 1);
    // Said once, and once when it is back.
    let log = node.log();
    assert_eq!(log.matches(outage).count(), 1, "{log}");
}
