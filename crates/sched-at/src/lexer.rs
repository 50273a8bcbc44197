//! Tokens of a time specification, cut exactly as at(1)'s flex scanner cuts
//! them (Debian at 3.2, `parsetime.l`, built with `flex -i`).
//!
//! Reproducing the scanner rather than splitting on spaces is what makes
//! the accepted language equal to at's: keywords need no separating space
//! (`5pmtomorrow`, `now+1hour`), the longest match wins (`1,20` in
//! `Jul 1,2027` is a time of day, so at rejects that spelling), and a word
//! is matched by its longest keyword prefix (`mins` is `min` followed by a
//! stray `s`, which at rejects).

use crate::Unit;

/// What a token is. Numbers keep their digit count because at's grammar
/// gives 1-, 2-, 4- and 5-to-8-digit numbers different roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Now,
    Am,
    Pm,
    Noon,
    Midnight,
    Teatime,
    /// Day of the week, 0 = Sunday.
    Weekday(u8),
    Today,
    Tomorrow,
    Next,
    Unit(Unit),
    /// Month name, 1 = January.
    Month(u8),
    Utc,
    Int1,
    Int2,
    Int4,
    Int5To8,
    /// 3 digits, or 9 and more.
    Int,
    /// `D[D].M[M].YY[YY]`
    DottedDate,
    /// `YY[YY]-M[M]-D[D]`
    HyphenDate,
    /// `[H]H:MM`, with `:`, `'`, `h`, `,` or `.` between hours and minutes.
    HourMin,
    /// Any other single character (at's grammar uses `+ - / ,`).
    Char(char),
    End,
}

/// A token and where it is: byte offsets into the specification, and the
/// 1-based character column of its start for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// The rest of the word from this token on, for error messages: a
    /// stray letter is shown with the word it starts (`yesterday`, not
    /// `y`).
    pub word: &'a str,
    pub column: usize,
}

/// at's keywords in the scanner's rule order: a word with an optional
/// suffix, matched without regard to case.
const KEYWORDS: &[(&str, &str, Kind)] = &[
    ("now", "", Kind::Now),
    ("am", "", Kind::Am),
    ("pm", "", Kind::Pm),
    ("noon", "", Kind::Noon),
    ("midnight", "", Kind::Midnight),
    ("teatime", "", Kind::Teatime),
    ("sun", "day", Kind::Weekday(0)),
    ("mon", "day", Kind::Weekday(1)),
    ("tue", "sday", Kind::Weekday(2)),
    ("wed", "nesday", Kind::Weekday(3)),
    ("thu", "rsday", Kind::Weekday(4)),
    ("fri", "day", Kind::Weekday(5)),
    ("sat", "urday", Kind::Weekday(6)),
    ("today", "", Kind::Today),
    ("tomorrow", "", Kind::Tomorrow),
    ("next", "", Kind::Next),
    ("min", "", Kind::Unit(Unit::Minute)),
    ("minute", "s", Kind::Unit(Unit::Minute)),
    ("hour", "s", Kind::Unit(Unit::Hour)),
    ("day", "s", Kind::Unit(Unit::Day)),
    ("week", "s", Kind::Unit(Unit::Week)),
    ("month", "s", Kind::Unit(Unit::Month)),
    ("year", "s", Kind::Unit(Unit::Year)),
    ("jan", "uary", Kind::Month(1)),
    ("feb", "ruary", Kind::Month(2)),
    ("mar", "ch", Kind::Month(3)),
    ("apr", "il", Kind::Month(4)),
    ("may", "", Kind::Month(5)),
    ("jun", "e", Kind::Month(6)),
    ("jul", "y", Kind::Month(7)),
    ("aug", "ust", Kind::Month(8)),
    ("sep", "tember", Kind::Month(9)),
    ("oct", "ober", Kind::Month(10)),
    ("nov", "ember", Kind::Month(11)),
    ("dec", "ember", Kind::Month(12)),
    ("utc", "", Kind::Utc),
];

/// Splits `spec` into tokens, ending with [`Kind::End`].
pub fn tokens(spec: &str) -> Vec<Token<'_>> {
    let bytes = spec.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if matches!(bytes[at], b' ' | b'\t' | b'\n') {
            at += 1;
            continue;
        }
        let (kind, len) = longest_match(spec, at);
        let word_len = spec[at..]
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(spec.len() - at)
            .max(len);
        out.push(Token {
            kind,
            text: &spec[at..at + len],
            word: &spec[at..at + word_len],
            column: column_of(spec, at),
        });
        at += len;
    }
    out.push(Token {
        kind: Kind::End,
        text: "",
        word: "",
        column: column_of(spec, spec.len()),
    });
    out
}

fn column_of(spec: &str, byte: usize) -> usize {
    spec[..byte].chars().count() + 1
}

/// The rule flex picks at `at`: the longest match, the earliest rule on a
/// tie. Keywords come first in the rule list, then the numbers, the
/// dates, the hour:minute form, and last any single character.
fn longest_match(spec: &str, at: usize) -> (Kind, usize) {
    let bytes = &spec.as_bytes()[at..];
    let mut best: Option<(Kind, usize)> = None;
    let mut offer = |kind: Kind, len: usize| {
        if len > 0 && best.is_none_or(|(_, longest)| len > longest) {
            best = Some((kind, len));
        }
    };
    for &(word, suffix, kind) in KEYWORDS {
        if starts_with_ignore_case(bytes, word) {
            let len = if starts_with_ignore_case(&bytes[word.len()..], suffix) {
                word.len() + suffix.len()
            } else {
                word.len()
            };
            offer(kind, len);
        }
    }
    let digits = digit_run(bytes);
    match digits {
        0 => {}
        1 => offer(Kind::Int1, 1),
        2 => offer(Kind::Int2, 2),
        4 => offer(Kind::Int4, 4),
        5..=8 => offer(Kind::Int5To8, digits),
        _ => offer(Kind::Int, digits),
    }
    offer(Kind::DottedDate, dotted_date_len(bytes));
    offer(Kind::HyphenDate, hyphen_date_len(bytes));
    offer(Kind::HourMin, hour_min_len(bytes));
    best.unwrap_or_else(|| {
        // Any other character is a token of its own.
        let c = spec[at..].chars().next().unwrap_or('\u{fffd}');
        (Kind::Char(c), c.len_utf8())
    })
}

fn starts_with_ignore_case(bytes: &[u8], word: &str) -> bool {
    bytes.len() >= word.len() && bytes[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

fn digit_run(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// `[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2}([0-9]{2})?`, longest match or 0.
fn dotted_date_len(bytes: &[u8]) -> usize {
    let mut longest = 0;
    for day in 1..=2 {
        for month in 1..=2 {
            let dot1 = day;
            let dot2 = day + 1 + month;
            let year = dot2 + 1;
            let shape = digits_at(bytes, 0, day)
                && byte_at(bytes, dot1) == Some(b'.')
                && digits_at(bytes, dot1 + 1, month)
                && byte_at(bytes, dot2) == Some(b'.')
                && digits_at(bytes, year, 2);
            if shape {
                let len = if digits_at(bytes, year + 2, 2) {
                    year + 4
                } else {
                    year + 2
                };
                longest = longest.max(len);
            }
        }
    }
    longest
}

/// `[0-9]{2}([0-9]{2})?-[0-9]{1,2}-[0-9]{1,2}`, longest match or 0.
fn hyphen_date_len(bytes: &[u8]) -> usize {
    let mut longest = 0;
    for year in [2, 4] {
        for month in 1..=2 {
            for day in 1..=2 {
                let dash2 = year + 1 + month;
                let shape = digits_at(bytes, 0, year)
                    && byte_at(bytes, year) == Some(b'-')
                    && digits_at(bytes, year + 1, month)
                    && byte_at(bytes, dash2) == Some(b'-')
                    && digits_at(bytes, dash2 + 1, day);
                if shape {
                    longest = longest.max(dash2 + 1 + day);
                }
            }
        }
    }
    longest
}

/// `[012]?[0-9][:'h,.][0-9]{2}`, longest match or 0.
fn hour_min_len(bytes: &[u8]) -> usize {
    let is_separator = |b: Option<u8>| matches!(b, Some(b':' | b'\'' | b'h' | b'H' | b',' | b'.'));
    let tail = |hour_len: usize| {
        is_separator(byte_at(bytes, hour_len)) && digits_at(bytes, hour_len + 1, 2)
    };
    if matches!(byte_at(bytes, 0), Some(b'0'..=b'2')) && digits_at(bytes, 1, 1) && tail(2) {
        5
    } else if digits_at(bytes, 0, 1) && tail(1) {
        4
    } else {
        0
    }
}

fn byte_at(bytes: &[u8], index: usize) -> Option<u8> {
    bytes.get(index).copied()
}

fn digits_at(bytes: &[u8], start: usize, count: usize) -> bool {
    bytes
        .get(start..start + count)
        .is_some_and(|run| run.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(spec: &str) -> Vec<(Kind, &str)> {
        tokens(spec)
            .into_iter()
            .map(|token| (token.kind, token.text))
            .collect()
    }

    #[test]
    fn keywords_need_no_space_and_take_the_longest_prefix() {
        assert_eq!(
            kinds("now+5MINUTES"),
            [
                (Kind::Now, "now"),
                (Kind::Char('+'), "+"),
                (Kind::Int1, "5"),
                (Kind::Unit(Unit::Minute), "MINUTES"),
                (Kind::End, ""),
            ]
        );
        assert_eq!(
            kinds("mins"),
            [
                (Kind::Unit(Unit::Minute), "min"),
                (Kind::Char('s'), "s"),
                (Kind::End, "")
            ]
        );
        assert_eq!(
            kinds("months monday"),
            [
                (Kind::Unit(Unit::Month), "months"),
                (Kind::Weekday(1), "monday"),
                (Kind::End, "")
            ]
        );
    }

    #[test]
    fn numbers_dates_and_times_by_longest_match() {
        assert_eq!(kinds("123")[0], (Kind::Int, "123"));
        assert_eq!(kinds("123456789")[0], (Kind::Int, "123456789"));
        assert_eq!(kinds("0731")[0], (Kind::Int4, "0731"));
        assert_eq!(kinds("073127")[0], (Kind::Int5To8, "073127"));
        assert_eq!(kinds("1.30")[0], (Kind::HourMin, "1.30"));
        assert_eq!(kinds("10h30")[0], (Kind::HourMin, "10h30"));
        assert_eq!(kinds("31.12.2026")[0], (Kind::DottedDate, "31.12.2026"));
        assert_eq!(kinds("1.1.26")[0], (Kind::DottedDate, "1.1.26"));
        assert_eq!(kinds("2026-7-31")[0], (Kind::HyphenDate, "2026-7-31"));
        assert_eq!(kinds("1,20")[0], (Kind::HourMin, "1,20"));
        // 3 digits before ':' is no time: at reads "123" then ':'.
        assert_eq!(kinds("123:45")[0], (Kind::Int, "123"));
    }

    #[test]
    fn columns_count_characters() {
        let tokens = tokens("é now");
        assert_eq!(tokens[0].kind, Kind::Char('é'));
        assert_eq!(tokens[1].column, 3);
        assert_eq!(tokens[2].column, 6);
    }
}
