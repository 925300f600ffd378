//! Headless Chromium through chromedriver: one driver process per browser,
//! on a free loopback port, with a fresh profile; both go away when the
//! browser is closed or dropped.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder};
use serde_json::json;
use tempfile::TempDir;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Desktop window size of every browser.
pub const DESKTOP: (u32, u32) = (1280, 900);

/// The programs these tests need that are not installed, if any.
pub fn missing_programs() -> Vec<&'static str> {
    [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|program| !Path::new(program).exists())
        .collect()
}

/// A running headless Chromium and the chromedriver that controls it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: DriverProcess,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium.
    pub async fn launch() -> anyhow::Result<Self> {
        let port = free_port()?;
        let driver = DriverProcess::spawn(port)?;
        wait_until_listening(port, Duration::from_secs(20)).await?;
        let profile = tempfile::tempdir().context("browser profile folder")?;
        let client = ClientBuilder::rustls()
            .context("WebDriver client")?
            .capabilities(capabilities(&profile))
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("chromedriver starts Chromium")?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await?;
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let Self {
            client,
            driver,
            _profile,
        } = self;
        if let Err(error) = client.close().await {
            eprintln!("closing the browser: {error}");
        }
        drop(driver);
    }
}

/// `goog:chromeOptions` for a headless, quiet Chromium with its own profile.
fn capabilities(profile: &TempDir) -> Capabilities {
    let (width, height) = DESKTOP;
    let options = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        },
    });
    match options {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// chromedriver as a child process in its own process group, so that the
/// Chromium it starts goes down with it.
struct DriverProcess(Child);

impl DriverProcess {
    fn spawn(port: u16) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {CHROMEDRIVER}"))?;
        Ok(Self(child))
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // The whole group: chromedriver and any Chromium left running when
        // a test failed before closing its session.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("free port")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_until_listening(port: u16, limit: Duration) -> anyhow::Result<()> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let start = Instant::now();
    while start.elapsed() < limit {
        // Loopback answers at once: connected, or refused while starting.
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("chromedriver did not listen on port {port} within {limit:?}")
}
