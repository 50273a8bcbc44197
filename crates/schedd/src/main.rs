//! `schedd`: flags to a [`schedd::Config`], logging, and the exit status.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use jiff::Timestamp;
use sched_proto::paths::{self, PathEnv};

#[derive(Debug, Parser)]
#[command(
    name = "schedd",
    version,
    about = "The schedd cron and at daemon",
    after_help = "\
Defaults: as root, the socket is /run/schedd/schedd.sock and the spool
/var/spool/schedd; as any other user, $XDG_RUNTIME_DIR/schedd.sock (else
/tmp/schedd-UID/schedd.sock) and $XDG_DATA_HOME/schedd (else
~/.local/share/schedd), and the daemon runs only that user's jobs.

Logs go to standard error; SCHEDD_LOG sets the level (error, warn, info,
debug, trace; default info).

Example:
  schedd &
  sched at 'now + 1 min' 'date > /tmp/hello'"
)]
struct Flags {
    /// The Unix socket to listen on
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// The spool directory (database and output of running jobs)
    #[arg(long, value_name = "DIR")]
    spool: Option<PathBuf>,
    /// Bytes of each run's output to keep (the first and last half of
    /// longer output)
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024)]
    output_limit: u64,
    /// Start batch jobs only while the 1-minute load average is below this
    #[arg(long, value_name = "LOAD", default_value_t = 1.5)]
    batch_load: f64,
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
    #[arg(long, conflicts_with_all = ["system_crontab", "cron_dir"])]
    no_system_crontabs: bool,
    /// The mailer for cron jobs' output; when missing, nothing is mailed
    #[arg(long, value_name = "PATH", default_value = "/usr/sbin/sendmail")]
    sendmail: PathBuf,
    /// The file naming the current boot, for @reboot entries
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/proc/sys/kernel/random/boot_id",
        hide = true
    )]
    boot_id_file: PathBuf,
    /// Who may use at and batch: the users listed here, if it exists
    #[arg(long, value_name = "FILE", default_value = "/etc/at.allow")]
    at_allow: PathBuf,
    /// Else everyone but the users listed here; with neither file, only
    /// root
    #[arg(long, value_name = "FILE", default_value = "/etc/at.deny")]
    at_deny: PathBuf,
    /// Who may use crontab: the users listed here, if it exists
    #[arg(long, value_name = "FILE", default_value = "/etc/cron.allow")]
    cron_allow: PathBuf,
    /// Else everyone but the users listed here; with neither file, everyone
    #[arg(long, value_name = "FILE", default_value = "/etc/cron.deny")]
    cron_deny: PathBuf,
    /// TESTS ONLY: run on a mock clock starting at this instant
    /// (2026-03-08T00:00:00Z); only the uid running the daemon can move it
    #[arg(long, value_name = "INSTANT", hide = true)]
    mock_clock: Option<Timestamp>,
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    init_logging();
    match config(flags).and_then(schedd::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("schedd: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn config(flags: Flags) -> anyhow::Result<schedd::Config> {
    let euid = sched_runas::current_euid();
    let env = PathEnv::from_process();
    let spool_dir = match flags.spool {
        Some(dir) => dir,
        None => paths::spool_dir(euid, &env).ok_or_else(|| {
            anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set: pass --spool DIR")
        })?,
    };
    if flags.batch_load.is_nan() || flags.batch_load <= 0.0 {
        anyhow::bail!("--batch-load must be a positive number");
    }
    // The system crontabs run jobs as any user: only the system daemon
    // reads them unless told to.
    let system = |given: Option<PathBuf>, default: &str| {
        if flags.no_system_crontabs {
            None
        } else {
            given.or_else(|| (euid == 0).then(|| PathBuf::from(default)))
        }
    };
    let system_crontab = system(flags.system_crontab, "/etc/crontab");
    let cron_dir = system(flags.cron_dir, "/etc/cron.d");
    // A user's own daemon serves only that user: no lists apply.
    let access = (euid == 0).then_some(schedd::access::Access {
        at: schedd::access::Lists {
            allow: flags.at_allow,
            deny: flags.at_deny,
            others_without_lists: false,
        },
        cron: schedd::access::Lists {
            allow: flags.cron_allow,
            deny: flags.cron_deny,
            others_without_lists: true,
        },
    });
    Ok(schedd::Config {
        access,
        system_crontab,
        cron_dir,
        boot_id_file: flags.boot_id_file,
        sendmail: flags.sendmail,
        socket: flags
            .socket
            .unwrap_or_else(|| paths::user_socket(euid, &env)),
        spool_dir,
        mock_clock: flags.mock_clock,
        output_limit: flags.output_limit,
        batch_load_limit: flags.batch_load,
        io_timeout: std::time::Duration::from_millis(flags.io_timeout_ms.max(1)),
    })
}

fn init_logging() {
    // A level, not per-module directives: the directive parser brings a
    // regex engine, a megabyte of code resident in every daemon.
    let level = std::env::var("SCHEDD_LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}
