//! One HTTP answer as the endpoints produce it, XML documents with their declaration, and
//! the Bulk API error document.

use http::StatusCode;
use http::header::HeaderName;
use quick_xml::events::{BytesDecl, Event};
use serde::Serialize;

use crate::api_error::ApiError;
use crate::formats::{Format, MEDIA_JSON, MEDIA_XML, xmlns};

/// One HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// A control document in `format` (`root` names the XML root element).
    pub(crate) fn doc<T: Serialize>(
        status: StatusCode,
        format: Format,
        root: &str,
        doc: &T,
        pretty: bool,
    ) -> Reply {
        match format {
            Format::Xml => match xml_document(root, doc) {
                Ok(body) => Reply::new(status, MEDIA_XML, body),
                Err(err) => Reply::internal(&err),
            },
            Format::Json => Reply::json(status, doc, pretty),
        }
    }

    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, doc: &T, pretty: bool) -> Reply {
        let body = if pretty {
            serde_json::to_vec_pretty(doc)
        } else {
            serde_json::to_vec(doc)
        };
        match body {
            Ok(body) => Reply::new(status, MEDIA_JSON, body),
            Err(err) => Reply::internal(&err.to_string()),
        }
    }

    /// The mock's own failure (should not happen): 500 with a plain-text reason.
    pub(crate) fn internal(reason: &str) -> Reply {
        Reply::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=UTF-8",
            format!("mock salesforce internal error: {reason}").into_bytes(),
        )
    }
}

/// `<?xml …?>` declaration followed by `doc` serialized under `root`.
pub(crate) fn xml_document<T: Serialize>(root: &str, doc: &T) -> Result<Vec<u8>, String> {
    let mut out = xml_declaration();
    let body = quick_xml::se::to_string_with_root(root, doc).map_err(|e| e.to_string())?;
    out.extend_from_slice(body.as_bytes());
    Ok(out)
}

/// `<?xml version="1.0" encoding="UTF-8"?>`.
pub(crate) fn xml_declaration() -> Vec<u8> {
    let mut writer = quick_xml::Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    writer.into_inner()
}

/// An API error as the error document of `format`.
pub(crate) fn api_error(err: &ApiError, format: Format, pretty: bool) -> Reply {
    let doc = ErrorDoc {
        xmlns: xmlns(format),
        exception_code: err.code,
        exception_message: &err.message,
    };
    Reply::doc(err.status, format, "error", &doc, pretty)
}

/// `<error>`: `exceptionCode`, `exceptionMessage`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDoc<'a> {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    xmlns: Option<&'static str>,
    exception_code: &'a str,
    exception_message: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::NS;

    #[test]
    fn error_document_has_declaration_and_namespace() {
        let doc = ErrorDoc {
            xmlns: Some(NS),
            exception_code: "InvalidJob",
            exception_message: "a < b",
        };
        let xml = String::from_utf8(xml_document("error", &doc).unwrap()).unwrap();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error xmlns=\"http://www.force.com/2009/06/asyncapi/dataload\"><exceptionCode>InvalidJob</exceptionCode><exceptionMessage>a &lt; b</exceptionMessage></error>"
        );
    }
}
