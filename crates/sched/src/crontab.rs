//! `sched crontab`: crontab(1) against schedd. The text is checked here
//! with the parser the daemon loads with (`sched check`'s), for errors that
//! point at the file; the daemon checks again and is the authority.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use sched_cron::crontab::{Format, LineError};
use sched_proto::{CrontabRequest, ErrorCode, Request, Response};

use crate::check::check_text;
use crate::cli::CrontabArgs;
use crate::client::{Client, DaemonError, unexpected};

/// Whether the action succeeded (false: exit status 1, message printed).
pub fn run(args: &CrontabArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    let user = args.user.clone();
    if args.system {
        return system(args.json, socket, out);
    }
    if args.list {
        return list(user, socket, out);
    }
    if args.remove {
        return remove(user, args.ask, socket);
    }
    if args.edit {
        return edit(user, socket);
    }
    let Some(file) = &args.file else {
        bail!("say what to do: -l, -e, -r, FILE or -");
    };
    let (name, text) = if file == Path::new("-") {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .context("cannot read standard input")?;
        ("<stdin>".to_owned(), text)
    } else {
        let text =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        (file.display().to_string(), text)
    };
    install(user, &name, &text, socket)
}

/// The system crontabs as loaded: one line per entry, then the refusals.
/// False when something was refused.
fn system(as_json: bool, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    // Checked first, JSON or not: a $TZ naming no zone is refused everywhere.
    let zone = crate::time::local_zone()?;
    let Response::SystemCrontabs { entries, refused } = ask(socket, CrontabRequest::System)? else {
        return Err(anyhow!(
            "schedd sent an unexpected reply to crontab --system"
        ));
    };
    if as_json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({ "entries": entries, "refused": refused }),
        )?;
        writeln!(out)?;
        return Ok(refused.is_empty());
    }
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|entry| {
            [
                format!("{}:{}", entry.file, entry.line),
                entry.user.clone(),
                entry.schedule.clone(),
                entry.next.map_or_else(
                    || "never".to_owned(),
                    |next| crate::time::format_instant(next, &zone),
                ),
                crate::jobs::one_line(&entry.command, 60).into_owned(),
            ]
        })
        .collect();
    let header = ["LINE", "USER", "SCHEDULE", "NEXT", "COMMAND"].map(str::to_owned);
    let mut widths = [0; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    if entries.is_empty() {
        writeln!(out, "no system crontab entries are loaded")?;
    } else {
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
                if index == 4 {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  "));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if !refused.is_empty() {
        writeln!(out, "\nrefused:")?;
        for refusal in &refused {
            let place = match (refusal.line, refusal.column) {
                (Some(line), Some(column)) => format!("{}:{line}:{column}", refusal.file),
                (Some(line), None) => format!("{}:{line}", refusal.file),
                _ => refusal.file.clone(),
            };
            writeln!(
                out,
                "{place}: {}",
                crate::jobs::one_line(&refusal.reason, 200)
            )?;
        }
    }
    Ok(refused.is_empty())
}

fn list(user: Option<String>, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    match ask(socket, CrontabRequest::Get { user })? {
        Response::Crontab {
            text: Some(text), ..
        } => {
            out.write_all(text.as_bytes())?;
            Ok(true)
        }
        Response::Crontab {
            text: None, owner, ..
        } => {
            eprintln!("no crontab for {owner}");
            Ok(false)
        }
        other => Err(unexpected("crontab -l", &other)),
    }
}

fn remove(user: Option<String>, confirm: bool, socket: Option<&Path>) -> Result<bool> {
    if confirm {
        let whose = user
            .as_deref()
            .map_or_else(|| "your".to_owned(), |name| format!("{name}'s"));
        if !yes(&format!("sched: really delete {whose} crontab? (y/n) "))? {
            return Ok(false);
        }
    }
    match ask(socket, CrontabRequest::Remove { user })? {
        Response::CrontabRemoved { removed: true, .. } => Ok(true),
        Response::CrontabRemoved {
            removed: false,
            owner,
            ..
        } => {
            eprintln!("no crontab for {owner}");
            Ok(false)
        }
        other => Err(unexpected("crontab -r", &other)),
    }
}

/// Checks `text` (read from `name`) and installs it. Errors are printed as
/// `NAME:LINE:COL: message`.
fn install(user: Option<String>, name: &str, text: &[u8], socket: Option<&Path>) -> Result<bool> {
    match try_install(user, text, socket)? {
        Ok(()) => Ok(true),
        Err(errors) => {
            for error in errors {
                eprintln!("{name}:{error}");
            }
            eprintln!("sched: errors in the crontab: nothing installed");
            Ok(false)
        }
    }
}

/// Installs `text`; `Ok(Err(errors))` when a line is bad (nothing is
/// installed then).
fn try_install(
    user: Option<String>,
    text: &[u8],
    socket: Option<&Path>,
) -> Result<Result<(), Vec<String>>> {
    let errors = check_text(text, Format::User);
    if !errors.is_empty() {
        return Ok(Err(errors.iter().map(LineError::to_string).collect()));
    }
    let text = String::from_utf8(text.to_vec()).map_err(|_| anyhow!("not UTF-8"))?;
    match ask(socket, CrontabRequest::Install { user, text }) {
        Ok(Response::CrontabInstalled { .. }) => Ok(Ok(())),
        Ok(other) => Err(unexpected("crontab install", &other)),
        Err(error) => match error.downcast_ref::<DaemonError>() {
            // The daemon's own check ("LINE:COL: message" lines after a
            // first line).
            Some(DaemonError(reply)) if reply.code == ErrorCode::Invalid => Ok(Err(reply
                .message
                .lines()
                .skip(1)
                .map(str::to_owned)
                .collect())),
            _ => Err(error),
        },
    }
}

/// crontab -e: edit a private copy until it is valid or the user gives up.
fn edit(user: Option<String>, socket: Option<&Path>) -> Result<bool> {
    let current = match ask(socket, CrontabRequest::Get { user: user.clone() })? {
        Response::Crontab { text, owner, .. } => text.unwrap_or_else(|| {
            eprintln!("no crontab for {owner} - using an empty one");
            String::new()
        }),
        other => return Err(unexpected("crontab -e", &other)),
    };
    let copy = tempfile::Builder::new()
        .prefix("sched-crontab.")
        .tempfile()
        .context("cannot create a private copy to edit")?;
    std::fs::write(copy.path(), &current)
        .with_context(|| format!("cannot write {}", copy.path().display()))?;
    loop {
        run_editor(copy.path())?;
        let edited = std::fs::read(copy.path())
            .with_context(|| format!("cannot read {}", copy.path().display()))?;
        if edited == current.as_bytes() {
            eprintln!("sched: no changes made to the crontab");
            return Ok(true);
        }
        match try_install(user.clone(), &edited, socket)? {
            Ok(()) => {
                eprintln!("sched: installing the new crontab");
                return Ok(true);
            }
            Err(errors) => {
                for error in errors {
                    eprintln!("{}:{error}", copy.path().display());
                }
                eprintln!("sched: errors in the crontab: nothing installed");
                if !std::io::stdin().is_terminal()
                    || !yes("Do you want to retry the same edit? (y/n) ")?
                {
                    return Ok(false);
                }
            }
        }
    }
}

/// Runs $VISUAL, else $EDITOR, else vi on `path`; the variable may hold
/// arguments, as crontab(1) allows (it is run by the shell).
fn run_editor(path: &Path) -> Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(PathBuf::from(path))
        .status()
        .with_context(|| format!("cannot run the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor {editor:?} ended with {status}: the crontab was not changed");
    }
    Ok(())
}

/// Asks `question` on standard error; true for an answer starting with y.
fn yes(question: &str) -> Result<bool> {
    eprint!("{question}");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim_start().starts_with(['y', 'Y']))
}

fn ask(socket: Option<&Path>, request: CrontabRequest) -> Result<Response> {
    Client::connect(socket)?.ask(Request::Crontab(request))
}
