//! Delta tokens and page cursors. Both are opaque to clients (base64url text) but carry the
//! database epoch, so a token from before a reset is recognized as unknown rather than misread.
//!
//! A download is the window `since < seq <= upto` of the change sequence: the first page fixes
//! `upto` (the newest change at that moment), each `next` cursor carries where it stopped, and
//! the last page's delta token is `upto`. A change made while the client pages through gets a
//! seq above `upto`, so it arrives in the next delta: never missed, never twice.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A delta token: every change up to `seq` has been delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaToken {
    pub epoch: String,
    pub seq: u64,
}

/// Where a download stands between pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub epoch: String,
    pub since: u64,
    /// The last seq already sent.
    pub after: u64,
    pub upto: u64,
}

/// A token the server cannot read at all (as opposed to one it no longer honors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable;

impl DeltaToken {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("d:{}:{}", self.epoch, self.seq))
    }

    pub fn decode(text: &str) -> Result<DeltaToken, Undecodable> {
        decode_parts(text, |parts| match parts {
            ["d", epoch, seq] => Some(DeltaToken {
                epoch: epoch.to_string(),
                seq: seq.parse().ok()?,
            }),
            _ => None,
        })
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "c:{}:{}:{}:{}",
            self.epoch, self.since, self.after, self.upto
        ))
    }

    pub fn decode(text: &str) -> Result<Cursor, Undecodable> {
        decode_parts(text, |parts| match parts {
            ["c", epoch, since, after, upto] => {
                let cursor = Cursor {
                    epoch: epoch.to_string(),
                    since: since.parse().ok()?,
                    after: after.parse().ok()?,
                    upto: upto.parse().ok()?,
                };
                // A well-formed cursor always lies inside its own window.
                (cursor.since <= cursor.after && cursor.after <= cursor.upto).then_some(cursor)
            }
            _ => None,
        })
    }
}

/// Decodes a token's text into its `:`-separated parts (none empty) and reads them with `read`.
fn decode_parts<T>(text: &str, read: impl FnOnce(&[&str]) -> Option<T>) -> Result<T, Undecodable> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| Undecodable)?;
    let text = String::from_utf8(bytes).map_err(|_| Undecodable)?;
    let parts: Vec<&str> = text.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Undecodable);
    }
    read(&parts).ok_or(Undecodable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_url_safe() {
        let t = DeltaToken {
            epoch: "9f3a".into(),
            seq: 1234,
        };
        let text = t.encode();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(DeltaToken::decode(&text), Ok(t));
        let c = Cursor {
            epoch: "9f3a".into(),
            since: 1,
            after: 5,
            upto: 9,
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn garbage_and_the_other_kind_are_undecodable() {
        assert_eq!(DeltaToken::decode("%%%"), Err(Undecodable));
        assert_eq!(DeltaToken::decode(""), Err(Undecodable));
        let c = Cursor {
            epoch: "e".into(),
            since: 1,
            after: 2,
            upto: 3,
        };
        assert_eq!(DeltaToken::decode(&c.encode()), Err(Undecodable));
        let outside = Cursor {
            epoch: "e".into(),
            since: 5,
            after: 2,
            upto: 3,
        };
        assert_eq!(Cursor::decode(&outside.encode()), Err(Undecodable));
    }
}
