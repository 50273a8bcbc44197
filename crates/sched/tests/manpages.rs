//! The hand-written manual pages in `man/`: each renders with `man -l`
//! without a warning, has the sections a reader looks for, refers only to
//! pages that are installed, and is installed by `scripts/install.sh`.
//!
//! Skipped, with a printed reason, where `man` is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pages installed beside these: every `name(N)` reference must name
/// one of them. schedd.conf(5) is made by `schedd --generate conf-man`.
const INSTALLED: &[&str] = &[
    "sched(1)",
    "schedd(8)",
    "schedd-crontab(5)",
    "schedd.conf(5)",
];

/// The pages `man/` must hold.
const PAGES: &[&str] = &["sched.1", "schedd.8", "schedd-crontab.5"];

/// The width the pages are checked at.
const WIDTH: usize = 80;

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../man")
}

/// Every file in `man/`, sorted.
fn pages() -> Vec<PathBuf> {
    let dir = man_dir();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    pages.sort();
    pages
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a page has a file name")
        .to_string_lossy()
        .into_owned()
}

/// The sections a page must have, by its file name.
fn required_sections(name: &str) -> Vec<&'static str> {
    let mut sections = vec!["NAME", "DESCRIPTION", "EXAMPLES", "SEE ALSO"];
    match name {
        "sched.1" => sections.extend([
            "SYNOPSIS",
            "FILES",
            "ENVIRONMENT",
            "EXIT STATUS",
            "TIME SPECIFICATIONS",
            "WORD ORDER",
            "COMPATIBILITY NAMES",
        ]),
        "schedd.8" => sections.extend([
            "SYNOPSIS",
            "FILES",
            "ENVIRONMENT",
            "SIGNALS",
            "LOGGING",
            "EXIT STATUS",
        ]),
        "schedd-crontab.5" => {
            sections.extend(["SYNOPSIS", "FILES", "VARIABLES", "DAYLIGHT SAVING TIME"])
        }
        _ => {}
    }
    sections
}

/// `man` with the environment that makes its output plain text at
/// [`WIDTH`] columns.
fn man() -> Command {
    let mut command = Command::new("man");
    command
        .env("MANWIDTH", WIDTH.to_string())
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("MAN_KEEP_FORMATTING")
        .env_remove("MANROFFOPT");
    command
}

/// Whether `man` can be run at all; prints why not.
fn man_is_installed(test: &str) -> bool {
    match man().arg("-l").arg("/dev/null").output() {
        Ok(_) => true,
        Err(error) => {
            println!("skipped {test}: man is not installed ({error})");
            false
        }
    }
}

/// man-db's `man` (which has `--warnings`), as opposed to mandoc's.
fn is_man_db() -> bool {
    man()
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout.starts_with(b"man "))
}

/// Standard error, without the one complaint that is about the machine
/// rather than the page (a locale the system lacks).
fn warnings(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter(|line| !line.contains("can't set the locale"))
        .map(str::to_owned)
        .collect()
}

#[track_caller]
fn assert_clean(what: &str, page: &Path, output: &Output) {
    assert!(
        output.status.success(),
        "{what} {} failed ({}):\n{}",
        page.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let warnings = warnings(output);
    assert!(
        warnings.is_empty(),
        "{what} {} warns:\n{}",
        page.display(),
        warnings.join("\n")
    );
}

#[test]
fn every_page_renders_without_warnings_and_has_its_sections() {
    let test = "every_page_renders_without_warnings_and_has_its_sections";
    if !man_is_installed(test) {
        return;
    }
    let man_db = is_man_db();
    let groff = Command::new("groff").arg("--version").output().is_ok();
    if !man_db && !groff {
        println!("{test}: neither man-db nor groff is installed: warnings are not checked");
    }
    for page in pages() {
        let name = file_name(&page);
        let rendered = man().arg("-l").arg(&page).output().expect("run man -l");
        assert_clean("man -l", &page, &rendered);
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(
            !text.contains('\u{8}'),
            "man -l {} kept the formatting (backspaces) although MAN_KEEP_FORMATTING is unset",
            page.display()
        );
        for section in required_sections(&name) {
            assert!(
                text.lines().any(|line| line.trim_end() == section),
                "{name} has no section {section}:\n{text}"
            );
        }
        for line in text.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{name}: a line is wider than {WIDTH} columns: {line:?}"
            );
        }
        if man_db {
            let checked = man()
                .arg("--warnings")
                .arg("-l")
                .arg(&page)
                .output()
                .expect("run man --warnings -l");
            assert_clean("man --warnings -l", &page, &checked);
        }
        if groff {
            let checked = Command::new("groff")
                .args(["-t", "-man", "-Tutf8", "-ww", "-z"])
                .arg(&page)
                .output()
                .expect("run groff");
            assert_clean("groff -man -ww -z", &page, &checked);
        }
    }
}

#[test]
fn the_pages_install_sh_installs_are_all_there() {
    let names: Vec<String> = pages()
        .iter()
        .map(|page| file_name(page.as_path()))
        .collect();
    for page in PAGES {
        assert!(
            names.iter().any(|name| name == page),
            "man/{page} is missing (found {names:?})"
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install.sh");
    let script = std::fs::read_to_string(&script)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", script.display()));
    for name in &names {
        assert!(
            script.contains(&format!("man/{name}")),
            "scripts/install.sh does not install man/{name}"
        );
    }
}

#[test]
fn every_reference_names_an_installed_page() {
    for page in pages() {
        let name = file_name(&page);
        let source = std::fs::read_to_string(&page)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", page.display()));
        let references = references(&source);
        for (line, reference) in &references {
            assert!(
                INSTALLED.contains(&reference.as_str()),
                "{name}:{line}: {reference} is not an installed page (only {INSTALLED:?} are)"
            );
        }
        if name == "sched.1" {
            // The reader is sent to the daemon's page at least.
            assert!(
                references.iter().any(|(_, r)| r == "schedd(8)"),
                "{name} never refers to schedd(8)"
            );
        }
    }
}

#[test]
fn references_are_found_in_every_spelling() {
    let source = "\
.\\\" a comment naming cron(8) is not a reference
.BR at (1),
.IR crontab (5)
see \\fBcron\\fR(8) and \\fBschedd\\fP(8)
.BR \"schedd.conf\" (5)
a bare hour (9) is not a page, nor is $(date +%V)
";
    let found: Vec<String> = references(source).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        found,
        [
            "at(1)",
            "crontab(5)",
            "cron(8)",
            "schedd(8)",
            "schedd.conf(5)"
        ]
    );
}

/// Every `name(N)` in roff source, with its 1-based line: `.BR name (N)`
/// and the other font macros, `\fBname\fR(N)`, and plain `name(N)`.
/// Comments are not read.
fn references(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let text = visible_text(line);
        found.extend(
            names_with_sections(&text)
                .into_iter()
                .map(|r| (index + 1, r)),
        );
    }
    found
}

/// What a source line puts on the page, near enough to find references:
/// a macro line's arguments (joined without spaces for the alternating
/// font macros), without comments and font changes.
fn visible_text(line: &str) -> String {
    let line = match line.find("\\\"") {
        Some(comment) => &line[..comment],
        None => line,
    };
    let text = match line.strip_prefix('.').or_else(|| line.strip_prefix('\'')) {
        Some(request) => {
            let request = request.trim_start();
            let (macro_name, rest) = request.split_once([' ', '\t']).unwrap_or((request, ""));
            let args = macro_arguments(rest);
            let alternating = matches!(macro_name, "BR" | "RB" | "IR" | "RI" | "BI" | "IB");
            args.join(if alternating { "" } else { " " })
        }
        None => line.to_owned(),
    };
    without_escapes(&text)
}

/// A macro's arguments: words, or double-quoted strings with `""` for a
/// quote.
fn macro_arguments(rest: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let Some(first) = chars.next() else {
            break;
        };
        let mut arg = String::new();
        if first == '"' {
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.next_if_eq(&'"').is_some() {
                        arg.push('"');
                        continue;
                    }
                    break;
                }
                arg.push(c);
            }
        } else {
            arg.push(first);
            while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
                arg.push(c);
            }
        }
        args.push(arg);
    }
    args
}

/// `text` without font escapes (`\fB`, `\f(BI`, `\f[R]`), zero-width
/// `\&` and `\c`; `\-` as `-`, `\e` as a backslash and other named
/// characters as `?`.
fn without_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('f') => match chars.next() {
                Some('(') => {
                    chars.next();
                    chars.next();
                }
                Some('[') => for _ in chars.by_ref().take_while(|c| *c != ']') {},
                _ => {}
            },
            Some('&' | 'c') => {}
            Some('-') => out.push('-'),
            Some('e') => out.push('\\'),
            Some('(') => {
                chars.next();
                chars.next();
                out.push('?');
            }
            Some('[') => {
                for _ in chars.by_ref().take_while(|c| *c != ']') {}
                out.push('?');
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Each `name(N)` in `text`: a name of letters, digits and `_.-+` that
/// starts with a letter, then a section, a digit with optional lower-case
/// letters, in parentheses.
fn names_with_sections(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (open, _) in chars.iter().enumerate().filter(|(_, c)| **c == '(') {
        let section: String = chars[open + 1..]
            .iter()
            .take_while(|c| **c != ')')
            .collect();
        let closed = chars.get(open + 1 + section.len()) == Some(&')');
        let is_section = section.starts_with(|c: char| c.is_ascii_digit())
            && section[1..].chars().all(|c| c.is_ascii_lowercase());
        if !closed || !is_section {
            continue;
        }
        let start = chars[..open]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || "_.-+".contains(*c)))
            .map_or(0, |before| before + 1);
        let name: String = chars[start..open].iter().collect();
        let name = name.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
        if !name.is_empty() {
            found.push(format!("{name}({section})"));
        }
    }
    found
}
