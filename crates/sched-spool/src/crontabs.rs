//! Users' crontabs, and the daemon's small key-value state.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::records::{from_micros, to_micros};
use crate::{Spool, SpoolError};

/// A user's installed crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCrontab {
    pub owner_uid: u32,
    pub text: String,
    pub installed: Timestamp,
}

impl Spool {
    /// The crontab of `uid`, if one is installed.
    pub fn crontab(&self, uid: u32) -> Result<Option<StoredCrontab>, SpoolError> {
        let row: Option<(String, i64)> = self
            .conn
            .prepare_cached("SELECT text, installed FROM crontabs WHERE owner_uid = ?1")
            .and_then(|mut select| {
                select
                    .query_row(params![uid], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.error(e))?;
        row.map(|(text, installed)| self.stored(uid, text, installed))
            .transpose()
    }

    /// Every installed crontab, by uid.
    pub fn crontabs(&self) -> Result<Vec<StoredCrontab>, SpoolError> {
        let rows: Vec<(i64, String, i64)> = self
            .conn
            .prepare_cached("SELECT owner_uid, text, installed FROM crontabs ORDER BY owner_uid")
            .and_then(|mut select| {
                select
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .and_then(|rows| rows.collect())
            })
            .map_err(|e| self.error(e))?;
        rows.into_iter()
            .map(|(uid, text, installed)| {
                let uid = u32::try_from(uid).map_err(|_| SpoolError::BadRow {
                    path: self.path.clone(),
                    table: "crontabs",
                    id: uid,
                    detail: "uid out of range".to_owned(),
                })?;
                self.stored(uid, text, installed)
            })
            .collect()
    }

    fn stored(&self, uid: u32, text: String, installed: i64) -> Result<StoredCrontab, SpoolError> {
        let installed = from_micros(installed).ok_or_else(|| SpoolError::BadRow {
            path: self.path.clone(),
            table: "crontabs",
            id: i64::from(uid),
            detail: "instant out of range".to_owned(),
        })?;
        Ok(StoredCrontab {
            owner_uid: uid,
            text,
            installed,
        })
    }

    /// Installs (or replaces) the crontab of `uid`, durably.
    pub fn set_crontab(&mut self, uid: u32, text: &str, now: Timestamp) -> Result<(), SpoolError> {
        self.conn
            .execute(
                "INSERT INTO crontabs (owner_uid, text, installed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (owner_uid) DO UPDATE SET text = excluded.text, installed = excluded.installed",
                params![uid, text, to_micros(now)],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Removes the crontab of `uid`; false if there was none.
    pub fn remove_crontab(&mut self, uid: u32) -> Result<bool, SpoolError> {
        let removed = self
            .conn
            .execute("DELETE FROM crontabs WHERE owner_uid = ?1", params![uid])
            .map_err(|e| self.error(e))?;
        Ok(removed > 0)
    }

    /// A value of the daemon's state.
    pub fn state(&self, key: &str) -> Result<Option<String>, SpoolError> {
        self.conn
            .prepare_cached("SELECT value FROM state WHERE key = ?1")
            .and_then(|mut select| select.query_row(params![key], |row| row.get(0)).optional())
            .map_err(|e| self.error(e))
    }

    /// Sets a value of the daemon's state, durably.
    pub fn set_state(&mut self, key: &str, value: &str) -> Result<(), SpoolError> {
        self.conn
            .execute(
                "INSERT INTO state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }
}
