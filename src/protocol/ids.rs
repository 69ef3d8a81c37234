//! Salesforce ids and API names: the rules every id and name in a request path or body obeys.

use crate::error::Error;
use crate::model::Operation;

/// Checks a Salesforce id: 15 or 18 ASCII letters and digits.
pub fn validate_id(what: &str, id: &str) -> Result<(), Error> {
    if (id.len() == 15 || id.len() == 18) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        let shown: String = id.chars().take(40).collect();
        Err(Error::invalid(format!(
            "{what} must be 15 or 18 letters and digits, got {shown:?}"
        )))
    }
}

/// Checks an sObject or field API name (`Contact`, `My_Obj__c`, `ns__Obj__c`).
pub fn validate_name(what: &str, name: &str) -> Result<(), Error> {
    if crate::model::is_api_name(name) && name.len() <= 255 {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).collect();
        Err(Error::invalid(format!(
            "{what} must be an API name like Contact or My_Object__c, got {shown:?}"
        )))
    }
}

/// The external id field rule of both APIs: required (an API name) for upsert, refused for
/// any other operation; an empty one counts as absent. Returns the field to send.
pub fn external_id_field<'a>(
    operation: &Operation,
    field: Option<&'a str>,
) -> Result<Option<&'a str>, Error> {
    match (operation, field.filter(|s| !s.is_empty())) {
        (Operation::Upsert, None) => Err(Error::invalid("upsert needs an external id field name")),
        (Operation::Upsert, Some(f)) => {
            validate_name("external id field name", f).map(|()| Some(f))
        }
        (op, Some(_)) => Err(Error::invalid(format!(
            "an external id field name is only for upsert, not {op}"
        ))),
        (_, None) => Ok(None),
    }
}
