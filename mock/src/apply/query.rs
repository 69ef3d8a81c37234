//! Query execution over the store: the subset of SOQL the mock understands (filters, order,
//! limit, parent fields through lookups), optionally restricted to one PK chunk.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Bound;

use crate::dates::parse_datetime_millis;
use crate::decode::soql::{CmpOp, Expr, Literal, OrderKey, Soql};
use crate::ids::id15;
use crate::model::batch::IdRange;
use crate::model::rows::{Rows, RowsBuilder};
use crate::schema::{is_known_field, is_known_name, parse_relationship};
use crate::store::{Record, Store};

#[derive(Debug)]
pub(crate) struct QueryResult {
    pub object: String,
    pub fields: Vec<String>,
    pub rows: Rows,
}

/// Runs `soql` for a job on `job_object`; `Err` is the detail of `Failed to process query: …`.
pub(crate) fn execute(
    store: &Store,
    job_object: &str,
    soql: &Soql,
    include_deleted: bool,
    range: Option<&IdRange>,
) -> Result<QueryResult, String> {
    if !is_known_name(&soql.object) {
        return Err(format!(
            "INVALID_TYPE: sObject type '{}' is not supported.",
            soql.object
        ));
    }
    if !soql.object.eq_ignore_ascii_case(job_object) {
        return Err(format!(
            "INVALID_TYPE_FOR_OPERATION: The root entity of the requested query ({}) does not match the entity of the requested Bulk API Job ({job_object}).",
            soql.object
        ));
    }
    let referenced = soql
        .fields
        .iter()
        .map(String::as_str)
        .chain(soql.filter.iter().flat_map(Expr::fields))
        .chain(soql.order.iter().map(|k| k.field.as_str()));
    for field in referenced {
        if !is_known_field(field) {
            return Err(format!(
                "INVALID_FIELD: No such column '{field}' on entity '{}'.",
                soql.object
            ));
        }
    }
    let Some(table) = store.table(&soql.object) else {
        return Ok(QueryResult {
            object: soql.object.clone(),
            fields: soql.fields.clone(),
            rows: RowsBuilder::new(soql.fields.len()).finish(),
        });
    };
    // A PK chunk reads only its own span of the table (ids are the keys, in order).
    let span = range.map_or((Bound::Unbounded, Bound::Unbounded), IdRange::bounds);
    let selected = table
        .records
        .range::<str, _>(span)
        .map(|(_, record)| record)
        .filter(|r| include_deleted || !r.deleted)
        .filter(|r| soql.filter.as_ref().is_none_or(|f| matches(store, r, f)));
    let limit = soql.limit.unwrap_or(usize::MAX);
    let rows = if soql.order.is_empty() {
        // In table order: written as they are read, nothing collected first.
        write_rows(store, soql, selected.take(limit))?
    } else {
        let mut keyed: Vec<(Vec<Option<Cow<'_, str>>>, &Record)> = selected
            .map(|r| {
                let keys = soql
                    .order
                    .iter()
                    .map(|k| value(store, r, &k.field))
                    .collect();
                (keys, r)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            soql.order
                .iter()
                .zip(a.iter().zip(b))
                .map(|(key, (x, y))| order_values(x.as_deref(), y.as_deref(), key))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        write_rows(store, soql, keyed.into_iter().map(|(_, r)| r).take(limit))?
    };
    Ok(QueryResult {
        object: table.name.clone(),
        fields: soql.fields.clone(),
        rows,
    })
}

/// The result rows of `records`: each record's id, then its selected values, copied straight
/// from the store into the flat result.
fn write_rows<'a>(
    store: &'a Store,
    soql: &Soql,
    records: impl Iterator<Item = &'a Record>,
) -> Result<Rows, String> {
    // Each selected field resolved once (its lower-case name), not per row.
    let lower: Vec<Option<String>> = soql
        .fields
        .iter()
        .map(|f| {
            parse_relationship(f)
                .is_none()
                .then(|| f.to_ascii_lowercase())
        })
        .collect();
    let mut rows = RowsBuilder::new(soql.fields.len());
    for record in records {
        rows.start_row(&record.id)?;
        for (field, lower) in soql.fields.iter().zip(&lower) {
            let value = match lower {
                Some(lower) => record.get_lower_ref(lower),
                None => value(store, record, field),
            };
            rows.push_value(value.as_deref())?;
        }
    }
    Ok(rows.finish())
}

/// A field of a record; `Rel.Field` follows the lookup field to the parent record.
fn value<'a>(store: &'a Store, record: &'a Record, field: &str) -> Option<Cow<'a, str>> {
    match parse_relationship(field) {
        None => record.get_ref(field),
        Some(reference) => {
            let parent_id = record.get_ref(&reference.lookup_field())?;
            let (_, parent) = store.find_by_id(&parent_id)?;
            parent.get_ref(reference.field)
        }
    }
}

/// One ORDER BY key: nulls first unless `NULLS LAST` (the default for `DESC`).
fn order_values(x: Option<&str>, y: Option<&str>, key: &OrderKey) -> Ordering {
    match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) if key.nulls_last => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) if key.nulls_last => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) if key.descending => compare_values(x, y).reverse(),
        (Some(x), Some(y)) => compare_values(x, y),
    }
}

/// Numbers compare as numbers, dates as instants, everything else case-insensitively.
fn compare_values(x: &str, y: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (x.parse::<f64>(), y.parse::<f64>()) {
        return a.partial_cmp(&b).unwrap_or(Ordering::Equal);
    }
    if let (Some(a), Some(b)) = (parse_datetime_millis(x), parse_datetime_millis(y)) {
        return a.cmp(&b);
    }
    x.to_lowercase().cmp(&y.to_lowercase())
}

fn matches(store: &Store, record: &Record, expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) => matches(store, record, a) && matches(store, record, b),
        Expr::Or(a, b) => matches(store, record, a) || matches(store, record, b),
        Expr::Not(inner) => !matches(store, record, inner),
        Expr::Compare {
            field,
            op,
            value: literal,
        } => compare(value(store, record, field).as_deref(), field, *op, literal),
        Expr::In {
            field,
            values,
            negated,
        } => {
            let actual = value(store, record, field);
            let found = values
                .iter()
                .any(|v| compare(actual.as_deref(), field, CmpOp::Eq, v));
            found != *negated
        }
        Expr::Like {
            field,
            pattern,
            negated,
        } => {
            let actual = value(store, record, field);
            let found = actual.is_some_and(|v| like(&v.to_lowercase(), &pattern.to_lowercase()));
            found != *negated
        }
    }
}

fn compare(actual: Option<&str>, field: &str, op: CmpOp, literal: &Literal) -> bool {
    let Some(actual) = actual else {
        // SOQL: null = null is true, null != 'x' is true, any ordering with null is false.
        return match op {
            CmpOp::Eq => *literal == Literal::Null,
            CmpOp::Ne => *literal != Literal::Null,
            _ => false,
        };
    };
    let ordering = match literal {
        Literal::Null => return op == CmpOp::Ne,
        Literal::Bool(b) => Some(actual.to_ascii_lowercase().cmp(&b.to_string())),
        Literal::Number(n) => actual.parse::<f64>().ok().and_then(|a| a.partial_cmp(n)),
        Literal::Date(d) => parse_datetime_millis(actual)
            .zip(parse_datetime_millis(d))
            .map(|(a, b)| a.cmp(&b)),
        Literal::Text(t) => {
            let is_id = field.eq_ignore_ascii_case("Id") || field.ends_with("Id");
            if is_id && matches!(actual.len(), 15 | 18) && matches!(t.len(), 15 | 18) {
                Some(id15(actual).cmp(id15(t)))
            } else {
                Some(actual.to_lowercase().cmp(&t.to_lowercase()))
            }
        }
    };
    let Some(ordering) = ordering else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }
}

/// SQL `LIKE` with `%` and `_` (both arguments already lower-cased).
fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // dp[j]: pattern[..i] matches text[..j]
    let mut dp = vec![false; text.len() + 1];
    dp[0] = true;
    for p in &pattern {
        let mut next = vec![false; text.len() + 1];
        match p {
            '%' => {
                let mut any = false;
                for j in 0..=text.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=text.len() {
                    next[j] = dp[j - 1] && (*p == '_' || *p == text[j - 1]);
                }
            }
        }
        dp = next;
    }
    dp[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("acme 12", "acme%"));
        assert!(like("acme 12", "%1_"));
        assert!(!like("acme", "b%"));
        assert!(like("", "%"));
    }
}
