//! The storage conformance suite against the PostgreSQL backend: each
//! test gets a database of its own, and reopening opens it again as the
//! same host (a daemon restarting).

mod conformance;
mod pg;

use sched_spool::{PgOptions, PgSpool, Store};

/// A fresh PostgreSQL spool in a database of its own.
struct Pg(pg::TestDb);

impl conformance::Backend for Pg {
    fn open(&self) -> Box<dyn Store> {
        Box::new(PgSpool::open(&self.0.url, PgOptions::new("conformance-host")).unwrap())
    }
}

suite!(match pg::TestDb::fresh() {
    Some(db) => Pg(db),
    None => return,
});

/// The shared spool's own rule, beyond the suite.
#[test]
fn each_occurrence_of_a_crontab_line_is_claimed_once() {
    let Some(db) = pg::TestDb::fresh() else {
        return;
    };
    conformance::each_occurrence_of_a_crontab_line_is_claimed_once(&Pg(db));
}
