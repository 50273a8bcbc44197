//! How long starting a job's process takes, by the two ways sched-runas
//! has: `spawn` (a clone sharing the starter's memory) and `command` (std's
//! fork), in a process made as large as a daemon with many crontab lines.
//!
//! `target/release/spawn_bench [BURST] [MIB]`: BURST jobs (`/bin/sh -c
//! 'exec true'`) started one after another, in a process holding MIB MiB
//! of touched memory; ten bursts each way, alternating. Prints the time to
//! start a whole burst (the last start returned) and per start.
//! `SPAWN_BENCH_SHELL=PROGRAM` starts PROGRAM instead of /bin/sh (a static
//! no-op binary shows what exec and exit alone cost).

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use sched_runas::{JobCommand, command, current_euid, resolve_uid, spawn};

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let burst = args.first().copied().unwrap_or(100);
    let mib = args.get(1).copied().unwrap_or(32);
    // Resident memory, as a daemon's: every page touched.
    let ballast: Vec<u8> = vec![1u8; mib << 20];
    let touched: usize = ballast.iter().step_by(4096).map(|&b| b as usize).sum();
    let user = resolve_uid(current_euid())?;
    let null = std::fs::File::options().write(true).open("/dev/null")?;
    let shell = std::env::var("SPAWN_BENCH_SHELL").unwrap_or_else(|_| "/bin/sh".to_owned());
    let job = || JobCommand {
        user: &user,
        shell: Path::new(&shell),
        script: "exec true",
        env: &[],
        cwd: Some(Path::new("/")),
        umask: 0o022,
        nice: 0,
        output: null.try_clone().expect("dup /dev/null"),
        stdin: None,
    };
    let mut results = [
        (Vec::new(), "spawn (clone, shared memory)"),
        (Vec::new(), "command (std fork)"),
        (
            Vec::new(),
            "spawn from a real-time starting thread (prefer_starting_thread)",
        ),
    ];
    for _ in 0..10 {
        for (way, (times, _)) in results.iter_mut().enumerate() {
            let began = Instant::now();
            if way == 2 {
                // A thread of its own, as the daemon's launcher.
                let times_here = std::thread::scope(|scope| {
                    scope
                        .spawn(|| -> Result<f64> {
                            sched_runas::prefer_starting_thread()?;
                            let began = Instant::now();
                            // As the daemon's launcher: one burst, each
                            // job let go once all have exec'd.
                            let started: Vec<_> = sched_runas::in_one_burst(|| {
                                (0..burst).map(|_| spawn(job())).collect::<Result<_, _>>()
                            })?;
                            let took = began.elapsed().as_secs_f64() * 1e3;
                            for child in started {
                                child.wait_blocking()?;
                            }
                            Ok(took)
                        })
                        .join()
                        .expect("the starting thread")
                })?;
                times.push(times_here);
            } else if way == 0 {
                let started: Vec<_> = (0..burst).map(|_| spawn(job())).collect::<Result<_, _>>()?;
                times.push(began.elapsed().as_secs_f64() * 1e3);
                for child in started {
                    child.wait_blocking()?;
                }
            } else {
                let started: Vec<_> = (0..burst)
                    .map(|_| command(job()).map(|mut c| c.spawn()))
                    .collect::<Result<Result<Vec<_>, _>, _>>()??;
                times.push(began.elapsed().as_secs_f64() * 1e3);
                for mut child in started {
                    child.wait()?;
                }
            }
        }
    }
    println!("bursts of {burst} starts, in a process with {mib} MiB resident ({touched} pages):");
    for (mut times, label) in results {
        times.sort_by(f64::total_cmp);
        println!(
            "{label}: burst median {:.2} ms (min {:.2}, max {:.2}), {:.1} us per start",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            times[times.len() / 2] * 1e3 / burst as f64
        );
    }
    Ok(())
}
