//! Derived content: slugs, rendered Markdown, reading statistics and share links.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use sha2::Digest;

mod nesting;

/// Longest slug Gazette derives or accepts.
pub const MAX_SLUG_LEN: usize = 80;

/// Average adult silent-reading speed used for `reading_time_minutes`.
const WORDS_PER_MINUTE: i64 = 230;

/// A URL-safe slug: lowercase ASCII letters, digits and single hyphens.
///
/// Non-ASCII letters are transliterated, apostrophes dropped (`Iran’s` → `irans`), and the
/// result cut at a hyphen to at most [`MAX_SLUG_LEN`] characters. May be empty.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(&text.replace(['\'', '’', '‘'], ""));
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.len() > MAX_SLUG_LEN {
        match slug[..MAX_SLUG_LEN].rfind('-') {
            Some(cut) if cut > 0 => slug.truncate(cut),
            _ => slug.truncate(MAX_SLUG_LEN),
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The slug of a tag named `name`: its [`slugify`] form, or, for a name with no letter or
/// digit to keep (`"???"`), `tag-` and a short hash of the name, so every name has one.
pub fn tag_slug(name: &str) -> String {
    let slug = slugify(name);
    if !slug.is_empty() {
        return slug;
    }
    let digest = sha2::Sha256::digest(name.trim().as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("tag-{hex}")
}

/// Whether `slug` is already in the canonical form [`slugify`] produces.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// The three derived forms of an article body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    /// Sanitized HTML.
    pub html: String,
    /// Plain text: paragraphs separated by blank lines, markup removed.
    pub text: String,
    /// Words in `text`.
    pub word_count: i64,
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// The deepest a body may nest: blockquotes, list items, emphasis and HTML elements inside
/// one another, counted together as elements of the rendered HTML. Sanitizing takes time in
/// proportion to the square of the nesting (8,000 levels took seconds), so a body nested
/// deeper is refused; ordinary writing stays far below it (20 levels of lists in a quote are 42).
pub const MAX_NESTING: usize = 128;

/// A body nested deeper than [`MAX_NESTING`]; its message is that of a field error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "nests {depth} levels deep (blockquotes, lists, emphasis and HTML elements inside one another); at most {max}"
)]
pub struct TooDeep {
    /// How deep it nests: at least this.
    pub depth: usize,
    pub max: usize,
}

/// Renders CommonMark to sanitized HTML and plain text, in time linear in its length: a
/// body nested deeper than [`MAX_NESTING`] is refused, found by passes that are linear
/// themselves, before the sanitizer sees it.
pub fn render(markdown: &str) -> Result<Rendered, TooDeep> {
    let too_deep = |depth| TooDeep {
        depth,
        max: MAX_NESTING,
    };
    // The Markdown structure first, before its HTML (which may be 20 times longer: `>>>>`)
    // is built.
    let depth = nesting::markdown_depth(Parser::new_ext(markdown, markdown_options()));
    if depth > MAX_NESTING {
        return Err(too_deep(depth));
    }
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    pulldown_cmark::html::push_html(
        &mut unsafe_html,
        Parser::new_ext(markdown, markdown_options()),
    );
    let depth = nesting::html_depth(&unsafe_html);
    if depth > MAX_NESTING {
        return Err(too_deep(depth));
    }
    let html = ammonia::clean(&unsafe_html);
    let text = plain_text(markdown);
    let word_count = text.split_whitespace().count() as i64;
    Ok(Rendered {
        html,
        text,
        word_count,
    })
}

fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // Text inside raw <script> or <style> is not something a reader sees (the sanitizer
    // drops it from the HTML too).
    let mut hidden = false;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                let tag = h.trim_start().to_ascii_lowercase();
                if tag.starts_with("<script") || tag.starts_with("<style") {
                    hidden = !tag.contains("</script") && !tag.contains("</style");
                } else if tag.starts_with("</script") || tag.starts_with("</style") {
                    hidden = false;
                }
            }
            Event::Text(_) | Event::Code(_) if hidden => {}
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak | Event::End(TagEnd::Item | TagEnd::TableRow) => out.push('\n'),
            Event::End(TagEnd::TableCell) => out.push('\t'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::List(_)
                | TagEnd::Table
                | TagEnd::BlockQuote(_),
            ) => out.push_str("\n\n"),
            Event::Start(Tag::Item) if !out.is_empty() && !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
    }
    normalize_blank_lines(&out)
}

fn normalize_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Minutes a reader needs for `word_count` words, rounded up; 0 for an empty body.
pub fn reading_time_minutes(word_count: i64) -> i64 {
    (word_count + WORDS_PER_MINUTE - 1) / WORDS_PER_MINUTE
}

/// The public address of an article on the site that renders it.
pub fn canonical_url(site_url: &str, slug: &str) -> String {
    format!("{}/articles/{slug}", site_url.trim_end_matches('/'))
}

// RFC 3986 unreserved characters stay as they are; everything else is escaped, so the
// result is safe in any query string, `mailto:` included (where `+` is not a space).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Ready-made share links for the article's canonical URL and title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ShareLinks {
    pub x: String,
    pub facebook: String,
    pub linkedin: String,
    pub whatsapp: String,
    pub telegram: String,
    pub reddit: String,
    /// A `mailto:` link with the title as subject and the URL as body.
    pub email: String,
}

/// Share links for the page at `url` titled `title`.
pub fn share_links(url: &str, title: &str) -> ShareLinks {
    let (u, t) = (enc(url), enc(title));
    ShareLinks {
        x: format!("https://x.com/intent/tweet?url={u}&text={t}"),
        facebook: format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        linkedin: format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        whatsapp: format!("https://wa.me/?text={}", enc(&format!("{title} {url}"))),
        telegram: format!("https://t.me/share/url?url={u}&text={t}"),
        reddit: format!("https://www.reddit.com/submit?url={u}&title={t}"),
        email: format!("mailto:?subject={t}&body={u}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_handles_punctuation_unicode_and_length() {
        assert_eq!(
            slugify("Iran’s Khamenei Doubts Diplomacy, Escalating Threats"),
            "irans-khamenei-doubts-diplomacy-escalating-threats"
        );
        assert_eq!(slugify("  Café  Zürich -- 2026! "), "cafe-zurich-2026");
        assert_eq!(slugify("!!!"), "");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= MAX_SLUG_LEN && is_valid_slug(&long), "{long}");
    }

    #[test]
    fn every_tag_name_has_a_slug() {
        assert_eq!(tag_slug("Middle East"), "middle-east");
        let odd = tag_slug("???");
        assert!(odd.starts_with("tag-") && is_valid_slug(&odd), "{odd}");
        assert_eq!(odd, tag_slug(" ??? "), "stable for the same name");
        assert_ne!(odd, tag_slug("!!!"));
    }

    #[test]
    fn slug_validation() {
        assert!(is_valid_slug("a-b-2"));
        for bad in ["", "A", "a--b", "-a", "a-", "a b", "a/b", "ä"] {
            assert!(!is_valid_slug(bad), "{bad:?}");
        }
    }

    #[test]
    fn render_sanitizes_and_extracts_text() {
        let r =
            render("# Title\n\nHello *world* <script>alert(1)</script>\n\n- one\n- two\n").unwrap();
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(r.html.contains("<em>world</em>"), "{}", r.html);
        assert_eq!(r.text, "Title\n\nHello world\n\none\ntwo");
        assert_eq!(r.word_count, 5);
    }

    /// Each shape nests one level (or more) per repetition; at 20,000 levels each took
    /// seconds to sanitize before the bound.
    fn hostile(depth: usize) -> Vec<(&'static str, String)> {
        vec![
            ("blockquotes", format!("{}x\n", ">".repeat(depth))),
            ("lists", format!("{}x\n", "- ".repeat(depth))),
            ("ordered lists", format!("{}x\n", "1. ".repeat(depth))),
            ("quoted lists", format!("{}x\n", "> - ".repeat(depth))),
            ("divs", format!("{}x\n", "<div>".repeat(depth))),
            ("spans", format!("x {}x\n", "<span>".repeat(depth))),
            ("bold tags", format!("x {}x\n", "<b>".repeat(depth))),
            (
                "emphasis",
                format!("{}x{}\n", "*".repeat(depth), "*".repeat(depth)),
            ),
            (
                "reopened formatting",
                (0..depth).map(|i| format!("<p><b id={i}>x</p>")).collect(),
            ),
        ]
    }

    #[test]
    fn deep_nesting_is_refused_whatever_its_shape() {
        for (shape, body) in hostile(20_000) {
            let Err(err) = render(&body) else {
                panic!("{shape}: rendered");
            };
            assert!(err.depth > MAX_NESTING, "{shape}: {err:?}");
            assert!(
                err.to_string().ends_with(&format!("at most {MAX_NESTING}")),
                "{shape}: {err}"
            );
        }
    }

    #[test]
    fn reasonable_nesting_renders() {
        for (shape, body) in hostile(20) {
            let r = render(&body).unwrap_or_else(|e| panic!("{shape}: {e}"));
            assert!(r.html.contains('x'), "{shape}");
        }
        // 20 levels of quoted, nested lists, each item with a paragraph and emphasis.
        let mut doc = String::new();
        for level in 0..20 {
            doc.push_str(&"  ".repeat(level));
            doc.push_str(&format!(
                "- level {level} with *emphasis* and <span>html</span>\n"
            ));
        }
        let r = render(&format!("> {}", doc.replace('\n', "\n> "))).unwrap();
        assert_eq!(r.html.matches("<ul>").count(), 20, "{}", r.html);
        assert_eq!(nesting::html_depth(&r.html), 42, "{}", r.html);
        assert!(
            r.text.contains("level 19 with emphasis and html"),
            "{}",
            r.text
        );
    }

    #[test]
    fn reading_time_rounds_up() {
        assert_eq!(reading_time_minutes(0), 0);
        assert_eq!(reading_time_minutes(1), 1);
        assert_eq!(reading_time_minutes(230), 1);
        assert_eq!(reading_time_minutes(231), 2);
    }

    #[test]
    fn share_links_are_encoded() {
        let links = share_links("https://news.example/articles/a-b", "Rock & Roll?");
        assert_eq!(
            links.x,
            "https://x.com/intent/tweet?url=https%3A%2F%2Fnews.example%2Farticles%2Fa-b&text=Rock%20%26%20Roll%3F"
        );
        assert!(
            links
                .email
                .starts_with("mailto:?subject=Rock%20%26%20Roll%3F&body=https%3A")
        );
    }
}
