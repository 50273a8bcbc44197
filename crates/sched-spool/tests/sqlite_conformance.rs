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
