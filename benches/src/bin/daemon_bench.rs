//! Measures the real daemon: durable submissions through the socket, `sched
//! ls` as the queue grows, dispatch latency on the real clock, and wake-ups
//! while idle. Results go in BENCHMARKS.md.
//!
//! Build first: `cargo build --release -p schedd -p sched -p benches`, then
//! `target/release/daemon_bench all`. `schedd` and `sched` are taken from
//! the directory of this binary.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use benches::{sibling, switches};
use sched_proto::{Envelope, JobKind, MAX_REPLY, Request, Response, Submission, When};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("submit") => submit_bench(arg(&args, 1, 100_000), arg(&args, 2, 8)),
        Some("latency") => latency_bench(arg(&args, 1, 10), arg(&args, 2, 1), Runner::Schedd),
        Some("latency-atd") => latency_bench(arg(&args, 1, 10), arg(&args, 2, 1), Runner::Atd),
        Some("latency-cron") => latency_bench(arg(&args, 1, 10), arg(&args, 2, 1), Runner::Cron),
        Some("idle") => idle_bench(arg(&args, 1, 60)),
        Some("policies") => policy_bench(arg(&args, 1, 100)),
        Some("list") => {
            let sizes: Vec<usize> = args[1..].iter().filter_map(|a| a.parse().ok()).collect();
            list_bench(if sizes.is_empty() {
                &[1_000, 10_000, 100_000]
            } else {
                &sizes
            })
        }
        Some("all") => {
            submit_bench(100_000, 8)?;
            idle_bench(60)?;
            latency_bench(10, 1, Runner::Schedd)?;
            latency_bench(5, 10, Runner::Schedd)
        }
        _ => bail!(
            "usage: daemon_bench submit [JOBS] [CLIENTS] | list [PENDING...] | latency [GROUPS] [BURST] | latency-atd [GROUPS] [BURST] | latency-cron [MINUTES] [BURST] | idle [SECONDS] | policies [RUNS] | all"
        ),
    }
}

fn arg(args: &[String], index: usize, default: usize) -> usize {
    args.get(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// A release schedd on the real clock in a temp dir.
struct Daemon {
    dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
}

impl Daemon {
    fn start() -> Result<Daemon> {
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("schedd.sock");
        let mut command = Command::new(sibling("schedd")?);
        command.arg("--socket").arg(&socket);
        // DAEMON_BENCH_SPOOL: a PostgreSQL spool's URL (an empty database),
        // to measure the fleet's backend; the SQLite spool otherwise.
        match std::env::var("DAEMON_BENCH_SPOOL") {
            Ok(url) if !url.is_empty() => command
                .arg("--spool")
                .arg(url)
                .arg("--state-dir")
                .arg(dir.path().join("spool"))
                .arg("--host-name")
                .arg("bench"),
            _ => command.arg("--spool").arg(dir.path().join("spool")),
        };
        let child = command
            .env(
                "SCHEDD_LOG",
                std::env::var("DAEMON_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stderr(Stdio::inherit())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while UnixStream::connect(&socket).is_err() {
            if Instant::now() > deadline {
                bail!("schedd did not start");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Daemon { dir, socket, child })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ask(stream: &mut UnixStream, request: Request) -> Result<Response> {
    sched_proto::write_frame(stream, &Envelope::new(request))?;
    let reply: Envelope<Response> = sched_proto::read_frame(stream, MAX_REPLY)?;
    if let Response::Error(error) = &reply.body {
        bail!("schedd refused: {}", error.message);
    }
    Ok(reply.body)
}

fn submission(when: When, command: String) -> Submission {
    Submission {
        kind: JobKind::At,
        queue: None,
        when,
        tz: Some("UTC".to_owned()),
        command,
        env: vec![
            ("HOME".to_owned(), "/root".to_owned()),
            ("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
        ],
        cwd: "/".to_owned(),
        umask: 0o022,
        mail: Default::default(),
        policy: String::new(),
        on_failure: None,
    }
}

/// Durable submissions with `clients` concurrent connections until `jobs`
/// are queued, the rate per tenth; `sched ls` timed at 10,000 and at the end.
fn submit_bench(jobs: usize, clients: usize) -> Result<()> {
    let daemon = Daemon::start()?;
    let window = (jobs / 10).max(1);
    println!("submissions: {jobs} jobs, {clients} clients, durable (WAL, synchronous=FULL)");
    println!("| queued before | after | jobs/s |");
    println!("|---:|---:|---:|");
    let mut queued = 0usize;
    while queued < jobs {
        let target = (queued + window).min(jobs);
        let rate = fill(&daemon, queued, target, clients)?;
        println!("| {queued} | {target} | {rate:.0} |");
        queued = target;
        if queued == 10_000 || queued == jobs {
            time_ls(&daemon, queued, 5)?;
        }
    }
    Ok(())
}

/// `sched ls` at each of `sizes` pending jobs, median of 21 runs after a
/// pause that lets the fill's writes end. With
/// `DAEMON_BENCH_HOLD` set, the daemon is kept after the last size until
/// stdin closes, for profiling by hand; `DAEMON_BENCH_LOG` is the daemon's
/// `SCHEDD_LOG` (default `warn`).
fn list_bench(sizes: &[usize]) -> Result<()> {
    let daemon = Daemon::start()?;
    let mut queued = 0;
    println!("| pending | `sched ls` | `sched ls --json` |");
    println!("|---:|---:|---:|");
    for &size in sizes {
        if size > queued {
            fill(&daemon, queued, size, 8)?;
            queued = size;
            // Let the writes of the fill (WAL checkpoint, writeback) end
            // first: this measures listing, not the tail of the fill.
            std::thread::sleep(Duration::from_secs(3));
        }
        time_ls(&daemon, queued, 21)?;
    }
    if std::env::var_os("DAEMON_BENCH_HOLD").is_some() {
        eprintln!("holding: socket {}", daemon.socket.display());
        let _ = std::io::stdin().read_line(&mut String::new());
    }
    Ok(())
}

/// Queues the jobs numbered `first..last` with `clients` concurrent
/// connections; returns the rate in jobs per second.
fn fill(daemon: &Daemon, first: usize, last: usize, clients: usize) -> Result<f64> {
    let started = Instant::now();
    let per_client = (last - first).div_ceil(clients);
    let mut threads = Vec::new();
    for client in 0..clients {
        let socket = daemon.socket.clone();
        let from = first + client * per_client;
        let to = (from + per_client).min(last);
        threads.push(std::thread::spawn(move || -> Result<()> {
            let mut stream = UnixStream::connect(&socket)?;
            for n in from..to {
                let when = When::Timespec {
                    text: format!("noon + {} days", n % 300 + 1),
                };
                ask(
                    &mut stream,
                    Request::Submit(submission(when, format!("/usr/local/bin/report --id {n}"))),
                )?;
            }
            Ok(())
        }));
    }
    for thread in threads {
        thread.join().expect("client thread")?;
    }
    Ok((last - first) as f64 / started.elapsed().as_secs_f64())
}

/// Median of `runs` runs of the real `sched ls` (table and --json), wall
/// time of the whole process with its output read from a pipe.
fn time_ls(daemon: &Daemon, pending: usize, runs: usize) -> Result<()> {
    let mut medians = Vec::new();
    for extra in [&[][..], &["--json"]] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let output = Command::new(sibling("sched")?)
                .arg("ls")
                .args(extra)
                .arg("--socket")
                .arg(&daemon.socket)
                .stdout(Stdio::piped())
                .output()?;
            times.push(started.elapsed());
            if !output.status.success() {
                bail!("sched ls failed");
            }
        }
        times.sort();
        medians.push(times[runs / 2].as_secs_f64() * 1e3);
    }
    println!(
        "| {pending} | {:.1} ms | {:.1} ms |",
        medians[0], medians[1]
    );
    Ok(())
}

/// Wake-ups (context switches of all threads) over `seconds` with one job
/// pending far ahead.
fn idle_bench(seconds: usize) -> Result<()> {
    let daemon = Daemon::start()?;
    let mut stream = UnixStream::connect(&daemon.socket)?;
    ask(
        &mut stream,
        Request::Submit(submission(
            When::Timespec {
                text: "noon + 300 days".into(),
            },
            "true".into(),
        )),
    )?;
    drop(stream);
    std::thread::sleep(Duration::from_secs(1));
    let before = switches(daemon.pid())?;
    std::thread::sleep(Duration::from_secs(seconds as u64));
    let after = switches(daemon.pid())?;
    println!(
        "idle: {} context switches of schedd in {seconds} s with a job pending in 300 days",
        after - before
    );
    Ok(())
}

/// Who runs the jobs of a latency run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runner {
    Schedd,
    /// The system's atd, through at(1) (it must be running).
    Atd,
    /// schedd, with `burst` crontab lines due every minute.
    Cron,
}

/// Dispatch latency on the real clock: `groups` groups of `burst` jobs,
/// group n due at the start of the (n + 1)th minute from now (at's `-t`;
/// at(1) times have minute resolution, so a sample takes a minute), run by
/// schedd or, for the side-by-side figure, by atd. Each job is `exec stamp
/// FILE`, which appends the wall clock in ns; latency = stamp - due
/// instant, so it includes /bin/sh starting and exec'ing the (std-only)
/// stamp binary. The witness is the kernel's exec trace: the exec of the
/// job's /bin/sh (the first exec of the pid that later execs `stamp`),
/// the same measure for both runners. For schedd also the run's `started`
/// instant from `sched logs`, which the daemon reads right after the exec
/// of /bin/sh succeeded.
fn latency_bench(groups: usize, burst: usize, runner: Runner) -> Result<()> {
    let daemon = match runner {
        Runner::Schedd | Runner::Cron => Some(Daemon::start()?),
        Runner::Atd => None,
    };
    let scratch = tempfile::tempdir()?;
    let dir = match &daemon {
        Some(daemon) => daemon.dir.path(),
        None => scratch.path(),
    };
    let stamp_bin = sibling("stamp")?;
    let exec_trace = ExecTrace::start(dir);
    let mut stream = match &daemon {
        Some(daemon) => Some(UnixStream::connect(&daemon.socket)?),
        None => None,
    };
    let start = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(30))?
        .round(jiff::Unit::Minute)?;
    // One file for every job: a stamp belongs to the latest due instant
    // at or before it.
    let file = dir.join("stamps");
    let command = format!("exec {} {}", stamp_bin.display(), file.display());
    let dues: Vec<jiff::Timestamp> = (0..groups)
        .map(|group| start.checked_add(jiff::SignedDuration::from_mins(group as i64)))
        .collect::<Result<_, _>>()?;
    match (&mut stream, runner) {
        (Some(stream), Runner::Cron) => {
            // `burst` lines due every minute, from the first due minute on
            // (installed now, the first minute is at least 30 s away).
            let mut text = String::new();
            for _ in 0..burst {
                text.push_str(&format!("* * * * * {command}\n"));
            }
            let Response::CrontabInstalled { .. } = ask(
                stream,
                Request::Crontab(sched_proto::CrontabRequest::Install { user: None, text }),
            )?
            else {
                bail!("unexpected reply to a crontab installation");
            };
        }
        _ => {
            for due in &dues {
                let value = due.strftime("%Y%m%d%H%M").to_string();
                for _ in 0..burst {
                    match &mut stream {
                        Some(stream) => {
                            let response = ask(
                                stream,
                                Request::Submit(submission(
                                    When::Posix {
                                        value: value.clone(),
                                    },
                                    command.clone(),
                                )),
                            )?;
                            let Response::Submitted { job, .. } = response else {
                                bail!("unexpected reply to a submission");
                            };
                            if job.due != *due {
                                bail!("job queued for {} instead of {due}", job.due);
                            }
                        }
                        None => submit_to_atd(&value, &command)?,
                    }
                }
            }
        }
    }
    // Wait until every group has run: `groups * burst` stamps.
    let deadline = Instant::now() + Duration::from_secs(groups as u64 * 60 + 120);
    let stamps = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let stamps: Vec<i128> = text.lines().filter_map(|l| l.parse().ok()).collect();
        if stamps.len() >= groups * burst {
            break stamps;
        }
        if Instant::now() > deadline {
            bail!("only {} of {} jobs ran", stamps.len(), groups * burst);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if runner == Runner::Cron
        && let Some(daemon) = &daemon
    {
        // No more runs: the last group is in. A new connection: the first
        // one has been idle past the daemon's idle timeout.
        ask(
            &mut UnixStream::connect(&daemon.socket)?,
            Request::Crontab(sched_proto::CrontabRequest::Remove { user: None }),
        )?;
    }
    let mut first = Vec::new();
    let mut all = Vec::new();
    for (index, due) in dues.iter().enumerate() {
        let due_ns = due.as_nanosecond();
        let until = dues
            .get(index + 1)
            .map_or(i128::MAX, |next| next.as_nanosecond());
        let mut latencies: Vec<f64> = stamps
            .iter()
            .filter(|&&s| s >= due_ns && s < until)
            .map(|s| (s - due_ns) as f64 / 1e6)
            .collect();
        if latencies.len() != burst {
            bail!("{} jobs stamped after {due}, not {burst}", latencies.len());
        }
        latencies.sort_by(f64::total_cmp);
        first.push(latencies[0]);
        all.extend(latencies);
    }
    // The daemon's own record: `started` is read right after the exec of
    // /bin/sh succeeded, i.e. once the job's first instruction ran.
    // A new connection: the first one has been idle past the daemon's
    // idle timeout.
    let mut exec = Vec::new();
    if let Some(daemon) = &daemon {
        let Response::Runs { runs } = ask(
            &mut UnixStream::connect(&daemon.socket)?,
            Request::Logs {
                job: None,
                limit: 10_000,
                line: None,
            },
        )?
        else {
            bail!("unexpected reply to a logs request");
        };
        // Each job runs once: a second run of a job is reported.
        let mut seen = std::collections::HashMap::new();
        for run in &runs {
            if run.job != 0
                && let Some(first) = seen.insert(run.job, run)
            {
                bail!(
                    "job {} ran twice: run {} (pid {:?}, started {}, {:?}) and run {} (pid {:?}, started {}, {:?})",
                    run.job,
                    first.id,
                    first.pid,
                    first.started,
                    first.outcome,
                    run.id,
                    run.pid,
                    run.started,
                    run.outcome
                );
            }
        }
        exec = runs
            .iter()
            .map(|run| run.started.duration_since(run.due).as_secs_f64() * 1e3)
            .collect();
    }
    let mut kernel = match exec_trace {
        Some(trace) => trace.latencies(&stamp_bin, &dues)?,
        None => Vec::new(),
    };
    if !kernel.is_empty() && kernel.len() != groups * burst {
        bail!(
            "the exec trace has {} jobs' execs, not {}",
            kernel.len(),
            groups * burst
        );
    }
    all.sort_by(f64::total_cmp);
    first.sort_by(f64::total_cmp);
    exec.sort_by(f64::total_cmp);
    kernel.sort_by(f64::total_cmp);
    let who = match runner {
        Runner::Schedd => "schedd, at jobs",
        Runner::Atd => "atd",
        Runner::Cron => "schedd, crontab lines",
    };
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    println!("| {who} | samples | min | median | p90 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut rows = vec![(
        format!("exec of /bin/sh (kernel trace), groups of {burst}"),
        &kernel,
    )];
    if runner != Runner::Atd {
        rows.push((
            format!("exec of /bin/sh done (run record), groups of {burst}"),
            &exec,
        ));
    }
    rows.push(("stamp, first job of each minute".to_owned(), &first));
    rows.push((format!("stamp, all jobs, groups of {burst}"), &all));
    for (label, values) in rows {
        if values.is_empty() {
            println!("| {label} | not measured (needs root and perf) | | | | | |");
            continue;
        }
        println!(
            "| {label} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            values.len(),
            values[0],
            pct(values, 0.5),
            pct(values, 0.9),
            pct(values, 0.99),
            values[values.len() - 1]
        );
    }
    Ok(())
}

/// Queues `command` with at(1) for the POSIX time `value` (`-t`).
fn submit_to_atd(value: &str, command: &str) -> Result<()> {
    use std::io::Write;
    let mut at = Command::new("at")
        .args(["-t", value])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = at.stdin.take() {
        writeln!(stdin, "{command}")?;
    }
    let status = at.wait()?;
    if !status.success() {
        bail!("at -t {value} failed: {status}");
    }
    Ok(())
}

/// The kernel's own record of each exec, from `perf record -e
/// sched:sched_process_exec`: an outside witness of when each job's
/// /bin/sh began, independent of the daemon's clock readings. perf stamps
/// events with CLOCK_MONOTONIC here (CLOCK_REALTIME is refused), so the
/// offset between the two clocks is read when tracing starts.
struct ExecTrace {
    perf: Child,
    output: PathBuf,
    /// CLOCK_REALTIME - CLOCK_MONOTONIC, in ns.
    offset_ns: i128,
}

impl ExecTrace {
    /// Starts tracing, or `None` (with the reason on stderr) when perf
    /// cannot: not installed, or not root.
    fn start(dir: &std::path::Path) -> Option<ExecTrace> {
        let output = dir.join("exec.perf");
        let perf = Command::new("perf")
            .args([
                "record",
                "-q",
                "-k",
                "mono",
                "-e",
                "sched:sched_process_exec",
                "-a",
                "-o",
            ])
            .arg(&output)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut perf = match perf {
            Ok(perf) => perf,
            Err(error) => {
                eprintln!("no kernel exec trace: cannot run perf: {error}");
                return None;
            }
        };
        // perf needs a moment to attach; the first job is 30 s away.
        std::thread::sleep(Duration::from_secs(2));
        if let Ok(Some(status)) = perf.try_wait() {
            eprintln!("no kernel exec trace: perf record stopped ({status}); it needs root");
            return None;
        }
        Some(ExecTrace {
            perf,
            output,
            offset_ns: realtime_minus_monotonic(),
        })
    }

    /// For each job (a pid that exec'd `stamp`), the exec instant of its
    /// /bin/sh (the pid's first exec) minus the due instant of its group
    /// (the latest of `dues` at or before it), in ms.
    fn latencies(mut self, stamp: &std::path::Path, dues: &[jiff::Timestamp]) -> Result<Vec<f64>> {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.perf.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )?;
        self.perf.wait()?;
        let script = Command::new("perf")
            .args(["script", "-F", "pid,time,trace", "-i"])
            .arg(&self.output)
            .output()?;
        let text = String::from_utf8_lossy(&script.stdout);
        // Lines look like `  10322 11018.800104: filename=/bin/sh pid=10322 old_pid=10322`.
        let stamp = format!("filename={}", stamp.display());
        let mut first_exec = std::collections::HashMap::new();
        let mut jobs = Vec::new();
        for line in text.lines() {
            let mut fields = line.split_whitespace();
            let (Some(pid), Some(time), Some(file)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Ok(pid), Some(Ok(seconds))) = (
                pid.parse::<u32>(),
                time.strip_suffix(':').map(str::parse::<f64>),
            ) else {
                continue;
            };
            first_exec.entry(pid).or_insert(seconds);
            if file == stamp {
                jobs.push(pid);
            }
        }
        let mut latencies = Vec::new();
        for pid in jobs {
            let exec_ns = (first_exec[&pid] * 1e9) as i128 + self.offset_ns;
            let Some(due) = dues.iter().rev().find(|due| due.as_nanosecond() <= exec_ns) else {
                bail!("pid {pid} exec'd before the first due instant");
            };
            latencies.push((exec_ns - due.as_nanosecond()) as f64 / 1e6);
        }
        Ok(latencies)
    }
}

/// CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the closest of a few
/// paired readings.
fn realtime_minus_monotonic() -> i128 {
    use nix::time::{ClockId, clock_gettime};
    let ns = |t: nix::sys::time::TimeSpec| t.tv_sec() as i128 * 1_000_000_000 + t.tv_nsec() as i128;
    let mut best: Option<(i128, i128)> = None;
    for _ in 0..10 {
        let (Ok(before), Ok(real), Ok(after)) = (
            clock_gettime(ClockId::CLOCK_MONOTONIC),
            clock_gettime(ClockId::CLOCK_REALTIME),
            clock_gettime(ClockId::CLOCK_MONOTONIC),
        ) else {
            continue;
        };
        let spread = ns(after) - ns(before);
        let offset = ns(real) - (ns(before) + ns(after)) / 2;
        if best.is_none_or(|(s, _)| spread < s) {
            best = Some((spread, offset));
        }
    }
    best.map_or(0, |(_, offset)| offset)
}

/// How closely the real clock follows the policies: `runs` jobs stopped by
/// a 1 s timeout (the stop's delay past the timeout, and how long the
/// process took to end), and `runs` failing jobs retried after a 1 s
/// backoff (the retry's start past the previous attempt's end plus the
/// backoff). All submitted at once, due now.
fn policy_bench(runs: usize) -> Result<()> {
    let daemon = Daemon::start()?;
    let mut stream = UnixStream::connect(&daemon.socket)?;
    let submit = |stream: &mut UnixStream, command: &str, policy: &str| -> Result<u64> {
        let mut job = submission(
            When::Timespec {
                text: "now".to_owned(),
            },
            command.to_owned(),
        );
        job.policy = policy.to_owned();
        match ask(stream, Request::Submit(job))? {
            Response::Submitted { job, .. } => Ok(job.id),
            _ => bail!("unexpected reply to a submission"),
        }
    };
    let mut timed = Vec::new();
    let mut retried = Vec::new();
    for _ in 0..runs {
        timed.push(submit(&mut stream, "exec sleep 30", "timeout=1s")?);
        retried.push(submit(&mut stream, "exit 1", "retry=1 backoff=1s..1s")?);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let all = loop {
        let Response::Runs { runs: all } = ask(
            &mut UnixStream::connect(&daemon.socket)?,
            Request::Logs {
                job: None,
                limit: 100_000,
                line: None,
            },
        )?
        else {
            bail!("unexpected reply to a logs request");
        };
        let done = all.iter().filter(|run| run.finished.is_some()).count();
        if done >= 3 * runs {
            break all;
        }
        if Instant::now() > deadline {
            bail!("only {done} of {} runs ended", 3 * runs);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let ms = |span: jiff::SignedDuration| span.as_secs_f64() * 1e3;
    let mut stop_late = Vec::new();
    let mut to_end = Vec::new();
    for run in all.iter().filter(|run| timed.contains(&run.job)) {
        let sched_proto::Outcome::TimedOut { stopped, .. } = run.outcome else {
            bail!("job {} was not timed out: {:?}", run.job, run.outcome);
        };
        stop_late.push(ms(stopped.duration_since(run.started)) - 1000.0);
        to_end.push(ms(run.finished.unwrap_or(stopped).duration_since(stopped)));
    }
    let mut retry_late = Vec::new();
    for &job in &retried {
        let mut attempts: Vec<_> = all.iter().filter(|run| run.job == job).collect();
        attempts.sort_by_key(|run| run.attempt);
        let [first, second] = attempts[..] else {
            bail!("job {job} ran {} times, not twice", attempts.len());
        };
        let ended = first.finished.unwrap_or(first.started);
        retry_late.push(ms(second.started.duration_since(ended)) - 1000.0);
    }
    for (what, values) in [
        (
            "timeout: SIGTERM after the 1 s timeout, late by",
            &mut stop_late,
        ),
        ("timeout: from SIGTERM to the recorded end", &mut to_end),
        (
            "retry: start of attempt 2 after the end of attempt 1 + 1 s backoff, late by",
            &mut retry_late,
        ),
    ] {
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        let max = values[values.len() - 1];
        let min = values[0];
        println!(
            "{what}: median {median:.2} ms, max {max:.2} ms, min {min:.2} ms ({} runs)",
            values.len()
        );
    }
    Ok(())
}
