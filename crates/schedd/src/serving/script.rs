//! The script a job runs, written out for `sched show`.
//!
//! The daemon does not run this text: it gives the job the same
//! environment, umask and directory directly and runs the command with
//! `/bin/sh -c`. The rendering is exactly equivalent, so that a user can
//! read, or run by hand, what schedd will do.

use sched_spool::JobRecord;

/// The job as a shell script.
pub fn render(record: &JobRecord, owner: &str) -> String {
    let job = &record.job;
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!(
        "# schedd job {}, owner {owner} (uid {}), due {}\n",
        record.id, job.owner_uid, job.due
    ));
    script.push_str(&format!("umask {:04o}\n", job.umask));
    for (name, value) in &job.env {
        script.push_str(&format!("{name}={}; export {name}\n", quote(value)));
    }
    script.push_str(&format!(
        "cd {} || {{ echo 'schedd: cannot enter the working directory' >&2; exit 1; }}\n",
        quote(&job.cwd)
    ));
    script.push_str(&job.command);
    if !job.command.ends_with('\n') {
        script.push('\n');
    }
    script
}

/// `text` in single quotes, each `'` written as `'\''`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_every_shell_special_character() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(
            quote("it's $HOME `x` \"y\"\n"),
            "'it'\\''s $HOME `x` \"y\"\n'"
        );
        assert_eq!(quote(""), "''");
    }
}
