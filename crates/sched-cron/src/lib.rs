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

mod civil;
pub mod crontab;
mod error;
mod field;
mod next;
mod schedule;
mod zone;

pub use error::{Found, ScheduleError, ScheduleErrorKind};
pub use field::{FieldKind, MAX_STEP};
pub use schedule::Schedule;
pub use zone::{Transition, Zone};
