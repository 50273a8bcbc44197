//! Bad frames, bad requests, slow clients and unusable spools: each gets a
//! clear answer, and the daemon goes on serving.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use sched_proto::{Envelope, ErrorCode, MAX_REPLY, MAX_REQUEST, Response};

use crate::harness::{Daemon, Options, SCHEDD, stderr};

/// Sends raw bytes on a new connection and reads one reply frame.
fn exchange(daemon: &Daemon, bytes: &[u8]) -> Response {
    let mut stream = UnixStream::connect(&daemon.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let reply: Envelope<Response> = sched_proto::read_frame(&mut stream, MAX_REPLY).unwrap();
    reply.body
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

#[track_caller]
fn assert_error(response: Response, code: ErrorCode, message: &str) {
    match response {
        Response::Error(error) => {
            assert_eq!(error.code, code);
            assert!(
                error.message.contains(message),
                "{:?} does not contain {message:?}",
                error.message
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn malformed_oversized_unknown_and_foreign_version_requests_get_error_replies() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    assert_error(
        exchange(&daemon, &frame(b"\x00\xffnot json")),
        ErrorCode::Malformed,
        "malformed request",
    );
    assert_error(
        exchange(&daemon, &frame(br#"{"version":4}"#)),
        ErrorCode::UnknownRequest,
        "unknown request",
    );
    assert_error(
        exchange(
            &daemon,
            &frame(br#"{"version":4,"body":{"type":"format_disk"}}"#),
        ),
        ErrorCode::UnknownRequest,
        "unknown request",
    );
    assert_error(
        exchange(
            &daemon,
            &frame(br#"{"version":4,"body":{"type":"show","id":"seven"}}"#),
        ),
        ErrorCode::Malformed,
        "malformed request",
    );
    assert_error(
        exchange(&daemon, &frame(br#"{"version":99,"body":{"type":"list"}}"#)),
        ErrorCode::Version,
        "protocol version 99",
    );
    let too_big = ((MAX_REQUEST + 1) as u32).to_be_bytes();
    assert_error(
        exchange(&daemon, &too_big),
        ErrorCode::TooLarge,
        "larger than the limit",
    );
    // Still serving.
    assert_eq!(daemon.ok(&["ls"]), "");
}

#[test]
fn a_malformed_request_does_not_end_the_connection() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let mut stream = UnixStream::connect(&daemon.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(&frame(b"{oops")).unwrap();
    let first: Envelope<Response> = sched_proto::read_frame(&mut stream, MAX_REPLY).unwrap();
    assert!(matches!(first.body, Response::Error(_)));
    stream
        .write_all(&frame(br#"{"version":4,"body":{"type":"list"}}"#))
        .unwrap();
    let second: Envelope<Response> = sched_proto::read_frame(&mut stream, MAX_REPLY).unwrap();
    assert!(
        matches!(&second.body, Response::Jobs { jobs, running, .. } if jobs.is_empty() && running.is_empty()),
        "{:?}",
        second.body
    );
}

#[test]
fn a_silent_client_holds_up_nobody_and_a_stalled_request_times_out() {
    let daemon = Daemon::start(Options {
        mock_clock: Some("2026-11-25T10:00:00Z".into()),
        extra: vec![
            "--io-timeout-ms".into(),
            "300".into(),
            "--batch-load".into(),
            "1000".into(),
        ],
        ..Options::default()
    });
    // A client that has sent nothing, one that stops inside a header, and
    // one that announces a body and never sends it.
    let idle = UnixStream::connect(&daemon.socket).unwrap();
    let mut half_header = UnixStream::connect(&daemon.socket).unwrap();
    half_header.write_all(&[0, 0]).unwrap();
    let mut stalled = UnixStream::connect(&daemon.socket).unwrap();
    stalled.write_all(&100u32.to_be_bytes()).unwrap();
    assert_eq!(daemon.at("now + 1 min", "true"), 1);
    assert_eq!(daemon.jobs().len(), 1);
    for stream in [&mut half_header, &mut stalled] {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let reply: Envelope<Response> = sched_proto::read_frame(stream, MAX_REPLY).unwrap();
        assert_error(
            reply.body,
            ErrorCode::Malformed,
            "request not received within 300 ms",
        );
    }
    drop(idle);
}

#[test]
fn environment_names_that_are_not_shell_names_are_refused_by_the_daemon() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let body = serde_json::json!({
        "version": 4,
        "body": {
            "type": "submit", "kind": "at", "when": {"form": "now"}, "tz": null,
            "command": "true", "env": [["BAD-NAME", "x"]], "cwd": "/", "umask": 18
        }
    });
    let reply = exchange(&daemon, &frame(body.to_string().as_bytes()));
    assert_error(
        reply,
        ErrorCode::Invalid,
        "\"BAD-NAME\" is not a shell name",
    );
    assert!(daemon.jobs().is_empty());
}

#[test]
fn a_daemon_without_the_mock_flag_has_no_mock_clock() {
    let daemon = Daemon::start(Options::default());
    let output = daemon.sched(&["mock", "now"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), "sched: unknown request\n");
    let reply = exchange(
        &daemon,
        &frame(br#"{"version":4,"body":{"type":"mock","op":"set","to":"2030-01-01T00:00:00Z"}}"#),
    );
    assert_error(reply, ErrorCode::UnknownRequest, "unknown request");
}

fn start_fails(spool: &std::path::Path, socket: &std::path::Path) -> (Option<i32>, String) {
    let output = std::process::Command::new(SCHEDD)
        .arg("--socket")
        .arg(socket)
        .arg("--spool")
        .arg(spool)
        .arg("--mock-clock")
        .arg("2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_corrupt_spool_stops_the_daemon_with_its_path_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let db = spool.join("spool.db");
    let garbage = b"definitely not a database\n".repeat(300);
    std::fs::write(&db, &garbage).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, err) = start_fails(&spool, &dir.path().join("s.sock"));
    assert_eq!(code, Some(65), "EX_DATAERR");
    assert!(
        err.contains(&format!(
            "schedd: spool {} is not an SQLite database; it was left untouched",
            db.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn a_spool_in_use_by_another_daemon_is_reported_locked() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let (code, err) = start_fails(&daemon.spool, &daemon.dir.path().join("other.sock"));
    assert_eq!(code, Some(69), "EX_UNAVAILABLE");
    let pid = daemon.pid();
    assert!(
        err.contains(&format!(
            "is locked by another process (pid {pid}): is another schedd using it? it was left untouched"
        )),
        "{err}"
    );
    assert_eq!(daemon.ok(&["ls"]), "", "the first daemon is unaffected");
}

#[test]
fn a_socket_in_use_is_not_taken_over() {
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let (code, err) = start_fails(&daemon.dir.path().join("spool2"), &daemon.socket);
    assert_eq!(code, Some(69), "EX_UNAVAILABLE");
    assert!(
        err.contains(&format!(
            "another schedd is already listening on {}",
            daemon.socket.display()
        )),
        "{err}"
    );
    assert_eq!(daemon.ok(&["ls"]), "");
}

#[test]
fn a_spool_directory_open_to_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, err) = start_fails(&spool, &dir.path().join("s.sock"));
    assert_eq!(code, Some(73), "EX_CANTCREAT");
    assert!(
        err.contains("is open to other users (mode 755): chmod 700 it"),
        "{err}"
    );
}

#[test]
fn the_spool_and_socket_have_tight_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let daemon = Daemon::mock("2026-11-25T10:00:00Z");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&daemon.spool), 0o700);
    assert_eq!(mode(&daemon.spool.join("spool.db")), 0o600);
    assert_eq!(mode(&daemon.spool.join("output")), 0o700);
    let expected_socket = if nix::unistd::geteuid().is_root() {
        0o666
    } else {
        0o600
    };
    assert_eq!(mode(&daemon.socket), expected_socket);
}

/// A daemon of another release answers in a shape this sched cannot read;
/// sched names the version mismatch instead of a garbled reply.
#[test]
fn a_daemon_of_another_protocol_version_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("old.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        sched_proto::read_body(&mut stream, MAX_REQUEST).unwrap();
        stream
            .write_all(&frame(
                br#"{"version":1,"body":{"type":"error","code":"version","message":"old","column":null}}"#,
            ))
            .unwrap();
    });
    let output = std::process::Command::new(crate::harness::sched_binary())
        .args(["ls", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    server.join().unwrap();
    assert_eq!(
        stderr(&output),
        format!(
            "sched: schedd speaks protocol version 1 and this sched speaks {}: use a sched of the same release as the daemon\n",
            sched_proto::PROTOCOL_VERSION
        )
    );
    assert!(!output.status.success());
}
