//! Links GCC's unwinder into `sched` statically where the toolchain has it.
//!
//! Why: `sched` is started once per command (`sched at` from scripts, one
//! process per job), so its start-up is what users wait for. Rust's std on
//! linux-gnu links the shared `libgcc_s.so.1` for unwinding; loading it costs
//! a second library mapping, its symbol binding, and its constructor
//! `__cpu_indicator_init`, whose CPUID instructions trap to the hypervisor
//! on a virtual machine: together about 0.1-0.15 ms of a 1 ms start
//! (BENCHMARKS.md, "`sched` start-up"). The static `libgcc_eh.a` holds the
//! same unwinder without that constructor. Passed ahead of std's
//! `-lgcc_s`, it resolves the unwinder's symbols first, so the linker's
//! `--as-needed` (rustc's default) drops `libgcc_s.so.1` from the binary.
//! In builds where std is not part of one LTO object (debug builds) the
//! archive is simply not used, and nothing changes.
//!
//! Where `cc` or the archive is missing, nothing is emitted: the binary
//! links `libgcc_s.so.1` as before.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    // Only where the C compiler found is the target's own: a cross build
    // would need the target's archive.
    if os != "linux" || env != "gnu" || host != target {
        return;
    }
    if let Some(dir) = archive_dir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static=gcc_eh");
    }
}

/// The directory of the C compiler's `libgcc_eh.a`, if it has one.
fn archive_dir() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // Without the archive, the compiler prints the bare name back.
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    if !path.is_absolute() || !path.is_file() {
        return None;
    }
    path.parent().map(PathBuf::from)
}
