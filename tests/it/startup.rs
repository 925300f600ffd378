//! Start-up: the real binary refuses bad settings with one clear line, and
//! `Application::build` fills in the bound port.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trilogin_testing::spawn_app;

/// How long a binary that should refuse to start may take to do so.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(30);

/// Runs the server binary in an empty folder with only `vars` set.
fn run_binary(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    run_binary_in(dir.path(), vars)
}

/// Runs the server binary in `dir` with only `vars` set, expecting it to
/// stop on its own; one that is still serving at the deadline is killed
/// and fails the test.
fn run_binary_in(dir: &Path, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trilogin"))
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .env("BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > REFUSAL_DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the app started instead of refusing {vars:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

fn assert_one_line_error(stderr: &str, prefix: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(
        lines[0].starts_with(prefix),
        "expected {prefix:?}, got: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_too_short_secret_key_stops_start_up_with_a_clear_message() {
    let (code, stderr) = run_binary(&[("SECRET_KEY", "only-twenty-bytes-12")]);
    assert_eq!(code, Some(1));
    assert_one_line_error(
        &stderr,
        "error: SECRET_KEY: must be at least 32 bytes long (got 20)",
    );
}

#[test]
fn a_malformed_app_url_stops_start_up_with_a_clear_message() {
    let (code, stderr) = run_binary(&[("APP_URL", "localhost:8080/app")]);
    assert_eq!(code, Some(1));
    assert_one_line_error(&stderr, "error: APP_URL: ");
}

#[test]
fn postgresql_without_a_secret_key_stops_start_up_without_creating_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) =
        run_binary_in(dir.path(), &[("DATABASE_URL", "postgres://u@127.0.0.1/db")]);
    assert_eq!(code, Some(1));
    assert_one_line_error(&stderr, "error: SECRET_KEY: must be set on PostgreSQL");
    let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(created.is_empty(), "created {created:?}");
}

#[test]
fn an_unreachable_postgresql_stops_start_up_naming_it_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let key = "k".repeat(32);
    // Nothing listens on port 1 of loopback.
    let (code, stderr) = run_binary_in(
        dir.path(),
        &[
            (
                "DATABASE_URL",
                "postgres://app:hunter2@127.0.0.1:1/trilogin",
            ),
            ("DATABASE_CONNECT_TIMEOUT", "2s"),
            ("SECRET_KEY", key.as_str()),
        ],
    );
    assert_eq!(code, Some(1));
    // The pool's warnings about each attempt come first; the error is one line.
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot open the database postgres://app:***@127.0.0.1:1/trilogin"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(
        created.is_empty(),
        "no SQLite file or data folder: {created:?}"
    );
}

#[test]
fn an_unparsable_bind_address_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trilogin"))
        .current_dir(dir.path())
        .env_clear()
        .env("BIND", "everywhere")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_one_line_error(&String::from_utf8_lossy(&output.stderr), "error: BIND: ");
}

#[tokio::test]
async fn app_url_with_port_zero_becomes_the_bound_address() {
    let app = spawn_app().await;
    assert_ne!(app.port, 0);
    assert_eq!(app.address, format!("http://127.0.0.1:{}", app.port));
    assert_eq!(app.state.config.app_url.port(), Some(app.port));
}

#[tokio::test]
async fn without_a_secret_key_one_is_generated_once_and_kept_private() {
    if trilogin_accounts::db::fixtures::test_backend() != "sqlite" {
        // PostgreSQL requires SECRET_KEY (see the refusal test above).
        trilogin_accounts::db::fixtures::skip_line(format_args!(
            "without_a_secret_key_one_is_generated_once_and_kept_private: SQLite only"
        ));
        return;
    }
    let app = trilogin_testing::spawn_app_with(|config| config.secret_key = None).await;
    let key_file = app.dir.path().join("secret.key");
    let first = std::fs::read(&key_file).expect("key file created");
    assert!(first.len() >= 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let app = app.restart().await;
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        first,
        "reused, not regenerated"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}
