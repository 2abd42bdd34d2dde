#![doc = include_str!("../README.md")]

mod connect;
pub mod crosswalk;
pub mod settings;
mod store;

pub use connect::{connect, SetupError};
pub use crosswalk::{AliasTable, MemoryAliases};
pub use settings::{UpstreamDialect, UpstreamSettings};
pub use store::{Carry, GatewayParts, GatewayStore, IdPolicy, SeqSource};
