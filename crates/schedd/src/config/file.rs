//! The configuration file, /etc/schedd.conf (TOML): every setting is
//! optional, and each one given replaces the built-in default; a flag on
//! the command line replaces both.
//!
//! Reading is strict: an unknown key, a value of the wrong type or out of
//! range is an error naming the file, line and column and what was
//! expected, so that a typo never silently leaves a default in force.
//! This module only reads text; opening the file, and whether it must be
//! owned by root, is the caller's business.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings a configuration file may hold.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The Unix socket clients connect to.
    pub socket: Option<PathBuf>,
    /// The spool directory, or a PostgreSQL spool's URL.
    pub spool: Option<PathBuf>,
    /// With a PostgreSQL spool, the local directory of jobs' output.
    pub state_dir: Option<PathBuf>,
    /// With a PostgreSQL spool, this host's name in the fleet.
    pub host_name: Option<String>,
    /// With a PostgreSQL spool, how long this host's lease lasts.
    pub lease: Option<Lease>,
    /// The system crontab; "" reads none.
    pub system_crontab: Option<PathBuf>,
    /// The directory of package crontabs; "" reads none.
    pub cron_dir: Option<PathBuf>,
    /// The mailer for cron jobs' output.
    pub sendmail: Option<PathBuf>,
    /// Bytes of each run's output kept (and mailed).
    pub output_limit: Option<u64>,
    /// Finished runs kept per crontab line.
    pub cron_runs_kept: Option<u32>,
    /// Batch jobs start only while the 1-minute load average is below this.
    pub batch_load: Option<f64>,
    /// At most one batch job starts per this many seconds.
    pub batch_interval: Option<u32>,
    /// Stop running jobs when the daemon stops (default: leave them, as
    /// cron does).
    pub stop_jobs_on_exit: Option<bool>,
    pub at_allow: Option<PathBuf>,
    pub at_deny: Option<PathBuf>,
    pub cron_allow: Option<PathBuf>,
    pub cron_deny: Option<PathBuf>,
    /// error, warn, info, debug or trace.
    pub log_level: Option<LogLevel>,
    /// text (one line per event, for people) or json (one object per line).
    pub log_format: Option<LogFormat>,
    /// stderr, syslog (/dev/log, which journald also serves) or file.
    pub log_target: Option<LogTarget>,
    /// The file log lines go to with `log_target = "file"`, and when the
    /// system log is wanted but there is none.
    pub log_file: Option<PathBuf>,
    /// Load the system crontabs even when another cron daemon runs
    /// (true), never (false, as --no-system-crontabs), or only when none
    /// does ("auto").
    pub system_crontabs: Option<SystemCrontabs>,
    /// The policy of every job that does not say otherwise, in the words
    /// of `sched_cron::policy` (`"timeout=1h retry=2 backoff=30s..10m"`).
    pub policy: Option<DefaultPolicy>,
    /// Run as the owner when a run finally fails, times out or is missed,
    /// unless the job names its own.
    pub on_failure: Option<String>,
    /// Where the metrics are served over HTTP (off by default).
    pub metrics_listen: Option<String>,
    /// A node_exporter textfile the metrics are written to.
    pub metrics_textfile: Option<PathBuf>,
    /// At most this many crontab lines get series of their own.
    pub metrics_entries: Option<u32>,
}

/// Whether `name` may name a host in the fleet: what runs record and
/// `sched logs` prints, so printable, without spaces, and short.
pub fn check_host_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 253
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!(
            "host_name {name:?} is not a host name: letters, digits, '-', '.' and '_', at most 253"
        ));
    }
    Ok(())
}

/// The most crontab lines that may get series of their own in the
/// metrics: each is three series, and a scrape encodes them all.
pub const MAX_METRICS_ENTRIES: u32 = 1_000_000;

/// schedd.conf's `lease`: a duration such as "6s".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease(pub std::time::Duration);

impl<'de> Deserialize<'de> for Lease {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::flags::parse_lease(&text)
            .map(Lease)
            .map_err(serde::de::Error::custom)
    }
}

/// schedd.conf's `policy`: what was written, checked when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DefaultPolicy(pub sched_cron::policy::PolicySpec);

impl<'de> Deserialize<'de> for DefaultPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        sched_cron::policy::PolicySpec::parse(&text)
            .map(DefaultPolicy)
            .map_err(|error| {
                serde::de::Error::custom(format!(
                    "{} (at character {} of the policy); expected words such as \"timeout=1h retry=2 backoff=30s..10m overlap=skip catch-up=once jitter=90s deadline=5m\"",
                    error.message,
                    error.index + 1
                ))
            })
    }
}

/// Whether the system crontabs are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemCrontabs {
    /// Unless another cron daemon runs (the default).
    Auto,
    /// Even when another cron daemon runs (`true`).
    Always,
    /// Never (`false`).
    Never,
}

impl<'de> Deserialize<'de> for SystemCrontabs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Flag(bool),
            Word(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Flag(true) => Ok(SystemCrontabs::Always),
            Written::Flag(false) => Ok(SystemCrontabs::Never),
            Written::Word(word) if word == "auto" => Ok(SystemCrontabs::Auto),
            Written::Word(word) => Err(serde::de::Error::custom(format!(
                "expected true, false or \"auto\", found {word:?}"
            ))),
        }
    }
}

/// How the daemon logs, as the flags and the file decide it: set up once
/// at start (a reload that changes it is named for a restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub level: Option<LogLevel>,
    pub json: bool,
    pub destination: LogDestination,
}

/// Where log events go, once decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDestination {
    Stderr,
    /// The system log's socket (/dev/log).
    Syslog(PathBuf),
    /// A file, appended to.
    File(PathBuf),
}

/// Where log events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogTarget {
    Stderr,
    Syslog,
    File,
}

/// How log events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How much the daemon logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// A configuration file that does not read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A parser message with the value's expected type said as a person would
/// ("a whole number of bytes", not "u64") for the setting `key`.
fn in_words(key: &str, message: &str) -> String {
    let wanted = match key {
        "output_limit" => "a whole number of bytes, such as 262144",
        "cron_runs_kept" => "a whole number of runs, such as 50",
        "metrics_entries" => "a whole number of crontab lines, such as 1000",
        "batch_interval" => "a whole number of seconds, such as 60",
        "batch_load" => "a number, a load average such as 1.5",
        "stop_jobs_on_exit" => "true or false",
        "system_crontabs" => "true, false or \"auto\"",
        _ => "a path in double quotes, such as \"/etc/cron.d\"",
    };
    let mut message = message.to_owned();
    for rust in [
        "expected u64",
        "expected u32",
        "expected f64",
        "expected a boolean",
        "expected a string",
        "expected path string",
    ] {
        message = message.replace(rust, &format!("expected {wanted}"));
    }
    message
}

/// Reads the text of configuration file `path`.
pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let error_at = |offset: usize, message: String| {
        // Offsets come from the parser or from key_offset, at character
        // boundaries; anything else counts from the start.
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        ConfigError {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    let config: FileConfig = toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        // The key of the line the error is on, to say what its value
        // should be in words rather than as a Rust type.
        let line_start = text
            .get(..offset)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |at| at + 1);
        let key = text
            .get(line_start..)
            .and_then(|line| line.split('=').next())
            .map_or("", str::trim);
        error_at(offset, in_words(key, error.message().trim()))
    })?;
    // Ranges serde cannot say: checked here, each at its key.
    let key_offset = |key: &str| {
        text.split_inclusive('\n')
            .scan(0, |offset, line| {
                let at = *offset;
                *offset += line.len();
                Some((at, line))
            })
            .find(|(_, line)| {
                let line = line.trim_start();
                line.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(0, |(at, line)| at + (line.len() - line.trim_start().len()))
    };
    if let Some(load) = config.batch_load
        && !(load.is_finite() && load > 0.0)
    {
        return Err(error_at(
            key_offset("batch_load"),
            format!("batch_load must be a positive number, not {load}"),
        ));
    }
    if config.batch_interval == Some(0) {
        return Err(error_at(
            key_offset("batch_interval"),
            "batch_interval must be at least 1 second".to_owned(),
        ));
    }
    if config.output_limit == Some(0) {
        return Err(error_at(
            key_offset("output_limit"),
            "output_limit must be at least 1 byte".to_owned(),
        ));
    }
    if let Some(listen) = &config.metrics_listen
        && !listen.is_empty()
        && let Err(why) = super::flags::parse_metrics_listen(listen)
    {
        return Err(error_at(key_offset("metrics_listen"), why));
    }
    if config
        .metrics_entries
        .is_some_and(|n| n > MAX_METRICS_ENTRIES)
    {
        return Err(error_at(
            key_offset("metrics_entries"),
            format!("metrics_entries is at most {MAX_METRICS_ENTRIES}"),
        ));
    }
    if config.cron_runs_kept == Some(0) {
        return Err(error_at(
            key_offset("cron_runs_kept"),
            "cron_runs_kept must be at least 1".to_owned(),
        ));
    }
    if let Some(spool) = &config.spool
        && let Some(Err(why)) = super::spool::DatabaseUrl::of_path(spool)
    {
        return Err(error_at(key_offset("spool"), why));
    }
    if let Some(name) = &config.host_name
        && !name.is_empty()
        && let Err(why) = check_host_name(name)
    {
        return Err(error_at(key_offset("host_name"), why));
    }
    let spool_dir = config
        .spool
        .as_ref()
        .filter(|spool| super::spool::DatabaseUrl::of_path(spool).is_none());
    for (key, value) in [
        ("socket", &config.socket),
        ("spool", &spool_dir.cloned()),
        ("state_dir", &config.state_dir),
        ("sendmail", &config.sendmail),
        ("at_allow", &config.at_allow),
        ("at_deny", &config.at_deny),
        ("cron_allow", &config.cron_allow),
        ("cron_deny", &config.cron_deny),
        ("system_crontab", &config.system_crontab),
        ("cron_dir", &config.cron_dir),
        ("log_file", &config.log_file),
    ] {
        if let Some(path) = value
            && !path.as_os_str().is_empty()
            && !path.is_absolute()
        {
            return Err(error_at(
                key_offset(key),
                format!(
                    "{key} must be an absolute path, not {:?}",
                    path.display().to_string()
                ),
            ));
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<FileConfig, String> {
        parse(Path::new("/etc/schedd.conf"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_told_in_words() {
        for (text, expected) in [
            (
                "output_limit = \"big\"\n",
                "/etc/schedd.conf:1:16: invalid type: string \"big\", expected a whole number of bytes, such as 262144",
            ),
            (
                "\ncron_runs_kept = -1\n",
                "/etc/schedd.conf:2:18: invalid value: integer `-1`, expected a whole number of runs, such as 50",
            ),
            (
                "batch_load = \"high\"\n",
                "/etc/schedd.conf:1:14: invalid type: string \"high\", expected a number, a load average such as 1.5",
            ),
            (
                "stop_jobs_on_exit = 1\n",
                "/etc/schedd.conf:1:21: invalid type: integer `1`, expected true or false",
            ),
            (
                "spool = 5\n",
                "/etc/schedd.conf:1:9: invalid type: integer `5`, expected a path in double quotes, such as \"/etc/cron.d\"",
            ),
        ] {
            assert_eq!(check(text), Err(expected.to_owned()), "{text}");
        }
        for text in ["output_limit = 1\n", "system_crontabs = true\n"] {
            assert!(check(text).is_ok(), "{text}");
        }
        assert!(
            check("system_crontabs = \"yes\"\n")
                .unwrap_err()
                .contains("expected true, false or \"auto\", found \"yes\""),
        );
    }

    #[test]
    fn the_example_file_documents_every_setting_with_its_default() {
        let text = crate::config::man::EXAMPLE;
        // As shipped, all commented out: the defaults.
        assert_eq!(check(text), Ok(FileConfig::default()));
        // Uncommented, every line reads, and names every setting.
        let uncommented: String = text
            .lines()
            .map(|line| {
                line.strip_prefix('#')
                    .filter(|rest| rest.contains(" = "))
                    .unwrap_or(line)
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let config = check(&uncommented).unwrap();
        assert_eq!(config.output_limit, Some(256 * 1024));
        assert_eq!(
            config.cron_runs_kept,
            Some(sched_spool::DEFAULT_CRON_RUNS_KEPT)
        );
        assert_eq!(config.batch_load, Some(1.5));
        assert_eq!(config.batch_interval, Some(60));
        assert_eq!(config.stop_jobs_on_exit, Some(false));
        assert_eq!(config.log_level, Some(LogLevel::Info));
        assert_eq!(config.log_format, Some(LogFormat::Text));
        assert_eq!(config.log_target, Some(LogTarget::Stderr));
        assert_eq!(config.system_crontabs, Some(SystemCrontabs::Auto));
        assert_eq!(config.policy, Some(DefaultPolicy::default()));
        // The policy (checked above) is the last setting; its own parts
        // are written as unset.
        let shown = format!("{config:?}");
        let unset = shown
            .split("policy:")
            .next()
            .unwrap_or_default()
            .matches("None")
            .count();
        assert_eq!(
            unset, 0,
            "a setting is missing from etc/schedd.conf: {config:?}"
        );
    }

    #[test]
    fn a_default_policy_reads_and_a_bad_one_says_where() {
        let config = check("policy = \"timeout=1h retry=2 overlap=skip\"\n").unwrap();
        let policy = config.policy.unwrap().0.over(&Default::default());
        assert_eq!(policy.timeout, Some(std::time::Duration::from_secs(3600)));
        assert_eq!(policy.retries, 2);
        assert_eq!(policy.overlap, sched_cron::policy::Overlap::Skip);
        let error = check("\npolicy = \"retry=2 overlap=sometimes\"\n").unwrap_err();
        assert!(error.contains(":2:"), "{error}");
        assert!(
            error.contains("expected allow, skip, queue or replace, found \"sometimes\" (at character 17 of the policy)"),
            "{error}"
        );
    }

    #[test]
    fn every_setting_reads() {
        let config = check(
            "# comment\nsocket = \"/run/s.sock\"\nspool = \"/var/spool/s\"\n\
             system_crontab = \"\"\ncron_dir = \"/etc/cron.d\"\nsendmail = \"/usr/sbin/sendmail\"\n\
             output_limit = 1024\ncron_runs_kept = 7\nbatch_load = 0.8\nbatch_interval = 30\n\
             at_allow = \"/etc/at.allow\"\nat_deny = \"/etc/at.deny\"\n\
             cron_allow = \"/etc/cron.allow\"\ncron_deny = \"/etc/cron.deny\"\nlog_level = \"debug\"\n\
             log_format = \"json\"\n",
        )
        .unwrap();
        assert_eq!(config.socket, Some(PathBuf::from("/run/s.sock")));
        assert_eq!(config.system_crontab, Some(PathBuf::new()));
        assert_eq!(config.output_limit, Some(1024));
        assert_eq!(config.cron_runs_kept, Some(7));
        assert_eq!(config.batch_load, Some(0.8));
        assert_eq!(config.log_level, Some(LogLevel::Debug));
        assert_eq!(config.log_format, Some(LogFormat::Json));
        assert_eq!(check(""), Ok(FileConfig::default()));
    }

    #[test]
    fn mistakes_name_the_line_the_column_and_what_was_expected() {
        let table = [
            (
                "output_limit = 10\nspool_dir = \"/x\"\n",
                "/etc/schedd.conf:2:1: unknown field `spool_dir`, expected one of",
            ),
            (
                "log_level = \"loud\"\n",
                "/etc/schedd.conf:1:13: unknown variant `loud`",
            ),
            (
                "\n  batch_load = -1.0\n",
                "/etc/schedd.conf:2:3: batch_load must be a positive number, not -1",
            ),
            (
                "output_limit = 0",
                "/etc/schedd.conf:1:1: output_limit must be at least 1 byte",
            ),
            (
                "spool = \"var/spool\"\n",
                "/etc/schedd.conf:1:1: spool must be an absolute path, not \"var/spool\"",
            ),
            ("socket = \n", "/etc/schedd.conf:1:10: "),
            (
                "# a\r\n# café\r\nbatch_load = 0.0\r\n",
                "/etc/schedd.conf:3:1: batch_load must be a positive number, not 0",
            ),
        ];
        for (text, expected) in table {
            let error = check(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
