//! The `%` rule of crontab(5), exactly as cronie's `child_process` applies
//! it.
//!
//! In the command, the first `%` not preceded by a backslash ends the
//! command; `\%` before it becomes `%`, and other backslashes stay. The
//! rest becomes the job's standard input: `%` there is a newline, `\%` a
//! `%`, and a newline is appended when the text does not end with one.

/// The command to run and the bytes cron writes to its standard input
/// (empty when there is no `%`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandText {
    pub command: String,
    pub stdin: String,
}

/// Splits a crontab command at its first unescaped `%`.
pub fn split_command(text: &str) -> CommandText {
    // Most commands have no `%` at all: then the text is the command as
    // written, with nothing to unescape.
    if !text.contains('%') {
        return CommandText {
            command: text.to_owned(),
            stdin: String::new(),
        };
    }
    let mut command = String::with_capacity(text.len());
    let mut escaped = false;
    let mut input = None;
    for (index, ch) in text.char_indices() {
        if escaped {
            escaped = false;
            if ch == '%' {
                command.pop(); // the backslash
            }
            command.push(ch);
            continue;
        }
        if ch == '%' {
            input = Some(&text[index + 1..]);
            break;
        }
        escaped = ch == '\\';
        command.push(ch);
    }
    CommandText {
        command,
        stdin: input.map(translate_input).unwrap_or_default(),
    }
}

fn translate_input(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 1);
    let mut escaped = false;
    let mut needs_newline = false;
    for mut ch in input.chars() {
        if escaped {
            if ch != '%' {
                out.push('\\');
            }
        } else if ch == '%' {
            ch = '\n';
        }
        escaped = ch == '\\';
        if !escaped {
            out.push(ch);
        }
        // Updated on every character, the escaping backslash too, as cronie.
        needs_newline = ch != '\n';
    }
    if escaped {
        out.push('\\');
    }
    if needs_newline {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, command: &str, stdin: &str) {
        assert_eq!(
            split_command(text),
            CommandText {
                command: command.to_string(),
                stdin: stdin.to_string()
            },
            "command text {text:?}"
        );
    }

    #[test]
    fn percent_rule() {
        check("echo hi", "echo hi", "");
        check("date +\\%Y-\\%m-\\%d", "date +%Y-%m-%d", "");
        check("cat%line one%line two", "cat", "line one\nline two\n");
        check("cat%ends%", "cat", "ends\n");
        check("cat%", "cat", "");
        check("cat%%", "cat", "\n");
        check("cat%100\\% sure", "cat", "100% sure\n");
        check("cat%a\\b", "cat", "a\\b\n");
        check("cat%\\\\%", "cat", "\\%\n");
        check("echo a\\\\%rest", "echo a\\\\", "rest\n");
        check("echo C:\\dir", "echo C:\\dir", "");
        check("cat%a%\\", "cat", "a\n\\\n");
        check(
            "mail -s \"It's 10pm\" joe%Joe,%%Where are your kids?%",
            "mail -s \"It's 10pm\" joe",
            "Joe,\n\nWhere are your kids?\n",
        );
    }
}
