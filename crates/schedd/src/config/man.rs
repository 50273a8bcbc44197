//! schedd.conf(5), made from the documented example file etc/schedd.conf,
//! so that the manual and the example can never disagree: the opening
//! comment is the description, and each commented `#key = default` line
//! with the comment above it is one setting.

/// The example configuration file, as shipped.
pub const EXAMPLE: &str = include_str!("../../../../etc/schedd.conf");

/// schedd.conf(5) in roff.
pub fn man_page() -> String {
    let mut page = String::from(
        ".TH SCHEDD.CONF 5 \"\" \"schedd\" \"File Formats\"\n\
         .SH NAME\nschedd.conf \\- configuration of the schedd cron and at daemon\n\
         .SH SYNOPSIS\n/etc/schedd.conf\n.SH DESCRIPTION\n",
    );
    let mut blocks = EXAMPLE.split("\n\n");
    if let Some(intro) = blocks.next() {
        for line in intro.lines().skip(1) {
            page.push_str(&roff(comment_text(line)));
            page.push('\n');
        }
    }
    page.push_str(".SH SETTINGS\n");
    for block in blocks {
        let mut text = Vec::new();
        let mut keys = Vec::new();
        for line in block.lines() {
            let body = comment_text(line);
            if is_setting(body) {
                keys.push(body.to_owned());
            } else {
                text.push(body);
            }
        }
        if keys.is_empty() {
            continue;
        }
        // One tag for the settings a paragraph describes together.
        let tag: Vec<String> = keys
            .iter()
            .map(|key| format!("\\fB{}\\fR", roff(key).replace('"', "\\(dq")))
            .collect();
        page.push_str(&format!(".TP\n{}\n", tag.join(", ")));
        page.push_str(&roff(&text.join("\n")));
        page.push('\n');
    }
    page.push_str(
        ".SH FILES\n/etc/schedd.conf (root's daemon); $XDG_CONFIG_HOME/schedd/schedd.conf or \
         ~/.config/schedd/schedd.conf (a user's own daemon)\n\
         .SH SEE ALSO\n.BR schedd (8),\n.BR sched (1),\n.BR schedd-crontab (5)\n",
    );
    page
}

/// A `#key = value` line of the example.
fn is_setting(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
}

fn comment_text(line: &str) -> &str {
    let line = line.strip_prefix('#').unwrap_or(line);
    line.strip_prefix(' ').unwrap_or(line)
}

/// Escapes text for roff: backslashes, and a line starting with `.` or `'`.
fn roff(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\\\");
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_of_the_example_is_a_tagged_paragraph() {
        let page = man_page();
        for key in [
            "socket",
            "spool",
            "system_crontab",
            "cron_dir",
            "sendmail",
            "output_limit",
            "cron_runs_kept",
            "batch_load",
            "at_allow",
            "at_deny",
            "cron_allow",
            "cron_deny",
            "log_level",
            "log_format",
            "log_target",
            "log_file",
            "system_crontabs",
        ] {
            assert!(
                page.contains(&format!("\\fB{key} = ")),
                "{key} is missing:\n{page}"
            );
        }
        assert!(page.contains("Bytes of each run's output kept in the history"));
        assert!(page.starts_with(".TH SCHEDD.CONF 5"));
    }
}
