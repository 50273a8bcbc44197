//! Connection floods: many uids holding idle and half-written connections,
//! reconnecting as they are closed, cannot keep a bystander or root out.
//! Needs root (to connect as many uids); skips otherwise.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Daemon, Options, nobody, root_or_skip, stderr};

/// A flooder: opens `count` connections to the socket, sends half a
/// header on every other one, says "ready", then reopens each connection
/// the daemon closes, until its standard input closes.
const FLOODER: &str = r#"
import os, select, socket, sys
path, count = sys.argv[1], int(sys.argv[2])
def open_one(i):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if i % 2:
        s.send(b"\x00\x00")
    return s
conns = {}
for i in range(count):
    s = open_one(i)
    conns[s.fileno()] = (i, s)
print("ready", flush=True)
poller = select.poll()
for fd in conns:
    poller.register(fd, select.POLLIN)
poller.register(sys.stdin.fileno(), select.POLLIN | select.POLLHUP)
while True:
    for fd, _ in poller.poll():
        if fd == sys.stdin.fileno():
            sys.exit(0)
        i, s = conns.pop(fd)
        poller.unregister(fd)
        s.close()
        s = open_one(i)
        conns[s.fileno()] = (i, s)
        poller.register(s.fileno(), select.POLLIN)
"#;

/// How many uids flood, and how many connections each tries to hold: far
/// more than the daemon serves at once (512).
const FLOODING_UIDS: u32 = 16;
const CONNECTIONS_EACH: u32 = 64;

/// The longest a bystander's request may take during the flood.
const BOUND: Duration = Duration::from_secs(1);

fn flooder(daemon: &Daemon, uid: u32) -> Child {
    python_as(
        uid,
        uid,
        &[
            FLOODER,
            &daemon.socket.display().to_string(),
            &CONNECTIONS_EACH.to_string(),
        ],
    )
}

/// `python3 -c SCRIPT ARGS...` run as `uid`/`gid`, once it said "ready";
/// it ends when its standard input is closed.
fn python_as(uid: u32, gid: u32, script_and_args: &[&str]) -> Child {
    let mut child = Command::new("python3")
        .arg("-c")
        .args(script_and_args)
        .uid(uid)
        .gid(gid)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let mut ready = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready, "ready\n", "python3 as uid {uid} did not start");
    child
}

#[test]
fn a_flood_of_idle_and_half_written_connections_from_many_uids_delays_no_one_else() {
    let test = "a_flood_of_idle_and_half_written_connections_from_many_uids_delays_no_one_else";
    if !root_or_skip(test) {
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipped {test}: python3 is not installed");
        return;
    }
    let daemon = Daemon::start(Options {
        shared: true,
        ..Options::default()
    });
    let (uid, gid) = nobody();
    // Uids with no account: the kernel vouches for them all the same.
    let mut flooders: Vec<Child> = (0..FLOODING_UIDS)
        .map(|n| flooder(&daemon, 3_900_000 + n))
        .collect();
    for round in 0..5 {
        for (who, args) in [("nobody", ["ls", "--json"]), ("root", ["ls", "--json"])] {
            let started = Instant::now();
            let output = if who == "root" {
                daemon.sched(&args)
            } else {
                daemon.sched_as(uid, gid, &args)
            };
            let took = started.elapsed();
            println!("round {round}: {who} served in {took:?}");
            assert_eq!(output.status.code(), Some(0), "{who}: {}", stderr(&output));
            assert!(
                took < BOUND,
                "round {round}: {who} waited {took:?} during the flood"
            );
        }
        // One more flooder joins each round: it is admitted by closing the
        // waiting connections of those holding the most.
        flooders.push(flooder(&daemon, 3_900_100 + round));
    }
    for mut child in flooders {
        drop(child.stdin.take());
        child.wait().unwrap();
    }
    // The flood is over: the daemon serves as before.
    let output = daemon.sched_as(uid, gid, &["ls", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A request flooder: submits `jobs` jobs (the frame in file 1) from 32
/// connections, says "ready", then has `conns` connections each send the
/// request in file 2 and read its reply, again and again, until its
/// standard input closes.
const REQUESTER: &str = r#"
import select, socket, struct, sys, threading
path, submit, ask, jobs, conns = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read(), int(sys.argv[4]), int(sys.argv[5])
def reply(s):
    head = b""
    while len(head) < 4:
        more = s.recv(4 - len(head))
        if not more: raise EOFError
        head += more
    n = struct.unpack(">I", head)[0]
    while n:
        n -= len(s.recv(min(n, 1 << 16)))
def submit_some(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    for _ in range(n):
        s.sendall(submit)
        reply(s)
    s.close()
# Submitted from 32 connections at once: group commits.
submitters = [threading.Thread(target=submit_some, args=(jobs // 32,)) for _ in range(32)]
for t in submitters: t.start()
for t in submitters: t.join()
print("ready", flush=True)
stop = threading.Event()
def ask_forever():
    while not stop.is_set():
        try:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(path)
            while not stop.is_set():
                c.sendall(ask)
                reply(c)
        except (OSError, EOFError):
            pass
for _ in range(conns):
    threading.Thread(target=ask_forever, daemon=True).start()
sys.stdin.read()
stop.set()
"#;

#[test]
fn a_flood_of_expensive_requests_from_several_users_delays_no_one_else() {
    let test = "a_flood_of_expensive_requests_from_several_users_delays_no_one_else";
    if !root_or_skip(test) {
        return;
    }
    let Some(users) = crate::harness::test_users(test) else {
        return;
    };
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipped {test}: python3 is not installed");
        return;
    }
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        shared: true,
        ..Options::default()
    });
    let frame = |request: sched_proto::Request| {
        sched_proto::encode(&sched_proto::Envelope::new(request)).unwrap()
    };
    let submit = daemon.dir.path().join("submit.frame");
    std::fs::write(
        &submit,
        frame(sched_proto::Request::Submit(sched_proto::Submission {
            kind: sched_proto::JobKind::At,
            queue: None,
            when: sched_proto::When::Timespec {
                text: "now + 1 day".into(),
            },
            tz: Some("UTC".into()),
            command: "true".into(),
            env: Vec::new(),
            cwd: "/".into(),
            umask: 0o022,
            mail: Default::default(),
            policy: String::new(),
            on_failure: None,
        })),
    )
    .unwrap();
    let list = daemon.dir.path().join("list.frame");
    std::fs::write(&list, frame(sched_proto::Request::List)).unwrap();
    for path in [&submit, &list] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Two users with 10,000 jobs each, then 64 connections each asking
    // for their whole list without pause: 128 listings of 10,000 jobs
    // queued at any moment.
    let mut flooders: Vec<Child> = users
        .iter()
        .map(|(uid, gid, _)| {
            python_as(
                *uid,
                *gid,
                &[
                    REQUESTER,
                    &daemon.socket.display().to_string(),
                    &submit.display().to_string(),
                    &list.display().to_string(),
                    "10000",
                    "64",
                ],
            )
        })
        .collect();
    let (uid, gid) = nobody();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let output = daemon.sched_as(uid, gid, &["ls", "--json"]);
        let took = started.elapsed();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        slowest = slowest.max(took);
    }
    println!("the bystander's slowest of 10 requests: {slowest:?}");
    assert!(slowest < BOUND, "a bystander waited {slowest:?}");
    for mut child in flooders.drain(..) {
        drop(child.stdin.take());
        child.wait().unwrap();
    }
}
