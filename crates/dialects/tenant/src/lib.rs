#![doc = include_str!("../docs.md")]
//!
//! # Modules
//!
//! Without features the crate is a pure translation library: [`wire`] (the JSON),
//! [`convert`] (wire ↔ canonical), [`query`] (list parameters ↔ canonical query),
//! [`validate`] and [`error`] (canonical errors → problem details). Feature `server` adds
//! `server()` (the actix routes), the license tokens (`auth`, `issue_dev_token`) and the
//! configuration types; feature `client` adds `Client`, a `CustomerStore` over a real
//! system speaking this dialect.

pub mod config;
pub mod convert;
pub mod error;
pub mod query;
pub mod validate;
pub mod wire;

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
mod routes;

#[cfg(feature = "client")]
pub mod client;

use custgate_core::{Capability, Field, FieldOps, FilterCapability, FindCapability};

pub use convert::DIALECT;

#[cfg(feature = "server")]
pub use auth::issue_dev_token;
#[cfg(feature = "server")]
pub use routes::server;

#[cfg(feature = "client")]
pub use client::Client;

/// What a system speaking this dialect can do, as canonical capabilities: a
/// case-insensitive contains on the name, equality on mobile, kind, email,
/// identification and VAT number (AND-ed), one sort key, page-number paging (any offset
/// is reached by reading the pages around it), the total from `X-Total-Count`; lookups by
/// name, email, mobile, identification and `cusId`; create, update by `cusId`, delete (by
/// name upstream: see `Client`). No status changes, versions, idempotency or client ids.
pub fn capability() -> Capability {
    let eq = FieldOps::EQ;
    Capability {
        list: true,
        get: true,
        create: true,
        update: true,
        delete: true,
        set_status: false,
        find: FindCapability {
            name: true,
            email: true,
            mobile: true,
            identification: true,
            seq: true,
            ..FindCapability::default()
        },
        // A record's one phone is its `CusMobile`.
        phones_are_mobiles: true,
        filter: FilterCapability {
            and: true,
            or: false,
            not: false,
            search: false,
            fields: vec![
                (
                    Field::DisplayName,
                    FieldOps {
                        text_ci: true,
                        ..FieldOps::default()
                    },
                ),
                (Field::Mobile, eq),
                // A tenant record's one phone is its `CusMobile`: any phone's number is it.
                (Field::Phone, eq),
                (Field::Kind, eq),
                (Field::Email, eq),
                (Field::DefaultEmail, eq),
                (Field::Identification, eq),
                (Field::Vat, eq),
            ],
        },
        sort_fields: query::SORT_FIELDS.iter().map(|(_, f)| *f).collect(),
        max_sort_keys: Some(1),
        offset: true,
        max_limit: None,
        total: true,
        idempotency: false,
        expected_version: false,
        client_ids: false,
    }
}
