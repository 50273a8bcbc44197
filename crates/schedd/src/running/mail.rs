//! Mailing a job's output by the local mailer, run as the job's owner so
//! that a user's MAILTO never sends mail with root's authority. Without a
//! mailer nothing is mailed; the output is kept in the run history either
//! way.
//!
//! - A cron job's, as cron does: when the job wrote anything (with `-n`,
//!   only when it also failed), to MAILTO or else the owner.
//! - An at or batch job's, as atd does: to the owner, when the job wrote
//!   anything, always (`at -m`) or never (`at -M`).

use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use sched_runas::{JobCommand, ResolvedUser};
use sched_spool::Outcome;

/// How one run's output is to be mailed.
#[derive(Debug)]
pub struct MailPlan {
    pub to: String,
    /// The From address: MAILFROM, else the owner.
    from: String,
    /// Why nothing may be mailed: a value that would go into a header
    /// fails cron's rules (see `sched_cron::crontab::header`).
    pub refused: Option<String>,
    user: ResolvedUser,
    subject: String,
    cron_env: Vec<(String, String)>,
    rule: Rule,
    /// The sender's display name: `(Cron Daemon)`, or atd's.
    sender: &'static str,
    sendmail: PathBuf,
}

/// Which runs are mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Those that wrote anything.
    Output,
    /// Those that wrote anything and did not exit 0 (cron's `-n`).
    OutputOnError,
    /// All of them (`at -m`).
    Always,
}

/// The plan for a job of `user` running `command` with environment `env`,
/// or `None` when nothing is to be mailed: MAILTO is empty, or there is no
/// mailer at `sendmail`.
pub fn plan(
    user: &ResolvedUser,
    env: &[(String, String)],
    command: &str,
    only_on_error: bool,
    sendmail: &Path,
) -> Option<MailPlan> {
    let to = match crate::cron::environment::lookup(env, "MAILTO") {
        Some(to) if to.trim().is_empty() => return None,
        Some(to) => to.trim().to_owned(),
        None => user.name().to_owned(),
    };
    let from = match crate::cron::environment::lookup(env, "MAILFROM") {
        Some(from) if !from.trim().is_empty() => from.trim().to_owned(),
        _ => user.name().to_owned(),
    };
    if !sendmail.is_file() {
        tracing::debug!("no mailer at {}: output is not mailed", sendmail.display());
        return None;
    }
    let host = nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    // A subject is one line: cron shows the command's first line.
    let first_line: String = command
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    // The crontab was checked when it was installed; this is the same
    // check on what is about to be written, whatever its origin.
    let refused = [("MAILTO", to.as_str()), ("MAILFROM", from.as_str())]
        .into_iter()
        .chain(
            env.iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )
        .find_map(|(name, value)| sched_cron::crontab::header::header_problem(name, value))
        .map(|(_, problem)| format!("output not mailed: {problem}"));
    Some(MailPlan {
        from,
        refused,
        to,
        user: user.clone(),
        subject: format!("Cron <{}@{host}> {first_line}", user.name()),
        cron_env: env.to_vec(),
        rule: if only_on_error {
            Rule::OutputOnError
        } else {
            Rule::Output
        },
        sender: "(Cron Daemon)",
        sendmail: sendmail.to_path_buf(),
    })
}

/// The plan for one-shot job `job` of `user`, mailed as `mail` says, or
/// `None` when nothing is to be mailed (`at -M`, or no mailer).
pub fn plan_for_job(
    user: &ResolvedUser,
    job: sched_spool::JobId,
    mail: sched_spool::Mail,
    sendmail: &Path,
) -> Option<MailPlan> {
    let rule = match mail {
        sched_spool::Mail::Never => return None,
        sched_spool::Mail::Output => Rule::Output,
        sched_spool::Mail::Always => Rule::Always,
    };
    if !sendmail.is_file() {
        tracing::debug!("no mailer at {}: output is not mailed", sendmail.display());
        return None;
    }
    // A login name passed the system's rules for names; the same header
    // check as a crontab's values guards against one that did not.
    let refused = sched_cron::crontab::header::header_problem("MAILTO", user.name())
        .map(|(_, problem)| format!("output not mailed: {problem}"));
    Some(MailPlan {
        to: user.name().to_owned(),
        from: user.name().to_owned(),
        refused,
        user: user.clone(),
        subject: format!("Output from your job {job}"),
        cron_env: Vec::new(),
        rule,
        sender: "(at daemon)",
        sendmail: sendmail.to_path_buf(),
    })
}

impl MailPlan {
    /// Whether a run that ended with `outcome` after writing `bytes` is
    /// mailed.
    pub fn wanted(&self, outcome: &Outcome, bytes: u64) -> bool {
        match self.rule {
            Rule::Always => true,
            Rule::Output => bytes > 0,
            Rule::OutputOnError => bytes > 0 && !matches!(outcome, Outcome::Exited(0)),
        }
    }

    /// Sends the output file `output`: what the history keeps of it within
    /// `limit` bytes (the head and tail of a longer one, with a note of the
    /// size) (blocking: run it off the async threads).
    /// The mailer runs as the job's owner, in /.
    pub fn send(&self, output: &Path, scratch_dir: &Path, limit: u64) -> std::io::Result<()> {
        if let Some(refused) = &self.refused {
            return Err(std::io::Error::other(refused.clone()));
        }
        let mut message = tempfile::tempfile_in(scratch_dir)?;
        write!(
            message,
            "From: \"{sender}\" <{from}>\nTo: {to}\nSubject: {subject}\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\
             Content-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n\
             Precedence: bulk\n",
            sender = self.sender,
            from = self.from,
            to = self.to,
            subject = self.subject,
        )?;
        for (name, value) in &self.cron_env {
            writeln!(message, "X-Cron-Env: <{name}={value}>")?;
        }
        writeln!(message)?;
        // What the run history keeps, and nothing else: the middle of a
        // longer output is gone from disk already (see `output_trim`).
        let kept = crate::running::output::read(output, limit)?;
        message.write_all(&kept.head)?;
        if !kept.tail.is_empty() {
            let left_out = kept.total_bytes - (kept.head.len() + kept.tail.len()) as u64;
            write!(
                message,
                "\n[schedd: the output was {} bytes; {left_out} in the middle are left out]\n",
                kept.total_bytes
            )?;
            message.write_all(&kept.tail)?;
        }
        message.rewind()?;
        let script = format!(
            "exec {} -FCronDaemon -i -B8BITMIME -oem -oi -t",
            shell_quote(&self.sendmail.display().to_string())
        );
        let env = vec![
            (
                "PATH".to_owned(),
                "/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            ),
            ("HOME".to_owned(), self.user.home().display().to_string()),
            ("LOGNAME".to_owned(), self.user.name().to_owned()),
            ("USER".to_owned(), self.user.name().to_owned()),
        ];
        let status = sched_runas::command(JobCommand {
            user: &self.user,
            shell: Path::new("/bin/sh"),
            script: &script,
            env: &env,
            nice: 0,
            cwd: Some(Path::new("/")),
            umask: 0o077,
            output: File::options().write(true).open("/dev/null")?,
            stdin: Some(message),
        })
        .map_err(std::io::Error::other)?
        .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "{} ended with {status}",
                self.sendmail.display()
            )))
        }
    }
}

/// `text` in single quotes for /bin/sh.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(env: &[(&str, &str)]) -> MailPlan {
        let user = sched_runas::resolve_uid(nix::unistd::getuid().as_raw()).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        // Any existing file stands in for the mailer.
        plan(&user, &env, "echo hi", false, Path::new("/bin/sh")).unwrap()
    }

    #[test]
    fn a_value_that_would_break_a_header_stops_the_mail_with_a_reason() {
        assert_eq!(plan_with(&[("MAILTO", "ops@example.org")]).refused, None);
        for (env, reason) in [
            (
                [("MAILTO", "a@b\rBcc: c@d")],
                "output not mailed: control character U+000D in the value of MAILTO: it would reach a mail header",
            ),
            (
                [("X", "1\nX-Evil: 2")],
                "output not mailed: control character U+000A in the value of X: it would reach a mail header",
            ),
            (
                [("MAILFROM", "<a@b>")],
                "output not mailed: '<' is not allowed in MAILFROM (cron mails nothing to such an address): use letters, digits, _ and @!:%+-.,",
            ),
        ] {
            let plan = plan_with(&env);
            assert_eq!(plan.refused.as_deref(), Some(reason));
            let scratch = tempfile::tempdir().unwrap();
            let error = plan
                .send(Path::new("/dev/null"), scratch.path(), 10)
                .unwrap_err();
            assert_eq!(error.to_string(), reason, "nothing is sent");
        }
    }

    #[test]
    fn a_subject_never_carries_a_control_character() {
        let user = sched_runas::resolve_uid(nix::unistd::getuid().as_raw()).unwrap();
        let plan = plan(
            &user,
            &[],
            "echo a\rb\u{1b}c\nsecond",
            false,
            Path::new("/bin/sh"),
        )
        .unwrap();
        assert!(plan.subject.ends_with("> echo a?b?c"), "{}", plan.subject);
    }
}
