//! The three demo people every demo provider knows. Each provider gives them
//! its own identifiers, as the real providers would; the site must never
//! link them by e-mail address.

/// A demo person, as the consent pages offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Stable short key, used in forms and avatar URLs.
    pub key: &'static str,
    /// Full display name.
    pub name: &'static str,
    /// GitHub login.
    pub github_login: &'static str,
    /// GitHub numeric user id.
    pub github_id: u64,
    /// Whether GitHub's `/user` hides the e-mail (then only `/user/emails` shows it).
    pub github_email_private: bool,
    /// Twitter screen name.
    pub twitter_screen_name: &'static str,
    /// Twitter user id, above 2^53 like real ones, so it must travel as a string.
    pub twitter_id: u64,
    /// Google subject identifier.
    pub google_sub: &'static str,
    /// E-mail address.
    pub email: &'static str,
    /// One-line biography.
    pub bio: &'static str,
    /// City shown on profiles.
    pub location: &'static str,
    /// Avatar colour (hex, no `#`), for the generated SVG avatar.
    pub colour: &'static str,
}

/// Ada, Grace (private GitHub e-mail) and Zoë (non-ASCII name).
pub const PEOPLE: [Person; 3] = [
    Person {
        key: "ada",
        name: "Ada Lovelace",
        github_login: "ada-lovelace",
        github_id: 1_815_001,
        github_email_private: false,
        twitter_screen_name: "ada_analytical",
        twitter_id: 1_457_812_345_678_901_249,
        google_sub: "108123456789012345671",
        email: "ada@example.com",
        bio: "Notes on the Analytical Engine. First programmer, by most accounts.",
        location: "London",
        colour: "6d28d9",
    },
    Person {
        key: "grace",
        name: "Grace Hopper",
        github_login: "grace-hopper",
        github_id: 1_906_002,
        github_email_private: true,
        twitter_screen_name: "amazing_grace",
        twitter_id: 1_457_812_345_678_901_250,
        google_sub: "108123456789012345672",
        email: "grace@example.org",
        bio: "It's easier to ask forgiveness than it is to get permission.",
        location: "Arlington, Virginia",
        colour: "0f766e",
    },
    Person {
        key: "zoe",
        name: "Zoë Østergård-Müller",
        github_login: "zoe-om",
        github_id: 1_990_003,
        github_email_private: false,
        twitter_screen_name: "zoe_om",
        twitter_id: 1_457_812_345_678_901_251,
        google_sub: "108123456789012345673",
        email: "zoe@example.net",
        bio: "Typesetting, Unicode, and <b>escaping</b> things properly — 🦀.",
        location: "København",
        colour: "b45309",
    },
];

/// The person with this key.
pub fn find(key: &str) -> Option<&'static Person> {
    PEOPLE.iter().find(|p| p.key == key)
}

/// A circle with the person's initials, as SVG: avatars without any external request.
pub fn avatar_svg(person: &Person) -> String {
    let initials: String = person
        .name
        .split([' ', '-'])
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="{name}">"##,
            r##"<circle cx="64" cy="64" r="64" fill="#{colour}"/>"##,
            r##"<text x="64" y="80" font-family="system-ui,sans-serif" font-size="48" font-weight="600" fill="#fff" text-anchor="middle">{initials}</text></svg>"##
        ),
        name = person.name,
        colour = person.colour,
        initials = initials
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_have_distinct_identities_at_every_provider() {
        for (i, a) in PEOPLE.iter().enumerate() {
            for b in &PEOPLE[i + 1..] {
                assert_ne!(a.key, b.key);
                assert_ne!(a.github_id, b.github_id);
                assert_ne!(a.twitter_id, b.twitter_id);
                assert_ne!(a.google_sub, b.google_sub);
            }
        }
        assert!(PEOPLE.iter().all(|p| p.twitter_id > 1 << 53));
    }

    #[test]
    fn avatar_shows_initials() {
        let svg = avatar_svg(&PEOPLE[0]);
        assert!(svg.contains(">AL</text>"));
        assert!(svg.starts_with("<svg"));
    }
}
