#!/usr/bin/env python3
"""Process start-up and one-process-per-job submission, side by side.

Usage: python3 benches/startup.py N SCHED [ROUNDS]

Runs each command N times per round (ROUNDS rounds, alternating, default 3)
with posix_spawn (so the measuring process's own fork costs nothing),
stdout and stderr to /dev/null, and prints per command the median and p90
wall time and the mean CPU time (user + system, from wait4's rusage) of a
process. SCHED_SOCKET must name a running schedd with nothing pending
(for `sched ls`), and SCHED_SOCKET_AT another one that the submissions go
to (so that the listings stay empty). `at` rows run only where at(1) and a running atd exist.

The commands: /bin/true (the anchor), `sched --version`, `sched ls` with
nothing pending (TZ=UTC, and TZ unset: the zone /etc/localtime names),
`sched at 'now + 300 days' true` (each job durable before the reply),
and the like-for-like pair: `sched at 'now + 300 days'` and
`at -M 'now + 300 days'` each reading the job's text from a file on
standard input. The same pair through /bin/sh with a pipe (`echo true |
...`) follows, with the shell's own start-up alone (`sh -c true`).
"""
import os, shutil, statistics, sys, time


def run(argv, n, env, stdin_path="/dev/null"):
    walls, cpus = [], []
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin_path, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
    ]
    for _ in range(n):
        start = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        walls.append((time.perf_counter_ns() - start) / 1e6)
        cpus.append((usage.ru_utime + usage.ru_stime) * 1e3)
        if status != 0:
            sys.exit(f"{argv} exited with {status}")
    walls.sort()
    return statistics.median(walls), walls[int(len(walls) * 0.9)], statistics.mean(cpus)


def main():
    n = int(sys.argv[1])
    sched = os.path.abspath(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    env = dict(os.environ)
    utc = dict(env, TZ="UTC")
    local = {k: v for k, v in env.items() if k != "TZ"}
    submit = dict(local, SCHED_SOCKET=os.environ["SCHED_SOCKET_AT"])
    # The job's text, read from standard input as at(1) reads it, from a
    # file: no shell or pipe in the measured process tree.
    job = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"startup-job-{os.getpid()}")
    with open(job, "w") as f:
        f.write("true\n")
    rows = [
        ("/bin/true", ["/bin/true"], env),
        ("sched --version", [sched, "--version"], env),
        ("sched ls (TZ=UTC)", [sched, "ls"], utc),
        ("sched ls (TZ unset)", [sched, "ls"], local),
        ("sched at (TZ unset)", [sched, "at", "now + 300 days", "true"], submit),
        ("sched at < job file (TZ unset)", [sched, "at", "now + 300 days"], submit, job),
    ]
    if shutil.which("at") and os.system("pgrep -x atd >/dev/null") == 0:
        rows += [
            ("at -M < job file (TZ unset)", ["/usr/bin/at", "-M", "now + 300 days"], local, job),
            ("sh -c true", ["/bin/sh", "-c", "true"], local),
            ("sh -c 'echo true | at' (TZ unset)",
             ["/bin/sh", "-c", "echo true | at -M 'now + 300 days'"], local),
            ("sh -c 'sched at' (TZ unset)",
             ["/bin/sh", "-c", f"echo true | {sched} at 'now + 300 days'"], submit),
        ]
    print(f"{'command':40s} {'wall p50':>9s} {'wall p90':>9s} {'cpu mean':>9s}  (ms, {n} runs)")
    for round_ in range(rounds):
        for name, argv, row_env, *stdin in rows:
            p50, p90, cpu = run(argv, n, row_env, *stdin)
            print(f"{name:40s} {p50:9.3f} {p90:9.3f} {cpu:9.3f}")
        print()
    os.unlink(job)


main()
