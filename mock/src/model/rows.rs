//! The rows of a query result, flat: every value of every row in one string and their ends in
//! one vector. A row per `String` and `Vec` cost a million-row query four allocations a row and
//! most of its time in malloc and in the kernel zeroing fresh pages, under the state lock; flat,
//! the whole result is a few allocations, and its result files (1.0) and pages (2.0) are views
//! of it, not copies.

use std::ops::Range;
use std::sync::Arc;

/// Marks an entry of `Flat::ends` whose value is null (its end is then the previous end).
const NULL: u32 = 1 << 31;

/// Most bytes of values one result holds: ends are `u32`, their top bit the null marker.
const MAX_TEXT: usize = (NULL - 1) as usize;

/// Every value of every row, back to back; a row is its record's id, then its selected values.
#[derive(Debug, Default)]
struct Flat {
    text: String,
    /// Per value, where it ends in `text`, with [`NULL`] set when it is null.
    ends: Vec<u32>,
    /// Values per row: the id and the selected fields.
    width: usize,
}

impl Flat {
    /// Where value `k` starts: the end of the one before it.
    fn start(&self, k: usize) -> usize {
        match k.checked_sub(1) {
            Some(before) => (self.ends[before] & !NULL) as usize,
            None => 0,
        }
    }

    fn value(&self, k: usize) -> Option<&str> {
        let end = self.ends[k];
        (end & NULL == 0).then(|| &self.text[self.start(k)..end as usize])
    }
}

/// Writes a result row by row: [`RowsBuilder::start_row`] with the record's id, then
/// [`RowsBuilder::push_value`] once per selected field.
#[derive(Debug)]
pub(crate) struct RowsBuilder {
    flat: Flat,
}

impl RowsBuilder {
    /// A result of `fields` selected fields.
    pub(crate) fn new(fields: usize) -> RowsBuilder {
        RowsBuilder {
            flat: Flat {
                width: fields + 1,
                ..Flat::default()
            },
        }
    }

    /// Starts the row of the record `id`.
    pub(crate) fn start_row(&mut self, id: &str) -> Result<(), String> {
        debug_assert!(
            self.flat.ends.len().is_multiple_of(self.flat.width),
            "row started before the last one was complete"
        );
        self.push(Some(id))
    }

    /// The next selected value of the current row (`None` = null).
    pub(crate) fn push_value(&mut self, value: Option<&str>) -> Result<(), String> {
        self.push(value)
    }

    fn push(&mut self, value: Option<&str>) -> Result<(), String> {
        let end = match value {
            Some(text) => {
                if self.flat.text.len() + text.len() > MAX_TEXT {
                    return Err(format!(
                        "the mock holds at most {MAX_TEXT} bytes of values in one query result"
                    ));
                }
                self.flat.text.push_str(text);
                // At most MAX_TEXT, checked above: the cast keeps every bit.
                self.flat.text.len() as u32
            }
            None => (self.flat.start(self.flat.ends.len()) as u32) | NULL,
        };
        self.flat.ends.push(end);
        Ok(())
    }

    pub(crate) fn finish(self) -> Rows {
        debug_assert!(
            self.flat.ends.len().is_multiple_of(self.flat.width),
            "the last row is incomplete"
        );
        let len = self.flat.ends.len() / self.flat.width;
        Rows {
            flat: Arc::new(self.flat),
            range: 0..len,
        }
    }
}

/// Consecutive rows of a query result: the whole result, or a view of some of its rows (a
/// result file, a page) sharing its storage.
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    flat: Arc<Flat>,
    /// Which rows of `flat` these are.
    range: Range<usize>,
}

impl Default for Rows {
    /// No rows (a 2.0 job before its query ran).
    fn default() -> Rows {
        RowsBuilder::new(0).finish()
    }
}

impl Rows {
    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Rows `range` of these rows (indexes relative to this view), sharing the storage.
    ///
    /// # Panics
    ///
    /// When `range` is not within `0..self.len()`, as a slice would.
    pub(crate) fn slice(&self, range: Range<usize>) -> Rows {
        assert!(
            range.start <= range.end && range.end <= self.len(),
            "rows {range:?} out of 0..{}",
            self.len()
        );
        Rows {
            flat: Arc::clone(&self.flat),
            range: self.range.start + range.start..self.range.start + range.end,
        }
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = Row<'_>> {
        let flat = &*self.flat;
        self.range.clone().map(move |i| Row {
            flat,
            first: i * flat.width,
        })
    }

    /// Bytes of the values of these rows, ids included (a rendering sizes its buffer with it).
    pub(crate) fn text_len(&self) -> usize {
        let width = self.flat.width;
        self.flat.start(self.range.end * width) - self.flat.start(self.range.start * width)
    }
}

/// One row of a result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    flat: &'a Flat,
    /// Index of the row's id in `flat.ends`; its values follow.
    first: usize,
}

impl<'a> Row<'a> {
    /// The record's id (selected or not).
    pub(crate) fn id(&self) -> &'a str {
        self.flat.value(self.first).unwrap_or_default()
    }

    /// The selected values, in the order of the fields (`None` = null).
    pub(crate) fn values(&self) -> impl ExactSizeIterator<Item = Option<&'a str>> + use<'a> {
        let flat = self.flat;
        (self.first + 1..self.first + flat.width).map(move |k| flat.value(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[(&str, &[Option<&str>])]) -> Rows {
        let mut builder = RowsBuilder::new(data[0].1.len());
        for (id, values) in data {
            builder.start_row(id).unwrap();
            for value in *values {
                builder.push_value(*value).unwrap();
            }
        }
        builder.finish()
    }

    fn read(rows: &Rows) -> Vec<(String, Vec<Option<String>>)> {
        rows.iter()
            .map(|row| {
                let values = row.values().map(|v| v.map(str::to_owned)).collect();
                (row.id().to_owned(), values)
            })
            .collect()
    }

    #[test]
    fn nulls_and_empty_values_are_told_apart() {
        let all = rows(&[
            ("001A", &[None, Some(""), Some("x")]),
            ("001B", &[Some("é\"q"), None, None]),
            ("001C", &[None, None, Some("")]),
        ]);
        assert_eq!(all.len(), 3);
        assert_eq!(
            read(&all),
            [
                (
                    "001A".into(),
                    vec![None, Some(String::new()), Some("x".into())]
                ),
                ("001B".into(), vec![Some("é\"q".into()), None, None]),
                ("001C".into(), vec![None, None, Some(String::new())]),
            ]
        );
        assert_eq!(all.text_len(), "001Ax001Bé\"q001C".len());
    }

    #[test]
    fn slices_are_views_of_views() {
        let ids = ["a", "bb", "ccc", "dddd", "eeeee"];
        let data: Vec<(&str, &[Option<&str>])> = ids.iter().map(|id| (*id, &[None][..])).collect();
        let all = rows(&data);
        let middle = all.slice(1..4);
        assert_eq!(middle.len(), 3);
        let tail = middle.slice(1..3);
        let tail_ids: Vec<&str> = tail.iter().map(|r| r.id()).collect();
        assert_eq!(tail_ids, ["ccc", "dddd"]);
        assert_eq!(tail.text_len(), 7);
        let empty = all.slice(5..5);
        assert!(empty.is_empty());
        assert_eq!(empty.iter().count(), 0);
        assert_eq!(empty.text_len(), 0);
        assert!(Rows::default().is_empty());
    }

    #[test]
    #[should_panic(expected = "out of")]
    fn slices_stay_within_their_view() {
        let all = rows(&[("a", &[None]), ("b", &[None])]);
        let _ = all.slice(1..2).slice(0..2);
    }
}
