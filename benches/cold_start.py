#!/usr/bin/env python3
"""How long `sh -c 'exec stamp FILE'` takes from fork to the stamp, with no
schedd involved: 20 runs back to back (warm), then one run after 1, 5 and
20 s of idle. BENCHMARKS.md (dispatch latency) explains why this matters.

Usage: python3 benches/cold_start.py [target/release/stamp]
"""
import os
import subprocess
import sys
import tempfile
import time

STAMP = sys.argv[1] if len(sys.argv) > 1 else "target/release/stamp"


def once(path):
    if os.path.exists(path):
        os.unlink(path)
    before = time.time_ns()
    subprocess.run(["/bin/sh", "-c", f"exec {STAMP} {path}"], env={"PATH": "/usr/bin:/bin"}, check=True)
    with open(path) as stamp:
        return (int(stamp.read()) - before) / 1e6


with tempfile.TemporaryDirectory() as scratch:
    path = os.path.join(scratch, "stamp")
    warm = sorted(once(path) for _ in range(20))
    print(f"warm: median {warm[10]:.2f} ms")
    for idle in (1, 5, 20):
        time.sleep(idle)
        print(f"after {idle} s idle: {once(path):.2f} ms")
