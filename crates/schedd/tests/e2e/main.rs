//! End-to-end tests: the real `schedd` on a mock clock in a temp dir,
//! driven by the real `sched`.

mod bad_input;
mod cron;
mod fleet;
mod flood;
mod full_disk;
mod habits;
mod harness;
mod jobs;
mod operations;
mod policies;
mod privileges;
mod restart;
mod service;
