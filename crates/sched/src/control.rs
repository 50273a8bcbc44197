//! `sched run`, `sched pause`, `sched resume`, `sched skip`: act on a
//! crontab line or a pending job; the daemon checks it is the caller's
//! (or that the caller is root) and records who asked.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use sched_proto::{ControlAction, ControlTarget, Request, Response};

use crate::cli::{PauseArgs, RunArgs, SkipArgs};
use crate::client::{Client, unexpected};

pub fn run(args: &RunArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    let word = args.target.trim();
    let target = match word.parse::<u64>() {
        Ok(id) => ControlTarget::Job { id },
        Err(_) => ControlTarget::Entry {
            name: word.to_owned(),
        },
    };
    ask(socket, out, ControlAction::Run, target)
}

pub fn pause(
    args: &PauseArgs,
    resume: bool,
    socket: Option<&Path>,
    out: &mut impl Write,
) -> Result<bool> {
    let target = match &args.entry {
        Some(name) => ControlTarget::Entry { name: name.clone() },
        None => ControlTarget::All,
    };
    let action = if resume {
        ControlAction::Resume
    } else {
        ControlAction::Pause
    };
    ask(socket, out, action, target)
}

pub fn skip(args: &SkipArgs, socket: Option<&Path>, out: &mut impl Write) -> Result<bool> {
    if args.count == 0 {
        bail!("-n 0: skip at least one occurrence");
    }
    ask(
        socket,
        out,
        ControlAction::Skip { count: args.count },
        ControlTarget::Entry {
            name: args.entry.clone(),
        },
    )
}

/// Sends the request and prints what was done, a line each.
fn ask(
    socket: Option<&Path>,
    out: &mut impl Write,
    action: ControlAction,
    target: ControlTarget,
) -> Result<bool> {
    let response = Client::connect(socket)?.ask(Request::Control { action, target })?;
    let Response::Controlled { done } = response else {
        return Err(unexpected("control", &response));
    };
    for line in done {
        writeln!(out, "{line}")?;
    }
    Ok(true)
}
