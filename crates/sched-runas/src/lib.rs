//! Users and credentials: who a uid is, and a command that starts as them;
//! also the other calls the daemon needs `unsafe` for: forking into the
//! background ([`detach`]) and `malloc_trim`.
//!
//! This is the only crate that changes credentials or uses `unsafe`. A
//! [`ResolvedUser`] can only be built here, from the password database,
//! before any fork; [`command`] then prepares a `std::process::Command`
//! whose child, between fork and exec, makes only async-signal-safe calls:
//! `setsid`, `setgroups`, `setgid`, `setuid` (in that order, each checked),
//! a check that `setuid(0)` now fails, `umask`, `chdir`, and marking every
//! descriptor above 2 close-on-exec.
//!
//! [`spawn`] starts the same child without forking the daemon (a clone
//! sharing its memory, as `posix_spawn`), for the jobs themselves, where
//! the time to start matters; [`command`] remains for children whose
//! standard streams are pipes (mail, on-failure commands) and for kernels
//! without pidfds.
//!
//! Deliberately absent: reading the child's output and deciding who may
//! run what. The caller owns the policy.

mod child;
mod daemon;
mod memory;
mod spawn;
mod stopped_child;
mod user;

pub use child::{JobCommand, command};
pub use daemon::{Detached, detach, inherited_listener};
pub use memory::{keep_large_blocks_mapped, release_free_memory};
pub use spawn::{
    Spawned, in_one_burst, prefer_starting_thread, spawn, spawn_supported,
    stop_children_before_exec,
};
pub use user::{ResolvedUser, RunAsError, current_euid, resolve_uid, uid_of_name};
