//! Start-up: the real binary refuses bad settings with one clear line, and
//! `Application::build` fills in the bound port.

use std::process::Command;

use crate::helpers::spawn_app;

/// Runs the server binary in an empty folder with only `vars` set.
fn run_binary(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trilogin"))
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .env("BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
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
    let app = crate::helpers::spawn_app_with(|config| config.secret_key = None).await;
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
