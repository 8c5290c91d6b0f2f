//! Snippets of search hits: the words around the first match, every match marked.

use super::Terms;
use super::terms::{fold, stem};

/// Marks the start of a matched word in a snippet: a control character, which no stored
/// text can contain (input with control characters is refused), so that the caller can
/// escape the text and then turn the marks into markup.
pub const HIT_START: char = '\u{2}';
/// Marks the end of a matched word in a snippet.
pub const HIT_END: char = '\u{3}';

/// Words shown in a snippet.
const SNIPPET_WORDS: usize = 16;

/// A snippet of the first of `texts` that holds a match of `terms` (any form of a required
/// word, the last one also as a prefix when typed so): up to 16 words around the first
/// match, every match between [`HIT_START`] and [`HIT_END`], `…` where text was cut; as
/// FTS5's snippet() makes them. Cut here rather than by the database (PostgreSQL's
/// ts_headline drops markup-like text; FTS5's snippet() reads and tokenizes the whole article
/// again, see BENCHMARKS.md) and only for the hits of the page.
pub fn snippet(texts: &[&str], terms: &Terms) -> String {
    let wanted: Vec<(String, String)> = terms
        .words()
        .iter()
        .map(|w| {
            let w = fold(w);
            let s = stem(&w);
            (w, s)
        })
        .collect();
    if wanted.is_empty() {
        return String::new();
    }
    let prefix = terms.prefix.then(|| wanted[wanted.len() - 1].0.clone());
    let hit = |token: &str| {
        let token = fold(token);
        let stemmed = stem(&token);
        wanted.iter().any(|(w, s)| *w == token || *s == stemmed)
            || prefix
                .as_ref()
                .is_some_and(|p| token.starts_with(p.as_str()))
    };
    for text in texts {
        // The byte ranges of the words; what lies between them is kept as it is.
        let mut tokens: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    tokens.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            tokens.push((s, text.len()));
        }
        let Some(first) = tokens.iter().position(|&(s, e)| hit(&text[s..e])) else {
            continue;
        };
        let from = first.saturating_sub(SNIPPET_WORDS / 4);
        let to = (from + SNIPPET_WORDS).min(tokens.len());
        let from = to.saturating_sub(SNIPPET_WORDS);
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        let mut at = if from == 0 { 0 } else { tokens[from].0 };
        for &(s, e) in &tokens[from..to] {
            out.push_str(&text[at..s]);
            let word = &text[s..e];
            if hit(word) {
                out.push(HIT_START);
                out.push_str(word);
                out.push(HIT_END);
            } else {
                out.push_str(word);
            }
            at = e;
        }
        if to < tokens.len() {
            out.push('…');
        } else {
            out.push_str(&text[at..]);
        }
        return out;
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_every_match_in_the_first_text_that_has_one() {
        let mark = |s: String| s.replace(HIT_START, "[").replace(HIT_END, "]");
        let words = Terms::parse("zurich tra");
        assert_eq!(
            mark(snippet(
                &["Budget day", "Zürich's trams: <b>new</b>"],
                &words
            )),
            "[Zürich]'s [trams]: <b>new</b>"
        );
        let long = (1..=40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let cut = mark(snippet(&[&long.replace("w20", "tram")], &words));
        assert_eq!(
            cut,
            "…w16 w17 w18 w19 [tram] w21 w22 w23 w24 w25 w26 w27 w28 w29 w30 w31…"
        );
        assert_eq!(snippet(&["nothing here"], &words), "");
        // Other forms of a word are marked, not words it merely begins.
        let flood = Terms::parse("flooded -x");
        assert_eq!(
            mark(snippet(&["Floods and flooding: floodlights"], &flood)),
            "[Floods] and [flooding]: floodlights"
        );
    }
}
