//! Seeded repositories of the demo people: deterministic, realistic, and
//! salted with null descriptions, non-ASCII text and HTML-hostile strings so
//! that the site's escaping is exercised by ordinary browsing.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::people::Person;

/// Repositories each person has.
pub const REPOS_PER_PERSON: usize = 34;

/// One repository, in the shape of GitHub's `GET /user/repos` items.
#[derive(Debug, Clone, Serialize)]
pub struct Repo {
    /// Numeric id.
    pub id: u64,
    /// GraphQL node id.
    pub node_id: String,
    /// Repository name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// Whether the repository is private.
    pub private: bool,
    /// The owner.
    pub owner: Owner,
    /// Web page.
    pub html_url: String,
    /// Description; GitHub sends `null` when there is none.
    pub description: Option<String>,
    /// Whether it is a fork.
    pub fork: bool,
    /// API URL.
    pub url: String,
    /// Home page, or `null`.
    pub homepage: Option<String>,
    /// Main language, or `null`.
    pub language: Option<&'static str>,
    /// Stars.
    pub stargazers_count: u32,
    /// Same as stars, as GitHub reports it.
    pub watchers_count: u32,
    /// Forks.
    pub forks_count: u32,
    /// Open issues.
    pub open_issues_count: u32,
    /// Default branch.
    pub default_branch: &'static str,
    /// Topics.
    pub topics: Vec<&'static str>,
    /// `public` or `private`.
    pub visibility: &'static str,
    /// Whether it is archived.
    pub archived: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update (RFC 3339).
    pub updated_at: String,
    /// Last push (RFC 3339).
    pub pushed_at: String,
}

/// A repository owner.
#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    /// Login.
    pub login: &'static str,
    /// Numeric id.
    pub id: u64,
    /// Avatar URL.
    pub avatar_url: String,
    /// Profile page.
    pub html_url: String,
    /// Always `User` here.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

const NAMES: [(&str, Option<&str>, Option<&str>); 40] = [
    (
        "analytical-engine",
        Some("A simulator of Babbage's Analytical Engine, mill and store included."),
        Some("Rust"),
    ),
    (
        "bernoulli-numbers",
        Some("Note G, the first published algorithm, as a test suite."),
        Some("Python"),
    ),
    (
        "punch-card-parser",
        Some("Parses Jacquard-style punch cards into instruction streams."),
        Some("C"),
    ),
    (
        "flow-matic",
        Some("An English-like data processing language, lovingly revived."),
        Some("COBOL"),
    ),
    (
        "bug-logbook",
        Some("First actual case of bug being found. 🐛"),
        Some("Markdown"),
    ),
    (
        "nanosecond-wire",
        Some("How far light travels in a nanosecond: 29.98 cm, with pictures."),
        None,
    ),
    ("univac-emulator", None, Some("C++")),
    (
        "hyphenation-da",
        Some("Danish hyphenation patterns — orddeling for æ, ø og å."),
        Some("TeX"),
    ),
    (
        "kerning-tables",
        Some("Kerning pairs for Fraktur and Antiqua; handles ß and ẞ."),
        Some("Python"),
    ),
    (
        "unicode-normalizer",
        Some("NFC/NFD/NFKC/NFKD in 400 lines: e\u{301} == é."),
        Some("Rust"),
    ),
    ("dotfiles", None, Some("Shell")),
    (
        "blog",
        Some("Source of my blog. Posts in Markdown, built with Zola."),
        Some("HTML"),
    ),
    (
        "advent-of-code-2025",
        Some("25 days, 50 stars, zero sleep."),
        Some("Rust"),
    ),
    (
        "tiny-http",
        Some("An HTTP/1.1 server in one file, for teaching."),
        Some("Go"),
    ),
    ("markdown-to-pdf", None, Some("TypeScript")),
    (
        "sqlite-notes",
        Some("Things I learned reading the SQLite source."),
        None,
    ),
    (
        "oauth-playground",
        Some("<script>alert(1)</script> — if this pops up, someone forgot to escape."),
        Some("JavaScript"),
    ),
    (
        "rss-reader",
        Some("A quiet RSS reader: no likes, no counts."),
        Some("Elm"),
    ),
    (
        "weather-cli",
        Some("curl-friendly weather in your terminal ☔"),
        Some("Rust"),
    ),
    (
        "chess-engine",
        Some("Bitboards, alpha-beta, and a lot of patience."),
        Some("C"),
    ),
    ("sudoku-solver", None, Some("Haskell")),
    (
        "raytracer",
        Some("Ray Tracing in One Weekend, in a few more weekends."),
        Some("Rust"),
    ),
    (
        "game-of-life",
        Some("Conway's Game of Life with a hashlife core."),
        Some("Zig"),
    ),
    (
        "todo-app",
        Some("Yet another todo app. \"Done\" & <b>dusted</b>."),
        Some("Kotlin"),
    ),
    ("budget-tracker", None, Some("Python")),
    (
        "recipe-box",
        Some("Grandmother's recipes: smørrebrød, æbleskiver, Käsekuchen."),
        Some("Ruby"),
    ),
    (
        "photo-resizer",
        Some("Batch-resizes photos without uploading them anywhere."),
        Some("Go"),
    ),
    ("static-site", None, Some("CSS")),
    (
        "regex-playground",
        Some("Test regular expressions against </textarea> and friends."),
        Some("TypeScript"),
    ),
    (
        "json-pretty",
        Some("Pretty-prints JSON, streams gigabytes."),
        Some("Rust"),
    ),
    (
        "csv-tools",
        Some("cut, join, sort for CSV with quoted fields done right."),
        Some("Rust"),
    ),
    ("dns-lookup", None, Some("Go")),
    (
        "compiler-notes",
        Some("Notes from writing the A-0 system, the first compiler."),
        None,
    ),
    (
        "loom-patterns",
        Some("Jacquard loom patterns as SVG."),
        Some("JavaScript"),
    ),
    (
        "tabulator",
        Some("Hollerith tabulator, 1890 census edition."),
        Some("Java"),
    ),
    (
        "lambda-calculus",
        Some("λx.x — an interpreter with de Bruijn indices."),
        Some("OCaml"),
    ),
    (
        "matrix-bot",
        Some("A Matrix bot that posts release notes."),
        Some("Python"),
    ),
    (
        "i18n-strings",
        Some("Übersetzungen, traductions, 翻訳 — string tables for 12 languages."),
        Some("JSON"),
    ),
    ("terminal-snake", None, Some("C")),
    (
        "fediverse-archive",
        Some("Archives your posts as static HTML & JSON."),
        Some("Rust"),
    ),
];

/// Index of the repository whose description is a script tag.
const HOSTILE: usize = 16;

const TOPICS: [&str; 8] = [
    "rust",
    "history",
    "cli",
    "typography",
    "compilers",
    "web",
    "unicode",
    "teaching",
];

/// A small deterministic generator (SplitMix64), so the seed data is the
/// same on every machine and every start.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The epoch of the seed data's clock: "now" for the last push.
const SEED_NOW: i64 = 1_795_000_000; // 2026-11-18

fn timestamp(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The repositories of `person`, in creation order. `provider_url` is demo
/// GitHub's base URL (ending in `/`), `avatar_url` the person's avatar.
pub fn seed(person: &Person, provider_url: &str, avatar_url: &str) -> Vec<Repo> {
    let mut rng = SplitMix(person.github_id);
    // Every person's first repository is the HTML-hostile one; the step
    // (coprime with the 40 names) gives each person another selection.
    let step = [7, 11, 13][usize::try_from(person.github_id % 3).unwrap_or(0)];
    let owner = Owner {
        login: person.github_login,
        id: person.github_id,
        avatar_url: avatar_url.to_owned(),
        html_url: format!("{provider_url}{}", person.github_login),
        kind: "User",
    };
    (0..REPOS_PER_PERSON)
        .map(|i| {
            let (name, description, language) = NAMES[(HOSTILE + i * step) % NAMES.len()];
            let id = person.github_id * 1000 + i as u64;
            let created = SEED_NOW - 86_400 * 900 + i as i64 * 86_400 * 25;
            let pushed = created + i64::try_from(rng.below(86_400 * 25)).unwrap_or(0);
            let updated = pushed + i64::try_from(rng.below(86_400)).unwrap_or(0);
            let stars = match rng.below(10) {
                0 => rng.below(5000),
                1..=3 => rng.below(200),
                _ => rng.below(20),
            };
            let stars = u32::try_from(stars).unwrap_or(0);
            let private = i % 11 == 5;
            let full_name = format!("{}/{name}", person.github_login);
            Repo {
                id,
                node_id: format!("R_kgDO{id:08}"),
                name: name.to_owned(),
                full_name: full_name.clone(),
                private,
                owner: owner.clone(),
                html_url: format!("{provider_url}{full_name}"),
                description: description.map(str::to_owned),
                fork: i % 9 == 4,
                url: format!("{provider_url}api/repos/{full_name}"),
                homepage: (i % 6 == 0).then(|| format!("https://{}.example.com/", name)),
                language,
                stargazers_count: stars,
                watchers_count: stars,
                forks_count: stars / 7,
                open_issues_count: u32::try_from(rng.below(12)).unwrap_or(0),
                default_branch: if i % 5 == 0 { "master" } else { "main" },
                topics: (0..rng.below(3))
                    .map(|_| TOPICS[usize::try_from(rng.below(8)).unwrap_or(0)])
                    .collect(),
                visibility: if private { "private" } else { "public" },
                archived: i % 13 == 12,
                created_at: timestamp(created),
                updated_at: timestamp(updated),
                pushed_at: timestamp(pushed),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::PEOPLE;

    #[test]
    fn every_person_has_thirty_distinct_repositories_and_the_same_ones_each_start() {
        for person in &PEOPLE {
            let repos = seed(person, "http://x/_demo/github/", "a.svg");
            assert!(repos.len() >= 30);
            let mut names: Vec<_> = repos.iter().map(|r| r.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), repos.len(), "names are unique per owner");
            let again = seed(person, "http://x/_demo/github/", "a.svg");
            assert_eq!(repos[7].updated_at, again[7].updated_at);
            assert_eq!(repos[7].stargazers_count, again[7].stargazers_count);
        }
    }

    #[test]
    fn the_seed_has_null_descriptions_unicode_and_hostile_html() {
        for person in &PEOPLE {
            let repos = seed(person, "http://x/", "a.svg");
            assert!(NAMES[HOSTILE].1.is_some_and(|d| d.contains("<script>")));
            assert!(repos.iter().any(|r| r.description.is_none()));
            assert!(
                repos
                    .iter()
                    .any(|r| r.description.as_deref().is_some_and(|d| !d.is_ascii()))
            );
            assert!(repos.iter().any(|r| {
                r.description
                    .as_deref()
                    .is_some_and(|d| d.contains("<script>"))
            }));
        }
    }
}
