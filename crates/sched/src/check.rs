//! `sched check FILE...`: validates crontab files with the parser the
//! daemon uses, and prints one `FILE:LINE:COL: message` line per problem.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::Result;
use jiff::tz::TimeZone;
use sched_cron::crontab::{self, Format, LineError};

use crate::cli::CheckArgs;

/// Whether every file was valid.
pub fn run(args: &CheckArgs, out: &mut impl Write) -> Result<bool> {
    let format = if args.system {
        Format::System
    } else {
        Format::User
    };
    let mut all_valid = true;
    for path in &args.files {
        let name = if path == Path::new("-") {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
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
    }
    Ok(all_valid)
}

/// Every problem in one file, in line order: syntax, then zones that
/// `CRON_TZ` names but the zone database lacks.
pub fn check_text(bytes: &[u8], format: Format) -> Vec<LineError> {
    let (parsed, mut errors) = crontab::parse_bytes(bytes, format);
    for var in parsed.env.iter().filter(|v| v.name == "CRON_TZ") {
        if !var.value.is_empty() && TimeZone::get(&var.value).is_err() {
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
