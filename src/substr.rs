//! Substring search for the few places that look for a word in short text (error messages,
//! URLs, a PEM key), and a character replacement. A plain scan: core's `str` patterns
//! (`find("…")`, `contains("…")`, `split_once("…")`) bring in its two-way searcher, which
//! cost the component 2.2 KB, for texts of at most a few kilobytes; std's `str::replace`
//! cost 360 bytes more than [`push_replaced`].

/// The byte offset of the first `needle` in `haystack` at or after byte `from`.
pub fn find_from(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let rest = haystack.as_bytes().get(from..)?;
    if needle.is_empty() {
        return Some(from);
    }
    rest.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .map(|at| from + at)
}

/// The byte offset of the first `needle` in `haystack` (as `str::find`).
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    find_from(haystack, needle, 0)
}

/// Whether `haystack` contains `needle` (as `str::contains`).
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// The text before and after the first `needle` (as `str::split_once`).
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(haystack, needle)?;
    Some((&haystack[..at], &haystack[at + needle.len()..]))
}

/// Appends `text` to `out` with every `from` replaced by `to` (as `str::replace`, without a
/// second copy of std's generic one).
pub fn push_replaced(out: &mut String, text: &str, from: char, to: &str) {
    for (i, part) in text.split(from).enumerate() {
        if i > 0 {
            out.push_str(to);
        }
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_str_search() {
        let texts = [
            "",
            "a",
            "--",
            "---",
            "a : b : c",
            "x://y://z",
            "héllo wörld",
            "ab",
        ];
        let needles = ["", "-", "--", " : ", "://", "wörld", "ö", "abc", "b"];
        for t in texts {
            for n in needles {
                assert_eq!(find(t, n), t.find(n), "{t:?} {n:?}");
                assert_eq!(contains(t, n), t.contains(n), "{t:?} {n:?}");
                assert_eq!(split_once(t, n), t.split_once(n), "{t:?} {n:?}");
                let mut replaced = String::from("<");
                push_replaced(&mut replaced, t, '-', n);
                assert_eq!(replaced, format!("<{}", t.replace('-', n)), "{t:?} {n:?}");
                for from in 0..=t.len() + 1 {
                    let want = t.get(from..).and_then(|r| r.find(n)).map(|i| i + from);
                    if t.is_char_boundary(from.min(t.len())) || from > t.len() {
                        assert_eq!(find_from(t, n, from), want, "{t:?} {n:?} {from}");
                    }
                }
            }
        }
    }
}
