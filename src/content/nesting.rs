//! How deep a body nests, measured in one linear pass before it is sanitized.
//!
//! The HTML sanitizer's parser (html5ever, inside ammonia) does work in proportion to the
//! number of open elements for many tags (scope checks walk the stack of open elements, the
//! list of open formatting elements is searched), so N elements inside one another cost
//! N² steps: 8,000 nested blockquotes took seconds. The estimate here never counts fewer
//! open elements than the parser has (it closes an element only where the parser surely
//! does), so bounding it bounds that work; it may count more for careless HTML that the
//! parser repairs, such as a `<div>` closed by `</span>`.

use pulldown_cmark::{Event, Parser};

/// Elements that never have content (and `image`, which the parser reads as `img`).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is text up to their end tag (outside SVG and MathML).
const RAW_TEXT: &[&str] = &[
    "iframe", "noembed", "noframes", "script", "style", "textarea", "title", "xmp",
];

/// Elements whose end tag may be left out: the parser closes them ("generates implied end
/// tags") before closing a block around them.
const IMPLIED_END: &[&str] = &[
    "dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc",
];

/// Block elements whose end tag closes the elements with implied ends inside them, and
/// whose start tag closes an open paragraph.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "ul",
];

/// How many elements with implied ends an end tag may close on its way to its own element;
/// the walk is bounded so that the pass stays linear.
const IMPLIED_WALK: usize = 8;

/// The deepest nesting of Markdown containers and inline spans in the events of `parser`.
pub fn markdown_depth<'a>(parser: Parser<'a>) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for event in parser {
        match event {
            Event::Start(_) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The elements open at once, as far as this pass can tell, and how many are SVG or MathML.
#[derive(Default)]
struct Open {
    stack: Vec<String>,
    foreign: usize,
    deepest: usize,
}

impl Open {
    fn top_is(&self, names: &[&str]) -> bool {
        self.stack
            .last()
            .is_some_and(|t| names.contains(&t.as_str()))
    }

    fn push(&mut self, name: String) {
        if name == "svg" || name == "math" {
            self.foreign += 1;
        }
        self.stack.push(name);
        self.deepest = self.deepest.max(self.stack.len());
    }

    /// An element with no content (void, self-closed or raw text) one level below the top.
    fn leaf(&mut self) {
        self.deepest = self.deepest.max(self.stack.len() + 1);
    }

    fn pop(&mut self) {
        if let Some(name) = self.stack.pop()
            && (name == "svg" || name == "math")
        {
            self.foreign -= 1;
        }
    }

    fn start(&mut self, name: String) {
        if self.foreign == 0 {
            let n = name.as_str();
            // Closed by the parser when their next sibling starts.
            if (n == "li" && self.top_is(&["li"]))
                || ((n == "dt" || n == "dd") && self.top_is(&["dt", "dd"]))
                || ((n == "option" || n == "optgroup") && self.top_is(&["option"]))
                || ((n == "td" || n == "th" || n == "tr") && self.top_is(&["td", "th"]))
                || (BLOCK.contains(&n) && self.top_is(&["p"]))
            {
                self.pop();
            }
            if (n == "tr" && self.top_is(&["tr"])) || (n == "optgroup" && self.top_is(&[n])) {
                self.pop();
            }
        }
        self.push(name);
    }

    fn end(&mut self, name: &str) {
        let len = self.stack.len();
        let mut k = len;
        if self.foreign == 0 && (BLOCK.contains(&name) || IMPLIED_END.contains(&name)) {
            while k > 0
                && len - k < IMPLIED_WALK
                && self.stack[k - 1] != name
                && IMPLIED_END.contains(&self.stack[k - 1].as_str())
            {
                k -= 1;
            }
        }
        if k > 0 && self.stack[k - 1] == name {
            for _ in k - 1..len {
                self.pop();
            }
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Where `needle` (ASCII) next occurs in `hay` from `from`, ignoring ASCII case.
fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = needle[0].to_ascii_lowercase();
    (from..hay.len().saturating_sub(needle.len() - 1)).find(|&i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

/// A tag read at `html[i]` (just past `<` or `</`): its lowercase name, whether it closes
/// itself (`/>`), and where the text after it starts; `None` when the input ends first.
fn read_tag(html: &[u8], mut i: usize) -> Option<(String, bool, usize)> {
    let start = i;
    while i < html.len() && !is_space(html[i]) && html[i] != b'/' && html[i] != b'>' {
        i += 1;
    }
    let name = String::from_utf8_lossy(&html[start..i]).to_ascii_lowercase();
    loop {
        while i < html.len() && is_space(html[i]) {
            i += 1;
        }
        match html.get(i)? {
            b'>' => return Some((name, false, i + 1)),
            b'/' if html.get(i + 1) == Some(&b'>') => return Some((name, true, i + 2)),
            b'/' => i += 1,
            _ => {
                // An attribute name (a leading `=` belongs to it), then perhaps `=` and a value.
                i += 1;
                while i < html.len() && !is_space(html[i]) && !matches!(html[i], b'/' | b'>' | b'=')
                {
                    i += 1;
                }
                while i < html.len() && is_space(html[i]) {
                    i += 1;
                }
                if html.get(i) != Some(&b'=') {
                    continue;
                }
                i += 1;
                while i < html.len() && is_space(html[i]) {
                    i += 1;
                }
                match html.get(i)? {
                    q @ (b'"' | b'\'') => {
                        let close = html[i + 1..].iter().position(|b| b == q)?;
                        i += close + 2;
                    }
                    b'>' => {}
                    _ => {
                        while i < html.len() && !is_space(html[i]) && html[i] != b'>' {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// The deepest nesting of elements in the HTML fragment `html`, following the HTML
/// tokenizer for tags, attributes, comments and raw text.
pub fn html_depth(html: &str) -> usize {
    let html = html.as_bytes();
    let mut open = Open::default();
    let mut i = 0;
    while let Some(lt) = html[i..].iter().position(|&b| b == b'<') {
        i += lt + 1;
        match html.get(i) {
            Some(b'!') if html[i..].starts_with(b"!--") => {
                // `<!-->` and `<!--->` are whole comments; `--!>` ends one too.
                let end = (i + 1..html.len().saturating_sub(2))
                    .find(|&j| html[j..].starts_with(b"-->") || html[j..].starts_with(b"--!>"));
                match end {
                    Some(j) if html[j..].starts_with(b"-->") => i = j + 3,
                    Some(j) => i = j + 4,
                    None => break,
                }
            }
            Some(b'!' | b'?') => match html[i..].iter().position(|&b| b == b'>') {
                Some(gt) => i += gt + 1,
                None => break,
            },
            Some(b'/') if html.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                let Some((name, _, next)) = read_tag(html, i + 1) else {
                    break;
                };
                open.end(&name);
                i = next;
            }
            Some(b'/') => match html[i..].iter().position(|&b| b == b'>') {
                Some(gt) => i += gt + 1,
                None => break,
            },
            Some(b) if b.is_ascii_alphabetic() => {
                let Some((name, self_closing, next)) = read_tag(html, i) else {
                    break;
                };
                i = next;
                match name.as_str() {
                    "html" | "head" | "body" => {}
                    "plaintext" if open.foreign == 0 => {
                        open.leaf();
                        break;
                    }
                    n if open.foreign == 0 && RAW_TEXT.contains(&n) => {
                        open.leaf();
                        let closing = format!("</{n}");
                        let mut from = i;
                        // The end tag must be followed by a space, `/` or `>`.
                        loop {
                            match find_ci(html, from, closing.as_bytes()) {
                                Some(j) => {
                                    let after = j + closing.len();
                                    if html
                                        .get(after)
                                        .is_none_or(|&b| is_space(b) || b == b'/' || b == b'>')
                                    {
                                        i = read_tag(html, j + 2).map_or(html.len(), |t| t.2);
                                        break;
                                    }
                                    from = after;
                                }
                                None => return open.deepest,
                            }
                        }
                    }
                    n if VOID.contains(&n) => open.leaf(),
                    _ if self_closing && open.foreign > 0 => open.leaf(),
                    _ => open.start(name),
                }
            }
            _ => {}
        }
        if i >= html.len() {
            break;
        }
    }
    open.deepest
}

#[cfg(test)]
mod tests {
    use super::html_depth;

    #[test]
    fn counts_elements_inside_one_another() {
        assert_eq!(html_depth("plain text"), 0);
        assert_eq!(html_depth("<p>a</p><p>b</p>"), 1);
        assert_eq!(html_depth("<div><span><b>x</b></span></div>"), 3);
        assert_eq!(html_depth(&"<span>".repeat(500)), 500);
        assert_eq!(html_depth("<div><img src=x><br/><hr></div>"), 2);
    }

    #[test]
    fn follows_what_the_parser_closes() {
        // Paragraphs and list items without end tags are closed by their next sibling.
        assert_eq!(html_depth(&"<p>para".repeat(300)), 1);
        assert_eq!(
            html_depth(&format!("<ul>{}</ul>", "<li>item".repeat(300))),
            2
        );
        assert_eq!(html_depth(&"<ul><li>x</ul>".repeat(300)), 2);
        // A stray end tag closes nothing the parser keeps open.
        assert_eq!(html_depth(&"<div></span>".repeat(300)), 300);
        assert_eq!(html_depth(&"<span><div></span>".repeat(100)), 200);
    }

    #[test]
    fn skips_what_is_not_a_tag() {
        assert_eq!(html_depth(&"<!-- <div> -->".repeat(50)), 0);
        assert_eq!(html_depth("<script>if (a <div) {}</script><b>x</b>"), 1);
        assert_eq!(html_depth("<a title=\"<div><div>\">x</a>"), 1);
        assert_eq!(html_depth("a < b <3 <!doctype html>"), 0);
        // An empty comment does not hide what follows it.
        assert_eq!(html_depth(&format!("<!-->{}-->", "<div>".repeat(40))), 40);
        assert_eq!(html_depth(&format!("<!--->{}", "<div>".repeat(40))), 40);
        // Inside SVG, `<style>` is not raw text and `/>` closes.
        assert_eq!(html_depth("<svg><style><g><path/></g></style></svg>"), 4);
    }
}
