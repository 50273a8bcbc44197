//! What the benchmark harnesses share: finding the binaries built beside
//! them, and reading a process's CPU time, memory and wake-ups from /proc.

use std::path::PathBuf;

use anyhow::{Result, bail};

/// The binary `name` from the directory of the running harness (cargo puts
/// `schedd`, `sched` and the harnesses in one target directory).
pub fn sibling(name: &str) -> Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} is missing: cargo build --release -p schedd -p sched -p benches",
            path.display()
        );
    }
    Ok(path)
}

/// Sums a per-thread figure over every thread of `pid`.
fn per_thread(pid: u32, read: impl Fn(&str, &str) -> u64) -> Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let task = task?.path();
        let status = std::fs::read_to_string(task.join("status")).unwrap_or_default();
        let schedstat = std::fs::read_to_string(task.join("schedstat")).unwrap_or_default();
        total += read(&status, &schedstat);
    }
    Ok(total)
}

/// Context switches of every thread of `pid`: each is a wake-up or a
/// preemption, so an idle daemon that never wakes adds none.
pub fn switches(pid: u32) -> Result<u64> {
    per_thread(pid, |status, _| {
        status
            .lines()
            .filter(|line| {
                line.starts_with("voluntary_ctxt_switches:")
                    || line.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    })
}

/// CPU time used by every thread of `pid` so far, in nanoseconds (the
/// scheduler's own account in /proc/PID/task/TID/schedstat, exact where
/// /proc/PID/stat counts 10 ms ticks).
pub fn cpu_ns(pid: u32) -> Result<u64> {
    per_thread(pid, |_, schedstat| {
        schedstat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse().ok())
            .unwrap_or(0)
    })
}

/// (VmRSS, VmHWM) of `pid` in KiB: resident now, and the peak.
pub fn rss_kib(pid: u32) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    Ok((field("VmRSS:"), field("VmHWM:")))
}
