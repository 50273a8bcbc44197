//! A short fuzzing run inside `cargo test`: every harness is fed its whole
//! corpus (`fuzz/corpus/<target>/`), the inputs that once broke it
//! (`tests/regressions/<target>/`), and a few thousand pseudo-random and
//! mutated inputs from a fixed seed, so a run is the same every time.
//!
//! A failure names each input that panicked (file, or seed and index) and
//! prints the input in hex, so it can be replayed under the fuzzer:
//! `scripts/fuzz.sh TARGET` then `fuzz/target/.../TARGET FILE`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Pseudo-random inputs per target: half random bytes from a crontab-ish
/// alphabet, half mutations of corpus files.
const GENERATED: usize = 3000;

/// xorshift64*: enough randomness for mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that the parsers give meaning to, and a few they should refuse.
const ALPHABET: &[u8] = b"0123456789*/-,@ \t\n\r:+.=%#\"'\\{}[]\0\xff\xc3\xa9aAjnoumst";

/// Words that the fuzzer would take long to guess.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "now", "noon", "midnight", "teatime", "tomorrow", "today", "next", "week", "month", "year",
    "hour", "minute", "utc", "am", "pm", "jan", "feb", "sun", "mon", "@daily", "@reboot",
    "CRON_TZ=", "MAILTO=", "root", "\"version\":4", "\"body\":", "\"type\":\"submit\"",
    "batch_load", "= ", "2147483648", "9999", "-1", "29", "31", "24:00", "\n",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, sorted by name; none when it does not exist.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| entry.expect("a readable directory").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let data = std::fs::read(&path).expect("a readable file");
            (path.display().to_string(), data)
        })
        .collect();
    files.sort();
    files
}

fn mutate(rng: &mut Rng, corpus: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut data = if corpus.is_empty() {
        Vec::new()
    } else {
        corpus[rng.below(corpus.len())].1.clone()
    };
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            2 => {
                let end = (at + rng.below(8)).min(data.len());
                data.drain(at..end);
            }
            3 => {
                let word = WORDS[rng.below(WORDS.len())].as_bytes();
                data.splice(at..at, word.iter().copied());
            }
            4 if !corpus.is_empty() => {
                // Splice in a piece of another input.
                let other = &corpus[rng.below(corpus.len())].1;
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(32)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            _ => {
                let end = (at + rng.below(16)).min(data.len());
                let repeated = data[at..end].to_vec();
                data.splice(at..at, repeated);
            }
        }
    }
    data
}

fn random(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(48);
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        if rng.below(4) == 0 {
            data.extend_from_slice(WORDS[rng.below(WORDS.len())].as_bytes());
        } else {
            data.push(ALPHABET[rng.below(ALPHABET.len())]);
        }
    }
    data
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs target `name` over its corpus, its regressions and generated
/// inputs; panics listing every input that failed.
fn replay(name: &str) {
    let harness = sched_fuzz::harness(name).expect("a known target");
    let root = manifest_dir();
    let corpus = files(&root.join("../../fuzz/corpus").join(name));
    let regressions = files(&root.join("tests/regressions").join(name));
    assert!(!corpus.is_empty(), "no corpus for {name}");

    let mut failures = Vec::new();
    let mut run = |label: String, data: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| harness(data))).is_err() {
            failures.push(format!("{label}: {}", hex(data)));
        }
    };
    for (path, data) in corpus.iter().chain(&regressions) {
        run(path.clone(), data);
    }
    let seed = 0x5eed_0000_0000_0001 ^ sched_fuzz_hash(name);
    let mut rng = Rng(seed);
    for index in 0..GENERATED {
        let data = if index % 2 == 0 {
            random(&mut rng)
        } else {
            mutate(&mut rng, &corpus)
        };
        run(format!("generated #{index} (seed {seed:#x})"), &data);
    }
    assert!(
        failures.is_empty(),
        "{name}: {} input(s) panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A per-target seed, so the targets do not all see the same bytes.
fn sched_fuzz_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn crontab() {
    replay("crontab");
}

#[test]
fn schedule() {
    replay("schedule");
}

#[test]
fn at_timespec() {
    replay("at_timespec");
}

#[test]
fn at_posix() {
    replay("at_posix");
}

#[test]
fn conf() {
    replay("conf");
}

#[test]
fn request() {
    replay("request");
}

#[test]
fn every_target_is_replayed_here() {
    let replayed = [
        "crontab",
        "schedule",
        "at_timespec",
        "at_posix",
        "conf",
        "request",
    ];
    let targets: Vec<&str> = sched_fuzz::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(targets, replayed);
}
