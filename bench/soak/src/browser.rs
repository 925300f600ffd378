//! A scripted browser: its own cookie jar, redirects followed one hop at a
//! time (each hop is a timed request), and the journey a person makes
//! through the site with the demo providers' consent pages.

use std::time::{Duration, Instant};

use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode, redirect};
use url::Url;

use crate::html::{self, Form};
use crate::record::{JourneyRow, Log, LoginRow, RequestRow, now_ms};

/// The providers, in the order a journey's first login rotates through.
pub const PROVIDERS: [&str; 3] = ["github", "twitter", "google"];
/// The demo people's keys (docs/DEMO.md).
pub const PEOPLE: [&str; 3] = ["ada", "grace", "zoe"];
/// The pages a logged-in journey loads, in order.
const PAGES: [&str; 4] = ["/repos", "/timeline", "/profile", "/account"];
/// Most redirects followed from one request.
const MAX_HOPS: usize = 8;
/// Per-request limit: well above the site's own database and provider
/// timeouts, so a slow answer is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed journey that got no answer, so that a browser does
/// not spin while the site restarts.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// An answered request.
struct Page {
    url: Url,
    status: StatusCode,
    location: Option<Url>,
    body: String,
}

impl Page {
    fn is_redirect(&self) -> bool {
        self.status.is_redirection()
    }

    /// True when the page shows the site's log-out form: someone is logged in.
    fn signed_in(&self) -> bool {
        html::form_to(&html::forms(&self.body), "/logout").is_some()
    }
}

/// Why a journey stopped.
#[derive(Debug)]
enum Stop {
    /// A step failed; the text says which and why.
    Failed(String),
    /// The run's time is up.
    TimeUp,
}

type Step<T> = Result<T, Stop>;

/// One scripted browser.
pub struct Browser {
    base: Url,
    client: Client,
    person: &'static str,
    first_provider: usize,
    deadline: Instant,
    /// The part of the journey under way, for the request rows.
    part: &'static str,
    log: Log,
}

impl Browser {
    /// A browser at `base` (already checked to be loopback) logging in as
    /// `person`, whose first journey starts with provider `first_provider`.
    pub fn new(
        base: Url,
        person: &'static str,
        first_provider: usize,
        deadline: Instant,
    ) -> reqwest::Result<Self> {
        Ok(Self {
            client: new_client()?,
            base,
            person,
            first_provider,
            deadline,
            part: "login",
            log: Log::default(),
        })
    }

    /// Makes journeys until the deadline; returns what it recorded.
    pub async fn run(mut self) -> Log {
        let mut n = self.first_provider;
        while Instant::now() < self.deadline {
            let first = PROVIDERS[n % PROVIDERS.len()];
            n += 1;
            let start_ms = now_ms();
            let result = self.journey(first).await;
            let (outcome, detail) = match result {
                Ok(()) => ("completed", String::new()),
                Err(Stop::TimeUp) => ("cut short", String::new()),
                Err(Stop::Failed(why)) => ("failed", why),
            };
            self.log.journeys.push(JourneyRow {
                start_ms,
                end_ms: now_ms(),
                outcome: outcome.to_owned(),
                detail,
            });
            if outcome == "failed" {
                // A person who hit an error starts again in a fresh
                // browser: no cookies, no half-finished login.
                if let Ok(client) = new_client() {
                    self.client = client;
                }
                if self.log.requests.last().is_some_and(|r| r.status == 0) {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
        self.log
    }

    /// One sequential journey, for setting up the demo people's accounts
    /// before the clock starts; fails on the first problem.
    pub async fn seed(mut self) -> Result<(), String> {
        match self.journey(PROVIDERS[0]).await {
            Ok(()) => Ok(()),
            Err(Stop::Failed(why)) => Err(why),
            Err(Stop::TimeUp) => Err("no time left".to_owned()),
        }
    }

    /// Log in with `first`, connect the other two, load the pages, log out.
    async fn journey(&mut self, first: &'static str) -> Step<()> {
        self.login(first, "login").await?;
        for provider in PROVIDERS.into_iter().filter(|p| *p != first) {
            self.login(provider, "connect").await?;
        }
        let mut csrf = None;
        for path in PAGES {
            csrf = Some(self.resource_page(path).await?);
        }
        self.logout(csrf.unwrap_or_default()).await
    }

    /// `/login/{provider}` through the consent page back to the site;
    /// recorded as a login row.
    async fn login(&mut self, provider: &'static str, kind: &str) -> Step<()> {
        self.check_time()?;
        self.part = "login";
        let start_ms = now_ms();
        let result = self.login_steps(provider).await;
        let detail = match &result {
            Ok(()) => String::new(),
            Err(Stop::Failed(why)) => why.clone(),
            // Stopped between steps by the deadline: neither good nor bad.
            Err(Stop::TimeUp) => return result,
        };
        self.log.logins.push(LoginRow {
            provider: provider.to_owned(),
            kind: kind.to_owned(),
            start_ms,
            end_ms: now_ms(),
            ok: result.is_ok(),
            detail,
        });
        result.map_err(|stop| match stop {
            Stop::Failed(why) => Stop::Failed(format!("{kind} {provider}: {why}")),
            time_up => time_up,
        })
    }

    async fn login_steps(&mut self, provider: &str) -> Step<()> {
        let start = self.url(&format!("/login/{provider}"))?;
        let consent = self.get_following(start).await?;
        if !consent.url.path().starts_with("/_demo/") {
            return Err(
                self.fail_last(format!("no consent page: {}", describe_site_page(&consent)))
            );
        }
        let forms = html::forms(&consent.body);
        let form = consent_form(&forms).ok_or_else(|| {
            self.fail_last(format!(
                "no consent form at {} (HTTP {})",
                consent.url.path(),
                consent.status.as_u16()
            ))
        })?;
        if !form.offers("person", self.person) {
            return Err(self.fail_last(format!("the consent page does not offer {}", self.person)));
        }
        let action = consent
            .url
            .join(&form.action)
            .map_err(|e| Stop::Failed(format!("bad consent form action: {e}")))?;
        let mut fields = form.hidden.clone();
        fields.push(("person".to_owned(), self.person.to_owned()));
        fields.push(("decision".to_owned(), "authorize".to_owned()));
        let answer = self.send(action, Some(&fields)).await?;
        let landed = self.follow(answer).await?;
        if landed.status.is_server_error() {
            return Err(self.fail_last(format!("HTTP {} after the callback", landed.status)));
        }
        if let Some(error) = html::text_of_class(&landed.body, "flash flash-error") {
            return Err(self.fail_last(error));
        }
        if landed.url.path().starts_with("/_demo/") {
            return Err(self.fail_last(format!(
                "the provider refused the consent (HTTP {}): {}",
                landed.status.as_u16(),
                html::text_of_class(&landed.body, "demo-card")
                    .or_else(|| html::text_of_class(&landed.body, "dt-card"))
                    .unwrap_or_default()
            )));
        }
        if html::text_of_class(&landed.body, "flash flash-success").is_none() {
            return Err(self.fail_last(format!(
                "no success message: {}",
                describe_site_page(&landed)
            )));
        }
        Ok(())
    }

    /// Loads a page that needs a login; returns the page's CSRF token.
    async fn resource_page(&mut self, path: &str) -> Step<String> {
        self.check_time()?;
        self.part = "page";
        let url = self.url(path)?;
        let page = self.get_following(url).await?;
        if page.url.path() != path {
            let why = match html::text_of_class(&page.body, "flash flash-info") {
                Some(info) => format!("{path}: session lost, sent to {} ({info})", page.url.path()),
                None => format!("{path}: ended at {}", describe_site_page(&page)),
            };
            return Err(self.fail_last(why));
        }
        if page.status != StatusCode::OK {
            return Err(self.fail_last(format!("{path}: HTTP {}", page.status.as_u16())));
        }
        if let Some(problem) = html::text_of_class(&page.body, "notice problem") {
            return Err(self.fail_last(format!("{path}: {problem}")));
        }
        let forms = html::forms(&page.body);
        match html::form_to(&forms, "/logout").and_then(|f| f.hidden("csrf_token")) {
            Some(token) => Ok(token.to_owned()),
            None => Err(self.fail_last(format!("{path}: no log-out form"))),
        }
    }

    /// `POST /logout` with the page's CSRF token, then the home page.
    async fn logout(&mut self, csrf: String) -> Step<()> {
        self.check_time()?;
        self.part = "logout";
        let url = self.url("/logout")?;
        let answer = self
            .send(url, Some(&[("csrf_token".to_owned(), csrf)]))
            .await?;
        if answer.status != StatusCode::SEE_OTHER {
            return Err(self.fail_last(format!("logout: HTTP {}", answer.status.as_u16())));
        }
        let home = self.follow(answer).await?;
        if home.signed_in() {
            return Err(self.fail_last("logout: still logged in afterwards".to_owned()));
        }
        Ok(())
    }

    /// `GET url`, then every redirect.
    async fn get_following(&mut self, url: Url) -> Step<Page> {
        let page = self.send(url, None).await?;
        self.follow(page).await
    }

    /// Follows `page`'s redirects with `GET`, as a browser does after a
    /// form's `303`. Never leaves the site's origin.
    async fn follow(&mut self, mut page: Page) -> Step<Page> {
        for _ in 0..MAX_HOPS {
            if !page.is_redirect() {
                return Ok(page);
            }
            let Some(next) = page.location.take() else {
                return Err(self.fail_last("a redirect without Location".to_owned()));
            };
            if next.origin() != self.base.origin() {
                return Err(self.fail_last(format!("a redirect off the site, to {next}")));
            }
            page = self.send(next, None).await?;
        }
        Err(self.fail_last("too many redirects".to_owned()))
    }

    /// One request (`POST` with `form`, else `GET`), timed and recorded.
    /// No answer, or a 5xx, is a failed step.
    async fn send(&mut self, url: Url, form: Option<&[(String, String)]>) -> Step<Page> {
        let method = if form.is_some() { "POST" } else { "GET" };
        let route = format!("{method} {}", url.path());
        let start_ms = now_ms();
        let started = Instant::now();
        let request = match form {
            Some(fields) => self.client.post(url.clone()).form(fields),
            None => self.client.get(url.clone()),
        };
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| url.join(v).ok());
                response.text().await.map(|body| Page {
                    url,
                    status,
                    location,
                    body,
                })
            }
            Err(e) => Err(e),
        };
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut row = RequestRow {
            part: self.part.to_owned(),
            route,
            start_ms,
            end_ms: now_ms(),
            latency_us,
            status: 0,
            ok: true,
            detail: String::new(),
        };
        match answer {
            Ok(page) => {
                row.status = page.status.as_u16();
                let server_error = page.status.is_server_error();
                if server_error {
                    row.ok = false;
                    row.detail = format!("HTTP {}", row.status);
                }
                let route = row.route.clone();
                self.log.requests.push(row);
                if server_error {
                    Err(Stop::Failed(format!(
                        "HTTP {} at {route}",
                        page.status.as_u16()
                    )))
                } else {
                    Ok(page)
                }
            }
            Err(e) => {
                row.ok = false;
                // Without the URL: its query holds codes and states.
                row.detail = format!("no answer: {}", error_chain(&e.without_url()));
                let why = format!("{} at {}", row.detail, row.route);
                self.log.requests.push(row);
                Err(Stop::Failed(why))
            }
        }
    }

    /// Marks the last request as failed with `why` and returns the stop.
    fn fail_last(&mut self, why: String) -> Stop {
        if let Some(row) = self.log.requests.last_mut() {
            row.ok = false;
            if row.detail.is_empty() {
                row.detail.clone_from(&why);
            }
        }
        Stop::Failed(why)
    }

    fn check_time(&self) -> Step<()> {
        if Instant::now() < self.deadline {
            Ok(())
        } else {
            Err(Stop::TimeUp)
        }
    }

    fn url(&self, path: &str) -> Step<Url> {
        self.base
            .join(path)
            .map_err(|e| Stop::Failed(format!("bad path {path}: {e}")))
    }
}

/// A client as a fresh browser: empty cookie jar, no automatic redirects.
fn new_client() -> reqwest::Result<Client> {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .user_agent("trilogin-soak/0.1")
        .build()
}

/// The demo provider's consent form: the one posting under `/_demo/`.
fn consent_form(forms: &[Form]) -> Option<&Form> {
    forms.iter().find(|f| {
        f.method == "post" && f.action.contains("/_demo/") && f.hidden("consent_id").is_some()
    })
}

/// Where a site page is and what its message says, for failure details.
fn describe_site_page(page: &Page) -> String {
    let flash = [
        "flash flash-error",
        "flash flash-info",
        "flash flash-success",
    ]
    .iter()
    .find_map(|class| html::text_of_class(&page.body, class));
    match flash {
        Some(text) => format!(
            "{} (HTTP {}): {text}",
            page.url.path(),
            page.status.as_u16()
        ),
        None => format!("{} (HTTP {})", page.url.path(), page.status.as_u16()),
    }
}

/// The error and its causes on one line: reqwest's own text is only the
/// outermost ("error sending request").
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
