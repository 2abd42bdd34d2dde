#![doc = include_str!("../README.md")]

pub mod dialect;
pub mod limits;
pub mod observe;
pub mod report;
pub mod secret;

pub use dialect::{
    parse_section, ConfigError, DialectServer, DialectSetup, DynDialect, TenantSetup,
};
pub use limits::{JsonBodyError, Limits};
pub use observe::{request_id, Metrics, RequestId};
pub use secret::{
    bearer_token, hash_password, sha256_hex, PasswordHashString, SecretTable, SharedSecret,
};
