//! What may go into a mail header. cron mails a job's output with every
//! crontab variable in an `X-Cron-Env` header and MAILTO and MAILFROM in
//! the `To` and `From` headers, so a control character in any of them (a
//! carriage return or line feed above all) would let a crontab write
//! headers of its own. cron refuses an address that fails its `safe_p`
//! test and mails nothing; the same rules are applied here, when a crontab
//! is checked, and by the daemon again when it builds a mail.

/// The variables whose values become mail addresses.
pub const ADDRESS_VARIABLES: [&str; 2] = ["MAILTO", "MAILFROM"];

/// The first control character of `text`, with its 0-based index in
/// characters.
pub fn first_control(text: &str) -> Option<(usize, char)> {
    text.chars().enumerate().find(|(_, c)| c.is_control())
}

/// Checks a MAILTO or MAILFROM value as cron's `safe_p` does: letters,
/// digits and `_` anywhere, and `@!:%+-.,` after the first character.
/// cronie reads a list of addresses separated by commas; a space after a
/// comma is allowed here too (it cannot end a header). Returns the 0-based
/// character index and the character of the first one refused.
pub fn unsafe_address_char(text: &str) -> Option<(usize, char)> {
    text.chars().enumerate().find(|&(index, c)| {
        let safe = c.is_ascii_alphanumeric()
            || c == '_'
            || (index > 0 && ("@!:%+-.,".contains(c) || c == ' '));
        !safe
    })
}

/// Why the variable `name=value` cannot go into a mail header, with the
/// 0-based character index in the value (or `None` for the name).
pub fn header_problem(name: &str, value: &str) -> Option<(Option<usize>, String)> {
    if let Some((_, c)) = first_control(name) {
        return Some((
            None,
            format!(
                "control character U+{:04X} in a variable's name: it would reach a mail header",
                c as u32
            ),
        ));
    }
    if let Some((index, c)) = first_control(value) {
        return Some((
            Some(index),
            format!(
                "control character U+{:04X} in the value of {name}: it would reach a mail header",
                c as u32
            ),
        ));
    }
    if ADDRESS_VARIABLES.contains(&name)
        && let Some((index, c)) = unsafe_address_char(value)
    {
        return Some((
            Some(index),
            format!(
                "{c:?} is not allowed in {name} (cron mails nothing to such an address): use letters, digits, _ and @!:%+-.,"
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, value: &str, expected: Option<(Option<usize>, &str)>) {
        let found = header_problem(name, value);
        let found = found
            .as_ref()
            .map(|(index, message)| (*index, message.as_str()));
        assert_eq!(found, expected, "{name}={value:?}");
    }

    #[test]
    fn addresses_and_values_that_may_go_into_a_header() {
        check("MAILTO", "root", None);
        check("MAILTO", "ops@example.org,dev@example.org", None);
        check("MAILTO", "ops@example.org, dev@example.org", None);
        check("MAILFROM", "cron-daemon+host@example.org", None);
        check("PATH", "/usr/bin:/bin", None);
        check("GREETING", "hello \"world\" <x>; $HOME", None);
    }

    #[test]
    fn control_characters_and_unsafe_addresses_are_refused() {
        check(
            "MAILTO",
            "x@example.invalid\rBcc: evil@example.invalid",
            Some((
                Some(17),
                "control character U+000D in the value of MAILTO: it would reach a mail header",
            )),
        );
        check(
            "FOO",
            "a\u{1b}[31m",
            Some((
                Some(1),
                "control character U+001B in the value of FOO: it would reach a mail header",
            )),
        );
        check(
            "FOO",
            "tab\there",
            Some((
                Some(3),
                "control character U+0009 in the value of FOO: it would reach a mail header",
            )),
        );
        check(
            "F\u{7f}O",
            "x",
            Some((
                None,
                "control character U+007F in a variable's name: it would reach a mail header",
            )),
        );
        let refused = |c: &str| {
            format!(
                "{c} is not allowed in MAILTO (cron mails nothing to such an address): use letters, digits, _ and @!:%+-.,"
            )
        };
        check("MAILTO", "-oQ/tmp/x", Some((Some(0), &refused("'-'"))));
        check("MAILTO", "a<b@c>", Some((Some(1), &refused("'<'"))));
        check("MAILTO", "a;b", Some((Some(1), &refused("';'"))));
        check("MAILTO", " root", Some((Some(0), &refused("' '"))));
    }
}
