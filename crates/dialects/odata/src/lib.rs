#![doc = include_str!("../docs.md")]
//!
//! # Modules
//!
//! Without features the crate is a pure translation library: [`wire`] (the JSON),
//! [`convert`] (wire ↔ canonical), [`query`] (the filter language, `expand`/`select`,
//! and canonical queries back to query strings), [`validate`] and [`error`] (canonical
//! errors → the dialect's bodies). Feature `server` adds [`server`] (the actix routes);
//! feature `client` adds [`Client`], a `CustomerStore` over a real Unimicro-style system.

pub mod config;
pub mod convert;
pub mod error;
pub mod query;
pub mod validate;
pub mod wire;

#[cfg(test)]
mod oracle;

#[cfg(feature = "server")]
mod routes;

#[cfg(feature = "client")]
pub mod client;

pub use convert::DIALECT;

#[cfg(feature = "server")]
pub use routes::{location, server, BASE_PATH};

#[cfg(feature = "client")]
pub use client::{capability, Client};
#[cfg(feature = "client")]
pub use config::ClientConfig;
