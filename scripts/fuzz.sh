#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read outside input, with
# cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   scripts/fuzz.sh                     # every target, 10 million runs each
#   scripts/fuzz.sh schedule            # one target
#   scripts/fuzz.sh request 50000000    # one target, 50 million runs
#   scripts/fuzz.sh all 1000000         # every target, a million runs each
#
# Targets are run one at a time, under `nice -n 19`, each with a timeout
# of 1 s per input (a slower input is reported as a hang). New inputs go
# into fuzz/corpus/TARGET; afterwards the corpus is minimised (cmin, with
# libFuzzer's set-cover merge on edges alone: every covered edge is kept,
# not every hit count, which leaves a tenth of the files) unless
# MINIMISE=0. A crash or hang stops that target and is left in
# fuzz/artifacts/TARGET/; copy it to crates/sched-fuzz/tests/regressions/
# TARGET/ so that `cargo test -p sched-fuzz` replays it. Each run's
# libFuzzer output is kept in fuzz/logs/TARGET.log; the figures are
# printed at the end.
#
# Why `--sanitizer none`: only a stable toolchain is available, and
# AddressSanitizer needs the unstable -Zsanitizer flag. The coverage
# instrumentation (SanitizerCoverage, via -Cpasses=sancov-module and
# -Cllvm-args) and libFuzzer itself work on stable; the code under test
# forbids `unsafe`, so a sanitizer would add little.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(crontab schedule at_timespec at_posix conf request)
TARGET=${1:-all}
RUNS=${2:-10000000}
CARGO_FUZZ_VERSION=0.13.2
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [ "$TARGET" = all ]; then
    selected=("${TARGETS[@]}")
else
    case " ${TARGETS[*]} " in
    *" $TARGET "*) selected=("$TARGET") ;;
    *) echo "unknown target $TARGET; targets: all ${TARGETS[*]}" >&2; exit 2 ;;
    esac
fi

# libfuzzer-sys builds libFuzzer from C++ source.
if ! command -v c++ >/dev/null || ! command -v bc >/dev/null; then
    apt-get update -qq && apt-get install -y -qq g++ bc >/dev/null
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    nice -n 19 cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

mkdir -p fuzz/logs
status=0
summary=()
for target in "${selected[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    log="fuzz/logs/$target.log"
    dict=()
    [ -f "fuzz/dict/$target.dict" ] && dict=("-dict=$PWD/fuzz/dict/$target.dict")
    echo "== $target: $RUNS runs (log: $log)"
    nice -n 19 cargo fuzz build --sanitizer none "$target"
    start=$(date +%s.%N)
    rc=0
    nice -n 19 cargo fuzz run --sanitizer none "$target" "$PWD/fuzz/corpus/$target" -- \
        -runs="$RUNS" -timeout=1 -rss_limit_mb=2048 -print_final_stats=1 \
        "${dict[@]}" >"$log" 2>&1 || rc=$?
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    execs=$(stat number_of_executed_units)
    slowest=$(stat slowest_unit_time_sec)
    crashes=$(grep -c -E 'ERROR: libFuzzer: (deadly signal|fuzz target exited)' "$log" || true)
    hangs=$(grep -c 'ERROR: libFuzzer: timeout' "$log" || true)
    if [ "$rc" -ne 0 ]; then
        status=1
        tail -n 40 "$log"
        echo "!! $target stopped (exit $rc); inputs: $(ls "fuzz/artifacts/$target")"
    fi
    if [ "${MINIMISE:-1}" = 1 ]; then
        nice -n 19 cargo fuzz cmin --sanitizer none "$target" "$PWD/fuzz/corpus/$target" \
            -- -set_cover_merge=1 -use_counters=0 -timeout=1 >"fuzz/logs/$target.cmin.log" 2>&1
    fi
    files=$(find "fuzz/corpus/$target" -type f | wc -l)
    bytes=$(du -sb "fuzz/corpus/$target" | cut -f1)
    speed=$(echo "${execs:-0} / $wall" | bc)
    summary+=("$target: ${execs:-?} runs, $speed exec/s, $(printf %.1f "$wall") s wall, slowest input ${slowest:-?} s, crashes $crashes, hangs $hangs, corpus $files files / $bytes bytes")
done
echo
printf '%s\n' "${summary[@]}"
exit "$status"
