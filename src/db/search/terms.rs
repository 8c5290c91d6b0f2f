//! What a reader types in a search box, read as search terms: words, `"exact phrases"` and
//! `-excluded` words or phrases. Every character of text is read as one of those or as a
//! space between words, so that no text is an error and none reaches a database as query
//! syntax: a term is a list of words of letters and digits, which each backend's query is
//! built from (FTS5 quoted strings, tsquery quoted lexemes).

/// Folds a word as the search does: lowercase, without diacritics.
pub(super) fn fold(word: &str) -> String {
    deunicode::deunicode(word).to_lowercase()
}

/// The stem of a folded word: English Snowball stems, close to those of the search itself
/// (Porter's, see db::search), for what the search decides here: whether the last word was
/// typed whole, and which words of a snippet to mark.
pub(super) fn stem(word: &str) -> String {
    thread_local! {
        static ENGLISH: rust_stemmers::Stemmer =
            rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    }
    ENGLISH.with(|s| s.stem(word).into_owned())
}

/// The search terms of a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// Words and phrases every match holds, in the order typed; a word is a phrase of one.
    pub required: Vec<Vec<String>>,
    /// Words and phrases no match holds.
    pub excluded: Vec<Vec<String>>,
    /// Whether the last required word also matches as the beginning of a word: when the text
    /// ends with a plain word (neither quoted nor excluded), which the reader may still be
    /// typing, and which is no form of a word that stemming recognizes ("elections" is taken
    /// whole: as the beginning of a stem, "elect", it would find "electricity").
    pub prefix: bool,
}

/// The words of `text`: its runs of letters and digits, as FTS5's unicode61 tokenizer splits
/// it.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Terms {
    /// Reads `text`: a `"` opens a phrase up to the next `"` (or the end), a `-` that begins a
    /// word or a phrase excludes it (inside a word, as in "well-known", it only separates),
    /// and everything else is words.
    pub fn parse(text: &str) -> Self {
        let mut terms = Terms::default();
        // Whether the last term read was a plain required word.
        let mut plain_last = false;
        let mut rest = text;
        let mut after_word = false;
        while let Some(c) = rest.chars().next() {
            let excluded = c == '-'
                && !after_word
                && rest[1..]
                    .chars()
                    .next()
                    .is_some_and(|n| n == '"' || n.is_alphanumeric());
            let body = if excluded { &rest[1..] } else { rest };
            if let Some(inner) = body.strip_prefix('"') {
                let end = inner.find('"').unwrap_or(inner.len());
                let words = words(&inner[..end]);
                rest = inner.get(end + 1..).unwrap_or("");
                after_word = false;
                if !words.is_empty() {
                    plain_last = false;
                    match excluded {
                        true => terms.excluded.push(words),
                        false => terms.required.push(words),
                    }
                }
                continue;
            }
            if body.starts_with(|c: char| c.is_alphanumeric()) {
                let end = body
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(body.len());
                let word = body[..end].to_owned();
                rest = &body[end..];
                after_word = true;
                plain_last = !excluded;
                match excluded {
                    true => terms.excluded.push(vec![word]),
                    false => terms.required.push(vec![word]),
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            after_word = false;
        }
        terms.prefix = plain_last
            && terms.required.last().is_some_and(|t| {
                let word = fold(&t[0]);
                stem(&word) == word
            });
        if terms.required.is_empty() {
            // Nothing to find but what to leave out: read as what to find (as a `-1` typed
            // for minus one), rather than a search that finds nothing or an error.
            terms.required = std::mem::take(&mut terms.excluded);
        }
        terms
    }

    /// Plain `words`, every one required, the last as a prefix: what a search box's text is
    /// read as for suggestions.
    pub fn plain(words: Vec<String>) -> Self {
        Terms {
            prefix: !words.is_empty(),
            required: words.into_iter().map(|w| vec![w]).collect(),
            excluded: Vec::new(),
        }
    }

    /// Whether there is nothing to find: no word at all.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }

    /// Every required word, in order, for marking matches in snippets.
    pub fn words(&self) -> Vec<String> {
        self.required.iter().flatten().cloned().collect()
    }

    /// The FTS5 expression: each term a quoted string (so no user text is ever read as FTS5
    /// syntax), every required one, the last as a prefix when [`Terms::prefix`], and none of
    /// the excluded ones.
    pub fn fts5(&self) -> String {
        let quoted = |words: &[String]| format!("\"{}\"", words.join(" ").replace('"', "\"\""));
        let mut required: Vec<String> = self.required.iter().map(|t| quoted(t)).collect();
        if self.prefix
            && let Some(last) = required.last_mut()
        {
            last.push('*');
        }
        let required = required.join(" ");
        if self.excluded.is_empty() {
            return required;
        }
        let excluded: Vec<String> = self.excluded.iter().map(|t| quoted(t)).collect();
        format!("({required}) NOT ({})", excluded.join(" OR "))
    }

    /// The tsquery: each word a quoted lexeme (words hold only letters and digits, so no user
    /// text becomes tsquery syntax), phrases with `<->`, every required term, the last word a
    /// prefix when [`Terms::prefix`], and no excluded one.
    pub fn tsquery(&self) -> String {
        let phrase = |words: &[String], prefix: bool| {
            let last = words.len() - 1;
            let lexemes: Vec<String> = words
                .iter()
                .enumerate()
                .map(|(i, w)| match prefix && i == last {
                    true => format!("'{w}':*"),
                    false => format!("'{w}'"),
                })
                .collect();
            match lexemes.len() {
                1 => lexemes.concat(),
                _ => format!("({})", lexemes.join(" <-> ")),
            }
        };
        let last = self.required.len().saturating_sub(1);
        let required = self
            .required
            .iter()
            .enumerate()
            .map(|(i, t)| phrase(t, self.prefix && i == last));
        let excluded = self
            .excluded
            .iter()
            .map(|t| format!("!{}", phrase(t, false)));
        required.chain(excluded).collect::<Vec<_>>().join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::Terms;

    fn terms(required: &[&[&str]], excluded: &[&[&str]], prefix: bool) -> Terms {
        let own = |t: &[&[&str]]| {
            t.iter()
                .map(|p| p.iter().map(|w| (*w).to_owned()).collect())
                .collect()
        };
        Terms {
            required: own(required),
            excluded: own(excluded),
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_exclusions_are_read_from_any_text() {
        assert_eq!(
            Terms::parse("Tram ext"),
            terms(&[&["Tram"], &["ext"]], &[], true)
        );
        assert_eq!(
            Terms::parse("\"tram strike\" -harbour -\"bus lane\" well-known"),
            terms(
                &[&["tram", "strike"], &["well"], &["known"]],
                &[&["harbour"], &["bus", "lane"]],
                true
            )
        );
        // The last word is no prefix when quoted or excluded; an open quote runs to the end.
        assert_eq!(
            Terms::parse("tram -strike"),
            terms(&[&["tram"]], &[&["strike"]], false)
        );
        assert_eq!(
            Terms::parse("\"tram stri"),
            terms(&[&["tram", "stri"]], &[], false)
        );
        // A recognizable form of a word is taken whole.
        assert_eq!(
            Terms::parse("elections"),
            terms(&[&["elections"]], &[], false)
        );
        assert_eq!(Terms::parse("Electi"), terms(&[&["Electi"]], &[], true));
        // Syntax of either backend is only spaces between words.
        assert_eq!(
            Terms::parse("tram OR x* NEAR(a b) ' & | ! <->"),
            terms(
                &[&["tram"], &["OR"], &["x"], &["NEAR"], &["a"], &["b"]],
                &[],
                true
            )
        );
        assert!(Terms::parse("*** --- \"\" -\"\"").is_empty());
        // Exclusions alone are what is looked for.
        assert_eq!(
            Terms::parse("-tram -\"a b\""),
            terms(&[&["tram"], &["a", "b"]], &[], false)
        );
    }

    #[test]
    fn each_backend_gets_quoted_terms_only() {
        let t = Terms::parse("\"tram strike\" -harbour ext");
        assert_eq!(t.fts5(), "(\"tram strike\" \"ext\"*) NOT (\"harbour\")");
        assert_eq!(t.tsquery(), "('tram' <-> 'strike') & 'ext':* & !'harbour'");
        let t = Terms::parse("Tram ext");
        assert_eq!(t.fts5(), "\"Tram\" \"ext\"*");
        assert_eq!(t.tsquery(), "'Tram' & 'ext':*");
    }
}
