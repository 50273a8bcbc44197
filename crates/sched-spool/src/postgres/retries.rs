//! Retries of crontab lines waiting for their instant. Each is kept under
//! the host that saved it (two hosts may retry the same line of their own
//! `/etc/crontab` at the same instant) and held by a node: this node sees
//! and drops the retries it holds, its own and those it took over from a
//! node gone.

use jiff::Timestamp;

use super::PgSpool;
use super::rows::{self, retry_columns};
use crate::records::to_micros;
use crate::{CronRetry, SpoolError};

/// Saves a retry under this host (`$7`) and node (`$8`), replacing this
/// host's retry of the same occurrence and any this node took over.
const SAVE: &str = "WITH replaced AS (
        DELETE FROM schedd.cron_retries
        WHERE node = $8 AND origin = $1 AND scheduled = $4 AND host <> $7
    )
    INSERT INTO schedd.cron_retries (origin, command, owner_uid, scheduled, attempt, at, host,
                                     node)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (host, origin, scheduled) DO UPDATE SET command = excluded.command,
        owner_uid = excluded.owner_uid, attempt = excluded.attempt, at = excluded.at,
        node = excluded.node";

const DROP: &str =
    "DELETE FROM schedd.cron_retries WHERE node = $3 AND origin = $1 AND scheduled = $2";

const HELD: &str = concat!(
    "SELECT ",
    retry_columns!(),
    " FROM schedd.cron_retries WHERE node = $1 ORDER BY at, origin, host"
);

impl PgSpool {
    pub(crate) fn save_cron_retry(&mut self, retry: &CronRetry) -> Result<(), SpoolError> {
        self.write(|session| {
            session.execute(
                SAVE,
                &[
                    &retry.origin,
                    &retry.command,
                    &i64::from(retry.owner_uid.0),
                    &to_micros(retry.scheduled),
                    &i64::from(retry.attempt),
                    &to_micros(retry.at),
                    &self.options.host,
                    &self.node,
                ],
            )?;
            Ok(())
        })
    }

    pub(crate) fn drop_cron_retry(
        &mut self,
        origin: &str,
        scheduled: Timestamp,
    ) -> Result<bool, SpoolError> {
        self.write(|session| {
            Ok(session.execute(DROP, &[&origin, &to_micros(scheduled), &self.node])? > 0)
        })
    }

    pub(crate) fn cron_retries(&self) -> Result<Vec<CronRetry>, SpoolError> {
        self.with(|session| {
            let rows = session.query(HELD, &[&self.node])?;
            rows.iter()
                .map(|row| rows::retry(&self.path, row))
                .collect()
        })
    }
}
