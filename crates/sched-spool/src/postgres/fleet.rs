//! [`PgSpool`] as a [`Fleet`] node: its lease on the database's clock,
//! taking over the work of nodes whose lease ran out, the jobs due
//! whichever host stored them, and the crontabs' version.

use jiff::Timestamp;

use super::PgSpool;
use super::error::Fail;
use super::open::{lease_micros, rejoin};
use super::rows::{self, retry_columns};
use crate::columns::queue_of;
use crate::records::{from_micros, to_micros};
use crate::{DueJob, Fleet, JobId, JobKind, Lease, RunId, SpoolError, TakenOver};

const RENEW: &str = "UPDATE schedd.nodes
    SET lease_until = now() + $2::float8 * interval '1 microsecond'
    WHERE id = $1 AND NOT gone RETURNING id";

/// Whether a node other than `$1` has let its lease run out: read before
/// a take-over's transaction, which is then seldom needed.
const ANY_EXPIRED: &str = "SELECT EXISTS (
    SELECT 1 FROM schedd.nodes WHERE NOT gone AND lease_until < now() AND id <> $1)";

/// Declares gone every other node whose lease ran out. A node another
/// take-over (or the node's own write) holds is skipped, not waited for:
/// two nodes never take the same node.
const DECLARE_GONE: &str = "UPDATE schedd.nodes SET gone = true
    WHERE id IN (SELECT id FROM schedd.nodes
                 WHERE NOT gone AND lease_until < now() AND id <> $1
                 FOR UPDATE SKIP LOCKED)
    RETURNING id, host";

const TAKE_RETRIES: &str = concat!(
    "UPDATE schedd.cron_retries SET node = $1 WHERE node = ANY($2::bigint[]) RETURNING ",
    retry_columns!()
);

const RUNS_OF_NODES: &str = "SELECT id FROM schedd.runs
    WHERE outcome = 'running' AND node = ANY($1::bigint[]) ORDER BY id";

/// The latest last-handled instant of every host (keys `handled@HOST`).
const FLEET_HANDLED: &str = "SELECT max(value::bigint) FROM schedd.state
    WHERE key LIKE 'handled@%' AND value ~ '^-?[0-9]+$'";

const JOBS_DUE_BY: &str = "SELECT id, due, kind, queue FROM schedd.jobs
    WHERE due <= $1 ORDER BY due, id";

impl Fleet for PgSpool {
    fn host(&self) -> &str {
        &self.options.host
    }

    fn renew_lease(&mut self) -> Result<Lease, SpoolError> {
        let (node, rejoined) = self.with(|session| {
            let renewed =
                session.query_opt(RENEW, &[&self.node, &lease_micros(self.options.lease)])?;
            Ok(match renewed {
                Some(_) => (self.node, false),
                None => (rejoin(session, &self.options)?, true),
            })
        })?;
        self.node = node;
        Ok(Lease {
            node,
            rejoined,
            lasts: self.options.lease,
        })
    }

    fn take_over(&mut self) -> Result<TakenOver, SpoolError> {
        let me = self.node;
        let expired = self.with(|session| {
            Ok(session
                .query_one(ANY_EXPIRED, &[&me])?
                .try_get::<_, bool>(0)?)
        })?;
        if !expired {
            return Ok(TakenOver::default());
        }
        self.write(|session| {
            let nodes = session
                .query(DECLARE_GONE, &[&me])?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<Vec<(i64, String)>, Fail>>()?;
            if nodes.is_empty() {
                return Ok(TakenOver::default());
            }
            let ids: Vec<i64> = nodes.iter().map(|(id, _)| *id).collect();
            let mut retries = session
                .query(TAKE_RETRIES, &[&me, &ids])?
                .iter()
                .map(|row| rows::retry(&self.path, row))
                .collect::<Result<Vec<_>, Fail>>()?;
            retries.sort_by(|a, b| (a.at, &a.origin).cmp(&(b.at, &b.origin)));
            let runs = session
                .query(RUNS_OF_NODES, &[&ids])?
                .iter()
                .map(|row| Ok(RunId(row.try_get::<_, i64>(0)? as u64)))
                .collect::<Result<Vec<_>, Fail>>()?;
            Ok(TakenOver {
                nodes,
                runs,
                retries,
            })
        })
    }

    fn jobs_due_by(&self, until: Timestamp) -> Result<Vec<DueJob>, SpoolError> {
        self.with(|session| {
            let rows = session.query(JOBS_DUE_BY, &[&to_micros(until)])?;
            rows.iter()
                .map(|row| {
                    let id: i64 = row.try_get(0)?;
                    let bad = |detail: &str| {
                        Fail::Spool(SpoolError::BadRow {
                            path: self.path.clone(),
                            table: "jobs",
                            id,
                            detail: detail.to_owned(),
                        })
                    };
                    Ok(DueJob {
                        id: JobId(id as u64),
                        due: from_micros(row.try_get(1)?)
                            .ok_or_else(|| bad("instant out of range"))?,
                        kind: JobKind::from_sql(row.try_get(2)?)
                            .ok_or_else(|| bad("unknown kind"))?,
                        queue: queue_of(row.try_get(3)?).ok_or_else(|| bad("bad queue letter"))?,
                    })
                })
                .collect()
        })
    }

    fn crontabs_version(&self) -> Result<i64, SpoolError> {
        PgSpool::crontabs_version(self)
    }

    fn fleet_handled(&self) -> Result<Option<Timestamp>, SpoolError> {
        let micros: Option<i64> =
            self.with(|session| Ok(session.query_one(FLEET_HANDLED, &[])?.try_get(0)?))?;
        Ok(micros.and_then(from_micros))
    }
}
