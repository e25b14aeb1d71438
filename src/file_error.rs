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

/// Parses TOML into `T`, turning any syntax or shape error into a located [`FileError`]. The
/// field is the key path serde was at (`server.listen`), tracked by `serde_path_to_error`: the
/// unknown key itself, the key holding a value of the wrong type, or the required key missing.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    let located = |err: &toml::de::Error, field: Option<String>| {
        let offset = err.span().map_or(0, |s| s.start);
        FileError::at(path, text, offset, field, err.message().trim().to_string())
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| located(&e, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key_path = e.path().to_string();
        let parent = (key_path != ".").then_some(key_path);
        // A missing key has no place of its own: the path stops at its table, and serde's
        // message is what names it.
        let missing = e
            .inner()
            .message()
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        let field = match (parent, missing) {
            (Some(table), Some(key)) => Some(format!("{table}.{key}")),
            (None, Some(key)) => Some(key),
            (parent, None) => parent,
        };
        located(e.inner(), field)
    })
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

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Demo,
    }

    #[test]
    fn nested_keys_are_named_by_their_path() {
        let wrong =
            parse_toml::<Outer>(Path::new("x.toml"), "[inner]\ncount = \"x\"\n").unwrap_err();
        assert_eq!(
            (wrong.line, wrong.field.as_deref()),
            (2, Some("inner.count"))
        );
        let unknown = parse_toml::<Outer>(Path::new("x.toml"), "[inner]\ncount = 1\ncolour = 2\n")
            .unwrap_err();
        assert_eq!(
            (unknown.line, unknown.field.as_deref()),
            (3, Some("inner.colour"))
        );
        let missing = parse_toml::<Outer>(Path::new("x.toml"), "[inner]\n").unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("inner.count"));
        assert!(
            missing.message.contains("missing field `count`"),
            "{missing}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse_toml::<Demo>(Path::new("x.toml"), "count = 1\ncolour = 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.field.as_deref(), Some("colour"));
    }
}
