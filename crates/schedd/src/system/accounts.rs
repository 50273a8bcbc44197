//! Login names by uid, for replies and for deciding whose a job is.
//!
//! A lookup may read /etc/passwd or ask NSS over the network (LDAP, SSSD),
//! and a slow directory must delay only the request that needs a name:
//! lookups run on the blocking pool, never on a tokio worker and never on
//! the spool thread (which claims due jobs). A request resolves the names
//! it needs first ([`Accounts::names`]), then hands the spool only plain
//! data.

use std::collections::HashMap;
use std::sync::Arc;

use sched_spool::Uid;

/// Finds the account name of a uid: `Ok(None)` when it has none, `Err`
/// when the lookup failed (never taken for "no account").
pub type Lookup = dyn Fn(Uid) -> Result<Option<String>, String> + Send + Sync;

/// The account database, as the daemon asks it. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    lookup: Arc<Lookup>,
    /// The caller of one request, looked up at most once for all of it
    /// (who they are, the allow and deny lists, the owner of what they
    /// queue): each lookup is a hop to the blocking pool and back. Never
    /// kept beyond the request, so an account removed and its uid given
    /// to another is seen by the next request.
    caller: Option<Arc<CallerName>>,
}

/// The memo of one request's caller.
#[derive(Debug)]
struct CallerName {
    uid: Uid,
    name: tokio::sync::OnceCell<Result<Option<String>, String>>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accounts")
    }
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts::system()
    }
}

impl Accounts {
    /// The system's accounts, through NSS.
    pub fn system() -> Accounts {
        Accounts {
            lookup: Arc::new(account_of),
            caller: None,
        }
    }

    /// Accounts answered by `lookup` (tests: a directory that is slow or
    /// down).
    pub fn with_lookup(lookup: Arc<Lookup>) -> Accounts {
        Accounts {
            lookup,
            caller: None,
        }
    }

    /// The same accounts for one request of `caller`: their name is looked
    /// up once, however many steps of the request ask for it.
    pub fn for_request(&self, caller: Uid) -> Accounts {
        Accounts {
            lookup: self.lookup.clone(),
            caller: Some(Arc::new(CallerName {
                uid: caller,
                name: tokio::sync::OnceCell::new(),
            })),
        }
    }

    /// The account name of `uid`, looked up off the async threads.
    pub async fn name_of(&self, uid: Uid) -> Result<Option<String>, String> {
        match &self.caller {
            Some(caller) if caller.uid == uid => {
                caller.name.get_or_init(|| self.look_up(uid)).await.clone()
            }
            _ => self.look_up(uid).await,
        }
    }

    /// One lookup, on the blocking pool.
    async fn look_up(&self, uid: Uid) -> Result<Option<String>, String> {
        let lookup = self.lookup.clone();
        tokio::task::spawn_blocking(move || lookup(uid))
            .await
            .map_err(|error| format!("cannot look up uid {uid}: {error}"))?
    }

    /// The names of `uids`, each looked up once, off the async threads. A
    /// uid with no account, or whose lookup failed, is shown as its number.
    pub async fn names(&self, uids: impl IntoIterator<Item = Uid>) -> Names {
        let mut wanted: Vec<Uid> = uids.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut names = HashMap::new();
        // The caller's own name is the one this request looked up (or will,
        // once for all its steps).
        if let Some(caller) = &self.caller
            && let Ok(at) = wanted.binary_search(&caller.uid)
        {
            wanted.remove(at);
            let name = self.name_of(caller.uid).await.ok().flatten();
            names.insert(caller.uid, name.unwrap_or_else(|| caller.uid.to_string()));
        }
        // Nothing (else) to look up: no hop to another thread.
        if wanted.is_empty() {
            return Names(names);
        }
        let lookup = self.lookup.clone();
        let resolved: Vec<(Uid, String)> = tokio::task::spawn_blocking(move || {
            wanted
                .into_iter()
                .map(|uid| {
                    let name = lookup(uid).ok().flatten();
                    (uid, name.unwrap_or_else(|| uid.to_string()))
                })
                .collect()
        })
        .await
        .unwrap_or_default();
        names.extend(resolved);
        Names(names)
    }
}

/// The account name of `uid`, if it has an account (blocking: NSS). A
/// failed lookup is an error, never taken for "no account".
pub fn account_of(uid: Uid) -> Result<Option<String>, String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid.0))
        .map(|user| user.map(|user| user.name))
        .map_err(|error| format!("cannot look up uid {uid}: {error}"))
}

/// Names resolved for one reply.
#[derive(Debug, Default, Clone)]
pub struct Names(HashMap<Uid, String>);

impl Names {
    /// Names known in advance (the caller's own, already looked up).
    pub fn known(names: impl IntoIterator<Item = (Uid, String)>) -> Names {
        Names(names.into_iter().collect())
    }

    /// Adds the names `more` resolved.
    pub fn extend(&mut self, more: Names) {
        self.0.extend(more.0);
    }

    /// The name resolved for `uid`, if it was asked for.
    pub fn get(&self, uid: Uid) -> Option<&str> {
        self.0.get(&uid).map(String::as_str)
    }

    /// The name of `uid`, or the uid in decimal when it was not resolved.
    pub fn of(&self, uid: Uid) -> String {
        self.get(uid).map_or_else(|| uid.to_string(), str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_uid_is_looked_up_once_and_one_without_account_shows_as_its_number() {
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = asked.clone();
        let accounts = Accounts::with_lookup(Arc::new(move |uid| {
            log.lock().unwrap().push(uid);
            match uid.0 {
                1000 => Ok(Some("alice".to_owned())),
                1001 => Err("the directory is down".to_owned()),
                _ => Ok(None),
            }
        }));
        let names = accounts
            .names([1000, 1002, 1000, 1001, 1000].map(Uid))
            .await;
        assert_eq!(*asked.lock().unwrap(), [1000, 1001, 1002].map(Uid));
        assert_eq!(names.of(Uid(1000)), "alice");
        assert_eq!(names.of(Uid(1001)), "1001");
        assert_eq!(names.of(Uid(1002)), "1002");
        assert_eq!(names.get(Uid(7)), None);
        assert_eq!(names.of(Uid(7)), "7");
        assert_eq!(
            accounts.name_of(Uid(1001)).await,
            Err("the directory is down".to_owned())
        );
        assert_eq!(
            accounts.name_of(Uid(1000)).await,
            Ok(Some("alice".to_owned()))
        );
    }

    #[tokio::test]
    async fn a_request_looks_its_caller_up_once_and_anyone_else_each_time() {
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = asked.clone();
        let accounts = Accounts::with_lookup(Arc::new(move |uid| {
            log.lock().unwrap().push(uid);
            match uid.0 {
                1000 => Ok(Some("alice".to_owned())),
                1001 => Err("the directory is down".to_owned()),
                _ => Ok(None),
            }
        }));
        let request = accounts.for_request(Uid(1000));
        for _ in 0..3 {
            assert_eq!(
                request.name_of(Uid(1000)).await,
                Ok(Some("alice".to_owned()))
            );
            assert_eq!(request.name_of(Uid(1002)).await, Ok(None));
        }
        assert_eq!(*asked.lock().unwrap(), [1000, 1002, 1002, 1002].map(Uid));
        // A listing of names takes the caller's from the request too.
        let names = request.names([Uid(1002), Uid(1000)]).await;
        assert_eq!(
            (names.of(Uid(1000)), names.of(Uid(1002))),
            ("alice".to_owned(), "1002".to_owned())
        );
        assert_eq!(
            *asked.lock().unwrap(),
            [1000, 1002, 1002, 1002, 1002].map(Uid)
        );
        // A failed lookup is remembered as failed for the request: it is
        // refused, never taken for "no account".
        let failing = accounts.for_request(Uid(1001));
        for _ in 0..2 {
            assert_eq!(
                failing.name_of(Uid(1001)).await,
                Err("the directory is down".to_owned())
            );
        }
        // The next request asks again.
        assert_eq!(
            accounts.for_request(Uid(1000)).name_of(Uid(1000)).await,
            Ok(Some("alice".to_owned()))
        );
        assert_eq!(
            *asked.lock().unwrap(),
            [1000, 1002, 1002, 1002, 1002, 1001, 1000].map(Uid)
        );
    }
}
