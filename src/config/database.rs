//! `DATABASE_URL`: a PostgreSQL URL, or the SQLite file as a path or as a
//! `sqlite:` / `file:` URL. Any other URL scheme stops start-up: taken as a
//! path, a value such as `mysql://u@host/db` would quietly create a folder
//! named `mysql:` holding a fresh SQLite file.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use trilogin_accounts::db::Database;

use super::ConfigError;

const VAR: &str = "DATABASE_URL";

/// The database `value` names: `postgres://…` or `postgresql://…` is
/// PostgreSQL, passed to libpq as written; anything else is a SQLite file
/// (see [`database_path`]).
pub(super) fn database(value: &str) -> Result<Database, ConfigError> {
    let value = value.trim();
    if let Some((scheme, _)) = split_scheme(value)
        && matches!(
            scheme.to_ascii_lowercase().as_str(),
            "postgres" | "postgresql"
        )
    {
        let url = url::Url::parse(value).map_err(|e| {
            invalid(format!(
                "not a PostgreSQL URL such as postgres://user@host/db: {e}"
            ))
        })?;
        if url.host_str().is_none_or(str::is_empty)
            && !url.query().is_some_and(|q| q.contains("host="))
        {
            return Err(invalid(
                "a PostgreSQL URL names its server, as in postgres://user@host/db".to_owned(),
            ));
        }
        return Ok(Database::Postgres(value.to_owned()));
    }
    database_path(value).map(|path| Database::Sqlite(PathBuf::from(path)))
}

/// The path of the SQLite file `value` names.
///
/// - `data/app.db`, `/var/lib/trilogin/app.db`: a path, taken as written.
/// - `sqlite://data/app.db`, `sqlite:data/app.db`: relative path;
///   `sqlite:///var/lib/trilogin/app.db`: absolute path.
/// - `file:data/app.db`: relative path; `file:///var/lib/trilogin/app.db`
///   or `file://localhost/var/lib/...`: absolute path (RFC 8089).
///
/// The URL forms are percent-decoded and take no query or fragment.
pub(super) fn database_path(value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let Some((scheme, rest)) = split_scheme(value) else {
        return Ok(value.to_owned());
    };
    let path = match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => rest.strip_prefix("//").unwrap_or(rest),
        "file" => file_url_path(value, rest)?,
        _ => {
            return Err(invalid(format!(
                "{scheme}: URLs are not supported; use a postgres:// URL, a SQLite file path such as data/app.db, or a sqlite: or file: URL"
            )));
        }
    };
    if path.contains(['?', '#']) {
        return Err(invalid(format!(
            "{value:?} has a query or fragment; give only the SQLite file's path"
        )));
    }
    let path = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| invalid(format!("{value:?} does not decode to a UTF-8 path")))?;
    if path.is_empty() || path.ends_with('/') {
        return Err(invalid(format!("{value:?} names no file")));
    }
    Ok(path.into_owned())
}

/// The path of a `file:` URL: `file:rel`, `file:/abs`, `file:///abs`, or
/// `file://localhost/abs`; a file on another host cannot be opened.
fn file_url_path<'a>(value: &str, rest: &'a str) -> Result<&'a str, ConfigError> {
    let Some(authority_and_path) = rest.strip_prefix("//") else {
        return Ok(rest);
    };
    let (host, path) = authority_and_path
        .find('/')
        .map_or((authority_and_path, ""), |at| {
            authority_and_path.split_at(at)
        });
    if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
        Ok(path)
    } else {
        Err(invalid(format!(
            "{value:?} names a file on another host; give a local path"
        )))
    }
}

/// `(scheme, rest)` when `value` starts with a URL scheme (RFC 3986 §3.1).
/// A single letter before the colon is a Windows drive (`C:\data\app.db`),
/// not a scheme.
fn split_scheme(value: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = value.split_once(':')?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let is_scheme = starts_with_letter
        && scheme.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then_some((scheme, rest))
}

fn invalid(reason: String) -> ConfigError {
    ConfigError::Invalid { var: VAR, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(value: &str) -> String {
        database_path(value).unwrap_or_else(|e| panic!("{value}: {e}"))
    }

    fn refusal(value: &str) -> String {
        match database(value) {
            Ok(database) => panic!("{value} was taken as {database:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_plain_path_is_taken_as_written() {
        assert_eq!(path("data/app.db"), "data/app.db");
        assert_eq!(
            path(" /var/lib/trilogin/app.db "),
            "/var/lib/trilogin/app.db"
        );
        assert_eq!(path("./my:folder/app.db"), "./my:folder/app.db");
        assert_eq!(path(r"C:\trilogin\app.db"), r"C:\trilogin\app.db");
        assert_eq!(path("app%20db"), "app%20db", "a path is not decoded");
    }

    #[test]
    fn sqlite_urls_name_relative_and_absolute_paths() {
        assert_eq!(path("sqlite://data/app.db"), "data/app.db");
        assert_eq!(path("sqlite:data/app.db"), "data/app.db");
        assert_eq!(
            path("sqlite:///var/lib/trilogin/app.db"),
            "/var/lib/trilogin/app.db"
        );
        assert_eq!(path("SQLite://my%20data/app.db"), "my data/app.db");
    }

    #[test]
    fn file_urls_name_local_paths() {
        assert_eq!(path("file:data/app.db"), "data/app.db");
        assert_eq!(path("file:/srv/app.db"), "/srv/app.db");
        assert_eq!(path("file:///srv/app.db"), "/srv/app.db");
        assert_eq!(path("file://localhost/srv/app.db"), "/srv/app.db");
        let other_host = refusal("file://db.example.com/srv/app.db");
        assert!(other_host.contains("another host"), "{other_host}");
    }

    #[test]
    fn a_postgres_url_selects_postgresql_as_written() {
        for value in [
            "postgres://u@host/db",
            "postgresql://u:p@host:5432/db?sslmode=require",
            "POSTGRES://u@host/db",
        ] {
            assert_eq!(
                database(value).unwrap(),
                Database::Postgres(value.to_owned())
            );
        }
        assert_eq!(
            database("data/app.db").unwrap(),
            Database::Sqlite(PathBuf::from("data/app.db"))
        );
    }

    #[test]
    fn a_postgres_url_without_a_server_is_refused_without_its_password() {
        for value in ["postgres://u:secret@/db", "postgresql:db"] {
            let message = refusal(value);
            assert!(message.starts_with("DATABASE_URL: "), "{message}");
            assert!(
                !message.contains("secret"),
                "the password is not echoed: {message}"
            );
        }
    }

    #[test]
    fn other_url_schemes_and_unusable_urls_are_refused_naming_the_variable() {
        for value in [
            "mysql://u@host/db",
            "https://example.com/app.db",
            "sqlite:",
            "sqlite://",
            "file:///",
            "sqlite://data/app.db?mode=ro",
            "file:app.db#x",
            "sqlite:%FF.db",
        ] {
            let message = refusal(value);
            assert!(message.starts_with("DATABASE_URL: "), "{value}: {message}");
        }
    }
}
