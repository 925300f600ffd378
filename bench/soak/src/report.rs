//! The end-of-run report: journeys, logins and requests, each failure
//! either explained by a kill of the app or counted as a finding, and the
//! latency of every route.
//!
//! A failure is explained by a kill when what failed overlaps the window
//! from `window` before the kill to `window` after the restarted app
//! answered its health check: the app was down or had just come back.
//! A request sent before a kill and not answered until after it is "in
//! flight at a kill", counted apart whatever its outcome.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use crate::record::{Log, LoginRow, RequestRow};

/// One kill of the app and its return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    /// When SIGKILL was sent (ms since the epoch).
    pub kill_ms: u64,
    /// When the new process answered `/healthz`; `None` if it never did.
    pub ready_ms: Option<u64>,
}

/// Reads the script's events file: lines `kill <ms>` and `ready <ms>`,
/// each `ready` belonging to the `kill` before it. A missing file means
/// no kills.
pub fn read_restarts(path: &Path) -> io::Result<Vec<Restart>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut restarts: Vec<Restart> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let (Some(event), Some(ms)) = (words.next(), words.next()) else {
            continue;
        };
        let ms: u64 = ms.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: line {}: bad time {ms:?}", path.display(), n + 1),
            )
        })?;
        match event {
            "kill" => restarts.push(Restart {
                kill_ms: ms,
                ready_ms: None,
            }),
            "ready" => {
                if let Some(last) = restarts.last_mut() {
                    last.ready_ms = Some(ms);
                }
            }
            _ => {}
        }
    }
    Ok(restarts)
}

/// The counts that decide the run's verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Logins (and connections) that failed with no kill to explain them.
    pub failed_logins: usize,
    /// Other requests that failed with no kill to explain them.
    pub other_failed_requests: usize,
}

/// Builds the report text for `log`, given the kills and the window.
pub fn report(log: &Log, restarts: &[Restart], window_ms: u64) -> (String, Verdict) {
    let end_of_run = log.requests.iter().map(|r| r.end_ms).max().unwrap_or(0);
    let start_of_run = log.requests.iter().map(|r| r.start_ms).min().unwrap_or(0);
    let windows: Vec<(u64, u64)> = restarts
        .iter()
        .map(|r| {
            (
                r.kill_ms.saturating_sub(window_ms),
                r.ready_ms.unwrap_or(end_of_run).saturating_add(window_ms),
            )
        })
        .collect();
    let near_kill = |start: u64, end: u64| windows.iter().any(|&(a, b)| start <= b && end >= a);
    let in_flight = |r: &RequestRow| {
        restarts
            .iter()
            .any(|k| r.start_ms < k.kill_ms && r.end_ms >= k.kill_ms)
    };

    let mut out = String::new();
    let secs = (end_of_run.saturating_sub(start_of_run)) as f64 / 1000.0;
    let _ = writeln!(out, "run: {secs:.1} s of traffic");
    for (i, r) in restarts.iter().enumerate() {
        let at = r.kill_ms.saturating_sub(start_of_run) as f64 / 1000.0;
        match r.ready_ms {
            Some(ready) => {
                let down = ready.saturating_sub(r.kill_ms) as f64 / 1000.0;
                let _ = writeln!(
                    out,
                    "kill {}: SIGKILL at +{at:.1} s, answering again {down:.2} s later",
                    i + 1
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "kill {}: SIGKILL at +{at:.1} s, never came back",
                    i + 1
                );
            }
        }
    }

    // Journeys.
    let count = |outcome: &str| log.journeys.iter().filter(|j| j.outcome == outcome).count();
    let failed_journeys: Vec<_> = log
        .journeys
        .iter()
        .filter(|j| j.outcome == "failed")
        .collect();
    let failed_near = failed_journeys
        .iter()
        .filter(|j| near_kill(j.start_ms, j.end_ms))
        .count();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "journeys completed           {:>8}",
        count("completed")
    );
    let _ = writeln!(
        out,
        "journeys failed              {:>8}   ({failed_near} near a kill, {} not)",
        failed_journeys.len(),
        failed_journeys.len() - failed_near
    );
    let _ = writeln!(
        out,
        "journeys cut short by the end{:>8}",
        count("cut short")
    );

    // Logins.
    let logins = log.logins.len();
    let connects = log.logins.iter().filter(|l| l.kind == "connect").count();
    let ok = log.logins.iter().filter(|l| l.ok).count();
    let failed: Vec<_> = log.logins.iter().filter(|l| !l.ok).collect();
    let (near, unexplained): (Vec<&LoginRow>, Vec<&LoginRow>) = failed
        .into_iter()
        .partition(|l| near_kill(l.start_ms, l.end_ms));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "logins                       {logins:>8}   ({} logged out, {connects} connecting another provider)",
        logins - connects
    );
    let _ = writeln!(out, "  succeeded                  {ok:>8}");
    let _ = writeln!(out, "  failed near a kill         {:>8}", near.len());
    let share = if logins > 0 {
        unexplained.len() as f64 * 100.0 / logins as f64
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "  FAILED LOGINS              {:>8}   ({share:.1} % of logins)",
        unexplained.len()
    );
    top_reasons(
        &mut out,
        unexplained
            .iter()
            .map(|l| format!("{} {}: {}", l.kind, l.provider, l.detail)),
    );
    if !near.is_empty() {
        let _ = writeln!(out, "  near a kill, by reason:");
        top_reasons(&mut out, near.iter().map(|l| l.detail.clone()));
    }

    // Requests.
    let requests = log.requests.len();
    let flying: Vec<_> = log.requests.iter().filter(|r| in_flight(r)).collect();
    let failed: Vec<_> = log
        .requests
        .iter()
        .filter(|r| !r.ok && !in_flight(r))
        .collect();
    let (near, elsewhere): (Vec<&RequestRow>, Vec<&RequestRow>) = failed
        .into_iter()
        .partition(|r| near_kill(r.start_ms, r.end_ms));
    let (in_logins, other): (Vec<&RequestRow>, Vec<&RequestRow>) =
        elsewhere.into_iter().partition(|r| r.part == "login");
    let rate = if secs > 0.0 {
        requests as f64 / secs
    } else {
        0.0
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "requests                     {requests:>8}   ({rate:.0} a second)"
    );
    let _ = writeln!(
        out,
        "  in flight at a kill        {:>8}   ({} of them unanswered)",
        flying.len(),
        flying.iter().filter(|r| r.status == 0).count()
    );
    let _ = writeln!(
        out,
        "  failed near a kill         {:>8}   ({} with no answer)",
        near.len(),
        near.iter().filter(|r| r.status == 0).count()
    );
    let _ = writeln!(
        out,
        "  failed inside failed logins{:>8}   (counted under logins)",
        in_logins.len()
    );
    let _ = writeln!(out, "  OTHER FAILED REQUESTS      {:>8}", other.len());
    top_reasons(
        &mut out,
        other.iter().map(|r| format!("{}: {}", r.route, r.detail)),
    );

    // Latency.
    let mut by_route: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for r in log.requests.iter().filter(|r| r.status != 0) {
        by_route.entry(&r.route).or_default().push(r.latency_us);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "latency of answered requests, by route");
    let _ = writeln!(
        out,
        "  {:<44} {:>7} {:>9} {:>9} {:>9}",
        "route", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (route, mut latencies) in by_route {
        latencies.sort_unstable();
        let _ = writeln!(
            out,
            "  {:<44} {:>7} {:>9.1} {:>9.1} {:>9.1}",
            route,
            latencies.len(),
            percentile(&latencies, 50) as f64 / 1000.0,
            percentile(&latencies, 99) as f64 / 1000.0,
            latencies.last().copied().unwrap_or(0) as f64 / 1000.0
        );
    }
    (
        out,
        Verdict {
            failed_logins: unexplained.len(),
            other_failed_requests: other.len(),
        },
    )
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The most frequent reasons, most frequent first.
fn top_reasons(out: &mut String, reasons: impl Iterator<Item = String>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (reason, n) in counts.iter().take(10) {
        let _ = writeln!(out, "      {n:>6} × {reason}");
    }
    if counts.len() > 10 {
        let _ = writeln!(out, "      ... and {} other reasons", counts.len() - 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start_ms: u64, end_ms: u64, ok: bool, part: &str) -> RequestRow {
        RequestRow {
            part: part.into(),
            route: "GET /repos".into(),
            start_ms,
            end_ms,
            latency_us: (end_ms - start_ms) * 1000,
            status: if ok { 200 } else { 0 },
            ok,
            detail: if ok {
                String::new()
            } else {
                "no answer".into()
            },
        }
    }

    fn login(start_ms: u64, end_ms: u64, ok: bool) -> LoginRow {
        LoginRow {
            provider: "github".into(),
            kind: "login".into(),
            start_ms,
            end_ms,
            ok,
            detail: if ok {
                String::new()
            } else {
                "Your login could not be saved.".into()
            },
        }
    }

    #[test]
    fn failures_are_explained_only_inside_a_kill_window() {
        let log = Log {
            requests: vec![
                request(1_000, 1_010, true, "page"),
                request(9_990, 10_005, false, "page"), // in flight at the kill
                request(10_100, 10_101, false, "page"), // refused while down
                request(30_000, 30_050, false, "page"), // a finding
            ],
            logins: vec![
                login(9_000, 10_200, false),  // spans the kill
                login(12_500, 12_900, false), // just after the app came back
                login(20_000, 20_100, false), // a finding
                login(20_000, 20_100, true),
            ],
            journeys: Vec::new(),
        };
        let restarts = [Restart {
            kill_ms: 10_000,
            ready_ms: Some(11_000),
        }];
        let (text, verdict) = report(&log, &restarts, 2_000);
        assert_eq!(
            verdict,
            Verdict {
                failed_logins: 1,
                other_failed_requests: 1
            },
            "{text}"
        );
        assert!(
            text.contains("in flight at a kill               1"),
            "{text}"
        );
    }

    #[test]
    fn the_events_file_pairs_each_ready_with_its_kill() {
        let path = std::env::temp_dir().join(format!("soak-events-test-{}", std::process::id()));
        fs::write(&path, "kill 100\nready 150\nkill 300\n").unwrap();
        let restarts = read_restarts(&path).unwrap();
        let _ = fs::remove_file(&path);
        assert_eq!(
            restarts,
            [
                Restart {
                    kill_ms: 100,
                    ready_ms: Some(150)
                },
                Restart {
                    kill_ms: 300,
                    ready_ms: None
                }
            ]
        );
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), 50);
        assert_eq!(percentile(&values, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[], 50), 0);
    }
}
