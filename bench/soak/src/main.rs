//! Soak-test driver for trilogin. `bench/soak.sh` builds and starts the
//! app, and calls this program three ways:
//!
//! - `free-port`: prints a loopback TCP port nobody listens on;
//! - `wait-ready`: waits until the app's `/healthz` answers 200;
//! - `run`: sets up the demo people's accounts, then drives `--clients`
//!   concurrent scripted browsers for `--duration` seconds and writes what
//!   happened to `--out`;
//! - `report`: reads that, and the kill and restart times the script
//!   wrote, prints the report and exits 1 when a login failed for no kill.
//!
//! It only talks to loopback addresses: the target must be a local test
//! instance, never someone's site.

mod browser;
mod html;
mod record;
mod report;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use url::{Host, Url};

use crate::browser::{Browser, PEOPLE, PROVIDERS};
use crate::record::{Log, now_ms};

/// Most concurrent browsers a run may have.
const MAX_CLIENTS: usize = 500;
/// Longest run, in seconds.
const MAX_DURATION_SECS: u64 = 600;
/// Name of the file `run` creates once the accounts are set up and the
/// clock starts; the script times its kills from it.
const STARTED_FILE: &str = "started";

const USAGE: &str = "usage:
  trilogin-soak free-port
  trilogin-soak wait-ready --base-url http://127.0.0.1:PORT [--timeout SECS]
  trilogin-soak run --base-url http://127.0.0.1:PORT --out DIR [--clients N] [--duration SECS]
  trilogin-soak report --out DIR [--events FILE] [--window SECS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("free-port") => free_port(),
        Some("wait-ready") => parse_wait(&args[1..]).and_then(wait_ready),
        Some("run") => parse_run(&args[1..]).and_then(run),
        Some("report") => parse_report(&args[1..]).and_then(report),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("trilogin-soak: {message}");
            ExitCode::from(2)
        }
    }
}

/// Options of `run`.
#[derive(Debug)]
struct RunOptions {
    base: Url,
    out: PathBuf,
    clients: usize,
    duration: Duration,
}

/// Options of `report`.
#[derive(Debug)]
struct ReportOptions {
    out: PathBuf,
    events: Option<PathBuf>,
    window: Duration,
}

fn parse_run(args: &[String]) -> Result<RunOptions, String> {
    let flags = flags(args)?;
    let base = base_url(&flags)?;
    let clients = bounded(&flags, "--clients", 50, MAX_CLIENTS as u64)?;
    let duration = bounded(&flags, "--duration", 60, MAX_DURATION_SECS)?;
    Ok(RunOptions {
        base,
        out: PathBuf::from(flags.get("--out").ok_or("run: --out is required")?),
        clients: usize::try_from(clients).map_err(|e| e.to_string())?,
        duration: Duration::from_secs(duration),
    })
}

fn parse_wait(args: &[String]) -> Result<(Url, Duration), String> {
    let flags = flags(args)?;
    let base = base_url(&flags)?;
    let timeout = bounded(&flags, "--timeout", 60, MAX_DURATION_SECS)?;
    Ok((base, Duration::from_secs(timeout)))
}

fn parse_report(args: &[String]) -> Result<ReportOptions, String> {
    let flags = flags(args)?;
    Ok(ReportOptions {
        out: PathBuf::from(flags.get("--out").ok_or("report: --out is required")?),
        events: flags.get("--events").map(PathBuf::from),
        window: Duration::from_secs(bounded(&flags, "--window", 2, 60)?),
    })
}

/// `--name value` pairs of a command line.
type Flags<'a> = HashMap<&'a str, &'a str>;

/// The `--name value` pairs of `args`.
fn flags(args: &[String]) -> Result<Flags<'_>, String> {
    let mut flags = HashMap::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        if !name.starts_with("--") {
            return Err(format!("unexpected argument {name:?}\n{USAGE}"));
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        flags.insert(name.as_str(), value.as_str());
    }
    Ok(flags)
}

/// `--base-url`, which must be a loopback address.
fn base_url(flags: &Flags<'_>) -> Result<Url, String> {
    let base = flags.get("--base-url").ok_or("--base-url is required")?;
    let base = Url::parse(base).map_err(|e| format!("--base-url {base:?}: {e}"))?;
    check_loopback(&base)?;
    Ok(base)
}

/// A whole number between 1 and `max`, `default` when absent.
fn bounded(flags: &Flags<'_>, name: &str, default: u64, max: u64) -> Result<u64, String> {
    let Some(value) = flags.get(name) else {
        return Ok(default);
    };
    match value.parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name} must be a whole number from 1 to {max}, not {value:?}"
        )),
    }
}

/// Refuses any target that is not this machine: a soak run is a load test.
fn check_loopback(url: &Url) -> Result<(), String> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("{url}: only http:// and https:// targets"));
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "refusing {url}: the soak test only drives a loopback address (127.0.0.0/8, ::1, localhost)"
        ))
    }
}

fn free_port() -> Result<ExitCode, String> {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .map_err(|e| format!("no free port: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    println!("{port}");
    Ok(ExitCode::SUCCESS)
}

/// Polls `/healthz` every 50 ms until it answers 200 or `timeout` passes.
fn wait_ready((base, timeout): (Url, Duration)) -> Result<ExitCode, String> {
    let health = base.join("/healthz").map_err(|e| e.to_string())?;
    runtime()?.block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        let give_up = Instant::now() + timeout;
        while Instant::now() < give_up {
            let answer = client.get(health.clone()).send().await;
            if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                return Ok(ExitCode::SUCCESS);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "{health} did not answer 200 within {} s",
            timeout.as_secs()
        ))
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn run(options: RunOptions) -> Result<ExitCode, String> {
    runtime()?.block_on(drive(options))
}

async fn drive(options: RunOptions) -> Result<ExitCode, String> {
    // Each demo person gets one account holding all three providers, made
    // one after the other: browsers that first logged in concurrently with
    // different providers would create separate accounts, and connecting
    // the second one would then be refused, rightly, as someone else's.
    let setup_deadline = Instant::now() + Duration::from_secs(120);
    for person in PEOPLE {
        Browser::new(options.base.clone(), person, 0, setup_deadline)
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?
            .seed()
            .await
            .map_err(|why| format!("setting up {person}'s account failed: {why}"))?;
    }

    let deadline = Instant::now() + options.duration;
    std::fs::create_dir_all(&options.out)
        .and_then(|()| std::fs::write(options.out.join(STARTED_FILE), now_ms().to_string()))
        .map_err(|e| format!("{}: {e}", options.out.display()))?;
    eprintln!(
        "driving {} browsers for {} s",
        options.clients,
        options.duration.as_secs()
    );
    let mut tasks = Vec::with_capacity(options.clients);
    for i in 0..options.clients {
        let browser = Browser::new(
            options.base.clone(),
            PEOPLE[i % PEOPLE.len()],
            i % PROVIDERS.len(),
            deadline,
        )
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        tasks.push(tokio::spawn(browser.run()));
    }
    let mut log = Log::default();
    for task in tasks {
        log.extend(task.await.map_err(|e| format!("a browser crashed: {e}"))?);
    }
    log.write(&options.out)
        .map_err(|e| format!("{}: {e}", options.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn report(options: ReportOptions) -> Result<ExitCode, String> {
    let log = Log::read(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let restarts = match &options.events {
        Some(path) => {
            report::read_restarts(path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let window_ms = u64::try_from(options.window.as_millis()).unwrap_or(u64::MAX);
    let (text, verdict) = report::report(&log, &restarts, window_ms);
    print!("{text}");
    Ok(if verdict.failed_logins > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_driven() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.3.2.1:1/",
            "http://[::1]:9000",
            "http://localhost:8080",
        ] {
            assert!(check_loopback(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:8080",
            "https://example.com/",
            "http://[2001:db8::1]/",
            "http://localhost.example.com/",
            "file:///etc/passwd",
        ] {
            assert!(
                check_loopback(&Url::parse(refused).unwrap()).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn client_and_duration_limits_are_enforced() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let base = ["--base-url", "http://127.0.0.1:1", "--out", "/tmp/x"];
        let ok = parse_run(&args(
            &[&base[..], &["--clients", "500", "--duration", "600"]].concat(),
        ));
        assert!(ok.is_ok(), "{ok:?}");
        for too_much in [
            ["--clients", "501"],
            ["--duration", "601"],
            ["--clients", "0"],
        ] {
            let parsed = parse_run(&args(&[&base[..], &too_much[..]].concat()));
            assert!(parsed.is_err(), "{too_much:?}");
        }
    }
}
