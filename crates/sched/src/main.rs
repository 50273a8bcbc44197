//! `sched`, the command-line client of schedd.
//!
//! Layout: `cli` declares the flags, one module per command does the work,
//! `client` talks to schedd, `time` holds zones and the instant format,
//! `report` decides messages and exit codes.
#![forbid(unsafe_code)]

mod check;
mod cli;
mod client;
mod compat;
mod control;
mod crontab;
mod jobs;
mod json;
mod kill;
mod logs;
mod mock;
mod next;
mod report;
mod status;
mod submit;
mod time;
mod when;
mod words;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// sched(1), as `scripts/install.sh` installs it.
const MAN_PAGE: &str = include_str!("../../../man/sched.1");

/// The manual page (written by hand, in `man/`) or a completion script
/// (from the clap definitions, without the hidden commands: `generate`
/// is for packagers and `mock` for tests).
fn generate(what: cli::Generated, out: &mut impl Write) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let shell = match what {
        cli::Generated::Man => return Ok(out.write_all(MAN_PAGE.as_bytes())?),
        cli::Generated::Bash => clap_complete::Shell::Bash,
        cli::Generated::Zsh => clap_complete::Shell::Zsh,
        cli::Generated::Fish => clap_complete::Shell::Fish,
    };
    // Into memory first: clap_complete panics when its writer fails (a
    // closed pipe), and a write error here is reported like any other.
    let mut script = Vec::new();
    command = clap::Command::new("sched")
        .about(command.get_about().cloned().unwrap_or_default())
        .version(env!("CARGO_PKG_VERSION"))
        .args(
            command
                .get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .cloned(),
        )
        .subcommands(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
    clap_complete::generate(shell, &mut command, "sched", &mut script);
    out.write_all(&script)?;
    Ok(())
}

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let program = std::env::args_os()
        .next()
        .and_then(|argv0| compat::called_as(&argv0));
    if let Some(program) = program {
        let result = compat::run(program, &mut out);
        let result = result.and_then(|ok| out.flush().map(|()| ok).map_err(Into::into));
        return report::exit_code(result);
    }
    let cli = Cli::parse();
    let socket = cli.socket.as_deref();
    let result = match &cli.command {
        Command::Next(cli::Deferred(args)) => next::run(args, socket, &mut out).map(|()| true),
        Command::Crontab(cli::Deferred(args)) => crontab::run(args, socket, &mut out),
        Command::When(cli::Deferred(args)) => when::run(args, &mut out).map(|()| true),
        Command::Check(cli::Deferred(args)) => check::run(args, &mut out),
        Command::At(cli::Deferred(args)) => {
            submit::at(args, socket, &mut out, compat::Style::Sched)
        }
        Command::Batch(cli::Deferred(args)) => submit::batch(args, socket, &mut out).map(|()| true),
        Command::Ls(cli::Deferred(args)) => jobs::list(args, socket, &mut out).map(|()| true),
        Command::Rm(cli::Deferred(args)) => jobs::remove(args, socket, &mut out),
        Command::Show(cli::Deferred(args)) => jobs::show(args, socket, &mut out),
        Command::Kill(cli::Deferred(args)) => kill::run(args, socket, &mut out),
        Command::Logs(cli::Deferred(args)) => logs::run(args, socket, &mut out),
        Command::Status(cli::Deferred(args)) => status::run(args, socket, &mut out),
        Command::Metrics(cli::Deferred(args)) => {
            status::metrics(args, socket, &mut out).map(|()| true)
        }
        Command::Run(cli::Deferred(args)) => control::run(args, socket, &mut out),
        Command::Pause(cli::Deferred(args)) => control::pause(args, false, socket, &mut out),
        Command::Resume(cli::Deferred(args)) => control::pause(args, true, socket, &mut out),
        Command::Skip(cli::Deferred(args)) => control::skip(args, socket, &mut out),
        Command::Mock(command) => mock::run(command, socket, &mut out).map(|()| true),
        Command::Generate(cli::Deferred(args)) => generate(args.what, &mut out).map(|()| true),
    };
    let result = result.and_then(|ok| out.flush().map(|()| ok).map_err(Into::into));
    report::exit_code(result)
}
