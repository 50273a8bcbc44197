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
pub enum TokenKind {
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
    pub kind: TokenKind,
    pub text: &'a str,
    /// Byte offset of the token in the specification.
    pub start: usize,
    pub column: usize,
}

/// at's keywords in the scanner's rule order: a word with an optional
/// suffix, matched without regard to case.
const KEYWORDS: &[(&str, &str, TokenKind)] = &[
    ("now", "", TokenKind::Now),
    ("am", "", TokenKind::Am),
    ("pm", "", TokenKind::Pm),
    ("noon", "", TokenKind::Noon),
    ("midnight", "", TokenKind::Midnight),
    ("teatime", "", TokenKind::Teatime),
    ("sun", "day", TokenKind::Weekday(0)),
    ("mon", "day", TokenKind::Weekday(1)),
    ("tue", "sday", TokenKind::Weekday(2)),
    ("wed", "nesday", TokenKind::Weekday(3)),
    ("thu", "rsday", TokenKind::Weekday(4)),
    ("fri", "day", TokenKind::Weekday(5)),
    ("sat", "urday", TokenKind::Weekday(6)),
    ("today", "", TokenKind::Today),
    ("tomorrow", "", TokenKind::Tomorrow),
    ("next", "", TokenKind::Next),
    ("min", "", TokenKind::Unit(Unit::Minute)),
    ("minute", "s", TokenKind::Unit(Unit::Minute)),
    ("hour", "s", TokenKind::Unit(Unit::Hour)),
    ("day", "s", TokenKind::Unit(Unit::Day)),
    ("week", "s", TokenKind::Unit(Unit::Week)),
    ("month", "s", TokenKind::Unit(Unit::Month)),
    ("year", "s", TokenKind::Unit(Unit::Year)),
    ("jan", "uary", TokenKind::Month(1)),
    ("feb", "ruary", TokenKind::Month(2)),
    ("mar", "ch", TokenKind::Month(3)),
    ("apr", "il", TokenKind::Month(4)),
    ("may", "", TokenKind::Month(5)),
    ("jun", "e", TokenKind::Month(6)),
    ("jul", "y", TokenKind::Month(7)),
    ("aug", "ust", TokenKind::Month(8)),
    ("sep", "tember", TokenKind::Month(9)),
    ("oct", "ober", TokenKind::Month(10)),
    ("nov", "ember", TokenKind::Month(11)),
    ("dec", "ember", TokenKind::Month(12)),
    ("utc", "", TokenKind::Utc),
];

/// Splits `spec` into tokens, ending with [`TokenKind::End`]. Linear in
/// the length of `spec`.
pub fn tokens(spec: &str) -> Vec<Token<'_>> {
    let bytes = spec.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    let mut column = 1;
    while at < bytes.len() {
        if matches!(bytes[at], b' ' | b'\t' | b'\n') {
            at += 1;
            column += 1;
            continue;
        }
        let (kind, len) = longest_match(spec, at);
        let text = &spec[at..at + len];
        out.push(Token {
            kind,
            text,
            start: at,
            column,
        });
        at += len;
        column += text.chars().count();
    }
    out.push(Token {
        kind: TokenKind::End,
        text: "",
        start: spec.len(),
        column,
    });
    out
}

/// The rule flex picks at `at`: the longest match, the earliest rule on a
/// tie. Keywords come first in the rule list, then the numbers, the
/// dates, the hour:minute form, and last any single character.
fn longest_match(spec: &str, at: usize) -> (TokenKind, usize) {
    let bytes = &spec.as_bytes()[at..];
    let mut best: Option<(TokenKind, usize)> = None;
    let mut offer = |kind: TokenKind, len: usize| {
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
        1 => offer(TokenKind::Int1, 1),
        2 => offer(TokenKind::Int2, 2),
        4 => offer(TokenKind::Int4, 4),
        5..=8 => offer(TokenKind::Int5To8, digits),
        _ => offer(TokenKind::Int, digits),
    }
    offer(TokenKind::DottedDate, dotted_date_len(bytes));
    offer(TokenKind::HyphenDate, hyphen_date_len(bytes));
    offer(TokenKind::HourMin, hour_min_len(bytes));
    best.unwrap_or_else(|| {
        // Any other character is a token of its own.
        let c = spec[at..].chars().next().unwrap_or('\u{fffd}');
        (TokenKind::Char(c), c.len_utf8())
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

    fn kinds(spec: &str) -> Vec<(TokenKind, &str)> {
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
                (TokenKind::Now, "now"),
                (TokenKind::Char('+'), "+"),
                (TokenKind::Int1, "5"),
                (TokenKind::Unit(Unit::Minute), "MINUTES"),
                (TokenKind::End, ""),
            ]
        );
        assert_eq!(
            kinds("mins"),
            [
                (TokenKind::Unit(Unit::Minute), "min"),
                (TokenKind::Char('s'), "s"),
                (TokenKind::End, "")
            ]
        );
        assert_eq!(
            kinds("months monday"),
            [
                (TokenKind::Unit(Unit::Month), "months"),
                (TokenKind::Weekday(1), "monday"),
                (TokenKind::End, "")
            ]
        );
    }

    #[test]
    fn numbers_dates_and_times_by_longest_match() {
        assert_eq!(kinds("123")[0], (TokenKind::Int, "123"));
        assert_eq!(kinds("123456789")[0], (TokenKind::Int, "123456789"));
        assert_eq!(kinds("0731")[0], (TokenKind::Int4, "0731"));
        assert_eq!(kinds("073127")[0], (TokenKind::Int5To8, "073127"));
        assert_eq!(kinds("1.30")[0], (TokenKind::HourMin, "1.30"));
        assert_eq!(kinds("10h30")[0], (TokenKind::HourMin, "10h30"));
        assert_eq!(
            kinds("31.12.2026")[0],
            (TokenKind::DottedDate, "31.12.2026")
        );
        assert_eq!(kinds("1.1.26")[0], (TokenKind::DottedDate, "1.1.26"));
        assert_eq!(kinds("2026-7-31")[0], (TokenKind::HyphenDate, "2026-7-31"));
        assert_eq!(kinds("1,20")[0], (TokenKind::HourMin, "1,20"));
        // 3 digits before ':' is no time: at reads "123" then ':'.
        assert_eq!(kinds("123:45")[0], (TokenKind::Int, "123"));
    }

    #[test]
    fn columns_count_characters() {
        let tokens = tokens("é now\t+ 1日");
        let columns: Vec<_> = tokens.iter().map(|t| (t.text, t.column)).collect();
        assert_eq!(
            columns,
            [
                ("é", 1),
                ("now", 3),
                ("+", 7),
                ("1", 9),
                ("日", 10),
                ("", 11)
            ]
        );
        assert_eq!(tokens[4].kind, TokenKind::Char('日'));
    }
}
