//! Commands really started as a user: credentials, session, environment,
//! working directory, umask and descriptors as the job sees them.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sched_runas::{JobCommand, ResolvedUser, RunAsError, command, current_euid, resolve_uid};

/// Runs `script` as `user` and returns (exit status, output).
fn run(
    user: &ResolvedUser,
    script: &str,
    env: &[(String, String)],
    cwd: &Path,
    umask: u32,
) -> (std::io::Result<i32>, String) {
    let mut output = tempfile::tempfile().unwrap();
    let job = JobCommand {
        nice: 0,
        user,
        shell: Path::new("/bin/sh"),
        script,
        env,
        cwd: Some(cwd),
        umask,
        output: output.try_clone().unwrap(),
        stdin: None,
    };
    let status = command(job)
        .unwrap()
        .status()
        .map(|s| s.code().unwrap_or(-1));
    output.rewind().unwrap();
    let mut text = String::new();
    output.read_to_string(&mut text).unwrap();
    (status, text)
}

fn nobody() -> Option<ResolvedUser> {
    if current_euid() != 0 {
        eprintln!(
            "skipped: switching users needs root (running as uid {})",
            current_euid()
        );
        return None;
    }
    let uid = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("the nobody user")
        .uid
        .as_raw();
    Some(resolve_uid(uid).unwrap())
}

#[test]
fn the_job_sees_only_its_environment_cwd_umask_and_standard_descriptors() {
    let me = resolve_uid(current_euid()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("ONLY".to_owned(), "this one".to_owned()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ];
    // A descriptor the "daemon" holds open without close-on-exec must not
    // reach the job.
    let leaked = File::open("/dev/null").unwrap();
    let leaked_fd = nix::fcntl::fcntl(&leaked, nix::fcntl::FcntlArg::F_GETFD).unwrap();
    nix::fcntl::fcntl(
        &leaked,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::from_bits_truncate(leaked_fd & !1)),
    )
    .unwrap();
    // The shell's descriptors are listed first, by a plain command: while
    // the shell sets up a pipeline it holds pipe ends of its own, and for a
    // redirection dash parks the old descriptor at 10, so a listing taken
    // then would see those.
    let script = "ls /proc/$$/fd; \
                  env | LC_ALL=C sort | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_='; pwd; umask; \
                  test \"$(cut -d' ' -f6 /proc/$$/stat)\" = \"$$\" && echo session-leader";
    let (status, output) = run(&me, script, &env, dir.path(), 0o027);
    assert_eq!(status.unwrap(), 0, "{output}");
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(
        output,
        format!(
            "0\n1\n2\nONLY=this one\nPATH=/usr/bin:/bin\n{}\n0027\nsession-leader\n",
            dir.display()
        )
    );
    drop(leaked);
}

#[test]
fn a_working_directory_that_cannot_be_entered_stops_the_job_with_a_message() {
    let me = resolve_uid(current_euid()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    let (status, output) = run(&me, "echo should-not-run", &[], &missing, 0o022);
    let error = status.unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::ENOENT));
    assert_eq!(
        output,
        format!(
            "schedd: cannot enter the working directory {}\n",
            missing.display()
        )
    );
}

#[test]
fn as_root_the_job_runs_with_the_users_uid_gid_and_groups_only() {
    let Some(nobody) = nobody() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (status, output) = run(
        &nobody,
        "id -u; id -g; id -G; touch /proc/1/root 2>/dev/null || echo denied",
        &[],
        dir.path(),
        0o022,
    );
    assert_eq!(status.unwrap(), 0, "{output}");
    let groups: Vec<String> = nobody.groups().iter().map(u32::to_string).collect();
    assert_eq!(
        output,
        format!(
            "{}\n{}\n{}\ndenied\n",
            nobody.uid(),
            nobody.gid(),
            groups.join(" ")
        )
    );
}

#[test]
fn as_root_a_directory_only_root_may_enter_is_refused_to_the_user() {
    let Some(nobody) = nobody() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let (status, output) = run(&nobody, "echo should-not-run", &[], dir.path(), 0o022);
    assert_eq!(status.unwrap_err().raw_os_error(), Some(libc::EACCES));
    assert!(
        output.starts_with("schedd: cannot enter the working directory"),
        "{output}"
    );
}

#[test]
fn an_unprivileged_daemon_cannot_start_another_users_job() {
    if current_euid() == 0 {
        eprintln!("skipped: this checks an unprivileged daemon, and the tests run as root");
        return;
    }
    let root = resolve_uid(0).unwrap();
    let job = JobCommand {
        nice: 0,
        user: &root,
        shell: Path::new("/bin/sh"),
        script: "true",
        env: &[],
        cwd: None,
        umask: 0o022,
        output: tempfile::tempfile().unwrap(),
        stdin: None,
    };
    assert!(matches!(
        command(job),
        Err(RunAsError::NotPermitted { uid: 0, .. })
    ));
}

#[test]
fn the_job_reads_its_standard_input_from_the_given_file() {
    use std::io::{Seek, Write};
    let me = resolve_uid(sched_runas::current_euid()).unwrap();
    let mut stdin = tempfile::tempfile().unwrap();
    stdin.write_all(b"first line\nsecond\n").unwrap();
    stdin.rewind().unwrap();
    let mut output = tempfile::tempfile().unwrap();
    let job = JobCommand {
        nice: 0,
        user: &me,
        shell: Path::new("/bin/sh"),
        script: "wc -l; echo end",
        env: &[],
        cwd: None,
        umask: 0o022,
        output: output.try_clone().unwrap(),
        stdin: Some(stdin),
    };
    let status = command(job).unwrap().status().unwrap();
    assert!(status.success());
    output.rewind().unwrap();
    let mut text = String::new();
    output.read_to_string(&mut text).unwrap();
    assert_eq!(text, "2\nend\n");
}
