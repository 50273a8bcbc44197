//! Cron schedules and crontab files with the exact semantics of cron(8)
//! and crontab(5), as cronie implements them.
//!
//! - [`Schedule`] parses the five time fields or a macro, rejects what can
//!   never run, and computes fire instants in any [`Zone`] with cron(8)'s
//!   DST rules (`next.rs` explains them).
//! - [`crontab`] parses whole user and system crontab files.
//!
//! This crate does no I/O and never reads the clock: `now` and the zone are
//! always parameters, so the daemon, `sched next` and the tests share one
//! implementation.
//!
//! ```
//! use jiff::{Timestamp, tz::TimeZone};
//! use sched_cron::{Schedule, Zone};
//!
//! let zone = Zone::new(TimeZone::get("America/New_York")?);
//! let schedule: Schedule = "30 2 * * *".parse()?;
//! // 02:30 does not exist on 2026-03-08: a fixed-time job runs once, right
//! // after the clock jumps to 03:00 EDT.
//! let after: Timestamp = "2026-03-07T12:00:00-05:00".parse()?;
//! let next = schedule.next_after(&zone, after).unwrap();
//! assert_eq!(next, "2026-03-08T03:00:00-04:00".parse::<Timestamp>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod civil;
pub mod crontab;
mod error;
mod field;
mod next;
pub mod policy;
mod random;
mod schedule;
mod zone;

pub use error::{Found, ScheduleError, ScheduleErrorKind};
pub use field::{FieldKind, MAX_STEP};
pub use schedule::Schedule;
pub use zone::{Transition, Zone};
