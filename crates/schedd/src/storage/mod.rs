//! Storage access: the thread that owns the spool ([`thread`]) and the
//! handle with the spool's named operations ([`SpoolHandle`]).

mod handle;
mod thread;

#[cfg(test)]
pub use handle::SpoolGone;
pub use handle::{SpoolCallError, SpoolHandle};
