//! Run history: the pid of a started run, its end, listings, and runs a
//! previous daemon lost track of.

use jiff::Timestamp;
use rusqlite::{Row, params};

use crate::columns::OutcomeColumns;
use crate::ids::Uid;
use crate::records::{from_micros, sql_id, to_micros};
use crate::{
    CronRetry, CronRun, EntryHealth, HEALTH_DEPTH, JobId, Occurrence, Outcome, Output, Owner,
    RunEnd, RunId, RunKind, RunRecord, SpoolError, SqliteSpool,
};

const RUN_COLUMNS: &str = "id, job_id, kind, owner_uid, command, due, started, finished, pid, \
                           outcome, exit_code, signal, reason, output_head, output_tail, output_bytes, origin, \
                           attempt, stopped";

impl SqliteSpool {
    /// Records the pid of each started run and the instant its process
    /// started (a claim comes a little before it), and `handled` as the
    /// last instant handled, in one transaction.
    pub fn set_started(
        &mut self,
        started: &[(RunId, u32, Timestamp)],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        for &(run, pid, at) in started {
            tx.prepare_cached("UPDATE runs SET pid = ?2, started = ?3 WHERE id = ?1")
                .and_then(|mut update| update.execute(params![sql_id(run.0), pid, to_micros(at)]))
                .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        if let Some(handled) = handled {
            note_handled(&tx, handled).map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }

    /// Records runs of crontab lines as started at `started`, not yet with
    /// a pid, in one transaction; returns their run ids in order, each
    /// claimed: one daemon holds this spool, and its planner alone decides
    /// (an occurrence of a wildcard line may run again after the clock was
    /// set back, as cron runs it).
    pub fn start_cron_runs(
        &mut self,
        runs: &[CronRun],
        started: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        note_handled(&tx, started).map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let mut ids = Vec::with_capacity(runs.len());
        for run in runs {
            let id = tx
                .prepare_cached(
                    "INSERT INTO runs (job_id, kind, owner_uid, command, due, started, outcome, origin, owner_name, attempt)
                     VALUES (0, ?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8)",
                )
                .and_then(|mut insert| {
                    insert.insert(params![
                        RunKind::Cron.as_sql(),
                        run.owner_uid,
                        run.command,
                        to_micros(run.due),
                        to_micros(started),
                        run.origin,
                        run.owner_name,
                        run.attempt.max(1)
                    ])
                })
                .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
            ids.push(Some(RunId(id as u64)));
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(ids)
    }

    /// How many finished runs of each crontab entry to keep (at least 1).
    pub fn set_cron_runs_kept(&mut self, kept: u32) {
        self.cron_runs_kept = kept.max(1);
    }

    /// Records how a run ended and what it wrote. For a cron run, the
    /// entry's oldest finished runs beyond the number kept are removed in
    /// the same transaction.
    /// Adds a note to finished run `run` (not to a failed one, whose
    /// reason is its outcome).
    pub fn note_run(&mut self, run: RunId, note: &str) -> Result<(), SpoolError> {
        self.conn
            .execute(
                "UPDATE runs SET reason = ?2 WHERE id = ?1 AND outcome NOT IN ('failed', 'running', 'skipped', 'missed', 'superseded')",
                params![sql_id(run.0), note],
            )
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(())
    }

    pub fn finish_run(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let found = record_end(&tx, run, finished, outcome, output, self.cron_runs_kept)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        if !found {
            return Err(no_run(&self.path, run));
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(())
    }

    /// The ends of `ends` in one transaction, and so one commit for a burst
    /// of them; a run not found is answered so without holding up the
    /// others. When the transaction fails, each end is tried alone and
    /// answered for itself.
    pub fn finish_runs(&mut self, ends: &[RunEnd]) -> Vec<Result<(), SpoolError>> {
        let kept = self.cron_runs_kept;
        let together = (|| -> rusqlite::Result<Vec<bool>> {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let found = ends
                .iter()
                .map(|end| record_end(&tx, end.run, end.finished, &end.outcome, &end.output, kept))
                .collect::<rusqlite::Result<Vec<bool>>>()?;
            tx.commit()?;
            Ok(found)
        })();
        match together {
            Ok(found) => ends
                .iter()
                .zip(found)
                .map(|(end, found)| {
                    if found {
                        Ok(())
                    } else {
                        Err(no_run(&self.path, end.run))
                    }
                })
                .collect(),
            Err(_) => ends
                .iter()
                .map(|end| self.finish_run(end.run, end.finished, &end.outcome, &end.output))
                .collect(),
        }
    }

    /// Records occurrences that did not run (skipped, missed, superseded)
    /// as finished runs, in one transaction, each crontab line's history
    /// kept to its length; `handled` is noted as the last instant the
    /// daemon fully handled.
    pub fn record_occurrences(
        &mut self,
        occurrences: &[Occurrence],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let insert = |occurrence: &Occurrence| -> rusqlite::Result<()> {
            let columns = OutcomeColumns::of(&occurrence.outcome);
            let id = tx
                .prepare_cached(
                    "INSERT INTO runs (job_id, kind, owner_uid, command, due, started, finished,
                                       outcome, exit_code, signal, reason, origin, owner_name, attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?
                .insert(params![
                    occurrence.job_id.map_or(0, |id| sql_id(id.0)),
                    occurrence.kind.as_sql(),
                    occurrence.owner_uid,
                    occurrence.command,
                    to_micros(occurrence.due),
                    to_micros(occurrence.at),
                    columns.state,
                    columns.code,
                    columns.signal,
                    columns.reason,
                    occurrence.origin,
                    occurrence.owner_name,
                    occurrence.attempt.max(1)
                ])?;
            prune_origin_of(&tx, RunId(id as u64), self.cron_runs_kept)
        };
        for occurrence in occurrences {
            insert(occurrence).map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        if let Some(handled) = handled {
            note_handled(&tx, handled).map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }

    /// The last instant the daemon fully handled (its crontab entries due
    /// then were started or recorded), if any: where a downtime began.
    pub fn last_handled(&self) -> Result<Option<Timestamp>, SpoolError> {
        let value = self.state(HANDLED_KEY)?;
        Ok(value
            .and_then(|text| text.parse::<i64>().ok())
            .and_then(from_micros))
    }

    /// Deletes the unstarted crontab runs due after the last instant
    /// handled (runs made ready ahead of an instant never reached).
    pub fn drop_unreached_cron_runs(&mut self) -> Result<Vec<RunId>, SpoolError> {
        let mut statement = self
            .conn
            .prepare(
                "DELETE FROM runs WHERE kind = 'cron' AND outcome = 'running' AND pid IS NULL
                   AND due > (SELECT CAST(value AS INTEGER) FROM state WHERE key = ?1)
                 RETURNING id",
            )
            .map_err(|e| self.error(e))?;
        let ids: Vec<i64> = statement
            .query_map(params![HANDLED_KEY], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(ids.into_iter().map(|id| RunId(id as u64)).collect())
    }

    /// Notes `at` as the last instant the daemon fully handled (at a clean
    /// stop).
    pub fn set_last_handled(&mut self, at: Timestamp) -> Result<(), SpoolError> {
        note_handled(&self.conn, at).map_err(|e| self.error(e))
    }

    /// Keeps a retry of a crontab line (replacing one for the same
    /// occurrence).
    pub fn save_cron_retry(&mut self, retry: &CronRetry) -> Result<(), SpoolError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO cron_retries (origin, command, owner_uid, scheduled, attempt, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    retry.origin,
                    retry.command,
                    retry.owner_uid,
                    to_micros(retry.scheduled),
                    retry.attempt,
                    to_micros(retry.at)
                ],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Drops the retry of the occurrence of `origin` due at `scheduled`
    /// (started, superseded, or its line gone); false if there was none.
    pub fn drop_cron_retry(
        &mut self,
        origin: &str,
        scheduled: Timestamp,
    ) -> Result<bool, SpoolError> {
        self.conn
            .execute(
                "DELETE FROM cron_retries WHERE origin = ?1 AND scheduled = ?2",
                params![origin, to_micros(scheduled)],
            )
            .map(|deleted| deleted > 0)
            .map_err(|e| self.error(e))
    }

    /// Every retry of a crontab line waiting, by instant.
    pub fn cron_retries(&self) -> Result<Vec<CronRetry>, SpoolError> {
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT origin, command, owner_uid, scheduled, attempt, at FROM cron_retries
                 ORDER BY at, origin",
            )
            .map_err(|e| self.error(e))?;
        let rows = select
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.error(e))?;
        let mut retries = Vec::with_capacity(rows.len());
        for (origin, command, uid, scheduled, attempt, at) in rows {
            let bad = |detail: &str| SpoolError::BadRow {
                path: self.path.clone(),
                table: "cron_retries",
                id: scheduled,
                detail: detail.to_owned(),
            };
            retries.push(CronRetry {
                origin,
                command,
                owner_uid: u32::try_from(uid)
                    .map(Uid)
                    .map_err(|_| bad("uid out of range"))?,
                scheduled: from_micros(scheduled).ok_or_else(|| bad("instant out of range"))?,
                attempt: u32::try_from(attempt).map_err(|_| bad("attempt out of range"))?,
                at: from_micros(at).ok_or_else(|| bad("instant out of range"))?,
            });
        }
        Ok(retries)
    }

    /// Runs `owner` may see, newest first, at most `limit`; only those of
    /// job `job` when given. A run claimed but not started yet (no pid) is
    /// not listed: it has not run.
    pub fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        self.select_runs(owner, job, None, limit)
    }

    /// Runs of the crontab line `origin` (`/etc/cron.d/php:14`, `crontab
    /// of alice:3`) that `owner` may see, newest first, at most `limit`.
    pub fn runs_of_origin(
        &self,
        owner: Owner,
        origin: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        self.select_runs(owner, None, Some(origin), limit)
    }

    fn select_runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        origin: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let job = job.map(|job| sql_id(job.0));
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs
             WHERE {} AND (?4 IS NULL OR job_id = ?4) AND (?6 IS NULL OR origin = ?6)
               AND NOT (outcome = 'running' AND pid IS NULL)
             ORDER BY id DESC LIMIT ?5",
            crate::records::owner_condition(0)
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let mut rows = statement
            .query(params![uid, any_name, name, job, limit, origin])
            .map_err(|e| self.error(e))?;
        let mut runs = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let run = run_from_row(row).map_err(|(id, detail)| SpoolError::BadRow {
                path: self.path.clone(),
                table: "runs",
                id,
                detail,
            })?;
            runs.push(run);
        }
        Ok(runs)
    }

    /// The health of each crontab line of `origins`, from its newest runs
    /// `owner` may see (read without their output).
    pub fn entry_health(
        &self,
        owner: Owner,
        origins: &[String],
    ) -> Result<Vec<EntryHealth>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let columns = RUN_COLUMNS.replace(
            "output_head, output_tail",
            "x'' AS output_head, x'' AS output_tail",
        );
        let sql = format!(
            "SELECT {columns} FROM runs
             WHERE {} AND origin = ?4 AND NOT (outcome = 'running' AND pid IS NULL)
             ORDER BY id DESC LIMIT ?5",
            crate::records::owner_condition(0)
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let mut health = Vec::with_capacity(origins.len());
        for origin in origins {
            let mut rows = statement
                .query(params![uid, any_name, name, origin, HEALTH_DEPTH])
                .map_err(|e| self.error(e))?;
            let mut runs = Vec::new();
            while let Some(row) = rows.next().map_err(|e| self.error(e))? {
                let run = run_from_row(row).map_err(|(id, detail)| SpoolError::BadRow {
                    path: self.path.clone(),
                    table: "runs",
                    id,
                    detail,
                })?;
                let success = run.outcome.succeeded();
                runs.push(run);
                if success {
                    break;
                }
            }
            health.push(EntryHealth::from_newest_first(runs));
        }
        Ok(health)
    }

    /// Runs in progress that `owner` may see (started: a pid is
    /// recorded), oldest first.
    pub fn runs_in_progress(&self, owner: Owner) -> Result<Vec<RunRecord>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs
             WHERE {} AND outcome = 'running' AND pid IS NOT NULL
             ORDER BY id",
            crate::records::owner_condition(0)
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let mut rows = statement
            .query(params![uid, any_name, name])
            .map_err(|e| self.error(e))?;
        let mut runs = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            runs.push(
                run_from_row(row).map_err(|(id, detail)| SpoolError::BadRow {
                    path: self.path.clone(),
                    table: "runs",
                    id,
                    detail,
                })?,
            );
        }
        Ok(runs)
    }

    /// Runs recorded as running, oldest first. At start-up these are runs
    /// a previous daemon started and never saw end: the caller records
    /// each as lost, with the output it left.
    pub fn running_runs(&self) -> Result<Vec<RunId>, SpoolError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM runs WHERE outcome = 'running' ORDER BY id")
            .map_err(|e| self.error(e))?;
        let ids: Vec<i64> = statement
            .query_map([], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(ids.into_iter().map(|id| RunId(id as u64)).collect())
    }
}

/// Run `run`, if it exists; `conn` may be inside a transaction.
pub(crate) fn run_by_id(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    run: RunId,
) -> Result<Option<RunRecord>, SpoolError> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
    let found = conn
        .prepare_cached(&sql)
        .and_then(|mut select| {
            select
                .query_row(params![sql_id(run.0)], |row| Ok(run_from_row(row)))
                .optional()
        })
        .map_err(|e| SqliteSpool::error_of(path, e))?;
    found
        .transpose()
        .map_err(|(id, detail)| SpoolError::BadRow {
            path: path.to_path_buf(),
            table: "runs",
            id,
            detail,
        })
}

/// The state key of the last instant the daemon fully handled.
const HANDLED_KEY: &str = "handled";

fn note_handled(conn: &rusqlite::Connection, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![HANDLED_KEY, to_micros(at).to_string()])
    .map(|_| ())
}

/// Removes the oldest finished runs of run `run`'s crontab line beyond
/// `kept` (nothing for a one-shot job's run).
fn prune_origin_of(conn: &rusqlite::Connection, run: RunId, kept: u32) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM runs WHERE id IN (
             SELECT id FROM runs
             WHERE origin = (SELECT origin FROM runs WHERE id = ?1 AND kind = 'cron')
               AND kind = 'cron' AND outcome != 'running'
             ORDER BY id DESC LIMIT -1 OFFSET ?2)",
    )?
    .execute(params![sql_id(run.0), kept])
    .map(|_| ())
}

fn run_from_row(row: &Row<'_>) -> Result<RunRecord, (i64, String)> {
    let id: i64 = row.get(0).unwrap_or(-1);
    let sql = |e: rusqlite::Error| (id, e.to_string());
    let bad = |detail: &str| (id, detail.to_owned());
    let instant = |micros: i64| from_micros(micros).ok_or_else(|| bad("instant out of range"));
    let state: String = row.get(9).map_err(sql)?;
    let outcome = OutcomeColumns::decode(
        &state,
        row.get(10).map_err(sql)?,
        row.get(11).map_err(sql)?,
        row.get(12).map_err(sql)?,
        row.get(18).map_err(sql)?,
    )
    .map_err(bad)?;
    let kind: String = row.get(2).map_err(sql)?;
    let finished: Option<i64> = row.get(7).map_err(sql)?;
    let pid: Option<i64> = row.get(8).map_err(sql)?;
    let output_bytes: i64 = row.get(15).map_err(sql)?;
    Ok(RunRecord {
        id: RunId(id as u64),
        // Cron runs are stored with job 0.
        job_id: match row.get::<_, i64>(1).map_err(sql)? {
            0 => None,
            job => Some(JobId(job as u64)),
        },
        kind: RunKind::from_sql(&kind).ok_or_else(|| bad("unknown kind"))?,
        origin: row.get(16).map_err(sql)?,
        owner_uid: u32::try_from(row.get::<_, i64>(3).map_err(sql)?)
            .map(Uid)
            .map_err(|_| bad("uid out of range"))?,
        command: row.get(4).map_err(sql)?,
        due: instant(row.get(5).map_err(sql)?)?,
        started: instant(row.get(6).map_err(sql)?)?,
        finished: finished.map(instant).transpose()?,
        pid: pid.and_then(|pid| u32::try_from(pid).ok()),
        note: if OutcomeColumns::reason_is_outcome(&state) {
            None
        } else {
            row.get(12).map_err(sql)?
        },
        outcome,
        host: None,
        attempt: u32::try_from(row.get::<_, i64>(17).map_err(sql)?)
            .map_err(|_| bad("attempt out of range"))?,
        output: Output {
            head: row.get(13).map_err(sql)?,
            tail: row.get(14).map_err(sql)?,
            total_bytes: u64::try_from(output_bytes).map_err(|_| bad("negative output size"))?,
        },
    })
}

/// Writes how `run` ended in `tx`, keeps its crontab line's newest `kept`
/// finished runs and drops its held copy; false when there is no such run
/// (nothing is written then).
fn record_end(
    tx: &rusqlite::Transaction<'_>,
    run: RunId,
    finished: Timestamp,
    outcome: &Outcome,
    output: &Output,
    kept: u32,
) -> rusqlite::Result<bool> {
    let columns = OutcomeColumns::of(outcome);
    let updated = tx
        .prepare_cached(
            "UPDATE runs SET finished = ?2, outcome = ?3, exit_code = ?4, signal = ?5, reason = ?6,
                        output_head = ?7, output_tail = ?8, output_bytes = ?9, stopped = ?10
                 WHERE id = ?1",
        )?
        .execute(params![
            sql_id(run.0),
            to_micros(finished),
            columns.state,
            columns.code,
            columns.signal,
            columns.reason,
            output.head,
            output.tail,
            output.total_bytes as i64,
            columns.stopped
        ])?;
    if updated == 0 {
        return Ok(false);
    }
    prune_origin_of(tx, run, kept)?;
    tx.prepare_cached("DELETE FROM held_jobs WHERE run_id = ?1")?
        .execute(params![sql_id(run.0)])?;
    Ok(true)
}

/// The answer for the end of a run that does not exist.
fn no_run(path: &std::path::Path, run: RunId) -> SpoolError {
    SpoolError::NotFound {
        path: path.to_owned(),
        what: format!("run {run}"),
    }
}
