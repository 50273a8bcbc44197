use std::time::Duration;

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn durations_are_numbers_with_units_or_bare_seconds() {
    for (text, expected) in [
        ("0", 0),
        ("90", 90),
        ("90s", 90),
        ("10m", 600),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("1d2h3m4s", 93_784),
        ("366d", 366 * 86_400),
    ] {
        assert_eq!(parse_duration(text), Ok(secs(expected)), "{text}");
    }
}

#[test]
fn bad_durations_say_where_and_what_was_expected() {
    for (text, index, start) in [
        ("", 0, "empty value"),
        ("10x", 2, "unexpected 'x'"),
        ("m", 0, "no number before 'm'"),
        ("1h30", 2, "a number without a unit"),
        ("-5s", 0, "unexpected '-'"),
        ("367d", 0, "duration too long"),
        ("99999999999999999999s", 0, "duration too long"),
    ] {
        let error = parse_duration(text).unwrap_err();
        assert_eq!(error.index, index, "{text}: {error}");
        assert!(error.message.starts_with(start), "{text}: {error}");
    }
}

#[test]
fn crontab_variables_set_their_parts() {
    let mut spec = PolicySpec::default();
    for (name, value) in [
        ("SCHED_TIMEOUT", "10m"),
        ("SCHED_KILL_GRACE", "5s"),
        ("SCHED_RETRY", "3"),
        ("SCHED_RETRY_BACKOFF", "30s..10m"),
        ("SCHED_RETRY_LOST", "yes"),
        ("SCHED_OVERLAP", "skip"),
        ("SCHED_CATCHUP", "all:5"),
        ("SCHED_JITTER", "90s"),
        ("SCHED_DEADLINE", "5m"),
        ("SCHED_GRACE", "2h"),
    ] {
        assert_eq!(spec.assign(name, value), Ok(true), "{name}");
    }
    assert_eq!(spec.assign("MAILTO", "root"), Ok(false));
    assert_eq!(spec.assign("SCHED_UNKNOWN", "1"), Ok(false));
    let policy = spec.over(&Policy::default());
    assert_eq!(
        policy,
        Policy {
            timeout: Some(secs(600)),
            kill_grace: secs(5),
            retries: 3,
            backoff: Backoff {
                first: secs(30),
                cap: secs(600)
            },
            retry_lost: true,
            overlap: Overlap::Skip,
            catch_up: CatchUp::All(5),
            jitter: secs(90),
            deadline: Some(secs(300)),
            grace: Some(secs(7200)),
        }
    );
    assert_eq!(
        policy.to_string(),
        "timeout 10m (kill grace 5s), retry 3 (backoff 30s..10m), retry lost runs, overlap skip, catch-up all:5, jitter 1m30s, deadline 5m, grace 2h"
    );
    assert_eq!(
        spec.to_text(),
        "timeout=600s kill-grace=5s retry=3 backoff=30s..600s retry-lost=yes overlap=skip catch-up=all:5 jitter=90s deadline=300s grace=7200s"
    );
    assert_eq!(PolicySpec::parse(&spec.to_text()), Ok(spec));
}

#[test]
fn canonical_text_round_trips() {
    let mut spec = PolicySpec::default();
    assert_eq!(spec.to_text(), "");
    assert_eq!(PolicySpec::parse(""), Ok(spec));
    spec.set("timeout", "none").unwrap();
    spec.set("retry", "2").unwrap();
    spec.set("backoff", "1m").unwrap();
    spec.set("catch-up", "once").unwrap();
    spec.set("deadline", "90").unwrap();
    let text = spec.to_text();
    assert_eq!(
        text,
        "timeout=none retry=2 backoff=60s..360s catch-up=once deadline=90s"
    );
    assert_eq!(PolicySpec::parse(&text), Ok(spec));
    let error = PolicySpec::parse("retry=2 timeout=5x").unwrap_err();
    assert_eq!(error.index, 17, "{error}");
}

#[test]
fn later_assignments_replace_earlier_ones_and_defaults_fill_the_rest() {
    let mut first = PolicySpec::default();
    first.set("retry", "3").unwrap();
    first.set("overlap", "queue").unwrap();
    let mut second = PolicySpec::default();
    second.set("overlap", "replace").unwrap();
    let merged = first.then(&second);
    let defaults = Policy {
        timeout: Some(secs(3600)),
        ..Policy::default()
    };
    let policy = merged.over(&defaults);
    assert_eq!(policy.retries, 3);
    assert_eq!(policy.overlap, Overlap::Replace);
    assert_eq!(policy.timeout, Some(secs(3600)));
    // "none" written overrides a default timeout.
    let mut none = PolicySpec::default();
    none.set("timeout", "none").unwrap();
    assert_eq!(none.over(&defaults).timeout, None);
    assert_eq!(
        Policy::default().to_string(),
        "cron's (no timeout, no retry, overlap allowed, no catch-up)"
    );
}

#[test]
fn bad_values_are_refused_with_what_was_expected() {
    let mut spec = PolicySpec::default();
    for (name, value, index, message) in [
        (
            "SCHED_RETRY",
            "-1",
            0,
            "expected a number of retries (0 to 100)",
        ),
        ("SCHED_RETRY", "101", 0, "at most 100 retries"),
        (
            "SCHED_RETRY",
            "3x",
            1,
            "expected a number of retries (0 to 100)",
        ),
        (
            "SCHED_OVERLAP",
            "never",
            0,
            "expected allow, skip, queue or replace, found \"never\"",
        ),
        (
            "SCHED_CATCHUP",
            "some",
            0,
            "expected none, once, all or all:N, found \"some\"",
        ),
        (
            "SCHED_CATCHUP",
            "all:x",
            4,
            "expected a number of occurrences (0 to 1000)",
        ),
        (
            "SCHED_RETRY_BACKOFF",
            "10m..30s",
            5,
            "the cap after .. must not be shorter than the first delay",
        ),
        (
            "SCHED_RETRY_BACKOFF",
            "0s",
            0,
            "the first delay must be at least 1s",
        ),
        (
            "SCHED_RETRY_LOST",
            "maybe",
            0,
            "expected yes or no, found \"maybe\"",
        ),
    ] {
        let error = spec.assign(name, value).unwrap_err();
        assert_eq!(
            (error.index, error.message.as_str()),
            (index, message),
            "{name}={value}"
        );
    }
    let error = spec.assign("SCHED_TIMEOUT", "soon").unwrap_err();
    assert!(
        error.message.ends_with("(or none) for SCHED_TIMEOUT"),
        "{error}"
    );
    assert_eq!(
        spec,
        PolicySpec::default(),
        "a refused value changes nothing"
    );
}
