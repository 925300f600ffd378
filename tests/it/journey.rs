//! Driving a person's login through the real pages: the site's
//! `/login/{provider}`, the demo provider's consent page, its form, and the
//! callback, with the test client (its cookies are the browser's).

#![allow(dead_code, reason = "each test module uses a different part")]

use trilogin_testing::{Browser, TestApp, location};

/// Something that browses the site: the test app's own client, or one of
/// several [`Browser`]s, each with cookies of its own.
pub trait Surf {
    /// The client, with its cookie jar.
    fn client(&self) -> &reqwest::Client;
    /// The site's origin.
    fn origin(&self) -> &str;

    /// The absolute URL of `path`.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

impl Surf for TestApp {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }
    fn origin(&self) -> &str {
        &self.address
    }
}

impl Surf for Browser {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }
    fn origin(&self) -> &str {
        &self.address
    }
}

/// Starts a login at `login_path` (e.g. `/login/github?next=/repos`),
/// answers the demo provider's consent page as `person` (`ada`, `grace`,
/// `zoe`) with `decision` (`authorize` or `deny`), and returns the
/// provider's answer: a redirect to the site's callback, not yet followed.
pub async fn consent_via_demo(
    app: &impl Surf,
    login_path: &str,
    person: &str,
    decision: &str,
) -> reqwest::Response {
    let start = app.client().get(app.url(login_path)).send().await.unwrap();
    consent_at(app, &location(&start), person, decision).await
}

/// Answers the demo provider's consent page at `to_provider` (where a
/// login start sent the browser) as `person` with `decision`; returns the
/// provider's answer, not yet followed.
pub async fn consent_at(
    app: &impl Surf,
    to_provider: &str,
    person: &str,
    decision: &str,
) -> reqwest::Response {
    let consent = app
        .client()
        .get(absolute(app, to_provider))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200, "consent page at {to_provider}");
    let page = consent.text().await.unwrap();
    let form = ConsentForm::parse(&page);
    let mut fields = form.hidden;
    fields.push(("person".to_owned(), person.to_owned()));
    fields.push(("decision".to_owned(), decision.to_owned()));
    app.client()
        .post(absolute(app, &form.action))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Follows a provider's redirect to the site's callback; returns the
/// site's answer (a redirect to `next` or `/`).
pub async fn follow_to_callback(
    app: &impl Surf,
    provider_answer: &reqwest::Response,
) -> reqwest::Response {
    let callback = location(provider_answer);
    assert!(
        callback.starts_with(app.origin()) && callback.contains("/callback"),
        "the provider sends the browser to the callback, not to {callback}"
    );
    app.client().get(callback).send().await.unwrap()
}

/// Logs `person` in with `provider` (`twitter`, `github`, `google`) the
/// way a browser would, and returns where the site sent the browser after
/// the callback (`/`, or the `next` path). Connects the provider instead
/// when someone is logged in already.
pub async fn login_via_demo(app: &impl Surf, provider: &str, person: &str) -> String {
    login_via_demo_to(app, &format!("/login/{provider}"), person).await
}

/// [`login_via_demo`] starting at `login_path`, e.g. `/login/github?next=/repos`.
pub async fn login_via_demo_to(app: &impl Surf, login_path: &str, person: &str) -> String {
    let answer = consent_via_demo(app, login_path, person, "authorize").await;
    let done = follow_to_callback(app, &answer).await;
    assert_eq!(done.status(), 303, "the callback redirects");
    location(&done)
}

/// The home page, and the flash messages on it.
pub async fn home_page(app: &TestApp) -> String {
    app.get_page("/", 200).await
}

fn absolute(app: &impl Surf, url: &str) -> String {
    if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_owned()
    }
}

/// The first POST form of a consent page: its action and hidden fields.
struct ConsentForm {
    action: String,
    hidden: Vec<(String, String)>,
}

impl ConsentForm {
    fn parse(page: &str) -> Self {
        let start = page.find("<form").expect("the consent page has a form");
        let end = page[start..]
            .find("</form>")
            .map_or(page.len(), |e| start + e);
        let form = &page[start..end];
        let open_tag = &form[..form.find('>').expect("form tag closes")];
        let action = attribute(open_tag, "action").expect("form action");
        let hidden = form
            .split('<')
            .filter(|tag| tag.starts_with("input") && tag.contains(r#"type="hidden""#))
            .map(|tag| {
                (
                    attribute(tag, "name").expect("hidden input name"),
                    attribute(tag, "value").unwrap_or_default(),
                )
            })
            .collect();
        Self { action, hidden }
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(r#" {name}=""#);
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Undoes Tera's HTML escaping.
fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
