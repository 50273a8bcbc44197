//! Users' crontabs, and the daemon's small key-value state.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::records::{from_micros, to_micros};
use crate::{CrontabInstall, SpoolError, SqliteSpool, StoredCrontab, Uid};

impl SqliteSpool {
    /// The crontab of `uid`, if one is installed.
    pub fn crontab(&self, uid: Uid) -> Result<Option<StoredCrontab>, SpoolError> {
        let row: Option<(String, i64, Option<String>)> = self
            .conn
            .prepare_cached("SELECT text, installed, owner_name FROM crontabs WHERE owner_uid = ?1")
            .and_then(|mut select| {
                select
                    .query_row(params![uid], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .optional()
            })
            .map_err(|e| self.error(e))?;
        row.map(|(text, installed, name)| self.stored(uid, name, text, installed))
            .transpose()
    }

    /// Every installed crontab, by uid.
    pub fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError> {
        type Row = (i64, String, i64, Option<String>);
        let rows: Vec<Row> = self
            .conn
            .prepare_cached(
                "SELECT owner_uid, text, installed, owner_name FROM crontabs ORDER BY owner_uid",
            )
            .and_then(|mut select| {
                select
                    .query_map([], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })
                    .and_then(|rows| rows.collect())
            })
            .map_err(|e| self.error(e))?;
        rows.into_iter()
            .map(|(uid, text, installed, name)| {
                let uid = u32::try_from(uid).map_err(|_| SpoolError::BadRow {
                    path: self.path.clone(),
                    table: "crontabs",
                    id: uid,
                    detail: "uid out of range".to_owned(),
                })?;
                self.stored(Uid(uid), name, text, installed)
            })
            .collect()
    }

    fn stored(
        &self,
        uid: Uid,
        owner_name: Option<String>,
        text: String,
        installed: i64,
    ) -> Result<StoredCrontab, SpoolError> {
        let installed = from_micros(installed).ok_or_else(|| SpoolError::BadRow {
            path: self.path.clone(),
            table: "crontabs",
            id: i64::from(uid.0),
            detail: "instant out of range".to_owned(),
        })?;
        Ok(StoredCrontab {
            owner_uid: uid,
            owner_name,
            text,
            installed,
        })
    }

    /// Installs `text` as the crontab of `uid` (see
    /// [`Store::install_crontab`](crate::Store::install_crontab)), in one
    /// transaction with the check of whose crontab it replaces.
    pub fn install_crontab(
        &mut self,
        uid: Uid,
        name: Option<&str>,
        text: &str,
        now: Timestamp,
        replace_any: bool,
    ) -> Result<CrontabInstall, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        if !replace_any {
            let holder: Option<Option<String>> = tx
                .query_row(
                    "SELECT owner_name FROM crontabs WHERE owner_uid = ?1",
                    params![uid],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
            if let Some(holder) = holder
                && holder.as_deref() != name
            {
                return Ok(CrontabInstall::HeldBy(holder));
            }
        }
        tx.execute(
            "INSERT INTO crontabs (owner_uid, text, installed, owner_name) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (owner_uid) DO UPDATE SET text = excluded.text,
                 installed = excluded.installed, owner_name = excluded.owner_name",
            params![uid, text, to_micros(now), name],
        )
        .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(CrontabInstall::Installed)
    }

    /// Removes the crontab of `uid`: any, or only one stored under the
    /// account name `only_of`; false if there was none to remove.
    pub fn remove_crontab(&mut self, uid: Uid, only_of: Option<&str>) -> Result<bool, SpoolError> {
        let removed = match only_of {
            None => self
                .conn
                .execute("DELETE FROM crontabs WHERE owner_uid = ?1", params![uid]),
            Some(name) => self.conn.execute(
                "DELETE FROM crontabs WHERE owner_uid = ?1 AND owner_name = ?2",
                params![uid, name],
            ),
        }
        .map_err(|e| self.error(e))?;
        Ok(removed > 0)
    }

    /// Records `name` as the owner's name of every job and crontab of
    /// `uid` stored without one (before schema 5).
    pub fn adopt_owner_name(&mut self, uid: Uid, name: &str) -> Result<(), SpoolError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        for table in ["jobs", "crontabs", "runs"] {
            tx.execute(
                &format!(
                    "UPDATE {table} SET owner_name = ?2 WHERE owner_uid = ?1 AND owner_name IS NULL"
                ),
                params![uid, name],
            )
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        }
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))
    }

    /// The uids that own a job or crontab stored without an owner's name.
    pub fn uids_without_owner_name(&self) -> Result<Vec<Uid>, SpoolError> {
        self.conn
            .prepare(
                "SELECT owner_uid FROM jobs WHERE owner_name IS NULL
                 UNION SELECT owner_uid FROM crontabs WHERE owner_name IS NULL
                 UNION SELECT owner_uid FROM runs WHERE owner_name IS NULL",
            )
            .and_then(|mut select| {
                select
                    .query_map([], |row| row.get::<_, i64>(0))
                    .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
            })
            .map(|uids| {
                uids.into_iter()
                    .filter_map(|uid| u32::try_from(uid).ok().map(Uid))
                    .collect()
            })
            .map_err(|e| self.error(e))
    }

    /// A value of the daemon's state.
    pub fn state(&self, key: &str) -> Result<Option<String>, SpoolError> {
        self.conn
            .prepare_cached("SELECT value FROM state WHERE key = ?1")
            .and_then(|mut select| select.query_row(params![key], |row| row.get(0)).optional())
            .map_err(|e| self.error(e))
    }

    /// Sets a value of the daemon's state, durably, and returns the value
    /// it replaced.
    pub fn swap_state(&mut self, key: &str, value: &str) -> Result<Option<String>, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        let old: Option<String> = tx
            .query_row(
                "SELECT value FROM state WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        // The same value again (a restart within one boot): nothing to write.
        if old.as_deref() == Some(value) {
            return Ok(old);
        }
        tx.execute(
            "INSERT INTO state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        tx.commit()
            .map_err(|e| SqliteSpool::error_of(&self.path, e))?;
        Ok(old)
    }
}
