//! schedd as a service: the configuration file (checked strictly, refused
//! when others could have written it, its settings in force unless a flag
//! replaces them), `--daemon` with its pidfile, and socket activation.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{Daemon, Options, SCHEDD, run};

fn write_config(dir: &std::path::Path, text: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join("schedd.conf");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn check_config(path: &std::path::Path) -> (Option<i32>, String, String) {
    let mut command = Command::new(SCHEDD);
    command.arg("--config").arg(path).arg("--check-config");
    let output = run(command, None);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_config_reports_the_file_line_and_column_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_config(
        dir.path(),
        "output_limit = 4096\nlog_level = \"warn\"\n",
        0o600,
    );
    assert_eq!(
        check_config(&good),
        (
            Some(0),
            format!("{}: valid\n", good.display()),
            String::new()
        )
    );
    let bad = write_config(dir.path(), "output_limit = 4096\nbatch_lod = 2.0\n", 0o600);
    let (code, stdout, stderr) = check_config(&bad);
    assert_eq!((code, stdout.as_str()), (Some(78), ""));
    assert!(
        stderr.starts_with(&format!(
            "schedd: {}:2:1: unknown field `batch_lod`, expected one of",
            bad.display()
        )),
        "{stderr}"
    );
    let open = write_config(dir.path(), "", 0o646);
    let (code, _, stderr) = check_config(&open);
    assert_eq!(code, Some(78));
    assert_eq!(
        stderr,
        format!(
            "schedd: {}: writable by its group or others (mode 0646): refused\n",
            open.display()
        )
    );
    let (code, _, stderr) = check_config(&dir.path().join("missing.conf"));
    assert_eq!(code, Some(78));
    assert!(stderr.contains("missing.conf: No such file"), "{stderr}");
}

/// The first run's kept output of `seq 1 100` (292 bytes) under a daemon
/// started with `config` and `flags`, and how many runs are kept after
/// four minutes of `* * * * *`.
fn history_under(config: &std::path::Path, flags: &[&str]) -> (usize, String, String) {
    let mut options = Options {
        mock_clock: Some("2026-06-01T09:59:30Z".to_owned()),
        ..Options::default()
    };
    options
        .extra
        .extend(["--config".to_owned(), config.display().to_string()]);
    options
        .extra
        .extend(flags.iter().map(|flag| flag.to_string()));
    let daemon = Daemon::start(options);
    let output = daemon.sched_stdin(&["crontab", "-"], "* * * * * seq 1 100\n");
    assert_eq!(output.status.code(), Some(0));
    daemon.advance_to("2026-06-01T10:03:30Z");
    daemon.settle();
    let runs = daemon.runs();
    assert!(runs.iter().all(|run| run.output_bytes == 292));
    (
        runs.len(),
        runs[0].output_head.clone(),
        runs[0].output_tail.clone(),
    )
}

#[test]
fn the_files_settings_are_in_force_and_a_flag_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "output_limit = 16\ncron_runs_kept = 2\n", 0o600);
    // 16 bytes: the first and last 8; the newest 2 of 4 runs.
    assert_eq!(
        history_under(&config, &[]),
        (2, "1\n2\n3\n4\n".to_owned(), "\n99\n100\n".to_owned())
    );
    // --output-limit replaces the file's value (8 bytes: the first and
    // last 4); the rest of the file holds.
    assert_eq!(
        history_under(&config, &["--output-limit", "8"]),
        (2, "1\n2\n".to_owned(), "100\n".to_owned())
    );
}

/// `schedd --daemon` in `dir` (its own socket, spool and pidfile): the
/// exit status and standard error of the starting process.
fn start_daemon(dir: &std::path::Path) -> (Option<i32>, String) {
    let mut command = Command::new(SCHEDD);
    command
        .arg("--daemon")
        .arg("--config")
        .arg(write_config(dir, "", 0o600))
        .arg("--socket")
        .arg(dir.join("schedd.sock"))
        .arg("--spool")
        .arg(dir.join("spool"))
        .arg("--pidfile")
        .arg(dir.join("schedd.pid"))
        .arg("--no-system-crontabs")
        .arg("--log-target")
        .arg("file")
        .arg("--log-file")
        .arg(dir.join("schedd.log"))
        .env("SCHEDD_LOG", "warn");
    let output = run(command, None);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn schedd_daemon_without_a_system_log_says_so_and_logs_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, log) = (
        dir.path().join("no-dev-log"),
        dir.path().join("logs/schedd.log"),
    );
    let mut command = Command::new(SCHEDD);
    command
        .arg("--daemon")
        .arg("--config")
        .arg(write_config(dir.path(), "", 0o600))
        .arg("--socket")
        .arg(dir.path().join("schedd.sock"))
        .arg("--spool")
        .arg(dir.path().join("spool"))
        .arg("--pidfile")
        .arg(dir.path().join("schedd.pid"))
        .arg("--no-system-crontabs")
        .arg("--syslog-socket")
        .arg(&socket)
        .arg("--log-file")
        .arg(&log)
        .env("SCHEDD_LOG", "info");
    let output = run(command, None);
    assert_eq!(output.status.code(), Some(0));
    let pid: i32 = std::fs::read_to_string(dir.path().join("schedd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _stop = KillOnDrop(Some(nix::unistd::Pid::from_raw(pid)));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "schedd: no system log at {} (No such file or directory (os error 2)): log lines go to {}\n",
            socket.display(),
            log.display()
        )
    );
    // Ready was logged before --daemon returned.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("schedd 0.1.0 ready"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn schedd_daemon_returns_once_serving_holds_its_pidfile_and_refuses_a_second() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(start_daemon(dir.path()), (Some(0), String::new()));
    // It serves already: no waiting for the socket.
    let stream = std::os::unix::net::UnixStream::connect(dir.path().join("schedd.sock"));
    assert!(stream.is_ok(), "{stream:?}");
    let pid: i32 = std::fs::read_to_string(dir.path().join("schedd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(pid);
    let stop = KillOnDrop(Some(pid));
    // Detached: its own session, not a session leader, no terminal.
    let sid = nix::unistd::getsid(Some(pid)).unwrap();
    assert_ne!(
        sid, pid,
        "not a session leader: it can never get a terminal"
    );
    assert_ne!(sid, nix::unistd::getsid(None).unwrap());
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        std::path::Path::new("/")
    );
    for fd in 0..3 {
        assert_eq!(
            std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap(),
            std::path::Path::new("/dev/null"),
            "fd {fd}"
        );
    }
    // A second one on the same pidfile is refused, naming the first.
    let (code, stderr) = start_daemon(dir.path());
    assert_eq!(code, Some(69));
    assert_eq!(
        stderr,
        format!(
            "schedd: schedd is already running (pid {pid}, pidfile {})\n",
            dir.path().join("schedd.pid").display()
        )
    );
    // SIGTERM: it stops and removes its pidfile.
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while nix::sys::signal::kill(pid, None).is_ok() {
        assert!(std::time::Instant::now() < deadline, "schedd did not stop");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.disarm();
    assert!(!dir.path().join("schedd.pid").exists());
}

#[test]
fn schedd_daemon_that_cannot_start_says_why_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // The spool directory is open to others: refused before serving.
    std::fs::create_dir(dir.path().join("spool")).unwrap();
    std::fs::set_permissions(
        dir.path().join("spool"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let (code, stderr) = start_daemon(dir.path());
    assert_eq!(code, Some(73));
    assert!(stderr.starts_with("schedd: "), "{stderr}");
    assert!(
        stderr.contains(&dir.path().join("spool").display().to_string()),
        "{stderr}"
    );
}

/// Stops a detached daemon if a test fails before it stopped it.
struct KillOnDrop(Option<nix::unistd::Pid>);

impl KillOnDrop {
    /// The daemon is gone: its pid may belong to another process soon.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

#[test]
fn a_socket_handed_over_by_the_service_manager_is_served() {
    // The launcher does what systemd does for schedd.socket: it binds and
    // listens, then starts schedd with the socket as descriptor 3 and
    // LISTEN_PID/LISTEN_FDS naming it.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("activated.sock");
    let launcher = format!(
        "import os, socket, sys\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n\
         s.bind({socket:?})\n\
         s.listen(16)\n\
         os.dup2(s.fileno(), 3) if s.fileno() != 3 else os.set_inheritable(3, True)\n\
         env = dict(os.environ, LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), SCHEDD_LOG='warn')\n\
         os.execve(sys.argv[1], sys.argv[1:], env)\n",
        socket = socket.display().to_string()
    );
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(launcher)
        .arg(SCHEDD)
        .arg("--config")
        .arg(write_config(dir.path(), "", 0o600))
        // As in schedd.service: the configured path is the socket's.
        .arg("--socket")
        .arg(&socket)
        .arg("--spool")
        .arg(dir.path().join("spool"))
        .arg("--no-system-crontabs")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let stop = KillOnDrop(Some(nix::unistd::Pid::from_raw(child.id() as i32)));
    let sched = |args: &[&str]| {
        let mut command = Command::new(crate::harness::sched_binary());
        command
            .args(args)
            .env("SCHED_SOCKET", &socket)
            .env("TZ", "UTC");
        run(command, None)
    };
    // Once the launcher listens, a request waits in the backlog until
    // schedd serves it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the launcher did not bind"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let listed = sched(&["ls"]);
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
    stop.disarm();
    assert!(
        socket.exists(),
        "the service manager's socket is left to it"
    );
}

#[test]
fn the_sysv_init_script_starts_reports_reloads_and_stops_schedd() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = std::fs::read_to_string(root.join("etc/init.d/schedd")).unwrap();
    let defaults = dir.path().join("default-schedd");
    let pidfile = dir.path().join("schedd.pid");
    let socket = dir.path().join("schedd.sock");
    std::fs::write(
        &defaults,
        format!(
            "DAEMON_ARGS=\"--config {} --socket {} --spool {} --no-system-crontabs\"\n",
            write_config(dir.path(), "", 0o600).display(),
            socket.display(),
            dir.path().join("spool").display()
        ),
    )
    .unwrap();
    // The script as installed, with this test's binary and files.
    let script = script
        .replace("DAEMON=/usr/sbin/schedd", &format!("DAEMON={SCHEDD}"))
        .replace(
            "PIDFILE=/run/schedd.pid",
            &format!("PIDFILE={}", pidfile.display()),
        )
        .replace("/etc/default/schedd", &defaults.display().to_string());
    let path = dir.path().join("init-schedd");
    std::fs::write(&path, script).unwrap();
    let init = |action: &str| {
        let mut command = Command::new("sh");
        command.arg(&path).arg(action).env("SCHEDD_LOG", "warn");
        let output = run(command, None);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    assert_eq!(
        init("status"),
        (Some(3), "schedd is not running\n".to_owned())
    );
    assert_eq!(init("start"), (Some(0), "Starting schedd\n".to_owned()));
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let stop = KillOnDrop(Some(nix::unistd::Pid::from_raw(pid.parse().unwrap())));
    assert!(std::os::unix::net::UnixStream::connect(&socket).is_ok());
    assert_eq!(
        init("status"),
        (Some(0), format!("schedd is running (pid {pid})\n"))
    );
    assert_eq!(
        init("start"),
        (
            Some(0),
            format!("Starting schedd\nschedd is already running (pid {pid})\n")
        )
    );
    assert_eq!(init("reload"), (Some(0), "Reloading schedd\n".to_owned()));
    assert_eq!(init("stop"), (Some(0), "Stopping schedd\n".to_owned()));
    stop.disarm();
    assert_eq!(
        init("status"),
        (Some(3), "schedd is not running\n".to_owned())
    );
    assert_eq!(init("bogus").0, Some(2));
}

#[test]
fn sighup_with_a_broken_configuration_keeps_the_one_in_force() {
    let daemon = Daemon::mock("2026-06-01T09:00:00Z");
    let config = daemon.dir.path().join("schedd.conf");
    // Broken: reported with its line and column, and the daemon goes on.
    std::fs::write(&config, "output_limit = 64\nbatch_load = \"high\"\n").unwrap();
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    let expected = format!(
        "SIGHUP: {}:2:14: invalid type: string \"high\", expected a number, a load average such as 1.5; the configuration in force is kept",
        config.display()
    );
    daemon.wait_until("the reload error", |d| d.log().contains(&expected));
    assert_eq!(daemon.ok(&["ls"]), "", "still serving");
    // Fixed: read again and in force for the next run.
    std::fs::write(&config, "output_limit = 8\n").unwrap();
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    daemon.wait_until("the reload", |d| {
        d.log()
            .contains("SIGHUP: configuration read again and in force")
    });
    daemon.at("now + 1 min", "seq 1 100");
    daemon.advance_to("2026-06-01T09:01:00Z");
    daemon.settle();
    let runs = daemon.runs();
    assert_eq!(runs[0].output_bytes, 292);
    assert_eq!(
        (runs[0].output_head.as_str(), runs[0].output_tail.as_str()),
        ("1\n2\n", "100\n"),
        "8 bytes kept: the first and last 4"
    );
    // A setting that needs a restart is named.
    std::fs::write(&config, "output_limit = 8\nstop_jobs_on_exit = true\n").unwrap();
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    daemon.wait_until("the warning", |d| {
        d.log().contains(
            "SIGHUP: configuration read again and in force, but a restart is needed for: stop_jobs_on_exit",
        )
    });
}

fn user_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

#[test]
fn each_job_logs_one_line_at_start_and_one_at_end_with_user_pid_and_status() {
    let daemon = Daemon::mock("2026-06-01T09:00:00Z");
    let id = daemon.at("now + 1 min", "exit 3");
    // The clock stays at the job's minute while it runs (a later instant
    // would count in its duration).
    daemon.advance_to("2026-06-01T09:01:00Z");
    daemon.settle();
    let pid = daemon.runs()[0].pid.unwrap();
    let user = user_name();
    daemon.wait_until("the end line", |d| {
        d.log().contains(&format!(
            "({user}) job {id} ended, pid {pid}: exit 3 after 0.000 s"
        ))
    });
    assert!(
        daemon
            .log()
            .contains(&format!("({user}) job {id} started, pid {pid}")),
        "{}",
        daemon.log()
    );
}

#[test]
fn json_logs_carry_the_fields_of_each_job_line() {
    let mut options = Options {
        mock_clock: Some("2026-06-01T09:00:00Z".to_owned()),
        ..Options::default()
    };
    options
        .extra
        .extend(["--log-format".to_owned(), "json".to_owned()]);
    let daemon = Daemon::start(options);
    let id = daemon.at("now + 1 min", "kill -TERM $$");
    // The clock stays at the job's minute while it runs (a later instant
    // would count in its duration).
    daemon.advance_to("2026-06-01T09:01:00Z");
    daemon.settle();
    let pid = daemon.runs()[0].pid.unwrap();
    let ended = |log: &str| -> Option<serde_json::Value> {
        log.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|event| {
                event["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(&format!("job {id} ended")))
            })
    };
    daemon.wait_until("the end line", |d| ended(&d.log()).is_some());
    let event = ended(&daemon.log()).unwrap();
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["user"], user_name());
    assert_eq!(event["pid"], pid);
    assert_eq!(event["status"], "signal 15");
    assert_eq!(event["seconds"], 0.0);
    // Every line is JSON.
    for line in daemon.log().lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "{line}"
        );
    }
}

#[test]
fn schedd_writes_its_manual_pages_and_completions() {
    let generate = |what: &str| {
        let mut command = Command::new(SCHEDD);
        command.arg("--generate").arg(what);
        let output = run(command, None);
        assert_eq!(output.status.code(), Some(0), "{what}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../man/schedd.8");
    assert_eq!(
        generate("man"),
        std::fs::read_to_string(installed).unwrap(),
        "the page install.sh installs"
    );
    let conf = generate("conf-man");
    assert!(conf.starts_with(".TH SCHEDD.CONF 5"));
    assert!(conf.contains("\\fBbatch_load = 1.5\\fR"), "{conf}");
    assert!(generate("bash").contains("complete -F _schedd"));
    assert!(generate("zsh").contains("#compdef schedd"));
    let fish = generate("fish");
    assert!(fish.contains("complete -c schedd"));
    assert!(
        fish.contains("spool") && !fish.contains("mock-clock"),
        "{fish}"
    );
}
