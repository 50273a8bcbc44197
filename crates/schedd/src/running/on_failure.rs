//! The on-failure command (`SCHED_ONFAILURE` in a crontab, `sched at
//! --on-failure`, schedd.conf's `on_failure`): run by /bin/sh as the
//! job's owner, with the owner's environment as the job had it, when a
//! run finally fails (no retry left), times out, or an occurrence is
//! missed. It learns what failed from its environment; the run's output
//! is its standard input, also readable at `SCHED_FAILED_OUTPUT`
//! (`/dev/stdin`). It is not itself a job: it gets no retry, no history
//! row and no on-failure command of its own; its end is logged.

use std::io::{Seek, Write};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use jiff::Timestamp;
use sched_runas::JobCommand;
use sched_spool::{Output, RunId};

use super::executor::{Executor, SHELL, job_environment};
use crate::cron::environment::{self, cron_environment};

/// The longest an on-failure command may run before it gets SIGKILL: it
/// is a notification, not a job.
pub const HOOK_TIME_LIMIT: Duration = Duration::from_secs(600);

/// The most output bytes an on-failure command is given.
const EXCERPT_LIMIT: usize = 64 * 1024;

/// The variable that names the command in a crontab or a job's
/// environment.
pub const VARIABLE: &str = "SCHED_ONFAILURE";

/// What failed, as the on-failure command is told.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The crontab line (`crontab of alice:3`) or `job 42`.
    pub entry: String,
    pub scheduled: Timestamp,
    pub attempt: u32,
    /// `exit 3`, `killed by SIGKILL`, `timed out`, `lost`, `missed: ...`.
    pub outcome: String,
    /// The exit status, when the process exited.
    pub exit_status: Option<i32>,
    pub run: Option<RunId>,
    pub output: Output,
}

/// Whose command it is and what environment the job had.
#[derive(Debug, Clone)]
pub struct Hook {
    pub command: String,
    pub uid: u32,
    /// The owner's account name when the job was stored or loaded.
    pub name: String,
    /// A crontab line's assignments, or a job's submitted environment.
    pub env: Vec<(String, String)>,
    /// The environment is a crontab's (cron's rules) or a job's (at's).
    pub cron: bool,
}

/// The command named by `env` (`SCHED_ONFAILURE=`), else `default`.
pub fn command_of(env: &[(String, String)], default: Option<&str>) -> Option<String> {
    environment::lookup(env, VARIABLE)
        .or(default)
        .map(str::trim)
        .filter(|command| !command.is_empty())
        .map(str::to_owned)
}

impl Executor {
    /// Starts `hook` for `failure`, in the background.
    pub fn on_failure(&self, hook: Hook, failure: Failure) {
        self.metrics.on_failure_started();
        let output_dir = self.output_dir.clone();
        tokio::spawn(async move {
            let what = failure.entry.clone();
            match run_hook(hook, failure, output_dir).await {
                Ok(status) => tracing::info!("on-failure command of {what} ended: {status}"),
                Err(error) => tracing::warn!("on-failure command of {what}: {error}"),
            }
        });
    }
}

async fn run_hook(
    hook: Hook,
    failure: Failure,
    output_dir: std::path::PathBuf,
) -> Result<String, String> {
    let prepared = tokio::task::spawn_blocking(move || prepare(&hook, &failure, &output_dir))
        .await
        .map_err(|error| error.to_string())??;
    let mut child = tokio::process::Command::from(prepared)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot start: {error}"))?;
    match tokio::time::timeout(HOOK_TIME_LIMIT, child.wait()).await {
        Ok(Ok(status)) => Ok(status.to_string()),
        Ok(Err(error)) => Err(format!("cannot wait for it: {error}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "still running after {} s: killed",
                HOOK_TIME_LIMIT.as_secs()
            ))
        }
    }
}

/// The command, as its owner, with the failure in its environment and
/// the output excerpt as its standard input (blocking: account lookups).
fn prepare(
    hook: &Hook,
    failure: &Failure,
    output_dir: &std::path::Path,
) -> Result<std::process::Command, String> {
    let user = sched_runas::resolve_uid(hook.uid).map_err(|error| error.to_string())?;
    if user.name() != hook.name {
        return Err(format!(
            "uid {} is now {}'s, not {}'s: not run",
            hook.uid,
            user.name(),
            hook.name
        ));
    }
    let mut env = if hook.cron {
        cron_environment(&user, &hook.env)
    } else {
        job_environment(&user, &hook.env)
    };
    let failed = [
        ("SCHED_FAILED_ENTRY", failure.entry.clone()),
        ("SCHED_FAILED_SCHEDULED_AT", failure.scheduled.to_string()),
        ("SCHED_FAILED_ATTEMPT", failure.attempt.to_string()),
        ("SCHED_FAILED_OUTCOME", failure.outcome.clone()),
        (
            "SCHED_FAILED_EXIT_STATUS",
            failure
                .exit_status
                .map(|code| code.to_string())
                .unwrap_or_default(),
        ),
        (
            "SCHED_FAILED_RUN",
            failure.run.map(|run| run.0.to_string()).unwrap_or_default(),
        ),
        ("SCHED_FAILED_OUTPUT", "/dev/stdin".to_owned()),
    ];
    env.retain(|(name, _)| !name.starts_with("SCHED_FAILED_") && name != VARIABLE);
    env.extend(failed.map(|(name, value)| (name.to_owned(), value)));
    // The excerpt: an unlinked file the owner may open again through
    // /dev/stdin.
    let mut excerpt = tempfile::tempfile_in(output_dir)
        .map_err(|error| format!("cannot write the output: {error}"))?;
    let head = &failure.output.head[..failure.output.head.len().min(EXCERPT_LIMIT)];
    let room = EXCERPT_LIMIT - head.len();
    let tail = &failure.output.tail[failure.output.tail.len().saturating_sub(room)..];
    excerpt
        .write_all(head)
        .and_then(|()| excerpt.write_all(tail))
        .and_then(|()| excerpt.rewind())
        .map_err(|error| format!("cannot write the output: {error}"))?;
    if sched_runas::current_euid() == 0 {
        std::os::unix::fs::fchown(&excerpt, Some(user.uid()), Some(user.gid()))
            .and_then(|()| excerpt.set_permissions(std::fs::Permissions::from_mode(0o600)))
            .map_err(|error| format!("cannot give the output to its owner: {error}"))?;
    }
    let output = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(|error| format!("cannot open /dev/null: {error}"))?;
    let cwd = environment::lookup(&env, "HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/"));
    let shell = std::path::PathBuf::from(SHELL);
    sched_runas::command(JobCommand {
        user: &user,
        shell: &shell,
        script: &hook.command,
        env: &env,
        cwd: Some(&cwd),
        umask: 0o022,
        nice: 0,
        output,
        stdin: Some(excerpt),
    })
    .map_err(|error| error.to_string())
}
