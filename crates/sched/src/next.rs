//! `sched next EXPR`: the next instants a schedule fires, computed by the
//! same engine the daemon uses.

use std::io::Write;

use anyhow::{Result, bail};
use sched_cron::{Schedule, Zone};

use crate::cli::NextArgs;
use crate::time;

pub fn run(args: &NextArgs, out: &mut impl Write) -> Result<()> {
    let expression = args.expression.join(" ");
    let schedule = Schedule::parse(&expression)
        .map_err(|error| crate::report::schedule_error(&expression, &error))?;
    if schedule.is_reboot() {
        bail!("@reboot runs once when the system boots; it has no next time");
    }
    let (tz, now) = time::clock(&args.clock)?;
    let zone = Zone::new(tz);
    let mut printed = 0;
    for at in schedule.iter_after(&zone, now).take(args.count) {
        writeln!(out, "{}", time::format_instant(at, zone.time_zone()))?;
        printed += 1;
    }
    if printed == 0 && args.count > 0 {
        bail!("{expression:?} does not fire again before the year 10000");
    }
    Ok(())
}
