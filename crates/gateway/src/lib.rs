#![doc = include_str!("../README.md")]

mod connect;
pub mod crosswalk;
pub mod keys;
pub mod settings;
mod store;

pub use connect::{connect, Ledger, SetupError};
pub use crosswalk::{AliasTable, MemoryAliases};
pub use keys::{KeyTable, MemoryKeys};
pub use settings::{UpstreamDialect, UpstreamSettings};
pub use store::{Carry, GatewayParts, GatewayStore, IdPolicy, SeqSource};
