//! The CSV dialect of a Bulk API 2.0 job: its `columnDelimiter` (six values) and its
//! `lineEnding` (two).

/// A job's `columnDelimiter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnDelimiter {
    Backquote,
    Caret,
    Comma,
    Pipe,
    Semicolon,
    Tab,
}

impl ColumnDelimiter {
    /// The enum value as the job JSON spells it (case-sensitive, as the service reads it).
    pub(crate) fn parse(s: &str) -> Option<ColumnDelimiter> {
        Some(match s {
            "BACKQUOTE" => ColumnDelimiter::Backquote,
            "CARET" => ColumnDelimiter::Caret,
            "COMMA" => ColumnDelimiter::Comma,
            "PIPE" => ColumnDelimiter::Pipe,
            "SEMICOLON" => ColumnDelimiter::Semicolon,
            "TAB" => ColumnDelimiter::Tab,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ColumnDelimiter::Backquote => "BACKQUOTE",
            ColumnDelimiter::Caret => "CARET",
            ColumnDelimiter::Comma => "COMMA",
            ColumnDelimiter::Pipe => "PIPE",
            ColumnDelimiter::Semicolon => "SEMICOLON",
            ColumnDelimiter::Tab => "TAB",
        }
    }

    /// The byte between two fields.
    pub(crate) fn byte(self) -> u8 {
        match self {
            ColumnDelimiter::Backquote => b'`',
            ColumnDelimiter::Caret => b'^',
            ColumnDelimiter::Comma => b',',
            ColumnDelimiter::Pipe => b'|',
            ColumnDelimiter::Semicolon => b';',
            ColumnDelimiter::Tab => b'\t',
        }
    }
}

/// A job's `lineEnding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    pub(crate) fn parse(s: &str) -> Option<LineEnding> {
        Some(match s {
            "LF" => LineEnding::Lf,
            "CRLF" => LineEnding::Crlf,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            LineEnding::Lf => "LF",
            LineEnding::Crlf => "CRLF",
        }
    }

    /// The bytes that end a line.
    pub(crate) fn terminator(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::Crlf => b"\r\n",
        }
    }
}

/// A job's CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    pub delimiter: ColumnDelimiter,
    pub line_ending: LineEnding,
}

impl Dialect {
    /// `COMMA` and `LF`.
    pub(crate) const DEFAULT: Dialect = Dialect {
        delimiter: ColumnDelimiter::Comma,
        line_ending: LineEnding::Lf,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in ["BACKQUOTE", "CARET", "COMMA", "PIPE", "SEMICOLON", "TAB"] {
            assert_eq!(
                ColumnDelimiter::parse(name).map(ColumnDelimiter::name),
                Some(name)
            );
        }
        assert_eq!(ColumnDelimiter::parse("comma"), None);
        assert_eq!(
            LineEnding::parse("CRLF").map(LineEnding::terminator),
            Some(&b"\r\n"[..])
        );
        assert_eq!(LineEnding::parse("CR"), None);
    }
}
