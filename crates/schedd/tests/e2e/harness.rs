//! Starts the real `schedd` in a temp dir and drives it with the real
//! `sched`. Waits are on observable events (the socket accepting, a reply)
//! with bounded timeouts, never on sleeps.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sched_proto::{JobKind, Outcome, RunKind};
use serde::Deserialize;

/// The daemon binary cargo built for these tests.
pub const SCHEDD: &str = env!("CARGO_BIN_EXE_schedd");

/// The client binary, built by the same `cargo test --workspace` (the
/// `sched` crate's own tests need it) next to the daemon.
pub fn sched_binary() -> PathBuf {
    let path = Path::new(SCHEDD).with_file_name("sched");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p sched` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

/// How long a daemon may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running daemon in its own temp dir.
pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub spool: PathBuf,
    child: Option<Child>,
    /// `sched` copied where any user may run it (privilege tests).
    pub sched: PathBuf,
    pub tz: String,
}

/// How to start a daemon.
pub struct Options {
    pub mock_clock: Option<String>,
    pub extra: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Make the socket's directory reachable by other users.
    pub shared: bool,
    /// A PostgreSQL spool's URL: the daemon shares it, with its own
    /// state directory (`spool/`) for its jobs' output.
    pub spool_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mock_clock: None,
            extra: vec!["--batch-load".into(), "1000".into()],
            env: Vec::new(),
            shared: false,
            spool_url: None,
        }
    }
}

impl Daemon {
    /// A daemon on a mock clock at `start` (RFC 3339), in zone Europe/Berlin
    /// for the clients.
    pub fn mock(start: &str) -> Daemon {
        Daemon::start(Options {
            mock_clock: Some(start.to_owned()),
            ..Options::default()
        })
    }

    pub fn start(options: Options) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let socket_dir = dir.path().join("run");
        std::fs::create_dir(&socket_dir).unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        // The system crontab directories exist, as on a real system, so the
        // daemon watches them from the start.
        std::fs::create_dir_all(dir.path().join("etc/cron.d")).unwrap();
        // An empty at.deny, as Debian ships one: everyone may use at.
        std::fs::write(dir.path().join("etc/at.deny"), "").unwrap();
        let sched = bin.join("sched");
        std::fs::copy(sched_binary(), &sched).unwrap();
        if options.shared {
            for path in [dir.path(), &socket_dir, &bin] {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let mut daemon = Daemon {
            socket: socket_dir.join("schedd.sock"),
            spool: dir.path().join("spool"),
            dir,
            child: None,
            sched,
            tz: "Europe/Berlin".to_owned(),
        };
        daemon.launch(&options);
        daemon
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the daemon is running").id()
    }

    /// Starts (again) the daemon process on this dir's socket and spool.
    pub fn launch(&mut self, options: &Options) {
        let mut command = self.schedd_command(options);
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start schedd");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                let output = child.wait_with_output().unwrap();
                panic!(
                    "schedd exited with {status} before listening:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "schedd did not listen on {} within {START_TIMEOUT:?}",
                self.socket.display()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        // The log is kept in the test dir, for tests that look for a line.
        let mut stderr = child.stderr.take().unwrap();
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("schedd.log"))
            .unwrap();
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut log));
        self.child = Some(child);
    }

    /// The `schedd` command line for this dir.
    pub fn schedd_command(&self, options: &Options) -> Command {
        let mut command = Command::new(SCHEDD);
        command.arg("--socket").arg(&self.socket);
        match &options.spool_url {
            Some(url) => command
                .arg("--spool")
                .arg(url)
                .arg("--state-dir")
                .arg(&self.spool),
            None => command.arg("--spool").arg(&self.spool),
        };
        command
            .arg("--system-crontab")
            .arg(self.dir.path().join("etc/crontab"))
            .arg("--cron-dir")
            .arg(self.dir.path().join("etc/cron.d"))
            .arg("--boot-id-file")
            .arg(self.dir.path().join("boot_id"))
            .arg("--sendmail")
            .arg(self.dir.path().join("bin/sendmail"))
            .arg("--at-allow")
            .arg(self.dir.path().join("etc/at.allow"))
            .arg("--at-deny")
            .arg(self.dir.path().join("etc/at.deny"))
            .arg("--cron-allow")
            .arg(self.dir.path().join("etc/cron.allow"))
            .arg("--cron-deny")
            .arg(self.dir.path().join("etc/cron.deny"))
            .args(&options.extra);
        // The host's own cron, if it runs one, is not the test's: other
        // cron daemons are looked for under the test's dir (`host/`).
        if !options.extra.iter().any(|arg| arg == "--other-cron-root") {
            command
                .arg("--other-cron-root")
                .arg(self.dir.path().join("host"));
        }
        // Never the machine's own /etc/schedd.conf: an empty one of the
        // test's, unless the test names its own.
        if !options.extra.iter().any(|arg| arg == "--config") {
            let config = self.dir.path().join("schedd.conf");
            if !config.exists() {
                std::fs::write(&config, "").unwrap();
                std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            command.arg("--config").arg(config);
        }
        if let Some(start) = &options.mock_clock {
            command.arg("--mock-clock").arg(start);
        }
        // Crontab entries without CRON_TZ run in the daemon's zone.
        command
            .env_remove("SCHEDD_LOG")
            .env("TZ", "UTC")
            .envs(options.env.iter().map(|(n, v)| (n, v)));
        command
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("schedd.log")).unwrap_or_default()
    }

    /// Waits (at most 20 s) until `ready` holds, polling every 10 ms: for
    /// effects the daemon shows on its own time (a log line, a reload).
    pub fn wait_until(&self, what: &str, mut ready: impl FnMut(&Daemon) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `sched next --json -n N`: the caller's upcoming runs.
    pub fn upcoming(&self, n: usize) -> Vec<Upcoming> {
        let out = self.ok(&["next", "--json", "-n", &n.to_string()]);
        serde_json::from_str(&out).unwrap()
    }

    /// Sets the mock clock by `by` with no time passing (`date -s`).
    pub fn step(&self, by: &str) -> String {
        self.ok(&["mock", "step", by])
    }

    /// The directory standing for /etc: `crontab` and `cron.d/` in it are
    /// the daemon's system crontabs (created on first use).
    pub fn etc(&self) -> PathBuf {
        let etc = self.dir.path().join("etc");
        std::fs::create_dir_all(etc.join("cron.d")).unwrap();
        etc
    }

    /// Stops the daemon with SIGTERM and waits for it; returns its status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("a running daemon");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        child.wait().unwrap()
    }

    /// Sends `signal` to the running daemon.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let child = self.child.as_ref().expect("a running daemon");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    }

    /// Kills the daemon with SIGKILL, as a crash would.
    pub fn crash(&mut self) {
        let mut child = self.child.take().expect("a running daemon");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// A `sched` command aimed at this daemon, in its zone.
    pub fn sched_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.sched);
        command
            .args(args)
            .env("SCHED_SOCKET", &self.socket)
            .env("TZ", &self.tz)
            .current_dir(self.dir.path());
        command
    }

    /// Runs `sched ARGS` and returns its output.
    pub fn sched(&self, args: &[&str]) -> Output {
        run(self.sched_command(args), None)
    }

    /// Runs `sched ARGS` with `stdin` as standard input.
    pub fn sched_stdin(&self, args: &[&str], stdin: &str) -> Output {
        run(self.sched_command(args), Some(stdin))
    }

    /// Runs `sched ARGS` as `uid`/`gid` (the tests run as root for this),
    /// from `/`, with nothing of root's environment but PATH: the job's
    /// HOME, USER and LOGNAME then come from the password database.
    pub fn sched_as(&self, uid: u32, gid: u32, args: &[&str]) -> Output {
        let mut command = self.sched_command(args);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("SCHED_SOCKET", &self.socket)
            .env("TZ", &self.tz)
            .uid(uid)
            .gid(gid)
            .current_dir("/");
        run(command, None)
    }

    /// `sched ARGS`, which must succeed; its standard output.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.sched(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "sched {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Submits with `sched at TIMESPEC COMMAND` and returns the job id.
    #[track_caller]
    pub fn at(&self, timespec: &str, command: &str) -> u64 {
        let out = self.ok(&["at", timespec, command]);
        job_id(&out)
    }

    /// A mailer in the daemon's `bin/` that appends its arguments (as an
    /// `ARGS:` line) and the message to the returned mailbox file, one
    /// message at a time.
    pub fn fake_sendmail(&self) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let mailbox = self.dir.path().join("mailbox");
        let sendmail = self.dir.path().join("bin/sendmail");
        std::fs::write(
            &sendmail,
            format!(
                // One message at a time: mails of runs that end together
                // are sent at once.
                "#!/bin/sh\nexec 9>>{0}.lock\nflock 9\necho \"ARGS: $*\" >> {0}\ncat >> {0}\n",
                mailbox.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
        mailbox
    }

    /// Moves the mock clock to `to` and waits until every started run ended.
    #[track_caller]
    pub fn advance_to(&self, to: &str) {
        self.ok(&["mock", "set", to]);
        self.settle();
    }

    #[track_caller]
    pub fn settle(&self) {
        assert_eq!(self.ok(&["mock", "settle", "--timeout-ms", "20000"]), "0\n");
    }

    /// Every run, oldest first.
    #[track_caller]
    pub fn runs(&self) -> Vec<Run> {
        let mut runs: Vec<Run> =
            serde_json::from_str(&self.ok(&["logs", "--json", "-n", "10000"])).unwrap();
        runs.reverse();
        runs
    }

    /// The pending jobs `sched ls --json` lists (not the runs in progress).
    #[track_caller]
    pub fn jobs(&self) -> Vec<Job> {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&self.ok(&["ls", "--json"])).unwrap();
        rows.into_iter()
            .filter(|row| row["state"] != "running")
            .map(|row| serde_json::from_value::<Job>(row).unwrap())
            .inspect(|job| assert_eq!(job.state, "pending"))
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn run(mut command: Command, stdin: Option<&str>) -> Output {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start sched");
    let mut pipe = child.stdin.take().unwrap();
    // A command that fails before reading its input closes the pipe.
    if let Err(error) = pipe.write_all(stdin.unwrap_or("").as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// The id in `job ID at INSTANT`.
#[track_caller]
pub fn job_id(line: &str) -> u64 {
    let rest = line
        .strip_prefix("job ")
        .unwrap_or_else(|| panic!("not a submission reply: {line:?}"));
    rest.split(' ').next().unwrap().parse().unwrap()
}

pub fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[track_caller]
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Root, or a printed reason to skip.
pub fn root_or_skip(test: &str) -> bool {
    let euid = nix::unistd::geteuid().as_raw();
    if euid != 0 {
        eprintln!(
            "skipped {test}: switching users needs root (running as uid {euid}); CI runs it as root"
        );
    }
    euid == 0
}

/// The uid and gid of `nobody`.
pub fn nobody() -> (u32, u32) {
    let user = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("a nobody user");
    (user.uid.as_raw(), user.gid.as_raw())
}

/// A job as `sched ls --json` prints it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub state: String,
    pub id: u64,
    pub kind: JobKind,
    pub queue: char,
    pub owner_uid: u32,
    pub owner: String,
    pub due: Timestamp,
    pub submitted: Timestamp,
    pub command: String,
    pub cwd: String,
    #[serde(default)]
    pub waiting_for_load: Option<serde_json::Value>,
}

/// A run as `sched logs --json` prints it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub id: u64,
    pub job: u64,
    pub kind: RunKind,
    pub origin: Option<String>,
    pub owner_uid: u32,
    pub owner: String,
    pub command: String,
    pub due: Timestamp,
    pub started: Timestamp,
    pub finished: Option<Timestamp>,
    pub pid: Option<u32>,
    pub outcome: Outcome,
    pub attempt: u32,
    pub output_head: String,
    pub output_tail: String,
    pub output_bytes: u64,
    #[serde(default)]
    pub note: Option<String>,
    /// The host that ran it, on a shared spool.
    #[serde(default)]
    pub host: Option<String>,
    pub lag_seconds: f64,
    pub duration_seconds: Option<f64>,
}

/// An upcoming run as `sched next --json` prints it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upcoming {
    pub due: Timestamp,
    pub kind: RunKind,
    pub job: Option<u64>,
    pub origin: Option<String>,
    pub owner_uid: u32,
    pub owner: String,
    pub command: String,
    #[serde(default)]
    pub scheduled: Option<Timestamp>,
    #[serde(default)]
    pub attempt: Option<u32>,
    #[serde(default)]
    pub policy: Option<String>,
    /// Why it will not run (paused, skipped on request).
    #[serde(default)]
    pub held: Option<String>,
}

/// The two test users `.ci/run` creates (`schedtest1`, `schedtest2`), as
/// (uid, gid, name); `None`, with the reason printed, when they do not
/// exist here.
pub fn test_users(test: &str) -> Option<[(u32, u32, String); 2]> {
    let find = |name: &str| {
        nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .map(|user| (user.uid.as_raw(), user.gid.as_raw(), user.name))
    };
    match (find("schedtest1"), find("schedtest2")) {
        (Some(first), Some(second)) => Some([first, second]),
        _ => {
            eprintln!(
                "skipped {test}: the test users schedtest1 and schedtest2 do not exist (.ci/run creates them)"
            );
            None
        }
    }
}

/// Held for the whole of a test that adds and deletes accounts: useradd
/// hands out the uid a deletion just freed, so two such tests at once
/// would see each other's accounts under their deleted users' uids.
pub fn accounts_lock() -> std::sync::MutexGuard<'static, ()> {
    static ACCOUNTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ACCOUNTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A user made for one test (`useradd`), deleted (`userdel`) when dropped
/// or by [`TempUser::delete`]: for tests of what happens to the jobs of a
/// user who is deleted.
pub struct TempUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    deleted: bool,
}

impl TempUser {
    /// `None`, with the reason printed, where `useradd` is missing or fails.
    pub fn create(name: &str, test: &str) -> Option<TempUser> {
        TempUser::create_with(name, None, test)
    }

    /// An account under a given uid (one a deleted account had, say).
    pub fn create_with(name: &str, uid: Option<u32>, test: &str) -> Option<TempUser> {
        // A leftover from an interrupted run goes first.
        let _ = std::process::Command::new("userdel").arg(name).output();
        let mut useradd = std::process::Command::new("useradd");
        useradd.args(["--no-create-home", "--shell", "/bin/sh"]);
        if let Some(uid) = uid {
            useradd.args(["--non-unique", "--uid", &uid.to_string()]);
        }
        let made = useradd.arg(name).output();
        match made {
            Ok(output) if output.status.success() => {}
            Ok(output) => {
                eprintln!(
                    "skipped {test}: useradd {name} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                return None;
            }
            Err(error) => {
                eprintln!("skipped {test}: cannot run useradd: {error}");
                return None;
            }
        }
        let user = nix::unistd::User::from_name(name).ok().flatten()?;
        Some(TempUser {
            name: name.to_owned(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            deleted: false,
        })
    }

    /// Deletes the account now (its uid then names no one).
    pub fn delete(&mut self) {
        let status = std::process::Command::new("userdel")
            .arg(&self.name)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "userdel {}", self.name);
        self.deleted = true;
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        if !self.deleted {
            let _ = std::process::Command::new("userdel")
                .arg(&self.name)
                .status();
        }
    }
}

/// A fresh, empty PostgreSQL database for `test` on the test cluster
/// (`SCHED_TEST_POSTGRES`, a superuser's URL, which `.ci/run` and
/// `scripts/pg-test-cluster.sh` provide), as a URL; `None`, with the
/// reason printed, when there is no cluster here. In CI there must be
/// one: the fleet tests never skip there.
pub fn fleet_database(test: &str) -> Option<String> {
    let Some(admin) = std::env::var("SCHED_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: SCHED_TEST_POSTGRES is not set, and the fleet tests must run in CI (.ci/run starts a cluster)"
        );
        eprintln!(
            "{test}: skipped: SCHED_TEST_POSTGRES is not set (scripts/pg-test-cluster.sh starts a test cluster)"
        );
        return None;
    };
    let name = format!("schedd_e2e_{test}_{}", std::process::id());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap_or_else(|error| {
        panic!("{test}: cannot reach the test cluster at {admin}: {error}")
    });
    // One statement each: neither may run inside a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin.as_str(), String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    Some(format!("{server}/{name}{query}"))
}
