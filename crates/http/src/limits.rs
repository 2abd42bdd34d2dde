//! Request limits shared by every dialect: body size (413) and JSON nesting depth (400).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
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
    /// The connection failed while the body was being read.
    #[error("the request body could not be read: {0}")]
    Unreadable(String),
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
    /// Reads a request body of at most `max_body_bytes`: a larger declared
    /// `Content-Length` is refused before reading, a longer body as soon as it passes the
    /// limit, so no more than the limit is ever buffered.
    pub async fn read_body(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<web::Bytes, JsonBodyError> {
        let limit = self.max_body_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(JsonBodyError::TooLarge { limit });
        }
        match payload.to_bytes_limited(limit).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => Err(JsonBodyError::Unreadable(e.to_string())),
            Err(_) => Err(JsonBodyError::TooLarge { limit }),
        }
    }

    /// [`Limits::read_body`], then [`Limits::parse_json`].
    pub async fn read_json<T: DeserializeOwned>(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<T, JsonBodyError> {
        let bytes = self.read_body(req, payload).await?;
        self.parse_json(&bytes)
    }

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
    use actix_web::test::TestRequest;
    use actix_web::FromRequest;

    fn small() -> Limits {
        Limits {
            max_body_bytes: 8,
            ..Limits::default()
        }
    }

    async fn read(req: TestRequest) -> Result<web::Bytes, JsonBodyError> {
        let (req, mut payload) = req.to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        small().read_body(&req, payload).await
    }

    #[actix_web::test]
    async fn bodies_are_read_up_to_the_limit() {
        let ok = read(TestRequest::post().set_payload("12345678")).await;
        assert_eq!(ok.unwrap(), "12345678");
        let long = read(TestRequest::post().set_payload("123456789")).await;
        assert_eq!(long, Err(JsonBodyError::TooLarge { limit: 8 }));
        // A declared length over the limit is refused before anything is read.
        let declared = read(
            TestRequest::post()
                .set_payload("1")
                .insert_header((header::CONTENT_LENGTH, "100")),
        )
        .await;
        assert_eq!(declared, Err(JsonBodyError::TooLarge { limit: 8 }));
    }

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
