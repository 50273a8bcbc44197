//! Running: starting a claimed run as its owner, keeping its output,
//! mailing it, and the runs in progress.

pub mod executor;
pub mod in_progress;
pub mod launcher;
pub mod mail;
pub mod on_failure;
pub mod output;
pub mod output_trim;
pub mod process;
