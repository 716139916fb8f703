//! Finding the secrets a call sent in the texts of its error, in every
//! form a server may echo them.

/// What replaces an echoed secret.
const REDACTED: &str = "[REDACTED]";
/// What replaces a whole text that holds a secret too short to cut out
/// without cutting up the text.
const WITHHELD: &str = "[withheld: the text contained a secret]";
/// Secrets shorter than this (in bytes) would match ordinary words: a text
/// holding one is withheld whole.
const MIN_SCRUBBED: usize = 4;

/// Finds secrets in text, in the forms a server echoes them: as sent,
/// JSON-escaped (minimally, twice, as `\uXXXX` for non-ASCII, and Go's
/// HTML-safe way), and percent-encoded (RFC 3986 with upper- and lower-case
/// hex, forms with `+` for spaces, and JavaScript's `encodeURIComponent`).
pub(crate) struct Scrubber {
    /// Longest first.
    needles: Vec<String>,
    short: Vec<String>,
}

impl Scrubber {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Scrubber {
        let mut needles = Vec::new();
        let mut short = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            for form in forms(secret) {
                let list = if form.len() < MIN_SCRUBBED { &mut short } else { &mut needles };
                if !list.contains(&form) {
                    list.push(form);
                }
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Scrubber { needles, short }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.needles.is_empty() && self.short.is_empty()
    }

    /// Whether any secret, in any form, is in `text`.
    pub(crate) fn finds(&self, text: &str) -> bool {
        self.needles.iter().chain(&self.short).any(|n| text.contains(n.as_str()))
    }

    pub(crate) fn finds_in_chain(&self, error: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if self.finds(&e.to_string()) || self.finds(&format!("{e:?}")) {
                return true;
            }
            cause = e.source();
        }
        false
    }

    /// Replaces every occurrence of every secret. The spans of all
    /// occurrences are merged first, so that overlapping secrets leave no
    /// tail of either. A text that still shows a secret afterwards (a short
    /// one, or one that the marker itself completes) is withheld whole.
    pub(crate) fn scrub(&self, text: &mut String) {
        if self.is_empty() || !self.finds(text) {
            return;
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            let mut from = 0;
            while let Some(at) = text[from..].find(needle.as_str()) {
                let start = from + at;
                spans.push((start, start + needle.len()));
                // The next match may overlap this one.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(next, next_end)) = spans.peek()
                && next <= end
            {
                end = end.max(next_end);
                spans.next();
            }
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&text[at..]);
        *text = if self.finds(&out) { WITHHELD.to_string() } else { out };
    }

    pub(crate) fn scrub_option(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.scrub(text);
        }
    }
}

/// The forms a secret may be echoed in.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"');
    let mut ascii = String::new();
    let mut html_safe = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => html_safe.push_str(&format!("\\u{:04x}", c as u32)),
            c => html_safe.push(c),
        }
    }
    let percent = accountkit_runtime::encode_path_segment(secret);
    let lower = lower_hex(&percent);
    let form: String = percent_encoding::utf8_percent_encode(secret, FORM).to_string().replace("%20", "+");
    let form_lower = lower_hex(&form);
    // A JSON text inside a JSON string (a body echoed whole, say).
    let twice = serde_json::to_string(json).unwrap_or_default();
    let twice = twice.trim_matches('"').to_string();
    let script: String = percent_encoding::utf8_percent_encode(secret, SCRIPT).to_string();
    forms.extend([json.to_string(), twice, ascii, html_safe, percent, lower, form, form_lower, script]);
    forms
}

/// JavaScript's `encodeURIComponent` keeps letters, digits and `-_.!~*'()`.
const SCRIPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `application/x-www-form-urlencoded` keeps letters, digits and `*-._`.
const FORM: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');

/// Percent-escapes with lower-case hex digits.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(secrets: &[&str], text: &str) -> String {
        let mut text = text.to_string();
        Scrubber::new(secrets.iter().copied()).scrub(&mut text);
        text
    }

    #[test]
    fn overlapping_secrets_leave_no_tail() {
        assert_eq!(scrubbed(&["abcdef", "cdefgh"], "xx abcdefgh yy"), "xx [REDACTED] yy");
        assert_eq!(scrubbed(&["cdefgh", "abcdef"], "abcdefgh"), "[REDACTED]");
        // Overlapping occurrences of one secret.
        assert_eq!(scrubbed(&["aaaa"], "aaaaaa!"), "[REDACTED]!");
        assert_eq!(scrubbed(&["abab"], "ababab"), "[REDACTED]");
    }

    #[test]
    fn short_secrets_withhold_the_whole_text() {
        assert_eq!(scrubbed(&["ab"], "wrong password ab"), WITHHELD);
        assert_eq!(scrubbed(&["ab"], "wrong password"), "wrong password");
        assert_eq!(scrubbed(&["é"], "café"), WITHHELD);
    }

    #[test]
    fn a_secret_the_marker_completes_is_withheld() {
        assert_eq!(scrubbed(&["abcd", "TED]efgh"], "abcdefgh"), WITHHELD);
    }

    #[test]
    fn echoed_forms_are_scrubbed() {
        let secret = "pa\"ss\\wörd&<x>";
        for echoed in [
            "pa\"ss\\wörd&<x>",
            r#"pa\"ss\\wörd&<x>"#,
            r#"pa\"ss\\w\u00f6rd&<x>"#,
            r#"pa\"ss\\wörd\u0026\u003cx\u003e"#,
            "pa%22ss%5Cw%C3%B6rd%26%3Cx%3E",
            "pa%22ss%5cw%c3%b6rd%26%3cx%3e",
        ] {
            let text = format!("bad value <{echoed}> given");
            let out = scrubbed(&[secret], &text);
            assert_eq!(out, "bad value <[REDACTED]> given", "{echoed}");
        }
        assert_eq!(scrubbed(&["my secret*"], "q=my+secret*"), "q=[REDACTED]");
        assert_eq!(scrubbed(&["it's (ok)"], "it's%20(ok) x"), "[REDACTED] x");
        assert_eq!(scrubbed(&["a\"b\\c"], r#"{"m":"a\\\"b\\\\c"}"#), r#"{"m":"[REDACTED]"}"#);
        assert_eq!(scrubbed(&["a b/c"], "a+b%2Fc and a%20b%2fc"), "[REDACTED] and [REDACTED]");
    }
}
