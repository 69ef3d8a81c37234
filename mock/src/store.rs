//! The in-memory object store, record ids and the API-name rules.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use super::wire::iso_date;

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

/// Key prefix of record ids of `object`.
pub(crate) fn key_prefix(object: &str) -> &'static str {
    match object.to_ascii_lowercase().as_str() {
        "account" => "001",
        "contact" => "003",
        "opportunity" => "006",
        "lead" => "00Q",
        "case" => "500",
        "attachment" => "00P",
        "user" => "005",
        _ => "a00",
    }
}

/// Fields that must be non-null when a record of `object` is created (or after an update).
pub(crate) fn required_fields(object: &str) -> &'static [&'static str] {
    match object.to_ascii_lowercase().as_str() {
        "account" => &["Name"],
        "contact" => &["LastName"],
        "lead" => &["LastName", "Company"],
        "opportunity" => &["Name", "StageName", "CloseDate"],
        "attachment" => &["Name", "ParentId"],
        _ => &[],
    }
}

/// A plain API name: `[A-Za-z][A-Za-z0-9_]*`, and not one the mock declares unknown
/// (containing `bogus` or starting with `unknown`, case-insensitively).
pub(crate) fn is_known_name(name: &str) -> bool {
    let mut chars = name.chars();
    let syntax = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let lower = name.to_ascii_lowercase();
    syntax && !lower.contains("bogus") && !lower.starts_with("unknown")
}

/// A field reference: a known name, `Relationship.Field` or `Type:Relationship.Field`.
pub(crate) fn is_known_field(name: &str) -> bool {
    parse_relationship(name).map_or_else(
        || is_known_name(name),
        |r| r.type_hint.is_none_or(is_known_name) && is_known_name(r.rel) && is_known_name(r.field),
    )
}

/// The parts of a relationship reference `[Type:]Rel.Field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RelationshipRef<'a> {
    pub type_hint: Option<&'a str>,
    pub rel: &'a str,
    pub field: &'a str,
}

impl RelationshipRef<'_> {
    /// The lookup field holding the parent id: `Account` → `AccountId`, `Parent__r` → `Parent__c`.
    pub(crate) fn lookup_field(&self) -> String {
        match self.rel.strip_suffix("__r") {
            Some(base) => format!("{base}__c"),
            None => format!("{}Id", self.rel),
        }
    }
}

/// Splits `[Type:]Rel.Field`; `None` for a plain name.
pub(crate) fn parse_relationship(name: &str) -> Option<RelationshipRef<'_>> {
    let (type_hint, path) = match name.split_once(':') {
        Some((hint, path)) => (Some(hint), path),
        None => (None, name),
    };
    let (rel, field) = path.split_once('.')?;
    (!field.contains('.')).then_some(RelationshipRef {
        type_hint,
        rel,
        field,
    })
}

#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub id: String,
    /// lower-case name → (name as first written, value; `None` = null).
    fields: BTreeMap<String, (String, Option<String>)>,
    pub deleted: bool,
    pub created: SystemTime,
    pub modified: SystemTime,
}

impl Record {
    /// The value of a field (`Id` and the system date fields included); `None` when null.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        if let Some((_, value)) = self.fields.get(&lower) {
            return value.clone();
        }
        match lower.as_str() {
            "id" => Some(self.id.clone()),
            "isdeleted" => Some(self.deleted.to_string()),
            "createddate" => Some(iso_date(self.created)),
            "lastmodifieddate" | "systemmodstamp" => Some(iso_date(self.modified)),
            _ => None,
        }
    }

    /// Whether the field has a non-empty value.
    pub(crate) fn has_value(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }

    pub(crate) fn set(&mut self, name: &str, value: Option<String>) {
        let lower = name.to_ascii_lowercase();
        if lower == "id" {
            return;
        }
        self.fields
            .entry(lower)
            .and_modify(|slot| slot.1.clone_from(&value))
            .or_insert_with(|| (name.to_owned(), value));
    }
}

#[derive(Debug)]
pub(crate) struct Table {
    pub name: String,
    /// By 15-character id, i.e. in insertion order.
    pub records: BTreeMap<String, Record>,
}

impl Table {
    pub(crate) fn get(&self, id: &str) -> Option<&Record> {
        self.records.get(id15(id))
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    /// By lower-case object name.
    tables: BTreeMap<String, Table>,
    pub ids: IdGen,
}

impl Store {
    pub(crate) fn table(&self, object: &str) -> Option<&Table> {
        self.tables.get(&object.to_ascii_lowercase())
    }

    pub(crate) fn table_mut(&mut self, object: &str) -> &mut Table {
        self.tables
            .entry(object.to_ascii_lowercase())
            .or_insert_with(|| Table {
                name: object.to_owned(),
                records: BTreeMap::new(),
            })
    }

    pub(crate) fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// Adds a record; returns its 18-character id.
    pub(crate) fn insert(
        &mut self,
        object: &str,
        fields: impl IntoIterator<Item = (String, Option<String>)>,
        now: SystemTime,
    ) -> String {
        let id = self.ids.next18(key_prefix(object));
        let mut record = Record {
            id: id.clone(),
            fields: BTreeMap::new(),
            deleted: false,
            created: now,
            modified: now,
        };
        for (name, value) in fields {
            record.set(&name, value);
        }
        self.table_mut(object)
            .records
            .insert(id15(&id).to_owned(), record);
        id
    }

    /// A record of `object` by id (deleted ones included).
    pub(crate) fn get_mut(&mut self, object: &str, id: &str) -> Option<&mut Record> {
        self.tables
            .get_mut(&object.to_ascii_lowercase())?
            .records
            .get_mut(id15(id))
    }

    pub(crate) fn remove(&mut self, object: &str, id: &str) {
        if let Some(table) = self.tables.get_mut(&object.to_ascii_lowercase()) {
            table.records.remove(id15(id));
        }
    }

    /// A record of any object by id.
    pub(crate) fn find_by_id(&self, id: &str) -> Option<(&Table, &Record)> {
        self.tables
            .values()
            .find_map(|table| table.get(id).map(|record| (table, record)))
    }

    pub(crate) fn live_count(&self, object: &str) -> usize {
        self.table(object)
            .map_or(0, |t| t.records.values().filter(|r| !r.deleted).count())
    }

    /// Live records as `field → value` maps (with `Id`; null fields left out).
    pub(crate) fn snapshot(&self, object: &str) -> Vec<BTreeMap<String, String>> {
        let Some(table) = self.table(object) else {
            return Vec::new();
        };
        table
            .records
            .values()
            .filter(|r| !r.deleted)
            .map(|record| {
                let mut row: BTreeMap<String, String> = record
                    .fields
                    .values()
                    .filter_map(|(name, value)| value.clone().map(|v| (name.clone(), v)))
                    .collect();
                row.insert("Id".into(), record.id.clone());
                row
            })
            .collect()
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

    #[test]
    fn name_rules() {
        assert!(is_known_field("Name"));
        assert!(is_known_field("Ext_Id__c"));
        assert!(is_known_field("ReportsTo.Email"));
        assert!(is_known_field("Lead:Who.Email"));
        assert!(!is_known_field("\u{feff}Name"));
        assert!(!is_known_field("Bogus__c"));
        assert!(!is_known_field("UnknownField"));
        assert!(!is_known_field("Account.Bogus"));
        assert!(!is_known_field("a b"));
        assert!(!is_known_field(""));
    }
}
