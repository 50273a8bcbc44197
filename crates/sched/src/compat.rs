//! `sched` called as `at`, `atq`, `atrm`, `batch` or `crontab` (through
//! links of those names, `COMPAT=1 scripts/install.sh`): those programs'
//! options, and their output formats, so that scripts written for them
//! keep working on a host where schedd replaced the at and cron packages.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{AtArgs, CrontabArgs, MailArgs};

/// Whose output format a command prints in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// sched's own: instants as ISO 8601, job lines on standard output.
    Sched,
    /// at(1)'s: `job 5 at Fri Dec  4 13:00:00 2026` on standard error,
    /// atq's tab-separated lines, atrm's silence.
    At,
}

/// A program `sched` stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    At,
    Atq,
    Atrm,
    Batch,
    Crontab,
}

/// The program named by `argv0`'s file name, when `sched` stands in for
/// it.
pub fn called_as(argv0: &OsStr) -> Option<Program> {
    let name = Path::new(argv0).file_name()?.to_str()?;
    Some(match name {
        "at" => Program::At,
        "atq" => Program::Atq,
        "atrm" => Program::Atrm,
        "batch" => Program::Batch,
        "crontab" => Program::Crontab,
        _ => return None,
    })
}

/// The socket option every stand-in accepts but does not advertise: at(1)
/// has no such option, tests and unusual set-ups need one.
#[derive(Debug, clap::Args)]
struct Socket {
    #[arg(long, hide = true, value_name = "PATH", env = "SCHED_SOCKET")]
    socket: Option<PathBuf>,
}

/// at(1).
#[derive(Debug, Parser)]
#[command(
    name = "at",
    version,
    about = "Queue, examine or delete jobs for later execution (schedd's at)"
)]
struct AtProgram {
    #[command(flatten)]
    socket: Socket,
    #[command(flatten)]
    args: AtArgs,
}

/// atq(1).
#[derive(Debug, Parser)]
#[command(name = "atq", version, about = "List your pending jobs (schedd's atq)")]
struct AtqProgram {
    #[command(flatten)]
    socket: Socket,
    /// Only the jobs of this queue
    #[arg(short = 'q', value_name = "QUEUE")]
    queue: Option<char>,
}

/// atrm(1).
#[derive(Debug, Parser)]
#[command(name = "atrm", version, about = "Delete jobs (schedd's atrm)")]
struct AtrmProgram {
    #[command(flatten)]
    socket: Socket,
    #[arg(value_name = "JOB", required = true, num_args = 1..)]
    ids: Vec<String>,
}

/// batch(1): every word is the time (default now), the command comes
/// from `-f` or standard input.
#[derive(Debug, Parser)]
#[command(
    name = "batch",
    version,
    about = "Queue a job to run when the system load allows (schedd's batch)"
)]
struct BatchProgram {
    #[command(flatten)]
    socket: Socket,
    #[arg(short = 'q', value_name = "QUEUE")]
    queue: Option<char>,
    #[arg(short = 'f', value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    mail: MailArgs,
    #[arg(short = 'v')]
    verbose: bool,
    #[arg(value_name = "TIMESPEC", num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    words: Vec<String>,
}

/// crontab(1).
#[derive(Debug, Parser)]
#[command(
    name = "crontab",
    version,
    about = "Install, list, edit or remove a crontab (schedd's crontab)"
)]
struct CrontabProgram {
    #[command(flatten)]
    socket: Socket,
    #[command(flatten)]
    args: CrontabArgs,
}

/// Runs `program` with the process's arguments; the result is as for
/// `sched`'s own commands.
pub fn run(program: Program, out: &mut impl Write) -> anyhow::Result<bool> {
    match program {
        Program::At => {
            let AtProgram { socket, args } = AtProgram::parse();
            crate::submit::at(&args, socket.socket.as_deref(), out, Style::At)
        }
        Program::Atq => {
            let AtqProgram { socket, queue } = AtqProgram::parse();
            crate::jobs::list_queue(queue, false, socket.socket.as_deref(), out, Style::At)
                .map(|()| true)
        }
        Program::Atrm => {
            let AtrmProgram { socket, ids } = AtrmProgram::parse();
            let ids = crate::jobs::parse_ids(&ids)?;
            crate::jobs::remove_ids(&ids, socket.socket.as_deref(), out, Style::At)
        }
        Program::Batch => {
            let batch = BatchProgram::parse();
            let args = AtArgs {
                queue: batch.queue,
                posix: None,
                file: batch.file,
                mail: batch.mail,
                policy: Default::default(),
                verbose: batch.verbose,
                list: false,
                remove: false,
                cat: false,
                batch: true,
                words: batch.words,
            };
            crate::submit::at(&args, batch.socket.socket.as_deref(), out, Style::At)
        }
        Program::Crontab => {
            let CrontabProgram { socket, args } = CrontabProgram::parse();
            crate::crontab::run(&args, socket.socket.as_deref(), out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_the_file_name_of_argv0() {
        assert_eq!(called_as(OsStr::new("/usr/bin/at")), Some(Program::At));
        assert_eq!(called_as(OsStr::new("atq")), Some(Program::Atq));
        assert_eq!(called_as(OsStr::new("./atrm")), Some(Program::Atrm));
        assert_eq!(called_as(OsStr::new("batch")), Some(Program::Batch));
        assert_eq!(called_as(OsStr::new("crontab")), Some(Program::Crontab));
        assert_eq!(called_as(OsStr::new("/usr/bin/sched")), None);
        assert_eq!(called_as(OsStr::new("at.sh")), None);
    }

    #[test]
    fn the_stand_ins_parse_the_man_pages_spellings() {
        use clap::CommandFactory;
        for command in [
            AtProgram::command(),
            AtqProgram::command(),
            AtrmProgram::command(),
            BatchProgram::command(),
            CrontabProgram::command(),
        ] {
            command.debug_assert();
        }
        let at = AtProgram::try_parse_from([
            "at", "-m", "-q", "c", "-f", "job.sh", "now", "+", "1", "hour",
        ])
        .unwrap();
        assert!(at.args.mail.always);
        assert_eq!(at.args.queue, Some('c'));
        assert_eq!(at.args.words, ["now", "+", "1", "hour"]);
        let at = AtProgram::try_parse_from(["at", "-d", "4", "5"]).unwrap();
        assert!(at.args.remove);
        assert_eq!(at.args.words, ["4", "5"]);
        let at = AtProgram::try_parse_from(["at", "-lq", "b"]).unwrap();
        assert!(at.args.list);
        assert_eq!(at.args.queue, Some('b'));
        assert!(AtProgram::try_parse_from(["at", "-m", "-M", "now"]).is_err());
        let atq = AtqProgram::try_parse_from(["atq", "-q", "a"]).unwrap();
        assert_eq!(atq.queue, Some('a'));
        let crontab = CrontabProgram::try_parse_from(["crontab", "-u", "alice", "-l"]).unwrap();
        assert!(crontab.args.list);
        assert_eq!(crontab.args.user.as_deref(), Some("alice"));
    }
}
