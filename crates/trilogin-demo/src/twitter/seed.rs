//! The demo people's tweets: fixed texts and times, the same on every start,
//! so pages, paging and tests see the same timeline.
//!
//! Some tweets are hostile on purpose (markup, entities, template syntax,
//! right-to-left text, long emoji sequences): a site that shows them must
//! escape them, and one that does not shows it at once.

use time::OffsetDateTime;
use time::macros::datetime;

use crate::people::{PEOPLE, Person};

/// Each person's tweets, newest first.
pub const TWEETS_PER_PERSON: usize = 56;

/// When the newest seeded tweet was posted; the rest go back from here.
const NEWEST: OffsetDateTime = datetime!(2025-11-14 18:30:12 UTC);

/// Twitter's epoch for snowflake ids (2010-11-04 01:42:54.657 UTC), in milliseconds.
const TWITTER_EPOCH_MS: i128 = 1_288_834_974_657;

/// One seeded tweet.
#[derive(Debug, Clone)]
pub struct Tweet {
    /// Snowflake id: far above 2^53, so JSON clients must read `id_str`.
    pub id: u64,
    /// The author.
    pub author: &'static Person,
    /// The full text.
    pub text: String,
    /// When it was posted.
    pub created_at: OffsetDateTime,
    /// Retweets.
    pub retweet_count: u64,
    /// Likes.
    pub favorite_count: u64,
}

const ADA: &[&str] = &[
    "The Analytical Engine weaves algebraical patterns just as the Jacquard loom weaves flowers and leaves.",
    "Note G is finally done. Bernoulli numbers, step by step, operation cards and all. 📜\n\nMr. Babbage says it is \"the most elaborate\" of the notes. I say it is the most fun.",
    "Poetical science: imagination is the discovering faculty, pre-eminently. #mathematics",
    "The engine has no pretensions whatever to originate anything. It can do whatever we know how to order it to perform.",
    "Reading list for the week:\n1. Menabrea's memoir (again)\n2. De Morgan's letters\n3. Anything about looms\nhttps://example.com/reading-list",
    "Translating Menabrea from French and my notes are now three times longer than the memoir. Oops.",
    "Tea with @amazing_grace today. We argued about whether a machine can compose music. I think yes, if it's told the rules of harmony.",
    "Numbers are not only for counting: the engine could act upon other things besides number. Symbols. Notes. Letters.",
    "Horse riding in the morning, calculus in the afternoon. A balanced diet. 🐎∫",
    "Operation cards and variable cards are different things, and the difference is the whole point. Thread 🧵 1/3",
    "2/3 The variable cards say *where*; the operation cards say *what*. Separate them and you can repeat a sequence of operations. A cycle.",
    "3/3 I'd call that a loop, if anyone asks. Nobody asks.",
    "If you cannot give me poetry, can you give me poetical science?",
    "Q: What's your favourite number?\nA: B₇ = −1/30. Don't @ me.",
    "The more I study, the more insatiable do I feel my genius for it to be. #learning",
    "Fixed a bug in my table of operations: V₄ and V₅ were swapped on line 4. Shipping the correction to Mr. Taylor's printers tonight.",
    "Friday mood: 0 = ½ · (2n−1)/(2n+1) + B₁·(2n)/2 + B₃·(2n)(2n−1)(2n−2)/(2·3·4) + …",
    "Mathematical science shows what is. It is the language of unseen relations between things.",
    "Visited the Difference Engine fragment again. Still beautiful. Still unfinished. https://example.org/engine?view=full&lang=en",
    "Someone asked if the engine can think. It can follow. Thinking is our department. 🤔",
];

const GRACE: &[&str] = &[
    "Here's a nanosecond: 11.8 inches of wire. That's how far light goes in a billionth of a second. Hand them out to every admiral who asks why satellite messages take so long.",
    "First actual case of bug being found. 🐛 Relay #70, Panel F, Mark II. Taped it into the logbook.",
    "The most dangerous phrase in the language is \"we've always done it this way.\"",
    "A ship in port is safe, but that's not what ships are built for. #leadership",
    "COBOL turns 2 today. 🎂\nMOVE CAKE TO TABLE.\nADD CANDLES GIVING BIRTHDAY.\nSTOP RUN.",
    "People told me computers could only do arithmetic. So I wrote a compiler. Now they do English.",
    "Go ahead and do it. You can always apologize later. (Works for compilers, less so for torpedoes.)",
    "Reminder to the young folks: you manage things, you lead people. @ada_analytical agrees, I asked.",
    "Humans are allergic to change. They love to say, \"We've always done it this way.\" I try to fight that. That's why I have a clock on my wall that runs counter-clockwise. 🕐",
    "Data without documentation is a rumor. Document your records, sailors.",
    "A-0 → A-2 → MATH-MATIC → FLOW-MATIC → COBOL. Every step somebody said it couldn't be done.",
    "Lecture tonight at the Naval War College. Bring your questions. Leave your slide rule.",
    "In pioneer days they used oxen for heavy pulling, and when one ox couldn't budge a log, they didn't try to grow a larger ox. We shouldn't be trying for bigger computers, but for more systems of computers.",
    "Today's unit test: does the program do what the manual says? Today's surprise: the manual was wrong.",
    "Picoseconds are in my other pocket. They're pepper grains. ⚫",
    "Promoted. Again. They keep retiring me and calling me back. 🇺🇸⚓",
    "If it's a good idea, go ahead and do it. It is much easier to apologize than it is to get permission.",
    "Reviewing a standard draft: 400 pages, 3 examples. Should be the other way round.",
    "Wrote a subroutine library so nobody would have to write sine tables by hand ever again. You're welcome.",
    "Hiring programmers: no experience required, curiosity mandatory. Apply at https://example.com/jobs?team=compilers&level=any",
];

const ZOE: &[&str] = &[
    "Reminder: if this shows an alert box, your site is broken: <script>alert(\"x\")</script>",
    "Fish &amp; chips. If you read \"&amp;\" there, the site escaped once (correct). If you read a bare ampersand, it escaped zero times. Twice would show &amp;amp;.",
    "Kerning is a human right. Ÿ Å Ø Æ Ğ Ş — all of them deserve better fonts. 🔤",
    "Testing my name on a new site: Zoë Østergård-Müller. Three diacritics, one hyphen, zero mojibake please.",
    "Template injection check: {{ 7*7 }} and {% raw %} and ${7*7}. Should all stay literal.",
    "שלום! مرحبا! Bidirectional text in one tweet, and the punctuation should still end up where it belongs.",
    "日本語の文字も大丈夫ですか？ 한국어도? 中文也可以吗？",
    "Family emoji length check: 👩‍👩‍👧‍👦 is one grapheme, seven code points, twenty-five bytes. Count carefully.",
    "Line one\nLine two\n\nLine four after an empty line.\n    Indented line five.",
    "\"Quotes\", 'apostrophes', `backticks` and \\backslashes\\ walk into a bar. The JSON encoder buys a round.",
    "Moved to København. Cycling in the rain is a lifestyle. 🚲🌧️ #copenhagen",
    "Unicode fact of the day: \"ß\".to_uppercase() is \"SS\". Case-insensitive login by e-mail? Careful.",
    "Found a site that renders <b>bold</b> from my bio. They escape tweets but not bios. Consistency matters.",
    "</div></section><img src=x onerror=alert(1)> — if the layout broke here, please fix your templates.",
    "Zero-width joiner, zero-width space (between the brackets: [\u{200b}]) and a soft hy\u{00ad}phen. Invisible, but they count.",
    "Reading @ada_analytical's notes again. Operation cards → Rust enums, basically. 🦀",
    "New blog post: Escaping is a function of the output context, not of the input.\nhttps://example.net/blog/escaping?ref=twitter&utm_source=demo",
    "Combining characters: e\u{301} vs é. Same picture, different bytes. Normalize before you compare.",
    "A tweet with a URL in parentheses (https://example.net/a_(b)) and one at the end: https://example.net/end.",
    "' OR '1'='1'; -- if this ever matched a row, parameterize your queries. 🙃",
];

/// Topics for the everyday tweets, one list per person in [`PEOPLE`] order.
const TOPICS: [[&str; 6]; 3] = [
    [
        "the Bernoulli table",
        "Note A",
        "the loom punch cards",
        "Babbage's letters",
        "the mill and the store",
        "a new set of operation cards",
    ],
    [
        "the FLOW-MATIC manual",
        "the Mark I logbook",
        "a compiler for the UNIVAC",
        "the COBOL standard",
        "tonight's lecture notes",
        "the Navy's payroll programs",
    ],
    [
        "the font fallback chain",
        "a Unicode normalization bug",
        "my Rust typesetting crate",
        "right-to-left layout",
        "hyphenation dictionaries",
        "the escaping checklist",
    ],
];

/// Everyday tweets, with `{}` where a topic goes.
const EVERYDAY: [&str; 12] = [
    "Spent the whole morning on {}. Progress: some. Coffee: much. ☕",
    "Small win today: {} finally makes sense.",
    "Anyone else find that {} takes twice as long as planned? Every single time.",
    "Notes on {} are up. Corrections welcome, kindness preferred.\nhttps://example.com/notes",
    "Back from a walk. Thinking about {} again. #thinking",
    "Today's plan:\n- {}\n- lunch\n- more of the first thing",
    "Weekend project: {}. Weekday project: also {}.",
    "Finished a draft on {}. Now the hard part: cutting it in half.",
    "If you ever need someone to talk about {} for an hour, I'm available. Probably too available.",
    "Question for the timeline: what is the best book about {}? 📚",
    "Rainy day, warm tea, and {}. Perfect.",
    "Late night debugging {}. The bug was a typo. It is always a typo.",
];

/// Every person's tweets, newest first; ids are unique across people.
pub fn timelines() -> Vec<Vec<Tweet>> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(index, person)| timeline(index, person))
        .collect()
}

fn timeline(index: usize, person: &'static Person) -> Vec<Tweet> {
    let own = [ADA, GRACE, ZOE][index % 3];
    let topics = TOPICS[index % 3];
    let everyday = EVERYDAY
        .iter()
        .enumerate()
        .flat_map(|(t, template)| {
            (0..3).map(move |k| template.replace("{}", topics[(t + 2 * k + index) % topics.len()]))
        })
        .collect::<Vec<_>>();
    let mut everyday = everyday.into_iter();
    let mut own = own.iter();
    let mut texts = Vec::with_capacity(TWEETS_PER_PERSON);
    // Interleave: the memorable tweets spread over the whole timeline, so
    // every page of it has some.
    for position in 0..TWEETS_PER_PERSON {
        let next = if position % 3 == 1 {
            own.next()
                .map(|t| (*t).to_owned())
                .or_else(|| everyday.next())
        } else {
            everyday
                .next()
                .or_else(|| own.next().map(|t| (*t).to_owned()))
        };
        texts.extend(next);
    }
    // The hostile ones belong on the first page too.
    if index == 2 {
        texts.swap(0, 1);
    }
    let mut created_at = NEWEST - time::Duration::minutes(41 * index as i64);
    texts
        .into_iter()
        .enumerate()
        .map(|(position, text)| {
            let noise = mix((index as u64) << 32 | position as u64);
            if position > 0 {
                // Between 20 minutes and about 19 hours between tweets.
                created_at -= time::Duration::seconds(1_200 + (noise % 67_000) as i64);
            }
            Tweet {
                id: snowflake(created_at, index as u64 + 1, position as u64),
                author: person,
                text,
                created_at,
                retweet_count: (noise >> 20) % 40,
                favorite_count: (noise >> 30) % 300,
            }
        })
        .collect()
}

/// A Twitter-style id: milliseconds since Twitter's epoch, then a 10-bit
/// worker id and a 12-bit sequence number.
fn snowflake(at: OffsetDateTime, worker: u64, sequence: u64) -> u64 {
    let millis = at.unix_timestamp_nanos() / 1_000_000 - TWITTER_EPOCH_MS;
    let millis = u64::try_from(millis).unwrap_or_default();
    millis << 22 | (worker & 0x3ff) << 12 | (sequence & 0xfff)
}

/// SplitMix64: fixed pseudo-random counts without a random number generator.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_person_has_enough_tweets_newest_first_with_large_unique_ids() {
        let all = timelines();
        let mut ids = std::collections::HashSet::new();
        for tweets in &all {
            assert_eq!(tweets.len(), TWEETS_PER_PERSON);
            assert!(tweets.windows(2).all(|w| w[0].id > w[1].id));
            assert!(tweets.windows(2).all(|w| w[0].created_at > w[1].created_at));
            for tweet in tweets {
                assert!(tweet.id > 1 << 53);
                assert!(tweet.text.chars().count() <= 280, "{}", tweet.text);
                assert!(ids.insert(tweet.id));
            }
        }
    }

    #[test]
    fn the_seed_is_the_same_on_every_start() {
        let first = timelines();
        let second = timelines();
        assert_eq!(first[1][17].id, second[1][17].id);
        assert_eq!(first[2][40].text, second[2][40].text);
    }

    #[test]
    fn hostile_text_is_on_the_first_page() {
        let zoe = &timelines()[2];
        assert!(
            zoe[..5]
                .iter()
                .any(|t| t.text.contains("<script>alert(\"x\")</script>"))
        );
        assert!(zoe[..5].iter().any(|t| t.text.contains("&amp;")));
        assert!(zoe.iter().any(|t| t.text.contains('\n')));
    }

    #[test]
    fn snowflake_ids_carry_their_time() {
        let at = datetime!(2018-10-10 20:19:24 UTC);
        let id = snowflake(at, 1, 0);
        let millis = (id >> 22) as i128 + TWITTER_EPOCH_MS;
        assert_eq!(millis, at.unix_timestamp_nanos() / 1_000_000);
    }
}
