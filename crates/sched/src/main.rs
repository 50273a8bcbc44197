//! `sched`, the command-line client of schedd.
//!
//! Layout: `cli` declares the flags, one module per command does the work,
//! `time` holds zones and the instant format, `report` decides messages and
//! exit codes.
#![forbid(unsafe_code)]

mod check;
mod cli;
mod next;
mod report;
mod time;
mod when;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match &cli.command {
        Command::Next(args) => next::run(args, &mut out).map(|()| true),
        Command::When(args) => when::run(args, &mut out).map(|()| true),
        Command::Check(args) => check::run(args, &mut out),
    };
    let result = result.and_then(|ok| out.flush().map(|()| ok).map_err(Into::into));
    report::exit_code(result)
}
