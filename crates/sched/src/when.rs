//! `sched when TIMESPEC`: the instant an at(1) time specification names,
//! resolved by the same code `sched at` and the daemon use.

use std::io::Write;

use anyhow::Result;

use crate::cli::WhenArgs;
use crate::{report, time};

pub fn run(args: &WhenArgs, out: &mut impl Write) -> Result<()> {
    let (tz, now) = time::clock(&args.clock)?;
    let resolution = match &args.posix {
        Some(value) => sched_at::resolve_posix(value, now, &tz)
            .map_err(|error| report::timespec_error("invalid -t value", value, &error))?,
        None => {
            let spec = args.timespec.join(" ");
            sched_at::resolve(&spec, now, &tz)
                .map_err(|error| report::timespec_error("invalid time", &spec, &error))?
        }
    };
    for notice in &resolution.notices {
        eprintln!("sched: note: {notice}");
    }
    writeln!(out, "{}", time::format_instant(resolution.instant, &tz))?;
    Ok(())
}
