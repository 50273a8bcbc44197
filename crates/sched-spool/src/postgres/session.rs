//! The connection: made on open, made again on the next call after it
//! broke; its prepared statements, each prepared once per connection, and
//! the statements planned per call; and the two ways a call uses it, a
//! plain statement (a read, or a write that checks the fence itself) or a
//! fenced write transaction.

use std::collections::HashMap;

use postgres::types::{ToSql, Type};
use postgres::{Client, Row, SimpleQueryMessage, Statement};

use super::PgSpool;
use super::error::{self, Fail};
use super::url::Target;
use crate::SpoolError;

/// One connection and the statements prepared on it.
pub(crate) struct Session {
    pub(crate) client: Client,
    /// By their SQL text: each statement is prepared on first use, once
    /// per connection (one round trip per call after that).
    statements: HashMap<&'static str, Statement>,
    /// A transaction could not be ended: the connection is dropped rather
    /// than used in an unknown state.
    broken: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("closed", &self.client.is_closed())
            .field("statements", &self.statements.len())
            .finish()
    }
}

/// Parameters of a statement.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

impl Session {
    pub(crate) fn connect(target: &Target) -> Result<Session, postgres::Error> {
        Ok(Session {
            client: target.config.connect(target.tls.clone())?,
            statements: HashMap::new(),
            broken: false,
        })
    }

    /// The statement `sql`, prepared on this connection.
    pub(crate) fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query(&statement, params)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query_opt(&statement, params)
    }

    pub(crate) fn query_one(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Row, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.query_one(&statement, params)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<u64, postgres::Error> {
        let statement = self.prepared(sql)?;
        self.client.execute(&statement, params)
    }

    /// Runs `sql` planned for the values given, each time: an unnamed
    /// statement, still one round trip. For a batch's arrays joined to a
    /// table that grows (runs ended, started): a plan prepared and cached
    /// while the table was nearly empty scans it whole, and is kept as it
    /// grows until the next ANALYZE (a fresh fleet's first minute: 64 run
    /// ends took 130 ms instead of 2). Planned with the arrays in hand,
    /// the lookup is by key whatever the table's size.
    pub(crate) fn query_planned(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, postgres::Error> {
        self.client.query_typed(sql, params)
    }

    /// Begins a transaction and takes node `node`'s fencing token, in one
    /// round trip: a share lock on the node's row, which must not be gone
    /// and whose lease must not have run out on the database's clock. A
    /// take-over waits for the transaction to end, or this one fails.
    /// False (and the transaction rolled back) when the node is fenced.
    fn begin_fenced(&mut self, node: i64) -> Result<bool, postgres::Error> {
        let fence = format!(
            "BEGIN; SELECT 1 FROM schedd.nodes \
             WHERE id = {node} AND NOT gone AND lease_until > now() FOR SHARE"
        );
        let result = self.client.simple_query(&fence);
        let live = match &result {
            Ok(messages) => messages
                .iter()
                .any(|message| matches!(message, SimpleQueryMessage::Row(_))),
            Err(_) => false,
        };
        if !live {
            self.rollback();
        }
        result.map(|_| live)
    }

    /// Rolls the transaction back (nothing was written); a connection
    /// where that fails is not used again.
    fn rollback(&mut self) {
        if self.client.batch_execute("ROLLBACK").is_err() {
            self.broken = true;
        }
    }
}

impl PgSpool {
    /// Runs `f` on the connection, connecting first when there is none
    /// (the last one broke). A connection that broke during `f` is
    /// dropped: the next call connects again, and prepares its
    /// statements again.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, Fail>,
    ) -> Result<T, SpoolError> {
        let Ok(mut slot) = self.session.try_borrow_mut() else {
            return Err(SpoolError::Failed {
                path: self.path.clone(),
                detail: "the spool was called from inside one of its own calls".to_owned(),
                transient: false,
            });
        };
        let session = match slot.take() {
            Some(session) if !session.broken && !session.client.is_closed() => session,
            _ => Session::connect(&self.target).map_err(|e| error::connecting(&self.path, e))?,
        };
        let session = slot.insert(session);
        let result = f(session);
        let broken = session.broken
            || session.client.is_closed()
            || matches!(&result, Err(Fail::Db(e)) if error::is_unreachable(e));
        if broken {
            *slot = None;
        }
        result.map_err(|fail| error::spool(&self.path, fail))
    }

    /// Runs `f` in a transaction fenced by this node's lease, and commits
    /// when it succeeds: [`SpoolError::Fenced`] when another node declared
    /// this one gone or its lease ran out (nothing is written then).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, Fail>,
    ) -> Result<T, SpoolError> {
        let node = self.node;
        self.with(|session| {
            if !session.begin_fenced(node)? {
                return Err(Fail::Spool(SpoolError::Fenced {
                    path: self.path.clone(),
                    detail: format!(
                        "node {node} (host {}) was declared gone or its lease of {} ms ran out; \
                         renewing the lease joins the fleet again",
                        self.options.host,
                        self.options.lease.as_millis()
                    ),
                }));
            }
            match f(session) {
                Ok(value) => {
                    session.client.batch_execute("COMMIT")?;
                    Ok(value)
                }
                Err(fail) => {
                    session.rollback();
                    Err(fail)
                }
            }
        })
    }
}
