//! Stored XSS. Markdown allows raw HTML, so an article body is an attacker's HTML as far as
//! a frontend is concerned; the property under test is that `body_html` is always safe to
//! insert into a page as it is: only harmless formatting elements, no event handlers or
//! styles, and no link or image that runs script. The corpus covers script and style,
//! dangerous URL schemes (also entity-encoded and obfuscated), event handlers, embedding
//! elements, SVG and MathML tricks, broken markup and parser-confusion (mutation XSS), each
//! written through create and through update. Alongside: the harmless part of each body
//! must survive (so that emptying everything cannot pass), `title` and `summary` come back
//! as the plain strings sent, and search highlights escape the payload text around their
//! `<mark>`s.

use crate::support::common;
use common::*;

use serde_json::{Value, json};

/// (name, Markdown, substrings the sanitized HTML must keep)
type Payload = (&'static str, &'static str, &'static [&'static str]);

const PAYLOADS: &[Payload] = &[
    // Script, in every spelling and context.
    ("script", "<script>alert(1)</script>", &[]),
    ("uppercase script", "<SCRIPT>alert(1)</SCRIPT>", &[]),
    (
        "script with attributes",
        r#"<script type="text/javascript" src="https://evil.example/x.js" defer></script>"#,
        &[],
    ),
    (
        "script split across lines",
        "<script\n>alert(1)</script\n>",
        &[],
    ),
    (
        "script in a code span",
        "`<script>alert(1)</script>`",
        &["<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"],
    ),
    (
        "script in a fenced block",
        "```\n<script>alert(1)</script>\n```",
        &["<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;"],
    ),
    (
        "script in an indented block",
        "    <script>alert(1)</script>",
        &["<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;"],
    ),
    (
        "nested script",
        "<<script>script>alert(1)<</script>/script>",
        &[],
    ),
    ("script in script", "<scr<script>ipt>alert(1)</script>", &[]),
    // Style.
    (
        "style element",
        "<style>body{background:url(javascript:alert(1))}</style>",
        &[],
    ),
    (
        "style url(javascript:)",
        r#"<p style="background:url(javascript:alert(1))">styled</p>"#,
        &["styled"],
    ),
    (
        "style expression()",
        r#"<div style="width: expression(alert(1))">expr</div>"#,
        &["expr"],
    ),
    // Dangerous URLs in Markdown links and images.
    ("javascript: link", "[x](javascript:alert(1))", &[]),
    (
        "mixed-case javascript: link",
        "[x](JaVaScRiPt:alert(1))",
        &[],
    ),
    (
        "entity-encoded javascript: link",
        "[x](&#106;avascript:alert(1))",
        &[],
    ),
    (
        "named-entity colon link",
        "[x](javascript&colon;alert(1))",
        &[],
    ),
    (
        "data: link",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        &[],
    ),
    ("vbscript: link", "[x](vbscript:msgbox(1))", &[]),
    ("javascript: image", "![i](javascript:alert(1))", &[]),
    (
        "javascript: link reference",
        "[x][r]\n\n[r]: javascript:alert(1)",
        &[],
    ),
    ("javascript: autolink", "<javascript:alert(1)>", &[]),
    // Dangerous URLs in raw HTML.
    (
        "raw javascript: href",
        r#"<a href="javascript:alert(1)">x</a>"#,
        &[],
    ),
    (
        "unquoted javascript: href",
        "<a href=javascript:alert(1)>unquoted</a>",
        &["unquoted"],
    ),
    (
        "tab inside javascript:",
        "<a href=\"java\tscript:alert(1)\">x</a>",
        &[],
    ),
    (
        "encoded tab inside javascript:",
        r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
        &[],
    ),
    (
        "encoded newline in a src",
        r#"<img src="jav&#x0A;ascript:alert(1)">"#,
        &[],
    ),
    (
        "leading control character",
        r#"<a href="&#1;javascript:alert(1)">x</a>"#,
        &[],
    ),
    (
        "leading space",
        r#"<a href=" javascript:alert(1)">x</a>"#,
        &[],
    ),
    (
        "fully entity-encoded href",
        r#"<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>"#,
        &[],
    ),
    (
        "named-entity colon href",
        r#"<a href="javascript&colon;alert(1)">x</a>"#,
        &[],
    ),
    (
        "data: href",
        r#"<a href="data:text/html,<script>alert(1)</script>">x</a>"#,
        &[],
    ),
    (
        "vbscript: href",
        r#"<a href="vbscript:msgbox(1)">x</a>"#,
        &[],
    ),
    // Event handlers.
    ("img onerror", "<img src=x onerror=alert(1)>", &[]),
    (
        "spaced onerror",
        r#"<img src="x" onerror = "alert(1)">"#,
        &[],
    ),
    ("mixed-case onerror", "<img src=x oNeRrOr='alert(1)'>", &[]),
    (
        "slash-separated onerror",
        "<img/src=x/onerror=alert(1)>",
        &[],
    ),
    ("body onload", "<body onload=alert(1)>", &[]),
    (
        "div onclick",
        r#"<div onclick="alert(1)">click</div>"#,
        &["click"],
    ),
    (
        "a onmouseover",
        "<a onmouseover=alert(1)>hover</a>",
        &["hover"],
    ),
    ("details ontoggle", "<details open ontoggle=alert(1)>", &[]),
    ("input onfocus", "<input autofocus onfocus=alert(1)>", &[]),
    (
        "video source onerror",
        "<video><source onerror=alert(1)></video>",
        &[],
    ),
    // Elements that embed, submit, redirect or restyle.
    (
        "iframe",
        r#"<iframe src="javascript:alert(1)"></iframe>"#,
        &[],
    ),
    (
        "iframe srcdoc",
        r#"<iframe srcdoc="<script>alert(1)</script>"></iframe>"#,
        &[],
    ),
    (
        "object",
        r#"<object data="javascript:alert(1)"></object>"#,
        &[],
    ),
    ("embed", r#"<embed src="javascript:alert(1)">"#, &[]),
    (
        "form action",
        r#"<form action="javascript:alert(1)"><input type=submit></form>"#,
        &[],
    ),
    (
        "button formaction",
        r#"<button formaction="javascript:alert(1)">go</button>"#,
        &[],
    ),
    ("base href", r#"<base href="javascript:alert(1)//">"#, &[]),
    (
        "meta refresh",
        r#"<meta http-equiv="refresh" content="0;url=javascript:alert(1)">"#,
        &[],
    ),
    (
        "link stylesheet",
        r#"<link rel="stylesheet" href="javascript:alert(1)">"#,
        &[],
    ),
    (
        "isindex",
        "<isindex action=javascript:alert(1) type=image>",
        &[],
    ),
    // SVG and MathML.
    ("svg onload", "<svg onload=alert(1)>", &[]),
    ("svg script", "<svg><script>alert(1)</script></svg>", &[]),
    (
        "svg xlink:href",
        r#"<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>"#,
        &[],
    ),
    (
        "svg animate onbegin",
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        &[],
    ),
    (
        "svg animate href",
        "<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>Click</text></a></svg>",
        &[],
    ),
    (
        "MathML mglyph style (mutation XSS)",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        &[],
    ),
    (
        "MathML xlink:href",
        r#"<math><mi xlink:href="javascript:alert(1)">x</mi></math>"#,
        &[],
    ),
    // Markdown's own constructs around raw HTML.
    (
        "img onerror in a table cell",
        "| a | b |\n|:-|-:|\n| <img src=x onerror=alert(1)> | c |",
        &["<td>c</td>"],
    ),
    (
        "script in a footnote",
        "Foot[^1]\n\n[^1]: note <script>alert(1)</script>",
        &["<sup>"],
    ),
    (
        "onerror in a heading",
        "# <img src=x onerror=alert(1)> head",
        &["<h1>"],
    ),
    (
        "javascript: link in a blockquote",
        "> [q](javascript:alert(1))",
        &["<blockquote>"],
    ),
    // Broken markup, comments and parser confusion.
    ("unclosed img", "<img src=x onerror=alert(1)//", &[]),
    ("comment", "<!-- <script>alert(1)</script> -->", &[]),
    ("comment breakout", "<!--><script>alert(1)</script>-->", &[]),
    ("CDATA", "<![CDATA[<script>alert(1)</script>]]>", &[]),
    (
        "noscript breakout (mutation XSS)",
        r#"<noscript><p title="</noscript><img src=x onerror=alert(1)>">"#,
        &[],
    ),
    (
        "template",
        "<template><script>alert(1)</script></template>",
        &[],
    ),
    (
        "textarea",
        "<textarea><script>alert(1)</script></textarea>",
        &[],
    ),
    (
        "title attribute breakout",
        r#"<img alt="<x" title="/><script>alert(1)</script>">"#,
        &[],
    ),
    // Harmless markup that must survive, so that sanitizing cannot mean deleting.
    (
        "plain https link",
        r#"<a href="https://ok.example/">ok</a>"#,
        &[r#"href="https://ok.example/""#, ">ok</a>"],
    ),
    (
        "plain image",
        r#"<img src="https://ok.example/a.png" alt="fine">"#,
        &[r#"src="https://ok.example/a.png""#],
    ),
    (
        "Markdown link beside a bad one",
        "[good](https://ok.example/g) [bad](javascript:alert(1))",
        &[r#"href="https://ok.example/g""#, ">good</a>"],
    ),
];

/// Elements that only format text: everything the sanitizer may let through.
const ELEMENTS: &[&str] = &[
    "p",
    "a",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "strike",
    "code",
    "pre",
    "kbd",
    "samp",
    "var",
    "blockquote",
    "q",
    "cite",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "img",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "col",
    "colgroup",
    "sup",
    "sub",
    "small",
    "mark",
    "abbr",
    "span",
    "div",
    // A disclosure widget: inert without the event handlers the sanitizer strips.
    "details",
    "summary",
];

/// Attributes with no behaviour of their own (URL-valued ones are checked separately).
const ATTRIBUTES: &[&str] = &[
    "href", "src", "alt", "title", "rel", "lang", "hreflang", "width", "height", "align", "start",
    "cite", "colspan", "rowspan", "scope", "datetime", "dir", "span", "char", "charoff", "headers",
    "abbr", "summary", "size",
];

/// Attributes whose value a browser loads or navigates to.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "data",
    "srcset",
    "longdesc",
    "usemap",
    "lowsrc",
    "dynsrc",
];

/// One start or end tag (an end tag has no attributes).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// The tags of `html`, as html5ever serializes a fragment: text and attribute values escape
/// `<`, so every `<` starts a tag, and attribute values are double-quoted.
fn tags(html: &str) -> Result<Vec<Tag>, String> {
    let b = html.as_bytes();
    let skip_space = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(found) = html[i..].find('<') {
        let start = i + found;
        let mut j = start + 1;
        if b.get(j) == Some(&b'/') {
            j += 1;
        }
        let name_start = j;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        if j == name_start {
            return Err(format!("a `<` that starts no tag at byte {start}"));
        }
        let name = html[name_start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            j = skip_space(j);
            match b.get(j) {
                None => return Err(format!("the tag at byte {start} is not closed")),
                Some(b'>') => {
                    j += 1;
                    break;
                }
                Some(b'/') => {
                    j += 1;
                    continue;
                }
                Some(_) => {}
            }
            let attr_start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !b"=>/".contains(&b[j]) {
                j += 1;
            }
            let attr = html[attr_start..j].to_ascii_lowercase();
            j = skip_space(j);
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j = skip_space(j + 1);
                if b.get(j) == Some(&b'"') {
                    let end = html[j + 1..]
                        .find('"')
                        .ok_or_else(|| format!("an unclosed attribute value at byte {j}"))?;
                    value = html[j + 1..j + 1 + end].to_owned();
                    j += end + 2;
                } else {
                    let v = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[v..j].to_owned();
                }
            }
            attrs.push((attr, value));
        }
        out.push(Tag { name, attrs });
        i = j;
    }
    Ok(out)
}

/// `text` with character references decoded, as a browser decodes an attribute value.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp + 1..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .unwrap_or(rest.len());
        let (entity, after) = rest.split_at(end);
        let decoded = if let Some(hex) = entity
            .strip_prefix("#x")
            .or_else(|| entity.strip_prefix("#X"))
        {
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        } else if let Some(dec) = entity.strip_prefix('#') {
            dec.parse().ok().and_then(char::from_u32)
        } else {
            match entity.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                "nbsp" => Some('\u{a0}'),
                _ => None,
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.strip_prefix(';').unwrap_or(after);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

/// Whether a URL attribute's value is http(s), mailto, relative or a fragment, read the way
/// a browser reads it: entities decoded, white space and control characters dropped.
fn is_safe_url(value: &str) -> bool {
    let url: String = decode_entities(value)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    match scheme_end {
        // A colon after the first `/`, `?` or `#` is part of a relative reference.
        Some(colon) if path_start.is_none_or(|p| colon < p) => {
            matches!(&url[..colon], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Every way `html` could run script or load something it should not.
fn unsafe_parts(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    if html.to_ascii_lowercase().contains("<script") {
        found.push("the text `<script`".to_owned());
    }
    let tags = match tags(html) {
        Ok(tags) => tags,
        Err(e) => return vec![format!("unreadable markup: {e}")],
    };
    for tag in tags {
        let name = tag.name.as_str();
        if !ELEMENTS.contains(&name) {
            found.push(format!("the element <{name}>"));
        }
        for (attr, value) in &tag.attrs {
            if attr.starts_with("on") {
                found.push(format!("the event handler {attr} on <{name}>"));
            } else if matches!(attr.as_str(), "style" | "srcdoc" | "formaction") {
                found.push(format!("the attribute {attr} on <{name}>"));
            } else if !ATTRIBUTES.contains(&attr.as_str()) {
                found.push(format!("the attribute {attr}=\"{value}\" on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) && !is_safe_url(value) {
                found.push(format!("the URL {attr}=\"{value}\" on <{name}>"));
            }
        }
    }
    found
}

/// A body that carries `payload` as a block of its own and inline, after a harmless
/// paragraph that must come through whatever the payload does to what follows it.
fn body_with(i: usize, payload: &str) -> String {
    format!("**keep-{i}**\n\n{payload}\n\nText **inline-{i}** {payload} end.\n")
}

/// What is wrong with `html` as the rendering of payload `i`: anything unsafe, or a
/// harmless part missing.
fn check_html(i: usize, html: &str) -> Vec<String> {
    let (_, _, keeps) = PAYLOADS[i];
    let mut problems = unsafe_parts(html);
    let marker = format!("<strong>keep-{i}</strong>");
    for keep in std::iter::once(marker.as_str()).chain(keeps.iter().copied()) {
        if !html.contains(keep) {
            problems.push(format!("lost the harmless {keep:?}"));
        }
    }
    problems
}

/// Records a failure for payload `i` read through `via`, with the HTML, if `html` is not
/// clean.
fn judge(failures: &mut Vec<String>, i: usize, via: &str, html: &Value) {
    let (name, _, _) = PAYLOADS[i];
    let Some(html) = html.as_str() else {
        failures.push(format!("[{name}] {via}: body_html is not a string: {html}"));
        return;
    };
    let problems = check_html(i, html);
    if !problems.is_empty() {
        failures.push(format!(
            "[{name}] {via}: {}\n      body_html: {html}",
            problems.join("; ")
        ));
    }
}

#[track_caller]
fn assert_clean(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Publishes one article per payload, the payload also as its title and summary; returns
/// the failures of the answers to the creations.
async fn publish_payloads(ctx: &Ctx, app: &TestApp) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, (name, payload, _)) in PAYLOADS.iter().enumerate() {
        let body = body_with(i, payload);
        let created = create_article(
            ctx,
            app,
            json!({"title": payload, "slug": format!("xss-{i}"), "summary": payload,
                   "body": body, "status": "published",
                   "published_at": "2026-01-01T10:00:00Z"}),
        )
        .await;
        judge(&mut failures, i, "POST answer", &created["body_html"]);
        // The text fields are data, not markup: sent back exactly, neither rendered nor
        // escaped (escaping is the frontend's job, and it can only do it once).
        for (field, want) in [
            ("title", payload.trim()),
            ("summary", *payload),
            ("body", body.as_str()),
        ] {
            if created[field] != want {
                failures.push(format!(
                    "[{name}] {field} came back as {} instead of the string sent",
                    created[field]
                ));
            }
        }
    }
    failures
}

#[actix_web::test]
async fn created_bodies_are_sanitized() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    assert!(PAYLOADS.len() >= 40);
    let mut failures = publish_payloads(&ctx, &app).await;
    for (i, (name, payload, _)) in PAYLOADS.iter().enumerate() {
        let article = fetch_article(&app, &format!("xss-{i}")).await.ok(200);
        judge(&mut failures, i, "GET", &article["body_html"]);
        for (field, want) in [("title", payload.trim()), ("summary", *payload)] {
            if article[field] != want {
                failures.push(format!(
                    "[{name}] GET {field}: {} is not the string sent",
                    article[field]
                ));
            }
        }
    }
    assert_clean(&failures);
}

#[actix_web::test]
async fn updated_bodies_are_sanitized() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    publish(&ctx, &app, "Patched").await;
    let mut failures = Vec::new();
    for (i, (_, payload, _)) in PAYLOADS.iter().enumerate() {
        let patched = patch_article(
            &ctx,
            &app,
            "patched",
            json!({"body": body_with(i, payload)}),
        )
        .await;
        judge(&mut failures, i, "PATCH answer", &patched["body_html"]);
        let article = fetch_article(&app, "patched").await.ok(200);
        judge(&mut failures, i, "GET after PATCH", &article["body_html"]);
    }
    assert_clean(&failures);
}

/// A search highlight is HTML too: the matched words in `<mark>`, all else escaped text,
/// whatever the article's title, summary or body hold.
#[actix_web::test]
async fn search_highlights_escape_payloads() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let mut failures = publish_payloads(&ctx, &app).await;
    let mut marked = 0;
    for q in [
        "alert",
        "script",
        "onerror",
        "javascript",
        "svg",
        "img",
        "href",
    ] {
        let list = list_articles(&app, &format!("q={q}&limit=100&fields=slug,highlight")).await;
        let data = list["data"].as_array().expect("data");
        if data.is_empty() {
            failures.push(format!("q={q}: the payload articles were not found"));
        }
        for item in data {
            let Some(highlight) = item["highlight"].as_str() else {
                failures.push(format!("q={q}: no highlight string in {item}"));
                continue;
            };
            marked += usize::from(highlight.contains("<mark>"));
            let stray: Vec<String> = match tags(highlight) {
                Ok(tags) => tags
                    .into_iter()
                    .filter(|t| t.name != "mark" || !t.attrs.is_empty())
                    .map(|t| t.name)
                    .collect(),
                Err(e) => vec![e],
            };
            if !stray.is_empty() {
                failures.push(format!(
                    "q={q}, {}: markup besides <mark>: {stray:?} in {highlight}",
                    item["slug"]
                ));
            }
        }
    }
    assert!(marked > 0, "no highlight marked anything");
    assert_clean(&failures);
}

/// The checker itself: it must see what it is meant to see, or every test above could pass
/// for nothing.
#[test]
fn the_checker_finds_unsafe_markup() {
    for bad in [
        "<script>alert(1)</script>",
        "<p onclick=\"x\">a</p>",
        "<p style=\"color: red\">a</p>",
        "<a href=\"javascript:alert(1)\">a</a>",
        "<a href=\"JaVa&#x09;Script&colon;alert(1)\">a</a>",
        "<a href=\" &#1;javascript:alert(1)\">a</a>",
        "<img src=\"data:image/svg+xml,x\">",
        "<iframe srcdoc=\"x\"></iframe>",
        "<svg></svg>",
        "<p>a < b</p>",
    ] {
        assert!(!unsafe_parts(bad).is_empty(), "{bad} passed the checker");
    }
    for good in [
        "<p>a &lt;script&gt; b</p>",
        "<p><a href=\"https://x.example/a:b\" rel=\"noopener noreferrer\">x</a></p>",
        "<p><a href=\"/relative/path:with-colon\">x</a><a href=\"#top\">t</a></p>",
        "<img src=\"images/a.png\" alt=\"a &quot;b&quot; &lt;c&gt;\">",
        "<a href=\"mailto:a@example.org\">m</a>",
    ] {
        assert_eq!(unsafe_parts(good), Vec::<String>::new(), "{good}");
    }
}
