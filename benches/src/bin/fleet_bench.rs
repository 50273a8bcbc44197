//! Measures a fleet on one PostgreSQL spool. Results go in BENCHMARKS.md.
//!
//! - `claims ADMIN_URL JOBS NODES...`: the claim path alone, through the
//!   storage seam: JOBS at jobs due at once, claimed, started and
//!   finished (three writes each: claimed 64 at a time, started 64 at
//!   a time, each end alone: the daemon's worst case, run ends arriving
//!   one by one) by NODES nodes in parallel threads, each with its own
//!   connection and lease; prints jobs per second for each node count,
//!   and checks that every job was claimed exactly once.
//! - `claims-grouped ADMIN_URL JOBS NODES...`: the same, the ends of each
//!   64 recorded together, as the daemon's spool thread hands over run
//!   ends that wait together (a burst of jobs ending at once).
//! - `failover ADMIN_URL TRIALS LINES MINUTES JOBS`: three real daemons
//!   on mock clocks share a fresh database; LINES crontab lines every
//!   minute and JOBS at jobs due in one minute; the daemons live through
//!   MINUTES minutes in turn, and one of them is killed (SIGKILL) at a
//!   random moment. Each trial checks from the database that no
//!   occurrence started twice and none was left unstarted, and prints
//!   the takeover time: from the kill until another host declared the
//!   dead one gone (real time; default lease 6 s).
//!
//! ADMIN_URL is a superuser's URL on the cluster (each run makes its own
//! database). Build first: `cargo build --release -p schedd -p sched -p
//! benches`.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::sibling;
use jiff::{SignedDuration, Timestamp};
use sched_spool::{
    CronRun, JobId, JobKind, NewJob, Outcome, Output, PgOptions, PgSpool, RunEnd, Store, Uid,
};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: usize| {
        args.get(index)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    match (args.first().map(String::as_str), args.get(1)) {
        (Some(mode @ ("claims" | "claims-grouped")), Some(admin)) => {
            let grouped = mode == "claims-grouped";
            let jobs = number(2, 30_000);
            let nodes: Vec<usize> = args[3..].iter().filter_map(|a| a.parse().ok()).collect();
            for nodes in if nodes.is_empty() {
                vec![1, 2, 3]
            } else {
                nodes
            } {
                claims(admin, jobs, nodes, grouped)?;
            }
            Ok(())
        }
        (Some("occurrences"), Some(admin)) => occurrences(admin, number(2, 1000), number(3, 30)),
        (Some("failover"), Some(admin)) => {
            let trials = number(2, 20);
            let mut takeovers = Vec::new();
            for trial in 0..trials {
                takeovers.push(failover(
                    admin,
                    trial,
                    number(3, 200),
                    number(4, 10),
                    number(5, 1000),
                )?);
            }
            takeovers.sort();
            println!(
                "failover: {trials} trials, takeover p50 {:.2} s, max {:.2} s, min {:.2} s",
                takeovers[takeovers.len() / 2].as_secs_f64(),
                takeovers[takeovers.len() - 1].as_secs_f64(),
                takeovers[0].as_secs_f64()
            );
            Ok(())
        }
        _ => bail!(
            "usage: fleet_bench claims ADMIN_URL [JOBS] [NODES...] | occurrences ADMIN_URL [LINES] [MINUTES] | failover ADMIN_URL [TRIALS] [LINES] [MINUTES] [JOBS]"
        ),
    }
}

/// A fresh database named `name` on the cluster; its URL.
fn fresh_database(admin: &str, name: &str) -> Result<String> {
    let mut client = postgres::Client::connect(admin, postgres::NoTls)
        .with_context(|| format!("cannot reach {admin}"))?;
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    Ok(format!("{server}/{name}{query}"))
}

fn job(due: Timestamp, n: usize) -> NewJob {
    NewJob {
        kind: JobKind::At,
        queue: 'a',
        owner_uid: Uid(1000),
        owner_gid: 1000,
        owner_name: Some("bench".to_owned()),
        due,
        submitted: due,
        command: format!("echo {n}"),
        cwd: "/".to_owned(),
        umask: 0o022,
        env: vec![("PATH".to_owned(), "/usr/bin:/bin".to_owned())],
        mail: Default::default(),
        policy: String::new(),
        attempt: 1,
        scheduled: None,
    }
}

/// `jobs` jobs due at once, claimed, started and finished by `nodes`
/// nodes in parallel, in batches of 64 as the daemon makes them ready;
/// the ends of a batch `grouped` or one by one.
fn claims(admin: &str, jobs: usize, nodes: usize, grouped: bool) -> Result<()> {
    let url = fresh_database(admin, "schedd_bench_claims")?;
    let due: Timestamp = "2026-03-02T10:00:00Z".parse()?;
    {
        let mut spool = PgSpool::open(&url, PgOptions::new("loader"))?;
        let all: Vec<NewJob> = (0..jobs).map(|n| job(due, n)).collect();
        for chunk in all.chunks(1024) {
            spool.insert_jobs(chunk)?;
        }
    }
    let began = Instant::now();
    let handles: Vec<_> = (0..nodes)
        .map(|node| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<Vec<JobId>> {
                let mut spool = PgSpool::open(&url, PgOptions::new(format!("node{node}")))?;
                let mut mine = Vec::new();
                let mut renewed = Instant::now();
                loop {
                    // As the daemon's heartbeat does, every third of the lease.
                    if renewed.elapsed() > Duration::from_secs(2) {
                        spool.fleet().expect("a shared spool").renew_lease()?;
                        renewed = Instant::now();
                    }
                    // The jobs due, as a heartbeat reads them; then claimed
                    // 64 at a time, as the daemon makes them ready.
                    let due_jobs = spool.fleet().expect("a shared spool").jobs_due_by(due)?;
                    if due_jobs.is_empty() {
                        return Ok(mine);
                    }
                    // Each node starts from its own place in the list.
                    let offset = (node * due_jobs.len() / 3) / 64 * 64;
                    let ids: Vec<JobId> = due_jobs[offset..]
                        .iter()
                        .chain(&due_jobs[..offset])
                        .map(|job| job.id)
                        .collect();
                    for batch in ids.chunks(64) {
                        if renewed.elapsed() > Duration::from_secs(2) {
                            spool.fleet().expect("a shared spool").renew_lease()?;
                            renewed = Instant::now();
                        }
                        let claimed = spool.claim(batch, due)?;
                        let started: Vec<_> =
                            claimed.iter().map(|(_, run)| (*run, 1, due)).collect();
                        spool.set_started(&started, None)?;
                        if grouped {
                            let ends: Vec<RunEnd> = claimed
                                .iter()
                                .map(|(_, run)| RunEnd {
                                    run: *run,
                                    finished: due,
                                    outcome: Outcome::Exited(0),
                                    output: Output::default(),
                                })
                                .collect();
                            for answer in spool.finish_runs(&ends) {
                                answer?;
                            }
                        } else {
                            for (_, run) in &claimed {
                                spool.finish_run(
                                    *run,
                                    due,
                                    &Outcome::Exited(0),
                                    &Output::default(),
                                )?;
                            }
                        }
                        mine.extend(claimed.iter().map(|(job, _)| job.id));
                    }
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for handle in handles {
        claimed.extend(handle.join().expect("a node thread")?);
    }
    let elapsed = began.elapsed();
    let distinct: BTreeSet<JobId> = claimed.iter().copied().collect();
    if claimed.len() != jobs || distinct.len() != jobs {
        bail!(
            "{} claims of {} distinct jobs, {jobs} expected",
            claimed.len(),
            distinct.len()
        );
    }
    println!(
        "claims{}: {nodes} node(s), {jobs} jobs claimed, started and finished in {:.2} s: {:.0} jobs/s (each exactly once)",
        if grouped { " (ends grouped)" } else { "" },
        elapsed.as_secs_f64(),
        jobs as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// `lines` crontab lines every minute for `minutes` minutes, claimed by
/// three nodes each trying every occurrence (as every host does).
fn occurrences(admin: &str, lines: usize, minutes: usize) -> Result<()> {
    let url = fresh_database(admin, "schedd_bench_occurrences")?;
    let start: Timestamp = "2026-03-02T10:00:00Z".parse()?;
    let began = Instant::now();
    let handles: Vec<_> = (0..3)
        .map(|node| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<usize> {
                let mut spool = PgSpool::open(&url, PgOptions::new(format!("node{node}")))?;
                let mut won = 0;
                for minute in 0..minutes {
                    let due = start + SignedDuration::from_mins(minute as i64);
                    let runs: Vec<CronRun> = (0..lines)
                        .map(|line| CronRun {
                            owner_uid: Uid(1000),
                            owner_name: Some("bench".to_owned()),
                            command: format!("echo {line}"),
                            origin: format!("crontab of bench:{}", line + 1),
                            due,
                            attempt: 1,
                            host_local: false,
                        })
                        .collect();
                    won += spool
                        .start_cron_runs(&runs, due)?
                        .iter()
                        .filter(|id| id.is_some())
                        .count();
                }
                Ok(won)
            })
        })
        .collect();
    let mut won = Vec::new();
    for handle in handles {
        won.push(handle.join().expect("a node thread")?);
    }
    let elapsed = began.elapsed();
    let total: usize = won.iter().sum();
    if total != lines * minutes {
        bail!("{total} occurrences claimed, {} expected", lines * minutes);
    }
    println!(
        "occurrences: 3 nodes each asking for {} occurrences ({lines} lines x {minutes} minutes): each claimed once ({won:?} per node), {:.2} s, {:.0} claims/s",
        lines * minutes,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// A release schedd of the fleet on a mock clock.
struct Host {
    /// Kept for the host's life: its socket, state and configuration.
    _dir: tempfile::TempDir,
    socket: PathBuf,
    child: Option<Child>,
}

impl Host {
    fn start(url: &str, name: &str, start: Timestamp) -> Result<Host> {
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("schedd.sock");
        std::fs::create_dir_all(dir.path().join("etc/cron.d"))?;
        let config = dir.path().join("schedd.conf");
        std::fs::write(&config, format!("spool = \"{url}\"\n"))?;
        let child = Command::new(sibling("schedd")?)
            .arg("--config")
            .arg(&config)
            .arg("--socket")
            .arg(&socket)
            .arg("--state-dir")
            .arg(dir.path().join("spool"))
            .arg("--host-name")
            .arg(name)
            .arg("--mock-clock")
            .arg(start.to_string())
            .arg("--system-crontab")
            .arg(dir.path().join("etc/crontab"))
            .arg("--cron-dir")
            .arg(dir.path().join("etc/cron.d"))
            .arg("--other-cron-root")
            .arg(dir.path())
            .arg("--batch-load")
            .arg("1000")
            .env("SCHEDD_LOG", "warn")
            .env("TZ", "UTC")
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while UnixStream::connect(&socket).is_err() {
            if Instant::now() > deadline {
                bail!("schedd {name} did not start");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Host {
            _dir: dir,
            socket,
            child: Some(child),
        })
    }

    fn sched(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut child = Command::new(sibling("sched")?)
            .args(args)
            .env("SCHED_SOCKET", &self.socket)
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(text) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
        }
        drop(child.stdin.take());
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "sched {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8(output.stdout)?)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.kill();
    }
}

/// From `killed` on, watches (every 10 ms, from a thread of its own while
/// the trial goes on) for another host to declare `victim` gone; the
/// thread's answer is the time it took.
fn watch_takeover(
    url: &str,
    victim: &str,
    killed: Instant,
) -> Result<std::thread::JoinHandle<Result<Duration>>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let victim = victim.to_owned();
    Ok(std::thread::spawn(move || {
        loop {
            let gone: i64 = client
                .query_one(
                    "SELECT count(*) FROM schedd.nodes WHERE host = $1 AND gone",
                    &[&victim],
                )?
                .get(0);
            if gone > 0 {
                return Ok(killed.elapsed());
            }
            if killed.elapsed() > Duration::from_secs(300) {
                bail!("{victim} was not taken over within 300 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }))
}

/// A small deterministic generator for the moment of the kill.
fn pseudo_random(seed: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

fn failover(
    admin: &str,
    trial: usize,
    lines: usize,
    minutes: usize,
    jobs: usize,
) -> Result<Duration> {
    let url = fresh_database(admin, "schedd_bench_failover")?;
    let start: Timestamp = "2026-03-02T09:59:30Z".parse()?;
    let mut hosts = (1..=3)
        .map(|n| Host::start(&url, &format!("host{n}"), start))
        .collect::<Result<Vec<Host>>>()?;
    let crontab: String = (0..lines)
        .map(|line| format!("* * * * * true {line}\n"))
        .collect();
    hosts[0].sched(&["crontab", "-"], Some(&crontab))?;
    // Every host loads the crontab (the heartbeat follows it).
    let deadline = Instant::now() + Duration::from_secs(30);
    for host in &hosts {
        loop {
            let next = host.sched(&["next", "-n", &lines.to_string()], None)?;
            if next.lines().filter(|line| line.contains("true")).count() >= lines {
                break;
            }
            if Instant::now() > deadline {
                bail!("the crontab did not reach every host");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for n in 0..jobs {
        hosts[n % 3].sched(&["at", "10:03 2026-03-02", &format!("true job {n}")], None)?;
    }
    let victim = (pseudo_random(trial as u64) % 3) as usize;
    let victim_name = format!("host{}", victim + 1);
    let kill_at = pseudo_random(trial as u64 + 1000) as usize % (minutes * 3);
    let mut killed = None;
    let mut step = 0;
    for minute in 1..=minutes {
        let at = start + SignedDuration::from_secs(30 + 60 * (minute as i64 - 1));
        for turn in 0..3 {
            let index = (minute + turn) % 3;
            if step == kill_at {
                hosts[victim].kill();
                let at = Instant::now();
                killed = Some(watch_takeover(&url, &victim_name, at)?);
            }
            step += 1;
            if hosts[index].child.is_some() {
                hosts[index].sched(&["mock", "set", &at.to_string()], None)?;
            }
        }
    }
    let watcher = killed.context("the kill moment was not reached")?;
    let takeover = watcher.join().expect("the takeover watcher")?;
    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
    // Jobs another host stored reach the survivors with their next
    // heartbeat, after their instants: they start then.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending: i64 = client
            .query_one("SELECT count(*) FROM schedd.jobs", &[])?
            .get(0);
        if pending == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("{pending} jobs still pending after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for host in &hosts {
        if host.child.is_some() {
            host.sched(&["mock", "settle", "--timeout-ms", "60000"], None)?;
        }
    }
    // From the database: each occurrence and job started at most once,
    // and none left unstarted (a lost run was started, by the dead host).
    let mut counts: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for row in client.query(
        "SELECT coalesce(claim_key, 'job ' || job_id::text), due, count(*) FROM schedd.runs
         WHERE outcome NOT IN ('skipped', 'missed', 'superseded') GROUP BY 1, 2",
        &[],
    )? {
        counts.insert((row.get(0), row.get(1)), row.get(2));
    }
    let duplicates = counts.values().filter(|&&n| n > 1).count();
    let cron_started = counts
        .keys()
        .filter(|(key, _)| key.starts_with("crontab"))
        .count();
    let jobs_started = counts
        .keys()
        .filter(|(key, _)| key.starts_with("job"))
        .count();
    let pending: i64 = client
        .query_one("SELECT count(*) FROM schedd.jobs", &[])?
        .get(0);
    let lost: i64 = client
        .query_one(
            "SELECT count(*) FROM schedd.runs WHERE outcome = 'lost'",
            &[],
        )?
        .get(0);
    let unstarted =
        lines * minutes - cron_started.min(lines * minutes) + (jobs - jobs_started.min(jobs));
    println!(
        "trial {trial}: killed host{} at step {kill_at} of {}; takeover {:.2} s; {} occurrences and {} jobs started, {duplicates} duplicates, {unstarted} unstarted, {pending} pending, {lost} lost",
        victim + 1,
        minutes * 3,
        takeover.as_secs_f64(),
        cron_started,
        jobs_started,
    );
    if duplicates > 0 || unstarted > 0 {
        bail!("trial {trial} broke the guarantee");
    }
    drop(hosts);
    Ok(takeover)
}
