//! Rows as records: the column lists the statements select, and the
//! checks that turn a row into a job, a run or a retry (a value out of
//! range is [`SpoolError::BadRow`], never a panic).

use std::path::Path;

use postgres::Row;

use super::error::Fail;
use crate::columns::{OutcomeColumns, queue_of};
use crate::records::{decode_env, from_micros};
use crate::{
    CronRetry, JobId, JobKind, JobRecord, Mail, NewJob, Output, RunId, RunKind, RunRecord,
    SpoolError, Uid,
};

/// The columns of a job row, in the order [`job`] reads them.
macro_rules! job_columns {
    () => {
        "id, kind, queue, owner_uid, owner_gid, owner_name, due, submitted, command, cwd, \
         umask, env, mail, policy, attempt, scheduled"
    };
}

/// The columns of a run row, in the order [`run`] reads them.
macro_rules! run_columns {
    () => {
        "id, job_id, kind, origin, owner_uid, command, due, started, finished, pid, outcome, \
         exit_code, signal, reason, stopped, output_head, output_tail, output_bytes, attempt, host"
    };
}

/// Which rows an [`Owner`](crate::Owner) sees, over parameters `$1`, `$2`
/// and `$3` ([`Owner::sql`](crate::Owner)): everyone's, a uid's, or a
/// uid's stored under a name (a NULL name equals nothing).
macro_rules! owner_condition {
    () => {
        "($1::bigint IS NULL OR (owner_uid = $1 AND ($2::boolean OR owner_name = $3::text)))"
    };
}

/// The columns of a retry row, in the order [`retry`] reads them.
macro_rules! retry_columns {
    () => {
        "origin, command, owner_uid, scheduled, attempt, at"
    };
}

pub(crate) use {job_columns, owner_condition, retry_columns, run_columns};

pub(crate) fn bad_row(path: &Path, table: &'static str, id: i64, detail: &str) -> Fail {
    Fail::Spool(SpoolError::BadRow {
        path: path.to_path_buf(),
        table,
        id,
        detail: detail.to_owned(),
    })
}

/// An instant column's value.
fn instant(
    path: &Path,
    table: &'static str,
    id: i64,
    micros: i64,
) -> Result<jiff::Timestamp, Fail> {
    from_micros(micros).ok_or_else(|| bad_row(path, table, id, "instant out of range"))
}

/// A uid column's value.
pub(crate) fn uid(path: &Path, table: &'static str, id: i64, value: i64) -> Result<Uid, Fail> {
    u32::try_from(value)
        .map(Uid)
        .map_err(|_| bad_row(path, table, id, "uid out of range"))
}

/// A job row of [`job_columns!`], from column 0; `table` is where it was
/// read (`jobs`, `held_jobs`).
pub(crate) fn job(path: &Path, table: &'static str, row: &Row) -> Result<JobRecord, Fail> {
    let id: i64 = row.try_get(0)?;
    let bad = |detail: &str| bad_row(path, table, id, detail);
    let instant = |micros: i64| instant(path, table, id, micros);
    let job = NewJob {
        kind: JobKind::from_sql(row.try_get(1)?).ok_or_else(|| bad("unknown kind"))?,
        queue: queue_of(row.try_get(2)?).ok_or_else(|| bad("bad queue letter"))?,
        owner_uid: uid(path, table, id, row.try_get(3)?)?,
        owner_gid: u32::try_from(row.try_get::<_, i64>(4)?).map_err(|_| bad("gid out of range"))?,
        owner_name: row.try_get(5)?,
        due: instant(row.try_get(6)?)?,
        submitted: instant(row.try_get(7)?)?,
        command: row.try_get(8)?,
        cwd: row.try_get(9)?,
        umask: u32::try_from(row.try_get::<_, i32>(10)?).map_err(|_| bad("umask out of range"))?,
        env: decode_env(row.try_get(11)?)
            .ok_or_else(|| bad("environment is not NAME=VALUE pairs"))?,
        mail: Mail::from_sql(row.try_get(12)?).ok_or_else(|| bad("unknown mail setting"))?,
        policy: row.try_get(13)?,
        attempt: u32::try_from(row.try_get::<_, i64>(14)?)
            .ok()
            .filter(|&attempt| attempt >= 1)
            .ok_or_else(|| bad("attempt out of range"))?,
        scheduled: row
            .try_get::<_, Option<i64>>(15)?
            .map(instant)
            .transpose()?,
    };
    Ok(JobRecord {
        id: JobId(id as u64),
        job,
    })
}

/// A run row of [`run_columns!`], from column 0.
pub(crate) fn run(path: &Path, row: &Row) -> Result<RunRecord, Fail> {
    run_at(path, row, 0)
}

/// A run row of [`run_columns!`], from column `o`.
pub(crate) fn run_at(path: &Path, row: &Row, o: usize) -> Result<RunRecord, Fail> {
    let id: i64 = row.try_get(o)?;
    let bad = |detail: &str| bad_row(path, "runs", id, detail);
    let instant = |micros: i64| instant(path, "runs", id, micros);
    let state: &str = row.try_get(o + 10)?;
    let reason: Option<String> = row.try_get(o + 13)?;
    let note = if OutcomeColumns::reason_is_outcome(state) {
        None
    } else {
        reason.clone()
    };
    let outcome = OutcomeColumns::decode(
        state,
        row.try_get(o + 11)?,
        row.try_get(o + 12)?,
        reason,
        row.try_get(o + 14)?,
    )
    .map_err(bad)?;
    Ok(RunRecord {
        id: RunId(id as u64),
        job_id: row
            .try_get::<_, Option<i64>>(1)?
            .map(|job| JobId(job as u64)),
        kind: RunKind::from_sql(row.try_get(o + 2)?).ok_or_else(|| bad("unknown kind"))?,
        origin: row.try_get(o + 3)?,
        owner_uid: uid(path, "runs", id, row.try_get(o + 4)?)?,
        command: row.try_get(o + 5)?,
        due: instant(row.try_get(o + 6)?)?,
        started: instant(row.try_get(o + 7)?)?,
        finished: row.try_get::<_, Option<i64>>(8)?.map(instant).transpose()?,
        pid: row
            .try_get::<_, Option<i64>>(9)?
            .and_then(|pid| u32::try_from(pid).ok()),
        outcome,
        note,
        output: Output {
            head: row.try_get(o + 15)?,
            tail: row.try_get(o + 16)?,
            total_bytes: u64::try_from(row.try_get::<_, i64>(o + 17)?)
                .map_err(|_| bad("negative output size"))?,
        },
        attempt: u32::try_from(row.try_get::<_, i64>(o + 18)?)
            .map_err(|_| bad("attempt out of range"))?,
        host: row.try_get(o + 19)?,
    })
}

/// A retry row of [`retry_columns!`], from column 0.
pub(crate) fn retry(path: &Path, row: &Row) -> Result<CronRetry, Fail> {
    let scheduled: i64 = row.try_get(3)?;
    let bad = |detail: &str| bad_row(path, "cron_retries", scheduled, detail);
    Ok(CronRetry {
        origin: row.try_get(0)?,
        command: row.try_get(1)?,
        owner_uid: uid(path, "cron_retries", scheduled, row.try_get(2)?)?,
        scheduled: instant(path, "cron_retries", scheduled, scheduled)?,
        attempt: u32::try_from(row.try_get::<_, i64>(4)?)
            .map_err(|_| bad("attempt out of range"))?,
        at: instant(path, "cron_retries", scheduled, row.try_get(5)?)?,
    })
}

/// An id as the database stores it: ids are positive `i64`s; one beyond
/// that range maps to -1, which names no row.
pub(crate) fn sql_id(id: u64) -> i64 {
    crate::records::sql_id(id)
}
