//! The PostgreSQL test harness: a fresh database per test on the cluster
//! `SCHED_TEST_POSTGRES` names (a superuser's URL), dropped when the test
//! ends, and the rule for a machine without one: skipped on a
//! developer's machine, a failure in CI (where `.ci/run` starts the
//! cluster, `scripts/pg-test-cluster.sh`).
//!
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test cluster's superuser URL.
pub const URL_VARIABLE: &str = "SCHED_TEST_POSTGRES";

/// The variable naming the test cluster's certificate (its own CA).
pub const CA_VARIABLE: &str = "SCHED_TEST_POSTGRES_CA";

/// The admin URL, or `None` when the tests are to be skipped. Panics in
/// CI, where the fleet tests must run.
pub fn admin_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{URL_VARIABLE} is not set: the fleet tests must run in CI \
             (.ci/run starts a test cluster with scripts/pg-test-cluster.sh and exports it)"
        ),
        _ => {
            eprintln!(
                "skipped: {URL_VARIABLE} is not set (scripts/pg-test-cluster.sh starts a test cluster)"
            );
            None
        }
    }
}

/// `url` naming the database `name` instead of its own; its parameters
/// are kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{name}", &base[..end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A connection as the superuser, to the database `name` (the admin
/// URL's own when `None`).
pub fn admin(admin_url: &str, name: Option<&str>) -> postgres::Client {
    let url = match name {
        Some(name) => with_database(admin_url, name),
        None => admin_url.to_owned(),
    };
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"))
}

/// A database of its own for one test, dropped at the end.
#[derive(Debug)]
pub struct TestDb {
    admin_url: String,
    /// The database's name.
    pub name: String,
    /// Its URL, as the superuser.
    pub url: String,
}

impl TestDb {
    /// A new, empty database; `None` when the tests are skipped.
    pub fn fresh() -> Option<TestDb> {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let admin_url = admin_url()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let name = format!(
            "schedd_test_{}_{}_{nanos}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        admin(&admin_url, None)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e:?}"));
        let url = with_database(&admin_url, &name);
        Some(TestDb {
            admin_url,
            name,
            url,
        })
    }

    /// A superuser's connection to this database.
    pub fn admin(&self) -> postgres::Client {
        admin(&self.admin_url, Some(&self.name))
    }

    /// This database's URL with `params` (`sslmode=...&...`) and the
    /// host `host` instead of the admin URL's.
    pub fn url_with(&self, host: Option<&str>, params: &str) -> String {
        let mut url = self.url.clone();
        if let Some(host) = host {
            let authority = url.find("://").map_or(0, |i| i + 3);
            let end = url[authority..]
                .find('/')
                .map_or(url.len(), |i| authority + i);
            let userinfo = url[authority..end]
                .rfind('@')
                .map_or(authority, |i| authority + i + 1);
            let port = url[userinfo..end]
                .rfind(':')
                .map_or(String::new(), |i| url[userinfo + i..end].to_owned());
            url = format!("{}{host}{port}{}", &url[..userinfo], &url[end..]);
        }
        if params.is_empty() {
            url
        } else if url.contains('?') {
            format!("{url}&{params}")
        } else {
            format!("{url}?{params}")
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Every connection of the test is gone or forced out.
        let dropped =
            postgres::Client::connect(&self.admin_url, postgres::NoTls).and_then(|mut admin| {
                admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
            });
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}
