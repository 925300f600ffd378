//! Tera, and the layout fields every page shares.
//!
//! The templates are compiled into the binary, so it runs from any folder.
//! With `ASSETS_DIR` set (development), they are read from
//! `<ASSETS_DIR>/templates` instead and read again before every render, so
//! an edit shows on the next reload of the page.

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use serde::Serialize;
use tera::Tera;

use super::session::{Flash, TypedSession};
use crate::error::AppError;

/// The templates every start must find; a missing one stops start-up
/// instead of failing the first request.
const REQUIRED: [&str; 4] = ["base.html", "home.html", "404.html", "error.html"];

/// Every template of `templates/`, compiled in.
const EMBEDDED: [(&str, &str); 13] = [
    ("404.html", include_str!("../../templates/404.html")),
    ("account.html", include_str!("../../templates/account.html")),
    ("base.html", include_str!("../../templates/base.html")),
    ("confirm.html", include_str!("../../templates/confirm.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("logout.html", include_str!("../../templates/logout.html")),
    ("merge.html", include_str!("../../templates/merge.html")),
    ("problem.html", include_str!("../../templates/problem.html")),
    ("profile.html", include_str!("../../templates/profile.html")),
    ("repos.html", include_str!("../../templates/repos.html")),
    (
        "timeline.html",
        include_str!("../../templates/timeline.html"),
    ),
];

/// The site's name, as the header shows it.
pub const APP_NAME: &str = "trilogin";

/// The compiled templates. Autoescaping is on for every `.html` template.
#[derive(Debug)]
pub struct Templates {
    tera: RwLock<Tera>,
    /// Where the templates are read from in development; `None` when they
    /// are the compiled-in ones.
    dir: Option<PathBuf>,
}

impl Templates {
    /// The templates compiled into the binary.
    pub fn embedded() -> anyhow::Result<Self> {
        let mut tera = Tera::default();
        tera.add_raw_templates(EMBEDDED)
            .map_err(|e| anyhow::anyhow!("compiled-in templates: {}", chain(&e)))?;
        tera.autoescape_on(vec![".html"]);
        Self::checked(tera, None)
    }

    /// Compiles `<dir>/**/*.html`, and reads them again before each render.
    pub fn from_dir(dir: &Path) -> anyhow::Result<Self> {
        let glob = dir.join("**").join("*.html");
        let tera = Tera::new(&glob.to_string_lossy())
            .map_err(|e| anyhow::anyhow!("templates in {}: {}", dir.display(), chain(&e)))?;
        Self::checked(tera, Some(dir.to_path_buf()))
    }

    fn checked(tera: Tera, dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let names: Vec<&str> = tera.get_template_names().collect();
        if let Some(missing) = REQUIRED.iter().find(|name| !names.contains(name)) {
            let place = dir
                .as_ref()
                .map_or("the binary".to_owned(), |d| d.display().to_string());
            anyhow::bail!("template {missing} not found in {place}");
        }
        Ok(Self {
            tera: RwLock::new(tera),
            dir,
        })
    }

    /// Renders `name` with the fields of `view`.
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String, AppError> {
        let context = tera::Context::from_serialize(view)?;
        if let Some(dir) = &self.dir {
            let mut tera = self.tera.write().unwrap_or_else(PoisonError::into_inner);
            tera.full_reload().map_err(|e| {
                AppError::internal(anyhow::anyhow!(
                    "templates in {}: {}",
                    dir.display(),
                    chain(&e)
                ))
            })?;
        }
        self.tera
            .read()
            .unwrap_or_else(PoisonError::into_inner)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_of_the_folder_is_compiled_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".html"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(name, _)| *name).collect();
        assert_eq!(on_disk, embedded);
        for (name, text) in EMBEDDED {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), text);
        }
    }

    #[test]
    fn compiled_in_and_folder_templates_render_the_same_page() {
        let view = Layout::bare("Page", DemoBanner::None);
        let error = serde_json::json!({"status": 404, "message": "Nothing", "request_id": null});
        let mut fields = serde_json::to_value(&view).unwrap();
        fields
            .as_object_mut()
            .unwrap()
            .extend(error.as_object().unwrap().clone());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let embedded = Templates::embedded()
            .unwrap()
            .render("404.html", &fields)
            .unwrap();
        let from_dir = Templates::from_dir(&dir)
            .unwrap()
            .render("404.html", &fields)
            .unwrap();
        assert_eq!(embedded, from_dir);
        assert!(embedded.contains("<title>"));
    }
}
