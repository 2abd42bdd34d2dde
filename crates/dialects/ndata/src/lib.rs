#![doc = include_str!("../docs.md")]

pub mod config;
pub mod convert;
pub mod error;
pub mod query;
pub mod validate;
pub mod wire;

#[cfg(feature = "server")]
mod auth;
#[cfg(feature = "server")]
mod routes;

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "client")]
pub use client::Client;
#[cfg(feature = "client")]
pub use config::ClientConfig;
pub use config::GlobalConfig;
#[cfg(feature = "server")]
pub use config::{TenantConfig, UserConfig};

use custgate_core::{Capability, Field, FieldOps, FilterCapability, FindCapability};

/// The dialect slug.
pub const NAME: &str = "ndata";

/// What an NData system can do, as the client uses it: filters on the documented members
/// (ANDed, no OR, no general NOT), free-text search, sorting on the Customer model's
/// properties, `$skip`/`$take` paging with a total, conditional writes through `_v`,
/// and client-chosen ids. `max_take` is the upstream's largest page.
pub fn capability(max_take: u32) -> Capability {
    let text = FieldOps {
        eq: true,
        ne: true,
        range: true,
        text_ci: true,
        in_list: true,
        ..FieldOps::default()
    };
    let number = FieldOps {
        eq: true,
        ne: true,
        range: true,
        in_list: true,
        ..FieldOps::default()
    };
    Capability {
        list: true,
        get: true,
        create: true,
        update: true,
        delete: true,
        // Active and inactive only (NData's `isActive`).
        set_status: true,
        find: FindCapability {
            external_id: true,
            ..FindCapability::default()
        },
        phones_are_mobiles: false,
        filter: FilterCapability {
            and: true,
            or: false,
            not: false,
            search: true,
            fields: vec![
                (
                    Field::ExternalId,
                    FieldOps {
                        is_null: true,
                        ..text
                    },
                ),
                (Field::CardSerial, text),
                (Field::CreditRate, number),
                (Field::DiscountRate, number),
                (
                    Field::ExpirationTime,
                    FieldOps {
                        is_null: true,
                        ..number
                    },
                ),
                // `IsActive`: status eq/ne `active` or `inactive`.
                (
                    Field::Status,
                    FieldOps {
                        eq: true,
                        ne: true,
                        ..FieldOps::default()
                    },
                ),
            ],
        },
        sort_fields: query::SORT_KEYS.iter().map(|(_, f)| *f).collect(),
        max_sort_keys: None,
        offset: true,
        max_limit: Some(max_take as usize),
        total: true,
        idempotency: false,
        expected_version: true,
        client_ids: true,
    }
}

/// Builds the dialect's server from configuration (`[dialects.ndata]` and each tenant's
/// `[tenants.<id>.ndata]`), checking every setting once.
#[cfg(feature = "server")]
pub fn server(
    setup: &custgate_http::DialectSetup,
) -> Result<custgate_http::DynDialect, custgate_http::ConfigError> {
    Ok(std::sync::Arc::new(routes::build(setup)?))
}
