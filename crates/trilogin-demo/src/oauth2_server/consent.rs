//! Consent pages: the page a person sees at a demo provider, and the
//! server-side record of the authorization request it answers.
//!
//! The page carries a random consent id bound to the pending request. The
//! POST must bring it back; it is answered once (the same answer again
//! within a few seconds repeats its redirect) and expires, which is the
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
use crate::replay::RecentAnswers;

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
    /// Compiles the shared templates and a provider's `own`, all built
    /// into the binary.
    pub fn new(own: &[(&str, &str)]) -> anyhow::Result<Self> {
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
        tera.add_raw_templates(own.iter().copied())?;
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

    /// Any of the templates, with `status`.
    pub fn render(
        &self,
        template: &str,
        view: &impl Serialize,
        status: StatusCode,
    ) -> HttpResponse {
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

/// Authorization requests waiting for the person's answer, by consent id,
/// and the redirects of those answered in the last few seconds.
#[derive(Debug)]
pub struct PendingConsents<T> {
    inner: Mutex<Consents<T>>,
}

#[derive(Debug)]
struct Consents<T> {
    waiting: HashMap<String, (T, i64)>,
    answered: RecentAnswers<String, String>,
}

impl<T> Default for PendingConsents<T> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Consents {
                waiting: HashMap::new(),
                answered: RecentAnswers::default(),
            }),
        }
    }
}

impl<T> PendingConsents<T> {
    /// Records a request and returns the consent id for its page.
    pub fn insert(&self, request: T, now: i64) -> String {
        let id = random_token("", 32);
        let entries = &mut lock(&self.inner).waiting;
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

    /// Answers the request of a consent id with `decision`: `redirect`
    /// turns the request into the URL the browser is sent to.
    ///
    /// The request is taken once; the same decision sent again within
    /// [`REPLAY_SECS`](crate::replay::REPLAY_SECS) gets the same URL without
    /// calling `redirect` again. `None` for an unknown or expired consent,
    /// and for one answered otherwise or longer ago. When `redirect` fails,
    /// the consent is spent and its error returned.
    pub fn answer<E>(
        &self,
        consent_id: &str,
        decision: String,
        now: i64,
        redirect: impl FnOnce(T) -> Result<String, E>,
    ) -> Option<Result<String, E>> {
        let key = token_hash(consent_id);
        let mut inner = lock(&self.inner);
        if let Some(location) = inner.answered.recall(&key, &decision, now) {
            return Some(Ok(location));
        }
        let (request, expires_at) = inner.waiting.remove(&key)?;
        if expires_at <= now {
            return None;
        }
        // The answer is made under the lock, so a second click waits for it
        // rather than finding the consent taken and not yet remembered.
        let location = redirect(request);
        if let Ok(location) = &location {
            inner
                .answered
                .remember(key, decision, location.clone(), now);
        }
        Some(location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::REPLAY_SECS;

    fn answer(
        pending: &PendingConsents<&'static str>,
        id: &str,
        decision: &str,
        now: i64,
    ) -> Option<String> {
        pending
            .answer(id, decision.to_owned(), now, |request| {
                Ok::<_, ()>(format!("{request}-{decision}"))
            })
            .map(|answered| answered.unwrap())
    }

    #[test]
    fn a_consent_id_is_answered_once_and_then_only_repeated() {
        let pending = PendingConsents::default();
        let id = pending.insert("request", 0);
        let mut calls = 0;
        let first = pending.answer(&id, "authorize".into(), 1, |request| {
            calls += 1;
            Ok::<_, ()>(format!("{request}-{calls}"))
        });
        let again = pending.answer(&id, "authorize".into(), 2, |_| {
            calls += 1;
            Ok::<_, ()>(String::from("a second answer"))
        });
        assert_eq!(first, Some(Ok("request-1".to_owned())));
        assert_eq!(again, first);
        assert_eq!(calls, 1);
        assert_eq!(answer(&pending, "made-up", "authorize", 1), None);
    }

    #[test]
    fn another_decision_or_a_late_repeat_is_refused() {
        let pending = PendingConsents::default();
        let id = pending.insert("request", 0);
        assert!(answer(&pending, &id, "authorize:ada", 1).is_some());
        assert_eq!(answer(&pending, &id, "deny", 2), None);
        assert_eq!(
            answer(&pending, &id, "authorize:ada", 1 + REPLAY_SECS),
            None
        );
    }

    #[test]
    fn a_failed_answer_spends_the_consent() {
        let pending = PendingConsents::default();
        let id = pending.insert("request", 0);
        assert_eq!(
            pending.answer(&id, "x".into(), 1, |_| Err("no")),
            Some(Err("no"))
        );
        assert_eq!(answer(&pending, &id, "x", 1), None);
    }

    #[test]
    fn a_consent_id_expires() {
        let pending = PendingConsents::default();
        let id = pending.insert("request", 0);
        assert_eq!(answer(&pending, &id, "deny", CONSENT_TTL_SECS), None);
    }

    #[test]
    fn the_consent_page_escapes_what_it_shows() {
        let pages = Pages::new(&[]).unwrap();
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
