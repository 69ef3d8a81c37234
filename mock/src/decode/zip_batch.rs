//! A ZIP batch: the `request.txt` manifest read as records, and the binary attachments it
//! references checked against the archive.

use std::collections::HashMap;
use std::io::{Cursor, Read as _};

use crate::decode::records::{FieldValue, InputRecord, parse};
use crate::formats::DataFormat;
use crate::limits::{MAX_UNZIPPED_BYTES, MAX_ZIP_FILES};
use crate::model::batch::RecordError;

/// Fields whose value, in a ZIP batch, names a file of the archive (`#path`).
const BINARY_FIELDS: &[(&str, &str)] = &[("Body", "BodyLength"), ("VersionData", "ContentSize")];

/// Reads a ZIP batch: `request.txt` (the manifest, in `format`) plus the files it references.
/// A binary field becomes its length field (`Body` → `BodyLength`); a bad reference fails
/// that record with `INVALID_FIELD`.
pub(crate) fn parse_zip(bytes: &[u8], format: DataFormat) -> Result<Vec<InputRecord>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("InvalidBatch : Failed to read zip file: {e}"))?;
    let mut entries: HashMap<String, (bool, u64)> = HashMap::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("InvalidBatch : Failed to read zip file: {e}"))?;
        let name = entry.name().trim_end_matches('/').to_owned();
        entries.insert(name, (entry.is_dir(), entry.size()));
    }
    let files = entries.values().filter(|(dir, _)| !dir).count();
    if files > MAX_ZIP_FILES {
        return Err(format!(
            "InvalidBatch : The zip file contains more than {MAX_ZIP_FILES} files"
        ));
    }
    let unzipped: u64 = entries.values().map(|(_, size)| size).sum();
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(format!(
            "InvalidBatch : The total size of the unzipped files exceeds {MAX_UNZIPPED_BYTES} bytes"
        ));
    }
    let manifest = match entries.get("request.txt") {
        Some((false, _)) => {
            let mut file = archive
                .by_name("request.txt")
                .map_err(|e| format!("InvalidBatch : Failed to read request.txt: {e}"))?;
            let mut manifest = Vec::new();
            // Sizes in the zip directory may lie: never inflate more than the limit.
            file.by_ref()
                .take(MAX_UNZIPPED_BYTES)
                .read_to_end(&mut manifest)
                .map_err(|e| format!("InvalidBatch : Failed to read request.txt: {e}"))?;
            manifest
        }
        Some((true, _)) => return Err("InvalidBatch : request.txt is a directory".into()),
        None => {
            return Err(
                "InvalidBatch : The zip file does not contain request.txt at its root".into(),
            );
        }
    };
    let mut records = parse(&manifest, format)?;
    for record in records.iter_mut().filter(|r| r.error.is_none()) {
        if let Err(error) = resolve_attachments(record, &entries) {
            record.error = Some(error);
        }
    }
    Ok(records)
}

fn resolve_attachments(
    record: &mut InputRecord,
    entries: &HashMap<String, (bool, u64)>,
) -> Result<(), RecordError> {
    let mut lengths = Vec::new();
    for (name, value) in &mut record.fields {
        let Some((field, length_field)) = BINARY_FIELDS
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let FieldValue::Set(reference) = value else {
            continue;
        };
        let Some(path) = reference.strip_prefix('#') else {
            return Err(RecordError::new(
                "INVALID_FIELD",
                format!("The value of {field} must reference a file of the zip as #path"),
                &[field],
            ));
        };
        match entries.get(path.trim_start_matches('/')) {
            Some((false, size)) => lengths.push(((*length_field).to_owned(), size.to_string())),
            Some((true, _)) => {
                return Err(RecordError::new(
                    "INVALID_FIELD",
                    format!("Binary attachment {path} is a directory"),
                    &[field],
                ));
            }
            None => {
                return Err(RecordError::new(
                    "INVALID_FIELD",
                    format!("Unable to find binary attachment {path} in the zip file"),
                    &[field],
                ));
            }
        }
    }
    record.fields.retain(|(name, _)| {
        !BINARY_FIELDS
            .iter()
            .any(|(f, _)| f.eq_ignore_ascii_case(name))
    });
    record.fields.extend(
        lengths
            .into_iter()
            .map(|(name, size)| (name, FieldValue::Set(size))),
    );
    Ok(())
}
