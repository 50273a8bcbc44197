//! Scheduling: the loop that sleeps until the next due instant and the
//! events that wake it.

pub mod event;
pub mod fleet;
pub mod lost;
pub mod scheduler;
pub mod stored_crontabs;

#[cfg(test)]
mod tests;
