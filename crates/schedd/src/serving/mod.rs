//! Serving clients: the socket, admission of connections, and the answer
//! to each kind of request.

pub mod admission;
pub mod context;
pub mod control;
pub mod crontab;
pub mod dispatch;
pub mod entry_name;
pub mod error;
pub mod kill;
pub mod list;
pub mod listener;
pub mod logs;
pub mod metrics;
pub mod metrics_file;
pub mod metrics_http;
pub mod mock;
pub mod permission;
pub mod remove;
pub mod reply;
pub mod script;
pub mod show;
pub mod status;
pub mod submit;
pub mod system_view;
pub mod upcoming;

#[cfg(test)]
mod tests;
