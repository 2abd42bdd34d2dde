#![doc = include_str!("../README.md")]

pub mod capability;
pub mod diff;
pub mod error;
pub mod eval;
pub mod field;
pub mod ids;
pub mod json;
pub mod memory;
pub mod model;
pub mod plan;
pub mod query;
pub mod redact;
pub mod report;
pub mod store;

pub use capability::{Capability, FieldOps, FilterCapability, FindCapability, Operation};
pub use diff::dropped_fields;
pub use error::{Error, ErrorKind, FieldError, Result};
pub use field::{Field, Value, ValueType};
pub use ids::{CustomerId, IdempotencyKey, TenantId, Version};
pub use memory::MemoryStore;
pub use model::{
    Address, AddressKind, Card, Contact, Customer, CustomerKind, Email, Finance, Identification,
    JsonMap, Locale, Money, Names, Phone, PhoneKind, Sales, Status, TaxIds,
};
pub use plan::{Explain, Plan};
pub use query::{CmpOp, Count, Filter, Key, Page, Query, SortKey, TextOp};
pub use store::{find_one, CreateOptions, CustomerJson, CustomerStore, DynStore, Idempotency};
