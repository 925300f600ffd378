//! Consent pages: the page a person sees at a demo provider, and the
//! server-side record of the authorization request it answers.
//!
//! The page carries a random consent id bound to the pending request. The
//! POST must bring it back; it works once and expires, which is the
//! provider's own protection against cross-site request forgery: another
//! site cannot know the id, so it cannot make a browser grant access.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use tera::{Context, Tera};

use super::{CONSENT_TTL_SECS, random_token, token_hash};
use crate::knobs::lock;

/// The consent form's fields, the same at every demo OAuth 2 provider.
#[derive(Debug, serde::Deserialize)]
pub struct ConsentForm {
    /// The consent id the page carried (the provider's CSRF protection).
    pub consent_id: String,
    /// The chosen demo person's key.
    pub person: Option<String>,
    /// `authorize` or `deny`.
    pub decision: Option<String>,
}

const CONSENT_TEMPLATE: &str = "demo/consent.html";
const MESSAGE_TEMPLATE: &str = "demo/message.html";

/// Most consents waiting at once; beyond it the oldest are dropped, so a
/// flood of authorization requests cannot grow memory without bound.
const MAX_PENDING: usize = 10_000;

/// Which provider a page belongs to, for its branding.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Brand {
    /// Shown name, e.g. `GitHub`.
    pub brand: &'static str,
    /// CSS modifier, e.g. `github`.
    pub brand_class: &'static str,
}

/// One person offered on a consent page.
#[derive(Debug, Clone, Serialize)]
pub struct PersonChoice {
    /// Form value.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Login or e-mail under the name.
    pub handle: &'static str,
    /// Avatar image URL.
    pub avatar_url: String,
    /// Whether the radio button starts selected.
    pub checked: bool,
}

/// The consent page's view.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    /// Provider branding.
    #[serde(flatten)]
    pub brand: Brand,
    /// The client application's name.
    pub app_name: &'static str,
    /// Where the form posts.
    pub action: String,
    /// The pending request's id (see the module docs).
    pub consent_id: String,
    /// Human-readable scopes.
    pub scopes: Vec<String>,
    /// The demo people.
    pub people: Vec<PersonChoice>,
    /// Where the answer goes.
    pub redirect_to: String,
    /// URL of `demo.css`.
    pub stylesheet: String,
}

/// A page with a title and a sentence: errors and notices.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Provider branding.
    #[serde(flatten)]
    pub brand: Brand,
    /// Page title and heading.
    pub title: String,
    /// The sentence.
    pub message: String,
    /// An optional link.
    pub link: Option<String>,
    /// The link's text.
    pub link_text: String,
    /// URL of `demo.css`.
    pub stylesheet: String,
}

/// The demo pages' own templates (autoescaped), separate from the site's.
#[derive(Debug)]
pub struct Pages {
    tera: Tera,
}

impl Pages {
    /// Compiles the templates, which are built into the binary.
    pub fn new() -> anyhow::Result<Self> {
        let mut tera = Tera::default();
        tera.add_raw_templates([
            ("demo/base.html", include_str!("../../templates/base.html")),
            (
                CONSENT_TEMPLATE,
                include_str!("../../templates/consent.html"),
            ),
            (
                MESSAGE_TEMPLATE,
                include_str!("../../templates/message.html"),
            ),
        ])?;
        Ok(Self { tera })
    }

    /// The consent page.
    pub fn consent(&self, view: &ConsentView) -> HttpResponse {
        self.render(CONSENT_TEMPLATE, view, StatusCode::OK)
    }

    /// A message page with the given status.
    pub fn message(&self, view: &MessageView, status: StatusCode) -> HttpResponse {
        self.render(MESSAGE_TEMPLATE, view, status)
    }

    fn render(&self, template: &str, view: &impl Serialize, status: StatusCode) -> HttpResponse {
        let html = Context::from_serialize(view).and_then(|c| self.tera.render(template, &c));
        match html {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .insert_header(("Cache-Control", "no-store"))
                // A consent page inside someone else's frame is a clickjacking trap.
                .insert_header(("X-Frame-Options", "DENY"))
                .body(html),
            Err(e) => {
                tracing::error!(error = %e, template, "demo page failed to render");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// Authorization requests waiting for the person's answer, by consent id.
#[derive(Debug)]
pub struct PendingConsents<T> {
    entries: Mutex<HashMap<String, (T, i64)>>,
}

impl<T> Default for PendingConsents<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> PendingConsents<T> {
    /// Records a request and returns the consent id for its page.
    pub fn insert(&self, request: T, now: i64) -> String {
        let id = random_token("", 32);
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_PENDING {
            entries.retain(|_, (_, expires_at)| *expires_at > now);
        }
        if entries.len() >= MAX_PENDING {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (_, expires_at))| *expires_at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(token_hash(&id), (request, now + CONSENT_TTL_SECS));
        id
    }

    /// Takes the request for a consent id: once only, and not after it expired.
    pub fn take(&self, consent_id: &str, now: i64) -> Option<T> {
        let (request, expires_at) = lock(&self.entries).remove(&token_hash(consent_id))?;
        (expires_at > now).then_some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consent_id_works_once() {
        let pending = PendingConsents::default();
        let id = pending.insert("request", 0);
        assert_eq!(pending.take(&id, 1), Some("request"));
        assert_eq!(pending.take(&id, 1), None);
        assert_eq!(pending.take("made-up", 1), None);
    }

    #[test]
    fn a_consent_id_expires() {
        let pending = PendingConsents::default();
        let id = pending.insert(1, 0);
        assert_eq!(pending.take(&id, CONSENT_TTL_SECS), None);
    }

    #[test]
    fn the_consent_page_escapes_what_it_shows() {
        let pages = Pages::new().unwrap();
        let view = ConsentView {
            brand: Brand {
                brand: "GitHub",
                brand_class: "github",
            },
            app_name: "trilogin",
            action: "/x".into(),
            consent_id: "id\"><script>".into(),
            scopes: vec!["<script>alert(1)</script>".into()],
            people: vec![],
            redirect_to: "http://a/cb".into(),
            stylesheet: "/_demo/demo.css".into(),
        };
        let resp = pages.consent(&view);
        assert_eq!(resp.status(), StatusCode::OK);
        let body = actix_web::body::to_bytes(resp.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();
        let html = std::str::from_utf8(&body).unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
        assert!(html.contains("Demo GitHub — no real account"));
    }
}
