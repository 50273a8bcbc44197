//! The job `daemon_bench latency` schedules: appends the wall clock in
//! nanoseconds since the epoch to the file named by its argument.
//!
//! A binary of its own, with std only, so that its own start-up (exec,
//! loading, runtime) adds as little as possible to the latency measured.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let file = std::env::args_os().nth(1).expect("usage: stamp FILE");
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .expect("cannot open the stamp file");
    // One write per job: concurrent jobs append to the same file.
    out.write_all(format!("{now}\n").as_bytes())
        .expect("cannot write the stamp");
}
