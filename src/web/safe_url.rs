//! URLs a provider chose, checked before a page uses them as a link or an
//! image. Autoescaping keeps them from breaking out of the attribute, but
//! not from being `javascript:` (a script run on click, with this site's
//! cookies) or `data:` (a page or image made up by whoever wrote it): only
//! absolute `http(s)` URLs pass.

use serde::Serialize;
use url::Url;

/// An absolute `http` or `https` URL, fit for `href` and `src`.
/// Serialises as the URL string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SafeUrl(String);

impl SafeUrl {
    /// `url` when it is an absolute `http(s)` URL; `None` for any other
    /// scheme, a relative or a malformed URL. The URL is kept as the
    /// WHATWG parser normalises it, which is how a browser reads it: tabs
    /// or newlines inside `java\tscript:` cannot smuggle a scheme past the
    /// check.
    pub fn new(url: &str) -> Option<Self> {
        let parsed = Url::parse(url).ok()?;
        matches!(parsed.scheme(), "http" | "https").then(|| Self(parsed.into()))
    }

    /// [`SafeUrl::new`] of an optional URL.
    pub fn from_option(url: Option<&str>) -> Option<Self> {
        url.and_then(Self::new)
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_pass() {
        for url in [
            "https://github.com/ada/engine",
            "http://127.0.0.1:8080/_demo/avatars/ada.svg",
            "HTTPS://avatars.example/a.png?s=40&v=4",
        ] {
            assert!(SafeUrl::new(url).is_some(), "{url}");
        }
        assert_eq!(
            SafeUrl::new(" https://example.com/a b").map(|u| u.as_str().to_owned()),
            Some("https://example.com/a%20b".to_owned()),
            "kept as the browser would read it"
        );
    }

    #[test]
    fn script_data_and_other_schemes_are_refused() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{0}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:image/svg+xml;base64,PHN2Zz4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://example.com/a.png",
            "blob:https://example.com/uuid",
        ] {
            assert_eq!(SafeUrl::new(url), None, "{url:?}");
        }
    }

    #[test]
    fn relative_and_malformed_urls_are_refused() {
        for url in [
            "",
            "/repos",
            "//evil.example/a.png",
            "ada/engine",
            "http://",
            "https://[::1",
        ] {
            assert_eq!(SafeUrl::new(url), None, "{url:?}");
        }
    }

    #[test]
    fn it_serialises_as_the_bare_url_and_none_as_null() {
        let url = SafeUrl::new("https://example.com/a.png");
        assert_eq!(
            serde_json::to_value(&url).unwrap(),
            serde_json::json!("https://example.com/a.png")
        );
        assert_eq!(
            serde_json::to_value(SafeUrl::from_option(Some("data:,x"))).unwrap(),
            serde_json::Value::Null
        );
    }
}
