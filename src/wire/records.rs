//! Typed records: field-name and row checks, the tree that groups dotted relationship fields,
//! and the text form of a value. The format writers live in `csv`, `xml` and `json`; the
//! dispatch between them in `wire`'s root (this module imports none of them).

use std::borrow::Cow;

use crate::model::{FieldValue, RecordSet};

pub(crate) use crate::model::is_api_name;

/// A field in the record tree: the value of one column, or a relationship whose indexed
/// fields are written inside a nested object.
pub(crate) enum Node<'a> {
    /// The column of the value in each row.
    Value(usize),
    /// The relationship's fields, in order of first appearance.
    Parent(Vec<(&'a str, Node<'a>)>),
}

/// Checks every field name and splits it into its dotted parts (without a CSV `Type:` prefix).
pub(crate) fn field_paths(fields: &[String], csv: bool) -> Result<Vec<Vec<&str>>, String> {
    if fields.is_empty() {
        return Err("expected at least one field, found none".into());
    }
    // A plain loop, not `collect::<Result<…>>()` (see `control::all`).
    let mut paths = Vec::with_capacity(fields.len());
    for (i, name) in fields.iter().enumerate() {
        if name.is_empty() {
            return Err(format!(
                "field {}: expected a name, found an empty one",
                i + 1
            ));
        }
        // A linear scan: a few hundred fields at most, and no hash table to link in.
        if fields[..i].iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(format!("expected each field once, found {name:?} twice"));
        }
        let path = match name.split_once(':') {
            None => name.as_str(),
            Some(_) if !csv => {
                return Err(format!(
                    "expected a field name without a `Type:` prefix (csv only), found {name:?}"
                ));
            }
            Some((kind, path)) if is_api_name(kind) && path.contains('.') => path,
            Some(_) => {
                return Err(format!(
                    "expected `Type:Relationship.Field` for a polymorphic field, found {name:?}"
                ));
            }
        };
        let parts: Vec<&str> = path.split('.').collect();
        if !parts.iter().all(|p| is_api_name(p)) {
            return Err(format!(
                "expected a field name of letters, digits and underscores starting with a letter \
                 (dotted for a relationship), found {name:?}"
            ));
        }
        paths.push(parts);
    }
    Ok(paths)
}

/// Every row has one value per field and every number is finite.
pub(crate) fn check_rows(set: &RecordSet) -> Result<(), String> {
    let expected = set.fields.len();
    for (i, row) in set.rows.iter().enumerate() {
        if row.len() != expected {
            return Err(format!(
                "row {}: expected {expected} values (one per field), found {}",
                i + 1,
                row.len()
            ));
        }
        for (value, field) in row.iter().zip(&set.fields) {
            if let FieldValue::Number(n) = value
                && !n.is_finite()
            {
                let found = if n.is_nan() {
                    "NaN"
                } else if *n > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                return Err(format!(
                    "row {}, field `{field}`: expected a finite number, found {found}",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

/// Groups the fields into a tree: `ReportsTo.Email` and `ReportsTo.Name` become one
/// `ReportsTo` relationship placed where the first of them is. Names match ignoring ASCII case
/// (as Salesforce does); the first spelling is kept.
pub(crate) fn tree<'a>(
    fields: &'a [String],
    paths: &[Vec<&'a str>],
) -> Result<Vec<(&'a str, Node<'a>)>, String> {
    let mut root = Vec::new();
    for (column, (path, full)) in paths.iter().zip(fields).enumerate() {
        insert(&mut root, path, column, full)?;
    }
    Ok(root)
}

fn insert<'a>(
    level: &mut Vec<(&'a str, Node<'a>)>,
    path: &[&'a str],
    column: usize,
    full: &str,
) -> Result<(), String> {
    let Some((&first, rest)) = path.split_first() else {
        return Ok(());
    };
    let existing = level
        .iter_mut()
        .find(|(name, _)| name.eq_ignore_ascii_case(first));
    match (existing, rest.is_empty()) {
        (None, true) => level.push((first, Node::Value(column))),
        (None, false) => {
            let mut children = Vec::new();
            insert(&mut children, rest, column, full)?;
            level.push((first, Node::Parent(children)));
        }
        (Some((_, Node::Parent(children))), false) => insert(children, rest, column, full)?,
        (Some(_), _) => {
            return Err(format!(
                "expected `{first}` to be either a field or a relationship, found both (at field {full:?})"
            ));
        }
    }
    Ok(())
}

/// The text of a value in CSV and XML; `None` for null.
pub(crate) fn value_text(value: &FieldValue) -> Option<Cow<'_, str>> {
    match value {
        FieldValue::Null => None,
        FieldValue::Text(t) => Some(Cow::Borrowed(t)),
        FieldValue::Number(n) => Some(Cow::Owned(format_number(*n))),
        FieldValue::Boolean(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
    }
}

/// The shortest text that reads back as the same double: integral values without `.0`,
/// the exponent form below 1e-6 and from 1e21 on (as JavaScript does); `NaN`, `inf`, `-inf`
/// for the non-finite values.
///
/// The shortest digits come from zmij (also serde_json's float formatter); only their layout
/// is done here, so core's float formatting is not linked in.
pub(crate) fn format_number(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if !n.is_finite() {
        return (if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "inf"
        } else {
            "-inf"
        })
        .into();
    }
    let mut buffer = zmij::Buffer::new();
    let shortest = buffer.format_finite(n.abs());
    // zmij writes `d.ddd` or `d.ddde±x`: split it into the digits and the decimal exponent.
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((shortest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (int, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Not `[int, fraction].concat()`: that would be the component's only `[&str]` join
    // (~1 KB of code).
    let mut all = String::with_capacity(int.len() + fraction.len());
    all.push_str(int);
    all.push_str(fraction);
    let digits = all.trim_start_matches('0');
    let leading_zeros = (all.len() - digits.len()) as i32;
    let digits = digits.trim_end_matches('0');
    // The value is 0.DIGITS × 10^point.
    let point = int.len() as i32 + exponent - leading_zeros;
    let len = digits.len() as i32;
    let mut out = String::with_capacity(digits.len() + 8);
    if n < 0.0 {
        out.push('-');
    }
    if len <= point && point <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (point - len) as usize));
    } else if 0 < point && point <= 21 {
        let (whole, part) = digits.split_at(point as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(part);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push_str(&(point - 1).to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn api_names() {
        for ok in ["Name", "Ext_Id__c", "ns__Obj__c", "a1"] {
            assert!(is_api_name(ok), "{ok}");
        }
        for bad in ["", "1a", "_a", "a b", "a-b", "a.b", "Ä", "a:b"] {
            assert!(!is_api_name(bad), "{bad}");
        }
    }

    #[test]
    fn field_names_are_checked() {
        let err = |v: &[&str], csv: bool| field_paths(&names(v), csv).unwrap_err();
        assert_eq!(err(&[], true), "expected at least one field, found none");
        assert_eq!(
            err(&["Name", ""], true),
            "field 2: expected a name, found an empty one"
        );
        assert_eq!(
            err(&["Name", "name"], false),
            "expected each field once, found \"name\" twice"
        );
        assert_eq!(
            err(&["Lead:Who.Email"], false),
            "expected a field name without a `Type:` prefix (csv only), found \"Lead:Who.Email\""
        );
        assert_eq!(
            err(&["Lead:Email"], true),
            "expected `Type:Relationship.Field` for a polymorphic field, found \"Lead:Email\""
        );
        assert_eq!(
            err(&["Reports To.Email"], true),
            "expected a field name of letters, digits and underscores starting with a letter \
             (dotted for a relationship), found \"Reports To.Email\""
        );
        for bad in ["a..b", ".a", "a.", "1x", "a.b:c"] {
            assert!(field_paths(&names(&[bad]), true).is_err(), "{bad}");
        }
        assert_eq!(
            field_paths(&names(&["Lead:Who.Email", "Name"]), true).unwrap(),
            vec![vec!["Who", "Email"], vec!["Name"]]
        );
    }

    #[test]
    fn tree_groups_relationships_and_refuses_clashes() {
        let fields = names(&["Name", "ReportsTo.Email", "Phone", "reportsTo.Name"]);
        let paths = field_paths(&fields, false).unwrap();
        let t = tree(&fields, &paths).unwrap();
        let shape: Vec<String> = t
            .iter()
            .map(|(n, node)| match node {
                Node::Value(c) => format!("{n}={c}"),
                Node::Parent(ch) => {
                    let inner: Vec<String> = ch
                        .iter()
                        .map(|(m, x)| match x {
                            Node::Value(c) => format!("{m}={c}"),
                            Node::Parent(_) => format!("{m}{{..}}"),
                        })
                        .collect();
                    format!("{n}{{{}}}", inner.join(","))
                }
            })
            .collect();
        assert_eq!(shape, ["Name=0", "ReportsTo{Email=1,Name=3}", "Phone=2"]);

        let clash = names(&["ReportsTo", "ReportsTo.Email"]);
        let paths = field_paths(&clash, false).unwrap();
        assert_eq!(
            tree(&clash, &paths).err(),
            Some("expected `ReportsTo` to be either a field or a relationship, found both (at field \"ReportsTo.Email\")".into())
        );
    }

    #[test]
    fn numbers_use_the_shortest_round_trip_form() {
        let cases = [
            (3.0, "3"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-12.5, "-12.5"),
            (1e20, "100000000000000000000"),
            (1e21, "1e21"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (f64::MAX, "1.7976931348623157e308"),
            (123456789012345680.0, "123456789012345680"),
            (1234.5, "1234.5"),
            (5e-324, "5e-324"),
            (-1e-7, "-1e-7"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (0.5, "0.5"),
            (123.456e-5, "0.00123456"),
            (9.87654321e-7, "9.87654321e-7"),
            (1.25e25, "1.25e25"),
            (-99.0, "-99"),
        ];
        for (n, text) in cases {
            assert_eq!(format_number(n), text);
            assert_eq!(format_number(n).parse::<f64>().unwrap(), n);
        }
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
        // Same digits as Rust's shortest form (`{}` / `{:e}`) on a sweep of magnitudes.
        let mut x = 1.0e-12f64;
        while x < 1e30 {
            for v in [x, x * 1.000_000_7, -x / 3.0] {
                let expected = if (1e-6..1e21).contains(&v.abs()) {
                    format!("{v}")
                } else {
                    format!("{v:e}")
                };
                assert_eq!(format_number(v), expected);
            }
            x *= 7.3;
        }
    }

    #[test]
    fn rows_are_checked() {
        let set = RecordSet {
            fields: names(&["Name", "Amount"]),
            rows: vec![
                vec![FieldValue::Text("a".into()), FieldValue::Number(1.0)],
                vec![FieldValue::Text("b".into())],
            ],
        };
        assert_eq!(
            check_rows(&set).unwrap_err(),
            "row 2: expected 2 values (one per field), found 1"
        );
        let set = RecordSet {
            fields: names(&["Name", "Amount"]),
            rows: vec![vec![FieldValue::Null, FieldValue::Number(f64::NAN)]],
        };
        assert_eq!(
            check_rows(&set).unwrap_err(),
            "row 1, field `Amount`: expected a finite number, found NaN"
        );
        let set = RecordSet {
            fields: names(&["Amount"]),
            rows: vec![vec![FieldValue::Number(f64::NEG_INFINITY)]],
        };
        assert_eq!(
            check_rows(&set).unwrap_err(),
            "row 1, field `Amount`: expected a finite number, found -inf"
        );
    }
}
