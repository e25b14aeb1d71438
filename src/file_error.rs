//! Errors in files a user hands us (config, project, seed, scenario): each names the file, the
//! line and column, and the field, so the user can fix it without reading our source.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// A problem in an input file, located precisely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is not tied to a position (e.g. the file is unreadable).
    pub line: usize,
    pub column: usize,
    /// The key or field at fault, when known.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        FileError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            field: None,
            message: format!("cannot read the file: {err}"),
        }
    }

    /// An error at a byte offset of `text`.
    pub fn at(
        path: &Path,
        text: &str,
        offset: usize,
        field: Option<String>,
        message: String,
    ) -> Self {
        let (line, column) = line_col(text, offset);
        FileError {
            path: path.to_path_buf(),
            line,
            column,
            field,
            message,
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Parses TOML into `T`, turning any syntax or shape error into a located [`FileError`].
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    toml::from_str(text).map_err(|err| {
        let offset = err.span().map_or(0, |s| s.start);
        let message = err.message().trim().to_string();
        let field = field_named_in(&message).or_else(|| key_on_line(text, offset));
        FileError::at(path, text, offset, field, message)
    })
}

/// serde names the offending key in back-ticks for unknown and missing fields.
fn field_named_in(message: &str) -> Option<String> {
    let tail = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    tail.split('`').next().map(str::to_string)
}

/// For type errors the span points at the value; the key is what precedes `=` on that line.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
    let line = &text[start..end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('#')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        count: u32,
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let err = parse_toml::<Demo>(Path::new("x.toml"), "\n\ncount = \"three\"\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.field.as_deref(), Some("count"));
        assert!(err.to_string().starts_with("x.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse_toml::<Demo>(Path::new("x.toml"), "count = 1\ncolour = 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.field.as_deref(), Some("colour"));
    }
}
