//! Environment lines of a crontab (`NAME=value`), read as cronie's
//! `load_env` reads them.
//!
//! cronie tries every non-comment line as an assignment first and only then
//! as a job. A line is an assignment when it is a name (any characters but
//! whitespace and `=`, or a quoted string), optional whitespace, `=`,
//! optional whitespace and a value. A value that starts with a quote ends at
//! the matching quote, which only whitespace may follow; any other value
//! runs to the end of the line with trailing whitespace removed. A line that
//! does not fit (an unterminated quote, text after a closing quote, no `=`)
//! is not an assignment, and is then parsed as a job line.

/// One `NAME=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// 1-based line number.
    pub line: usize,
    pub name: String,
    pub value: String,
    /// 1-based column of the first character of the value (after an
    /// opening quote), for messages about the value.
    pub value_column: usize,
}

/// Parses `line` as an assignment, or returns `None` when it is not one.
pub(crate) fn parse_env_line(line: &str, line_number: usize) -> Option<EnvVar> {
    let mut rest = line.trim_start();
    let (name, after_name) = match rest.chars().next()? {
        quote @ ('"' | '\'') => {
            let end = rest[1..].find(quote)? + 1;
            let name = &rest[1..end];
            if name.contains('=') {
                return None;
            }
            (name, &rest[end + 1..])
        }
        _ => {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '=')
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    if name.is_empty() {
        return None;
    }
    rest = after_name.trim_start().strip_prefix('=')?.trim_start();
    let consumed = line.len() - rest.len();
    let mut value_column = line[..consumed].chars().count() + 1;
    let value = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let end = rest[1..].find(quote)? + 1;
            if !rest[end + 1..].trim().is_empty() {
                return None;
            }
            value_column += 1;
            &rest[1..end]
        }
        _ => rest.trim_end(),
    };
    Some(EnvVar {
        line: line_number,
        name: name.to_string(),
        value: value.to_string(),
        value_column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Option<(&str, &str)>) {
        let found = parse_env_line(line, 1);
        let found = found.as_ref().map(|e| (e.name.as_str(), e.value.as_str()));
        assert_eq!(found, expected, "line {line:?}");
    }

    #[test]
    fn assignments() {
        check("SHELL=/bin/sh", Some(("SHELL", "/bin/sh")));
        check("  PATH = /usr/bin:/bin  ", Some(("PATH", "/usr/bin:/bin")));
        check("MAILTO=\"\"", Some(("MAILTO", "")));
        check("MAILTO=", Some(("MAILTO", "")));
        check("MAILTO =   ", Some(("MAILTO", "")));
        check(
            "GREETING=\"hello  world \"",
            Some(("GREETING", "hello  world ")),
        );
        check(
            "GREETING='it is \"ok\"'  ",
            Some(("GREETING", "it is \"ok\"")),
        );
        check("A=b # not a comment", Some(("A", "b # not a comment")));
        check("'QUOTED NAME'=x", Some(("QUOTED NAME", "x")));
        check("X=a=b", Some(("X", "a=b")));
        check("X=\"a\"\"", None);
        check("X=\"a\" b", None);
        check("X=\"unterminated", None);
        check("* * * * * echo a=b", None);
        check("0 0 * * * FOO=bar cmd", None);
        check("@daily A=1 cmd", None);
        check("A B=c", None);
        check("=x", None);
        check("", None);
    }

    #[test]
    fn value_column_points_at_the_value() {
        assert_eq!(parse_env_line("TZ = x", 3).unwrap().value_column, 6);
        assert_eq!(parse_env_line("TZ=\"x\"", 3).unwrap().value_column, 5);
    }
}
