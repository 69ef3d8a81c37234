//! The results of an ingest batch in the job's data format: CSV, XML `<results>` or a JSON
//! array.

use serde::Serialize;

use crate::formats::{DataFormat, NS};
use crate::model::batch::{RecordError, RecordResult};
use crate::render::reply::xml_document;

/// `<results>` of an ingest batch.
#[derive(Serialize)]
pub(crate) struct ResultsDoc<'a> {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub result: Vec<XmlResultDoc<'a>>,
}

/// `<result>`: `errors`*, `id`?, `success`, `created`.
#[derive(Serialize)]
pub(crate) struct XmlResultDoc<'a> {
    pub errors: &'a [RecordError],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    pub success: bool,
    pub created: bool,
}

/// JSON ingest result: `{"success","created","id","errors"}`; `id` is `null` on failure.
#[derive(Serialize)]
pub(crate) struct JsonResultDoc<'a> {
    pub success: bool,
    pub created: bool,
    pub id: Option<&'a str>,
    pub errors: &'a [RecordError],
}

/// Ingest results in the job's data format: `(media type, body)`.
pub(crate) fn render_results(
    results: &[RecordResult],
    format: DataFormat,
    pretty: bool,
) -> Result<(&'static str, Vec<u8>), String> {
    let body = match format {
        DataFormat::Csv => results_csv(results).map_err(|e| e.to_string())?,
        DataFormat::Xml => {
            let doc = ResultsDoc {
                xmlns: NS,
                result: results
                    .iter()
                    .map(|r| XmlResultDoc {
                        errors: &r.errors,
                        id: r.id.as_deref(),
                        success: r.success,
                        created: r.created,
                    })
                    .collect(),
            };
            xml_document("results", &doc)?
        }
        DataFormat::Json => {
            let doc: Vec<JsonResultDoc<'_>> = results
                .iter()
                .map(|r| JsonResultDoc {
                    success: r.success,
                    created: r.created,
                    id: r.id.as_deref(),
                    errors: &r.errors,
                })
                .collect();
            let body = if pretty {
                serde_json::to_vec_pretty(&doc)
            } else {
                serde_json::to_vec(&doc)
            };
            body.map_err(|e| e.to_string())?
        }
    };
    Ok((format.media_type(), body))
}

/// `"Id","Success","Created","Error"`, every value quoted; errors as
/// `STATUS_CODE:message:fields --`.
fn results_csv(results: &[RecordResult]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(["Id", "Success", "Created", "Error"])?;
    for result in results {
        writer.write_record([
            result.id.as_deref().unwrap_or(""),
            if result.success { "true" } else { "false" },
            if result.created { "true" } else { "false" },
            &error_text(&result.errors),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Record errors as a result's `Error` (1.0) or `sf__Error` (2.0):
/// `STATUS_CODE:message:fields --`, several separated by a space.
pub(crate) fn error_text(errors: &[RecordError]) -> String {
    let texts: Vec<String> = errors
        .iter()
        .map(|e| {
            let fields = if e.fields.is_empty() {
                "--".to_owned()
            } else {
                format!("{} --", e.fields.join(","))
            };
            format!("{}:{}:{fields}", e.status_code, e.message)
        })
        .collect();
    texts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_results_shape() {
        let results = vec![
            RecordResult::ok("003x".into(), true),
            RecordResult::failed(RecordError::new(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"],
            )),
        ];
        let (media, body) = render_results(&results, DataFormat::Csv, false).unwrap();
        assert_eq!(media, "text/csv");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "\"Id\",\"Success\",\"Created\",\"Error\"\n\"003x\",\"true\",\"true\",\"\"\n\"\",\"false\",\"false\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --\"\n"
        );
    }
}
