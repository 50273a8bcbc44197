//! Operating-system glue: account lookups, private directories, the
//! pidfile and syslog.

pub mod accounts;
pub mod dirs;
pub mod neighbours;
pub mod pidfile;
pub mod syslog;
