//! Benchmark data: a newsroom of N articles as a `gazette import` file (NDJSON).
//!
//! ```sh
//! cargo run --release --example bench-gen -- --articles 1000 --out bench/work/1000.ndjson
//! ```
//!
//! Deterministic for a given `--seed` (a splitmix64 generator, no dependencies): 50 tags;
//! articles of about 10 KB of Markdown each (paragraphs, subheadings, a list, a quotation,
//! emphasis and links), every one published, with a byline, a feature image, 3 tags (some
//! sections far busier than others) and 4 related links (3 to nearby articles, 1 external).
//! Prose is drawn from a word list with a Zipf distribution, and names of places and people
//! from pools, so that a search for a name finds a realistic fraction of the archive.
//! Articles come newest first, one every 20 minutes back from 2026-11-01.

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use serde::Serialize;

/// splitmix64: tiny, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Samples indexes `0..n` with probability proportional to `1 / (i + 1)^s`.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().expect("not empty");
        let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative.partition_point(|c| *c < x)
    }
}

const TAGS: [&str; 50] = [
    "City Hall",
    "Transport",
    "Business",
    "Sport",
    "Weather",
    "Education",
    "Health",
    "Housing",
    "Environment",
    "Culture",
    "Crime",
    "Courts",
    "Politics",
    "Economy",
    "Technology",
    "Science",
    "Energy",
    "Harbour",
    "Fishing",
    "Tourism",
    "Food and Drink",
    "Music",
    "Film",
    "Theatre",
    "Books",
    "Art",
    "History",
    "Religion",
    "Community",
    "Obituaries",
    "Opinion",
    "Letters",
    "Schools",
    "Universities",
    "Hospitals",
    "Police",
    "Fire Service",
    "Roads",
    "Rail",
    "Ferries",
    "Airport",
    "Planning",
    "Property",
    "Jobs",
    "Retail",
    "Farming",
    "Wildlife",
    "Coast",
    "Elections",
    "Budget",
];

const TAG_DESCRIPTIONS: [&str; 5] = [
    "News, analysis and reader questions about {}.",
    "Everything the newsroom reports on {} in Port Calder and around.",
    "Our reporters follow {} every day.",
    "The latest on {}, from the council chamber to the street.",
    "Stories, interviews and data on {}.",
];

/// The prose vocabulary, most frequent first (a Zipf distribution draws from it).
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "is",
    "was",
    "for",
    "on",
    "it",
    "with",
    "as",
    "at",
    "by",
    "this",
    "from",
    "be",
    "have",
    "which",
    "or",
    "are",
    "an",
    "but",
    "not",
    "they",
    "had",
    "were",
    "has",
    "their",
    "been",
    "more",
    "will",
    "would",
    "there",
    "said",
    "year",
    "new",
    "people",
    "council",
    "city",
    "years",
    "first",
    "last",
    "local",
    "week",
    "two",
    "now",
    "plans",
    "after",
    "about",
    "over",
    "could",
    "residents",
    "public",
    "time",
    "than",
    "into",
    "also",
    "some",
    "other",
    "work",
    "before",
    "money",
    "three",
    "million",
    "since",
    "under",
    "harbour",
    "street",
    "service",
    "project",
    "centre",
    "during",
    "report",
    "board",
    "between",
    "members",
    "change",
    "support",
    "school",
    "water",
    "meeting",
    "families",
    "business",
    "number",
    "market",
    "families",
    "group",
    "morning",
    "evening",
    "police",
    "morning",
    "station",
    "funding",
    "budget",
    "proposal",
    "decision",
    "community",
    "district",
    "coast",
    "season",
    "team",
    "match",
    "club",
    "league",
    "players",
    "supporters",
    "ground",
    "record",
    "weather",
    "storm",
    "rain",
    "wind",
    "flood",
    "warning",
    "forecast",
    "tide",
    "ferry",
    "tram",
    "bus",
    "road",
    "bridge",
    "route",
    "traffic",
    "passengers",
    "timetable",
    "depot",
    "line",
    "housing",
    "homes",
    "rent",
    "tenants",
    "landlords",
    "estate",
    "development",
    "planning",
    "application",
    "permission",
    "heritage",
    "building",
    "site",
    "office",
    "shops",
    "traders",
    "jobs",
    "workers",
    "union",
    "strike",
    "pay",
    "wages",
    "prices",
    "costs",
    "inflation",
    "energy",
    "heating",
    "bills",
    "schools",
    "pupils",
    "teachers",
    "college",
    "students",
    "library",
    "hospital",
    "patients",
    "doctors",
    "nurses",
    "clinic",
    "waiting",
    "health",
    "care",
    "elderly",
    "children",
    "parents",
    "volunteers",
    "charity",
    "festival",
    "concert",
    "exhibition",
    "theatre",
    "gallery",
    "museum",
    "film",
    "book",
    "author",
    "music",
    "band",
    "audience",
    "tickets",
    "visitors",
    "tourists",
    "summer",
    "winter",
    "spring",
    "autumn",
    "morning",
    "night",
    "weekend",
    "month",
    "decade",
    "history",
    "future",
    "review",
    "inquiry",
    "investigation",
    "court",
    "judge",
    "trial",
    "evidence",
    "witness",
    "sentence",
    "appeal",
    "officers",
    "arrest",
    "charge",
    "crime",
    "safety",
    "fire",
    "crew",
    "rescue",
    "lifeboat",
    "fishing",
    "boats",
    "catch",
    "quota",
    "quay",
    "pier",
    "dock",
    "cargo",
    "containers",
    "port",
    "authority",
    "chairman",
    "chief",
    "executive",
    "mayor",
    "councillor",
    "minister",
    "government",
    "election",
    "vote",
    "candidates",
    "campaign",
    "party",
    "opposition",
    "majority",
    "committee",
    "chamber",
    "debate",
    "motion",
    "amendment",
    "policy",
    "strategy",
    "consultation",
    "survey",
    "data",
    "figures",
    "percent",
    "average",
    "increase",
    "decrease",
    "rise",
    "fall",
    "growth",
    "investment",
    "grant",
    "loan",
    "contract",
    "tender",
    "company",
    "firm",
    "owner",
    "director",
    "manager",
    "staff",
    "employees",
    "customers",
    "sales",
    "profit",
    "loss",
    "shares",
    "bank",
    "insurance",
    "claims",
    "damage",
    "repairs",
    "works",
    "closure",
    "opening",
    "launch",
    "announcement",
    "statement",
    "spokesperson",
    "told",
    "added",
    "explained",
    "warned",
    "confirmed",
    "announced",
    "expected",
    "planned",
    "agreed",
    "approved",
    "rejected",
    "delayed",
    "cancelled",
    "completed",
    "begun",
    "started",
    "finished",
    "reached",
    "raised",
    "cut",
    "spent",
    "paid",
    "saved",
    "lost",
    "won",
    "beat",
    "drew",
    "scored",
    "signed",
    "joined",
    "left",
    "returned",
    "moved",
    "opened",
    "closed",
    "built",
    "restored",
    "repaired",
    "replaced",
    "extended",
    "expanded",
    "reduced",
    "improved",
    "important",
    "significant",
    "major",
    "small",
    "large",
    "long",
    "short",
    "early",
    "late",
    "recent",
    "current",
    "former",
    "previous",
    "next",
    "final",
    "annual",
    "monthly",
    "daily",
    "national",
    "regional",
    "coastal",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "historic",
    "modern",
    "popular",
    "busy",
    "quiet",
    "difficult",
    "simple",
    "clear",
    "open",
    "free",
    "full",
    "empty",
    "high",
    "low",
    "strong",
    "weak",
    "safe",
    "dangerous",
    "green",
    "clean",
    "cheap",
    "expensive",
    "fair",
    "unfair",
    "independent",
    "private",
    "seagrass",
    "dredging",
    "lanterns",
    "allotments",
    "cycle",
    "lanes",
    "parking",
    "pavements",
    "lighting",
    "benches",
    "playground",
    "pool",
    "stadium",
    "pavilion",
    "bandstand",
    "promenade",
    "lighthouse",
    "breakwater",
    "marina",
    "shipyard",
    "warehouse",
    "brewery",
    "bakery",
    "cafe",
    "restaurant",
    "pub",
    "hotel",
    "hostel",
    "campsite",
    "orchard",
    "vineyard",
    "meadow",
    "woodland",
    "estuary",
    "dunes",
    "cliffs",
    "beach",
    "cove",
    "island",
];

const PLACE_HEADS: [&str; 20] = [
    "Harrow", "Gull", "East", "West", "North", "South", "Calder", "Ash", "Oak", "Thorn", "Kings",
    "Queens", "Mill", "Bridge", "Salt", "Stone", "Wyn", "Hollin", "Marl", "Fen",
];
const PLACE_TAILS: [&str; 10] = [
    "mere", "haven", "brook", "field", "ford", "wick", "by", "ton", "combe", "stead",
];
const FIRST_NAMES: [&str; 40] = [
    "Ana", "Kofi", "Lewis", "Dev", "Maya", "Tomasz", "Aisha", "Iain", "Priya", "Owen", "Lena",
    "Samir", "Grace", "Niamh", "Jonas", "Ruth", "Callum", "Mei", "Hassan", "Eilidh", "Marta",
    "Felix", "Zara", "Rhys", "Ines", "Arjun", "Sofia", "Ewan", "Chloe", "Bilal", "Freya", "Dmitri",
    "Hana", "Seamus", "Leila", "Oscar", "Amara", "Pavel", "Yusuf", "Isla",
];
const LAST_NAMES: [&str; 40] = [
    "Ruiz",
    "Danquah",
    "Carrow",
    "Whitcombe",
    "Okafor",
    "Nowak",
    "Rahman",
    "MacLeod",
    "Shah",
    "Pritchard",
    "Berg",
    "Haddad",
    "Osei",
    "Brennan",
    "Lindqvist",
    "Abbott",
    "Fraser",
    "Lin",
    "Karimi",
    "Morrison",
    "Kowalski",
    "Hartmann",
    "Begum",
    "Llewellyn",
    "Costa",
    "Mehta",
    "Rossi",
    "Grant",
    "Dubois",
    "Aziz",
    "Sinclair",
    "Volkov",
    "Tanaka",
    "Doyle",
    "Mansour",
    "Lund",
    "Eze",
    "Novak",
    "Yilmaz",
    "Campbell",
];

/// Place names: 200 of them.
fn places() -> Vec<String> {
    PLACE_HEADS
        .iter()
        .flat_map(|h| PLACE_TAILS.iter().map(move |t| format!("{h}{t}")))
        .collect()
}

/// People: 1,600 of them.
fn people() -> Vec<String> {
    FIRST_NAMES
        .iter()
        .flat_map(|f| LAST_NAMES.iter().map(move |l| format!("{f} {l}")))
        .collect()
}

fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

struct Newsroom {
    rng: Rng,
    words: Zipf,
    tags: Zipf,
    places: Vec<String>,
    people: Vec<String>,
}

impl Newsroom {
    fn word(&mut self) -> &'static str {
        WORDS[self.words.sample(&mut self.rng)]
    }

    /// A sentence of 10 to 24 words; names of the article's places and people appear in it.
    fn sentence(&mut self, names: &[String], out: &mut String) {
        let n = self.rng.between(10, 24);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let roll = self.rng.below(100);
            if roll < 6 {
                out.push_str(&names[self.rng.below(names.len())]);
            } else if roll < 7 {
                // Someone from anywhere: a name the article is not about.
                let p = self.rng.below(self.people.len());
                out.push_str(&self.people[p]);
            } else if roll < 9 && i > 0 {
                let w = self.word();
                let _ = write!(out, "**{w}**");
            } else if roll < 10 && i > 0 {
                let w = self.word();
                let _ = write!(out, "*{w}*");
            } else {
                let w = self.word();
                if i == 0 {
                    out.push_str(&capitalize(w));
                } else {
                    out.push_str(w);
                }
            }
        }
        out.push_str(if self.rng.chance(8) { "?" } else { "." });
    }

    fn paragraph(&mut self, names: &[String], out: &mut String) {
        let n = self.rng.between(3, 6);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            self.sentence(names, out);
        }
        if self.rng.chance(10) {
            let w = self.word();
            let _ = write!(
                out,
                " See [the {w} report](https://example.org/reports/{}).",
                self.rng.below(100_000)
            );
        }
        out.push_str("\n\n");
    }

    fn title(&mut self, names: &[String]) -> String {
        let mut words = vec![names[0].clone()];
        for _ in 0..self.rng.between(5, 9) {
            let w = self.word();
            words.push(capitalize(w));
        }
        if self.rng.chance(50) {
            let at = self.rng.below(words.len());
            words.swap(0, at);
        }
        words.join(" ")
    }

    /// About `target` bytes of Markdown.
    fn body(&mut self, names: &[String], target: usize) -> String {
        let mut out = String::with_capacity(target + 1024);
        let mut paragraphs = 0;
        while out.len() < target {
            if paragraphs > 0 && paragraphs % 4 == 0 {
                let mut heading = String::new();
                self.sentence(names, &mut heading);
                let heading: String = heading
                    .trim_end_matches(['.', '?'])
                    .replace('*', "")
                    .split(' ')
                    .take(7)
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = write!(out, "## {heading}\n\n");
            }
            match paragraphs % 9 {
                5 => {
                    for _ in 0..self.rng.between(3, 5) {
                        out.push_str("- ");
                        self.sentence(names, &mut out);
                        out.push('\n');
                    }
                    out.push('\n');
                }
                7 => {
                    out.push_str("> ");
                    self.sentence(names, &mut out);
                    out.push_str("\n\n");
                }
                _ => self.paragraph(names, &mut out),
            }
            paragraphs += 1;
        }
        out.truncate(out.trim_end().len());
        out
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Record<'a> {
    GazetteExport {
        version: u32,
    },
    Tag {
        slug: String,
        name: &'a str,
        description: String,
        created_at: &'a str,
        updated_at: &'a str,
    },
    Article {
        slug: &'a str,
        title: &'a str,
        summary: &'a str,
        body: &'a str,
        status: &'a str,
        published_at: &'a str,
        byline: &'a str,
        feature_image_url: String,
        created_at: &'a str,
        updated_at: &'a str,
        tags: Vec<String>,
        related: Vec<serde_json::Value>,
        former_slugs: [&'a str; 0],
    },
}

/// RFC 3339 UTC for `seconds` after the Unix epoch (no time zone database needed).
fn timestamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn usage() -> ! {
    eprintln!(
        "usage: bench-gen [--articles N] [--seed N] [--body-bytes N] [--out FILE]\n\
         Writes a `gazette import` file of N articles (default 1000) to FILE or stdout."
    );
    std::process::exit(2)
}

fn main() -> io::Result<()> {
    let mut articles = 1000usize;
    let mut seed = 1u64;
    let mut body_bytes = 10_000usize;
    let mut out_path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--articles" => articles = value().parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage()),
            "--body-bytes" => body_bytes = value().parse().unwrap_or_else(|_| usage()),
            "--out" => out_path = Some(value()),
            _ => usage(),
        }
    }
    let sink: Box<dyn Write> = match &out_path {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let line = |out: &mut BufWriter<Box<dyn Write>>, record: &Record| -> io::Result<()> {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")
    };

    // 2026-11-01T00:00:00Z; one article every 20 minutes before it.
    let newest: i64 = 1_793_491_200;
    let step: i64 = 20 * 60;
    let oldest = newest - step * articles as i64;
    let tags_created = timestamp(oldest - 86_400);

    line(&mut out, &Record::GazetteExport { version: 1 })?;
    let mut tag_slugs: Vec<(String, &str)> = TAGS.iter().map(|n| (slugify(n), *n)).collect();
    for (i, name) in TAGS.iter().enumerate() {
        line(
            &mut out,
            &Record::Tag {
                slug: slugify(name),
                name,
                description: TAG_DESCRIPTIONS[i % TAG_DESCRIPTIONS.len()]
                    .replace("{}", &name.to_lowercase()),
                created_at: &tags_created,
                updated_at: &tags_created,
            },
        )?;
    }
    // Tags in a fixed shuffled order: which sections are busiest does not follow the list.
    let mut rng = Rng(seed);
    for i in (1..tag_slugs.len()).rev() {
        let j = rng.below(i + 1);
        tag_slugs.swap(i, j);
    }

    let mut room = Newsroom {
        rng,
        words: Zipf::new(WORDS.len(), 1.0),
        tags: Zipf::new(TAGS.len(), 0.8),
        places: places(),
        people: people(),
    };
    let place_pick = Zipf::new(room.places.len(), 0.6);
    let person_pick = Zipf::new(room.people.len(), 0.6);

    // Slugs are needed before the articles (related links point both ways): derive every
    // title first, from its own generator, so that the prose does not depend on the order.
    let titles: Vec<(String, String, Vec<String>)> = (0..articles)
        .map(|i| {
            let mut r = Rng(seed ^ (i as u64).wrapping_mul(0xA076_1D64_78BD_642F));
            let place = room.places[place_pick.sample(&mut r)].clone();
            let person = room.people[person_pick.sample(&mut r)].clone();
            let other = room.places[place_pick.sample(&mut r)].clone();
            let names = vec![place, person, other];
            let saved = std::mem::replace(&mut room.rng, r);
            let title = room.title(&names);
            room.rng = saved;
            let mut slug = slugify(&title);
            slug.truncate(60);
            let slug = format!("{}-{}", slug.trim_end_matches('-'), i + 1);
            (title, slug, names)
        })
        .collect();

    for (i, (title, slug, names)) in titles.iter().enumerate() {
        let published = newest - step * i as i64;
        let published_at = timestamp(published);
        let created_at = timestamp(published - 3_600);
        let updated_at = timestamp(published + 600);
        let mut summary = String::new();
        room.sentence(names, &mut summary);
        let summary = summary.replace('*', "");
        let body = room.body(names, body_bytes);
        let byline = &room.people[room.rng.below(room.people.len())].clone();
        let mut tags: Vec<String> = Vec::with_capacity(3);
        while tags.len() < 3 {
            let t = &tag_slugs[room.tags.sample(&mut room.rng)].0;
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        let mut related = Vec::with_capacity(4);
        let mut linked: Vec<usize> = Vec::with_capacity(3);
        while linked.len() < 3.min(articles - 1) {
            // A nearby story, older or newer.
            let span = 200.min(articles - 1);
            let offset = room.rng.between(1, span);
            let j = if room.rng.chance(70) {
                (i + offset) % articles
            } else {
                (i + articles - offset) % articles
            };
            if j != i && !linked.contains(&j) {
                linked.push(j);
                related.push(serde_json::json!({ "slug": titles[j].1 }));
            }
        }
        let w = room.word();
        related.push(serde_json::json!({
            "url": format!("https://example.org/{w}/{}", i + 1),
            "title": format!("{} {}", capitalize(w), capitalize(room.word())),
            "summary": format!("Background on the {w} story from our partners at the Coastal Record."),
        }));
        line(
            &mut out,
            &Record::Article {
                slug,
                title,
                summary: &summary,
                body: &body,
                status: "published",
                published_at: &published_at,
                byline,
                feature_image_url: format!("https://images.example.org/{}.jpg", i + 1),
                created_at: &created_at,
                updated_at: &updated_at,
                tags,
                related,
                former_slugs: [],
            },
        )?;
    }
    out.flush()
}
