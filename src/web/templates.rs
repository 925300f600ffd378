//! Tera, loaded once at start-up, and the layout fields every page shares.

use std::path::Path;

use serde::Serialize;
use tera::Tera;

use super::session::{Flash, TypedSession};
use crate::error::AppError;

/// The templates every start must find; a missing one stops start-up
/// instead of failing the first request.
const REQUIRED: [&str; 4] = ["base.html", "home.html", "404.html", "error.html"];

/// The site's name, as the header shows it.
pub const APP_NAME: &str = "trilogin";

/// The compiled templates. Autoescaping is on for every `.html` template.
#[derive(Debug)]
pub struct Templates(Tera);

impl Templates {
    /// Compiles `<dir>/**/*.html`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let glob = dir.join("**").join("*.html");
        let tera = Tera::new(&glob.to_string_lossy())
            .map_err(|e| anyhow::anyhow!("templates in {}: {}", dir.display(), chain(&e)))?;
        let names: Vec<&str> = tera.get_template_names().collect();
        if let Some(missing) = REQUIRED.iter().find(|name| !names.contains(name)) {
            anyhow::bail!(
                "template {missing} not found under {} (start the app from the project folder)",
                dir.display()
            );
        }
        Ok(Self(tera))
    }

    /// Renders `name` with the fields of `view`.
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String, AppError> {
        let context = tera::Context::from_serialize(view)?;
        self.0
            .render(name, &context)
            .map_err(|e| AppError::internal(anyhow::anyhow!("rendering {name}: {}", chain(&e))))
    }
}

/// Tera's messages hide the useful part in the source chain.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The demo banner `base.html` shows, by where the demo providers serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DemoBanner {
    /// No demo provider is served: no banner.
    None,
    /// Demo providers on a loopback `APP_URL`: no real account is involved.
    Local,
    /// Demo providers on an `APP_URL` off loopback (`DEMO_PROVIDERS=on`):
    /// their secrets are published, so anyone can log in through them.
    Public,
}

/// The fields `base.html` reads, flattened into every page's view.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    /// The site's name.
    pub app_name: &'static str,
    /// `<title>` of the page, before the site name.
    pub title: String,
    /// Which demo banner the page carries.
    pub demo_banner: DemoBanner,
    /// Messages queued by the previous request.
    pub flashes: Vec<Flash>,
    /// True when someone is logged in (the header shows Account and Log out).
    pub signed_in: bool,
    /// The CSRF token of the header's log-out form, when signed in.
    pub csrf_token: Option<String>,
}

impl Layout {
    /// The layout of a page rendered for `session`: takes its flash messages.
    pub fn for_session(
        title: impl Into<String>,
        demo_banner: DemoBanner,
        session: &TypedSession,
    ) -> Result<Self, AppError> {
        let signed_in = session.user_id()?.is_some();
        Ok(Self {
            app_name: APP_NAME,
            title: title.into(),
            demo_banner,
            flashes: session.take_flashes(),
            signed_in,
            csrf_token: signed_in.then(|| session.csrf_token()).transpose()?,
        })
    }

    /// The layout of a page rendered without a session (error pages).
    pub fn bare(title: impl Into<String>, demo_banner: DemoBanner) -> Self {
        Self {
            app_name: APP_NAME,
            title: title.into(),
            demo_banner,
            flashes: Vec::new(),
            signed_in: false,
            csrf_token: None,
        }
    }
}
