//! The wire's vocabulary: namespaces, media types, the control and data formats, a job's
//! `contentType`.

/// Namespace of every Bulk API 1.0 XML document.
pub(crate) const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";
/// The XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub(crate) const MEDIA_XML: &str = "application/xml";
pub(crate) const MEDIA_JSON: &str = "application/json";
pub(crate) const MEDIA_CSV: &str = "text/csv";

/// Format of control documents (jobInfo, batchInfo, errors, result lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

/// Format of record data (batch bodies, ingest results, query result files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    Csv,
    Xml,
    Json,
}

impl DataFormat {
    pub(crate) fn media_type(self) -> &'static str {
        match self {
            DataFormat::Csv => MEDIA_CSV,
            DataFormat::Xml => MEDIA_XML,
            DataFormat::Json => MEDIA_JSON,
        }
    }
}

/// A job's `contentType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentType {
    Xml,
    Csv,
    Json,
    ZipXml,
    ZipCsv,
    ZipJson,
}

impl ContentType {
    pub(crate) fn parse(s: &str) -> Option<ContentType> {
        Some(match s {
            "XML" => ContentType::Xml,
            "CSV" => ContentType::Csv,
            "JSON" => ContentType::Json,
            "ZIP_XML" => ContentType::ZipXml,
            "ZIP_CSV" => ContentType::ZipCsv,
            "ZIP_JSON" => ContentType::ZipJson,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ContentType::Xml => "XML",
            ContentType::Csv => "CSV",
            ContentType::Json => "JSON",
            ContentType::ZipXml => "ZIP_XML",
            ContentType::ZipCsv => "ZIP_CSV",
            ContentType::ZipJson => "ZIP_JSON",
        }
    }

    /// JSON and `ZIP_JSON` jobs talk JSON; every other job talks XML.
    pub(crate) fn control_format(self) -> Format {
        match self {
            ContentType::Json | ContentType::ZipJson => Format::Json,
            _ => Format::Xml,
        }
    }

    /// Format of the records (for ZIP jobs: of `request.txt` and of the results).
    pub(crate) fn data_format(self) -> DataFormat {
        match self {
            ContentType::Csv | ContentType::ZipCsv => DataFormat::Csv,
            ContentType::Xml | ContentType::ZipXml => DataFormat::Xml,
            ContentType::Json | ContentType::ZipJson => DataFormat::Json,
        }
    }

    pub(crate) fn is_zip(self) -> bool {
        matches!(
            self,
            ContentType::ZipXml | ContentType::ZipCsv | ContentType::ZipJson
        )
    }

    /// Media type of batch bodies of this job (used to echo `…/request`).
    pub(crate) fn batch_media_type(self) -> &'static str {
        match self {
            ContentType::ZipXml => "zip/xml",
            ContentType::ZipCsv => "zip/csv",
            ContentType::ZipJson => "zip/json",
            other => other.data_format().media_type(),
        }
    }
}

/// `Some(NS)` for XML root elements, nothing for JSON.
pub(crate) fn xmlns(format: Format) -> Option<&'static str> {
    (format == Format::Xml).then_some(NS)
}
