//! The storage conformance suite against the SQLite backend.

mod conformance;

use sched_spool::{SqliteSpool, Store};

/// A fresh SQLite spool in a directory of its own.
struct Sqlite(tempfile::TempDir);

impl conformance::Backend for Sqlite {
    fn open(&self) -> Box<dyn Store> {
        Box::new(SqliteSpool::open(&self.0.path().join("spool.db")).unwrap())
    }
}

suite!(Sqlite(tempfile::tempdir().unwrap()));

/// A host's own spool claims every run its one daemon asks for: after the
/// clock is set back, cron runs a wildcard line's occurrence again.
#[test]
fn a_hosts_own_spool_records_an_occurrence_run_again() {
    use sched_spool::{CronRun, Uid};
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteSpool::open(&dir.path().join("spool.db")).unwrap();
    let due: jiff::Timestamp = "2026-06-01T10:10:00Z".parse().unwrap();
    let run = CronRun {
        owner_uid: Uid(1000),
        owner_name: None,
        command: "echo".to_owned(),
        origin: "crontab of alice:1".to_owned(),
        due,
        attempt: 1,
        host_local: false,
    };
    let first = store
        .start_cron_runs(std::slice::from_ref(&run), due)
        .unwrap();
    let again = store.start_cron_runs(&[run], due).unwrap();
    assert!(first[0].is_some() && again[0].is_some());
    assert_ne!(first, again);
}
