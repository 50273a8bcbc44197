//! `sched mock`: the hooks tests use to drive a daemon started with
//! `--mock-clock`. Any other daemon, or another user, answers "unknown
//! request".

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use sched_proto::{MockRequest, Request, Response};

use crate::cli::MockCommand;
use crate::client::{Client, unexpected};

pub fn run(command: &MockCommand, socket: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let mut client = Client::connect(socket)?;
    let request = match command {
        MockCommand::Now => MockRequest::Now,
        MockCommand::Set { to } => MockRequest::Set { to: *to },
        MockCommand::Advance { by } => {
            let Response::Clock { now } = client.ask(Request::Mock(MockRequest::Now))? else {
                anyhow::bail!("schedd did not say its mock time");
            };
            MockRequest::Set {
                to: now.checked_add(*by)?,
            }
        }
        MockCommand::Step { by } => {
            let Response::Clock { now } = client.ask(Request::Mock(MockRequest::Now))? else {
                anyhow::bail!("schedd did not say its mock time");
            };
            MockRequest::Step {
                to: now.checked_add(*by)?,
            }
        }
        MockCommand::Settle { timeout_ms } => MockRequest::Settle {
            timeout_ms: *timeout_ms,
        },
    };
    match client.ask(Request::Mock(request))? {
        Response::Clock { now } => writeln!(out, "{now}")?,
        Response::Settled { running } => writeln!(out, "{running}")?,
        other => return Err(unexpected("a mock clock request", &other)),
    }
    Ok(())
}
