//! What a run records, one row per request, login and journey, and how the
//! rows are written to and read from tab-separated files, so that the
//! report can be made after the run, next to the restart times the
//! orchestrating script wrote.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// File of the request rows inside the output folder.
pub const REQUESTS_FILE: &str = "requests.tsv";
/// File of the login rows.
pub const LOGINS_FILE: &str = "logins.tsv";
/// File of the journey rows.
pub const JOURNEYS_FILE: &str = "journeys.tsv";

/// Milliseconds since the Unix epoch: the clock the script's kill and
/// restart times use too (`date +%s%3N`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    /// The part of the journey: `login` (a login or connection, consent
    /// pages included), `page` (a page that needs a login) or `logout`.
    pub part: String,
    /// `GET /repos`, `POST /_demo/github/login/oauth/authorize`, ...
    pub route: String,
    /// When it was sent.
    pub start_ms: u64,
    /// When the whole answer was read, or the request failed.
    pub end_ms: u64,
    /// Time to the full answer, in microseconds.
    pub latency_us: u64,
    /// HTTP status; 0 when no answer came (connection refused or reset).
    pub status: u16,
    /// False when the answer was not what a working site gives.
    pub ok: bool,
    /// Why it failed, empty when it did not.
    pub detail: String,
}

/// One pass through `/login/{provider}` to the page after the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRow {
    /// `github`, `twitter` or `google`.
    pub provider: String,
    /// `login` (logged out) or `connect` (logged in already).
    pub kind: String,
    /// When `/login/{provider}` was requested.
    pub start_ms: u64,
    /// When the page after the callback was read, or the login failed.
    pub end_ms: u64,
    /// True when it ended on the site with a success message.
    pub ok: bool,
    /// Why it failed, empty when it did not.
    pub detail: String,
}

/// One journey: log in, connect the other two, four pages, log out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyRow {
    /// When it started.
    pub start_ms: u64,
    /// When it ended.
    pub end_ms: u64,
    /// `completed`, `failed` or `cut short` (the run ended first).
    pub outcome: String,
    /// The step that failed and why, empty otherwise.
    pub detail: String,
}

/// Everything one browser (or the whole run) recorded.
#[derive(Debug, Clone, Default)]
pub struct Log {
    /// Requests, in order.
    pub requests: Vec<RequestRow>,
    /// Logins and connections, in order.
    pub logins: Vec<LoginRow>,
    /// Journeys, in order.
    pub journeys: Vec<JourneyRow>,
}

impl Log {
    /// Appends another browser's rows.
    pub fn extend(&mut self, other: Log) {
        self.requests.extend(other.requests);
        self.logins.extend(other.logins);
        self.journeys.extend(other.journeys);
    }

    /// Writes the three files into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        let mut out = String::new();
        for r in &self.requests {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.part,
                r.route,
                r.start_ms,
                r.end_ms,
                r.latency_us,
                r.status,
                u8::from(r.ok),
                one_line(&r.detail)
            );
        }
        fs::write(dir.join(REQUESTS_FILE), out)?;
        let mut out = String::new();
        for l in &self.logins {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                l.provider,
                l.kind,
                l.start_ms,
                l.end_ms,
                u8::from(l.ok),
                one_line(&l.detail)
            );
        }
        fs::write(dir.join(LOGINS_FILE), out)?;
        let mut out = String::new();
        for j in &self.journeys {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                j.start_ms,
                j.end_ms,
                j.outcome,
                one_line(&j.detail)
            );
        }
        fs::write(dir.join(JOURNEYS_FILE), out)
    }

    /// Reads the files [`Log::write`] wrote.
    pub fn read(dir: &Path) -> io::Result<Self> {
        let mut log = Log::default();
        for (n, line) in lines(&dir.join(REQUESTS_FILE))?.iter().enumerate() {
            let f = fields(line, 8, REQUESTS_FILE, n)?;
            log.requests.push(RequestRow {
                part: f[0].to_owned(),
                route: f[1].to_owned(),
                start_ms: number(f[2], REQUESTS_FILE, n)?,
                end_ms: number(f[3], REQUESTS_FILE, n)?,
                latency_us: number(f[4], REQUESTS_FILE, n)?,
                status: number(f[5], REQUESTS_FILE, n)?,
                ok: f[6] == "1",
                detail: f[7].to_owned(),
            });
        }
        for (n, line) in lines(&dir.join(LOGINS_FILE))?.iter().enumerate() {
            let f = fields(line, 6, LOGINS_FILE, n)?;
            log.logins.push(LoginRow {
                provider: f[0].to_owned(),
                kind: f[1].to_owned(),
                start_ms: number(f[2], LOGINS_FILE, n)?,
                end_ms: number(f[3], LOGINS_FILE, n)?,
                ok: f[4] == "1",
                detail: f[5].to_owned(),
            });
        }
        for (n, line) in lines(&dir.join(JOURNEYS_FILE))?.iter().enumerate() {
            let f = fields(line, 4, JOURNEYS_FILE, n)?;
            log.journeys.push(JourneyRow {
                start_ms: number(f[0], JOURNEYS_FILE, n)?,
                end_ms: number(f[1], JOURNEYS_FILE, n)?,
                outcome: f[2].to_owned(),
                detail: f[3].to_owned(),
            });
        }
        Ok(log)
    }
}

/// A detail kept on one line and one field.
fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

fn lines(path: &Path) -> io::Result<Vec<String>> {
    Ok(fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn fields<'a>(line: &'a str, count: usize, file: &str, n: usize) -> io::Result<Vec<&'a str>> {
    let f: Vec<&str> = line.splitn(count, '\t').collect();
    if f.len() == count {
        Ok(f)
    } else {
        Err(bad(file, n, "wrong number of fields"))
    }
}

fn number<T: std::str::FromStr>(s: &str, file: &str, n: usize) -> io::Result<T> {
    s.parse().map_err(|_| bad(file, n, "not a number"))
}

fn bad(file: &str, n: usize, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{file} line {}: {what}", n + 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_a_write_and_a_read_with_tabs_in_details() {
        let dir = std::env::temp_dir().join(format!("soak-record-test-{}", std::process::id()));
        let log = Log {
            requests: vec![RequestRow {
                part: "page".into(),
                route: "GET /repos".into(),
                start_ms: 1,
                end_ms: 2,
                latency_us: 1500,
                status: 500,
                ok: false,
                detail: "HTTP 500\tbody".into(),
            }],
            logins: vec![LoginRow {
                provider: "github".into(),
                kind: "login".into(),
                start_ms: 3,
                end_ms: 4,
                ok: true,
                detail: String::new(),
            }],
            journeys: vec![JourneyRow {
                start_ms: 5,
                end_ms: 6,
                outcome: "completed".into(),
                detail: String::new(),
            }],
        };
        log.write(&dir).unwrap();
        let back = Log::read(&dir).unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(back.requests[0].detail, "HTTP 500 body");
        assert_eq!(back.requests[0].status, 500);
        assert_eq!(back.logins, log.logins);
        assert_eq!(back.journeys, log.journeys);
    }
}
