//! Run history: crontab occurrences claimed (at most once in the fleet),
//! started, finished, recorded as not run or lost; listings; and the last
//! instant this host fully handled.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use postgres::types::{ToSql, Type};

use super::PgSpool;
use super::error::Fail;
use super::rows::{self, job_columns, owner_condition, run_columns, sql_id};
use super::session::Session;
use crate::columns::OutcomeColumns;
use crate::records::{from_micros, to_micros};
use crate::{
    CronRun, EntryHealth, HEALTH_DEPTH, JobId, JobRecord, Occurrence, Outcome, Output, Owner,
    RunEnd, RunId, RunKind, RunRecord, SpoolError,
};

const SET_STARTED: &str = "UPDATE schedd.runs r SET pid = u.pid, started = u.started
    FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, pid, started)
    WHERE r.id = u.id";

/// Claims crontab occurrences by inserting their runs: an occurrence
/// already claimed is left out. Run ids are taken in the order asked, and
/// the rows inserted in the order of their keys, so that nodes claiming
/// the same occurrences at once never wait for each other in a cycle.
/// Notes `$11` as the value of the state key `$10` (the last instant
/// handled) in the same statement.
const START_CRON_RUNS: &str = "WITH handled AS (
        INSERT INTO schedd.state (key, value) VALUES ($10, $11)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value
    ), input AS MATERIALIZED (
        SELECT nextval('schedd.runs_id_seq') AS id, u.*
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                    $6::bigint[], $7::text[])
            WITH ORDINALITY AS u(owner_uid, owner_name, command, origin, due, attempt, claim_key,
                                 ord)
    )
    INSERT INTO schedd.runs (id, kind, owner_uid, owner_name, command, origin, due, attempt,
                             started, outcome, host, node, claim_key)
    SELECT id, 'cron', owner_uid, owner_name, command, origin, due, attempt, $8, 'running', $9,
           $12, claim_key
    FROM input
    ORDER BY claim_key, due, attempt, ord
    ON CONFLICT (claim_key, due, attempt) WHERE claim_key IS NOT NULL DO NOTHING
    RETURNING id, claim_key, due, attempt";

/// Records occurrences that did not run as finished runs, ids and order as
/// [`START_CRON_RUNS`] has them; a crontab line's occurrence is claimed as
/// it claims it. Returns the claim keys of the runs inserted.
const RECORD_OCCURRENCES: &str = "WITH handled AS (
        INSERT INTO schedd.state (key, value) SELECT $17, $18 WHERE $18::text IS NOT NULL
        ON CONFLICT (key) DO UPDATE SET value = excluded.value
    ), input AS MATERIALIZED (
        SELECT nextval('schedd.runs_id_seq') AS id, u.*
        FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                    $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::integer[],
                    $12::integer[], $13::text[], $14::text[])
            WITH ORDINALITY
            AS u(job_id, kind, owner_uid, owner_name, command, origin, due, attempt, at, outcome,
                 exit_code, signal, reason, claim_key, ord)
    )
    INSERT INTO schedd.runs (id, job_id, kind, owner_uid, owner_name, command, origin, due,
                             attempt, started, finished, outcome, exit_code, signal, reason, host,
                             node, claim_key)
    SELECT id, job_id, kind, owner_uid, owner_name, command, origin, due, attempt, at, at,
           outcome, exit_code, signal, reason, $15, $16, claim_key
    FROM input
    ORDER BY claim_key NULLS LAST, due, attempt, ord
    ON CONFLICT (claim_key, due, attempt) WHERE claim_key IS NOT NULL DO NOTHING
    RETURNING claim_key";

/// Removes, for each claim key `$1`, the oldest finished runs beyond the
/// `$2` newest. Rows another transaction holds are skipped, never waited
/// for: a prune only ever removes fewer, and the next one catches up.
const PRUNE: &str = "DELETE FROM schedd.runs WHERE id IN (
        SELECT old.id FROM unnest($1::text[]) AS k(claim_key)
        CROSS JOIN LATERAL (
            SELECT r.id FROM schedd.runs r
            WHERE r.claim_key = k.claim_key AND r.outcome <> 'running'
            ORDER BY r.id DESC OFFSET $2 FOR UPDATE SKIP LOCKED
        ) AS old
    )";

const FINISH_RUN: &str = "UPDATE schedd.runs SET finished = $2, outcome = $3, exit_code = $4,
        signal = $5, reason = $6, output_head = $7, output_tail = $8, output_bytes = $9,
        stopped = $10
    WHERE id = $1 RETURNING claim_key";

const DROP_HELD: &str = "DELETE FROM schedd.held_jobs WHERE run_id = $1";

/// The end of run `$1` when it has no claim key (an at job's run: nothing
/// to prune), fenced by node `$11`'s lease, as one statement and so one
/// round trip and one implicit transaction: the node's row is share-locked
/// (and the run written) only while the node is live and the run is
/// keyless; the held copy goes only with the run's update. Answers (fence
/// taken, run finished). Anything else (a crontab run, a run not found, a
/// fenced node) writes nothing here and is left to the transaction of
/// [`FINISH_RUN`], which says which it was.
const FINISH_KEYLESS_RUN: &str = "WITH live AS MATERIALIZED (
        SELECT 1 FROM schedd.nodes n
        WHERE n.id = $11 AND NOT n.gone AND n.lease_until > now()
            AND EXISTS (SELECT 1 FROM schedd.runs r WHERE r.id = $1 AND r.claim_key IS NULL)
        FOR SHARE OF n
    ), finished AS (
        UPDATE schedd.runs SET finished = $2, outcome = $3, exit_code = $4,
            signal = $5, reason = $6, output_head = $7, output_tail = $8, output_bytes = $9,
            stopped = $10
        WHERE id = $1 AND claim_key IS NULL AND EXISTS (SELECT 1 FROM live)
        RETURNING id
    ), held AS (
        DELETE FROM schedd.held_jobs WHERE run_id IN (SELECT id FROM finished)
    )
    SELECT EXISTS (SELECT 1 FROM live), EXISTS (SELECT 1 FROM finished)";

/// The ends of several runs `$1` (distinct ids), as [`FINISH_KEYLESS_RUN`]
/// writes one, in one statement: node `$11`'s row is share-locked while it
/// is live, each keyless run among them written and its held copy
/// dropped. Answers the ids written; the others are left to
/// [`FINISH_RUNS`], whose transaction says whether the node was fenced.
///
/// The rows are locked in the join's order, not the ids': another node's
/// start-up adopting an owner's name in the same runs at the same instant
/// (`ADOPT_OWNER_NAME`, only for runs stored without a name) may deadlock
/// with it, and PostgreSQL then aborts one of the two. The ends are then
/// answered with the error and recorded again by the executor's retry;
/// the start-up stops with it and its supervisor starts it again.
const FINISH_KEYLESS_RUNS: &str = "WITH live AS MATERIALIZED (
        SELECT 1 FROM schedd.nodes n
        WHERE n.id = $11 AND NOT n.gone AND n.lease_until > now()
        FOR SHARE OF n
    ), finished AS (
        UPDATE schedd.runs r SET finished = u.finished, outcome = u.outcome,
            exit_code = u.code, signal = u.signal, reason = u.reason, output_head = u.head,
            output_tail = u.tail, output_bytes = u.bytes, stopped = u.stopped
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[], $5::integer[],
                    $6::text[], $7::bytea[], $8::bytea[], $9::bigint[], $10::bigint[])
            AS u(id, finished, outcome, code, signal, reason, head, tail, bytes, stopped)
        WHERE r.id = u.id AND r.claim_key IS NULL AND EXISTS (SELECT 1 FROM live)
        RETURNING r.id
    ), held AS (
        DELETE FROM schedd.held_jobs WHERE run_id IN (SELECT id FROM finished)
    )
    SELECT ARRAY(SELECT id FROM finished)";

/// The ends of runs `$1` (distinct ids), inside a fenced transaction:
/// answers the id and claim key of each run found. Its crontab lines are
/// pruned and its held copies dropped after, in the same transaction.
const FINISH_RUNS: &str = "UPDATE schedd.runs r SET finished = u.finished,
        outcome = u.outcome, exit_code = u.code, signal = u.signal, reason = u.reason,
        output_head = u.head, output_tail = u.tail, output_bytes = u.bytes, stopped = u.stopped
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[], $5::integer[],
                $6::text[], $7::bytea[], $8::bytea[], $9::bigint[], $10::bigint[])
        AS u(id, finished, outcome, code, signal, reason, head, tail, bytes, stopped)
    WHERE r.id = u.id
    RETURNING r.id, r.claim_key";

const DROP_HELD_OF: &str = "DELETE FROM schedd.held_jobs WHERE run_id = ANY($1::bigint[])";

const NOTE_RUN: &str = "UPDATE schedd.runs SET reason = $2
    WHERE id = $1 AND outcome NOT IN ('failed', 'running', 'skipped', 'missed', 'superseded')";

const RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM schedd.runs WHERE ",
    owner_condition!(),
    " AND NOT (outcome = 'running' AND pid IS NULL) ORDER BY id DESC LIMIT $4"
);

const RUNS_OF_JOB: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM schedd.runs WHERE ",
    owner_condition!(),
    " AND job_id = $5 AND NOT (outcome = 'running' AND pid IS NULL) ORDER BY id DESC LIMIT $4"
);

const RUNS_OF_ORIGIN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM schedd.runs WHERE ",
    owner_condition!(),
    " AND origin = $5 AND NOT (outcome = 'running' AND pid IS NULL) ORDER BY id DESC LIMIT $4"
);

/// The newest runs of each origin of `$4` (with their position in it),
/// `$5` at most each, without their output.
const HEALTH: &str = concat!(
    "SELECT o.n, r.id, r.job_id, r.kind, r.origin, r.owner_uid, r.command, r.due, r.started, \
     r.finished, r.pid, r.outcome, r.exit_code, r.signal, r.reason, r.stopped, \
     ''::bytea, ''::bytea, r.output_bytes, r.attempt, r.host \
     FROM unnest($4::text[]) WITH ORDINALITY AS o(origin, n) \
     CROSS JOIN LATERAL (SELECT * FROM schedd.runs WHERE ",
    owner_condition!(),
    " AND origin = o.origin AND NOT (outcome = 'running' AND pid IS NULL) \
     ORDER BY id DESC LIMIT $5) AS r ORDER BY o.n, r.id DESC"
);

const RUNS_IN_PROGRESS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM schedd.runs WHERE ",
    owner_condition!(),
    " AND outcome = 'running' AND pid IS NOT NULL ORDER BY id"
);

/// Runs recorded as running by this host: by this node, or by one of the
/// host's nodes that are gone (a daemon that ran here before).
/// Deletes this host's unstarted crontab runs due after its last instant
/// handled.
const DROP_UNREACHED_CRON_RUNS: &str = "DELETE FROM schedd.runs
    WHERE kind = 'cron' AND outcome = 'running' AND pid IS NULL
      AND node IN (SELECT id FROM schedd.nodes WHERE host = $1 AND (gone OR id = $2))
      AND due > (SELECT value::bigint FROM schedd.state WHERE key = $3)
    RETURNING id";

const RUNNING_RUNS: &str = "SELECT id FROM schedd.runs
    WHERE outcome = 'running'
      AND node IN (SELECT id FROM schedd.nodes WHERE host = $1 AND (gone OR id = $2))
    ORDER BY id";

/// Records run `$1` lost, only while it is running: of two daemons losing
/// the same run, one does.
const LOSE_RUN: &str = concat!(
    "UPDATE schedd.runs SET finished = $2, outcome = 'lost', output_head = $3,
        output_tail = $4, output_bytes = $5
    WHERE id = $1 AND outcome = 'running' RETURNING ",
    run_columns!()
);

const TAKE_HELD: &str = concat!(
    "DELETE FROM schedd.held_jobs WHERE run_id = $1 RETURNING ",
    job_columns!()
);

const RUN: &str = concat!("SELECT ", run_columns!(), " FROM schedd.runs WHERE id = $1");

impl PgSpool {
    pub(crate) fn set_started(
        &mut self,
        started: &[(RunId, u32, Timestamp)],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        if started.is_empty() && handled.is_none() {
            return Ok(());
        }
        let key = self.handled_key();
        let ids: Vec<i64> = started.iter().map(|(run, _, _)| sql_id(run.0)).collect();
        let pids: Vec<i64> = started.iter().map(|(_, pid, _)| i64::from(*pid)).collect();
        let ats: Vec<i64> = started.iter().map(|(_, _, at)| to_micros(*at)).collect();
        self.write(|session| {
            session.query_planned(
                SET_STARTED,
                &[
                    (&ids, Type::INT8_ARRAY),
                    (&pids, Type::INT8_ARRAY),
                    (&ats, Type::INT8_ARRAY),
                ],
            )?;
            if let Some(handled) = handled {
                session.execute(
                    super::crontabs::SET_STATE,
                    &[&key, &to_micros(handled).to_string()],
                )?;
            }
            Ok(())
        })
    }

    pub(crate) fn start_cron_runs(
        &mut self,
        runs: &[CronRun],
        now: Timestamp,
    ) -> Result<Vec<Option<RunId>>, SpoolError> {
        let keys: Vec<String> = runs
            .iter()
            .map(|run| self.claim_key(&run.origin, run.host_local))
            .collect();
        let uids: Vec<i64> = runs.iter().map(|run| i64::from(run.owner_uid.0)).collect();
        let names: Vec<Option<&str>> = runs.iter().map(|run| run.owner_name.as_deref()).collect();
        let commands: Vec<&str> = runs.iter().map(|run| run.command.as_str()).collect();
        let origins: Vec<&str> = runs.iter().map(|run| run.origin.as_str()).collect();
        let dues: Vec<i64> = runs.iter().map(|run| to_micros(run.due)).collect();
        let attempts: Vec<i64> = runs
            .iter()
            .map(|run| i64::from(run.attempt.max(1)))
            .collect();
        let mut claimed = self.write(|session| {
            let rows = session.query(
                START_CRON_RUNS,
                &[
                    &uids,
                    &names,
                    &commands,
                    &origins,
                    &dues,
                    &attempts,
                    &keys,
                    &to_micros(now),
                    &self.options.host,
                    &self.handled_key(),
                    &to_micros(now).to_string(),
                    &self.node,
                ],
            )?;
            rows.iter()
                .map(|row| {
                    let key: (String, i64, i64) =
                        (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                    Ok((key, RunId(row.try_get::<_, i64>(0)? as u64)))
                })
                .collect::<Result<HashMap<_, _>, Fail>>()
        })?;
        // An occurrence asked twice in one batch is claimed by the first.
        Ok(keys
            .into_iter()
            .zip(dues.iter().zip(&attempts))
            .map(|(key, (&due, &attempt))| claimed.remove(&(key, due, attempt)))
            .collect())
    }

    pub(crate) fn set_cron_runs_kept(&mut self, kept: u32) {
        self.cron_runs_kept = kept.max(1);
    }

    pub(crate) fn note_run(&mut self, run: RunId, note: &str) -> Result<(), SpoolError> {
        self.write(|session| {
            session.execute(NOTE_RUN, &[&sql_id(run.0), &note])?;
            Ok(())
        })
    }

    pub(crate) fn finish_run(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError> {
        let columns = OutcomeColumns::of(outcome);
        let id = sql_id(run.0);
        // An at job's run in one round trip; the rest (and any doubt) in
        // the fenced transaction. Not `finish_runs` of one: its statement
        // over arrays, planned per call, wrote 1,354-1,431 lone ends a
        // second against these prepared ones' 2,046-2,306 (`fleet_bench
        // claims URL 20000 1`, alternating).
        let keyless = self.with(|session| {
            let row = session.query_one(
                FINISH_KEYLESS_RUN,
                &[
                    &id,
                    &to_micros(finished),
                    &columns.state,
                    &columns.code,
                    &columns.signal,
                    &columns.reason,
                    &output.head,
                    &output.tail,
                    &output_bytes(output),
                    &columns.stopped,
                    &self.node,
                ],
            )?;
            Ok(row.try_get::<_, bool>(1)?)
        })?;
        if keyless {
            return Ok(());
        }
        self.finish_in_transaction(run, finished, outcome, output)
    }

    /// The end of `run` in a transaction fenced by this node's lease,
    /// pruning its crontab line's oldest runs: says whether the node was
    /// fenced or the run not found.
    fn finish_in_transaction(
        &mut self,
        run: RunId,
        finished: Timestamp,
        outcome: &Outcome,
        output: &Output,
    ) -> Result<(), SpoolError> {
        let columns = OutcomeColumns::of(outcome);
        let id = sql_id(run.0);
        self.write(|session| {
            let Some(row) = session.query_opt(
                FINISH_RUN,
                &[
                    &id,
                    &to_micros(finished),
                    &columns.state,
                    &columns.code,
                    &columns.signal,
                    &columns.reason,
                    &output.head,
                    &output.tail,
                    &output_bytes(output),
                    &columns.stopped,
                ],
            )?
            else {
                return Err(Fail::Spool(SpoolError::NotFound {
                    path: self.path.clone(),
                    what: format!("run {run}"),
                }));
            };
            if let Some(key) = row.try_get::<_, Option<String>>(0)? {
                self.prune(session, &[key])?;
            }
            session.execute(DROP_HELD, &[&id])?;
            Ok(())
        })
    }

    /// Ends written together, each answered as [`PgSpool::finish_run`]
    /// alone would answer it: the at jobs' ends in one statement (one
    /// round trip), the rest (crontab runs, runs not found, a node found
    /// fenced, a run's second end) in one fenced transaction of a few
    /// round trips, however many there are. A failure of either is every
    /// end's answer that it covers: it is the connection's or the
    /// database's, never one end's.
    pub(crate) fn finish_runs(&mut self, ends: &[RunEnd]) -> Vec<Result<(), SpoolError>> {
        if let [end] = ends {
            return vec![self.finish_run(end.run, end.finished, &end.outcome, &end.output)];
        }
        if ends.is_empty() {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let firsts: Vec<&RunEnd> = ends.iter().filter(|end| seen.insert(end.run)).collect();
        let columns = EndColumns::of(&firsts);
        let keyless = self.with(|session| {
            let mut params = columns.params();
            params.push((&self.node, Type::INT8));
            // One row, always: a SELECT without FROM.
            let rows = session.query_planned(FINISH_KEYLESS_RUNS, &params)?;
            let mut ids = Vec::new();
            for row in rows {
                ids.extend(row.try_get::<_, Vec<i64>>(0)?);
            }
            Ok(ids)
        });
        let written: HashSet<u64> = match keyless {
            Ok(ids) => ids.into_iter().map(|id| id as u64).collect(),
            Err(error) => return vec![Err(error); ends.len()],
        };
        // Each end not written yet, in order; a run's first end only may
        // have been.
        let mut answered = HashSet::new();
        let left: Vec<usize> = (0..ends.len())
            .filter(|&n| !(written.contains(&ends[n].run.0) && answered.insert(ends[n].run)))
            .collect();
        let mut answers: Vec<Result<(), SpoolError>> = vec![Ok(()); ends.len()];
        if left.is_empty() {
            return answers;
        }
        match self.finish_in_one_transaction(ends, &left) {
            Ok(found) => {
                for (&n, found) in left.iter().zip(found) {
                    if !found {
                        answers[n] = Err(SpoolError::NotFound {
                            path: self.path.clone(),
                            what: format!("run {}", ends[n].run),
                        });
                    }
                }
            }
            Err(error) => {
                for &n in &left {
                    answers[n] = Err(error.clone());
                }
            }
        }
        answers
    }

    /// Writes the ends `left` (indices into `ends`, in order) in one
    /// transaction fenced by this node's lease: a run named more than once
    /// is written in turn, its last end last. Answers whether each run
    /// was found.
    fn finish_in_one_transaction(
        &mut self,
        ends: &[RunEnd],
        left: &[usize],
    ) -> Result<Vec<bool>, SpoolError> {
        // Rounds of distinct runs: the first end of each, then the second...
        let mut rank: HashMap<RunId, usize> = HashMap::new();
        let mut rounds: Vec<Vec<usize>> = Vec::new();
        for (at, &n) in left.iter().enumerate() {
            let round = rank.entry(ends[n].run).or_default();
            if rounds.len() <= *round {
                rounds.push(Vec::new());
            }
            rounds[*round].push(at);
            *round += 1;
        }
        self.write(|session| {
            let mut found = vec![false; left.len()];
            let mut keys = BTreeSet::new();
            let mut ids = Vec::new();
            for round in &rounds {
                let batch: Vec<&RunEnd> = round.iter().map(|&at| &ends[left[at]]).collect();
                let columns = EndColumns::of(&batch);
                let rows = session.query_planned(FINISH_RUNS, &columns.params())?;
                let mut updated = HashSet::new();
                for row in rows {
                    let id = row.try_get::<_, i64>(0)?;
                    if let Some(key) = row.try_get::<_, Option<String>>(1)? {
                        keys.insert(key);
                    }
                    updated.insert(id as u64);
                    ids.push(id);
                }
                for &at in round {
                    found[at] = updated.contains(&ends[left[at]].run.0);
                }
            }
            let keys: Vec<String> = keys.into_iter().collect();
            self.prune(session, &keys)?;
            if !ids.is_empty() {
                session.query_planned(DROP_HELD_OF, &[(&ids, Type::INT8_ARRAY)])?;
            }
            Ok(found)
        })
    }

    /// Keeps the newest finished runs of each crontab line of `keys`.
    fn prune(&self, session: &mut Session, keys: &[String]) -> Result<(), Fail> {
        if !keys.is_empty() {
            session.execute(PRUNE, &[&keys, &i64::from(self.cron_runs_kept)])?;
        }
        Ok(())
    }

    pub(crate) fn record_occurrences(
        &mut self,
        occurrences: &[Occurrence],
        handled: Option<Timestamp>,
    ) -> Result<(), SpoolError> {
        if occurrences.is_empty() && handled.is_none() {
            return Ok(());
        }
        let columns: Vec<OutcomeColumns<'_>> = occurrences
            .iter()
            .map(|occurrence| OutcomeColumns::of(&occurrence.outcome))
            .collect();
        let job_ids: Vec<Option<i64>> = occurrences
            .iter()
            .map(|o| o.job_id.map(|id| sql_id(id.0)))
            .collect();
        let kinds: Vec<&str> = occurrences.iter().map(|o| o.kind.as_sql()).collect();
        let uids: Vec<i64> = occurrences
            .iter()
            .map(|o| i64::from(o.owner_uid.0))
            .collect();
        let names: Vec<Option<&str>> = occurrences
            .iter()
            .map(|o| o.owner_name.as_deref())
            .collect();
        let commands: Vec<&str> = occurrences.iter().map(|o| o.command.as_str()).collect();
        let origins: Vec<Option<&str>> = occurrences.iter().map(|o| o.origin.as_deref()).collect();
        let dues: Vec<i64> = occurrences.iter().map(|o| to_micros(o.due)).collect();
        let attempts: Vec<i64> = occurrences
            .iter()
            .map(|o| i64::from(o.attempt.max(1)))
            .collect();
        let ats: Vec<i64> = occurrences.iter().map(|o| to_micros(o.at)).collect();
        let states: Vec<&str> = columns.iter().map(|c| c.state).collect();
        let codes: Vec<Option<i32>> = columns.iter().map(|c| c.code).collect();
        let signals: Vec<Option<i32>> = columns.iter().map(|c| c.signal).collect();
        let reasons: Vec<Option<&str>> = columns.iter().map(|c| c.reason).collect();
        let keys: Vec<Option<String>> = occurrences
            .iter()
            .map(|o| {
                (o.kind == RunKind::Cron)
                    .then_some(o.origin.as_deref())
                    .flatten()
                    .map(|origin| self.claim_key(origin, o.host_local))
            })
            .collect();
        let handled = handled.map(|at| to_micros(at).to_string());
        self.write(|session| {
            let rows = session.query(
                RECORD_OCCURRENCES,
                &[
                    &job_ids,
                    &kinds,
                    &uids,
                    &names,
                    &commands,
                    &origins,
                    &dues,
                    &attempts,
                    &ats,
                    &states,
                    &codes,
                    &signals,
                    &reasons,
                    &keys,
                    &self.options.host,
                    &self.node,
                    &self.handled_key(),
                    &handled,
                ],
            )?;
            let recorded = rows
                .iter()
                .map(|row| row.try_get::<_, Option<String>>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let lines: Vec<String> = recorded
                .into_iter()
                .flatten()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            self.prune(session, &lines)
        })
    }

    pub(crate) fn last_handled(&self) -> Result<Option<Timestamp>, SpoolError> {
        let value = self.state(&self.handled_key())?;
        Ok(value
            .and_then(|text| text.parse::<i64>().ok())
            .and_then(from_micros))
    }

    pub(crate) fn set_last_handled(&mut self, at: Timestamp) -> Result<(), SpoolError> {
        let key = self.handled_key();
        self.write(|session| {
            session.execute(
                super::crontabs::SET_STATE,
                &[&key, &to_micros(at).to_string()],
            )?;
            Ok(())
        })
    }

    pub(crate) fn runs(
        &self,
        owner: Owner,
        job: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let limit = i64::from(limit);
        self.with(|session| {
            let rows = match job {
                None => session.query(RUNS, &[&uid, &any_name, &name, &limit])?,
                Some(job) => session.query(
                    RUNS_OF_JOB,
                    &[&uid, &any_name, &name, &limit, &sql_id(job.0)],
                )?,
            };
            rows.iter().map(|row| rows::run(&self.path, row)).collect()
        })
    }

    pub(crate) fn runs_of_origin(
        &self,
        owner: Owner,
        origin: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let limit = i64::from(limit);
        self.with(|session| {
            let rows = session.query(RUNS_OF_ORIGIN, &[&uid, &any_name, &name, &limit, &origin])?;
            rows.iter().map(|row| rows::run(&self.path, row)).collect()
        })
    }

    pub(crate) fn entry_health(
        &self,
        owner: Owner,
        origins: &[String],
    ) -> Result<Vec<EntryHealth>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        let depth = i64::from(HEALTH_DEPTH);
        let mut by_origin: Vec<Vec<RunRecord>> = vec![Vec::new(); origins.len()];
        self.with(|session| {
            let rows = session.query(HEALTH, &[&uid, &any_name, &name, &origins, &depth])?;
            for row in &rows {
                let n: i64 = row.try_get(0)?;
                let run = rows::run_at(&self.path, row, 1)?;
                if let Some(runs) = usize::try_from(n - 1)
                    .ok()
                    .and_then(|i| by_origin.get_mut(i))
                {
                    runs.push(run);
                }
            }
            Ok(())
        })?;
        Ok(by_origin
            .into_iter()
            .map(|runs| {
                let end = runs
                    .iter()
                    .position(|run| run.outcome.succeeded())
                    .map_or(runs.len(), |at| at + 1);
                EntryHealth::from_newest_first(runs.into_iter().take(end))
            })
            .collect())
    }

    pub(crate) fn runs_in_progress(&self, owner: Owner) -> Result<Vec<RunRecord>, SpoolError> {
        let (uid, any_name, name) = owner.sql();
        self.with(|session| {
            let rows = session.query(RUNS_IN_PROGRESS, &[&uid, &any_name, &name])?;
            rows.iter().map(|row| rows::run(&self.path, row)).collect()
        })
    }

    pub(crate) fn drop_unreached_cron_runs(&mut self) -> Result<Vec<RunId>, SpoolError> {
        let key = self.handled_key();
        self.write(|session| {
            let rows = session.query(
                DROP_UNREACHED_CRON_RUNS,
                &[&self.options.host, &self.node, &key],
            )?;
            rows.iter()
                .map(|row| Ok(RunId(row.try_get::<_, i64>(0)? as u64)))
                .collect()
        })
    }

    pub(crate) fn running_runs(&self) -> Result<Vec<RunId>, SpoolError> {
        self.with(|session| {
            let rows = session.query(RUNNING_RUNS, &[&self.options.host, &self.node])?;
            rows.iter()
                .map(|row| Ok(RunId(row.try_get::<_, i64>(0)? as u64)))
                .collect()
        })
    }

    pub(crate) fn lose_run(
        &mut self,
        run: RunId,
        now: Timestamp,
        output: &Output,
    ) -> Result<(Option<RunRecord>, Option<JobRecord>), SpoolError> {
        let id = sql_id(run.0);
        self.write(|session| {
            let lost = session.query_opt(
                LOSE_RUN,
                &[
                    &id,
                    &to_micros(now),
                    &output.head,
                    &output.tail,
                    &output_bytes(output),
                ],
            )?;
            if let Some(row) = lost {
                let record = rows::run(&self.path, &row)?;
                let held = session
                    .query_opt(TAKE_HELD, &[&id])?
                    .map(|row| rows::job(&self.path, "held_jobs", &row))
                    .transpose()?;
                return Ok((Some(record), held));
            }
            // Not running any more (another daemon recorded it first, or
            // it ended): as it is, and its job is not given twice.
            match session.query_opt(RUN, &[&id])? {
                Some(row) => Ok((Some(rows::run(&self.path, &row)?), None)),
                None => Err(Fail::Spool(SpoolError::NotFound {
                    path: self.path.clone(),
                    what: format!("run {run}"),
                })),
            }
        })
    }
}

/// The total output size as stored (a size beyond `i64` is clamped).
fn output_bytes(output: &Output) -> i64 {
    i64::try_from(output.total_bytes).unwrap_or(i64::MAX)
}

/// Run ends as the columns of the batch statements: one array per column,
/// `$1` to `$10` of [`FINISH_KEYLESS_RUNS`] and [`FINISH_RUNS`].
struct EndColumns<'a> {
    ids: Vec<i64>,
    finished: Vec<i64>,
    states: Vec<&'static str>,
    codes: Vec<Option<i32>>,
    signals: Vec<Option<i32>>,
    reasons: Vec<Option<&'a str>>,
    heads: Vec<&'a [u8]>,
    tails: Vec<&'a [u8]>,
    bytes: Vec<i64>,
    stopped: Vec<Option<i64>>,
}

impl<'a> EndColumns<'a> {
    fn of(ends: &[&'a RunEnd]) -> EndColumns<'a> {
        let outcomes: Vec<OutcomeColumns<'a>> = ends
            .iter()
            .map(|end| OutcomeColumns::of(&end.outcome))
            .collect();
        EndColumns {
            ids: ends.iter().map(|end| sql_id(end.run.0)).collect(),
            finished: ends.iter().map(|end| to_micros(end.finished)).collect(),
            states: outcomes.iter().map(|c| c.state).collect(),
            codes: outcomes.iter().map(|c| c.code).collect(),
            signals: outcomes.iter().map(|c| c.signal).collect(),
            reasons: outcomes.iter().map(|c| c.reason).collect(),
            heads: ends.iter().map(|end| end.output.head.as_slice()).collect(),
            tails: ends.iter().map(|end| end.output.tail.as_slice()).collect(),
            bytes: ends.iter().map(|end| output_bytes(&end.output)).collect(),
            stopped: outcomes.iter().map(|c| c.stopped).collect(),
        }
    }

    fn params(&self) -> Vec<(&(dyn ToSql + Sync), Type)> {
        vec![
            (&self.ids, Type::INT8_ARRAY),
            (&self.finished, Type::INT8_ARRAY),
            (&self.states, Type::TEXT_ARRAY),
            (&self.codes, Type::INT4_ARRAY),
            (&self.signals, Type::INT4_ARRAY),
            (&self.reasons, Type::TEXT_ARRAY),
            (&self.heads, Type::BYTEA_ARRAY),
            (&self.tails, Type::BYTEA_ARRAY),
            (&self.bytes, Type::INT8_ARRAY),
            (&self.stopped, Type::INT8_ARRAY),
        ]
    }
}
