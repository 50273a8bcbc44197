//! Links `sched` as a static position-independent executable where the
//! toolchain can.
//!
//! Why: `sched` is started once per command (`sched at` from scripts, one
//! process per job), so its start-up is what users wait for. Dynamically
//! linked, a third of that start-up was the dynamic loader's (mapping
//! libc.so.6 and libgcc_s.so.1, binding their symbols, their constructors)
//! and `sched --version` took 1.3x `/bin/true`'s time; static, it takes
//! about as long as `/bin/true`, itself dynamic (BENCHMARKS.md, "`sched`
//! start-up"). The client needs nothing that static glibc lacks: it looks
//! up no accounts (the daemon names users), loads no locale, and resolves
//! no host names; it reads its zone's TZif file itself. `static-pie` keeps
//! the address space layout randomised, and RELRO with immediate binding.
//!
//! How, with stable cargo, for this package only (the daemon must stay
//! dynamic: its account lookups go through NSS): the static `libc.a` and
//! GCC's static unwinder `libgcc_eh.a` are named as this package's native
//! libraries, which rustc places ahead of std's `-lgcc_s ... -lc`; their
//! members resolve every C symbol first, so `--as-needed` (rustc's
//! default) drops every shared library. `-static-pie` then makes the
//! compiler driver use the self-relocating start files and no program
//! interpreter, and `-z nodynamic-undefined-weak` resolves glibc's weak
//! references to absent features (profiling hooks) to null at link time,
//! as a static link must. Every target of the package (its tests too) is
//! linked alike, so the tests run the binary as it ships.
//!
//! Where the toolchain lacks the archives or the static start file (a
//! cross build, another C library), or `SCHED_CLIENT_LINK=dynamic` asks
//! for it (a distribution that wants security updates of libc to reach
//! every binary), nothing is emitted and `sched` links as any Rust program.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed=SCHED_CLIENT_LINK");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    // Only where the C compiler found is the target's own: a cross build
    // would need the target's archives.
    if os != "linux" || env != "gnu" || host != target {
        return;
    }
    if std::env::var("SCHED_CLIENT_LINK").as_deref() == Ok("dynamic") {
        return;
    }
    let (Some(unwinder), Some(libc), Some(_)) = (
        compiler_file("libgcc_eh.a"),
        compiler_file("libc.a"),
        compiler_file("rcrt1.o"),
    ) else {
        return;
    };
    for archive in [unwinder, libc] {
        if let Some(dir) = archive.parent() {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
    }
    println!("cargo:rustc-link-lib=static=gcc_eh");
    println!("cargo:rustc-link-lib=static=c");
    println!("cargo:rustc-link-arg=-static-pie");
    println!("cargo:rustc-link-arg=-Wl,-z,nodynamic-undefined-weak");
}

/// Where the C compiler finds `name` (an archive or a start file), if it
/// has it.
fn compiler_file(name: &str) -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(cc)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // Without the file, the compiler prints the bare name back.
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (path.is_absolute() && path.is_file()).then_some(path)
}
