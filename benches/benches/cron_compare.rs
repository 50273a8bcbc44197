//! ns per `next` and per parse: sched-cron against the cron, croner and
//! cronexpr crates, side by side in one run.
//!
//! Each crate gets the same schedule in its own syntax (`cron` wants a
//! seconds field first and numbers Sunday 1; cronexpr wants the zone after
//! the fields), all in Europe/Berlin from the same instant. Semantics
//! differ where noted: only sched-cron applies cron(8)'s day rule, `x-0`
//! ranges and DST rules, so these numbers compare speed, not correctness.
//!
//! Run: `cargo bench -p benches --bench cron_compare`

use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use chrono::TimeZone as _;
use criterion::{Criterion, criterion_group, criterion_main};

struct Case {
    name: &'static str,
    /// Standard five fields (sched-cron, croner, cronexpr).
    expression: &'static str,
    /// The same for the `cron` crate: seconds first, names for weekdays.
    cron_crate: &'static str,
    /// Start instant, wall time in Europe/Berlin.
    start: (i32, u32, u32, u32, u32),
}

const CASES: &[Case] = &[
    Case {
        name: "weekday quarter hours",
        expression: "*/15 9-17 * * MON-FRI",
        cron_crate: "0 */15 9-17 * * MON-FRI",
        start: (2026, 11, 24, 19, 2),
    },
    Case {
        name: "every minute",
        expression: "* * * * *",
        cron_crate: "0 * * * * *",
        start: (2026, 11, 24, 19, 2),
    },
    Case {
        name: "daily 04:05",
        expression: "5 4 * * *",
        cron_crate: "0 5 4 * * *",
        start: (2026, 11, 24, 19, 2),
    },
    Case {
        name: "sysstat 5-55/10",
        expression: "5-55/10 * * * *",
        cron_crate: "0 5-55/10 * * * *",
        start: (2026, 11, 24, 19, 2),
    },
    Case {
        name: "monthly 1st 04:00",
        expression: "0 4 1 * *",
        cron_crate: "0 0 4 1 * *",
        start: (2026, 11, 24, 19, 2),
    },
    Case {
        name: "Feb 29",
        expression: "0 0 29 2 *",
        cron_crate: "0 0 0 29 2 *",
        start: (2025, 1, 1, 0, 0),
    },
    Case {
        name: "30 2 before spring DST",
        expression: "30 2 * * *",
        cron_crate: "0 30 2 * * *",
        start: (2026, 3, 28, 12, 0),
    },
    Case {
        name: "13th or Friday",
        expression: "0 0 13 * FRI",
        cron_crate: "0 0 0 13 * FRI",
        start: (2026, 11, 24, 19, 2),
    },
];

const PARSE_MIX: [&str; 20] = [
    "*/15 9-17 * * MON-FRI",
    "0 0 29 2 *",
    "30 2 * * *",
    "* * * * *",
    "5 4 * * sun",
    "0 22 * * 1-5",
    "23 0-23/2 * * *",
    "5-55/10 * * * *",
    "09,39 * * * *",
    "0 */12 * * *",
    "30 3 * * 0",
    "10 3 * * *",
    "59 23 * * *",
    "0 4 1 * *",
    "15 14 1 * *",
    "0 0 1 1 *",
    "0 0 13 * FRI",
    "1,2,3,5,8,13,21,34,55 * * * *",
    "0 9-17/2 * jan-jun MON-FRI",
    "57 0 * * 0",
];

fn next(c: &mut Criterion) {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").expect("zone");
    let zone = sched_cron::Zone::new(tz.clone());
    let berlin = chrono_tz::Europe::Berlin;
    for case in CASES {
        let (y, mo, d, h, mi) = case.start;
        let start_chrono = berlin
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("start is unambiguous");
        let start_jiff = jiff::Timestamp::from_second(start_chrono.timestamp()).expect("start");
        let mut group = c.benchmark_group(format!("next/{}", case.name));

        let ours = sched_cron::Schedule::parse(case.expression).expect("sched-cron parses");
        group.bench_function("sched-cron", |b| {
            b.iter(|| ours.next_after(&zone, black_box(start_jiff)))
        });

        let cron_schedule = cron::Schedule::from_str(case.cron_crate).expect("cron parses");
        group.bench_function("cron", |b| {
            b.iter(|| cron_schedule.after(black_box(&start_chrono)).next())
        });

        let croner_schedule = croner::Cron::from_str(case.expression).expect("croner parses");
        group.bench_function("croner", |b| {
            b.iter(|| croner_schedule.find_next_occurrence(black_box(&start_chrono), false))
        });

        let cronexpr_schedule =
            cronexpr::parse_crontab(&format!("{} Europe/Berlin", case.expression))
                .expect("cronexpr parses");
        let start_cronexpr = cronexpr::MakeTimestamp::from_second(start_chrono.timestamp())
            .expect("start for cronexpr");
        group.bench_function("cronexpr", |b| {
            b.iter(|| cronexpr_schedule.find_next(black_box(start_cronexpr)))
        });
        group.finish();
    }
}

fn parse(c: &mut Criterion) {
    let cron_mix: Vec<String> = PARSE_MIX.iter().map(|e| format!("0 {e}")).collect();
    let cronexpr_mix: Vec<String> = PARSE_MIX
        .iter()
        .map(|e| format!("{e} Europe/Berlin"))
        .collect();
    let mut group = c.benchmark_group("parse/mix of 20 (total)");
    group.bench_function("sched-cron", |b| {
        b.iter(|| {
            for e in PARSE_MIX {
                let _ = black_box(sched_cron::Schedule::parse(black_box(e)));
            }
        })
    });
    group.bench_function("cron", |b| {
        b.iter(|| {
            for e in &cron_mix {
                let _ = black_box(cron::Schedule::from_str(black_box(e)));
            }
        })
    });
    group.bench_function("croner", |b| {
        b.iter(|| {
            for e in PARSE_MIX {
                let _ = black_box(croner::Cron::from_str(black_box(e)));
            }
        })
    });
    group.bench_function("cronexpr", |b| {
        b.iter(|| {
            for e in &cronexpr_mix {
                let _ = black_box(cronexpr::parse_crontab(black_box(e)));
            }
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = next, parse
}
criterion_main!(benches);
