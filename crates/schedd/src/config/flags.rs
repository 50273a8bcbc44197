//! The daemon's command line: what `schedd --help` shows, and the values
//! `config::resolve` merges with the configuration file.

use std::path::PathBuf;

use clap::Parser;
use jiff::Timestamp;

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
pub struct Flags {
    /// The configuration file [default: /etc/schedd.conf as root, else
    /// the user's]; one named here must exist
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Check the configuration file and exit: 0 when it is valid
    #[arg(long)]
    pub check_config: bool,
    /// Write a manual page (schedd(8), schedd.conf(5)) or a completion
    /// script to standard output and exit
    #[arg(long, value_enum, value_name = "WHAT", hide = true)]
    pub generate: Option<Generated>,
    /// Run in the background: detach from the terminal and session, log to
    /// the system log, hold the pidfile; returns once the daemon serves
    #[arg(long)]
    pub daemon: bool,
    /// Where log lines go [default: stderr; syslog with --daemon, or
    /// --log-file when there is no /dev/log]
    #[arg(long, value_name = "TARGET")]
    pub log_target: Option<super::file::LogTarget>,
    /// The log file, for --log-target file and when the system log is
    /// missing [default: /var/log/schedd.log as root, else
    /// $XDG_STATE_HOME/schedd/schedd.log]
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// TESTS ONLY: the system log's socket
    #[arg(long, value_name = "PATH", default_value = "/dev/log", hide = true)]
    pub syslog_socket: PathBuf,
    /// How log lines are written [default: text]
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<super::file::LogFormat>,
    /// The pidfile held (locked) while the daemon runs [default with
    /// --daemon: /run/schedd.pid as root, else beside the socket]
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// The Unix socket to listen on
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// The spool: a directory (SQLite database and output of running
    /// jobs), or the URL of a PostgreSQL database shared by a fleet of
    /// hosts (postgresql://USER@HOST/DB?sslmode=verify-full; a password
    /// belongs in schedd.conf, not on the command line)
    #[arg(long, value_name = "DIR|URL")]
    pub spool: Option<PathBuf>,
    /// With a PostgreSQL spool: the local directory of running jobs'
    /// output [default: the default spool directory]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// With a PostgreSQL spool: this host's name in the fleet [default:
    /// the host name]
    #[arg(long, value_name = "NAME")]
    pub host_name: Option<String>,
    /// With a PostgreSQL spool: how long this host's lease lasts unless
    /// renewed (renewed every third of it); other hosts take its work
    /// over once it runs out [default: 6s]
    #[arg(long, value_name = "DURATION", value_parser = parse_lease)]
    pub lease: Option<std::time::Duration>,
    /// Serve the metrics over HTTP at [ADDR:]PORT (ADDR defaults to
    /// 127.0.0.1); off by default
    #[arg(long, value_name = "[ADDR:]PORT", value_parser = parse_metrics_listen)]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Bytes of each run's output to keep (the first and last half of
    /// longer output)
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub output_limit: Option<u64>,
    /// Start batch jobs only while the 1-minute load average is below this
    #[arg(long, value_name = "LOAD")]
    pub batch_load: Option<f64>,
    /// Start at most one batch job per this many seconds [default: 60]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_interval: Option<u32>,
    /// Stop running jobs (SIGTERM) when the daemon stops, instead of
    /// leaving them running as cron does
    #[arg(long)]
    pub stop_jobs_on_exit: bool,
    /// TESTS ONLY: read the load average from this file
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/proc/loadavg",
        hide = true
    )]
    pub loadavg_file: PathBuf,
    /// Milliseconds a client may take to send a request it has begun, or
    /// to read a reply
    #[arg(long, value_name = "MS", default_value_t = 10_000, hide = true)]
    pub io_timeout_ms: u64,
    /// The system crontab [default: /etc/crontab as root, none otherwise]
    #[arg(long, value_name = "FILE")]
    pub system_crontab: Option<PathBuf>,
    /// The directory of package crontabs [default: /etc/cron.d as root,
    /// none otherwise]
    #[arg(long, value_name = "DIR")]
    pub cron_dir: Option<PathBuf>,
    /// Read no system crontab, even as root
    #[arg(long, conflicts_with_all = ["system_crontab", "cron_dir", "system_crontabs"])]
    pub no_system_crontabs: bool,
    /// Read the system crontabs even when another cron daemon (cron,
    /// crond, cronie, fcron) runs: by default they are left to it, so that
    /// no system job runs twice
    #[arg(long)]
    pub system_crontabs: bool,
    /// TESTS ONLY: the root under which other cron daemons are looked for
    /// (its proc/ and run/ directories)
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub other_cron_root: PathBuf,
    /// The mailer for cron jobs' output; when missing, nothing is mailed
    #[arg(long, value_name = "PATH")]
    pub sendmail: Option<PathBuf>,
    /// The file naming the current boot, for @reboot entries
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/proc/sys/kernel/random/boot_id",
        hide = true
    )]
    pub boot_id_file: PathBuf,
    /// Who may use at and batch: the users listed here, if it exists
    #[arg(long, value_name = "FILE")]
    pub at_allow: Option<PathBuf>,
    /// Else everyone but the users listed here; with neither file, only
    /// root
    #[arg(long, value_name = "FILE")]
    pub at_deny: Option<PathBuf>,
    /// Who may use crontab: the users listed here, if it exists
    #[arg(long, value_name = "FILE")]
    pub cron_allow: Option<PathBuf>,
    /// Else everyone but the users listed here; with neither file, everyone
    #[arg(long, value_name = "FILE")]
    pub cron_deny: Option<PathBuf>,
    /// TESTS ONLY: run on a mock clock starting at this instant
    /// (2026-03-08T00:00:00Z); only the uid running the daemon can move it
    #[arg(long, value_name = "INSTANT", hide = true)]
    pub mock_clock: Option<Timestamp>,
}

/// What `schedd --generate` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Generated {
    Man,
    ConfMan,
    Bash,
    Zsh,
    Fish,
}

impl Flags {
    /// Makes every path flag absolute against the working directory: a
    /// daemon works in `/`, where `--spool spool` would mean `/spool`.
    pub fn make_absolute(&mut self) -> std::io::Result<()> {
        let absolute = |path: &mut PathBuf| -> std::io::Result<()> {
            if !path.as_os_str().is_empty() {
                *path = std::path::absolute(&*path)?;
            }
            Ok(())
        };
        for path in [
            &mut self.config,
            &mut self.socket,
            &mut self.state_dir,
            &mut self.system_crontab,
            &mut self.cron_dir,
            &mut self.sendmail,
            &mut self.at_allow,
            &mut self.at_deny,
            &mut self.cron_allow,
            &mut self.cron_deny,
            &mut self.pidfile,
        ]
        .into_iter()
        .flatten()
        {
            absolute(path)?;
        }
        if let Some(spool) = &mut self.spool
            && super::spool::DatabaseUrl::of_path(spool).is_none()
        {
            absolute(spool)?;
        }
        absolute(&mut self.loadavg_file)?;
        absolute(&mut self.boot_id_file)
    }
}

/// Where the metrics are served: `PORT` (on the loopback address) or
/// `ADDR:PORT`.
pub fn parse_metrics_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        format!(
            "{text:?} is not where to serve the metrics: expected a port (9469) or an address and port (127.0.0.1:9469, [::1]:9469)"
        )
    })
}

/// A lease: a duration in the words of job policies (`6s`, `1m`), from
/// one second to an hour.
pub fn parse_lease(text: &str) -> Result<std::time::Duration, String> {
    let lease = sched_cron::policy::parse_duration(text)
        .map_err(|error| format!("{} (expected a duration such as 6s)", error.message))?;
    if lease < std::time::Duration::from_secs(1) || lease > std::time::Duration::from_secs(3600) {
        return Err(format!("a lease of {text} is out of range: from 1s to 1h"));
    }
    Ok(lease)
}
