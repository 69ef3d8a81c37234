//! The in-memory object store: tables of records, by object.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::dates::iso_date;
use crate::ids::{IdGen, id15};
use crate::schema::key_prefix;

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
        self.get_ref(name).map(Cow::into_owned)
    }

    /// [`Record::get`], borrowed where the value is stored (see [`Record::get_lower_ref`]).
    pub(crate) fn get_ref(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get_lower_ref(&name.to_ascii_lowercase())
    }

    /// [`Record::get`] without the copy: borrowed for stored fields and the id, owned only for
    /// the system fields computed on the fly. A query reads every selected value of every row
    /// this way (its names already in lower case, resolved once) and copies each straight into
    /// its result.
    pub(crate) fn get_lower_ref(&self, lower: &str) -> Option<Cow<'_, str>> {
        if let Some((_, value)) = self.fields.get(lower) {
            return value.as_deref().map(Cow::Borrowed);
        }
        match lower {
            "id" => Some(Cow::Borrowed(&self.id)),
            "isdeleted" => Some(Cow::Borrowed(if self.deleted { "true" } else { "false" })),
            "createddate" => Some(Cow::Owned(iso_date(self.created))),
            "lastmodifieddate" | "systemmodstamp" => Some(Cow::Owned(iso_date(self.modified))),
            _ => None,
        }
    }

    /// Whether the field has a non-empty value.
    pub(crate) fn has_value(&self, name: &str) -> bool {
        self.get_ref(name).is_some_and(|v| !v.is_empty())
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
