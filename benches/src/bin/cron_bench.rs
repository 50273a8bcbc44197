//! Crontab scale: the release `schedd` and Debian's cron side by side, each
//! loading the same system crontab of N entries that never fire while
//! measured (Feb 29, Jan 1, Jul 4 and June Mondays, at every minute of the
//! day): start-up time and CPU, resident memory, and CPU and wake-ups while
//! idle. Results go in BENCHMARKS.md.
//!
//! Build first: `cargo build --release -p schedd -p sched -p benches`, then
//! as root `target/release/cron_bench [ENTRIES] [IDLE_SECONDS] [STARTS]`.
//! Debian's cron (`apt-get install cron`) is measured when
//! /usr/sbin/cron exists: it runs in a private mount namespace where
//! /etc/crontab, /etc/cron.d and /var/spool/cron/crontabs are the
//! benchmark's, so the machine's own crontabs stay out of it.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::{cpu_ns, rss_kib, sibling, switches};
use sched_proto::{Envelope, MAX_REPLY, Request, Response};

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .context("arguments: [ENTRIES] [IDLE_SECONDS] [STARTS] [PERCENT_WITH_POLICIES]")
        })
        .collect::<Result<_>>()?;
    let entries = args.first().copied().unwrap_or(100_000);
    let idle_seconds = args.get(1).copied().unwrap_or(180);
    let starts = args.get(2).copied().unwrap_or(5).max(1);
    let with_policies = args.get(3).copied().unwrap_or(0).min(100);
    if !nix::unistd::geteuid().is_root() {
        bail!("run as root: system crontabs must be owned by root, as cron requires");
    }
    let dir = tempfile::tempdir()?;
    let files = Files::write(dir.path(), entries, with_policies)?;
    println!(
        "{entries} entries in {} files of {PER_FILE} in {}, none due while measured; {with_policies} % with a timeout, retry and overlap policy",
        entries.div_ceil(PER_FILE),
        files.cron_d.display(),
    );
    schedd(&files, entries, idle_seconds, starts, with_policies)?;
    let cron = Path::new("/usr/sbin/cron");
    if with_policies > 0 {
        println!("Debian cron: not measured with policies (it has none)");
    } else if cron.exists() {
        debian_cron(cron, &files, idle_seconds)?;
    } else {
        println!(
            "Debian cron: /usr/sbin/cron is not installed (apt-get install cron); not measured"
        );
    }
    Ok(())
}

/// Entries per cron.d file. Debian's cron reads at most about 10,000 lines
/// of one file (measured: RSS and load time stop growing there), so the
/// entries are spread over files of 5,000, the same files for both daemons.
const PER_FILE: usize = 5_000;

/// The benchmark's crontab files: an empty /etc/crontab, a cron.d with the
/// N entries in files of [`PER_FILE`], an empty user crontab directory.
struct Files {
    dir: PathBuf,
    crontab: PathBuf,
    cron_d: PathBuf,
    user_crontabs: PathBuf,
}

impl Files {
    /// `with_policies` percent of each file's lines (its last ones) come
    /// after SCHED_TIMEOUT, SCHED_RETRY and SCHED_OVERLAP assignments.
    fn write(dir: &Path, entries: usize, with_policies: usize) -> Result<Files> {
        let files = Files::paths(dir);
        std::fs::create_dir(&files.cron_d)?;
        std::fs::create_dir(&files.user_crontabs)?;
        std::fs::write(&files.crontab, "")?;
        files.write_lines(entries, with_policies, "--id")?;
        std::fs::set_permissions(&files.crontab, std::fs::Permissions::from_mode(0o644))?;
        Ok(files)
    }

    fn paths(dir: &Path) -> Files {
        Files {
            dir: dir.to_owned(),
            crontab: dir.join("crontab"),
            cron_d: dir.join("cron.d"),
            user_crontabs: dir.join("crontabs"),
        }
    }

    /// Writes the cron.d files, each command with `option` before its
    /// number (another option of the same length makes every line another
    /// job of the same size).
    fn write_lines(&self, entries: usize, with_policies: usize, option: &str) -> Result<()> {
        let files = self;
        let forms = ["29 2 *", "1 1 *", "4 7 *", "1-7 6 mon"];
        for (number, first) in (0..entries).step_by(PER_FILE).enumerate() {
            let path = files.cron_d.join(format!("bench-{number:03}"));
            let mut text = std::io::BufWriter::new(std::fs::File::create(&path)?);
            let last = (first + PER_FILE).min(entries);
            let plain = last - (last - first) * with_policies / 100;
            for i in first..last {
                if i == plain {
                    writeln!(text, "SCHED_TIMEOUT=10m\nSCHED_RETRY=3\nSCHED_OVERLAP=skip")?;
                }
                let (minute, hour) = (i % 60, (i / 60) % 24);
                writeln!(
                    text,
                    "{minute} {hour} {} root /usr/local/bin/report {option} {i}",
                    forms[i % forms.len()]
                )?;
            }
            text.flush()?;
            drop(text);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        }
        Ok(())
    }
}

/// Kills the child when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_schedd(files: &Files, run: usize) -> Result<(Running, PathBuf)> {
    let socket = files.dir.join(format!("schedd-{run}.sock"));
    let child = Command::new(sibling("schedd")?)
        .arg("--socket")
        .arg(&socket)
        .arg("--spool")
        .arg(files.dir.join(format!("spool-{run}")))
        .arg("--system-crontab")
        .arg(&files.crontab)
        .arg("--cron-dir")
        .arg(&files.cron_d)
        .env("SCHEDD_LOG", "info")
        .stderr(Stdio::from(std::fs::File::create(log_of(files, run))?))
        .spawn()?;
    Ok((Running(child), socket))
}

/// The daemon's log of start `run`.
fn log_of(files: &Files, run: usize) -> PathBuf {
    files.dir.join(format!("schedd-{run}.log"))
}

/// Rewrites every line with `option` in its command, another job of the
/// same size (the reload that replaces the most),
/// and waits until the daemon, told by its watch of cron.d, has read the
/// files again and added every line: its log then shows `entries` more
/// lines added, and the reading's end after them.
fn reload_all(
    files: &Files,
    run: usize,
    entries: usize,
    with_policies: usize,
    option: &str,
) -> Result<()> {
    let log = log_of(files, run);
    let added = |text: &str| -> usize {
        text.lines()
            .filter(|line| line.contains("crontab loaded"))
            .filter_map(|line| {
                line.split("added=")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum()
    };
    let before = added(&std::fs::read_to_string(&log)?);
    files.write_lines(entries, with_policies, option)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&log)?;
        let last_is_end = text
            .lines()
            .rev()
            .find(|line| line.contains("crontab loaded") || line.contains("system crontabs read"))
            .is_some_and(|line| line.contains("system crontabs read"));
        if added(&text) - before >= entries && last_is_end {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("schedd did not read the rewritten crontabs within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the daemon answers a listing of its next run: it has then
/// loaded every entry and serves requests.
fn wait_ready(socket: &Path, entries: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut stream) = UnixStream::connect(socket) {
            sched_proto::write_frame(
                &mut stream,
                &Envelope::new(Request::Upcoming {
                    limit: 1,
                    per_entry: 1,
                }),
            )?;
            let reply: Envelope<Response> = sched_proto::read_frame(&mut stream, MAX_REPLY)?;
            match reply.body {
                Response::Upcoming { runs, .. } if runs.len() == 1.min(entries) => return Ok(()),
                other => bail!("unexpected reply {other:?}"),
            }
        }
        if Instant::now() > deadline {
            bail!("schedd did not answer within 60 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn schedd(
    files: &Files,
    entries: usize,
    idle_seconds: usize,
    starts: usize,
    with_policies: usize,
) -> Result<()> {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut last = None;
    for run in 0..starts {
        let began = Instant::now();
        let (daemon, socket) = start_schedd(files, run)?;
        wait_ready(&socket, entries)?;
        walls.push(began.elapsed().as_secs_f64() * 1e3);
        cpus.push(cpu_ns(daemon.0.id())? as f64 / 1e6);
        last = Some(daemon);
    }
    let daemon = last.context("at least one start")?;
    let pid = daemon.0.id();
    std::thread::sleep(Duration::from_secs(2));
    let (rss, peak) = rss_kib(pid)?;
    println!("schedd, {starts} starts:");
    println!(
        "  start-up to serving (spawn to the first reply), median {:.1} ms, min {:.1}, max {:.1}",
        median(&mut walls.clone()),
        min(&walls),
        max(&walls)
    );
    println!(
        "  CPU used by then, median {:.1} ms, min {:.1}, max {:.1}",
        median(&mut cpus.clone()),
        min(&cpus),
        max(&cpus)
    );
    println!(
        "  resident 2 s after start: {:.1} MiB (peak during the load {:.1} MiB)",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    // The peak of a reload alone: the kernel's high-water mark is reset
    // (clear_refs 5), then every line is rewritten as another job.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    reload_all(files, starts - 1, entries, with_policies, "--nr")?;
    let (reloaded_rss, reload_peak) = rss_kib(pid)?;
    // Back to the lines Debian cron is measured with.
    reload_all(files, starts - 1, entries, with_policies, "--id")?;
    println!(
        "  reload of every line changed: peak {:.1} MiB, resident after {:.1} MiB",
        reload_peak as f64 / 1024.0,
        reloaded_rss as f64 / 1024.0
    );
    // tokio's blocking threads (the load ran on one) end after 10 s idle;
    // the measure starts once they are gone, so that every thread counted
    // at the start is still there at the end.
    std::thread::sleep(Duration::from_secs(12));
    let threads_before = threads(pid)?;
    let (cpu_before, switches_before) = (cpu_ns(pid)?, switches(pid)?);
    std::thread::sleep(Duration::from_secs(idle_seconds as u64));
    let (cpu_after, switches_after) = (cpu_ns(pid)?, switches(pid)?);
    if threads(pid)? != threads_before {
        bail!("schedd's threads changed while idle: the counts below would not add up");
    }
    println!(
        "  idle {idle_seconds} s ({} threads): {} context switches, {:.3} ms CPU",
        threads_before,
        switches_after - switches_before,
        (cpu_after - cpu_before) as f64 / 1e6
    );
    Ok(())
}

fn debian_cron(cron: &Path, files: &Files, idle_seconds: usize) -> Result<()> {
    // Private mounts: the benchmark's files stand in for the system's.
    let script = format!(
        "mount --make-rprivate / && mount --bind {crontab} /etc/crontab && \
         mount --bind {cron_d} /etc/cron.d && \
         {{ [ ! -d /var/spool/cron/crontabs ] || mount --bind {users} /var/spool/cron/crontabs; }} && \
         exec {cron} -f",
        crontab = files.crontab.display(),
        cron_d = files.cron_d.display(),
        users = files.user_crontabs.display(),
        cron = cron.display()
    );
    let began = Instant::now();
    let child = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .stderr(Stdio::inherit())
        .spawn()
        .context("unshare (util-linux) is needed to run cron on the benchmark's files")?;
    let daemon = Running(child);
    let pid = daemon.0.id();
    // cron loads its crontabs before its first sleep and has no readiness
    // signal: its CPU time after 3 s is the load.
    std::thread::sleep(Duration::from_secs(3));
    let load_cpu = cpu_ns(pid)?;
    let (rss, peak) = rss_kib(pid)?;
    println!("Debian cron ({}):", cron.display());
    println!(
        "  CPU to start and load (first {:.0} s): {:.1} ms",
        began.elapsed().as_secs_f64(),
        load_cpu as f64 / 1e6
    );
    println!(
        "  resident: {:.1} MiB (peak {:.1} MiB)",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    // Whole minutes, from just after a minute boundary (cron wakes at each).
    let minutes = (idle_seconds / 60).max(1);
    let now = jiff::Timestamp::now().as_second();
    let to_boundary = 60 - now.rem_euclid(60) + 5;
    std::thread::sleep(Duration::from_secs(to_boundary as u64));
    let (cpu_before, switches_before) = (cpu_ns(pid)?, switches(pid)?);
    std::thread::sleep(Duration::from_secs(60 * minutes as u64));
    let (cpu_after, switches_after) = (cpu_ns(pid)?, switches(pid)?);
    let per_minute = (cpu_after - cpu_before) as f64 / 1e6 / minutes as f64;
    println!(
        "  idle {minutes} min: {} context switches, {:.2} ms CPU a minute ({:.1} s a day)",
        switches_after - switches_before,
        per_minute,
        per_minute * 1440.0 / 1e3
    );
    Ok(())
}

fn threads(pid: u32) -> Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/task"))?.count())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
