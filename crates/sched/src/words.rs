//! Which of `sched at`'s words are the time and which the command.
//!
//! at(1) takes every word as the time and the command from standard input
//! or `-f`: `echo backup.sh | at now + 1 hour`. `sched` also accepts a
//! command after the time, as its own examples always have (`sched at
//! 'now + 5 min' backup.sh --full`), and after `--`. The one rule that
//! matters: a job never runs a command the user did not mean. So the words
//! are split only where exactly one reading exists:
//!
//! - words before `--` are the time, words after it the command;
//! - when all the words together are a time, they are the time, and the
//!   command comes from `-f` or standard input (at's own usage);
//! - otherwise each leading run of words that reads as a time is a
//!   possible split; exactly one is taken, and two or more (`noon tomorrow
//!   echo report`: `noon` or `noon tomorrow`?) are refused with both
//!   spellings that would say it without doubt.
//!
//! The test is the grammar alone ([`sched_at::check`]): no clock, so the
//! split never depends on the time of day.

use std::fmt;

/// The time words and the command words of one `sched at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The time specification, the words joined with spaces.
    pub time: String,
    /// The command's words; empty when it comes from `-f` or stdin.
    pub command: Vec<String>,
}

/// One of at's options written after the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailingOption {
    File(String),
    Queue(String),
    MailAlways,
    MailNever,
    Verbose,
}

/// Takes at's options out of `words` where they follow words that read as
/// a time: `sched at now + 1 hour -f job.sh` works as at(1) does (GNU
/// getopt takes options anywhere). An option-like word anywhere else is
/// left alone: after the first command word it belongs to the command
/// (`sched at 'now + 5 min' backup.sh -v`), and after `--` everything
/// does.
pub fn trailing_options(words: &[String]) -> Result<(Vec<String>, Vec<TrailingOption>), String> {
    let mut kept: Vec<String> = Vec::new();
    let mut options = Vec::new();
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            kept.push(word.clone());
            kept.extend(rest.cloned());
            break;
        }
        // Only an option-like word is worth a parse of what came before.
        let after_time = word.starts_with('-')
            && !kept.is_empty()
            && kept.iter().map(|w| w.len() + 1).sum::<usize>() <= MAX_TIME_LEN
            && sched_at::check(&kept.join(" ")).is_ok();
        let option = match word.as_str() {
            _ if !after_time => None,
            "-f" | "-q" => {
                let Some(value) = rest.next() else {
                    return Err(format!("{word} needs a value"));
                };
                Some(if word == "-f" {
                    TrailingOption::File(value.clone())
                } else {
                    TrailingOption::Queue(value.clone())
                })
            }
            "-m" => Some(TrailingOption::MailAlways),
            "-M" => Some(TrailingOption::MailNever),
            "-v" => Some(TrailingOption::Verbose),
            _ => None,
        };
        match option {
            Some(option) => options.push(option),
            None => kept.push(word.clone()),
        }
    }
    Ok((kept, options))
}

/// Why the words could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// No time at all.
    Empty,
    /// No leading run of words is a time: the error is the whole text's.
    NotATime {
        text: String,
        error: sched_at::TimespecError,
    },
    /// More than one leading run of words is a time.
    Ambiguous { readings: Vec<Split> },
    /// The words are not a time, and the one leading run that is leaves a
    /// command that looks like the rest of a mistyped time.
    Unclear {
        text: String,
        error: Box<sched_at::TimespecError>,
        reading: Box<Split>,
    },
}

/// The longest time specification tried: longer text is never a time
/// (sched_at refuses it), so prefixes past it are not parsed, and a long
/// command costs no more than a short one.
const MAX_TIME_LEN: usize = 1000;

/// Splits `words` as described in the module documentation.
pub fn split(words: &[String]) -> Result<Split, SplitError> {
    if let Some(dashes) = words.iter().position(|word| word == "--") {
        let (time, command) = (&words[..dashes], &words[dashes + 1..]);
        if time.is_empty() {
            return Err(SplitError::Empty);
        }
        let text = time.join(" ");
        return match sched_at::check(&text) {
            Ok(()) => Ok(Split {
                time: text,
                command: command.to_vec(),
            }),
            Err(error) => Err(SplitError::NotATime { text, error }),
        };
    }
    if words.is_empty() {
        return Err(SplitError::Empty);
    }
    let whole = words.join(" ");
    let whole_error = match sched_at::check(&whole) {
        Ok(()) => {
            return Ok(Split {
                time: whole,
                command: Vec::new(),
            });
        }
        Err(error) => error,
    };
    let mut readings = Vec::new();
    let mut time = String::new();
    for taken in 1..words.len() {
        if taken > 1 {
            time.push(' ');
        }
        time.push_str(&words[taken - 1]);
        if time.len() > MAX_TIME_LEN {
            break;
        }
        if sched_at::check(&time).is_ok() {
            readings.push(Split {
                time: time.clone(),
                command: words[taken..].to_vec(),
            });
        }
    }
    match readings.len() {
        // A first word with spaces in it was quoted to be the time: its own
        // error is the one to show.
        0 if words[0].contains(char::is_whitespace) => Err(SplitError::NotATime {
            error: sched_at::check(&words[0]).expect_err("no reading takes the first word"),
            text: words[0].clone(),
        }),
        0 => Err(SplitError::NotATime {
            text: whole,
            error: whole_error,
        }),
        1 => {
            let reading = readings.pop().expect("one reading");
            // The command must start where the time's grammar stopped: if
            // its first word reads as part of a time (`now + 1 huor`: `+`),
            // or the grammar went on into it, the user most likely
            // mistyped the time, and running the rest as a command is the
            // one thing never to do.
            let command_column = reading.time.chars().count() + 2;
            let first = &reading.command[0];
            let went_on = sched_at::check(&format!("{} {first}", reading.time))
                .is_err_and(|error| error.column > command_column);
            if sched_at::is_time_word(first) || went_on {
                Err(SplitError::Unclear {
                    text: whole,
                    error: Box::new(whole_error),
                    reading: Box::new(reading),
                })
            } else {
                Ok(reading)
            }
        }
        _ => Err(SplitError::Ambiguous { readings }),
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::Empty => write!(f, "a time is needed: TIMESPEC or -t"),
            SplitError::NotATime { text, error } => write!(f, "invalid time {text:?}: {error}"),
            SplitError::Ambiguous { readings } => {
                writeln!(
                    f,
                    "the words can be read {} ways, so nothing was queued; say which, with `--` after the time:",
                    readings.len()
                )?;
                for (n, reading) in readings.iter().enumerate() {
                    if n > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "  {}", spelling(reading))?;
                }
                Ok(())
            }
            SplitError::Unclear {
                text,
                error,
                reading,
            } => write!(
                f,
                "invalid time {text:?}: {error}; nothing was queued. To run {} at {}, write:\n  {}",
                quoted(&reading.command.join(" ")),
                quoted(&reading.time),
                spelling(reading)
            ),
        }
    }
}

/// The one way to write `reading` that means nothing else: the time, `--`,
/// the command.
fn spelling(reading: &Split) -> String {
    let command: Vec<String> = reading
        .command
        .iter()
        .map(|word| shell_word(word))
        .collect();
    format!(
        "sched at {} -- {}",
        reading
            .time
            .split_whitespace()
            .map(shell_word)
            .collect::<Vec<_>>()
            .join(" "),
        command.join(" ")
    )
}

fn quoted(text: &str) -> String {
    format!("'{text}'")
}

/// `word` as a shell would need it written to get it back as one word.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn ok(line: &str) -> (String, String) {
        let split = split(&words(line)).unwrap_or_else(|e| panic!("{line}: {e}"));
        (split.time, split.command.join(" "))
    }

    #[test]
    fn all_words_that_read_as_a_time_are_the_time() {
        for line in [
            "now + 1 hour",
            "noon tomorrow",
            "teatime",
            "4pm + 3 days",
            "10:30am Jul 31 2027",
            "midnight next week",
        ] {
            assert_eq!(ok(line), (line.to_owned(), String::new()), "{line}");
        }
    }

    #[test]
    fn words_before_dashes_are_the_time_even_when_a_shorter_time_exists() {
        assert_eq!(
            ok("now + 5 min -- cmd --flag"),
            ("now + 5 min".to_owned(), "cmd --flag".to_owned())
        );
        assert_eq!(
            ok("noon -- tomorrow echo report"),
            ("noon".to_owned(), "tomorrow echo report".to_owned())
        );
        // Nothing after the dashes: the command comes from stdin.
        assert_eq!(ok("teatime --"), ("teatime".to_owned(), String::new()));
        assert!(matches!(
            split(&words("now + x -- cmd")),
            Err(SplitError::NotATime { .. })
        ));
        assert_eq!(split(&words("-- cmd")), Err(SplitError::Empty));
    }

    #[test]
    fn one_leading_time_is_a_split() {
        let quoted = vec![
            "now + 5 min".to_owned(),
            "cmd".to_owned(),
            "args".to_owned(),
        ];
        let split = split(&quoted).unwrap();
        assert_eq!(split.time, "now + 5 min");
        assert_eq!(split.command, ["cmd", "args"]);
        assert_eq!(
            ok("23:00 backup.sh"),
            ("23:00".to_owned(), "backup.sh".to_owned())
        );
        assert_eq!(
            ok("now echo hello"),
            ("now".to_owned(), "echo hello".to_owned())
        );
    }

    #[test]
    fn two_leading_times_are_refused_with_both_spellings() {
        let error = split(&words("noon tomorrow echo report")).unwrap_err();
        let SplitError::Ambiguous { readings } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(readings.len(), 2);
        assert_eq!(readings[0].time, "noon");
        assert_eq!(readings[0].command, ["tomorrow", "echo", "report"]);
        assert_eq!(readings[1].time, "noon tomorrow");
        assert_eq!(readings[1].command, ["echo", "report"]);
        let text = error.to_string();
        assert!(
            text.contains("sched at noon tomorrow -- echo report"),
            "{text}"
        );
        assert!(
            text.contains("sched at noon -- tomorrow echo report"),
            "{text}"
        );
        // The dangerous one from the issue: `now` with the command `+ 1 hour
        // reboot` is one of the readings, so it is never taken silently.
        assert!(matches!(
            split(&words("now + 1 hour reboot")),
            Err(SplitError::Ambiguous { .. })
        ));
    }

    #[test]
    fn a_mistyped_time_never_leaves_its_tail_as_the_command() {
        for line in [
            "now + 1 huor",
            "now + 1 huor backup.sh",
            "now next week",
            "tomorrow noon echo hi",
            "now utc echo hi",
            "teatime 2 days",
        ] {
            let result = split(&words(line));
            assert!(
                matches!(
                    result,
                    Err(SplitError::Unclear { .. } | SplitError::NotATime { .. })
                ),
                "{line}: {result:?}"
            );
        }
        let error = split(&words("now + 1 huor")).unwrap_err().to_string();
        assert!(
            error.starts_with("invalid time \"now + 1 huor\": expected minutes"),
            "{error}"
        );
        assert!(error.ends_with("\n  sched at now -- + 1 huor"), "{error}");
    }

    #[test]
    fn every_spelling_offered_means_exactly_its_reading() {
        for line in [
            "noon tomorrow echo report",
            "now + 1 hour reboot",
            "10am Jul 31 2027 echo hi",
            "now + 1 huor",
            "midnight next week ./run x",
        ] {
            let readings = match split(&words(line)) {
                Err(SplitError::Ambiguous { readings }) => readings,
                Err(SplitError::Unclear { reading, .. }) => vec![*reading],
                other => panic!("{line}: {other:?}"),
            };
            for reading in readings {
                let offered = spelling(&reading);
                let argv = words(offered.strip_prefix("sched at ").unwrap());
                assert_eq!(split(&argv), Ok(reading.clone()), "{offered}");
            }
        }
    }

    #[test]
    fn a_long_command_is_split_without_parsing_it_as_a_time() {
        // 50,000 words: a split that parsed every prefix took minutes here
        // (quadratic); prefixes stop at 1,000 characters.
        let mut line = vec!["now".to_owned()];
        line.extend((0..50_000).map(|n| format!("w{n}")));
        let split = split(&line).unwrap();
        assert_eq!(split.time, "now");
        assert_eq!(split.command.len(), 50_000);
        let (kept, options) = trailing_options(&line).unwrap();
        assert_eq!(kept.len(), line.len());
        assert!(options.is_empty());
    }

    #[test]
    fn no_time_at_all_reports_the_whole_text() {
        let error = split(&words("tomorow echo")).unwrap_err();
        let SplitError::NotATime { text, error } = error else {
            panic!();
        };
        assert_eq!(text, "tomorow echo");
        assert_eq!(error.column, 1);
        let quoted = vec!["tomorrow 10am".to_owned(), "true".to_owned()];
        let SplitError::NotATime { text, error } = split(&quoted).unwrap_err() else {
            panic!();
        };
        assert_eq!(text, "tomorrow 10am");
        assert_eq!(error.column, 10);
    }

    #[test]
    fn options_right_after_the_time_are_options_and_elsewhere_words() {
        let (kept, options) = trailing_options(&words("now + 1 hour -f job.sh -m")).unwrap();
        assert_eq!(kept, ["now", "+", "1", "hour"]);
        assert_eq!(
            options,
            [
                TrailingOption::File("job.sh".to_owned()),
                TrailingOption::MailAlways
            ]
        );
        let quoted = vec!["now + 1 min".to_owned(), "-q".to_owned(), "c".to_owned()];
        let (kept, options) = trailing_options(&quoted).unwrap();
        assert_eq!(kept, ["now + 1 min"]);
        assert_eq!(options, [TrailingOption::Queue("c".to_owned())]);
        // After a command word, or after `--`, they are the command's.
        for line in ["now + 5 min backup.sh -v", "now -- echo -m", "-m now"] {
            let (kept, options) = trailing_options(&words(line)).unwrap();
            assert_eq!(kept, words(line), "{line}");
            assert!(options.is_empty(), "{line}");
        }
        assert!(trailing_options(&words("now -f")).is_err());
    }

    #[test]
    fn a_word_with_quotes_is_shown_quoted() {
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("--flag=x"), "--flag=x");
        assert_eq!(shell_word(""), "''");
    }
}
