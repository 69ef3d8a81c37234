//! The opaque cursors of Bulk API 2.0: result locators (`Sforce-Locator`, `?locator=`) and
//! listing locators (`?queryLocator=`). Clients must not read them; the mock can.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A results locator: the first row of a page and, for the pages `resultPages` hands out,
/// the page's row count (which then wins over `maxRecords`). `MTAwMDA` is row 10000, as in
/// the service's documented examples.
pub(crate) fn result_locator(offset: usize, count: Option<usize>) -> String {
    let text = match count {
        Some(count) => format!("{offset}-{count}"),
        None => offset.to_string(),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// `(offset, count)` of a results locator; `None` when it is not one of the mock's.
pub(crate) fn parse_result_locator(locator: &str) -> Option<(usize, Option<usize>)> {
    let bytes = URL_SAFE_NO_PAD.decode(locator.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    match text.split_once('-') {
        Some((offset, count)) => Some((offset.parse().ok()?, Some(count.parse().ok()?))),
        None => Some((text.parse().ok()?, None)),
    }
}

const LIST_PREFIX: &str = "01g0M000000LIST";

/// A listing locator: where the next page of jobs starts.
pub(crate) fn list_locator(offset: usize) -> String {
    format!("{LIST_PREFIX}-{offset}")
}

pub(crate) fn parse_list_locator(locator: &str) -> Option<usize> {
    locator
        .strip_prefix(LIST_PREFIX)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_round_trip() {
        assert_eq!(result_locator(10_000, None), "MTAwMDA");
        assert_eq!(parse_result_locator("MTAwMDA"), Some((10_000, None)));
        assert_eq!(
            parse_result_locator(&result_locator(5, Some(3))),
            Some((5, Some(3)))
        );
        assert_eq!(parse_result_locator("null"), None);
        assert_eq!(parse_list_locator(&list_locator(1000)), Some(1000));
        assert_eq!(parse_list_locator("01g-1000"), None);
    }
}
