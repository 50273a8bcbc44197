//! `schedd`: flags and the configuration file to a [`schedd::Config`]
//! (`schedd::config::resolve`), logging, and the exit status
//! ([`DaemonError::exit_status`], sysexits.h).

use std::process::ExitCode;

use clap::Parser;
use schedd::config::file::LogLevel;
use schedd::config::flags::{Flags, Generated};
use schedd::config::{Environment, load, resolve};
use schedd::error::DaemonError;

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

fn main() -> ExitCode {
    sched_runas::keep_large_blocks_mapped();
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => ExitCode::from(error.exit_status()),
    }
}

/// Says `error` on standard error (and in the log once logging runs) and
/// passes it on.
fn report(error: DaemonError, logging: bool) -> DaemonError {
    // Logging to the system log, the error goes there too; before
    // readiness, standard error reaches the terminal that started
    // `schedd --daemon`.
    if logging {
        tracing::error!("{error}");
    }
    eprintln!("schedd: {error}");
    error
}

/// [`report`]s `error`, and tells the process waiting for a detached
/// daemon to exit with the same status.
fn fail(launch: &mut schedd::Launch, error: DaemonError, logging: bool) -> DaemonError {
    let error = report(error, logging);
    if let Some(detached) = launch.detached.take() {
        detached.failed(error.exit_status());
    }
    error
}

fn start() -> Result<(), DaemonError> {
    let mut flags = Flags::parse();
    if flags.daemon
        && let Err(error) = flags.make_absolute()
    {
        let error = anyhow::anyhow!("cannot make the paths given absolute: {error}");
        return Err(report(DaemonError::System(error), false));
    }
    if let Some(what) = flags.generate {
        return match generate(what) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(error) => Err(report(DaemonError::Files(error.into()), false)),
        };
    }
    let euid = sched_runas::current_euid();
    let (path, file) = load::read_file(flags.config.as_deref(), euid)
        .map_err(|error| report(DaemonError::Config(error), false))?;
    if flags.check_config {
        match path {
            Some(path) => println!("{}: valid", path.display()),
            None => println!("no configuration file: the built-in defaults apply"),
        }
        return Ok(());
    }
    let mut launch = schedd::Launch::default();
    if flags.daemon {
        // SAFETY: no thread but this one exists yet: the async runtime is
        // built later, in `run`, and nothing before here starts a thread.
        #[allow(unsafe_code)]
        let detached = unsafe { sched_runas::detach() };
        match detached {
            Ok(detached) => launch.detached = Some(detached),
            Err(error) => {
                let error = anyhow::anyhow!("cannot detach into the background: {error}");
                return Err(report(DaemonError::System(error), false));
            }
        }
    }
    let resolved = resolve(&flags, &file, &Environment::of_process(euid))
        .map_err(|error| fail(&mut launch, DaemonError::Config(error), false))?;
    if let Some(notice) = &resolved.log_notice {
        // Before readiness, standard error is still the terminal that
        // started `schedd --daemon`.
        eprintln!("schedd: {notice}");
    }
    let mut config = resolved.config;
    init_logging(&config.log);
    let logging = config.log.destination != schedd::config::file::LogDestination::Stderr;
    for warning in &resolved.warnings {
        eprintln!("schedd: warning: {warning}");
        tracing::warn!("{warning}");
    }
    // SAFETY: still no thread but this one (the fmt logger writes from the
    // calling thread; the runtime comes later): the environment is
    // cleaned of LISTEN_* with no one reading it.
    #[allow(unsafe_code)]
    let inherited = unsafe { sched_runas::inherited_listener() };
    match inherited {
        Ok(socket) => launch.inherited_socket = socket,
        Err(error) => {
            return Err(fail(
                &mut launch,
                DaemonError::System(error.into()),
                logging,
            ));
        }
    }
    // SIGHUP reads the same file again, under the same flags.
    let reload_flags = flags.clone();
    config.reload = Some(schedd::Reload(std::sync::Arc::new(move || {
        let (_, file) = load::read_file(reload_flags.config.as_deref(), euid)?;
        let resolved = resolve(&reload_flags, &file, &Environment::of_process(euid))?;
        for warning in &resolved.warnings {
            tracing::warn!("{warning}");
        }
        Ok(resolved.config)
    })));
    // Held until the daemon ends; a second daemon is refused here.
    let pidfile = flags.pidfile.clone().or_else(|| {
        flags
            .daemon
            .then(|| load::default_pidfile(euid, &config.socket))
    });
    let _pidfile = match pidfile {
        Some(path) => {
            let locked = schedd::system::pidfile::Pidfile::lock(&path);
            Some(locked.map_err(|error| fail(&mut launch, error, logging))?)
        }
        None => None,
    };
    schedd::run(config, &mut launch).map_err(|error| fail(&mut launch, error, logging))
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
