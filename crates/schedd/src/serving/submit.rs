//! Turning a submission into a job: every value checked, the time resolved
//! against the daemon's clock in the submitter's zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use sched_proto::{JobKind, Response, Submission, When, is_env_name};
use sched_spool::{JobRecord, NewJob, Owner};

use super::context::{Context, Peer};
use super::error::RequestError;
use super::permission::{Command, check_access};
use super::reply::job_info;
use crate::scheduling::event::Event;

/// The policy of a one-shot job in its canonical text, or why it is
/// refused: the parts about periodic entries (overlap, catch-up, random
/// delay) have no meaning for a job that runs once.
fn job_policy(text: &str) -> Result<String, String> {
    if text.len() > MAX_POLICY {
        return Err(format!(
            "policy of {} bytes, more than the limit of {MAX_POLICY}",
            text.len()
        ));
    }
    let spec = sched_cron::policy::PolicySpec::parse(text)
        .map_err(|error| format!("invalid policy {text:?}: {}", error.message))?;
    if spec.overlap.is_some() || spec.catch_up.is_some() || spec.jitter.is_some() {
        return Err(
            "overlap, catch-up and jitter are policies of crontab entries; a one-shot job takes timeout, kill-grace, retry, backoff, retry-lost and deadline"
                .to_owned(),
        );
    }
    Ok(spec.to_text())
}

/// The longest on-failure command a submission may carry.
const MAX_ON_FAILURE: usize = 64 * 1024;

/// The longest policy text a submission may carry.
const MAX_POLICY: usize = 1024;

/// Queues a submission for the caller, durably, and tells the scheduler.
pub async fn serve(
    context: &Context,
    peer: Peer,
    owner: Owner,
    submission: Submission,
) -> Result<Response, RequestError> {
    check_access(context, peer, Command::At).await?;
    let accepted = accept(submission, peer.uid, peer.gid, context.clock.now())?;
    let mut job = accepted.job;
    // The job remembers whose it is by name too: a uid reused by a
    // later account does not inherit it. The lookup may block on
    // NSS: not on a tokio worker.
    let uid = peer.uid;
    job.owner_name = match &owner {
        Owner::Account { name, .. } => name.clone(),
        _ => context
            .accounts
            .name_of(uid)
            .await
            .map_err(RequestError::Lookup)?,
    };
    let stored = job.clone();
    let id = context.spool.insert(stored).await?;
    let record = JobRecord { id, job };
    // Sent before the reply, so that anything the client does next
    // (a mock clock step in tests) reaches the scheduler after it.
    let _ = context.events.send(Event::Added {
        id,
        due: record.job.due,
        kind: record.job.kind,
        queue: record.job.queue,
    });
    tracing::info!(job = id.0, uid = peer.uid.0, pid = peer.pid, due = %record.job.due, "queued");
    let owner = record
        .job
        .owner_name
        .clone()
        .unwrap_or_else(|| uid.to_string());
    Ok(Response::Submitted {
        job: job_info(&record, owner),
        notices: accepted.notices,
    })
}

/// The longest command: one argument of `sh -c`, which Linux caps at
/// 128 KiB (MAX_ARG_STRLEN) including its final NUL.
pub const MAX_COMMAND: usize = 128 * 1024 - 1;

/// The most environment variables a job may carry.
pub const MAX_ENV: usize = 4096;

/// A checked submission and the notices its time specification gave.
#[derive(Debug)]
pub struct Accepted {
    pub job: NewJob,
    pub notices: Vec<String>,
}

/// Checks `submission` from `uid`/`gid` and resolves its time at `now`.
pub fn accept(
    submission: Submission,
    uid: sched_spool::Uid,
    gid: u32,
    now: Timestamp,
) -> Result<Accepted, RequestError> {
    let invalid = RequestError::Invalid;
    if submission.command.len() > MAX_COMMAND {
        return Err(invalid(format!(
            "the command is {} bytes, more than the limit of {MAX_COMMAND}: put it in a script and run that",
            submission.command.len()
        )));
    }
    if submission.command.trim().is_empty() {
        return Err(invalid(
            "nothing to run: the command is empty; nothing was queued".to_owned(),
        ));
    }
    if submission.command.contains('\0') {
        return Err(invalid("the command contains a NUL byte".to_owned()));
    }
    if !submission.cwd.starts_with('/') || submission.cwd.contains('\0') {
        return Err(invalid(format!(
            "the working directory {:?} is not an absolute path",
            submission.cwd
        )));
    }
    if submission.umask > 0o777 {
        return Err(invalid(format!(
            "umask {:o} is not a file mode mask (0 to 777)",
            submission.umask
        )));
    }
    if submission.env.len() > MAX_ENV {
        return Err(invalid(format!(
            "{} environment variables, more than the limit of {MAX_ENV}",
            submission.env.len()
        )));
    }
    for (name, value) in &submission.env {
        if !is_env_name(name) {
            return Err(invalid(format!(
                "environment variable name {name:?} is not a shell name ([A-Za-z_][A-Za-z0-9_]*)"
            )));
        }
        if value.contains('\0') {
            return Err(invalid(format!(
                "environment variable {name} contains a NUL byte"
            )));
        }
    }
    let policy = job_policy(&submission.policy).map_err(invalid)?;
    // The daemon's own variables are the daemon's to set: a submitter's
    // environment does not name an on-failure command by accident.
    let mut env = submission.env;
    env.retain(|(name, _)| {
        !matches!(
            name.as_str(),
            crate::running::on_failure::VARIABLE | crate::running::executor::REASON
        )
    });
    if let Some(command) = submission
        .on_failure
        .filter(|command| !command.trim().is_empty())
    {
        if command.len() > MAX_ON_FAILURE || command.contains('\0') {
            return Err(invalid(format!(
                "--on-failure: a command of at most {MAX_ON_FAILURE} bytes without NUL"
            )));
        }
        env.push((crate::running::on_failure::VARIABLE.to_owned(), command));
    }
    let zone = zone(submission.tz.as_deref())?;
    let (due, notices) = resolve(&submission.when, now, &zone)?;
    let (kind, queue) = queue_of(submission.kind, submission.queue).map_err(invalid)?;
    Ok(Accepted {
        job: NewJob {
            kind,
            queue,
            owner_uid: uid,
            owner_gid: gid,
            // Set by the caller, which may look it up off the async threads.
            owner_name: None,
            due,
            submitted: now,
            command: submission.command,
            cwd: submission.cwd,
            umask: submission.umask,
            env,
            mail: match submission.mail {
                sched_proto::MailWhen::Output => sched_spool::Mail::Output,
                sched_proto::MailWhen::Always => sched_spool::Mail::Always,
                sched_proto::MailWhen::Never => sched_spool::Mail::Never,
            },
            policy,
            attempt: 1,
            scheduled: None,
        },
        notices,
    })
}

/// The kind and queue letter of a submission, as at(1) has them: `a` for at
/// and `b` for batch by default; `-q b` and an upper-case queue make a
/// batch job (at(1): "treated as if it were submitted to batch"), and a
/// batch job's queue is `b` or upper case.
pub fn queue_of(
    kind: JobKind,
    queue: Option<char>,
) -> Result<(sched_spool::JobKind, char), String> {
    let queue = queue.unwrap_or(match kind {
        JobKind::At => 'a',
        JobKind::Batch => 'b',
    });
    if !queue.is_ascii_alphabetic() {
        return Err(format!(
            "queue {queue:?} is not a letter: at's queues are a-z and A-Z"
        ));
    }
    let batch_queue = queue == 'b' || queue.is_ascii_uppercase();
    match kind {
        JobKind::Batch if !batch_queue => Err(format!(
            "queue {queue} is not a batch queue: batch jobs go in b or an upper-case queue (A-Z)"
        )),
        _ if batch_queue => Ok((sched_spool::JobKind::Batch, queue)),
        _ => Ok((sched_spool::JobKind::At, queue)),
    }
}

/// The submitter's zone: an IANA name or a POSIX TZ string; the daemon's
/// own zone when none was sent.
fn zone(name: Option<&str>) -> Result<TimeZone, RequestError> {
    let Some(name) = name else {
        return Ok(TimeZone::try_system().unwrap_or(TimeZone::UTC));
    };
    let name = name.strip_prefix(':').unwrap_or(name);
    TimeZone::get(name).or_else(|_| TimeZone::posix(name)).map_err(|_| {
        RequestError::Invalid(format!("unknown time zone {name:?}: expected an IANA name such as Europe/Berlin or a POSIX TZ string"))
    })
}

fn resolve(
    when: &When,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<(Timestamp, Vec<String>), RequestError> {
    let resolution = match when {
        When::Now => return Ok((now, Vec::new())),
        When::Timespec { text } => sched_at::resolve(text, now, zone),
        When::Posix { value } => sched_at::resolve_posix(value, now, zone),
    };
    match resolution {
        Ok(resolution) => Ok((
            resolution.instant,
            resolution.notices.iter().map(ToString::to_string).collect(),
        )),
        Err(error) => Err(RequestError::Timespec {
            message: error.to_string(),
            column: (!error.is_about_the_result()).then_some(error.column),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sched_spool::Uid;

    fn submission(when: When, env: Vec<(&str, &str)>) -> Submission {
        Submission {
            kind: JobKind::At,
            queue: None,
            when,
            tz: Some("Europe/Berlin".to_owned()),
            command: "true".to_owned(),
            env: env
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            cwd: "/".to_owned(),
            umask: 0o022,
            mail: Default::default(),
            policy: String::new(),
            on_failure: None,
        }
    }

    fn now() -> Timestamp {
        "2026-11-25T22:58:00Z".parse().unwrap()
    }

    #[test]
    fn queues_decide_the_kind_and_the_niceness_as_at_and_atd() {
        use sched_spool::JobKind as Stored;
        let table = [
            (JobKind::At, None, Ok((Stored::At, 'a'))),
            (JobKind::At, Some('z'), Ok((Stored::At, 'z'))),
            (JobKind::At, Some('b'), Ok((Stored::Batch, 'b'))),
            (JobKind::At, Some('Q'), Ok((Stored::Batch, 'Q'))),
            (JobKind::Batch, None, Ok((Stored::Batch, 'b'))),
            (JobKind::Batch, Some('E'), Ok((Stored::Batch, 'E'))),
        ];
        for (kind, queue, expected) in table {
            assert_eq!(queue_of(kind, queue), expected, "{kind:?} {queue:?}");
        }
        assert!(queue_of(JobKind::Batch, Some('c')).is_err());
        assert!(queue_of(JobKind::At, Some('=')).is_err());
        assert!(queue_of(JobKind::At, Some('é')).is_err());
        assert_eq!(
            ["a", "b", "c", "z", "A", "Z"]
                .map(|q| crate::running::executor::nice_of(q.chars().next().unwrap())),
            [2, 4, 6, 52, 2, 52]
        );
    }

    #[test]
    fn environment_names_must_be_shell_names() {
        for good in ["A", "_", "_a1", "PATH", "x_Y_9"] {
            assert!(is_env_name(good), "{good}");
        }
        for bad in ["", "1A", "A-B", "A=B", "A B", "é", "BASH_FUNC_f%%"] {
            assert!(!is_env_name(bad), "{bad}");
            let error = accept(
                submission(When::Now, vec![(bad, "v")]),
                Uid(1000),
                1000,
                now(),
            )
            .unwrap_err();
            assert_eq!(error.code(), sched_proto::ErrorCode::Invalid, "{bad}");
        }
    }

    #[test]
    fn the_time_is_resolved_in_the_submitters_zone_against_the_daemons_now() {
        // 23:58 in Berlin; five minutes later is 00:03 the next day.
        let accepted = accept(
            submission(
                When::Timespec {
                    text: "now + 5 min".into(),
                },
                vec![],
            ),
            Uid(1000),
            1000,
            now(),
        )
        .unwrap();
        assert_eq!(
            accepted.job.due,
            "2026-11-25T23:03:00Z".parse::<Timestamp>().unwrap()
        );
        let error = accept(
            submission(
                When::Timespec {
                    text: "tomorrow 10am".into(),
                },
                vec![],
            ),
            Uid(1000),
            1000,
            now(),
        )
        .unwrap_err();
        let RequestError::Timespec { column, .. } = error else {
            panic!("a timespec error: {error:?}");
        };
        assert!(column.is_some());
    }

    #[test]
    fn bad_values_are_refused_with_what_was_wrong() {
        let mut s = submission(When::Now, vec![]);
        s.cwd = "relative".into();
        assert!(
            accept(s, Uid(0), 0, now())
                .unwrap_err()
                .to_string()
                .contains("not an absolute path")
        );
        let mut s = submission(When::Now, vec![]);
        s.umask = 0o1000;
        assert!(
            accept(s, Uid(0), 0, now())
                .unwrap_err()
                .to_string()
                .contains("umask")
        );
        let mut s = submission(When::Now, vec![]);
        s.command = "x".repeat(MAX_COMMAND + 1);
        assert!(
            accept(s, Uid(0), 0, now())
                .unwrap_err()
                .to_string()
                .contains("put it in a script")
        );
        let mut s = submission(When::Now, vec![]);
        s.tz = Some("Mars/Olympus".into());
        assert!(
            accept(s, Uid(0), 0, now())
                .unwrap_err()
                .to_string()
                .contains("unknown time zone")
        );
    }
}
