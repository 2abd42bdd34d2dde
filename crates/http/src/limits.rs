//! Request limits shared by every dialect: body size (413) and JSON nesting depth (400).

use custgate_core::json::nesting_depth;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Limits on what a client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest request body in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// The deepest JSON nesting accepted; deeper bodies get 400.
    pub max_json_depth: usize,
    /// The largest page any list endpoint returns.
    pub max_page_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_json_depth: 32,
            max_page_size: 1000,
        }
    }
}

/// Why a JSON body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonBodyError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request body nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("the request body is not valid JSON: {0}")]
    Syntax(String),
    #[error("the request body does not have the expected shape: {0}")]
    Shape(String),
}

impl JsonBodyError {
    /// 413 for an oversized body, else 400.
    pub fn status(&self) -> u16 {
        match self {
            JsonBodyError::TooLarge { .. } => 413,
            _ => 400,
        }
    }
}

impl Limits {
    /// Parses a JSON body within the limits.
    pub fn parse_json<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, JsonBodyError> {
        if bytes.len() > self.max_body_bytes {
            return Err(JsonBodyError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        if nesting_depth(bytes) > self.max_json_depth {
            return Err(JsonBodyError::TooDeep {
                limit: self.max_json_depth,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() {
                JsonBodyError::Shape(e.to_string())
            } else {
                JsonBodyError::Syntax(e.to_string())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_json_enforces_limits() {
        let l = Limits {
            max_body_bytes: 64,
            max_json_depth: 3,
            max_page_size: 10,
        };
        assert!(l.parse_json::<serde_json::Value>(br#"{"a":[1]}"#).is_ok());
        assert_eq!(
            l.parse_json::<serde_json::Value>(br#"[[[[1]]]]"#),
            Err(JsonBodyError::TooDeep { limit: 3 })
        );
        let big = vec![b' '; 65];
        assert_eq!(
            l.parse_json::<serde_json::Value>(&big)
                .unwrap_err()
                .status(),
            413
        );
        assert!(matches!(
            l.parse_json::<serde_json::Value>(b"{"),
            Err(JsonBodyError::Syntax(_))
        ));
        assert!(matches!(
            l.parse_json::<Vec<u8>>(br#"{"a":1}"#),
            Err(JsonBodyError::Shape(_))
        ));
    }
}
