//! Pending one-shot jobs: queue, list, look up, remove, claim for a run,
//! give back, queue again. Rows go in and out by arrays: a batch of jobs
//! is one statement, whatever its size.

use std::collections::HashMap;
use std::ops::ControlFlow;

use jiff::Timestamp;
use postgres::Row;
use postgres::types::Type;

use super::PgSpool;
use super::error::Fail;
use super::rows::{self, job_columns, owner_condition, sql_id};
use super::session::Session;
use crate::columns::queue_of;
use crate::records::{encode_env, from_micros, to_micros};
use crate::{JobId, JobKind, JobRecord, NewJob, Owner, PendingJob, RunId, SpoolError, Uid};

/// Rows fetched per round trip while a listing streams the pending jobs.
const PENDING_BATCH: i32 = 1024;

/// Inserts job rows given as arrays, under their ids or new ones from the
/// sequence (in order), and returns the ids in the arrays' order.
const INSERT_JOBS: &str = "WITH input AS MATERIALIZED (
        SELECT coalesce(u.given, nextval('schedd.jobs_id_seq')) AS id, u.*
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                    $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::text[],
                    $11::integer[], $12::bytea[], $13::text[], $14::text[], $15::bigint[],
                    $16::bigint[])
            WITH ORDINALITY AS u(given, kind, queue, owner_uid, owner_gid, owner_name, due,
                                 submitted, command, cwd, umask, env, mail, policy, attempt,
                                 scheduled, ord)
    ), inserted AS (
        INSERT INTO schedd.jobs (id, kind, queue, owner_uid, owner_gid, owner_name, due,
                                 submitted, command, cwd, umask, env, mail, policy, attempt,
                                 scheduled)
        SELECT id, kind, queue, owner_uid, owner_gid, owner_name, due, submitted, command, cwd,
               umask, env, mail, policy, attempt, scheduled
        FROM input ORDER BY ord
    )
    SELECT id FROM input ORDER BY ord";

const PENDING: &str = concat!(
    "SELECT id, kind, queue, owner_uid, due, submitted, command, cwd, attempt, scheduled
     FROM schedd.jobs WHERE ",
    owner_condition!()
);

const PENDING_OWNER_UIDS: &str = concat!(
    "SELECT DISTINCT owner_uid FROM schedd.jobs WHERE ",
    owner_condition!(),
    " ORDER BY owner_uid"
);

const JOB: &str = concat!("SELECT ", job_columns!(), " FROM schedd.jobs WHERE id = $1");

/// Deletes the jobs `$4` that the owner may see, locked in id order (two
/// removers or claimers never wait for each other in a cycle).
const REMOVE_JOBS: &str = concat!(
    "WITH locked AS (
        SELECT id FROM schedd.jobs WHERE id = ANY($4::bigint[]) AND ",
    owner_condition!(),
    " ORDER BY id FOR UPDATE
    )
    DELETE FROM schedd.jobs j USING locked WHERE j.id = locked.id RETURNING ",
    "j.id, j.kind, j.queue, j.owner_uid, j.owner_gid, j.owner_name, j.due, j.submitted, \
     j.command, j.cwd, j.umask, j.env, j.mail, j.policy, j.attempt, j.scheduled"
);

/// Consumes the jobs `$1` (locked in id order: a job another node claims
/// at the same time is waited for, then found gone) and records a run in
/// progress for each, as of `$2`, by host `$3` and node `$4`; a job with a
/// policy is kept in held_jobs while its run lasts. Returns the run id and
/// the job.
const CLAIM: &str = "WITH locked AS (
        SELECT id FROM schedd.jobs WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE
    ), taken AS (
        DELETE FROM schedd.jobs j USING locked WHERE j.id = locked.id
        RETURNING j.id, j.kind, j.queue, j.owner_uid, j.owner_gid, j.owner_name, j.due,
                  j.submitted, j.command, j.cwd, j.umask, j.env, j.mail, j.policy, j.attempt,
                  j.scheduled
    ), run AS (
        INSERT INTO schedd.runs (job_id, kind, owner_uid, owner_name, command, due, attempt,
                                 started, outcome, host, node)
        SELECT id, kind, owner_uid, owner_name, command, coalesce(scheduled, due), attempt,
               $2, 'running', $3, $4
        FROM taken ORDER BY id
        RETURNING id AS run_id, job_id
    ), held AS (
        INSERT INTO schedd.held_jobs (run_id, id, kind, queue, owner_uid, owner_gid, owner_name,
                                      due, submitted, command, cwd, umask, env, mail, policy,
                                      attempt, scheduled)
        SELECT run.run_id, t.id, t.kind, t.queue, t.owner_uid, t.owner_gid, t.owner_name, t.due,
               t.submitted, t.command, t.cwd, t.umask, t.env, t.mail, t.policy, t.attempt,
               t.scheduled
        FROM taken t JOIN run ON run.job_id = t.id
        WHERE t.policy <> ''
    )
    SELECT t.id, t.kind, t.queue, t.owner_uid, t.owner_gid, t.owner_name, t.due, t.submitted,
           t.command, t.cwd, t.umask, t.env, t.mail, t.policy, t.attempt, t.scheduled, run.run_id
    FROM taken t JOIN run ON run.job_id = t.id";

/// Deletes the unstarted runs `$1` and their held copies (the claim given
/// back).
const UNCLAIM_RUNS: &str = "WITH held AS (
        DELETE FROM schedd.held_jobs WHERE run_id = ANY($1::bigint[])
    )
    DELETE FROM schedd.runs WHERE id = ANY($1::bigint[]) AND outcome = 'running' AND pid IS NULL";

/// Deletes crontab lines' runs that never started, and so their claims.
const UNCLAIM_CRON_RUNS: &str = "DELETE FROM schedd.runs
    WHERE id = ANY($1::bigint[]) AND kind = 'cron' AND outcome = 'running' AND pid IS NULL";

impl PgSpool {
    pub(crate) fn insert_jobs(&mut self, jobs: &[NewJob]) -> Result<Vec<JobId>, SpoolError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Option<JobId>, &NewJob)> = jobs.iter().map(|job| (None, job)).collect();
        self.write(|session| insert_job_rows(session, &rows))
    }

    /// Streams the pending jobs through a portal, [`PENDING_BATCH`] rows
    /// a round trip, so that a listing of many jobs never holds them all.
    pub(crate) fn for_each_pending(
        &self,
        owner: Owner,
        visit: &mut dyn FnMut(PendingJob<'_>) -> ControlFlow<()>,
    ) -> Result<(), SpoolError> {
        let (uid, any_name, name) = owner.sql();
        self.with(|session| {
            let statement = session.prepared(PENDING)?;
            let mut tx = session.client.build_transaction().read_only(true).start()?;
            let portal = tx.bind(&statement, &[&uid, &any_name, &name])?;
            loop {
                let rows = tx.query_portal(&portal, PENDING_BATCH)?;
                for row in &rows {
                    if visit(self.pending(row)?).is_break() {
                        return Ok(());
                    }
                }
                if rows.len() < PENDING_BATCH as usize {
                    break;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn pending<'r>(&self, row: &'r Row) -> Result<PendingJob<'r>, Fail> {
        let id: i64 = row.try_get(0)?;
        let bad = |detail: &str| {
            Fail::Spool(SpoolError::BadRow {
                path: self.path.clone(),
                table: "jobs",
                id,
                detail: detail.to_owned(),
            })
        };
        let instant = |micros: i64| from_micros(micros).ok_or_else(|| bad("instant out of range"));
        Ok(PendingJob {
            id: JobId(id as u64),
            kind: JobKind::from_sql(row.try_get(1)?).ok_or_else(|| bad("unknown kind"))?,
            queue: queue_of(row.try_get(2)?).ok_or_else(|| bad("bad queue letter"))?,
            owner_uid: rows::uid(&self.path, "jobs", id, row.try_get(3)?)?,
            due: instant(row.try_get(4)?)?,
            submitted: instant(row.try_get(5)?)?,
            command: row.try_get(6)?,
            cwd: row.try_get(7)?,
            attempt: u32::try_from(row.try_get::<_, i64>(8)?)
                .map_err(|_| bad("attempt out of range"))?,
            scheduled: row.try_get::<_, Option<i64>>(9)?.map(instant).transpose()?,
        })
    }

    pub(crate) fn pending_owner_uids(&self, owner: Owner) -> Result<Vec<Uid>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        self.with(|session| {
            let rows = session.query(PENDING_OWNER_UIDS, &[&uid, &any_name, &name])?;
            rows.iter()
                .map(|row| rows::uid(&self.path, "jobs", -1, row.try_get(0)?))
                .collect()
        })
    }

    pub(crate) fn job(&self, id: JobId, owner: Owner) -> Result<Option<JobRecord>, SpoolError> {
        let job = self.with(|session| {
            session
                .query_opt(JOB, &[&sql_id(id.0)])?
                .map(|row| rows::job(&self.path, "jobs", &row))
                .transpose()
        })?;
        Ok(job.filter(|job| owner.matches(job.job.owner_uid, job.job.owner_name.as_deref())))
    }

    pub(crate) fn remove_jobs(
        &mut self,
        ids: &[JobId],
        owner: Owner,
    ) -> Result<Vec<Option<JobRecord>>, SpoolError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (uid, any_name, name) = owner.sql();
        let wanted: Vec<i64> = ids.iter().map(|id| sql_id(id.0)).collect();
        let mut removed = self.write(|session| {
            let rows = session.query(REMOVE_JOBS, &[&uid, &any_name, &name, &wanted])?;
            rows.iter()
                .map(|row| {
                    let job = rows::job(&self.path, "jobs", row)?;
                    Ok((job.id, job))
                })
                .collect::<Result<HashMap<JobId, JobRecord>, Fail>>()
        })?;
        // Each removed job answers the first of its ids.
        Ok(ids.iter().map(|id| removed.remove(id)).collect())
    }

    pub(crate) fn claim(
        &mut self,
        ids: &[JobId],
        now: Timestamp,
    ) -> Result<Vec<(JobRecord, RunId)>, SpoolError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = ids.iter().map(|id| sql_id(id.0)).collect();
        let mut claimed = self.write(|session| {
            // Planned per call, as the batches of run ends are: the
            // jobs table may have been nearly empty when a cached plan
            // was made.
            let rows = session.query_planned(
                CLAIM,
                &[
                    (&wanted, Type::INT8_ARRAY),
                    (&to_micros(now), Type::INT8),
                    (&self.options.host, Type::TEXT),
                    (&self.node, Type::INT8),
                ],
            )?;
            rows.iter()
                .map(|row| {
                    let job = rows::job(&self.path, "jobs", row)?;
                    let run: i64 = row.try_get(16)?;
                    Ok((job.id, (job, RunId(run as u64))))
                })
                .collect::<Result<HashMap<JobId, (JobRecord, RunId)>, Fail>>()
        })?;
        // In the order asked, as the scheduler's batch is.
        Ok(ids.iter().filter_map(|id| claimed.remove(id)).collect())
    }

    pub(crate) fn unclaim(&mut self, claimed: &[(JobRecord, RunId)]) -> Result<(), SpoolError> {
        if claimed.is_empty() {
            return Ok(());
        }
        let rows: Vec<(Option<JobId>, &NewJob)> = claimed
            .iter()
            .map(|(record, _)| (Some(record.id), &record.job))
            .collect();
        let runs: Vec<i64> = claimed.iter().map(|(_, run)| sql_id(run.0)).collect();
        self.write(|session| {
            insert_job_rows(session, &rows)?;
            session.execute(UNCLAIM_RUNS, &[&runs])?;
            Ok(())
        })
    }

    /// Deletes the unstarted runs `runs` of crontab lines: their claims
    /// (the rows' claim keys) go with them.
    pub(crate) fn unclaim_cron_runs(&mut self, runs: &[RunId]) -> Result<(), SpoolError> {
        if runs.is_empty() {
            return Ok(());
        }
        let runs: Vec<i64> = runs.iter().map(|run| sql_id(run.0)).collect();
        self.write(|session| {
            session.execute(UNCLAIM_CRON_RUNS, &[&runs])?;
            Ok(())
        })
    }

    pub(crate) fn requeue_job(&mut self, job: &JobRecord) -> Result<(), SpoolError> {
        self.write(|session| {
            insert_job_rows(session, &[(Some(job.id), &job.job)])?;
            Ok(())
        })
    }
}

/// Inserts `jobs` in one statement, each under its id or a new one;
/// returns the ids in order.
fn insert_job_rows(
    session: &mut Session,
    jobs: &[(Option<JobId>, &NewJob)],
) -> Result<Vec<JobId>, Fail> {
    let mut given = Vec::with_capacity(jobs.len());
    let mut kinds = Vec::with_capacity(jobs.len());
    let mut queues = Vec::with_capacity(jobs.len());
    let mut uids = Vec::with_capacity(jobs.len());
    let mut gids = Vec::with_capacity(jobs.len());
    let mut names = Vec::with_capacity(jobs.len());
    let mut dues = Vec::with_capacity(jobs.len());
    let mut submitted = Vec::with_capacity(jobs.len());
    let mut commands = Vec::with_capacity(jobs.len());
    let mut cwds = Vec::with_capacity(jobs.len());
    let mut umasks = Vec::with_capacity(jobs.len());
    let mut envs = Vec::with_capacity(jobs.len());
    let mut mails = Vec::with_capacity(jobs.len());
    let mut policies = Vec::with_capacity(jobs.len());
    let mut attempts = Vec::with_capacity(jobs.len());
    let mut scheduled = Vec::with_capacity(jobs.len());
    for (id, job) in jobs {
        given.push(id.map(|id| sql_id(id.0)));
        kinds.push(job.kind.as_sql());
        queues.push(job.queue.to_string());
        uids.push(i64::from(job.owner_uid.0));
        gids.push(i64::from(job.owner_gid));
        names.push(job.owner_name.as_deref());
        dues.push(to_micros(job.due));
        submitted.push(to_micros(job.submitted));
        commands.push(job.command.as_str());
        cwds.push(job.cwd.as_str());
        // Out of range: the CHECK refuses it, as SQLite's does.
        umasks.push(i32::try_from(job.umask).unwrap_or(-1));
        envs.push(encode_env(&job.env));
        mails.push(job.mail.as_sql());
        policies.push(job.policy.as_str());
        attempts.push(i64::from(job.attempt.max(1)));
        scheduled.push(job.scheduled.map(to_micros));
    }
    let rows = session.query(
        INSERT_JOBS,
        &[
            &given, &kinds, &queues, &uids, &gids, &names, &dues, &submitted, &commands, &cwds,
            &umasks, &envs, &mails, &policies, &attempts, &scheduled,
        ],
    )?;
    rows.iter()
        .map(|row| Ok(JobId(row.try_get::<_, i64>(0)? as u64)))
        .collect()
}
