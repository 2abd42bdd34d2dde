#![doc = include_str!("../README.md")]

pub mod conformance;
pub mod fixtures;
pub mod logs;

pub use fixtures::sample_customers;
pub use logs::LogBuffer;
