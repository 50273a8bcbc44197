//! `sched at` and `sched batch`: the command, the submitter's environment,
//! directory and umask, sent to the daemon, which resolves the time against
//! its clock and answers with the job.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use jiff::tz::TimeZone;
use sched_proto::{JobKind, Request, Response, Submission, When};

use crate::cli::{AtArgs, BatchArgs, CommandInput};
use crate::client::{Client, DaemonError, unexpected};
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

pub fn at(args: &AtArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let (when, words) = match (&args.posix, &args.timespec) {
        // With -t, the first word is already part of the command.
        (Some(value), first) => {
            let words = first
                .iter()
                .chain(&args.input.command)
                .cloned()
                .collect::<Vec<_>>();
            (
                When::Posix {
                    value: value.clone(),
                },
                words,
            )
        }
        (None, Some(text)) => (
            When::Timespec { text: text.clone() },
            args.input.command.clone(),
        ),
        (None, None) => bail!("a time is needed: TIMESPEC or -t"),
    };
    submit(
        JobKind::At,
        args.queue,
        when,
        &words,
        &args.input,
        socket,
        out,
    )
}

pub fn batch(args: &BatchArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let when = match &args.timespec {
        Some(text) => When::Timespec { text: text.clone() },
        None => When::Now,
    };
    submit(
        JobKind::Batch,
        args.queue,
        when,
        &args.input.command,
        &args.input,
        socket,
        out,
    )
}

fn submit(
    kind: JobKind,
    queue: Option<char>,
    when: When,
    words: &[String],
    input: &CommandInput,
    socket: Option<&Path>,
    out: &mut impl Write,
) -> Result<()> {
    let command = command_text(words, input)?;
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let Some(cwd) = cwd.to_str().map(str::to_owned) else {
        bail!(
            "the current directory {} is not UTF-8: cd elsewhere first",
            cwd.display()
        );
    };
    let submission = Submission {
        kind,
        queue,
        when: when.clone(),
        tz: zone_name(),
        command,
        env: environment(),
        cwd,
        umask: current_umask(),
    };
    let mut client = Client::connect(socket)?;
    let response = client
        .ask(Request::Submit(submission))
        .map_err(|error| explain(error, &when))?;
    let Response::Submitted { job, notices } = response else {
        return Err(unexpected("a submission", &response));
    };
    for notice in notices {
        eprintln!("sched: note: {notice}");
    }
    let zone = time::local_zone();
    writeln!(
        out,
        "job {} at {}",
        job.id,
        time::format_instant(job.due, &zone)
    )?;
    Ok(())
}

/// The command from the words after TIMESPEC, else the file, else stdin.
fn command_text(words: &[String], input: &CommandInput) -> Result<String> {
    match (&input.file, words.is_empty()) {
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
        _ => TimeZone::try_system()
            .ok()
            .and_then(|zone| zone.iana_name().map(str::to_owned)),
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
