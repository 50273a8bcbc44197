//! `schedd`: flags to a [`schedd::Config`], logging, and the exit status.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use jiff::Timestamp;
use sched_proto::paths::{self, PathEnv};
use schedd::config::file::{FileConfig, LogLevel};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "schedd",
    version,
    about = "The schedd cron and at daemon",
    after_help = "\
Defaults: as root, the socket is /run/schedd/schedd.sock and the spool
/var/spool/schedd; as any other user, $XDG_RUNTIME_DIR/schedd.sock (else
/tmp/schedd-UID/schedd.sock) and $XDG_DATA_HOME/schedd (else
~/.local/share/schedd), and the daemon runs only that user's jobs.

Settings come from the configuration file (/etc/schedd.conf as root,
else $XDG_CONFIG_HOME/schedd/schedd.conf or ~/.config/schedd/schedd.conf;
see schedd.conf(5)), and a flag given here replaces the file's value.

Logs go to standard error; SCHEDD_LOG sets the level (error, warn, info,
debug, trace), else the file's log_level, else info.

Example:
  schedd --daemon
  sched at 'now + 1 min' 'date > /tmp/hello'"
)]
struct Flags {
    /// The configuration file [default: /etc/schedd.conf as root, else
    /// the user's]; one named here must exist
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration file and exit: 0 when it is valid
    #[arg(long)]
    check_config: bool,
    /// Write a manual page (schedd(8), schedd.conf(5)) or a completion
    /// script to standard output and exit
    #[arg(long, value_enum, value_name = "WHAT", hide = true)]
    generate: Option<Generated>,
    /// Run in the background: detach from the terminal and session, log to
    /// the system log, hold the pidfile; returns once the daemon serves
    #[arg(long)]
    daemon: bool,
    /// Where log lines go [default: stderr; syslog with --daemon, or
    /// --log-file when there is no /dev/log]
    #[arg(long, value_name = "TARGET")]
    log_target: Option<schedd::config::file::LogTarget>,
    /// The log file, for --log-target file and when the system log is
    /// missing [default: /var/log/schedd.log as root, else
    /// $XDG_STATE_HOME/schedd/schedd.log]
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// TESTS ONLY: the system log's socket
    #[arg(long, value_name = "PATH", default_value = "/dev/log", hide = true)]
    syslog_socket: PathBuf,
    /// How log lines are written [default: text]
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<schedd::config::file::LogFormat>,
    /// The pidfile held (locked) while the daemon runs [default with
    /// --daemon: /run/schedd.pid as root, else beside the socket]
    #[arg(long, value_name = "FILE")]
    pidfile: Option<PathBuf>,
    /// The Unix socket to listen on
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// The spool directory (database and output of running jobs)
    #[arg(long, value_name = "DIR")]
    spool: Option<PathBuf>,
    /// Bytes of each run's output to keep (the first and last half of
    /// longer output)
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    output_limit: Option<u64>,
    /// Start batch jobs only while the 1-minute load average is below this
    #[arg(long, value_name = "LOAD")]
    batch_load: Option<f64>,
    /// Start at most one batch job per this many seconds [default: 60]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    batch_interval: Option<u32>,
    /// Stop running jobs (SIGTERM) when the daemon stops, instead of
    /// leaving them running as cron does
    #[arg(long)]
    stop_jobs_on_exit: bool,
    /// TESTS ONLY: read the load average from this file
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/proc/loadavg",
        hide = true
    )]
    loadavg_file: PathBuf,
    /// Milliseconds a client may take to send a request it has begun, or
    /// to read a reply
    #[arg(long, value_name = "MS", default_value_t = 10_000, hide = true)]
    io_timeout_ms: u64,
    /// The system crontab [default: /etc/crontab as root, none otherwise]
    #[arg(long, value_name = "FILE")]
    system_crontab: Option<PathBuf>,
    /// The directory of package crontabs [default: /etc/cron.d as root,
    /// none otherwise]
    #[arg(long, value_name = "DIR")]
    cron_dir: Option<PathBuf>,
    /// Read no system crontab, even as root
    #[arg(long, conflicts_with_all = ["system_crontab", "cron_dir", "system_crontabs"])]
    no_system_crontabs: bool,
    /// Read the system crontabs even when another cron daemon (cron,
    /// crond, cronie, fcron) runs: by default they are left to it, so that
    /// no system job runs twice
    #[arg(long)]
    system_crontabs: bool,
    /// TESTS ONLY: the root under which other cron daemons are looked for
    /// (its proc/ and run/ directories)
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    other_cron_root: PathBuf,
    /// The mailer for cron jobs' output; when missing, nothing is mailed
    #[arg(long, value_name = "PATH")]
    sendmail: Option<PathBuf>,
    /// The file naming the current boot, for @reboot entries
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/proc/sys/kernel/random/boot_id",
        hide = true
    )]
    boot_id_file: PathBuf,
    /// Who may use at and batch: the users listed here, if it exists
    #[arg(long, value_name = "FILE")]
    at_allow: Option<PathBuf>,
    /// Else everyone but the users listed here; with neither file, only
    /// root
    #[arg(long, value_name = "FILE")]
    at_deny: Option<PathBuf>,
    /// Who may use crontab: the users listed here, if it exists
    #[arg(long, value_name = "FILE")]
    cron_allow: Option<PathBuf>,
    /// Else everyone but the users listed here; with neither file, everyone
    #[arg(long, value_name = "FILE")]
    cron_deny: Option<PathBuf>,
    /// TESTS ONLY: run on a mock clock starting at this instant
    /// (2026-03-08T00:00:00Z); only the uid running the daemon can move it
    #[arg(long, value_name = "INSTANT", hide = true)]
    mock_clock: Option<Timestamp>,
}

/// What `schedd --generate` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Generated {
    Man,
    ConfMan,
    Bash,
    Zsh,
    Fish,
}

/// A manual page or completion script: schedd(8) as written by hand in
/// `man/`, schedd.conf(5) from the documented example file, completions
/// from the clap definitions.
fn generate(what: Generated) -> std::io::Result<()> {
    use clap::CommandFactory;
    use std::io::Write;
    let full = Flags::command();
    // The hidden flags (the mock clock, --generate) are for tests and
    // packagers: completions do not offer them.
    let mut command = clap::Command::new("schedd")
        .version(env!("CARGO_PKG_VERSION"))
        .args(
            full.get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .cloned(),
        );
    let mut text = Vec::new();
    match what {
        Generated::Man => text.extend_from_slice(include_str!("../../../man/schedd.8").as_bytes()),
        Generated::ConfMan => text.extend_from_slice(schedd::config::man::man_page().as_bytes()),
        Generated::Bash => clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut command,
            "schedd",
            &mut text,
        ),
        Generated::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut command, "schedd", &mut text)
        }
        Generated::Fish => clap_complete::generate(
            clap_complete::Shell::Fish,
            &mut command,
            "schedd",
            &mut text,
        ),
    }
    std::io::stdout().lock().write_all(&text)
}

/// Makes every path flag absolute against the working directory: a
/// daemon works in `/`, where `--spool spool` would mean `/spool`.
fn absolute_paths(flags: &mut Flags) -> std::io::Result<()> {
    let absolute = |path: &mut PathBuf| -> std::io::Result<()> {
        if !path.as_os_str().is_empty() {
            *path = std::path::absolute(&*path)?;
        }
        Ok(())
    };
    for path in [
        &mut flags.config,
        &mut flags.socket,
        &mut flags.spool,
        &mut flags.system_crontab,
        &mut flags.cron_dir,
        &mut flags.sendmail,
        &mut flags.at_allow,
        &mut flags.at_deny,
        &mut flags.cron_allow,
        &mut flags.cron_deny,
        &mut flags.pidfile,
    ]
    .into_iter()
    .flatten()
    {
        absolute(path)?;
    }
    absolute(&mut flags.loadavg_file)?;
    absolute(&mut flags.boot_id_file)
}

fn main() -> ExitCode {
    let mut flags = Flags::parse();
    if flags.daemon
        && let Err(error) = absolute_paths(&mut flags)
    {
        eprintln!("schedd: cannot make the paths given absolute: {error}");
        return ExitCode::from(1);
    }
    if let Some(what) = flags.generate {
        return match generate(what) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("schedd: {error}");
                ExitCode::from(1)
            }
        };
    }
    let euid = sched_runas::current_euid();
    let file = match read_config_file(flags.config.as_deref(), euid) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("schedd: {error:#}");
            return ExitCode::from(1);
        }
    };
    if flags.check_config {
        let (path, _) = &file;
        match path {
            Some(path) => println!("{}: valid", path.display()),
            None => println!("no configuration file: the built-in defaults apply"),
        }
        return ExitCode::SUCCESS;
    }
    let mut launch = schedd::Launch::default();
    if flags.daemon {
        // Before any thread exists: the runtime is built later, in run.
        match sched_runas::detach() {
            Ok(detached) => launch.detached = Some(detached),
            Err(error) => {
                eprintln!("schedd: cannot detach into the background: {error}");
                return ExitCode::from(1);
            }
        }
    }
    let (log, notice) = log_settings(&flags, &file.1, sched_runas::current_euid());
    if let Some(notice) = notice {
        // Before readiness, standard error is still the terminal that
        // started `schedd --daemon`.
        eprintln!("schedd: {notice}");
    }
    init_logging(&log);
    // Still before any thread: the environment is cleaned of LISTEN_*.
    match sched_runas::inherited_listener() {
        Ok(socket) => launch.inherited_socket = socket,
        Err(error) => {
            eprintln!("schedd: {error}");
            return ExitCode::from(1);
        }
    }
    let pidfile = flags.pidfile.clone();
    let daemon = flags.daemon;
    // SIGHUP reads the same file again, under the same flags.
    let reload_flags = flags.clone();
    let reload = schedd::Reload(std::sync::Arc::new(move || {
        let (_, file) = read_config_file(reload_flags.config.as_deref(), euid)?;
        config(reload_flags.clone(), file, euid)
    }));
    let started = config(flags, file.1, euid).and_then(|mut config| {
        config.reload = Some(reload);
        // Held until the daemon ends; a second daemon is refused here.
        let _pidfile =
            match pidfile.or_else(|| daemon.then(|| default_pidfile(euid, &config.socket))) {
                Some(path) => Some(schedd::system::pidfile::Pidfile::lock(&path)?),
                None => None,
            };
        schedd::run(config, launch)
    });
    match started {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Logging to the system log, the error goes there too; before
            // readiness, standard error reaches the terminal that started
            // `schedd --daemon`.
            if log.destination != schedd::config::file::LogDestination::Stderr {
                tracing::error!("{error:#}");
            }
            eprintln!("schedd: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// /run/schedd.pid for root; beside the socket (in the user's runtime
/// directory) for anyone else.
fn default_pidfile(euid: u32, socket: &std::path::Path) -> PathBuf {
    if euid == 0 {
        PathBuf::from("/run/schedd.pid")
    } else {
        socket.with_file_name("schedd.pid")
    }
}

/// The configuration file and what it says: the one named, which must
/// exist, else the default one if it exists. A daemon run by root accepts
/// only a file owned by root and writable by no one else (it names the
/// programs and files the daemon trusts); any other daemon, only its own
/// user's.
fn read_config_file(
    named: Option<&std::path::Path>,
    euid: u32,
) -> anyhow::Result<(Option<PathBuf>, FileConfig)> {
    use std::os::unix::fs::MetadataExt;
    let (path, must_exist) = match named {
        Some(path) => (path.to_owned(), true),
        None => match default_config_path(euid) {
            Some(path) => (path, false),
            None => return Ok((None, FileConfig::default())),
        },
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok((None, FileConfig::default()));
        }
        Err(error) => anyhow::bail!("{}: {error}", path.display()),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        anyhow::bail!("{}: not a regular file", path.display());
    }
    if meta.uid() != euid {
        anyhow::bail!(
            "{}: owned by uid {}, not {}: refused (it decides what the daemon trusts)",
            path.display(),
            meta.uid(),
            if euid == 0 {
                "root".to_owned()
            } else {
                format!("uid {euid}")
            }
        );
    }
    if meta.mode() & 0o022 != 0 {
        anyhow::bail!(
            "{}: writable by its group or others (mode {:04o}): refused",
            path.display(),
            meta.mode() & 0o7777
        );
    }
    let text =
        std::io::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let config = schedd::config::file::parse(&path, &text)?;
    Ok((Some(path), config))
}

/// /etc/schedd.conf for root; `$XDG_CONFIG_HOME/schedd/schedd.conf`, else
/// `~/.config/schedd/schedd.conf`, for anyone else.
fn default_config_path(euid: u32) -> Option<PathBuf> {
    if euid == 0 {
        return Some(PathBuf::from("/etc/schedd.conf"));
    }
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))
        .map(|dir| dir.join("schedd/schedd.conf"))
}

fn config(flags: Flags, file: FileConfig, euid: u32) -> anyhow::Result<schedd::Config> {
    let (log, _) = log_settings(&flags, &file, euid);
    let env = PathEnv::from_process();
    let spool_dir = match flags.spool.or(file.spool) {
        Some(dir) => dir,
        None => paths::spool_dir(euid, &env).ok_or_else(|| {
            anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set: pass --spool DIR")
        })?,
    };
    let batch_load = flags.batch_load.or(file.batch_load).unwrap_or(1.5);
    if !(batch_load.is_finite() && batch_load > 0.0) {
        anyhow::bail!("--batch-load must be a positive number");
    }
    // The system crontabs run jobs as any user: only the system daemon
    // reads them unless told to. An empty path in the file reads none.
    let system = |given: Option<PathBuf>, in_file: Option<PathBuf>, default: &str| {
        if flags.no_system_crontabs {
            return None;
        }
        match given.or(in_file) {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(path),
            None => (euid == 0).then(|| PathBuf::from(default)),
        }
    };
    let mut system_crontab = system(flags.system_crontab, file.system_crontab, "/etc/crontab");
    let mut cron_dir = system(flags.cron_dir, file.cron_dir, "/etc/cron.d");
    use schedd::config::file::SystemCrontabs;
    let wanted = match (flags.system_crontabs, file.system_crontabs) {
        (true, _) => SystemCrontabs::Always,
        (false, Some(setting)) => setting,
        (false, None) => SystemCrontabs::Auto,
    };
    if wanted == SystemCrontabs::Never {
        (system_crontab, cron_dir) = (None, None);
    }
    // Beside another cron daemon, the system crontabs are its to run: as
    // root, loading them too would run each of their jobs twice.
    if wanted == SystemCrontabs::Auto
        && euid == 0
        && (system_crontab.is_some() || cron_dir.is_some())
        && let Some(other) = schedd::neighbours::find(&flags.other_cron_root, 0)
    {
        let message = format!(
            "another cron daemon runs on this host: {other}. The system crontabs ({}) are left to it and not loaded, so that their jobs do not run twice; users' crontabs and at jobs are served. Stop that daemon, or start schedd with --system-crontabs (system_crontabs = true) to load them anyway",
            [&system_crontab, &cron_dir]
                .into_iter()
                .flatten()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        eprintln!("schedd: warning: {message}");
        tracing::warn!("{message}");
        (system_crontab, cron_dir) = (None, None);
    }
    let list = |flag: Option<PathBuf>, in_file: Option<PathBuf>, default: &str| {
        flag.or(in_file).unwrap_or_else(|| PathBuf::from(default))
    };
    // A user's own daemon serves only that user: no lists apply.
    let access = (euid == 0).then_some(schedd::access::Access {
        at: schedd::access::Lists {
            allow: list(flags.at_allow, file.at_allow, "/etc/at.allow"),
            deny: list(flags.at_deny, file.at_deny, "/etc/at.deny"),
            others_without_lists: false,
        },
        cron: schedd::access::Lists {
            allow: list(flags.cron_allow, file.cron_allow, "/etc/cron.allow"),
            deny: list(flags.cron_deny, file.cron_deny, "/etc/cron.deny"),
            others_without_lists: true,
        },
    });
    Ok(schedd::Config {
        reload: None,
        log,
        access,
        system_crontab,
        cron_dir,
        boot_id_file: flags.boot_id_file,
        sendmail: list(flags.sendmail, file.sendmail, "/usr/sbin/sendmail"),
        socket: flags
            .socket
            .or(file.socket)
            .unwrap_or_else(|| paths::user_socket(euid, &env)),
        spool_dir,
        mock_clock: flags.mock_clock,
        output_limit: flags
            .output_limit
            .or(file.output_limit)
            .unwrap_or(256 * 1024),
        cron_runs_kept: file
            .cron_runs_kept
            .unwrap_or(sched_spool::DEFAULT_CRON_RUNS_KEPT),
        batch_load_limit: batch_load,
        batch_interval_seconds: flags.batch_interval.or(file.batch_interval).unwrap_or(60),
        loadavg_file: flags.loadavg_file,
        stop_jobs_on_exit: flags.stop_jobs_on_exit || file.stop_jobs_on_exit.unwrap_or(false),
        io_timeout: std::time::Duration::from_millis(flags.io_timeout_ms.max(1)),
    })
}

/// How to log: flags first, then the file; the system log by default in
/// the background (whose standard error is /dev/null). Where the system
/// log is wanted but there is none (a container without a log daemon),
/// the log file, said on the terminal: log lines are never dropped.
/// The second value is what to tell the terminal about it.
fn log_settings(
    flags: &Flags,
    file: &FileConfig,
    euid: u32,
) -> (schedd::config::file::LogSettings, Option<String>) {
    use schedd::config::file::{LogDestination, LogFormat, LogTarget};
    let log_file = || {
        flags
            .log_file
            .clone()
            .or_else(|| file.log_file.clone())
            .unwrap_or_else(|| default_log_file(euid))
    };
    let target = flags.log_target.or(file.log_target);
    let mut notice = None;
    let destination = match target {
        Some(LogTarget::File) => LogDestination::File(log_file()),
        Some(LogTarget::Stderr) => LogDestination::Stderr,
        None if !flags.daemon => LogDestination::Stderr,
        Some(LogTarget::Syslog) | None => {
            let socket = flags.syslog_socket.clone();
            let reachable = std::os::unix::net::UnixDatagram::unbound()
                .and_then(|probe| probe.connect(&socket));
            match reachable {
                Ok(()) => LogDestination::Syslog(socket),
                Err(error) => {
                    let path = log_file();
                    notice = Some(format!(
                        "no system log at {} ({error}): log lines go to {}",
                        socket.display(),
                        path.display()
                    ));
                    LogDestination::File(path)
                }
            }
        }
    };
    let settings = schedd::config::file::LogSettings {
        level: file.log_level,
        json: flags.log_format.or(file.log_format) == Some(LogFormat::Json),
        destination,
    };
    (settings, notice)
}

/// /var/log/schedd.log for root; the user's state directory otherwise.
fn default_log_file(euid: u32) -> PathBuf {
    if euid == 0 {
        return PathBuf::from("/var/log/schedd.log");
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("schedd/schedd.log")
}

fn init_logging(log: &schedd::config::file::LogSettings) {
    use schedd::config::file::LogDestination;
    use tracing_subscriber::filter::LevelFilter;
    // A level, not per-module directives: the directive parser brings a
    // regex engine, a megabyte of code resident in every daemon.
    let level = std::env::var("SCHEDD_LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .or(log.level.map(|level| match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }))
        .unwrap_or(LevelFilter::INFO);
    let file = match &log.destination {
        LogDestination::File(path) => match open_log_file(path) {
            Ok(file) => Some(std::sync::Mutex::new(file)),
            Err(error) => {
                eprintln!(
                    "schedd: cannot open the log file {}: {error}; logging to standard error",
                    path.display()
                );
                None
            }
        },
        _ => None,
    };
    let syslog = match &log.destination {
        LogDestination::Syslog(socket) => Some(schedd::system::syslog::Syslog::connect(socket)),
        _ => None,
    };
    if log.json {
        let builder = tracing_subscriber::fmt()
            .json()
            .with_max_level(level)
            .with_current_span(false)
            .flatten_event(true);
        match (syslog, file) {
            (Some(syslog), _) => builder.with_writer(syslog).init(),
            (None, Some(file)) => builder.with_writer(file).init(),
            (None, None) => builder.with_writer(std::io::stderr).init(),
        }
    } else if let Some(syslog) = syslog {
        // The system log stamps the time and keeps the severity itself.
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_writer(syslog)
            .init();
    } else if let Some(file) = file {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(file)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    }
}

/// The log file, appended to; its directory is made if missing. Readable
/// by the daemon's user and group only: job commands and user names are
/// in it.
fn open_log_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(path)
}
