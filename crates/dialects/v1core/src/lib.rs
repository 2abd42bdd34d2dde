#![doc = include_str!("../docs.md")]

pub mod convert;
pub mod error;
pub mod lookup;
pub mod query;
pub mod validate;
pub mod wire;

#[cfg(feature = "client")]
pub mod client;
#[cfg(any(feature = "server", feature = "client"))]
pub mod config;
#[cfg(feature = "server")]
mod routes;

use custgate_core::{Capability, FindCapability};

pub use convert::{from_wire, to_wire, Context};
pub use custgate_core::JsonMap;
pub use lookup::{Entry, Lang, LookupOverrides, Lookups, Table};
pub use query::Criteria;
pub use wire::{ContactDto, CustomerDto, ProblemDetails};

#[cfg(feature = "client")]
pub use client::Client;
#[cfg(feature = "client")]
pub use config::{ClientAuth, ClientConfig};
#[cfg(feature = "server")]
pub use routes::server;

/// The dialect's slug: its config sections, its key in `Customer::extensions`.
pub const DIALECT: &str = "v1core";

/// The one path of the dialect.
pub const PATH: &str = "/v1/core/customer";

/// What a real v1core system can do as a backend: look customers up by `customerId`
/// (`seq`), identification number, mobile number and reference number, and read a
/// customer by the gateway id this dialect gives it (its `customerId`). No listing, no
/// writes: the API is a read-only lookup.
pub fn capability() -> Capability {
    Capability {
        get: true,
        find: FindCapability {
            seq: true,
            identification: true,
            mobile: true,
            reference_no: true,
            ..FindCapability::default()
        },
        // A row's phones are its `mobileNumber` and `additionalMobileNumber`.
        phones_are_mobiles: true,
        ..Capability::default()
    }
}
