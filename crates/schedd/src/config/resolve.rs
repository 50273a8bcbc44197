//! [`resolve`]: flags, the configuration file and the environment to one
//! [`Config`], as a pure function. A flag given replaces the file's value,
//! which replaces the built-in default; what depends on the machine (the
//! environment's directories, whether the system log is there, whether
//! another cron daemon runs) comes in through [`Environment`], so that
//! every rule is tested in a table below.

use sched_cron::policy::Policy;
use std::path::{Path, PathBuf};

use sched_proto::paths::{self, PathEnv};

use super::file::{FileConfig, LogDestination, LogFormat, LogSettings, LogTarget, SystemCrontabs};
use super::flags::Flags;
use super::{Config, Live, access};

/// Bytes of each run's output kept unless configured.
pub const DEFAULT_OUTPUT_LIMIT: u64 = 256 * 1024;
/// atd's default load limit for batch jobs.
pub const DEFAULT_BATCH_LOAD: f64 = 1.5;
/// atd's default least time between two batch jobs, in seconds.
pub const DEFAULT_BATCH_INTERVAL: u32 = 60;

/// What resolving needs to know of the machine besides flags and file.
pub struct Environment<'a> {
    /// The daemon's effective uid: root runs the system daemon.
    pub euid: u32,
    /// XDG directories and HOME, for a user's daemon's defaults.
    pub paths: PathEnv,
    /// The log file when none is configured.
    pub default_log_file: PathBuf,
    /// Another cron daemon found running under this root directory, named
    /// for the log; asked only when the system crontabs would otherwise be
    /// read automatically.
    pub other_cron: &'a dyn Fn(&Path) -> Option<String>,
    /// Whether the system log's socket takes a connection (`Err`: why
    /// not); asked only when logging would go there.
    pub syslog: &'a dyn Fn(&Path) -> Result<(), String>,
    /// The machine's host name: its name in a fleet unless configured.
    pub host_name: String,
}

impl std::fmt::Debug for Environment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("euid", &self.euid)
            .field("paths", &self.paths)
            .field("default_log_file", &self.default_log_file)
            .field("host_name", &self.host_name)
            .finish_non_exhaustive()
    }
}

impl Environment<'_> {
    /// This process's environment and machine.
    pub fn of_process(euid: u32) -> Environment<'static> {
        Environment {
            euid,
            paths: PathEnv::from_process(),
            default_log_file: default_log_file(euid),
            other_cron: &|root| {
                crate::system::neighbours::find(root, 0).map(|other| other.to_string())
            },
            syslog: &|socket| {
                std::os::unix::net::UnixDatagram::unbound()
                    .and_then(|probe| probe.connect(socket))
                    .map_err(|error| error.to_string())
            },
            host_name: nix::unistd::gethostname()
                .ok()
                .and_then(|name| name.into_string().ok())
                .unwrap_or_default(),
        }
    }
}

/// A configuration, and what to tell the terminal and the log about it.
#[derive(Debug)]
pub struct Resolved {
    pub config: Config,
    /// Said on the terminal before logging starts (where log lines go when
    /// the system log is missing).
    pub log_notice: Option<String>,
    /// Said on the terminal and logged once logging starts.
    pub warnings: Vec<String>,
}

/// The configuration `flags` and `file` give on `env`'s machine. An
/// invalid combination is an error naming the setting.
pub fn resolve(flags: &Flags, file: &FileConfig, env: &Environment) -> anyhow::Result<Resolved> {
    let euid = env.euid;
    let (log, log_notice) = log_settings(flags, file, env);
    let (spool_dir, fleet) = spool(flags, file, env)?;
    let batch_load = flags
        .batch_load
        .or(file.batch_load)
        .unwrap_or(DEFAULT_BATCH_LOAD);
    if !(batch_load.is_finite() && batch_load > 0.0) {
        anyhow::bail!("--batch-load must be a positive number");
    }
    let mut warnings = Vec::new();
    let (system_crontab, cron_dir) = system_crontabs(flags, file, env, &mut warnings);
    let list = |flag: &Option<PathBuf>, in_file: &Option<PathBuf>, default: &str| {
        flag.clone()
            .or_else(|| in_file.clone())
            .unwrap_or_else(|| PathBuf::from(default))
    };
    // A user's own daemon serves only that user: no lists apply.
    let access = (euid == 0).then(|| access::Access {
        at: access::Lists {
            allow: list(&flags.at_allow, &file.at_allow, "/etc/at.allow"),
            deny: list(&flags.at_deny, &file.at_deny, "/etc/at.deny"),
            others_without_lists: false,
        },
        cron: access::Lists {
            allow: list(&flags.cron_allow, &file.cron_allow, "/etc/cron.allow"),
            deny: list(&flags.cron_deny, &file.cron_deny, "/etc/cron.deny"),
            others_without_lists: true,
        },
    });
    let config = Config {
        socket: flags
            .socket
            .clone()
            .or_else(|| file.socket.clone())
            .unwrap_or_else(|| paths::user_socket(euid, &env.paths)),
        spool_dir,
        fleet,
        mock_clock: flags.mock_clock,
        stop_jobs_on_exit: flags.stop_jobs_on_exit || file.stop_jobs_on_exit.unwrap_or(false),
        loadavg_file: flags.loadavg_file.clone(),
        io_timeout: std::time::Duration::from_millis(flags.io_timeout_ms.max(1)),
        system_crontab,
        cron_dir,
        boot_id_file: flags.boot_id_file.clone(),
        metrics_listen: match flags.metrics_listen {
            Some(listen) => Some(listen),
            None => file
                .metrics_listen
                .as_deref()
                .filter(|text| !text.trim().is_empty())
                .map(super::flags::parse_metrics_listen)
                .transpose()
                .map_err(|why| anyhow::anyhow!("metrics_listen: {why}"))?,
        },
        metrics_textfile: file
            .metrics_textfile
            .clone()
            .filter(|path| !path.as_os_str().is_empty()),
        log,
        reload: None,
        live: Live {
            output_limit: flags
                .output_limit
                .or(file.output_limit)
                .unwrap_or(DEFAULT_OUTPUT_LIMIT),
            cron_runs_kept: file
                .cron_runs_kept
                .unwrap_or(sched_spool::DEFAULT_CRON_RUNS_KEPT),
            batch_load_limit: batch_load,
            batch_interval_seconds: flags
                .batch_interval
                .or(file.batch_interval)
                .unwrap_or(DEFAULT_BATCH_INTERVAL),
            sendmail: list(&flags.sendmail, &file.sendmail, "/usr/sbin/sendmail"),
            access,
            policy: file
                .policy
                .map(|written| written.0.over(&Policy::default()))
                .unwrap_or_default(),
            on_failure: file
                .on_failure
                .clone()
                .filter(|command| !command.trim().is_empty()),
            metrics_entries: file.metrics_entries.unwrap_or(0),
        },
    };
    Ok(Resolved {
        config,
        log_notice,
        warnings,
    })
}

/// The local spool directory, and the shared spool if the spool is one.
fn spool(
    flags: &Flags,
    file: &FileConfig,
    env: &Environment,
) -> anyhow::Result<(PathBuf, Option<super::spool::FleetSettings>)> {
    use super::spool::{DEFAULT_LEASE, DatabaseUrl, FleetSettings};
    let default_dir = || {
        paths::spool_dir(env.euid, &env.paths).ok_or_else(|| {
            anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set: pass --spool DIR")
        })
    };
    let (setting, on_command_line) = match (&flags.spool, &file.spool) {
        (Some(flag), _) => (Some(flag), true),
        (None, in_file) => (in_file.as_ref(), false),
    };
    let url = match setting.map(|path| DatabaseUrl::of_path(path)) {
        Some(Some(url)) => url.map_err(|why| anyhow::anyhow!("--spool: {why}"))?,
        Some(None) | None => {
            if flags.host_name.is_some() || flags.lease.is_some() || flags.state_dir.is_some() {
                anyhow::bail!(
                    "--host-name, --lease and --state-dir apply to a PostgreSQL spool only (--spool postgresql://...)"
                );
            }
            let dir = match setting {
                Some(dir) => dir.clone(),
                None => default_dir()?,
            };
            return Ok((dir, None));
        }
    };
    if on_command_line && url.has_password() {
        anyhow::bail!(
            "--spool {url}: a password on the command line is visible to every user of the host (ps); write the URL in schedd.conf (readable by the daemon's user only) instead"
        );
    }
    let host_name = flags
        .host_name
        .clone()
        .or_else(|| file.host_name.clone().filter(|name| !name.is_empty()))
        .unwrap_or_else(|| env.host_name.clone());
    super::file::check_host_name(&host_name)
        .map_err(|why| anyhow::anyhow!("{why}: set host_name in schedd.conf or --host-name"))?;
    let dir = match flags.state_dir.clone().or_else(|| file.state_dir.clone()) {
        Some(dir) => dir,
        None => default_dir()?,
    };
    Ok((
        dir,
        Some(FleetSettings {
            url,
            host_name,
            lease: flags
                .lease
                .or(file.lease.map(|lease| lease.0))
                .unwrap_or(DEFAULT_LEASE),
        }),
    ))
}

/// The system crontab and the directory of package crontabs the daemon
/// reads: the system daemon's by default, a user's daemon's only when
/// told; an empty path reads none. Beside another cron daemon, as root,
/// they are its to run (loading them too would run each job twice) unless
/// the configuration says to read them anyway.
fn system_crontabs(
    flags: &Flags,
    file: &FileConfig,
    env: &Environment,
    warnings: &mut Vec<String>,
) -> (Option<PathBuf>, Option<PathBuf>) {
    let euid = env.euid;
    let wanted = match (flags.system_crontabs, file.system_crontabs) {
        (true, _) => SystemCrontabs::Always,
        (false, Some(setting)) => setting,
        (false, None) => SystemCrontabs::Auto,
    };
    if flags.no_system_crontabs || wanted == SystemCrontabs::Never {
        return (None, None);
    }
    let path = |given: &Option<PathBuf>, in_file: &Option<PathBuf>, default: &str| match given
        .clone()
        .or_else(|| in_file.clone())
    {
        Some(path) if path.as_os_str().is_empty() => None,
        Some(path) => Some(path),
        None => (euid == 0).then(|| PathBuf::from(default)),
    };
    let crontab = path(&flags.system_crontab, &file.system_crontab, "/etc/crontab");
    let dir = path(&flags.cron_dir, &file.cron_dir, "/etc/cron.d");
    if wanted == SystemCrontabs::Auto
        && euid == 0
        && (crontab.is_some() || dir.is_some())
        && let Some(other) = (env.other_cron)(&flags.other_cron_root)
    {
        warnings.push(format!(
            "another cron daemon runs on this host: {other}. The system crontabs ({}) are left to it and not loaded, so that their jobs do not run twice; users' crontabs and at jobs are served. Stop that daemon, or start schedd with --system-crontabs (system_crontabs = true) to load them anyway",
            [&crontab, &dir]
                .into_iter()
                .flatten()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return (None, None);
    }
    (crontab, dir)
}

/// How to log: flags first, then the file; the system log by default in
/// the background (whose standard error is /dev/null). Where the system
/// log is wanted but there is none (a container without a log daemon),
/// the log file, said on the terminal: log lines are never dropped.
fn log_settings(
    flags: &Flags,
    file: &FileConfig,
    env: &Environment,
) -> (LogSettings, Option<String>) {
    let log_file = || {
        flags
            .log_file
            .clone()
            .or_else(|| file.log_file.clone())
            .unwrap_or_else(|| env.default_log_file.clone())
    };
    let mut notice = None;
    let destination = match flags.log_target.or(file.log_target) {
        Some(LogTarget::File) => LogDestination::File(log_file()),
        Some(LogTarget::Stderr) => LogDestination::Stderr,
        None if !flags.daemon => LogDestination::Stderr,
        Some(LogTarget::Syslog) | None => {
            let socket = flags.syslog_socket.clone();
            match (env.syslog)(&socket) {
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
    let settings = LogSettings {
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn flags(args: &[&str]) -> Flags {
        Flags::try_parse_from(std::iter::once("schedd").chain(args.iter().copied())).unwrap()
    }

    fn file(text: &str) -> FileConfig {
        super::super::file::parse(Path::new("/etc/schedd.conf"), text).unwrap()
    }

    /// A machine: `euid`, a user's XDG directories, no other cron daemon
    /// and a system log unless said otherwise.
    fn machine(euid: u32) -> Environment<'static> {
        Environment {
            euid,
            paths: PathEnv {
                xdg_runtime_dir: Some("/run/user/1000".into()),
                xdg_data_home: Some("/home/u/.local/share".into()),
                home: Some("/home/u".into()),
            },
            default_log_file: PathBuf::from("/home/u/.local/state/schedd/schedd.log"),
            other_cron: &|_| None,
            syslog: &|_| Ok(()),
            host_name: "node1".to_owned(),
        }
    }

    fn resolved(args: &[&str], text: &str, env: &Environment) -> Resolved {
        resolve(&flags(args), &file(text), env).unwrap()
    }

    #[test]
    fn root_gets_the_system_defaults_and_a_user_their_own() {
        let root = resolved(&[], "", &machine(0)).config;
        assert_eq!(root.socket, PathBuf::from("/run/schedd/schedd.sock"));
        assert_eq!(root.spool_dir, PathBuf::from("/var/spool/schedd"));
        assert_eq!(root.system_crontab, Some(PathBuf::from("/etc/crontab")));
        assert_eq!(root.cron_dir, Some(PathBuf::from("/etc/cron.d")));
        let access = root.live.access.clone().unwrap();
        assert_eq!(access.at.allow, PathBuf::from("/etc/at.allow"));
        assert_eq!(access.cron.deny, PathBuf::from("/etc/cron.deny"));
        assert!(!access.at.others_without_lists && access.cron.others_without_lists);
        assert_eq!(
            (
                root.live.output_limit,
                root.live.batch_load_limit,
                root.live.batch_interval_seconds,
                root.live.cron_runs_kept
            ),
            (256 * 1024, 1.5, 60, sched_spool::DEFAULT_CRON_RUNS_KEPT)
        );
        assert_eq!(root.live.sendmail, PathBuf::from("/usr/sbin/sendmail"));
        assert_eq!(root.log.destination, LogDestination::Stderr);
        assert!(!root.stop_jobs_on_exit);

        let user = resolved(&[], "", &machine(1000)).config;
        assert_eq!(user.socket, PathBuf::from("/run/user/1000/schedd.sock"));
        assert_eq!(user.spool_dir, PathBuf::from("/home/u/.local/share/schedd"));
        assert_eq!((user.system_crontab, user.cron_dir), (None, None));
        assert!(
            user.live.access.is_none(),
            "a user's daemon serves that user only"
        );
    }

    #[test]
    fn a_flag_beats_the_file_which_beats_the_default() {
        let env = machine(0);
        // (flags, file, output limit, batch interval, socket)
        let table: &[(&[&str], &str, u64, u32, &str)] = &[
            (&[], "", 256 * 1024, 60, "/run/schedd/schedd.sock"),
            (
                &[],
                "output_limit = 2048\nbatch_interval = 5\nsocket = \"/s/file.sock\"\n",
                2048,
                5,
                "/s/file.sock",
            ),
            (
                &[
                    "--output-limit",
                    "1024",
                    "--batch-interval",
                    "9",
                    "--socket",
                    "/s/flag.sock",
                ],
                "output_limit = 2048\nbatch_interval = 5\nsocket = \"/s/file.sock\"\n",
                1024,
                9,
                "/s/flag.sock",
            ),
        ];
        for (args, text, output_limit, interval, socket) in table {
            let config = resolved(args, text, &env).config;
            assert_eq!(config.live.output_limit, *output_limit, "{args:?} {text:?}");
            assert_eq!(
                config.live.batch_interval_seconds, *interval,
                "{args:?} {text:?}"
            );
            assert_eq!(config.socket, PathBuf::from(socket), "{args:?} {text:?}");
        }
        let stop = |args: &[&str], text: &str| resolved(args, text, &env).config.stop_jobs_on_exit;
        assert!(stop(&["--stop-jobs-on-exit"], ""));
        assert!(stop(&[], "stop_jobs_on_exit = true\n"));
        assert!(!stop(&[], "stop_jobs_on_exit = false\n"));
    }

    #[test]
    fn which_system_crontabs_are_read() {
        let found: &dyn Fn(&Path) -> Option<String> = &|root| {
            assert_eq!(root, Path::new("/"));
            Some("cron (pid 42)".to_owned())
        };
        let beside_cron = Environment {
            other_cron: found,
            ..machine(0)
        };
        let never_asked: &dyn Fn(&Path) -> Option<String> =
            &|_| panic!("no need to look for another cron daemon");
        let must_not_look = Environment {
            other_cron: never_asked,
            ..machine(0)
        };
        let crontab = |path: &str| (!path.is_empty()).then(|| PathBuf::from(path));
        /// Flags, file, environment, system crontab, cron.d, warned.
        type Row<'a> = (
            &'a [&'a str],
            &'a str,
            &'a Environment<'a>,
            &'a str,
            &'a str,
            bool,
        );
        let table: &[Row] = &[
            (&[], "", &machine(0), "/etc/crontab", "/etc/cron.d", false),
            (&[], "", &beside_cron, "", "", true),
            (
                &["--system-crontabs"],
                "",
                &must_not_look,
                "/etc/crontab",
                "/etc/cron.d",
                false,
            ),
            (
                &[],
                "system_crontabs = true\n",
                &must_not_look,
                "/etc/crontab",
                "/etc/cron.d",
                false,
            ),
            (
                &[],
                "system_crontabs = false\n",
                &must_not_look,
                "",
                "",
                false,
            ),
            (&["--no-system-crontabs"], "", &must_not_look, "", "", false),
            (
                &[],
                "system_crontab = \"\"\n",
                &machine(0),
                "",
                "/etc/cron.d",
                false,
            ),
            (
                &["--cron-dir", "/srv/cron.d"],
                "cron_dir = \"/x\"\n",
                &machine(0),
                "/etc/crontab",
                "/srv/cron.d",
                false,
            ),
            // A user's daemon reads them only when named, and never looks.
            (
                &[],
                "",
                &Environment {
                    other_cron: never_asked,
                    ..machine(1000)
                },
                "",
                "",
                false,
            ),
            (
                &["--system-crontab", "/home/u/tab"],
                "",
                &Environment {
                    other_cron: never_asked,
                    ..machine(1000)
                },
                "/home/u/tab",
                "",
                false,
            ),
        ];
        for (args, text, env, system, dir, warned) in table {
            let resolved = resolved(args, text, env);
            let config = &resolved.config;
            assert_eq!(config.system_crontab, crontab(system), "{args:?} {text:?}");
            assert_eq!(config.cron_dir, crontab(dir), "{args:?} {text:?}");
            assert_eq!(!resolved.warnings.is_empty(), *warned, "{args:?} {text:?}");
        }
        let warning = &resolved(&[], "", &beside_cron).warnings[0];
        assert!(
            warning.starts_with("another cron daemon runs on this host: cron (pid 42). The system crontabs (/etc/crontab, /etc/cron.d) are left to it"),
            "{warning}"
        );
    }

    #[test]
    fn where_log_lines_go() {
        let no_syslog = Environment {
            syslog: &|_| Err("No such file or directory (os error 2)".to_owned()),
            ..machine(1000)
        };
        let default_file = PathBuf::from("/home/u/.local/state/schedd/schedd.log");
        let table: &[(&[&str], &str, &Environment, LogDestination, bool)] = &[
            (&[], "", &machine(1000), LogDestination::Stderr, false),
            (
                &["--daemon"],
                "",
                &machine(1000),
                LogDestination::Syslog("/dev/log".into()),
                false,
            ),
            (
                &["--daemon"],
                "",
                &no_syslog,
                LogDestination::File(default_file.clone()),
                true,
            ),
            (
                &["--daemon", "--log-file", "/l/f.log"],
                "",
                &no_syslog,
                LogDestination::File("/l/f.log".into()),
                true,
            ),
            (
                &["--daemon", "--log-target", "stderr"],
                "",
                &no_syslog,
                LogDestination::Stderr,
                false,
            ),
            (
                &[],
                "log_target = \"file\"\nlog_file = \"/l/conf.log\"\n",
                &machine(1000),
                LogDestination::File("/l/conf.log".into()),
                false,
            ),
            (
                &["--log-target", "syslog"],
                "",
                &no_syslog,
                LogDestination::File(default_file.clone()),
                true,
            ),
        ];
        for (args, text, env, destination, noticed) in table {
            let resolved = resolved(args, text, env);
            assert_eq!(
                &resolved.config.log.destination, destination,
                "{args:?} {text:?}"
            );
            assert_eq!(resolved.log_notice.is_some(), *noticed, "{args:?} {text:?}");
        }
        assert_eq!(
            resolved(&["--daemon"], "", &no_syslog).log_notice.unwrap(),
            "no system log at /dev/log (No such file or directory (os error 2)): log lines go to /home/u/.local/state/schedd/schedd.log"
        );
        assert!(
            resolved(&["--log-format", "json"], "", &machine(0))
                .config
                .log
                .json
        );
        assert!(
            resolved(&[], "log_format = \"json\"\n", &machine(0))
                .config
                .log
                .json
        );
    }

    #[test]
    fn invalid_combinations_are_errors_naming_the_setting() {
        let bare = Environment {
            paths: PathEnv::default(),
            ..machine(1000)
        };
        let error = resolve(&flags(&[]), &file(""), &bare).unwrap_err();
        assert_eq!(
            error.to_string(),
            "neither XDG_DATA_HOME nor HOME is set: pass --spool DIR"
        );
        assert!(resolve(&flags(&["--spool", "/s"]), &file(""), &bare).is_ok());
        for bad in ["0", "-1", "NaN", "inf"] {
            let flag = format!("--batch-load={bad}");
            let error = resolve(&flags(&[&flag]), &file(""), &machine(0)).unwrap_err();
            assert_eq!(
                error.to_string(),
                "--batch-load must be a positive number",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_database_url_makes_the_spool_shared_and_the_directory_local() {
        let root = machine(0);
        let config = resolved(&["--spool", "postgresql://schedd@db1/jobs"], "", &root).config;
        let fleet = config.fleet.unwrap();
        assert_eq!(fleet.url.secret(), "postgresql://schedd@db1/jobs");
        assert_eq!(fleet.host_name, "node1");
        assert_eq!(fleet.lease, std::time::Duration::from_secs(6));
        assert_eq!(config.spool_dir, PathBuf::from("/var/spool/schedd"));
        // From the file, with every fleet setting; a flag overrides each.
        let text = "spool = \"postgresql://schedd:pw@db1/jobs\"\nstate_dir = \"/srv/schedd\"\nhost_name = \"web-3\"\nlease = \"10s\"\n";
        let config = resolved(&[], text, &root).config;
        let fleet = config.fleet.unwrap();
        assert_eq!(fleet.url.secret(), "postgresql://schedd:pw@db1/jobs");
        assert_eq!(
            (fleet.host_name.as_str(), fleet.lease),
            ("web-3", std::time::Duration::from_secs(10))
        );
        assert_eq!(config.spool_dir, PathBuf::from("/srv/schedd"));
        let config = resolved(
            &["--host-name", "web-4", "--lease", "2s", "--state-dir", "/x"],
            text,
            &root,
        )
        .config;
        let fleet = config.fleet.unwrap();
        assert_eq!(
            (fleet.host_name.as_str(), fleet.lease),
            ("web-4", std::time::Duration::from_secs(2))
        );
        assert_eq!(config.spool_dir, PathBuf::from("/x"));
        // A directory: no fleet.
        let config = resolved(&["--spool", "/s"], text, &root).config;
        assert_eq!(
            (config.spool_dir, config.fleet),
            (PathBuf::from("/s"), None)
        );
        // Refusals.
        let refused = |args: &[&str], text: &str| {
            resolve(&flags(args), &file(text), &root)
                .unwrap_err()
                .to_string()
        };
        let error = refused(&["--spool", "postgresql://schedd:hunter2@db1/jobs"], "");
        assert_eq!(
            error,
            "--spool postgresql://schedd:***@db1/jobs: a password on the command line is visible to every user of the host (ps); write the URL in schedd.conf (readable by the daemon's user only) instead"
        );
        assert_eq!(
            refused(&["--host-name", "a"], ""),
            "--host-name, --lease and --state-dir apply to a PostgreSQL spool only (--spool postgresql://...)"
        );
        assert_eq!(
            refused(&["--spool", "postgresql://db1/x", "--host-name", "a b"], ""),
            "host_name \"a b\" is not a host name: letters, digits, '-', '.' and '_', at most 253: set host_name in schedd.conf or --host-name"
        );
        let nameless = Environment {
            host_name: String::new(),
            ..machine(0)
        };
        assert!(
            resolve(
                &flags(&["--spool", "postgresql://db1/x"]),
                &file(""),
                &nameless
            )
            .is_err()
        );
        assert!(flags_error(&["--lease", "0s"]).contains("out of range: from 1s to 1h"));
    }

    fn flags_error(args: &[&str]) -> String {
        Flags::try_parse_from(std::iter::once("schedd").chain(args.iter().copied()))
            .unwrap_err()
            .to_string()
    }
}
