//! Salesforce-shaped record, job and batch ids.

use std::collections::HashMap;

/// Generates Salesforce-shaped ids: key prefix + `0M0` + a 9-digit counter (15 characters),
/// plus the 3-character case-safe suffix for the 18-character form.
#[derive(Debug, Default)]
pub(crate) struct IdGen {
    counters: HashMap<&'static str, u64>,
}

impl IdGen {
    /// Next 18-character id with `prefix`.
    pub(crate) fn next18(&mut self, prefix: &'static str) -> String {
        let id = self.next15(prefix);
        with_suffix(&id)
    }

    /// Next 15-character id with `prefix`.
    pub(crate) fn next15(&mut self, prefix: &'static str) -> String {
        let counter = self.counters.entry(prefix).or_insert(0);
        *counter += 1;
        format!("{prefix}0M0{:09}", *counter)
    }
}

/// Appends the case-insensitivity checksum that turns a 15-character id into 18 characters.
fn with_suffix(id15: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let bytes = id15.as_bytes();
    let mut id = id15.to_owned();
    for chunk in bytes.chunks(5) {
        let flags = chunk
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | (1 << i));
        id.push(char::from(ALPHABET[flags]));
    }
    id
}

/// The 15-character (case-sensitive) key of a 15- or 18-character id.
pub(crate) fn id15(id: &str) -> &str {
    if id.len() == 18 && id.is_ascii() {
        &id[..15]
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_checksum() {
        let mut ids = IdGen::default();
        let id = ids.next18("001");
        assert_eq!(id, "0010M0000000001QAA");
        assert_eq!(id15(&id), "0010M0000000001");
        assert_eq!(ids.next15("752"), "7520M0000000001");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
