#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sched_fuzz::schedule(data));
