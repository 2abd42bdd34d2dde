#![doc = include_str!("../docs.md")]

pub mod config;
pub mod convert;
pub mod error;
pub mod query;
pub mod validate;
pub mod wire;

#[cfg(feature = "server")]
pub mod routes;

#[cfg(feature = "client")]
pub mod client;

/// The dialect's slug: its configuration sections and its key in
/// `Customer::extensions`.
pub const NAME: &str = "custno";

pub use config::GlobalConfig;
pub use convert::{canonical_number, from_record, manex_number, to_record};
pub use validate::Action;
pub use wire::{Envelope, ManexDate, Record, RecordBody, WebApiError};

#[cfg(feature = "client")]
pub use client::{capability, Client};
#[cfg(feature = "client")]
pub use config::ClientConfig;
#[cfg(feature = "server")]
pub use config::TenantConfig;
#[cfg(feature = "server")]
pub use routes::{server, CustnoServer};
