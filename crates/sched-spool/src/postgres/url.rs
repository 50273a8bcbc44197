//! Where the spool's database is and how to reach it: the
//! `postgresql://` URL, its TLS modes as libpq reads them, and the name the
//! spool is reported under, which never carries the password.
//!
//! tokio-postgres reads the URL itself but knows neither `verify-ca` and
//! `verify-full` nor `sslrootcert`, so those two parameters are taken out
//! here, the connection is made with TLS required, and the OpenSSL
//! connector does the verifying:
//!
//! | sslmode       | TLS                   | certificate chain        | host name |
//! |---------------|-----------------------|--------------------------|-----------|
//! | `disable`     | never                 |                          |           |
//! | `prefer`      | when the server can   | not checked              | no        |
//! | `require`     | always                | checked if `sslrootcert` | no        |
//! | `verify-ca`   | always                | checked                  | no        |
//! | `verify-full` | always                | checked                  | checked   |
//!
//! The chain is checked against the certificates of the `sslrootcert`
//! file, or against the system's trust store when there is none (or it
//! says `system`). `prefer` is the default, as in libpq.

use std::path::PathBuf;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use postgres::config::{Host, SslMode as WireSslMode};
use postgres_openssl::MakeTlsConnector;

/// How long a connection may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long sent data may stay unacknowledged before the connection counts
/// as broken (a server gone from the network).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// The `application_name` the daemon's sessions show in `pg_stat_activity`.
const APPLICATION_NAME: &str = "schedd";

/// Settings of the daemon's sessions (the URL's own `options` come after,
/// and win): a lock waited for longer than 10 s fails the call (a
/// transient error: a node cut off from the database in the middle of a
/// transaction must not stop the others' claims), and the server ends a
/// session left idle in a transaction for 30 s, releasing its locks.
const SESSION_OPTIONS: &str = "-c lock_timeout=10s -c idle_in_transaction_session_timeout=30s";

/// libpq's `sslmode`, as far as it is accepted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }
}

/// Whose certificates a server's chain is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootCert {
    /// The system's trust store (`sslrootcert=system`, or none given).
    System,
    /// The certificates of this PEM file.
    File(PathBuf),
}

/// A URL taken apart: what tokio-postgres reads, and what is read here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The URL without `sslmode` and `sslrootcert`.
    pub(crate) rest: String,
    pub(crate) mode: SslMode,
    /// `sslrootcert`, if given.
    pub(crate) root: Option<RootCert>,
}

impl Parsed {
    /// Whether the server's certificate chain is checked.
    pub(crate) fn verifies_chain(&self) -> bool {
        match self.mode {
            SslMode::Disable | SslMode::Prefer => false,
            // libpq: require with a root certificate acts as verify-ca.
            SslMode::Require => self.root.is_some(),
            SslMode::VerifyCa | SslMode::VerifyFull => true,
        }
    }

    /// Whether the certificate must name the host connected to.
    pub(crate) fn verifies_host(&self) -> bool {
        self.mode == SslMode::VerifyFull
    }
}

/// Takes `sslmode` and `sslrootcert` out of `url`. The reason of an error
/// never quotes the URL (it may hold a password).
pub(crate) fn parse(url: &str) -> Result<Parsed, String> {
    if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        return Err("the spool's address must be a postgresql:// or postgres:// URL".to_owned());
    }
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut mode = SslMode::Prefer;
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|query| query.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!(
                "URL parameter {:?} has no value",
                percent_decode(pair).unwrap_or_default()
            ));
        };
        match percent_decode(key)?.as_str() {
            "sslmode" => mode = SslMode::parse(&percent_decode(value)?)?,
            "sslrootcert" => {
                let value = percent_decode(value)?;
                root = Some(match value.as_str() {
                    "" => return Err("sslrootcert is empty".to_owned()),
                    "system" => RootCert::System,
                    path => RootCert::File(PathBuf::from(path)),
                });
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Parsed { rest, mode, root })
}

/// `%XX` escapes decoded; the result must be UTF-8.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| "a URL parameter has a bad %-escape".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a URL parameter is not UTF-8".to_owned())
}

/// `url` without its password, for an error about a URL that could not be
/// read: what follows a `:` in the user part is left out, and so are the
/// parameters (`password=` may be one).
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a spool address that is not a URL)".to_owned();
    };
    let rest = rest.split('?').next().unwrap_or_default();
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{}", &rest[at + 1..])
        }
        None => format!("{scheme}://{rest}"),
    }
}

/// The spool's name: `postgresql://user@host:port/db`, never the password
/// nor the parameters.
pub(crate) fn describe(config: &postgres::Config) -> String {
    let user = config.get_user().unwrap_or_default();
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let db = config.get_dbname().unwrap_or(user);
    format!("postgresql://{user}@{}/{db}", hosts.join(","))
}

/// A database to connect to: the client's configuration, the TLS connector
/// that checks what the URL asks, and the spool's name.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: postgres::Config,
    pub(crate) tls: MakeTlsConnector,
    pub(crate) describe: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("describe", &self.describe)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Reads `url`; the error's reason never quotes it.
    pub(crate) fn new(url: &str) -> Result<Target, String> {
        let parsed = parse(url)?;
        let mut config: postgres::Config = parsed
            .rest
            .parse()
            .map_err(|e: postgres::Error| format!("cannot read the URL: {}", chain(&e)))?;
        if config.get_user().is_none() {
            return Err("the URL names no user (postgresql://USER@HOST/DB)".to_owned());
        }
        if config.get_hosts().is_empty() {
            return Err("the URL names no host (postgresql://USER@HOST/DB)".to_owned());
        }
        config.ssl_mode(match parsed.mode {
            SslMode::Disable => WireSslMode::Disable,
            SslMode::Prefer => WireSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireSslMode::Require,
        });
        if config.get_application_name().is_none() {
            config.application_name(APPLICATION_NAME);
        }
        let options = match config.get_options() {
            Some(own) if !own.is_empty() => format!("{SESSION_OPTIONS} {own}"),
            _ => SESSION_OPTIONS.to_owned(),
        };
        config.options(&options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        let tls = connector(&parsed)?;
        let describe = describe(&config);
        Ok(Target {
            config,
            tls,
            describe,
        })
    }
}

/// The OpenSSL connector for `parsed`'s mode and root certificates.
fn connector(parsed: &Parsed) -> Result<MakeTlsConnector, String> {
    let tls_error = |e: openssl::error::ErrorStack| format!("cannot set up TLS: {e}");
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(tls_error)?;
    if parsed.verifies_chain() {
        if let Some(RootCert::File(path)) = &parsed.root {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            let certificates = X509::stack_from_pem(&pem)
                .ok()
                .filter(|certificates| !certificates.is_empty())
                .ok_or_else(|| {
                    format!("sslrootcert {} holds no PEM certificate", path.display())
                })?;
            // Only these certificates are trusted, as with libpq.
            let mut store = X509StoreBuilder::new().map_err(tls_error)?;
            for certificate in certificates {
                store.add_cert(certificate).map_err(tls_error)?;
            }
            builder.set_cert_store(store.build());
        }
        builder.set_verify(SslVerifyMode::PEER);
    } else {
        builder.set_verify(SslVerifyMode::NONE);
    }
    let mut tls = MakeTlsConnector::new(builder.build());
    let check_host = parsed.verifies_host();
    tls.set_callback(move |connection, _host| {
        connection.set_verify_hostname(check_host);
        Ok(())
    });
    Ok(tls)
}

/// An error and its causes, on one line (tokio-postgres's own text says
/// only the kind: "db error", "error performing TLS handshake").
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // OpenSSL's errors repeat themselves down the chain.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', "; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Parsed {
        parse(url).unwrap()
    }

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_and_the_rest_is_kept() {
        assert_eq!(
            parsed("postgresql://u@h/db"),
            Parsed {
                rest: "postgresql://u@h/db".to_owned(),
                mode: SslMode::Prefer,
                root: None
            }
        );
        assert_eq!(
            parsed(
                "postgres://u:p@h:6543/db?connect_timeout=2&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20file.pem&options=-c%20x%3D1"
            ),
            Parsed {
                rest: "postgres://u:p@h:6543/db?connect_timeout=2&options=-c%20x%3D1".to_owned(),
                mode: SslMode::VerifyFull,
                root: Some(RootCert::File(PathBuf::from("/etc/ca file.pem"))),
            }
        );
        assert_eq!(
            parsed("postgresql://u@h/db?sslmode=verify-ca&sslrootcert=system"),
            Parsed {
                rest: "postgresql://u@h/db".to_owned(),
                mode: SslMode::VerifyCa,
                root: Some(RootCert::System),
            }
        );
        for (mode, text) in [
            (SslMode::Disable, "disable"),
            (SslMode::Prefer, "prefer"),
            (SslMode::Require, "require"),
        ] {
            assert_eq!(
                parsed(&format!("postgresql://u@h/db?sslmode={text}")).mode,
                mode
            );
        }
    }

    #[test]
    fn what_is_checked_follows_libpq() {
        let checks = |url: &str| {
            let parsed = parsed(url);
            (parsed.verifies_chain(), parsed.verifies_host())
        };
        let base = "postgresql://u@h/db";
        assert_eq!(checks(base), (false, false));
        assert_eq!(checks(&format!("{base}?sslmode=disable")), (false, false));
        assert_eq!(checks(&format!("{base}?sslmode=require")), (false, false));
        assert_eq!(
            checks(&format!("{base}?sslmode=require&sslrootcert=/ca.pem")),
            (true, false),
            "require with a root certificate is verify-ca"
        );
        assert_eq!(checks(&format!("{base}?sslmode=verify-ca")), (true, false));
        assert_eq!(checks(&format!("{base}?sslmode=verify-full")), (true, true));
    }

    #[test]
    fn bad_urls_are_refused_without_quoting_them() {
        for (url, reason) in [
            ("host=h user=u password=secret", "must be a postgresql://"),
            ("mysql://u:secret@h/db", "must be a postgresql://"),
            (
                "postgresql://u:secret@h/db?sslmode=allow",
                "\"allow\" is not one of",
            ),
            ("postgresql://u:secret@h/db?sslmode", "has no value"),
            (
                "postgresql://u:secret@h/db?sslrootcert=",
                "sslrootcert is empty",
            ),
            ("postgresql://u:secret@h/db?sslrootcert=%zz", "bad %-escape"),
        ] {
            let error = parse(url).unwrap_err();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains("secret"), "{url}: {error}");
        }
        for (url, reason) in [
            ("postgresql://h/db", "names no user"),
            ("postgresql://u:secret@h:notaport/db", "cannot read the URL"),
            (
                "postgresql://u:secret@h/db?nosuchparameter=1",
                "cannot read the URL",
            ),
            (
                "postgresql://u:secret@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
                "cannot read sslrootcert /nonexistent/ca.pem",
            ),
        ] {
            let error = Target::new(url).unwrap_err();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains("secret"), "{url}: {error}");
        }
    }

    #[test]
    fn the_description_names_user_hosts_ports_and_database_but_never_the_password() {
        let describe = |url: &str| Target::new(url).unwrap().describe;
        assert_eq!(
            describe("postgresql://alice:s3cret@db.example:5433/sched?sslmode=require"),
            "postgresql://alice@db.example:5433/sched"
        );
        assert_eq!(
            describe("postgres://alice:p%40ss@10.0.0.1/sched"),
            "postgresql://alice@10.0.0.1:5432/sched"
        );
        assert_eq!(
            describe("postgresql://bob@a:1,b:2/x"),
            "postgresql://bob@a:1,b:2/x"
        );
        assert_eq!(
            describe("postgresql://bob@[::1]:7/x"),
            "postgresql://bob@[::1]:7/x"
        );
        assert_eq!(
            describe("postgresql://bob@h"),
            "postgresql://bob@h:5432/bob",
            "the database is the user's when none is named"
        );
    }

    #[test]
    fn a_url_that_cannot_be_read_is_named_without_its_password() {
        assert_eq!(
            redacted("postgresql://alice:s3cret@h:99999/db?x=1"),
            "postgresql://alice@h:99999/db"
        );
        assert_eq!(
            redacted("postgresql://alice@h/db?password=s3cret"),
            "postgresql://alice@h/db"
        );
        assert_eq!(redacted("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(
            redacted("user=alice password=s3cret"),
            "(a spool address that is not a URL)"
        );
    }

    #[test]
    fn the_session_is_named_and_bounded() {
        let target = Target::new("postgresql://u@h/db").unwrap();
        assert_eq!(target.config.get_application_name(), Some("schedd"));
        assert_eq!(target.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(target.config.get_ssl_mode(), WireSslMode::Prefer);
        assert_eq!(target.config.get_options(), Some(SESSION_OPTIONS));
        let target = Target::new("postgresql://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!(target.config.get_ssl_mode(), WireSslMode::Require);
        let target = Target::new(
            "postgresql://u@h/db?application_name=mine&connect_timeout=2&options=-c%20lock_timeout%3D1s",
        )
        .unwrap();
        assert_eq!(target.config.get_application_name(), Some("mine"));
        assert_eq!(
            target.config.get_options(),
            Some(format!("{SESSION_OPTIONS} -c lock_timeout=1s").as_str())
        );
        assert_eq!(
            target.config.get_connect_timeout(),
            Some(&Duration::from_secs(2))
        );
    }
}
