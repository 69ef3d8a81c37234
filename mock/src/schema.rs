//! The mock's schema, deterministic where the real one cannot be reproduced: which API names
//! (objects, fields, relationship references) exist, the key prefix of each object's ids and
//! the fields an object requires.

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

#[cfg(test)]
mod tests {
    use super::*;

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
