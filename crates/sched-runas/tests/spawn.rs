//! Commands really started as a user: credentials, session, environment,
//! working directory, umask and descriptors as the job sees them.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use sched_runas::{
    JobCommand, ResolvedUser, RunAsError, command, current_euid, resolve_uid, spawn,
};

/// The two ways a job starts: a clone sharing the daemon's memory
/// (`spawn`, the daemon's way where pidfds exist) and std's fork
/// (`command`, for mail and on-failure commands, and the fallback).
#[derive(Debug, Clone, Copy)]
enum Way {
    Spawn,
    Fork,
}

const WAYS: [Way; 2] = [Way::Spawn, Way::Fork];

/// Starts `job` the given way and waits for it: its exit code, or the OS
/// error that stopped it before exec.
fn start_and_wait(way: Way, job: JobCommand<'_>) -> std::io::Result<i32> {
    let status = match way {
        Way::Spawn => match spawn(job) {
            Ok(spawned) => spawned.wait_blocking()?,
            Err(RunAsError::Start(error)) => return Err(error),
            Err(other) => panic!("not started: {other}"),
        },
        Way::Fork => command(job).unwrap().status()?,
    };
    Ok(status.code().unwrap_or(-1))
}

/// Runs `script` as `user` and returns (exit status, output).
fn run(
    way: Way,
    user: &ResolvedUser,
    script: &str,
    env: &[(String, String)],
    cwd: &Path,
    umask: u32,
) -> (std::io::Result<i32>, String) {
    run_nice(way, user, script, env, cwd, umask, 0)
}

fn run_nice(
    way: Way,
    user: &ResolvedUser,
    script: &str,
    env: &[(String, String)],
    cwd: &Path,
    umask: u32,
    nice: i32,
) -> (std::io::Result<i32>, String) {
    let mut output = tempfile::tempfile().unwrap();
    let job = JobCommand {
        nice,
        user,
        shell: Path::new("/bin/sh"),
        script,
        env,
        cwd: Some(cwd),
        umask,
        output: output.try_clone().unwrap(),
        stdin: None,
    };
    let status = start_and_wait(way, job);
    output.rewind().unwrap();
    let mut text = String::new();
    output.read_to_string(&mut text).unwrap();
    (status, text)
}

fn nobody() -> Option<ResolvedUser> {
    if current_euid() != 0 {
        eprintln!(
            "skipped: switching users needs root (running as uid {})",
            current_euid()
        );
        return None;
    }
    let uid = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("the nobody user")
        .uid
        .as_raw();
    Some(resolve_uid(uid).unwrap())
}

#[test]
fn the_job_sees_only_its_environment_cwd_umask_and_standard_descriptors() {
    let me = resolve_uid(current_euid()).unwrap();
    let env = vec![
        ("ONLY".to_owned(), "this one".to_owned()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ];
    // A descriptor the "daemon" holds open without close-on-exec must not
    // reach the job.
    let leaked = File::open("/dev/null").unwrap();
    let leaked_fd = nix::fcntl::fcntl(&leaked, nix::fcntl::FcntlArg::F_GETFD).unwrap();
    nix::fcntl::fcntl(
        &leaked,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::from_bits_truncate(leaked_fd & !1)),
    )
    .unwrap();
    // The shell's descriptors are listed first, by a plain command: while
    // the shell sets up a pipeline it holds pipe ends of its own, and for a
    // redirection dash parks the old descriptor at 10, so a listing taken
    // then would see those.
    let script = "ls /proc/$$/fd; \
                  env | LC_ALL=C sort | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_='; pwd; umask; \
                  test \"$(cut -d' ' -f6 /proc/$$/stat)\" = \"$$\" && echo session-leader";
    for way in WAYS {
        let dir = tempfile::tempdir().unwrap();
        let (status, output) = run(way, &me, script, &env, dir.path(), 0o027);
        assert_eq!(status.unwrap(), 0, "{way:?}: {output}");
        let dir = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            output,
            format!(
                "0\n1\n2\nONLY=this one\nPATH=/usr/bin:/bin\n{}\n0027\nsession-leader\n",
                dir.display()
            ),
            "{way:?}"
        );
    }
    drop(leaked);
}

#[test]
fn the_job_starts_with_no_signal_blocked_nor_sigpipe_ignored_and_its_exit_status_is_read() {
    // The test harness, as any Rust program, ignores SIGPIPE; a signal
    // handler (as the daemon's) is installed here too, and a signal blocked
    // in the starting thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _handled = runtime
        .block_on(async {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined2())
        })
        .unwrap();
    let mut blocked = nix::sys::signal::SigSet::empty();
    blocked.add(nix::sys::signal::Signal::SIGUSR1);
    blocked.thread_block().unwrap();
    // What the job may still ignore: what this process ignores (exec
    // keeps that; here glibc's signal 32 too), less SIGPIPE.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let ignored = status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:\t"))
        .map(|mask| u64::from_str_radix(mask, 16).unwrap())
        .unwrap();
    assert_ne!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "SigIgn {ignored:x}"
    );
    let expected = ignored & !(1 << (libc::SIGPIPE - 1));
    let me = resolve_uid(current_euid()).unwrap();
    for way in WAYS {
        let dir = tempfile::tempdir().unwrap();
        let (status, output) = run(
            way,
            &me,
            // Builtins only: while waiting for a child, dash blocks every
            // signal, so a child reading the shell's mask would race that.
            "while read -r name mask; do case $name in SigBlk:|SigIgn:) echo \"$name $mask\";; esac; done < /proc/$$/status; exit 7",
            &[],
            dir.path(),
            0o022,
        );
        assert_eq!(status.unwrap(), 7, "{way:?}: {output}");
        assert_eq!(
            output,
            format!("SigBlk: 0000000000000000\nSigIgn: {expected:016x}\n"),
            "{way:?}"
        );
    }
    blocked.thread_unblock().unwrap();
}

/// Fields of /proc/thread-self/stat, counted from 1 as in proc(5).
const NICE: usize = 19;
const POLICY: usize = 41;

/// Field `number` of the calling thread's /proc stat line.
fn thread_stat_field(number: usize) -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // The command (field 2) may hold spaces: count from its closing paren.
    stat.rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .nth(number - 3)
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_job_runs_nicer_by_the_given_amount() {
    let me = resolve_uid(current_euid()).unwrap();
    // Niceness is per thread: a child starts with its starter's.
    let ours = thread_stat_field(NICE);
    for way in WAYS {
        let dir = tempfile::tempdir().unwrap();
        let (status, output) = run_nice(
            way,
            &me,
            "cut -d' ' -f19 /proc/$$/stat",
            &[],
            dir.path(),
            0o022,
            5,
        );
        assert_eq!(status.unwrap(), 0, "{way:?}: {output}");
        assert_eq!(output, format!("{}\n", (ours + 5).min(19)), "{way:?}");
    }
}

#[test]
fn a_working_directory_that_cannot_be_entered_stops_the_job_with_a_message() {
    let me = resolve_uid(current_euid()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    for way in WAYS {
        let (status, output) = run(way, &me, "echo should-not-run", &[], &missing, 0o022);
        let error = status.unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOENT), "{way:?}");
        assert_eq!(
            output,
            format!(
                "schedd: cannot enter the working directory {}\n",
                missing.display()
            ),
            "{way:?}"
        );
    }
}

#[test]
fn a_shell_that_does_not_exist_is_an_error_and_nothing_runs() {
    let me = resolve_uid(current_euid()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let script = format!("touch {}", marker.display());
    for way in WAYS {
        let mut output = tempfile::tempfile().unwrap();
        let job = JobCommand {
            nice: 0,
            user: &me,
            shell: &dir.path().join("no-such-shell"),
            script: &script,
            env: &[],
            cwd: None,
            umask: 0o022,
            output: output.try_clone().unwrap(),
            stdin: None,
        };
        let error = start_and_wait(way, job).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOENT), "{way:?}");
        let mut text = String::new();
        output.read_to_string(&mut text).unwrap();
        assert_eq!(text, "", "{way:?}");
        assert!(!marker.exists(), "{way:?}");
    }
}

#[test]
fn as_root_the_job_runs_with_the_users_uid_gid_and_groups_only() {
    let Some(nobody) = nobody() else { return };
    for way in WAYS {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (status, output) = run(
            way,
            &nobody,
            "id -u; id -g; id -G; touch /proc/1/root 2>/dev/null || echo denied",
            &[],
            dir.path(),
            0o022,
        );
        assert_eq!(status.unwrap(), 0, "{way:?}: {output}");
        let groups: Vec<String> = nobody.groups().iter().map(u32::to_string).collect();
        assert_eq!(
            output,
            format!(
                "{}\n{}\n{}\ndenied\n",
                nobody.uid(),
                nobody.gid(),
                groups.join(" ")
            ),
            "{way:?}"
        );
    }
}

/// The credentials of every thread of this process, from /proc. A thread
/// that ends while they are read (another test's) is passed over.
fn credentials_of_every_thread() -> Vec<String> {
    let mut all = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let Ok(status) = std::fs::read_to_string(task.unwrap().path().join("status")) else {
            continue;
        };
        all.extend(
            status
                .lines()
                .filter(|line| {
                    line.starts_with("Uid:")
                        || line.starts_with("Gid:")
                        || line.starts_with("Groups:")
                })
                .map(str::to_owned),
        );
    }
    all
}

#[test]
fn as_root_starting_jobs_of_users_from_many_threads_leaves_the_starters_credentials_alone() {
    // The clone shares the starter's memory: a credential change in the
    // child must be the child's alone, not every thread's (glibc's setuid
    // would signal every thread it knows).
    let Some(nobody) = nobody() else { return };
    let before = credentials_of_every_thread();
    assert!(
        before.iter().any(|line| line.starts_with("Uid:\t0\t")),
        "{before:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let nobody = &nobody;
            let dir = dir.path();
            scope.spawn(move || {
                for job in 0..25 {
                    let (status, output) = run(
                        Way::Spawn,
                        nobody,
                        &format!("echo {thread}-{job} $(id -u)"),
                        &[],
                        dir,
                        0o022,
                    );
                    assert_eq!(status.unwrap(), 0, "{output}");
                    assert_eq!(output, format!("{thread}-{job} {}\n", nobody.uid()));
                }
            });
        }
    });
    for line in credentials_of_every_thread() {
        if line.starts_with("Uid:") || line.starts_with("Gid:") {
            assert!(line.ends_with("\t0\t0\t0\t0"), "a thread changed: {line}");
        }
    }
}

#[test]
fn as_root_a_directory_only_root_may_enter_is_refused_to_the_user() {
    let Some(nobody) = nobody() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    for way in WAYS {
        let (status, output) = run(way, &nobody, "echo should-not-run", &[], dir.path(), 0o022);
        assert_eq!(
            status.unwrap_err().raw_os_error(),
            Some(libc::EACCES),
            "{way:?}"
        );
        assert!(
            output.starts_with("schedd: cannot enter the working directory"),
            "{way:?}: {output}"
        );
    }
}

#[test]
fn an_unprivileged_daemon_cannot_start_another_users_job() {
    if current_euid() == 0 {
        eprintln!("skipped: this checks an unprivileged daemon, and the tests run as root");
        return;
    }
    let root = resolve_uid(0).unwrap();
    let job = || JobCommand {
        nice: 0,
        user: &root,
        shell: Path::new("/bin/sh"),
        script: "true",
        env: &[],
        cwd: None,
        umask: 0o022,
        output: tempfile::tempfile().unwrap(),
        stdin: None,
    };
    assert!(matches!(
        command(job()),
        Err(RunAsError::NotPermitted { uid: 0, .. })
    ));
    assert!(matches!(
        spawn(job()),
        Err(RunAsError::NotPermitted { uid: 0, .. })
    ));
}

#[test]
fn the_job_reads_its_standard_input_from_the_given_file() {
    use std::io::Write;
    let me = resolve_uid(sched_runas::current_euid()).unwrap();
    for way in WAYS {
        let mut stdin = tempfile::tempfile().unwrap();
        stdin.write_all(b"first line\nsecond\n").unwrap();
        stdin.rewind().unwrap();
        let mut output = tempfile::tempfile().unwrap();
        let job = JobCommand {
            nice: 0,
            user: &me,
            shell: Path::new("/bin/sh"),
            script: "wc -l; echo end",
            env: &[],
            cwd: None,
            umask: 0o022,
            output: output.try_clone().unwrap(),
            stdin: Some(stdin),
        };
        assert_eq!(start_and_wait(way, job).unwrap(), 0, "{way:?}");
        output.rewind().unwrap();
        let mut text = String::new();
        output.read_to_string(&mut text).unwrap();
        assert_eq!(text, "2\nend\n", "{way:?}");
    }
}

#[test]
fn as_root_jobs_started_by_a_real_time_starter_run_as_ordinary_processes_with_their_niceness() {
    if current_euid() != 0 {
        eprintln!(
            "skipped: real-time priority needs CAP_SYS_NICE (running as uid {})",
            current_euid()
        );
        return;
    }
    let me = resolve_uid(current_euid()).unwrap();
    let me_in_burst = me.clone();
    // On a thread of its own: the priority is the thread's.
    let (ours, cpus, outputs) = std::thread::spawn(move || {
        let cpus = cpus_allowed();
        sched_runas::prefer_starting_thread().unwrap();
        let ours = thread_stat_field(NICE);
        assert_eq!(thread_stat_field(POLICY), libc::SCHED_FIFO);
        let dir = tempfile::tempdir().unwrap();
        let outputs: Vec<_> = (0..20)
            .map(|_| {
                run_nice(
                    Way::Spawn,
                    &me,
                    "cut -d' ' -f19,41 /proc/$$/stat; grep -e Cpus_allowed_list -e TracerPid /proc/$$/status",
                    &[],
                    dir.path(),
                    0o022,
                    3,
                )
            })
            .collect();
        (ours, cpus, outputs)
    })
    .join()
    .unwrap();
    // The same as one burst: every job made ordinary, none left stopped.
    let burst = std::thread::spawn(move || {
        sched_runas::prefer_starting_thread().unwrap();
        let files: Vec<std::fs::File> = (0..20).map(|_| tempfile::tempfile().unwrap()).collect();
        let script = "cut -d' ' -f19,41 /proc/$$/stat; grep -e Cpus_allowed_list -e TracerPid /proc/$$/status";
        let started: Vec<_> = sched_runas::in_one_burst(|| {
            files
                .iter()
                .map(|file| {
                    sched_runas::spawn(JobCommand {
                        nice: 3,
                        user: &me_in_burst,
                        shell: Path::new("/bin/sh"),
                        script,
                        env: &[],
                        cwd: Some(Path::new("/")),
                        umask: 0o022,
                        output: file.try_clone().unwrap(),
                        stdin: None,
                    })
                    .unwrap()
                })
                .collect()
        });
        started
            .into_iter()
            .zip(files)
            .map(|(child, mut file)| {
                let status = child.wait_blocking().unwrap();
                file.rewind().unwrap();
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                (status.code(), text)
            })
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    let outputs: Vec<_> = outputs
        .into_iter()
        .map(|(status, output)| (status.unwrap(), output))
        .chain(
            burst
                .into_iter()
                .map(|(status, output)| (status.unwrap(), output)),
        )
        .collect();
    for (status, output) in outputs {
        assert_eq!(status, 0, "{output}");
        // Niceness ours + 3, policy SCHED_OTHER (0), no tracer left
        // (TracerPid 0), the starter's CPUs.
        assert_eq!(
            output,
            format!(
                "{} 0\nTracerPid:\t0\nCpus_allowed_list:\t{cpus}\n",
                (ours + 3).min(19)
            )
        );
    }
}

/// The calling thread's `Cpus_allowed_list`.
fn cpus_allowed() -> String {
    std::fs::read_to_string("/proc/thread-self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .unwrap()
        .trim()
        .to_owned()
}

/// A child stopped before its exec (as its owner could stop it, with the
/// exec made to fail late) would hold the starting thread, and every job
/// after it, for good: it is killed once seen stopped, from an ordinary
/// starter and from a real-time one (which traces its children), and the
/// next start goes on.
#[test]
fn a_child_stopped_before_its_exec_is_killed_and_starting_goes_on() {
    let me = resolve_uid(current_euid()).unwrap();
    for real_time in [false, true] {
        if real_time && current_euid() != 0 {
            eprintln!(
                "skipped the real-time case: it needs CAP_SYS_NICE (running as uid {})",
                current_euid()
            );
            continue;
        }
        let me = me.clone();
        let (sender, results) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if real_time {
                sched_runas::prefer_starting_thread().unwrap();
            }
            let start = |stop: bool| {
                sched_runas::stop_children_before_exec(stop);
                let began = std::time::Instant::now();
                let child = sched_runas::spawn(JobCommand {
                    nice: 0,
                    user: &me,
                    shell: Path::new("/bin/sh"),
                    script: "exit 7",
                    env: &[],
                    cwd: Some(Path::new("/")),
                    umask: 0o022,
                    output: tempfile::tempfile().unwrap(),
                    stdin: None,
                });
                sched_runas::stop_children_before_exec(false);
                let status = child.unwrap().wait_blocking().unwrap();
                (status, began.elapsed())
            };
            let _ = sender.send((start(true), start(false)));
        });
        // Bounded: a starter held for good fails the test, not hangs it.
        let (stopped, next) = results
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the starting thread is not held by a stopped child");
        let (status, took) = stopped;
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "{real_time}: {status:?}"
        );
        assert!(
            took < std::time::Duration::from_secs(10),
            "{real_time}: held {took:?}"
        );
        assert_eq!(next.0.code(), Some(7), "{real_time}");
    }
}
