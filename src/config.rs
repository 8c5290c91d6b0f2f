//! Settings from flags and the environment (`.env` is read first when present).

use clap::{Args, Parser, Subcommand};

/// Gazette: a headless JSON content API for news publishers.
#[derive(Debug, Parser)]
#[command(name = "gazette", version, about)]
pub struct Cli {
    /// The database: a SQLite file (or `sqlite://path`), created when missing, or a
    /// PostgreSQL database (`postgres://user:password@host:port/name`).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "gazette.db",
        global = true
    )]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once at start; the settings are read in place"
)]
pub enum Command {
    /// Serve the API (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the OpenAPI document as JSON.
    Openapi,
    /// Write every tag and article as NDJSON (one JSON object per line) to stdout or a file.
    Export {
        /// The file to write (replaced only once the export is complete); `-` or none for stdout.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Copy a SQLite database, consistent as of one moment, to a new file; safe while serving.
    Backup {
        /// The file to create (refused if it exists).
        output: std::path::PathBuf,
    },
    /// Read an export (NDJSON) into the database by slug: all of it or, on a bad line, nothing.
    Import {
        /// The file to read; `-` for stdin.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Mint a new key; the key itself is printed once, as the last line.
    Create {
        /// What the key is for, e.g. the name of the tool or site that uses it.
        #[arg(long)]
        name: String,
        /// `admin` may write; `content` may only read (for browsers, with REQUIRE_CONTENT_KEY).
        #[arg(long, value_parser = ["admin", "content"])]
        scope: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by its id or prefix; it fails from its next request on.
    Revoke {
        /// The key's id or prefix, as `keys list` shows them.
        key: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// The public site that renders the articles; canonical, share and preview-link URLs are
    /// built on it.
    #[arg(long, env = "SITE_URL", default_value = "http://localhost:3000")]
    pub site_url: String,

    /// The site's name: the title of its Atom feed.
    #[arg(long, env = "SITE_NAME", default_value = "Gazette")]
    pub site_name: String,

    /// Comma-separated browser origins allowed to write; any origin may read.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Require a content or admin key for every read, `/metrics`, `/readyz` and the docs
    /// UI; `/healthz` and `/openapi.json` stay open.
    #[arg(long, env = "REQUIRE_CONTENT_KEY")]
    pub require_content_key: bool,

    /// Refuse article writes without `If-Match` (428), so no editor overwrites another blindly.
    #[arg(long, env = "REQUIRE_IF_MATCH")]
    pub require_if_match: bool,

    /// Cache-Control of public reads (reads with a key are `private, no-store`).
    #[arg(long, env = "CACHE_CONTROL", default_value = DEFAULT_CACHE_CONTROL)]
    pub cache_control: String,

    /// Worker threads (default: one per core).
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// Database connections in the pool.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 8)]
    pub db_pool_size: u32,

    /// Memory for public responses kept rendered and served again until a change names
    /// what they show, in MiB; 0 keeps none.
    #[arg(long, env = "RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: usize,

    /// Comma-separated headers that give a public answer's cache keys to a CDN:
    /// `surrogate-key` (Fastly), `cache-tag` (Cloudflare), `xkey` (Varnish with vmod xkey),
    /// `edge-cache-tag` (Akamai); empty: none.
    #[arg(
        long,
        env = "CACHE_TAG_HEADERS",
        default_value = "",
        value_delimiter = ',',
        value_parser = parse_tag_header
    )]
    pub cache_tag_headers: Vec<Option<TagHeader>>,

    /// What a CDN may keep public answers for (`CDN-Cache-Control` and `Surrogate-Control`,
    /// for example `max-age=86400`), while browsers keep `CACHE_CONTROL`; empty: not sent.
    #[arg(long, env = "CDN_CACHE_CONTROL", default_value = "")]
    pub cdn_cache_control: String,

    /// Comma-separated URLs Gazette sends `PURGE` to, with `xkey-purge` or `xkey-softpurge`
    /// naming the keys of each change (Varnish with vmod xkey); empty: none.
    #[arg(
        long,
        env = "CACHE_PURGE_URLS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cache_purge_urls: Vec<String>,

    /// Wait before the first retry of a failed webhook delivery, in milliseconds; it doubles
    /// with each further attempt (at most an hour; 12 attempts in all).
    #[arg(long, env = "WEBHOOK_RETRY_BASE_MS", default_value_t = 1000)]
    pub webhook_retry_base_ms: u64,

    /// Comma-separated hosts webhooks may be delivered to whatever their addresses (as written
    /// in their URLs), and then to no other; empty: any host whose every address is public
    /// (not loopback, private, link-local or reserved). Deliveries to other hosts fail
    /// without a connection being made.
    #[arg(
        long,
        env = "WEBHOOK_ALLOWED_HOSTS",
        default_value = "",
        value_delimiter = ','
    )]
    pub webhook_allowed_hosts: Vec<String>,

    /// Event streams (`/api/v1/stream`) open at once; past it, 503 with `Retry-After`.
    #[arg(long, env = "MAX_STREAMS", default_value_t = 5000)]
    pub max_streams: usize,

    /// Seconds between two heartbeat comments on an event stream.
    #[arg(long, env = "STREAM_HEARTBEAT_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub stream_heartbeat_seconds: u64,

    /// Days the change log keeps changes: how old a sync token (or event id) may be before it
    /// answers 410 Gone; 0 keeps them forever.
    #[arg(long, env = "CHANGE_LOG_RETENTION_DAYS", default_value_t = 30)]
    pub change_log_retention_days: u32,

    /// The publisher's image service, for every image's `renditions` and `srcset`: a URL
    /// with `{width}` and `{url}` (the original's URL, percent-encoded) or `{raw_url}`, for
    /// example `https://img.example.com/{width}/{url}`; empty: only the original is offered.
    #[arg(long, env = "IMAGE_URL_TEMPLATE", default_value = "", value_parser = crate::images::parse_template)]
    pub image_url_template: String,

    /// Comma-separated widths of the renditions (never wider than the original).
    #[arg(
        long,
        env = "IMAGE_WIDTHS",
        default_value = "320,640,960,1280,1920",
        value_delimiter = ',',
        value_parser = crate::images::parse_width
    )]
    pub image_widths: Vec<u32>,

    /// Days by which a search result's relevance halves with its age: the default order of
    /// `q=` weighs text relevance with freshness, so that of two equally relevant stories the
    /// one published this many days later has twice the weight. 0: by text relevance alone.
    #[arg(long, env = "SEARCH_RECENCY_HALF_LIFE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36500))]
    pub search_recency_half_life_days: u32,

    /// Load the demo newsroom into the database when it has no articles.
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub rate_limits: RateLimits,

    #[command(flatten)]
    pub reads: ReadLimits,

    /// Take the client address for the per-address limits (failed key checks, expensive
    /// reads) from the last `X-Forwarded-For` entry (set only behind a proxy that writes
    /// it), not from the connection.
    #[arg(long, env = "TRUST_PROXY")]
    pub trust_proxy: bool,
}

/// Sizes the API accepts; the served OpenAPI document states the configured values.
#[derive(Debug, Clone, Copy, Args)]
pub struct Limits {
    /// The largest request body, in bytes (413 beyond).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = Self::DEFAULT.body_bytes)]
    pub body_bytes: usize,
    /// The longest article or link title, in characters.
    #[arg(long, env = "MAX_TITLE_CHARS", default_value_t = Self::DEFAULT.title_chars)]
    pub title_chars: usize,
    /// The longest summary or tag description, in characters.
    #[arg(long, env = "MAX_SUMMARY_CHARS", default_value_t = Self::DEFAULT.summary_chars)]
    pub summary_chars: usize,
    /// The longest article body (Markdown), in characters.
    #[arg(long, env = "MAX_ARTICLE_CHARS", default_value_t = Self::DEFAULT.article_chars)]
    pub article_chars: usize,
    /// The most tags on one article.
    #[arg(long, env = "MAX_TAGS_PER_ARTICLE", default_value_t = Self::DEFAULT.tags_per_article)]
    pub tags_per_article: usize,
    /// The most curated related links on one article.
    #[arg(long, env = "MAX_RELATED_PER_ARTICLE", default_value_t = Self::DEFAULT.related_per_article)]
    pub related_per_article: usize,
    /// The largest page a list returns (`limit`).
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = Self::DEFAULT.page_size)]
    pub page_size: i64,
    /// The longest line of an import (NDJSON), in bytes: an import holds one line at a time
    /// in memory, with its parsed and rendered forms (422 naming the line beyond).
    #[arg(long, env = "MAX_IMPORT_LINE_BYTES", default_value_t = Self::DEFAULT.import_line_bytes)]
    pub import_line_bytes: usize,
}

impl Limits {
    pub const DEFAULT: Self = Self {
        body_bytes: 1024 * 1024,
        title_chars: 300,
        summary_chars: 2000,
        article_chars: 1024 * 1024,
        tags_per_article: 20,
        related_per_article: 50,
        page_size: 100,
        // The largest article the other limits allow, exported: 1 Mi characters of body at up
        // to 4 bytes each, with its links and the rest.
        import_line_bytes: 8 * 1024 * 1024,
    };
}

impl Limits {
    /// The limits from the environment alone (for subcommands other than `serve`).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            limits: Limits,
        }
        Only::parse_from(["gazette"]).limits
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Requests allowed a minute, with bursts up to the same number; 0 turns a limit off. Past
/// it the answer is 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, Args)]
pub struct RateLimits {
    /// Writes (POST, PUT, PATCH, DELETE) per admin key and minute, counted once the key is
    /// valid: refused writes (401, 403) spend no one's allowance.
    #[arg(long, env = "RATE_LIMIT_WRITES", default_value_t = Self::DEFAULT.writes_per_minute)]
    pub writes_per_minute: u32,
    /// Requests with a wrong, revoked or malformed key per client address and minute; past
    /// it, such requests from that address are 429 until the wait is over, while valid keys
    /// from it are still accepted.
    #[arg(long, env = "RATE_LIMIT_AUTH_FAILURES", default_value_t = Self::DEFAULT.auth_failures_per_minute)]
    pub auth_failures_per_minute: u32,
}

impl RateLimits {
    pub const DEFAULT: Self = Self {
        writes_per_minute: 300,
        auth_failures_per_minute: 10,
    };
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Admission of reads that reach the database (answers kept in memory pass freely): a
/// budget of expensive reads per client address and a bound on how many reads run at once.
#[derive(Debug, Clone, Copy, Args)]
pub struct ReadLimits {
    /// Expensive reads (a search, a filter, a cursor, an editorial status: any query
    /// parameter but `limit`, `fields` and `sort`) per client address and minute, with bursts
    /// up to the same number; 0 turns the limit off. Past it the answer is 429 with
    /// `Retry-After`.
    #[arg(long, env = "RATE_LIMIT_EXPENSIVE_READS", default_value_t = Self::DEFAULT.expensive_per_minute)]
    pub expensive_per_minute: u32,
    /// Reads that may use the database at once (default: DB_POOL_SIZE), expensive ones at
    /// most half of them (at least one), so cheap reads always find room. Others wait in
    /// memory.
    #[arg(long, env = "MAX_CONCURRENT_READS")]
    pub max_concurrent: Option<u32>,
    /// How long a read waits for room, in milliseconds, before the answer is 503 with
    /// `Retry-After`.
    #[arg(long, env = "READ_QUEUE_MS", default_value_t = Self::DEFAULT.queue_ms)]
    pub queue_ms: u64,
}

impl ReadLimits {
    pub const DEFAULT: Self = Self {
        expensive_per_minute: 120,
        max_concurrent: None,
        queue_ms: 1000,
    };
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ServeArgs {
    /// The serve settings from the environment alone (for `gazette` with no subcommand).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["gazette"]).serve
    }

    pub fn settings(&self) -> Settings {
        Settings {
            site_url: self.site_url.trim_end_matches('/').to_owned(),
            site_name: self.site_name.clone(),
            cors_allowed_origins: trimmed(&self.cors_allowed_origins, str::to_owned),
            require_content_key: self.require_content_key,
            require_if_match: self.require_if_match,
            cache_control: self.cache_control.clone(),
            webhook_retry_base_ms: self.webhook_retry_base_ms,
            webhook_allowed_hosts: trimmed(&self.webhook_allowed_hosts, str::to_ascii_lowercase),
            limits: self.limits,
            rate_limits: self.rate_limits,
            reads: self.reads,
            trust_proxy: self.trust_proxy,
            response_cache_bytes: self.response_cache_mb * 1024 * 1024,
            cache_tag_headers: self.cache_tag_headers.iter().flatten().copied().collect(),
            cdn_cache_control: Some(self.cdn_cache_control.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            cache_purge_urls: trimmed(&self.cache_purge_urls, str::to_owned),
            max_streams: self.max_streams,
            stream_heartbeat: std::time::Duration::from_secs(self.stream_heartbeat_seconds),
            change_log_retention_days: self.change_log_retention_days,
            images: crate::images::ImageService {
                template: Some(self.image_url_template.clone()).filter(|t| !t.is_empty()),
                widths: {
                    let mut widths = self.image_widths.clone();
                    widths.sort_unstable();
                    widths.dedup();
                    widths
                },
            },
            search_half_life_days: self.search_recency_half_life_days,
            demo: self.demo,
        }
    }
}

/// What the HTTP app needs to know at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site_url: String,
    pub site_name: String,
    pub cors_allowed_origins: Vec<String>,
    pub require_content_key: bool,
    /// Whether article writes must carry `If-Match`.
    pub require_if_match: bool,
    /// Sizes the API accepts.
    pub limits: Limits,
    /// Requests allowed per client address.
    pub rate_limits: RateLimits,
    /// Admission of reads: expensive ones per client address, and how many at once.
    pub reads: ReadLimits,
    /// Whether the client address comes from `Forwarded`/`X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Cache-Control of successful and 404 reads without a key.
    pub cache_control: String,
    /// Wait before the first retry of a failed webhook delivery, in milliseconds.
    pub webhook_retry_base_ms: u64,
    /// The hosts webhooks may be delivered to whatever their addresses, in lower case; empty:
    /// any host whose every address is public.
    pub webhook_allowed_hosts: Vec<String>,
    /// Memory for rendered public responses, in bytes; 0 keeps none.
    pub response_cache_bytes: usize,
    /// The headers that carry a public answer's cache keys.
    pub cache_tag_headers: Vec<TagHeader>,
    /// `CDN-Cache-Control` and `Surrogate-Control` of public answers, if any.
    pub cdn_cache_control: Option<String>,
    /// Where to send `PURGE` for each change.
    pub cache_purge_urls: Vec<String>,
    /// Event streams open at once.
    pub max_streams: usize,
    /// The wait between two heartbeats of an event stream.
    pub stream_heartbeat: std::time::Duration,
    /// Days the change log keeps changes; 0: forever.
    pub change_log_retention_days: u32,
    /// The image service that gives images their renditions.
    pub images: crate::images::ImageService,
    /// Days by which a search result's relevance halves with its age; 0: no freshness.
    pub search_half_life_days: u32,
    /// Whether the demo newsroom's pictures are served (`/demo/images/`).
    pub demo: bool,
}

/// A header that gives a CDN an answer's cache keys, and how it writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagHeader {
    /// Fastly: keys separated by spaces.
    SurrogateKey,
    /// Cloudflare: keys separated by commas.
    CacheTag,
    /// Varnish with vmod xkey: keys separated by spaces.
    Xkey,
    /// Akamai: keys separated by commas.
    EdgeCacheTag,
}

impl TagHeader {
    pub fn name(self) -> &'static str {
        match self {
            Self::SurrogateKey => "surrogate-key",
            Self::CacheTag => "cache-tag",
            Self::Xkey => "xkey",
            Self::EdgeCacheTag => "edge-cache-tag",
        }
    }

    pub fn separator(self) -> char {
        match self {
            Self::SurrogateKey | Self::Xkey => ' ',
            Self::CacheTag | Self::EdgeCacheTag => ',',
        }
    }

    /// The longest value Gazette sends in it: within what each CDN takes (Fastly and
    /// Cloudflare 16 KiB, Akamai 8 KiB; Varnish's default response header limit is 8 KiB).
    pub fn limit(self) -> usize {
        match self {
            Self::SurrogateKey | Self::CacheTag => 16 * 1024 - 1,
            Self::Xkey | Self::EdgeCacheTag => 8 * 1024 - 1,
        }
    }
}

/// One name of `CACHE_TAG_HEADERS`; an empty one (of an empty list) is none.
fn parse_tag_header(name: &str) -> Result<Option<TagHeader>, String> {
    let all = [
        TagHeader::SurrogateKey,
        TagHeader::CacheTag,
        TagHeader::Xkey,
        TagHeader::EdgeCacheTag,
    ];
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Ok(None);
    }
    all.into_iter()
        .find(|h| h.name() == name)
        .map(Some)
        .ok_or_else(|| {
            format!("`{name}` is not one of surrogate-key, cache-tag, xkey, edge-cache-tag")
        })
}

/// Cache-Control of public reads unless configured: fresh for a minute, then served stale
/// for up to five while a cache revalidates.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";

impl Default for Settings {
    fn default() -> Self {
        Self {
            site_url: "http://localhost:3000".to_owned(),
            site_name: "Gazette".to_owned(),
            cors_allowed_origins: Vec::new(),
            require_content_key: false,
            require_if_match: false,
            limits: Limits::default(),
            rate_limits: RateLimits::default(),
            reads: ReadLimits::default(),
            trust_proxy: false,
            cache_control: DEFAULT_CACHE_CONTROL.to_owned(),
            webhook_retry_base_ms: 1000,
            webhook_allowed_hosts: Vec::new(),
            response_cache_bytes: 64 * 1024 * 1024,
            cache_tag_headers: Vec::new(),
            cdn_cache_control: None,
            cache_purge_urls: Vec::new(),
            max_streams: 5000,
            stream_heartbeat: std::time::Duration::from_secs(15),
            change_log_retention_days: 30,
            images: crate::images::ImageService::default(),
            search_half_life_days: 30,
            demo: false,
        }
    }
}

/// The non-empty entries of a list setting, trimmed and normalized by `normal`.
fn trimmed(items: &[String], normal: fn(&str) -> String) -> Vec<String> {
    items
        .iter()
        .map(|item| normal(item.trim()))
        .filter(|item| !item.is_empty())
        .collect()
}
