//! Applying ingest records to the store: insert, update, upsert, delete and hardDelete, one
//! record at a time, each with its own result.

use std::time::SystemTime;

use crate::decode::records::{FieldValue, InputRecord};
use crate::ids::id15;
use crate::model::batch::{RecordError, RecordResult};
use crate::model::job::Operation;
use crate::schema::{is_known_field, parse_relationship, required_fields};
use crate::store::{Record, Store, Table};

/// Applies `records` to the store, in order.
pub(crate) fn apply(
    store: &mut Store,
    operation: Operation,
    object: &str,
    external_id: Option<&str>,
    records: Vec<InputRecord>,
    at: SystemTime,
) -> Vec<RecordResult> {
    records
        .into_iter()
        .map(|record| {
            apply_one(store, operation, object, external_id, record, at)
                .unwrap_or_else(RecordResult::failed)
        })
        .collect()
}

fn apply_one(
    store: &mut Store,
    operation: Operation,
    object: &str,
    external_id: Option<&str>,
    record: InputRecord,
    at: SystemTime,
) -> Result<RecordResult, RecordError> {
    if let Some(error) = record.error {
        return Err(error);
    }
    if let Some((name, _)) = record.fields.iter().find(|(n, _)| !is_known_field(n)) {
        return Err(RecordError::new(
            "INVALID_FIELD",
            format!("No such column '{name}' on entity '{object}'"),
            &[name.as_str()],
        ));
    }
    let id = record.fields.iter().find_map(|(name, value)| match value {
        FieldValue::Set(v) if name.eq_ignore_ascii_case("Id") => Some(v.clone()),
        _ => None,
    });
    let fields = resolve_relationships(store, record.fields)?;
    match operation {
        Operation::Insert => {
            if id.is_some() {
                return Err(RecordError::new(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    &["Id"],
                ));
            }
            insert(store, object, fields, at)
        }
        Operation::Update => {
            let id = id.ok_or_else(|| {
                RecordError::new(
                    "MISSING_ARGUMENT",
                    "Id not specified in an update call",
                    &[],
                )
            })?;
            update(store, object, &id, fields, at)
        }
        Operation::Upsert => upsert(store, object, external_id.unwrap_or("Id"), id, fields, at),
        Operation::Delete | Operation::HardDelete => {
            let id = id.ok_or_else(|| {
                RecordError::new("MISSING_ARGUMENT", "Id not specified in a delete call", &[])
            })?;
            delete(store, object, &id, operation == Operation::HardDelete, at)
        }
        Operation::Query | Operation::QueryAll => Err(RecordError::new(
            "INVALID_OPERATION",
            "records cannot be loaded into a query job",
            &[],
        )),
    }
}

/// Replaces `[Type:]Rel.Field` references by the parent's id in the lookup field.
fn resolve_relationships(
    store: &Store,
    fields: Vec<(String, FieldValue)>,
) -> Result<Vec<(String, FieldValue)>, RecordError> {
    fields
        .into_iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("Id"))
        .map(|(name, value)| {
            let Some(reference) = parse_relationship(&name) else {
                return Ok((name, value));
            };
            let lookup = reference.lookup_field();
            let FieldValue::Set(key) = value else {
                return Ok((lookup, value));
            };
            let wanted = reference.type_hint.unwrap_or(reference.rel);
            let tables: Vec<&Table> = match store.table(wanted) {
                Some(table) => vec![table],
                None => store.tables().collect(),
            };
            let candidates: Vec<&str> = tables
                .into_iter()
                .flat_map(|t| t.records.values())
                .filter(|r| !r.deleted)
                .filter(|r| {
                    if reference.field.eq_ignore_ascii_case("Id") {
                        id15(&r.id) == id15(&key)
                    } else {
                        r.get(reference.field).as_deref() == Some(key.as_str())
                    }
                })
                .map(|r| r.id.as_str())
                .collect();
            match candidates.as_slice() {
                [id] => Ok((lookup, FieldValue::Set((*id).to_owned()))),
                [] => Err(RecordError::new(
                    "INVALID_FIELD",
                    format!(
                        "Foreign key external ID: {key} not found for field {} in entity {}",
                        reference.field, wanted
                    ),
                    &[name.as_str()],
                )),
                _ => Err(RecordError::new(
                    "INVALID_FIELD",
                    format!(
                        "Foreign key external ID: {key} matches more than one record for field {}",
                        reference.field
                    ),
                    &[name.as_str()],
                )),
            }
        })
        .collect()
}

fn missing_required(object: &str, has_value: impl Fn(&str) -> bool) -> Result<(), RecordError> {
    let missing: Vec<&str> = required_fields(object)
        .iter()
        .copied()
        .filter(|f| !has_value(f))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(RecordError::new(
        "REQUIRED_FIELD_MISSING",
        format!("Required fields are missing: [{}]", missing.join(", ")),
        &missing,
    ))
}

fn insert(
    store: &mut Store,
    object: &str,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, RecordError> {
    let values: Vec<(String, Option<String>)> = fields
        .into_iter()
        .filter_map(|(name, value)| match value {
            FieldValue::Set(v) => Some((name, Some(v))),
            FieldValue::Null => Some((name, None)),
            FieldValue::Unchanged => None,
        })
        .collect();
    missing_required(object, |f| {
        values
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(f) && v.as_deref().is_some_and(|v| !v.is_empty()))
    })?;
    let id = store.insert(object, values, at);
    Ok(RecordResult::ok(id, true))
}

fn update(
    store: &mut Store,
    object: &str,
    id: &str,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, RecordError> {
    let record = live_record(store, object, id)?;
    missing_required(object, |f| {
        match fields.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
            Some((_, FieldValue::Set(v))) => !v.is_empty(),
            Some((_, FieldValue::Null)) => false,
            Some((_, FieldValue::Unchanged)) | None => record.has_value(f),
        }
    })?;
    for (name, value) in fields {
        match value {
            FieldValue::Set(v) => record.set(&name, Some(v)),
            FieldValue::Null => record.set(&name, None),
            FieldValue::Unchanged => {}
        }
    }
    record.modified = at;
    Ok(RecordResult::ok(record.id.clone(), false))
}

fn live_record<'a>(
    store: &'a mut Store,
    object: &str,
    id: &str,
) -> Result<&'a mut Record, RecordError> {
    match store.get_mut(object, id) {
        Some(record) if record.deleted => Err(RecordError::new(
            "ENTITY_IS_DELETED",
            "entity is deleted",
            &[],
        )),
        Some(record) => Ok(record),
        None => Err(RecordError::new(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &[],
        )),
    }
}

fn upsert(
    store: &mut Store,
    object: &str,
    external_id: &str,
    id: Option<String>,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, RecordError> {
    if external_id.eq_ignore_ascii_case("Id") {
        return match id {
            Some(id) => update(store, object, &id, fields, at),
            None => insert(store, object, fields, at),
        };
    }
    let key = fields.iter().find_map(|(name, value)| match value {
        FieldValue::Set(v) if name.eq_ignore_ascii_case(external_id) => Some(v.clone()),
        _ => None,
    });
    let Some(key) = key else {
        return Err(RecordError::new(
            "MISSING_ARGUMENT",
            format!("{external_id} not specified"),
            &[external_id],
        ));
    };
    let matches: Vec<String> = store.table(object).map_or_else(Vec::new, |t| {
        t.records
            .values()
            .filter(|r| !r.deleted && r.get(external_id).as_deref() == Some(key.as_str()))
            .map(|r| r.id.clone())
            .collect()
    });
    match matches.as_slice() {
        [] => insert(store, object, fields, at),
        [id] => update(store, object, id, fields, at),
        ids => Err(RecordError::new(
            "DUPLICATE_EXTERNAL_ID",
            format!(
                "{external_id}: more than one record found for external id field: [{}]",
                ids.join(", ")
            ),
            &[external_id],
        )),
    }
}

fn delete(
    store: &mut Store,
    object: &str,
    id: &str,
    hard: bool,
    at: SystemTime,
) -> Result<RecordResult, RecordError> {
    let record = match store.get_mut(object, id) {
        Some(record) if record.deleted && !hard => {
            return Err(RecordError::new(
                "ENTITY_IS_DELETED",
                "entity is deleted",
                &[],
            ));
        }
        Some(record) => record,
        None => {
            return Err(RecordError::new(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                &[],
            ));
        }
    };
    let id = record.id.clone();
    if hard {
        store.remove(object, &id);
    } else {
        record.deleted = true;
        record.modified = at;
    }
    Ok(RecordResult::ok(id, false))
}
