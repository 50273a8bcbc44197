//! The command line as clap sees it. `main` turns it into work; nothing
//! here runs anything.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sched",
    version,
    about = "Client of schedd, the cron and at scheduler",
    after_help = "Examples:\n  sched at 'now + 5 min' 'date > /tmp/now'\n  sched ls\n  sched crontab -e\n  sched next --tz Europe/Berlin -n 3 '*/15 9-17 * * MON-FRI'\n  sched when 'teatime tomorrow'\n  sched check /etc/crontab --system"
)]
pub struct Cli {
    /// The daemon's socket [default: your own schedd's, else the system's]
    #[arg(long, global = true, value_name = "PATH", env = "SCHED_SOCKET")]
    pub socket: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the next times a cron schedule fires, or your next runs
    #[command(after_help = NEXT_HELP)]
    Next(Deferred<NextArgs>),
    /// Install, print, edit or remove your crontab, as crontab(1)
    #[command(after_help = CRONTAB_HELP)]
    Crontab(Deferred<CrontabArgs>),
    /// Print the instant an at(1) time specification means
    #[command(after_help = WHEN_HELP)]
    When(Deferred<WhenArgs>),
    /// Validate crontab files; print FILE:LINE:COL: message for each error
    #[command(
        after_help = "Exit status: 0 when every file is valid (nothing is printed), 1 otherwise.\n\nExamples:\n  sched check ~/my.crontab\n  sched check --system /etc/crontab /etc/cron.d/*"
    )]
    Check(Deferred<CheckArgs>),
    /// Queue a command to run once, at a time given as at(1) does
    #[command(after_help = AT_HELP)]
    At(Deferred<AtArgs>),
    /// Queue a command to run once the system load allows
    #[command(after_help = BATCH_HELP)]
    Batch(Deferred<BatchArgs>),
    /// List your pending jobs (root: everyone's)
    #[command(after_help = "Examples:\n  sched ls\n  sched ls --json | jq '.[].id'")]
    Ls(Deferred<ListArgs>),
    /// Remove pending jobs
    #[command(
        after_help = "Exit status: 1 if an id is not a pending job of yours.\n\nExamples:\n  sched rm 42\n  sched rm 42 43 44"
    )]
    Rm(Deferred<RemoveArgs>),
    /// Stop running jobs: SIGTERM to each one's processes, then SIGKILL
    #[command(
        after_help = "ID is a job id as `sched ls` prints it, or rRUN for a crontab line's run\n(`sched ls` shows it). The job's whole process group is signalled; if it\nhas not ended after the grace period, it gets SIGKILL. The run history says\nwho ended it.\n\nExit status: 1 if an id is not a running job of yours.\n\nExamples:\n  sched kill 42\n  sched kill --grace 1m r17"
    )]
    Kill(Deferred<KillArgs>),
    /// Print the script a pending job will run
    #[command(after_help = "Example:\n  sched show 42")]
    Show(Deferred<ShowArgs>),
    /// Print runs: when due, start, lag, end, duration, exit status and
    /// output, newest first
    #[command(
        after_help = "Exit status: 1 when the job or crontab line asked for has no runs (it does\nnot exist, is not yours, or has not run yet: the message says which).\n\nExamples:\n  sched logs\n  sched logs 42\n  sched logs crontab:3\n  sched logs /etc/cron.d/backup:7\n  sched logs -n 5 --json"
    )]
    Logs(Deferred<LogsArgs>),
    /// The health of your crontab lines and pending jobs (root: everyone's)
    #[command(after_help = STATUS_HELP)]
    Status(Deferred<StatusArgs>),
    /// Print the daemon's metrics (OpenMetrics text)
    #[command(after_help = METRICS_HELP)]
    Metrics(Deferred<MetricsArgs>),
    /// Start a crontab line or a pending job now, outside its schedule
    #[command(after_help = RUN_HELP)]
    Run(Deferred<RunArgs>),
    /// Pause crontab lines: their occurrences are recorded as skipped
    #[command(after_help = PAUSE_HELP)]
    Pause(Deferred<PauseArgs>),
    /// Let paused crontab lines run again (and drop skips still to come)
    #[command(
        after_help = "ENTRY names a crontab line as for `sched pause`.\n\nExamples:\n  sched resume crontab:3\n  sched resume --all"
    )]
    Resume(Deferred<PauseArgs>),
    /// Skip the next occurrences of a crontab line
    #[command(after_help = SKIP_HELP)]
    Skip(Deferred<SkipArgs>),
    /// Write the manual page or a shell completion script to standard
    /// output (for packagers and the install script)
    #[command(hide = true)]
    Generate(Deferred<GenerateArgs>),
    /// Test hooks of a daemon started with --mock-clock
    #[command(hide = true, subcommand)]
    Mock(MockCommand),
}

const METRICS_HELP: &str = "\
Every counter and gauge of the daemon: runs by kind and result, their
duration and start lag, missed and skipped occurrences, retries, timeouts,
pending jobs, runs in progress, crontab lines loaded; and, when schedd.conf's
metrics_entries asks for them, one series per crontab line (yours; root:
everyone's): next instant, last success, paused. The same text is served
over HTTP with metrics_listen, and written for node_exporter with
metrics_textfile.

Examples:
  sched metrics
  sched metrics --format prometheus | promtool check metrics";

const STATUS_HELP: &str = "\
One line per crontab line and pending job: its state, its newest run (how
it ended, when it was due), its last success, the runs that failed and the
occurrences missed since, and its next instant.

A line is failing when a run failed since its last success, and late
when the success of its next occurrence after the last success has not
arrived within a grace: SCHED_GRACE (a crontab assignment, or the
daemon's policy setting), by default the smaller of the line's period and
an hour, plus its random delay. Occurrences missed while the daemon was
down count; paused lines and skipped occurrences do not. A pending job is
late when it has not started an hour after its instant.

Exit status: 0 when everything is healthy, 1 when anything is failing or
late (so a monitoring check can be `sched status --quiet`).

Examples:
  sched status
  sched status --quiet || echo 'a job needs attention'
  sched status --json | jq '.[] | select(.healthy | not) | .name'";

const RUN_HELP: &str = "\
ENTRY (see `sched pause --help`) or ID, a pending job's id as `sched ls`
prints it. The run is a manual one: the job sees SCHED_SCHEDULED_AT as now
and SCHED_REASON=manual; its policies apply (overlap, timeout, retry), a
pause does not; the run history says who started it. A pending job started
this way is no longer pending.

Examples:
  sched run crontab:3
  sched run 42
  sched run /etc/cron.d/backup:7";

const PAUSE_HELP: &str = "\
ENTRY names a crontab line as `sched next` and `sched logs` print it:
crontab:LINE (a line of your crontab), FILE:LINE (a system crontab's line,
root only), or for root crontab:USER:LINE. A paused line stays paused
across restarts and edits that move it; each occurrence meanwhile is
recorded as skipped, with who paused it. `sched next` shows the pause.
--all pauses every line you may act on (root: every line).

Examples:
  sched pause crontab:3
  sched pause --all
  sched resume crontab:3";

const SKIP_HELP: &str = "\
ENTRY names a crontab line as for `sched pause`. The next N occurrences
(after any already skipped) are recorded as skipped, with who asked;
`sched next` marks them. Retries of earlier runs are not skipped.

Examples:
  sched skip crontab:3
  sched skip -n 3 /etc/cron.d/backup:7";

const AT_HELP: &str = "\
As at(1): every word is the time, and the command is read from -f FILE,
else from standard input. A command may also follow the time: after `--`,
or after a time given as one quoted argument. When the words could be read
as a time and a command in more than one way, nothing is queued and both
spellings are shown. The command runs under /bin/sh as you, with the
environment, working directory and umask you have now. The time is read in
your time zone ($TZ, else /etc/localtime) against the daemon's clock; see
`sched when --help` for the language.

Prints the job id, the instant it will run and the command's first line.
Its output is mailed to you when it writes any (-m: always, -M: never).

With -l, -r/-d or -c, the words are job ids, and sched at acts as atq,
atrm or `at -c`.

Examples:
  echo backup.sh | sched at now + 1 hour
  sched at 'now + 5 min' backup.sh --full
  sched at noon tomorrow -- make -C ~/src report
  sched at teatime tomorrow -f ~/jobs/report.sh
  sched at -t 202707311530 'echo hello'
  sched at -l
  sched at -r 42";

const BATCH_HELP: &str = "\
The job runs as soon as the 1-minute load average is below the daemon's
limit (schedd --batch-load, default 1.5), at most one batch job starting per
minute, as atd does. The command is the words, else -f FILE, else standard
input.

Examples:
  sched batch make -j1 -C ~/src
  sched batch --at 'midnight' -f ~/jobs/reindex.sh";

#[derive(Debug, Args)]
pub struct AtArgs {
    /// The queue, a-z or A-Z [default: a]; later letters run nicer, and b
    /// or an upper-case letter makes a batch job; with -l, list only it
    #[arg(short = 'q', value_name = "QUEUE")]
    pub queue: Option<char>,
    /// A time in at -t's form instead of TIMESPEC; the words are the
    /// command
    #[arg(short = 't', value_name = "[[CC]YY]MMDDhhmm[.ss]")]
    pub posix: Option<String>,
    /// Read the command from FILE
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Also print the instant as at(1) does, on standard error
    #[arg(short = 'v')]
    pub verbose: bool,
    /// List your pending and running jobs, as atq (sched ls)
    #[arg(short = 'l', conflicts_with_all = ["remove", "cat", "posix", "file", "batch"])]
    pub list: bool,
    /// Remove the jobs ID..., as atrm (sched rm)
    #[arg(short = 'r', short_alias = 'd', conflicts_with_all = ["cat", "posix", "file", "batch"])]
    pub remove: bool,
    /// Print the jobs ID... as the scripts they run (sched show)
    #[arg(short = 'c', conflicts_with_all = ["posix", "file", "batch"])]
    pub cat: bool,
    /// Queue a batch job, as batch(1)
    #[arg(short = 'b')]
    pub batch: bool,
    /// The time, then optionally `--` and the command (or job ids with
    /// -l, -r, -c)
    #[arg(
        value_name = "TIMESPEC",
        num_args = 0..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
}

/// A one-shot job's policy (the daemon's defaults where not given).
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// Stop the job (SIGTERM, then SIGKILL after the kill grace) when it
    /// runs longer than this: 90s, 10m, 1h30m, 2d, or none
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Between SIGTERM and SIGKILL when the timeout stops it [default: 10s]
    #[arg(long, value_name = "DURATION")]
    pub kill_grace: Option<String>,
    /// Try again up to N more times when it fails (non-zero exit, signal,
    /// timeout)
    #[arg(long, value_name = "N")]
    pub retry: Option<String>,
    /// The wait before the first retry, doubling up to CAP [default:
    /// 10s..6m]
    #[arg(long, value_name = "FIRST..CAP")]
    pub backoff: Option<String>,
    /// Retry a run lost because the daemon or the host died (at least
    /// once, instead of at most once)
    #[arg(long)]
    pub retry_lost: bool,
    /// Do not start it later than this after its time (busy batch queue,
    /// daemon down): it is recorded as missed instead
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,
    /// Run COMMAND (by /bin/sh, as you) when the job finally fails, times
    /// out or is missed; it finds what failed in SCHED_FAILED_* variables
    #[arg(long, value_name = "COMMAND")]
    pub on_failure: Option<String>,
}

impl PolicyArgs {
    /// The policy's canonical text, or what is wrong with a value.
    pub fn text(&self) -> anyhow::Result<String> {
        let mut spec = sched_cron::policy::PolicySpec::default();
        let parts = [
            ("timeout", "--timeout", &self.timeout),
            ("kill-grace", "--kill-grace", &self.kill_grace),
            ("retry", "--retry", &self.retry),
            ("backoff", "--backoff", &self.backoff),
            ("deadline", "--deadline", &self.deadline),
        ];
        for (key, flag, value) in parts {
            if let Some(value) = value {
                spec.set(key, value)
                    .map_err(|error| anyhow::anyhow!("{flag} {value:?}: {}", error.message))?;
            }
        }
        if self.retry_lost {
            spec.retry_lost = Some(true);
        }
        Ok(spec.to_text())
    }
}

/// at's `-m` and `-M`.
#[derive(Debug, Clone, Copy, Args)]
pub struct MailArgs {
    /// Mail the output to you even when the job writes none
    #[arg(short = 'm', conflicts_with = "never")]
    pub always: bool,
    /// Never mail the output
    #[arg(short = 'M')]
    pub never: bool,
}

impl MailArgs {
    pub fn when(self) -> sched_proto::MailWhen {
        match (self.always, self.never) {
            (true, _) => sched_proto::MailWhen::Always,
            (_, true) => sched_proto::MailWhen::Never,
            _ => sched_proto::MailWhen::Output,
        }
    }
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The queue: b or A-Z [default: b]; later letters run nicer
    #[arg(short = 'q', value_name = "QUEUE")]
    pub queue: Option<char>,
    /// Do not start before this at(1) time specification [default: now]
    #[arg(long = "at", value_name = "TIMESPEC")]
    pub timespec: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub input: CommandInput,
}

/// Where a job's command comes from: the arguments, else FILE, else
/// standard input.
#[derive(Debug, Args)]
pub struct CommandInput {
    /// Read the command from FILE
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The command and its arguments
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// One JSON object per job, in an array
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Job ids, as `sched ls` prints them
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<u64>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// How long a job has to end after SIGTERM before SIGKILL (30s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub grace: jiff::SignedDuration,
    /// Job ids, or rRUN for a crontab line's run
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// openmetrics (OpenMetrics 1.0 text) or prometheus (text 0.0.4)
    #[arg(long, value_name = "FORMAT", default_value = "openmetrics", value_parser = ["openmetrics", "prometheus"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print nothing: the exit status says it all
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A crontab line (crontab:LINE, FILE:LINE) or a pending job's id
    #[arg(value_name = "ENTRY|ID")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// A crontab line: crontab:LINE, FILE:LINE, or for root crontab:USER:LINE
    #[arg(
        value_name = "ENTRY",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub entry: Option<String>,
    /// Every crontab line you may act on (root: every line)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct SkipArgs {
    /// How many occurrences to skip
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 1)]
    pub count: u32,
    /// A crontab line: crontab:LINE, FILE:LINE, or for root crontab:USER:LINE
    #[arg(value_name = "ENTRY")]
    pub entry: String,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(value_name = "ID")]
    pub id: u64,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only the runs of job ID, or of a crontab line: crontab:LINE (yours),
    /// FILE:LINE (a system crontab's, as `sched next` prints it), or for
    /// root crontab:USER:LINE
    #[arg(value_name = "ID|FILE:LINE|crontab:LINE")]
    pub of: Option<String>,
    /// How many runs to print
    #[arg(short = 'n', value_name = "N", default_value_t = 20)]
    pub count: u32,
    /// The runs as a JSON array
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Print the daemon's mock time
    Now,
    /// Move the mock clock to INSTANT, starting each job due on the way
    Set {
        #[arg(value_name = "INSTANT")]
        to: jiff::Timestamp,
    },
    /// Move the mock clock forward by DURATION (5m, 2h, 1d, PT30S)
    Advance {
        #[arg(value_name = "DURATION")]
        by: jiff::SignedDuration,
    },
    /// Set the mock clock by DURATION (may be negative) with no time
    /// passing, as `date -s` does
    Step {
        #[arg(value_name = "DURATION", allow_hyphen_values = true)]
        by: jiff::SignedDuration,
    },
    /// Wait until no run is in progress
    Settle {
        #[arg(long, value_name = "MS", default_value_t = 30_000)]
        timeout_ms: u64,
    },
}

const CRONTAB_HELP: &str = "\
A crontab has one job per line: five time fields (minute hour day-of-month
month day-of-week) or a @macro, then the command; NAME=value lines set the
jobs' environment (SHELL, PATH, MAILTO, CRON_TZ, ...). See crontab(5).

FILE (or - for standard input) replaces your crontab. -e edits a private
copy with $VISUAL, else $EDITOR, else vi; the copy is checked when the
editor exits, and on errors (printed FILE:LINE:COL: message) you may edit
it again. Nothing is installed unless every line is valid, and an install
replaces the old crontab in one step.

Examples:
  sched crontab -l
  sched crontab -e
  echo '*/5 * * * * ~/bin/poll' | sched crontab -
  sched crontab -u alice -l      (root only)
  sched crontab --system         (root only)";

const NEXT_HELP: &str = "\
Without EXPR: each of your crontab entries (root: everyone's) and pending
at and batch jobs once, with its next instant, in time order, as schedd
will start them; -n N gives the next N instants of each crontab entry.

With EXPR, each line is an instant YYYY-MM-DDTHH:MM:SS±HH:MM, strictly after --now, in
ascending order. Daylight saving time follows cron(8): a fixed-time job whose
wall time is skipped runs once right after the jump, and runs only once in a
repeated hour; a job whose minute or hour field begins with '*' follows the
wall clock.

--now is a wall time in --tz. One that falls in a skipped hour is moved
forward by the length of the jump (02:30 on a day 02:00 jumps to 03:00 is
03:30); one in a repeated hour means its first pass. Add an offset
(2026-11-01T01:30:00-05:00) to name the second pass, or any instant.

Examples:
  sched next '0 4 * * *'
  sched next --now 2026-11-24T19:02:00 --tz Europe/Berlin -n 2 '*/15 9-17 * * MON-FRI'
  sched next --tz America/New_York @daily";

#[derive(Debug, Args)]
pub struct NextArgs {
    #[command(flatten)]
    pub clock: ClockArgs,
    /// How many instants to print [default: 1]; without EXPR, of each
    /// crontab entry
    #[arg(short = 'n', value_name = "N")]
    pub count: Option<usize>,
    /// Without EXPR: the runs as a JSON array
    #[arg(long)]
    pub json: bool,
    /// Five fields (minute hour day-of-month month day-of-week) or a
    /// @macro; several arguments are joined with spaces. Without it, your
    /// next runs from schedd
    #[arg(value_name = "EXPR", num_args = 0..)]
    pub expression: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["list", "edit", "remove", "file", "system"])))]
pub struct CrontabArgs {
    /// Act on USER's crontab (root only)
    #[arg(short = 'u', value_name = "USER")]
    pub user: Option<String>,
    /// Print the crontab
    #[arg(short = 'l')]
    pub list: bool,
    /// Edit the crontab with $VISUAL or $EDITOR
    #[arg(short = 'e')]
    pub edit: bool,
    /// Remove the crontab
    #[arg(short = 'r')]
    pub remove: bool,
    /// With -r: ask before removing
    #[arg(short = 'i', requires = "remove")]
    pub ask: bool,
    /// Install FILE as the crontab; - reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Show the system crontabs as loaded (file, line, user, schedule,
    /// next instant) and the lines refused, with why (root only)
    #[arg(long, conflicts_with = "user")]
    pub system: bool,
    /// With --system: as JSON
    #[arg(long, requires = "system")]
    pub json: bool,
}

const WHEN_HELP: &str = "\
Prints one line, the instant YYYY-MM-DDTHH:MM:SS±HH:MM at which `sched at`
(and at(1)) would run a job given TIMESPEC. at works in whole minutes: the
seconds of --now are dropped.

TIMESPEC is at(1)'s language: now, noon, midnight, teatime, HH:MM, HHMM,
4pm, 10:30am, today, tomorrow, weekday names, next week, Jul 31, 31 Jul 2027,
MM/DD/YY, DD.MM.YY, YYYY-MM-DD, a time before a date (noon tomorrow), and
one '+ N unit' or '- N unit' (minutes, hours, days, weeks, months, years).
A time of day already past today means tomorrow. Minutes and hours are
elapsed time; days and longer keep the wall-clock time.

--now and --tz mean what they mean for `sched next`.

Examples:
  sched when now + 5 min
  sched when 'teatime tomorrow'
  sched when --now 2026-11-25T23:58:00 --tz Europe/Berlin 'now + 5 min'
  sched when -t 202707311530";

#[derive(Debug, Args)]
pub struct WhenArgs {
    #[command(flatten)]
    pub clock: ClockArgs,
    /// A time in at -t's form instead of TIMESPEC
    #[arg(
        short = 't',
        value_name = "[[CC]YY]MMDDhhmm[.ss]",
        conflicts_with = "timespec"
    )]
    pub posix: Option<String>,
    /// An at(1) time specification; several arguments are joined with
    /// spaces
    #[arg(
        value_name = "TIMESPEC",
        required_unless_present = "posix",
        num_args = 1..,
        allow_hyphen_values = true
    )]
    pub timespec: Vec<String>,
}

/// Where and when a command that prints instants starts from.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// The time to start from, a wall time in --tz [default: now]
    #[arg(long, value_name = "WALLTIME")]
    pub now: Option<String>,
    /// IANA time zone [default: $TZ, else /etc/localtime]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The files are system crontabs: a user name comes before each
    /// command [default: for /etc/crontab and /etc/cron.d/*]
    #[arg(long, conflicts_with = "user")]
    pub system: bool,
    /// The files are users' crontabs [default: for any other file]
    #[arg(long)]
    pub user: bool,
    /// Also print each job line's policy (SCHED_* lines, RANDOM_DELAY,
    /// -s), over cron's behaviour where the file says nothing
    #[arg(long)]
    pub explain: bool,
    /// Crontab files to check; - reads standard input
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// man (sched(1)), bash, zsh or fish
    #[arg(value_enum)]
    pub what: Generated,
}

/// What `sched generate` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Generated {
    Man,
    Bash,
    Zsh,
    Fish,
}

/// A subcommand's arguments, added to the command line's definition only
/// when clap enters that subcommand (`clap::Command::defer`).
///
/// Why: every `sched` process parses its command line once, and building
/// the arguments of all twenty subcommands to run one of them was most of
/// the client's own start-up work (BENCHMARKS.md, "`sched` start-up").
/// Help, completions and errors see the same definitions: clap builds a
/// deferred subcommand before it prints or completes it.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(keeping_about::<T, false>)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(keeping_about::<T, true>)
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// `T`'s arguments added to `cmd`, leaving the subcommand's own
/// description as it was.
///
/// Deferred, the arguments are added after the subcommand's doc comment
/// was applied, and a flattened group's doc comment would replace it;
/// added in place, they came first and the subcommand's won.
fn keeping_about<T: clap::Args, const UPDATE: bool>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = if UPDATE {
        T::augment_args_for_update(cmd)
    } else {
        T::augment_args(cmd)
    };
    let cmd = match about {
        Some(about) => cmd.about(about),
        None => cmd.about(None::<&str>),
    };
    match long_about {
        Some(long_about) => cmd.long_about(long_about),
        None => cmd.long_about(None::<&str>),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent_once_every_deferred_subcommand_is_built() {
        let mut command = Cli::command();
        command.build();
        command.clone().debug_assert();
        // Each subcommand's own description, not a flattened group's.
        for (name, about) in [
            (
                "next",
                "Print the next times a cron schedule fires, or your next runs",
            ),
            (
                "when",
                "Print the instant an at(1) time specification means",
            ),
            (
                "at",
                "Queue a command to run once, at a time given as at(1) does",
            ),
            (
                "batch",
                "Queue a command to run once the system load allows",
            ),
        ] {
            let sub = command.find_subcommand(name).unwrap();
            assert_eq!(
                sub.get_about().map(|a| a.to_string()).as_deref(),
                Some(about)
            );
            assert!(sub.get_arguments().count() > 2, "{name} has its arguments");
        }
    }

    #[test]
    fn a_deferred_subcommand_parses_its_arguments_and_refuses_others() {
        let cli = Cli::try_parse_from(["sched", "at", "-q", "b", "now + 1 hour", "true"]).unwrap();
        let Command::At(Deferred(args)) = cli.command else {
            panic!("not at: {:?}", cli.command)
        };
        assert!(format!("{args:?}").contains("now + 1 hour"), "{args:?}");
        let cli = Cli::try_parse_from(["sched", "ls", "--json", "--socket", "/s"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ls(Deferred(ListArgs { json: true }))
        ));
        assert_eq!(cli.socket.as_deref(), Some(std::path::Path::new("/s")));
        let error = Cli::try_parse_from(["sched", "ls", "--bogus"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
