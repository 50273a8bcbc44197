//! Scheduling: the loop that sleeps until the next due instant and the
//! events that wake it.

pub mod event;
pub mod scheduler;

#[cfg(test)]
mod tests;
