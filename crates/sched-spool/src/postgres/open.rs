//! Opening the spool: connecting, checking whose the `schedd` schema is,
//! migrating it (once, whoever starts first), and joining the fleet as a
//! new node. A schema this code cannot vouch for is reported, never
//! dropped, recreated or repaired.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use super::error::{self, Fail};
use super::session::Session;
use super::url::{self, Target};
use super::{PgOptions, PgSpool};
use crate::{DEFAULT_CRON_RUNS_KEPT, SpoolError};

/// Migrations in order; migration `i` takes the schema from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../../spool/postgres/0001_init.sql"),
    include_str!("../../../../spool/postgres/0002_entry_controls.sql"),
];

/// The schema of the PostgreSQL spool this build writes.
pub const PG_SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The transaction-level advisory lock the migration holds, so that
/// daemons starting together migrate once ("SCHD", as the SQLite spool's
/// application id).
const MIGRATION_LOCK: i64 = 0x5343_4844;

/// What `meta` says the schema is for.
const APPLICATION: &str = "schedd";

impl PgSpool {
    /// Opens the spool in the database at `url` (`postgresql://USER:PASSWORD@HOST:PORT/DB?sslmode=...&sslrootcert=...`),
    /// creating or migrating the `schedd` schema as needed, and joins the
    /// fleet as a new node of `options.host`: the host's earlier nodes (a
    /// daemon that ran there before) are gone from then on, and their
    /// crontab retries this node's.
    ///
    /// [`SpoolError::Unreachable`] when the server cannot be reached,
    /// [`SpoolError::Open`] for a URL, TLS or authentication problem,
    /// [`SpoolError::Foreign`] for a `schedd` schema that is not schedd's,
    /// [`SpoolError::TooNew`] for a newer schema.
    pub fn open(url: &str, options: PgOptions) -> Result<PgSpool, SpoolError> {
        let target = Target::new(url).map_err(|reason| SpoolError::Open {
            path: PathBuf::from(url::redacted(url)),
            reason,
        })?;
        let path = PathBuf::from(&target.describe);
        if options.host.is_empty() {
            return Err(SpoolError::Open {
                path,
                reason: "this daemon's host name is empty".to_owned(),
            });
        }
        if options.lease < Duration::from_millis(1) {
            return Err(SpoolError::Open {
                path,
                reason: "the lease must last at least a millisecond".to_owned(),
            });
        }
        let mut session = Session::connect(&target).map_err(|e| error::connecting(&path, e))?;
        migrate(&mut session, &path).map_err(|fail| error::spool(&path, fail))?;
        let node = join(&mut session, &options).map_err(|fail| error::spool(&path, fail))?;
        Ok(PgSpool {
            target,
            path,
            options,
            session: RefCell::new(Some(session)),
            node,
            cron_runs_kept: DEFAULT_CRON_RUNS_KEPT,
        })
    }
}

/// Brings the `schedd` schema to [`PG_SCHEMA_VERSION`] in one transaction,
/// under the migration lock; nothing is changed unless the schema is
/// absent, empty or schedd's.
fn migrate(session: &mut Session, path: &std::path::Path) -> Result<(), Fail> {
    let mut tx = session.client.transaction()?;
    // A daemon migrating a large spool may hold the lock a while.
    tx.batch_execute("SET LOCAL lock_timeout = 0")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = tx.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'schedd'),
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'schedd' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')),
                to_regclass('schedd.meta') IS NOT NULL",
        &[],
    )?;
    let (schema, relations, has_meta): (bool, i64, bool) =
        (found.try_get(0)?, found.try_get(1)?, found.try_get(2)?);
    let foreign = || {
        Fail::Spool(SpoolError::Foreign {
            path: path.to_path_buf(),
        })
    };
    let version = if relations == 0 {
        0
    } else if !has_meta {
        return Err(foreign());
    } else {
        // A `meta` of another shape is another program's too.
        let rows = tx
            .query(
                "SELECT key::text, value::text FROM schedd.meta
                 WHERE key::text IN ('application', 'schema_version')",
                &[],
            )
            .map_err(|_| foreign())?;
        let value = |key: &str| -> Option<String> {
            rows.iter()
                .find(|row| row.try_get::<_, &str>(0).ok() == Some(key))
                .and_then(|row| row.try_get::<_, Option<String>>(1).ok().flatten())
        };
        if value("application").as_deref() != Some(APPLICATION) {
            return Err(foreign());
        }
        value("schema_version")
            .and_then(|text| text.parse::<i64>().ok())
            .filter(|&version| version >= 1)
            .ok_or_else(|| {
                Fail::Spool(SpoolError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "schedd.meta holds no valid schema_version".to_owned(),
                })
            })?
    };
    if version > PG_SCHEMA_VERSION {
        return Err(Fail::Spool(SpoolError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: PG_SCHEMA_VERSION,
        }));
    }
    if version == PG_SCHEMA_VERSION {
        return Ok(tx.commit()?);
    }
    if !schema {
        // Only when missing: an administrator may have made it for a role
        // that may not create schemas.
        tx.batch_execute("CREATE SCHEMA schedd")?;
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.batch_execute(sql)?;
    }
    tx.execute(
        "INSERT INTO schedd.meta (key, value) VALUES ('application', $1), ('schema_version', $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&APPLICATION, &PG_SCHEMA_VERSION.to_string()],
    )?;
    Ok(tx.commit()?)
}

/// Joins the fleet as a new node of `options.host`, with a lease on the
/// database's clock; the host's earlier nodes are gone (their daemon is
/// not running any more) and their crontab retries are the new node's.
fn join(session: &mut Session, options: &PgOptions) -> Result<i64, Fail> {
    let mut tx = session.client.transaction()?;
    let node: i64 = tx
        .query_one(
            INSERT_NODE,
            &[
                &options.host,
                &i32::try_from(std::process::id()).ok(),
                &lease_micros(options.lease),
            ],
        )?
        .try_get(0)?;
    tx.execute(
        "UPDATE schedd.nodes SET gone = true WHERE host = $1 AND id < $2 AND NOT gone",
        &[&options.host, &node],
    )?;
    tx.execute(
        "UPDATE schedd.cron_retries SET node = $2
         WHERE node IN (SELECT id FROM schedd.nodes WHERE host = $1 AND id < $2)",
        &[&options.host, &node],
    )?;
    tx.commit()?;
    Ok(node)
}

/// A lease as the microseconds the SQL adds to `now()`.
pub(crate) fn lease_micros(lease: Duration) -> f64 {
    lease.as_micros() as f64
}

/// The statement that inserts a node: a lease from now on the database's
/// clock.
const INSERT_NODE: &str = "INSERT INTO schedd.nodes (host, pid, lease_until)
     VALUES ($1, $2, now() + $3::float8 * interval '1 microsecond') RETURNING id";

/// Joins again as a new node after this one was declared gone.
pub(crate) fn rejoin(session: &mut Session, options: &PgOptions) -> Result<i64, Fail> {
    Ok(session
        .query_one(
            INSERT_NODE,
            &[
                &options.host,
                &i32::try_from(std::process::id()).ok(),
                &lease_micros(options.lease),
            ],
        )?
        .try_get(0)?)
}
