//! Pending one-shot jobs: queue, list, look up, remove, and claim for a run.

use jiff::Timestamp;
use std::ops::ControlFlow;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::columns::queue_of;
use crate::ids::Uid;
use crate::records::{decode_env, encode_env, from_micros, sql_id, to_micros};
use crate::{
    JobId, JobKind, JobRecord, Mail, NewJob, Owner, PendingJob, RunId, SpoolError, SqliteSpool,
};

const JOB_COLUMNS: &str = "id, kind, owner_uid, owner_gid, due, submitted, command, cwd, umask, env, queue, owner_name, mail, policy, attempt, scheduled";

impl SqliteSpool {
    /// Queues `jobs` in one transaction and returns their ids in order.
    /// Many submissions share one commit (one fsync), which is how the
    /// daemon keeps durable submissions fast under load.
    pub fn insert_jobs(&mut self, jobs: &[NewJob]) -> Result<Vec<JobId>, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let mut ids = Vec::with_capacity(jobs.len());
        for job in jobs {
            let id =
                insert_job_row(&tx, None, job).map_err(|e| SqliteSpool::error_of(&self.path, e))?;
            ids.push(JobId(id as u64));
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(ids)
    }

    /// Hands each pending job `owner` may see to `visit`, borrowed from
    /// the row, in no particular order: a sequential scan of the table,
    /// which beats walking the (due, id) index with a table lookup per row.
    /// A listing encodes rows as they come instead of copying them first.
    /// `visit` may stop the scan by breaking.
    pub fn for_each_pending(
        &self,
        owner: Owner,
        mut visit: impl FnMut(PendingJob<'_>) -> ControlFlow<()>,
    ) -> Result<(), SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let sql = format!(
            "SELECT id, kind, owner_uid, due, submitted, command, cwd, queue, attempt, scheduled
             FROM jobs WHERE {}",
            crate::records::owner_condition(0)
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let mut rows = statement
            .query(params![uid, any_name, name])
            .map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let id: i64 = row.get(0).map_err(|e| self.error(e))?;
            let bad = |detail: &str| SpoolError::BadRow {
                path: self.path.clone(),
                table: "jobs",
                id,
                detail: detail.to_owned(),
            };
            let text = |index: usize| -> Result<&str, SpoolError> {
                row.get_ref(index)
                    .map_err(|e| self.error(e))?
                    .as_str()
                    .map_err(|e| self.error(e.into()))
            };
            let instant = |index: usize| -> Result<Timestamp, SpoolError> {
                let micros: i64 = row.get(index).map_err(|e| self.error(e))?;
                from_micros(micros).ok_or_else(|| bad("instant out of range"))
            };
            let flow =
                visit(PendingJob {
                    id: JobId(id as u64),
                    kind: JobKind::from_sql(text(1)?).ok_or_else(|| bad("unknown kind"))?,
                    queue: queue_of(text(7)?).ok_or_else(|| bad("bad queue letter"))?,
                    owner_uid: u32::try_from(row.get::<_, i64>(2).map_err(|e| self.error(e))?)
                        .map(Uid)
                        .map_err(|_| bad("uid out of range"))?,
                    due: instant(3)?,
                    submitted: instant(4)?,
                    command: text(5)?,
                    cwd: text(6)?,
                    attempt: row.get::<_, i64>(8).map_err(|e| self.error(e)).and_then(
                        |attempt| u32::try_from(attempt).map_err(|_| bad("attempt out of range")),
                    )?,
                    scheduled: match row.get::<_, Option<i64>>(9).map_err(|e| self.error(e))? {
                        Some(micros) => {
                            Some(from_micros(micros).ok_or_else(|| bad("instant out of range"))?)
                        }
                        None => None,
                    },
                });
            if flow.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The uids owning a pending job `owner` may see, each once, in
    /// order (read from the owner index alone).
    pub fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolError> {
        // Everyone's: read from the owner index alone (a condition with
        // parameters would make SQLite read every row of the table).
        let uids = if owner == Owner::Any {
            self.conn
                .prepare_cached("SELECT DISTINCT owner_uid FROM jobs ORDER BY owner_uid")
                .and_then(|mut select| {
                    select
                        .query_map([], |row| row.get::<_, i64>(0))
                        .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
                })
        } else {
            let (uid, any_name, name) = owner.sql();
            let sql = format!(
                "SELECT DISTINCT owner_uid FROM jobs WHERE {} ORDER BY owner_uid",
                crate::records::owner_condition(0)
            );
            self.conn.prepare_cached(&sql).and_then(|mut select| {
                select
                    .query_map(params![uid, any_name, name], |row| row.get::<_, i64>(0))
                    .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
            })
        }
        .map_err(|e| self.error(e))?;
        Ok(uids
            .into_iter()
            .filter_map(|uid| u32::try_from(uid).ok().map(Uid))
            .collect())
    }

    /// The pending job `id`, if `owner` may see it.
    pub fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolError> {
        let job = fetch_job(&self.conn, &self.path, id)?;
        Ok(job.filter(|job| owner.matches(job.job.owner_uid, job.job.owner_name.as_deref())))
    }

    /// Removes the pending jobs `ids` that `owner` may remove, in one
    /// transaction; each id gets the removed job, or `None` when there is
    /// no such job for `owner`.
    pub fn remove_jobs(
        &mut self,
        ids: &[JobId],
        owner: Owner,
    ) -> Result<Vec<Option<JobRecord>>, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let removed = ids
            .iter()
            .map(|&id| take_job(&tx, &self.path, id, &owner))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(removed)
    }

    /// Consumes the pending jobs `ids` and records each run as started at
    /// `started`, in one transaction (one fsync for a whole minute's jobs):
    /// a crash after this may lose the runs but can never repeat them.
    /// Returns the jobs claimed with their run ids; a job that is gone
    /// (removed since the scheduler looked) is left out.
    pub fn claim(
        &mut self,
        ids: &[JobId],
        started: Timestamp,
    ) -> Result<Vec<(JobRecord, RunId)>, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let mut claimed = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(job) = take_job(&tx, &self.path, id, &Owner::Any)? else {
                continue;
            };
            let run = tx
                .prepare_cached(
                    "INSERT INTO runs (job_id, kind, owner_uid, command, due, started, outcome, owner_name, attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8)",
                )
                .and_then(|mut insert| {
                    insert.insert(params![
                        sql_id(id.0),
                        job.job.kind.as_sql(),
                        job.job.owner_uid,
                        job.job.command,
                        to_micros(job.job.scheduled()),
                        to_micros(started),
                        job.job.owner_name,
                        job.job.attempt.max(1)
                    ])
                })
                .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
            if !job.job.policy.is_empty() {
                insert_job_row_into(&tx, "held_jobs", Some(run), Some(id), &job.job)
                    .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
            }
            claimed.push((job, RunId(run as u64)));
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(claimed)
    }

    /// Undoes [`claim`](Self::claim) for runs that never started: each job
    /// is pending again under its own id, and its run row is gone, in one
    /// transaction. The daemon claims a job just before its instant; this
    /// gives the job back when it stops or the clock is set back first.
    pub fn unclaim(&mut self, claimed: &[(JobRecord, RunId)]) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        for (record, run) in claimed {
            insert_job_row(&tx, Some(record.id), &record.job)
                .and_then(|_| {
                    tx.prepare_cached(
                        "DELETE FROM runs WHERE id = ?1 AND outcome = 'running' AND pid IS NULL",
                    )
                    .and_then(|mut delete| delete.execute(params![sql_id(run.0)]))
                })
                .and_then(|_| {
                    tx.prepare_cached("DELETE FROM held_jobs WHERE run_id = ?1")
                        .and_then(|mut delete| delete.execute(params![sql_id(run.0)]))
                })
                .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }

    /// Deletes the unstarted runs `runs` of crontab lines, in one
    /// transaction.
    pub fn unclaim_cron_runs(&mut self, runs: &[RunId]) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        for run in runs {
            tx.prepare_cached(
                "DELETE FROM runs WHERE id = ?1 AND kind = 'cron' AND outcome = 'running' AND pid IS NULL",
            )
            .and_then(|mut delete| delete.execute(params![sql_id(run.0)]))
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }

    /// Records run `run` as lost at `now` with the output it left, and
    /// takes the copy of its job kept since the claim (a job with a
    /// policy), in one transaction: the run as now recorded, and the job.
    pub fn lose_run(
        &mut self,
        run: RunId,
        now: Timestamp,
        output: &crate::Output,
    ) -> Result<(Option<crate::RunRecord>, Option<JobRecord>), SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let updated = tx
            .execute(
                "UPDATE runs SET finished = ?2, outcome = 'lost', output_head = ?3,
                        output_tail = ?4, output_bytes = ?5
                 WHERE id = ?1",
                params![
                    sql_id(run.0),
                    to_micros(now),
                    output.head,
                    output.tail,
                    output.total_bytes as i64
                ],
            )
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        if updated == 0 {
            return Err(SpoolError::NotFound {
                path: self.path.clone(),
                what: format!("run {run}"),
            });
        }
        let sql = format!("SELECT {JOB_COLUMNS} FROM held_jobs WHERE run_id = ?1");
        let held = tx
            .prepare_cached(&sql)
            .and_then(|mut select| {
                select
                    .query_row(params![sql_id(run.0)], |row| Ok(raw_job(row)))
                    .optional()
            })
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?
            .map(|raw| {
                raw.and_then(RawJob::into_record)
                    .map_err(|problem| bad_job_row(&self.path, problem))
            })
            .transpose()?;
        tx.execute(
            "DELETE FROM held_jobs WHERE run_id = ?1",
            params![sql_id(run.0)],
        )
        .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let record = crate::sqlite::runs::run_by_id(&tx, &self.path, run)?;
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok((record, held))
    }

    /// Queues `job` again under its own id: a retry of a one-shot job,
    /// with its attempt, its new `due` and the instant it was first due.
    pub fn requeue_job(&mut self, job: &JobRecord) -> Result<(), SpoolError> {
        insert_job_row(&self.conn, Some(job.id), &job.job)
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}

/// Inserts a job row under `id`, or under a new id (never used before:
/// AUTOINCREMENT) when `None`; returns the id.
fn insert_job_row(conn: &Connection, id: Option<JobId>, job: &NewJob) -> rusqlite::Result<i64> {
    insert_job_row_into(conn, "jobs", None, id, job)
}

/// Inserts a job row into `table`: `jobs`, or `held_jobs` with the run
/// it is held for.
fn insert_job_row_into(
    conn: &Connection,
    table: &str,
    run: Option<i64>,
    id: Option<JobId>,
    job: &NewJob,
) -> rusqlite::Result<i64> {
    let (run_column, run_value) = match run {
        Some(_) => ("run_id, ", "?17, "),
        None => ("", ""),
    };
    let sql = format!(
        "INSERT INTO {table} ({run_column}{JOB_COLUMNS})
         VALUES ({run_value}?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    );
    let mut insert = conn.prepare_cached(&sql)?;
    let values = params![
        id.map(|id| sql_id(id.0)),
        job.kind.as_sql(),
        job.owner_uid,
        job.owner_gid,
        to_micros(job.due),
        to_micros(job.submitted),
        job.command,
        job.cwd,
        job.umask,
        encode_env(&job.env),
        job.queue.to_string(),
        job.owner_name,
        job.mail.as_sql(),
        job.policy,
        job.attempt.max(1),
        job.scheduled.map(to_micros),
    ];
    match run {
        Some(run) => {
            let mut with_run = values.to_vec();
            with_run.push(&run);
            insert.insert(with_run.as_slice())
        }
        None => insert.insert(values),
    }
}

/// The job row `id`, checked; `conn` may be inside a transaction.
fn fetch_job(conn: &Connection, path: &Path, id: JobId) -> Result<Option<JobRecord>, SpoolError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut select| {
            select
                .query_row(params![sql_id(id.0)], |row| Ok(raw_job(row)))
                .optional()
        })
        .map_err(|e| SqliteSpool::error_of(path, e))?;
    raw.map(|raw| {
        raw.and_then(RawJob::into_record)
            .map_err(|problem| bad_job_row(path, problem))
    })
    .transpose()
}

/// Deletes job `id` and returns it, if it exists and `owner` may see it.
fn take_job(
    conn: &Connection,
    path: &Path,
    id: JobId,
    owner: &Owner,
) -> Result<Option<JobRecord>, SpoolError> {
    let Some(job) = fetch_job(conn, path, id)?
        .filter(|job| owner.matches(job.job.owner_uid, job.job.owner_name.as_deref()))
    else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM jobs WHERE id = ?1")
        .and_then(|mut delete| delete.execute(params![sql_id(id.0)]))
        .map_err(|e| SqliteSpool::error_of(path, e))?;
    Ok(Some(job))
}

fn bad_job_row(path: &Path, (id, detail): RowProblem) -> SpoolError {
    SpoolError::BadRow {
        path: path.to_path_buf(),
        table: "jobs",
        id,
        detail,
    }
}

/// A job row before its values are checked.
struct RawJob {
    id: i64,
    kind: String,
    owner_uid: i64,
    owner_gid: i64,
    due: i64,
    submitted: i64,
    command: String,
    cwd: String,
    umask: i64,
    env: Vec<u8>,
    queue: String,
    owner_name: Option<String>,
    mail: String,
    policy: String,
    attempt: i64,
    scheduled: Option<i64>,
}

type RowProblem = (i64, String);

fn raw_job(row: &Row<'_>) -> Result<RawJob, RowProblem> {
    let id: i64 = row.get(0).unwrap_or(-1);
    let read = || -> rusqlite::Result<RawJob> {
        Ok(RawJob {
            id,
            kind: row.get(1)?,
            owner_uid: row.get(2)?,
            owner_gid: row.get(3)?,
            due: row.get(4)?,
            submitted: row.get(5)?,
            command: row.get(6)?,
            cwd: row.get(7)?,
            umask: row.get(8)?,
            env: row.get(9)?,
            queue: row.get(10)?,
            owner_name: row.get(11)?,
            mail: row.get(12)?,
            policy: row.get(13)?,
            attempt: row.get(14)?,
            scheduled: row.get(15)?,
        })
    };
    read().map_err(|e| (id, e.to_string()))
}

impl RawJob {
    fn into_record(self) -> Result<JobRecord, RowProblem> {
        let id = self.id;
        let bad = |detail: &str| (id, detail.to_owned());
        let job = NewJob {
            kind: JobKind::from_sql(&self.kind).ok_or_else(|| bad("unknown kind"))?,
            queue: queue_of(&self.queue).ok_or_else(|| bad("bad queue letter"))?,
            owner_uid: u32::try_from(self.owner_uid)
                .map(Uid)
                .map_err(|_| bad("uid out of range"))?,
            owner_gid: u32::try_from(self.owner_gid).map_err(|_| bad("gid out of range"))?,
            owner_name: self.owner_name,
            due: from_micros(self.due).ok_or_else(|| bad("due instant out of range"))?,
            submitted: from_micros(self.submitted)
                .ok_or_else(|| bad("submission instant out of range"))?,
            command: self.command,
            cwd: self.cwd,
            umask: u32::try_from(self.umask).map_err(|_| bad("umask out of range"))?,
            env: decode_env(&self.env).ok_or_else(|| bad("environment is not NAME=VALUE pairs"))?,
            mail: Mail::from_sql(&self.mail).ok_or_else(|| bad("unknown mail setting"))?,
            policy: self.policy,
            attempt: u32::try_from(self.attempt)
                .ok()
                .filter(|&attempt| attempt >= 1)
                .ok_or_else(|| bad("attempt out of range"))?,
            scheduled: self
                .scheduled
                .map(|micros| {
                    from_micros(micros).ok_or_else(|| bad("scheduled instant out of range"))
                })
                .transpose()?,
        };
        Ok(JobRecord {
            id: JobId(id as u64),
            job,
        })
    }
}
