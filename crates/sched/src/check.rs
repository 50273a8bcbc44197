//! `sched check FILE...`: validates crontab files with the parser the
//! daemon uses, and prints one `FILE:LINE:COL: message` line per problem.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::Result;
use sched_cron::crontab::{self, Format, LineError};
use sched_cron::policy::Policy;

use crate::cli::CheckArgs;

/// Where system crontabs live: a file there has a user field.
const SYSTEM_CRONTAB: &str = "/etc/crontab";
const SYSTEM_DIR: &str = "/etc/cron.d";

/// The format a file is checked in when neither --system nor --user says:
/// the system format for /etc/crontab and the files of /etc/cron.d (by
/// their real path), the user format otherwise.
fn format_by_path(path: &Path) -> Format {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if real == Path::new(SYSTEM_CRONTAB) || real.parent() == Some(Path::new(SYSTEM_DIR)) {
        Format::System
    } else {
        Format::User
    }
}

/// Whether every file was valid.
pub fn run(args: &CheckArgs, out: &mut impl Write) -> Result<bool> {
    let mut all_valid = true;
    for path in &args.files {
        let name = if path == Path::new("-") {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let format = match (args.system, args.user) {
            (true, _) => Format::System,
            (_, true) => Format::User,
            _ if path == Path::new("-") => Format::User,
            _ => {
                let format = format_by_path(path);
                if format == Format::System {
                    eprintln!(
                        "sched: note: {name} is a system crontab: checked in system format (a user name before each command); --user checks it as a user's"
                    );
                }
                format
            }
        };
        let bytes = match read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("sched: {name}: cannot read: {error}");
                all_valid = false;
                continue;
            }
        };
        for error in check_text(&bytes, format) {
            writeln!(out, "{name}:{error}")?;
            all_valid = false;
        }
        if args.explain {
            explain(&name, &bytes, format, out)?;
        }
    }
    Ok(all_valid)
}

/// Each valid job line of a file with the policy it runs under: what the
/// file writes, over cron's behaviour (a daemon's schedd.conf `policy`
/// fills what the file leaves out).
fn explain(name: &str, bytes: &[u8], format: Format, out: &mut impl Write) -> Result<()> {
    let owner = nix::unistd::geteuid().as_raw();
    let (parsed, _) = crontab::parse_bytes_for(bytes, format, owner);
    for entry in &parsed.entries {
        let policy = parsed.policy_of(entry).over(&Policy::default());
        let user = entry
            .user
            .as_deref()
            .map(|user| format!(" (as {user})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{name}:{}: {}{user}",
            entry.line,
            crate::jobs::one_line(&entry.command, 60)
        )?;
        writeln!(out, "  policy: {policy}")?;
    }
    Ok(())
}

/// Every problem in one file, in line order: syntax, then zones that
/// `CRON_TZ` names but the zone database lacks.
pub fn check_text(bytes: &[u8], format: Format) -> Vec<LineError> {
    let (parsed, mut errors) = crontab::parse_bytes(bytes, format);
    for var in parsed.env.iter().filter(|v| v.name == "CRON_TZ") {
        if !var.value.is_empty() && crate::time::zone_named(&var.value).is_none() {
            errors.push(LineError {
                line: var.line,
                column: var.value_column,
                message: format!(
                    "unknown time zone {:?} in CRON_TZ: expected an IANA name such as Europe/Berlin",
                    var.value
                ),
            });
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    errors
}

fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_where_cron_reads_system_crontabs_are_system_crontabs() {
        assert_eq!(format_by_path(Path::new("/etc/crontab")), Format::System);
        assert_eq!(format_by_path(Path::new("/etc/cron.d/php")), Format::System);
        assert_eq!(format_by_path(Path::new("/etc/cron.d/sub/x")), Format::User);
        assert_eq!(format_by_path(Path::new("/home/ada/my.cron")), Format::User);
        assert_eq!(format_by_path(Path::new("crontab")), Format::User);
    }
}
