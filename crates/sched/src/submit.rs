//! `sched at` and `sched batch`: the command, the submitter's environment,
//! directory and umask, sent to the daemon, which resolves the time against
//! its clock and answers with the job.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use sched_proto::{JobKind, MailWhen, Request, Response, Submission, When};

use crate::cli::{AtArgs, BatchArgs};
use crate::client::{Client, DaemonError, unexpected};
use crate::compat::Style;
use crate::words::{SplitError, TrailingOption};
use crate::{report, time};

/// Variables at(1) leaves out of a job's environment: they describe the
/// submitting terminal or shell process, not the job.
const NOT_KEPT: &[&str] = &[
    "TERM",
    "DISPLAY",
    "_",
    "SHELLOPTS",
    "BASH_VERSINFO",
    "EUID",
    "GROUPS",
    "PPID",
    "UID",
    "OLDPWD",
];

/// `sched at`, or `at` itself when `style` says so: a job, or with -l,
/// -r/-d or -c what atq, atrm and `at -c` do. False when some id was not
/// found.
pub fn at(
    args: &AtArgs,
    socket: Option<&Path>,
    out: &mut impl Write,
    style: Style,
) -> Result<bool> {
    if args.list {
        if !args.words.is_empty() {
            bail!("-l lists all your jobs: it takes no job ids or time");
        }
        return crate::jobs::list_queue(args.queue, false, socket, out, style).map(|()| true);
    }
    if args.remove || args.cat {
        let ids = crate::jobs::parse_ids(&args.words)?;
        return if args.remove {
            crate::jobs::remove_ids(&ids, socket, out, style)
        } else {
            crate::jobs::show_ids(&ids, socket, out)
        };
    }
    let (words, trailing) = crate::words::trailing_options(&args.words)
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    let mut file = args.file.clone();
    let mut queue = args.queue;
    let mut mail = args.mail;
    let mut verbose = args.verbose;
    for option in trailing {
        match option {
            TrailingOption::File(_) if file.is_some() => bail!("-f is given twice"),
            TrailingOption::File(path) => file = Some(path.into()),
            TrailingOption::Queue(letter) => {
                let mut letters = letter.chars();
                match (letters.next(), letters.next()) {
                    (Some(letter), None) => queue = Some(letter),
                    _ => bail!("invalid queue {letter:?}: expected one letter, a-z or A-Z"),
                }
            }
            TrailingOption::MailAlways => mail.always = true,
            TrailingOption::MailNever => mail.never = true,
            TrailingOption::Verbose => verbose = true,
        }
    }
    if mail.always && mail.never {
        bail!("-m (always mail) and -M (never mail) cannot be used together");
    }
    let kind = if args.batch {
        JobKind::Batch
    } else {
        JobKind::At
    };
    // Called as at or batch, every word is the time, as at(1) reads them:
    // a script's mistyped time is refused, never run as a command.
    let (when, words) = if style == Style::At {
        let when = match (&args.posix, words.is_empty()) {
            (Some(_), false) => bail!(
                "with -t the time is the -t value; the command comes from standard input or -f, not from the words {:?}",
                words.join(" ")
            ),
            (Some(value), true) => When::Posix {
                value: value.clone(),
            },
            (None, true) if args.batch => When::Now,
            (None, true) => bail!("a time is needed: TIMESPEC or -t"),
            (None, false) => When::Timespec {
                text: words.join(" "),
            },
        };
        (when, Vec::new())
    } else {
        match &args.posix {
            // With -t, every word is the command.
            Some(value) => {
                let words = match words.first().map(String::as_str) {
                    Some("--") => &words[1..],
                    _ => &words[..],
                };
                (
                    When::Posix {
                        value: value.clone(),
                    },
                    words.to_vec(),
                )
            }
            None if args.batch && words.is_empty() => (When::Now, Vec::new()),
            None => {
                let split = crate::words::split(&words).map_err(|error| match error {
                    SplitError::NotATime { text, error } => {
                        report::timespec_error("invalid time", &text, &error)
                    }
                    other => anyhow::anyhow!("{other}"),
                })?;
                (When::Timespec { text: split.time }, split.command)
            }
        }
    };
    let job = Job {
        kind,
        queue,
        when,
        mail: mail.when(),
        verbose,
        policy: args.policy.text()?,
        on_failure: args.policy.on_failure.clone(),
    };
    submit(job, &words, file.as_deref(), socket, out, style).map(|()| true)
}

/// `sched batch`: the words are the command.
pub fn batch(args: &BatchArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let when = match &args.timespec {
        Some(text) => When::Timespec { text: text.clone() },
        None => When::Now,
    };
    let job = Job {
        kind: JobKind::Batch,
        queue: args.queue,
        when,
        mail: args.mail.when(),
        verbose: false,
        policy: args.policy.text()?,
        on_failure: args.policy.on_failure.clone(),
    };
    submit(
        job,
        &args.input.command,
        args.input.file.as_deref(),
        socket,
        out,
        Style::Sched,
    )
}

/// What the command line says about the job besides its command.
#[derive(Debug)]
struct Job {
    kind: JobKind,
    queue: Option<char>,
    when: When,
    mail: MailWhen,
    verbose: bool,
    /// The policy's canonical text (empty: the daemon's defaults).
    policy: String,
    /// `--on-failure COMMAND`.
    on_failure: Option<String>,
}

fn submit(
    job: Job,
    words: &[String],
    file: Option<&Path>,
    socket: Option<&Path>,
    out: &mut impl Write,
    style: Style,
) -> Result<()> {
    // A $TZ that names no zone is refused before anything is read.
    let zone = time::local_zone()?;
    let command = command_text(words, file)?;
    if command.trim().is_empty() {
        bail!(
            "nothing to run: the command is empty; give it after the time (after `--`), with -f FILE, or on standard input; nothing was queued"
        );
    }
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let Some(cwd) = cwd.to_str().map(str::to_owned) else {
        bail!(
            "the current directory {} is not UTF-8: cd elsewhere first",
            cwd.display()
        );
    };
    let submission = Submission {
        kind: job.kind,
        queue: job.queue,
        when: job.when.clone(),
        tz: zone_name(),
        command,
        env: environment(),
        cwd,
        umask: current_umask(),
        mail: job.mail,
        policy: job.policy.clone(),
        on_failure: job.on_failure.clone(),
    };
    let mut client = Client::connect(socket)?;
    let response = client
        .ask(Request::Submit(submission))
        .map_err(|error| explain(error, &job.when))?;
    let Response::Submitted {
        job: queued,
        notices,
    } = response
    else {
        return Err(unexpected("a submission", &response));
    };
    for notice in notices {
        eprintln!("sched: note: {notice}");
    }
    match style {
        Style::Sched => {
            writeln!(
                out,
                "job {} at {}",
                queued.id,
                time::format_instant(queued.due, &zone)
            )?;
            writeln!(
                out,
                "  runs: {}",
                crate::jobs::one_line(&queued.command, 70)
            )?;
            if job.verbose {
                eprintln!("{}", time::format_at_style(queued.due, &zone));
            }
        }
        Style::At => {
            if job.verbose {
                eprintln!("{}", time::format_at_style(queued.due, &zone));
            }
            eprintln!("warning: commands will be executed using /bin/sh");
            eprintln!(
                "job {} at {}",
                queued.id,
                time::format_at_style(queued.due, &zone)
            );
        }
    }
    Ok(())
}

/// The command from the words, else the file, else stdin.
fn command_text(words: &[String], file: Option<&Path>) -> Result<String> {
    match (file, words.is_empty()) {
        (Some(_), false) => bail!("give the command either as arguments or with -f, not both"),
        (Some(file), true) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the command from {}", file.display())),
        (None, false) => Ok(words.join(" ")),
        (None, true) => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("sched: reading the commands from standard input; end with Ctrl-D");
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .context("cannot read the command from standard input")?;
            Ok(text)
        }
    }
}

/// The environment the job keeps: every variable with a shell name and a
/// UTF-8 value, except the few at(1) drops.
fn environment() -> Vec<(String, String)> {
    let mut env = Vec::new();
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            eprintln!(
                "sched: note: {:?} is not UTF-8 and is not kept for the job",
                name
            );
            continue;
        };
        if sched_proto::is_env_name(name) && !NOT_KEPT.contains(&name) {
            env.push((name.to_owned(), value.to_owned()));
        }
    }
    env.sort();
    env
}

/// The zone the time specification is read in: `$TZ` as given, else the
/// system zone's name; the daemon's zone when neither is known.
fn zone_name() -> Option<String> {
    match std::env::var("TZ") {
        Ok(tz) if !tz.is_empty() => Some(tz),
        _ => crate::time::system_zone().and_then(|zone| zone.iana_name().map(str::to_owned)),
    }
}

fn current_umask() -> u32 {
    use nix::sys::stat::{Mode, umask};
    // Reading the umask means setting it; put it straight back.
    let mask = umask(Mode::empty());
    umask(mask);
    mask.bits()
}

/// A timespec refusal with a caret under its column.
fn explain(error: anyhow::Error, when: &When) -> anyhow::Error {
    let Some(DaemonError(reply)) = error.downcast_ref::<DaemonError>() else {
        return error;
    };
    let (what, text) = match when {
        When::Timespec { text } => ("invalid time", text.as_str()),
        When::Posix { value } => ("invalid -t value", value.as_str()),
        When::Now => return error,
    };
    match reply.column {
        Some(column) => report::pointed(what, text, column, &reply.message),
        None if reply.code == sched_proto::ErrorCode::Timespec => {
            anyhow::anyhow!("{what} {text:?}: {}", reply.message)
        }
        None => error,
    }
}
