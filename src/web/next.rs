//! The `next` parameter of `/login/{provider}`: where to go after login.
//! Only a path of this site is kept, so the login cannot be used to send
//! people to another site (open redirect).

/// `next` when it is a path of this site, `None` otherwise.
///
/// Accepted: one leading `/` followed by no second `/` or `\` (browsers
/// read `//host` and `/\host` as another host), no control characters or
/// spaces (which browsers strip before parsing), and no scheme.
pub fn same_site_path(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    if rest.starts_with(['/', '\\']) {
        return None;
    }
    if next
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if next.len() > 2048 {
        return None;
    }
    Some(next)
}

/// `?next=…` carrying `next` to the home page's log-in links, or nothing
/// when `next` is not a path of this site or is the home page itself.
pub fn next_query(next: Option<&str>) -> String {
    next.and_then(same_site_path)
        .filter(|path| *path != "/")
        .map(|path| {
            let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            format!("?next={encoded}")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_this_site_are_kept() {
        for ok in [
            "/",
            "/repos",
            "/timeline?max_id=12",
            "/account#github",
            "/a/b//c",
        ] {
            assert_eq!(same_site_path(ok), Some(ok));
        }
    }

    #[test]
    fn anything_that_leaves_the_site_is_dropped() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "http:/evil.example",
            "/x\\y",
        ] {
            assert_eq!(same_site_path(bad), None, "{bad:?} was kept");
        }
    }

    mod properties {
        use proptest::prelude::*;
        use url::Url;

        use super::super::*;

        proptest! {
            #[test]
            fn a_kept_path_never_leads_off_the_site(next in "[/\\\\a-z:.@%?#\t \\x00-\\x1f]{0,12}|.{0,16}") {
                if let Some(kept) = same_site_path(&next) {
                    let site = Url::parse("https://site.test/account").unwrap_or_else(|e| panic!("{e}"));
                    let target = site.join(kept);
                    prop_assert!(target.is_ok(), "{:?}", kept);
                    let target = target.unwrap_or_else(|e| panic!("{e}"));
                    prop_assert_eq!(target.origin(), site.origin(), "{:?}", kept);
                }
            }
        }
    }

    #[test]
    fn the_next_query_carries_a_path_of_this_site_and_nothing_else() {
        assert_eq!(next_query(None), "");
        assert_eq!(next_query(Some("/")), "");
        assert_eq!(next_query(Some("/repos")), "?next=%2Frepos");
        assert_eq!(
            next_query(Some("/timeline?max_id=1&x=2")),
            "?next=%2Ftimeline%3Fmax_id%3D1%26x%3D2"
        );
        assert_eq!(next_query(Some("//evil.example")), "");
        assert_eq!(next_query(Some("https://evil.example")), "");
    }
}
