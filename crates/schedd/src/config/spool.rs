//! Where the spool is: the SQLite database in the spool directory (the
//! embedded default), or a PostgreSQL database that a fleet of hosts
//! shares, named by its URL (`--spool postgresql://...`).
//!
//! A URL may hold the database password. It is therefore never printed
//! whole ([`DatabaseUrl`]'s `Debug` and [`DatabaseUrl::redacted`] hide
//! it), is refused on the command line (every user sees a process's
//! arguments), and a configuration file holding one must be readable by
//! the daemon's user only ([`super::load`]).

use std::path::Path;

/// A PostgreSQL connection URL, `postgresql://` or `postgres://`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL `text` names, `None` when it is not one (a directory), or
    /// why it is not a usable one.
    pub fn parse(text: &str) -> Option<Result<DatabaseUrl, String>> {
        let rest = text
            .strip_prefix("postgresql://")
            .or_else(|| text.strip_prefix("postgres://"))?;
        if rest.chars().any(char::is_control) {
            return Some(Err("the spool URL holds a control character".to_owned()));
        }
        Some(Ok(DatabaseUrl(text.to_owned())))
    }

    /// The URL named by a path setting (`--spool`, `spool =`), if it is one.
    pub fn of_path(path: &Path) -> Option<Result<DatabaseUrl, String>> {
        path.to_str().and_then(DatabaseUrl::parse)
    }

    /// The URL to connect with, password included.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether the URL holds a password: in its user part
    /// (`user:password@`) or as a `password=` parameter.
    pub fn has_password(&self) -> bool {
        let (authority, query) = self.parts();
        authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
            || query
                .split('&')
                .any(|pair| pair.split('=').next() == Some("password"))
    }

    /// The URL with its password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        let scheme_end = self.0.find("://").map_or(0, |at| at + 3);
        let (authority, query) = self.parts();
        let authority = match authority.rsplit_once('@') {
            Some((user, hosts)) => match user.split_once(':') {
                Some((name, _)) => format!("{name}:***@{hosts}"),
                None => authority.to_owned(),
            },
            None => authority.to_owned(),
        };
        let path_start = scheme_end + self.parts().0.len();
        let path = &self.0[path_start..];
        let path = match path.split_once('?') {
            Some((path, _)) => {
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some(("password", _)) => "password=***".to_owned(),
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{path}?{}", query.join("&"))
            }
            None => path.to_owned(),
        };
        format!("{}{authority}{path}", &self.0[..scheme_end])
    }

    /// The authority (`user:password@host:port`) and the query string.
    fn parts(&self) -> (&str, &str) {
        let rest = &self.0[self.0.find("://").map_or(0, |at| at + 3)..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let query = rest.split_once('?').map_or("", |(_, query)| query);
        (&rest[..authority_end], query)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A daemon's part in a fleet: the shared spool, its own name, and how
/// long its lease lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSettings {
    pub url: DatabaseUrl,
    /// This host's name in the fleet (its runs say it ran them).
    pub host_name: String,
    /// How long this host's lease lasts unless renewed; the others take
    /// its work over once it has run out.
    pub lease: std::time::Duration,
}

/// The lease unless configured: renewed every third of it, a host that
/// stops is taken over within about this long plus one renewal period.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(6);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_directories_and_passwords_are_found_and_hidden() {
        assert!(DatabaseUrl::parse("/var/spool/schedd").is_none());
        assert!(DatabaseUrl::parse("postgresql:/x").is_none());
        let table = [
            ("postgresql://db1/schedd", false, "postgresql://db1/schedd"),
            (
                "postgres://schedd@db1:5433/jobs?sslmode=verify-full",
                false,
                "postgres://schedd@db1:5433/jobs?sslmode=verify-full",
            ),
            (
                "postgresql://schedd:s3cr:et@db1/jobs",
                true,
                "postgresql://schedd:***@db1/jobs",
            ),
            (
                "postgresql://db1/jobs?user=schedd&password=hunter2&sslmode=require",
                true,
                "postgresql://db1/jobs?user=schedd&password=***&sslmode=require",
            ),
            ("postgresql://u:p@db1", true, "postgresql://u:***@db1"),
        ];
        for (text, password, shown) in table {
            let url = DatabaseUrl::parse(text).unwrap().unwrap();
            assert_eq!(url.has_password(), password, "{text}");
            assert_eq!(url.redacted(), shown, "{text}");
            assert_eq!(format!("{url:?}"), shown);
            assert_eq!(url.secret(), text);
        }
        assert!(
            DatabaseUrl::parse("postgresql://db1/x\ny")
                .unwrap()
                .is_err()
        );
    }
}
