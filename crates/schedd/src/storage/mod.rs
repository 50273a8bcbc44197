//! Storage access: the thread that owns the spool.

pub mod thread;
