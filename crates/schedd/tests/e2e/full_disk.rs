//! A full disk under the spool: new work is refused with a clear reason
//! and nothing half-written is kept, nothing already stored is lost, and
//! the daemon recovers by itself when space returns. The spool is put on a
//! small tmpfs, which needs root; skips otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sched_proto::Outcome;

use crate::harness::{Daemon, Options, root_or_skip, stderr};

/// Unmounts the spool's tmpfs when the test ends, however it ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes into a new file in `dir` until the filesystem is full.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0xA5u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    // The last partial chunk may have been taken in part: fill to the end.
    while file.write_all(&chunk[..512]).is_ok() {}
    path
}

#[test]
fn a_full_disk_refuses_new_work_clearly_loses_nothing_and_recovers_by_itself() {
    let test = "a_full_disk_refuses_new_work_clearly_loses_nothing_and_recovers_by_itself";
    if !root_or_skip(test) {
        return;
    }
    let options = || Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        ..Options::default()
    };
    let mut daemon = Daemon::start(options());
    daemon.tz = "UTC".to_owned();
    daemon.stop();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs"])
        .arg(&daemon.spool)
        .output()
        .unwrap();
    if !mounted.status.success() {
        println!(
            "skipped {test}: cannot mount a tmpfs: {}",
            String::from_utf8_lossy(&mounted.stderr)
        );
        return;
    }
    let _mount = Mount(daemon.spool.clone());
    daemon.launch(&options());
    let fifo = daemon.dir.path().join("release");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    // It writes its output, then waits to be released.
    let running = daemon.at(
        "now + 1 min",
        &format!("echo started; cat {} >/dev/null", fifo.display()),
    );
    let kept = daemon.at("now + 1 hour", "echo kept");
    daemon.ok(&["mock", "set", "2026-11-25T10:01:00Z"]);
    daemon.wait_until("the job to start", |d| {
        d.runs()
            .first()
            .is_some_and(|run| run.job == running && run.outcome == Outcome::Running)
    });
    let output = daemon.spool.join("output/run-1.out");
    daemon.wait_until("the job's output", |_| {
        std::fs::read(&output).is_ok_and(|bytes| bytes == b"started\n")
    });
    let filler = fill(&daemon.spool);

    // New work is refused with the reason; nothing of it is kept.
    let full = "its filesystem is full, so nothing was written: free some space and retry";
    let submitted = daemon.sched(&["at", "now + 5 min", "echo refused"]);
    assert_eq!(submitted.status.code(), Some(1));
    assert!(stderr(&submitted).contains(full), "{}", stderr(&submitted));
    let installed = daemon.sched_stdin(&["crontab", "-"], "* * * * * echo refused\n");
    assert_eq!(installed.status.code(), Some(1));
    assert!(stderr(&installed).contains(full), "{}", stderr(&installed));
    let ids: Vec<u64> = daemon.jobs().iter().map(|job| job.id).collect();
    assert_eq!(ids, vec![kept]);
    assert_eq!(daemon.sched(&["crontab", "-l"]).status.code(), Some(1));

    // The running job ends while the disk is full: its end is recorded
    // once there is room again, with its output.
    std::fs::write(&fifo, "go\n").unwrap();
    daemon.wait_until("the failed record to be logged", |d| {
        d.log()
            .contains("cannot record the end of the run, retrying")
    });
    std::fs::remove_file(filler).unwrap();
    daemon.wait_until("the run's end to be recorded", |d| {
        d.runs()
            .first()
            .is_some_and(|run| run.outcome == Outcome::Exited { code: 0 })
    });
    assert_eq!(daemon.runs()[0].output_head, "started\n");

    // Back to normal, with what was stored before intact.
    let after = daemon.at("now + 5 min", "echo after");
    let installed = daemon.sched_stdin(&["crontab", "-"], "30 10 * * * echo cron\n");
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    let ids: Vec<u64> = daemon.jobs().iter().map(|job| job.id).collect();
    assert_eq!(ids, vec![after, kept]);
    daemon.advance_to("2026-11-25T11:02:00Z");
    let outputs: Vec<String> = daemon
        .runs()
        .into_iter()
        .map(|run| run.output_head)
        .collect();
    assert_eq!(outputs, vec!["started\n", "after\n", "cron\n", "kept\n"]);
}
