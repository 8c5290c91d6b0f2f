//! Helpers for the load tests against the real binary: timed requests that never panic, the
//! content a writer sent (so it can be compared with what is read back), and a tiny PRNG.

use std::time::Instant;

use serde_json::{Value, json};

/// A request's answer (or why there was none) and when it started and ended.
#[derive(Debug)]
pub struct Timed {
    pub start: Instant,
    pub end: Instant,
    /// The status and the body text, or the transport error.
    pub result: Result<(u16, String), String>,
}

impl Timed {
    pub fn status(&self) -> Option<u16> {
        self.result.as_ref().ok().map(|(status, _)| *status)
    }

    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }

    /// The body as JSON; panics with the body when it is not.
    #[track_caller]
    pub fn json(&self) -> Value {
        let (_, text) = self.result.as_ref().expect("a response");
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// One line for a failure message: what was asked and what came back.
    pub fn describe(&self, what: &str) -> String {
        match &self.result {
            Ok((status, text)) => {
                let text: String = text.chars().take(300).collect();
                format!("{what}: {status} {text}")
            }
            Err(e) => format!("{what}: no response: {e}"),
        }
    }
}

/// Sends one request, with the admin `key` when given, and reads the whole body. Transport
/// errors are returned, not raised: under load, and around a kill, they are data.
pub fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Timed {
    let auth = key.map(|k| format!("Bearer {k}"));
    let start = Instant::now();
    let sent = match (method, body) {
        ("GET", None) => {
            let mut req = agent.get(url);
            if let Some(auth) = &auth {
                req = req.header("Authorization", auth);
            }
            req.call()
        }
        (_, Some(body)) => {
            let mut req = match method {
                "POST" => agent.post(url),
                "PATCH" => agent.patch(url),
                "PUT" => agent.put(url),
                _ => panic!("unsupported request {method} {url}"),
            };
            if let Some(auth) = &auth {
                req = req.header("Authorization", auth);
            }
            req.header("Content-Type", "application/json")
                .send(body.to_string())
        }
        _ => panic!("unsupported request {method} {url}"),
    };
    let result = sent
        .and_then(|mut res| {
            let status = res.status().as_u16();
            let text = res.body_mut().read_to_string()?;
            Ok((status, text))
        })
        .map_err(|e| e.to_string());
    Timed {
        start,
        end: Instant::now(),
        result,
    }
}

/// A related link as written, and as it must read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Internal(String),
    External { url: String, summary: String },
}

impl Link {
    pub fn to_json(&self) -> Value {
        match self {
            Self::Internal(slug) => json!({"slug": slug}),
            Self::External { url, summary } => json!({"url": url, "summary": summary}),
        }
    }
}

/// The parts of an article a writer chooses, as sent (and as they must be read back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub title: String,
    pub body: String,
    /// Tag names, in order.
    pub tags: Vec<String>,
    pub related: Vec<Link>,
}

impl Version {
    /// The body of `POST /articles` creating this version, published, at `slug`.
    pub fn create_json(&self, slug: &str) -> Value {
        json!({
            "slug": slug,
            "title": self.title,
            "body": self.body,
            "status": "published",
            "tags": self.tags,
            "related": self.related.iter().map(Link::to_json).collect::<Vec<_>>(),
        })
    }

    pub fn related_json(&self) -> Value {
        Value::Array(self.related.iter().map(Link::to_json).collect())
    }

    /// The version an article read from the API (`GET /articles/{slug}`) holds.
    #[track_caller]
    pub fn read(article: &Value) -> Self {
        let text = |v: &Value| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v} in {article}"))
                .to_owned()
        };
        let list = |v: &Value| {
            v.as_array()
                .unwrap_or_else(|| panic!("not an array: {v} in {article}"))
                .clone()
        };
        Self {
            title: text(&article["title"]),
            body: text(&article["body"]),
            tags: list(&article["tags"])
                .iter()
                .map(|t| text(&t["name"]))
                .collect(),
            related: list(&article["related"])
                .iter()
                .map(|link| match link["kind"].as_str() {
                    Some("internal") => Link::Internal(text(&link["slug"])),
                    Some("external") => Link::External {
                        url: text(&link["url"]),
                        summary: text(&link["summary"]),
                    },
                    _ => panic!("unknown related link {link} in {article}"),
                })
                .collect(),
        }
    }
}

/// A word that occurs in exactly one body ever written in a test, so a search for it must
/// find exactly the article holding that body. The closing `x` keeps `zq1x` from being a
/// prefix of `zq12x` (search matches the last word as a prefix).
pub fn token(n: u64) -> String {
    format!("zq{n}x")
}

/// xorshift64*: enough to spread requests over articles and routes, reproducibly.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
