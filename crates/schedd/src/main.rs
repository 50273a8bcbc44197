//! `schedd`, the scheduling daemon. The schedule engine (`sched-cron`) and
//! the `sched next` / `sched check` commands come first; the daemon proper
//! (spool, socket, job execution) is built on them next. Until then this
//! binary only answers `--version` and `--help`, and says so when started.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "schedd", version, about = "The schedd cron and at daemon")]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    eprintln!(
        "schedd {}: the daemon does not run jobs in this version; use `sched next` and `sched check`",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(1)
}
